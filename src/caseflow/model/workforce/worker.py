"""A social worker: an individual whose case hours are shared among their open pieces of work.

A worker spends ``rate`` hours per working day (contracted hours × FTE, less leave, non-case time and
ASYE protected time; zero while off sick; reduced while a new starter ramps up). Those hours are
shared among the worker's active work items in proportion to each item's *weight* — weighted
processor sharing — so the more work a worker holds, the longer each piece takes: higher caseloads
lengthen assessments and make visits late, as DESIGN §3 requires.

Processor sharing is computed exactly with a virtual clock ``V`` that advances at ``rate / Σ weights``
per unit of working time; an item of ``h`` hours and weight ``w`` added at ``V₀`` finishes when
``V = V₀ + h / w``. Items sit in a heap keyed by that finishing value (:mod:`caseflow.model.heap`, ties
broken by the order in which they were added), so adding, finishing and re-timing cost O(log n), and
only the next completion is ever scheduled.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Protocol, final

import simpy
from mypy_extensions import i64
from simpy.events import NORMAL

from caseflow.calendar import Calendar
from caseflow.model.event_queue import Action, now_of, queue_of
from caseflow.model.heap import Heap, Keyed, new_heap

if TYPE_CHECKING:
    from caseflow.model.workforce.team import Case, Post, Team

__all__ = ["Contract", "WorkClock", "WorkItem", "Worker"]

_EPS: Final = 1e-9
_NO_TIMER: Final = math.inf  # a worker's ``_timer_at`` when no timer is pending
_NORMAL: Final = NORMAL  # SimPy's priority for a timeout


class Contract(StrEnum):
    """A worker's contract: it sets their hours, their caseload cap and how they are paid."""

    PERMANENT = "permanent"
    NQSW = "nqsw"  # newly qualified, in the assessed and supported year in employment (ASYE)
    AGENCY = "agency"


class WorkClock(Protocol):
    """Maps simulation time to working time and back (see :class:`caseflow.calendar.Calendar`)."""

    def working_time(self, t: float) -> float: ...

    def real_time(self, wt: float) -> float: ...


class WorkItem(Keyed):
    """A piece of work: ``hours`` of a worker's time, shared with the worker's other items by ``weight``.

    Whoever waits for it is told when it finishes (with the time) or is cancelled (with ``None``):
    either a SimPy process, through the event ``done``, or, if ``on_done`` is given, that function,
    called directly. Recurring visits use the callback; it saves an event per visit. Work that finishes
    on the worker's timer resumes a waiting process at once, in the timer's callback
    (:meth:`finish_now`), which saves another.

    On a worker's desk, its ``key`` is the worker's virtual time at which it finishes and its ``order``
    the order in which it was added (:class:`~caseflow.model.heap.Keyed`).
    """

    __slots__ = (
        "cancelled",
        "case",
        "done",
        "finished",
        "hours",
        "kind",
        "on_done",
        "remaining",
        "weight",
    )

    def __init__(
        self,
        env: simpy.Environment,
        kind: str,
        hours: float,
        weight: float,
        case: Case | None,
        on_done: Callable[[float | None], None] | None = None,
    ) -> None:
        self.kind = kind
        self.hours = hours
        self.remaining = hours
        self.weight = weight
        self.case = case
        self.on_done = on_done
        self.done: simpy.Event | None = env.event() if on_done is None else None
        self.key = 0.0  # set when the item goes on a desk
        self.order = 0
        self.cancelled = False
        self.finished = False

    @property
    def event(self) -> simpy.Event:
        """The event a process yields to wait for this item (items with ``on_done`` have none)."""
        if self.done is None:
            raise ValueError(f"work item {self.kind!r} reports to a callback, not an event")
        return self.done

    def finish(self, at: float | None) -> None:
        """Tell whoever waits that this item is done at time ``at`` (``None``: it was cancelled).

        A process waiting for the event ``done`` resumes when SimPy reaches the event in its queue.
        """
        self.finished = True
        if self.on_done is not None:
            self.on_done(at)
        else:
            self.done.succeed(at)  # type: ignore[union-attr]

    def finish_now(self, at: float) -> None:
        """Tell whoever waits that this item is done at time ``at``, which is now, at once.

        The waiting process resumes in the caller, as a callback would, rather than after the other
        events already due at this instant: the same time, one event fewer (docs/performance.md).
        Only the worker's own timer calls this, with the worker's state settled.
        """
        self.finished = True
        if self.on_done is not None:
            self.on_done(at)
            return
        done = self.done
        assert done is not None
        # What SimPy's Environment.step does when it pops a triggered event: mark it processed, then
        # call its callbacks (a waiting process's resumption).
        done._ok = True
        done._value = at
        callbacks = done.callbacks
        done.callbacks = None  # type: ignore[assignment]
        for callback in callbacks:
            callback(done)


@final
class _Timer(Action):
    """A worker's processor-sharing timer in the run's own event queue: fired by the queue, no SimPy event
    (:class:`~caseflow.model.event_queue.Action`; bit-identical)."""

    __slots__ = ("worker",)

    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.worker = worker

    def fire(self) -> None:
        self.worker._on_timer(self)


class Worker:
    """One social worker (permanent, newly qualified or agency) holding cases and doing their work."""

    __slots__ = (
        "_calendar",
        "_heap",
        "_last_t",
        "_last_wt",
        "_queue",
        "_seq",
        "_spare",
        "_spare_timer",
        "_timer",
        "_timer_at",
        "_timer_callback",
        "_v",
        "_weight",
        "available",
        "base_rate",
        "boost",
        "caseload",
        "cases",
        "clock",
        "contract",
        "efficiency",
        "env",
        "fte",
        "id",
        "left",
        "post",
        "started",
        "team",
    )

    def __init__(
        self,
        env: simpy.Environment,
        clock: WorkClock,
        *,
        worker_id: int,
        team: Team | None,
        contract: Contract,
        fte: float,
        base_rate: float,
        started: float,
        post: Post | None = None,
    ) -> None:
        self.env = env
        self.clock = clock
        self.id = worker_id
        self.team = team
        self.contract = contract
        self.fte = fte
        self.base_rate = base_rate  # hours per working day when fully effective and present
        self.efficiency = 1.0
        self.boost = 1.0  # longer hours under workload pressure (workload feedback; exactly 1 when off)
        self.available = True
        self.started = started
        self.left = False
        self.post = post
        self.caseload = 0  # children held
        self.cases: dict[int, Case] = {}
        self._heap: Heap[WorkItem] = new_heap()
        self._seq: i64 = 0  # items added so far: the order of the next (a machine integer, compiled)
        self._v = 0.0
        self._weight = 0.0
        # The run's clock is a Calendar: called as one, compiled code calls it directly (no boxing)
        self._calendar: Calendar | None = clock if isinstance(clock, Calendar) else None
        self._queue = queue_of(env)  # where compiled code reads the time (None: SimPy's own environment)
        self._last_t: float = now_of(self._queue, env)  # (a machine number when compiled, as below)
        self._last_wt = clock.working_time(self._last_t)
        # When the earliest pending completion timer fires; infinity when none is pending (not None, so
        # that compiled code keeps it as a machine number).
        self._timer_at = _NO_TIMER
        self._timer: simpy.Event | _Timer | None = None  # that timer
        # A timer that has fired, set again for the next completion rather than a new event made: about
        # 280,000 timers a 5-year run, each an event with its own dictionary and callback list (bit-identical:
        # the same time, priority and event id as a new timeout; docs/performance.md).
        # In the run's own queue a timer is an action, not an event (docs/performance.md), kept likewise.
        self._spare: simpy.Event | None = None
        self._spare_timer: _Timer | None = None
        # The timer's callback, bound once: compiled, ``self._on_timer`` would make a bound method by a
        # generic attribute lookup at every timer (bit-identical; docs/performance.md).
        self._timer_callback: Callable[[simpy.Event], None] = self._on_timer

    # ------------------------------------------------------------------ state
    @property
    def rate(self) -> float:
        """Hours of case work per working day right now."""
        return self.base_rate * self.efficiency * self.boost if self.available else 0.0

    @property
    def active_items(self) -> int:
        return sum(1 for it in self._heap.entries() if not it.cancelled)

    @property
    def load(self) -> float:
        """Total weight of active work (how busy the worker is)."""
        return self._weight

    # ------------------------------------------------------------- mechanics
    def _advance(self) -> None:
        now = now_of(self._queue, self.env)
        if now == self._last_t:  # already brought up to date at this instant
            return
        self._last_t = now
        calendar = self._calendar
        wt = calendar.working_time(now) if calendar is not None else self.clock.working_time(now)
        if self._weight > 0 and self.available:
            self._v += (wt - self._last_wt) * self.base_rate * self.efficiency * self.boost / self._weight
        self._last_wt = wt

    def _reschedule(self) -> None:
        """Make sure a timer fires no later than the next completion.

        Adding work only ever postpones completions, so an earlier pending timer is kept: when it fires
        it finds nothing due and re-times itself. Only an earlier completion needs a new timer. This keeps
        the event count close to one timer per completed item.

        Called straight after :meth:`_advance`, at the same instant: the time is ``self._last_t``.
        """
        heap = self._heap
        first = heap.first()
        while first is not None and first.cancelled:
            heap.pop()
            first = heap.first()
        if first is None or not self.available:
            return
        rate = self.base_rate * self.efficiency * self.boost
        if rate <= 0:
            return
        dv = first.key - self._v
        if dv < 0.0:
            dv = 0.0
        wt = self._last_wt + dv * self._weight / rate
        calendar = self._calendar
        try:
            target = calendar.real_time(wt) if calendar is not None else self.clock.real_time(wt)
        except (IndexError, OverflowError, ValueError):
            # Due after the calendar ends (a worker with very few hours for their work), so after the
            # run ends: no timer. Any change of rate or of work re-times it.
            return
        if self._timer_at <= target + _EPS:  # (never when no timer is pending: infinity)
            return
        env = self.env
        now = self._last_t  # (brought up to date by _advance)
        at = target if target > now else now
        self._timer_at = at
        queue = self._queue
        if queue is not None:
            timer = self._spare_timer
            if timer is None:
                timer = _Timer(self)
            else:
                self._spare_timer = None
            self._timer = timer
            queue.act(timer, at - now)
            return
        ev = self._spare
        if ev is None:  # a new timeout (an Event set up by hand as one costs 1% more instructions)
            self._timer = ev = env.timeout(at - now)
            ev.callbacks.append(self._timer_callback)
            return
        # What SimPy's Timeout does, on an event it has already processed (its value and outcome stay
        # those of a timeout: ok, None).
        self._spare = None
        self._timer = ev
        ev.callbacks = [self._timer_callback]
        env.schedule(ev, _NORMAL, at - now)

    def _on_timer(self, event: simpy.Event | _Timer) -> None:
        if event is self._timer:
            self._timer = None
            self._timer_at = _NO_TIMER
        # processed: the queue holds it no longer, so it can be set again
        if isinstance(event, _Timer):
            self._spare_timer = event
        else:
            self._spare = event
        self._advance()
        heap = self._heap
        v = self._v + _EPS
        # What finishes now: the first item on its own and any others in a list, so that the usual
        # timer, finishing one item or none, makes no list (about 285,000 timers a 5-year run).
        done: WorkItem | None = None
        more: list[WorkItem] | None = None
        while True:
            first = heap.first()
            if first is None or not (first.cancelled or first.key <= v):
                break
            item = heap.pop()
            if item.cancelled:
                continue
            self._weight -= item.weight
            item.remaining = 0.0
            item.finished = True  # before any callback: a process resumed below may close its case
            if done is None:
                done = item
            elif more is None:
                more = [item]
            else:
                more.append(item)
        if first is None:
            self._weight = 0.0
        self._reschedule()
        if done is None:
            return
        # Only now, with this worker's state settled: a callback may hand the worker new work at once.
        now = self._last_t  # (brought up to date by _advance)
        done.finish_now(now)
        if more is not None:
            for item in more:
                item.finish_now(now)

    def set_rate(
        self,
        *,
        efficiency: float | None = None,
        available: bool | None = None,
        base_rate: float | None = None,
        boost: float | None = None,
    ) -> None:
        """Change how fast this worker works (ramp-up, sickness, end of ASYE, longer hours under workload
        pressure), keeping work done so far."""
        self._advance()
        if base_rate is not None:
            self.base_rate = base_rate
        if boost is not None:
            self.boost = boost
        if efficiency is not None:
            self.efficiency = efficiency
        if available is not None:
            self.available = available
        if self.team is not None:
            self.team.refresh_worker(self)  # the allocation search sees the change
        self._reschedule()

    # ------------------------------------------------------------- interface
    def add(self, item: WorkItem) -> None:
        """Start working on ``item`` (sharing time with everything else on the worker's desk)."""
        self._advance()
        if item.remaining <= _EPS:
            item.remaining = 0.0
            item.finish(self.env.now)
            return
        item.key = self._v + item.remaining / item.weight  # the virtual time at which it finishes
        self._seq += 1
        item.order = self._seq
        heap = self._heap
        heap.push(item)
        self._weight += item.weight
        first = heap.first()
        if self._timer_at != _NO_TIMER and first is not None and first is not item and not first.cancelled:
            # The earliest completion is unchanged, only postponed by the extra work, and a timer is
            # already set no later than it: nothing to reschedule (see _reschedule).
            return
        self._reschedule()

    def cancel(self, item: WorkItem) -> None:
        """Stop ``item`` (its case closed); its share of time goes to the rest."""
        if item.cancelled or item.finished:
            return
        self._advance()
        item.cancelled = True
        self._weight = max(self._weight - item.weight, 0.0)
        self._reschedule()

    def detach(self, case: Case | None = None, kind: str | None = None) -> list[WorkItem]:
        """Take unfinished items off this worker (all, a case's, or of a kind), keeping remaining hours."""
        self._advance()
        keep: list[WorkItem] = []
        out: list[WorkItem] = []
        for item in self._heap.entries():
            if item.cancelled:
                continue
            if (case is None or item.case is case) and (kind is None or item.kind == kind):
                item.remaining = max((item.key - self._v) * item.weight, 0.0)
                self._weight -= item.weight
                out.append(item)
            else:
                keep.append(item)
        self._heap.replace(keep)
        if not keep:
            self._weight = 0.0
        self._reschedule()
        return out

    def __repr__(self) -> str:
        team = self.team.name if self.team is not None else "-"
        return f"Worker({self.id}, {team}, {self.contract}, caseload={self.caseload})"
