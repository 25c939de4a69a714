"""Teams, their posts and workers, and the queue of cases waiting for a worker.

A case that needs a worker joins its team's queue, a heap ordered by (priority, time queued, arrival
order) — not ``simpy.PriorityResource``, which re-sorts the whole queue on every request. Whenever a
case arrives or a worker frees up, the team manager allocates from the head of the queue to an
eligible worker chosen by the allocation policy. Eligible means present (not off sick) and below the
cap: urgent cases may go up to the *hard* cap, all others only up to the *soft* cap. Caps are children
per FTE, lower for workers in their ASYE year. A cap therefore moves waiting from "allocated but slow"
to "unallocated": both are reported.

The team keeps its workers' caseloads, FTE and presence in plain lists of numbers too (:class:`_Roster`),
so that finding the least-loaded eligible worker (the default policy) or the workers a case may move to
is a tight loop over numbers, not over worker objects: compiled, its cost hardly shows even at the
size of the largest authority.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from caseflow.model.workforce.allocation import AllocationPolicy, LeastLoaded
from caseflow.model.workforce.worker import Contract, Worker, WorkItem
from caseflow.records import TimeWeighted
from caseflow.streams import DrawBlock

#: The key of :attr:`Team.waiting` (children waiting for allocation).
_WAITING: Final = "children"

if TYPE_CHECKING:
    import simpy

    from caseflow.model.entities import Child

__all__ = ["URGENT", "Case", "Post", "Team"]

#: Queue priorities (lower is allocated first).
URGENT: Final = 0
CHILD_PROTECTION: Final = 1
LOOKED_AFTER: Final = 2
ASSESSMENT: Final = 3
CHILD_IN_NEED: Final = 4
CARE_LEAVER: Final = 5

_NQSW: Final = Contract.NQSW


class Case:
    """Children held together by one worker in one team (a family, or one child in care).

    A plain class rather than a dataclass: compiled (:mod:`caseflow.kernel`), a dataclass's generated
    ``__init__`` would still run as Python, once for every case of the run.
    """

    __slots__ = (
        "activity",
        "children",
        "generation",
        "id",
        "open",
        "pending",
        "priority",
        "queued",
        "queued_at",
        "team",
        "worker",
    )

    def __init__(
        self,
        id: int,
        team: Team,
        activity: str,  # a caseflow.model.entities.Activity (or its value)
        priority: int,
        children: list[Child],
        queued_at: float = 0.0,
        worker: Worker | None = None,
        pending: list[WorkItem] | None = None,
        open: bool = True,
        queued: bool = False,
        generation: int = 0,
    ) -> None:
        self.id = id
        self.team = team
        self.activity = activity
        self.priority = priority
        self.children = children
        self.queued_at = queued_at
        self.worker = worker
        self.pending: list[WorkItem] = [] if pending is None else pending
        self.open = open
        self.queued = queued
        self.generation = generation

    @property
    def n(self) -> int:
        return len(self.children)

    def __repr__(self) -> str:
        return f"Case(id={self.id}, team={self.team.name!r}, activity={self.activity!s}, n={self.n})"


@dataclass(slots=True, eq=False)
class Post:
    """A funded post (``fte`` of establishment) held by a permanent worker, or vacant."""

    id: int
    team: Team
    fte: float
    holder: Worker | None = None
    agency: Worker | None = None
    removed: bool = False
    held: bool = False  # held vacant: never recruited to
    supernumerary: bool = False  # an agency-only post on top of the establishment (not a vacancy)
    fill_months: float | None = None  # first vacancy filled after this mean time (a campaign)
    rng: DrawBlock | None = None  # the post's own draws: tenures, time to fill, agency cover
    filled: simpy.Event | None = None
    life: simpy.Process | None = None  # the post's cycle (Staffing._post_life)
    in_tenure: bool = False  # its holder is serving out a tenure drawn at the turnover rate in force


class _Roster:
    """The team's workers as parallel lists, in order of worker id, for the default policy's search.

    Kept up to date by :class:`Team`: membership by :meth:`Team.add_worker` and :meth:`Team.remove_worker`,
    caseloads by :meth:`Team.attach`, :meth:`Team.detach` and :meth:`Team.remove_children`, and the rest
    (presence, contract, FTE) by :meth:`Team.refresh_worker`, which :meth:`Worker.set_rate` calls. Every
    figure is computed with the same floating-point operations, in the same order, as the one-pass loop
    over workers it replaces, so the choice is identical (``tests/test_workforce.py`` checks it).

    The searches want the eligible worker with the fewest children per FTE, the lowest id on ties, so
    ``order`` keeps the slots sorted by (children per FTE, slot) and a search walks it from the front,
    stopping at the first worker who qualifies: usually the first, second or third, whatever the size
    of the team (a scan of every worker made each allocation in a team of 160 four times dearer than in
    a team of 40). A change of caseload moves one slot within ``order`` by binary search.
    """

    __slots__ = (
        "avail",
        "capf",
        "cases",
        "fte",
        "load",
        "members",
        "nqsw_factor",
        "order",
        "ratio",
        "scale",
        "slot",
    )

    def __init__(self, workers: tuple[Worker, ...], nqsw_factor: float) -> None:
        members = sorted(workers, key=lambda w: w.id)  # the search takes the first: the lowest id on ties
        n = len(members)
        self.members = members
        self.nqsw_factor = nqsw_factor
        self.slot = {w: i for i, w in enumerate(members)}
        self.load: list[float] = [0.0] * n
        self.fte: list[float] = [0.0] * n
        self.ratio: list[float] = [0.0] * n
        self.scale: list[float] = [0.0] * n
        self.capf: list[float] = [0.0] * n
        self.avail: list[bool] = [False] * n
        self.cases: list[int] = [0] * n
        self.order: list[int] = list(range(n))  # every ratio is 0.0 so far: sorted by slot
        for w in members:
            self.set_worker(w)

    def set_worker(self, w: Worker) -> None:
        """Read everything about ``w`` the search uses (presence, contract, FTE, caseload)."""
        i = self.slot.get(w)
        if i is None:  # a worker who has left is no longer in the roster
            return
        nqsw = w.contract == _NQSW
        self.avail[i] = w.available
        self.fte[i] = w.fte
        self.scale[i] = self.nqsw_factor * w.fte if nqsw else w.fte
        self.capf[i] = self.nqsw_factor if nqsw else 1.0
        self.set_load(w)

    def set_load(self, w: Worker) -> None:
        """Read ``w``'s caseload and cases (after an allocation, a closure or a transfer)."""
        i = self.slot.get(w)
        if i is not None:
            load = float(w.caseload)
            self.load[i] = load
            ratio = load / w.fte
            if ratio != self.ratio[i]:
                order = self.order
                del order[self._position(i)]
                self.ratio[i] = ratio
                order.insert(self._position(i), i)
            self.cases[i] = len(w.cases)

    def _position(self, i: int) -> int:
        """Where slot ``i`` is, or would go, in :attr:`order` (by children per FTE, then slot)."""
        order, ratio = self.order, self.ratio
        key = ratio[i]
        lo = 0
        hi = len(order)
        while lo < hi:
            mid = (lo + hi) >> 1
            j = order[mid]
            r = ratio[j]
            if r < key or (r == key and j < i):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def append(self, w: Worker) -> bool:
        """Add ``w`` at the end, if its id is above every member's (a new worker's always is: ids are
        given in order), as a rebuild would place it; False (nothing done) otherwise. Every other member
        is already up to date, so this equals a rebuild, in constant time instead of a pass over the
        team (a team of thousands opens in a moment, not minutes)."""
        members = self.members
        if members and members[-1].id >= w.id:
            return False
        i = len(members)
        self.slot[w] = i
        members.append(w)
        self.load.append(0.0)
        self.fte.append(0.0)
        self.ratio.append(0.0)
        self.scale.append(0.0)
        self.capf.append(0.0)
        self.avail.append(False)
        self.cases.append(0)
        self.order.insert(self._position(i), i)
        self.set_worker(w)
        return True

    def remove(self, w: Worker) -> None:
        """Take ``w`` out (what a rebuild without ``w`` gives, without recomputing everyone else)."""
        i = self.slot.pop(w, None)
        if i is None:
            return
        # the slots after i move down by one, which keeps their order among themselves and the rest
        self.order = [j - 1 if j > i else j for j in self.order if j != i]
        del self.members[i]
        del self.load[i]
        del self.fte[i]
        del self.ratio[i]
        del self.scale[i]
        del self.capf[i]
        del self.avail[i]
        del self.cases[i]
        if i < len(self.members):
            self.slot = {m: k for k, m in enumerate(self.members)}

    def n_cases(self) -> int:
        return sum(self.cases)

    def case_at(self, pick: int) -> Case | None:
        """The ``pick``-th case held, counting through the workers in order of id and each one's cases
        in the order they were given."""
        before = 0
        for i, count in enumerate(self.cases):
            if pick < before + count:
                return list(self.members[i].cases.values())[pick - before]
            before += count
        return None

    def least_loaded(self, n: int, cap: float, hard: float) -> Worker | None:
        """:meth:`Team._least_loaded`: the eligible worker with the fewest children per FTE (then the
        lowest id); failing any, the same among those still below ``cap`` who stay within ``hard``."""
        load, scale, avail = self.load, self.scale, self.avail
        for i in self.order:
            if avail[i] and load[i] + n <= scale[i] * cap + 1e-9:
                return self.members[i]
        for i in self.order:
            if avail[i] and load[i] < scale[i] * cap - 1e-9 and load[i] + n <= scale[i] * hard + 1e-9:
                return self.members[i]
        return None

    def _takes(self, i: int, n: int, cap: float) -> bool:
        """Whether the worker in slot ``i`` is present and can take ``n`` more children within ``cap``, as
        :meth:`Team.fits` computes it."""
        return self.avail[i] and self.load[i] + n <= (cap * self.capf[i]) * self.fte[i] + 1e-9

    def _fits(self, n: int, cap: float, other_than: Worker) -> list[int]:
        """Slots of the workers but ``other_than`` who :meth:`_takes` ``n`` more children, in order of id."""
        skip = self.slot.get(other_than, -1)
        return [i for i in range(len(self.load)) if i != skip and self._takes(i, n, cap)]

    def fitting(self, n: int, cap: float, other_than: Worker) -> list[Worker]:
        """The workers of :meth:`_fits`, in order of id."""
        members = self.members
        return [members[i] for i in self._fits(n, cap, other_than)]

    def least_loaded_fitting(self, n: int, cap: float, other_than: Worker) -> Worker | None:
        """``LeastLoaded().choose(self.fitting(n, cap, other_than))``, without the list."""
        skip = self.slot.get(other_than, -1)
        for i in self.order:
            if i != skip and self._takes(i, n, cap):
                return self.members[i]
        return None


class Team:
    """A team's posts, workers in post (permanent, ASYE and agency) and allocation queue."""

    def __init__(
        self,
        name: str,
        *,
        soft_cap: float,
        hard_cap: float,
        case_holding: bool,
        policy: AllocationPolicy,
        nqsw_caseload_factor: float,
        now: float = 0.0,
    ) -> None:
        self.name = name
        self.soft_cap = soft_cap
        self.hard_cap = hard_cap
        self.case_holding = case_holding
        self.policy = policy
        self.nqsw_caseload_factor = nqsw_caseload_factor
        self.workers: tuple[Worker, ...] = ()  # in post, in order of arrival (add_worker, remove_worker)
        self.posts: list[Post] = []
        self._roster = _Roster((), nqsw_caseload_factor)
        self.queue: list[tuple[int, float, int, Case]] = []
        self._seq = 0
        self.waiting = TimeWeighted(now)  # children waiting for allocation, and children-days
        self.on_allocate: list[object] = []  # callbacks(case, worker, now) set by the workforce

    # ------------------------------------------------------------ measures
    @property
    def unallocated(self) -> int:
        """Children waiting for allocation now."""
        return int(self.waiting.level[_WAITING])

    def take_area(self, now: float) -> float:
        """Children-days of unallocated waiting since the last call."""
        return self.waiting.take(now).get(_WAITING, 0.0)

    @property
    def establishment(self) -> float:
        return sum(p.fte for p in self.posts if not p.removed)

    def fits(self, worker: Worker, n: int, urgent: bool = False) -> bool:
        """Could ``worker`` take ``n`` more children within the applicable cap?"""
        return worker.caseload + n <= self.cap_for(worker, urgent) + 1e-9

    def cap_for(self, worker: Worker, urgent: bool) -> float:
        cap = self.hard_cap if urgent else self.soft_cap
        if worker.contract == _NQSW:
            cap *= self.nqsw_caseload_factor
        return cap * worker.fte

    # ------------------------------------------------------------- workers
    def add_worker(self, worker: Worker) -> None:
        """``worker`` joins the team."""
        self.workers = (*self.workers, worker)
        if not self._roster.append(worker):
            self.reindex()

    def remove_worker(self, worker: Worker) -> None:
        """``worker`` leaves the team (their cases are detached by the caller)."""
        if worker not in self.workers:
            raise ValueError(f"{worker!r} is not in team {self.name!r}")
        self.workers = tuple(w for w in self.workers if w is not worker)
        self._roster.remove(worker)

    def refresh_worker(self, worker: Worker) -> None:
        """``worker``'s presence, contract or FTE changed: the allocation search sees it from now on."""
        self._roster.set_worker(worker)

    def reindex(self) -> None:
        """Rebuild the allocation search's view of every worker (after setting their state directly)."""
        self._roster = _Roster(self.workers, self.nqsw_caseload_factor)

    @property
    def n_cases(self) -> int:
        """Cases held by the team's workers."""
        return self._roster.n_cases()

    def transfer_target(self, case: Case, old: Worker) -> Worker | None:
        """The worker the policy moves ``case`` to from ``old``, among those present and within the soft
        cap with the whole case (``None`` if nobody is)."""
        roster = self._roster
        if type(self.policy) is LeastLoaded:
            return roster.least_loaded_fitting(case.n, self.soft_cap, old)
        others = roster.fitting(case.n, self.soft_cap, old)
        return self.policy.choose(others, case) if others else None

    def case_at(self, pick: int) -> Case | None:
        """The ``pick``-th of the team's held cases (0 ≤ pick < :attr:`n_cases`), counting through the
        workers in order of id and each one's cases in the order they were given."""
        return self._roster.case_at(pick)

    # ---------------------------------------------------------- allocation
    def enqueue(self, case: Case, now: float) -> None:
        case.queued_at = now
        case.queued = True
        self._seq += 1
        heapq.heappush(self.queue, (case.priority, now, self._seq, case))
        self.waiting.add(_WAITING, case.n, now)

    def allocate_waiting(self, now: float) -> list[tuple[Case, Worker]]:
        """Allocate from the head of the queue while an eligible worker exists."""
        made: list[tuple[Case, Worker]] = []
        queue = self.queue
        while queue:
            case = queue[0][3]
            if not case.queued:
                heapq.heappop(queue)
                continue
            worker = self._choose(case)
            if worker is None:
                break
            heapq.heappop(queue)
            self.waiting.add(_WAITING, -case.n, now)
            case.queued = False
            self.attach(case, worker)
            made.append((case, worker))
        return made

    def _choose(self, case: Case) -> Worker | None:
        """The worker the policy picks for ``case`` among those present and within the caps, if any.

        Eligible workers stay within the applicable cap with the whole case. If there are none, a sibling
        group may go to a worker still below that cap, where a single child would have fitted, but never
        beyond the hard cap.
        """
        n = len(case.children)
        cap = self.hard_cap if case.priority == URGENT else self.soft_cap
        if type(self.policy) is LeastLoaded:
            return self._least_loaded(n, cap)
        factor = self.nqsw_caseload_factor
        eligible: list[Worker] = []
        below: list[Worker] = []
        for w in self.workers:
            if not w.available:
                continue
            scale = (factor if w.contract == _NQSW else 1.0) * w.fte
            load = w.caseload
            if load + n <= cap * scale + 1e-9:
                eligible.append(w)
            elif load < cap * scale - 1e-9 and load + n <= self.hard_cap * scale + 1e-9:
                below.append(w)
        if eligible:
            return self.policy.choose(eligible, case)
        return self.policy.choose(below, case) if below else None

    def _least_loaded(self, n: int, cap: float) -> Worker | None:
        """:meth:`_choose` for the default policy, without a loop over worker objects.

        The eligible worker with the fewest children per FTE (then the lowest id); failing any, the one
        still below the cap where the whole case would fit under the hard cap. This runs at every
        allocation; the choice is the one :meth:`LeastLoaded.choose` would make
        (``tests/test_workforce.py`` checks it), computed over lists kept up to date as caseloads change
        (:class:`_Roster`).
        """
        return self._roster.least_loaded(n, cap, self.hard_cap)

    def attach(self, case: Case, worker: Worker) -> None:
        case.worker = worker
        worker.caseload += case.n
        worker.cases[case.id] = case
        self._roster.set_load(worker)
        pending, case.pending = case.pending, []
        for item in pending:
            if not item.cancelled:
                worker.add(item)

    def detach(self, case: Case, now: float) -> list[WorkItem]:
        """Take ``case`` off its worker (or out of the queue); returns its unfinished work."""
        worker = case.worker
        if worker is None:
            if case.queued:
                self.waiting.add(_WAITING, -case.n, now)
                case.queued = False
            items, case.pending = case.pending, []
            return items
        worker.caseload -= case.n
        worker.cases.pop(case.id, None)
        self._roster.set_load(worker)
        case.worker = None
        return worker.detach(case)

    def remove_children(self, case: Case, children: list[Child], now: float) -> None:
        """Some children leave the case (e.g. an 18th birthday): the caseload counts fewer children."""
        gone = [c for c in children if c in case.children]
        if not gone:
            return
        for c in gone:
            case.children.remove(c)
        if case.worker is not None:
            case.worker.caseload -= len(gone)
            self._roster.set_load(case.worker)
        elif case.queued:
            self.waiting.add(_WAITING, -len(gone), now)
