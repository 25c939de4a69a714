"""Teams, their posts and workers, and the queue of cases waiting for a worker.

A case that needs a worker joins its team's queue, a heap ordered by (priority, time queued, arrival
order) — not ``simpy.PriorityResource``, which re-sorts the whole queue on every request. Whenever a
case arrives or a worker frees up, the team manager allocates from the head of the queue to an
eligible worker chosen by the allocation policy. Eligible means present (not off sick) and below the
cap: urgent cases may go up to the *hard* cap, all others only up to the *soft* cap. Caps are children
per FTE, lower for workers in their ASYE year. A cap therefore moves waiting from "allocated but slow"
to "unallocated": both are reported.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from caseflow.model.workforce.allocation import AllocationPolicy, LeastLoaded
from caseflow.model.workforce.worker import Contract, Worker, WorkItem
from caseflow.records import TimeWeighted
from caseflow.streams import DrawBlock

#: The key of :attr:`Team.waiting` (children waiting for allocation).
_WAITING = "children"

if TYPE_CHECKING:
    import simpy

    from caseflow.model.entities import Child

__all__ = ["URGENT", "Case", "Post", "Team"]

#: Queue priorities (lower is allocated first).
URGENT, CHILD_PROTECTION, LOOKED_AFTER, ASSESSMENT, CHILD_IN_NEED, CARE_LEAVER = range(6)

_NQSW = Contract.NQSW


@dataclass(slots=True, eq=False)
class Case:
    """Children held together by one worker in one team (a family, or one child in care)."""

    id: int
    team: Team
    activity: str  # a caseflow.model.entities.Activity (or its value)
    priority: int
    children: list[Child]
    queued_at: float = 0.0
    worker: Worker | None = None
    pending: list[WorkItem] = field(default_factory=list)
    open: bool = True
    queued: bool = False
    generation: int = 0

    @property
    def n(self) -> int:
        return len(self.children)


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
    fill_months: float | None = None  # first vacancy filled after this mean time (a campaign)
    rng: DrawBlock | None = None  # the post's own draws: tenures, time to fill, agency cover
    filled: simpy.Event | None = None


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
        self.workers: list[Worker] = []
        self.posts: list[Post] = []
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
        """:meth:`_choose` for the default policy, in one pass.

        The eligible worker with the fewest children per FTE (then the lowest id), found while checking
        the caps rather than after listing the eligible workers. This runs at every allocation, over the
        whole team; the choice is the one :meth:`LeastLoaded.choose` would make (``tests/test_workforce.py``
        checks it).
        """
        hard = self.hard_cap
        factor = self.nqsw_caseload_factor
        best = fallback = None
        best_r = fallback_r = 0.0
        for w in self.workers:
            if not w.available:
                continue
            fte = w.fte
            scale = factor * fte if w.contract == _NQSW else fte
            load = w.caseload
            if load + n <= cap * scale + 1e-9:
                r = load / fte
                if best is None or r < best_r or (r == best_r and w.id < best.id):
                    best, best_r = w, r
            elif best is None and load < cap * scale - 1e-9 and load + n <= hard * scale + 1e-9:
                r = load / fte
                if fallback is None or r < fallback_r or (r == fallback_r and w.id < fallback.id):
                    fallback, fallback_r = w, r
        return best if best is not None else fallback

    def attach(self, case: Case, worker: Worker) -> None:
        case.worker = worker
        worker.caseload += case.n
        worker.cases[case.id] = case
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
        elif case.queued:
            self.waiting.add(_WAITING, -len(gone), now)
