"""The environment's event queue: a binary heap of its own, and far-off events held in buckets (compiled).

SimPy keeps its pending events in a list of ``(time, priority, event id, event)`` tuples ordered by
:mod:`heapq`. Every comparison of two tuples compares Python objects, element by element, through the
interpreter's generic machinery: a 5-year run pops about 390,000 events from a heap thousands deep, and
those comparisons were an eighth of all the instructions it executed. :class:`EventQueue` keeps the
same entries as objects of a compiled class whose time, priority and id are plain machine numbers, and
sifts them with the same algorithm as :mod:`heapq`. Events are ordered by (time, priority, id) exactly as
SimPy orders them, and no two share an id, so they are popped in exactly SimPy's order: results are
identical.

It is also :meth:`caseflow.model.environment.Environment.schedule`, which SimPy calls for every event
(each timeout, each triggered event, each process start), and its ``step``; the environment installs
both on itself (:class:`~caseflow.model.environment.Environment` cannot be compiled, because it
subclasses SimPy's Python class). The module docstring of :mod:`caseflow.model.environment` says why
far-off events are held and why the order of events is unchanged by that either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, final

import simpy
from simpy.core import EmptySchedule, SimTime, StopSimulation
from simpy.events import NORMAL, URGENT, Event, EventPriority

__all__ = ["EventQueue"]

_NORMAL: Final = NORMAL
_URGENT: Final = URGENT
_INFINITY: Final = float("inf")


@final
class _Scheduled:
    """A queued event with its time, priority and id: SimPy's tuple, as numbers compared directly."""

    __slots__ = ("at", "eid", "event", "priority")

    def __init__(self, at: float, priority: int, eid: int, event: Event) -> None:
        self.at = at
        self.priority = priority
        self.eid = eid
        self.event = event


def _before(a: _Scheduled, b: _Scheduled) -> bool:
    """Whether ``a`` comes before ``b``: SimPy's order, by time, then priority, then id."""
    if a.at != b.at:
        return a.at < b.at
    if a.priority != b.priority:
        return a.priority < b.priority
    return a.eid < b.eid


def _push(heap: list[_Scheduled], entry: _Scheduled) -> None:
    """:func:`heapq.heappush`, for entries ordered by :func:`_before`."""
    heap.append(entry)
    pos = len(heap) - 1
    while pos > 0:
        parent_pos = (pos - 1) >> 1
        parent = heap[parent_pos]
        if not _before(entry, parent):
            break
        heap[pos] = parent
        pos = parent_pos
    heap[pos] = entry


def _pop(heap: list[_Scheduled]) -> _Scheduled:
    """:func:`heapq.heappop` (the same bottom-up sift), for entries ordered by :func:`_before`."""
    last = heap.pop()  # IndexError when empty, as heapq
    end = len(heap)
    if end == 0:
        return last
    top = heap[0]
    # Move the smaller child up until a leaf is reached, then the last entry up from there into place.
    pos = 0
    child = 1
    while child < end:
        right = child + 1
        if right < end and not _before(heap[child], heap[right]):
            child = right
        heap[pos] = heap[child]
        pos = child
        child = 2 * pos + 1
    while pos > 0:
        parent_pos = (pos - 1) >> 1
        parent = heap[parent_pos]
        if not _before(last, parent):
            break
        heap[pos] = parent
        pos = parent_pos
    heap[pos] = last
    return top


class EventQueue:
    """An environment's pending events: a heap of those due within ``window`` days, the rest held."""

    __slots__ = ("eid", "env", "heap", "held", "window")

    def __init__(self, env: simpy.Environment, window: float) -> None:
        self.env = env
        self.heap: list[_Scheduled] = []
        self.eid: Iterator[int] = env._eid  # SimPy's counter of event ids (it counts the run's events)
        self.window = window
        self.held: dict[int, list[_Scheduled]] = {}  # period → events due in it, waiting outside the heap

    def __call__(self, event: Event, priority: EventPriority = _NORMAL, delay: SimTime = 0) -> None:
        """Schedule ``event`` ``delay`` after now with ``priority``, as ``Environment.schedule`` does."""
        env = self.env
        at: float = env._now + delay
        entry = _Scheduled(at, priority, next(self.eid), event)
        window = self.window
        if delay <= window or priority != _NORMAL:
            _push(self.heap, entry)
            return
        period = int(at // window)
        bucket = self.held.get(period)
        if bucket is not None:
            bucket.append(entry)
            return
        self.held[period] = [entry]
        # The period begins after now (at > now + window), and its release comes before anything else
        # due at that instant (URGENT), so no held event can fall due before it is in the heap.
        release = simpy.Event(env)
        release._ok = True
        release._value = None
        release.callbacks.append(_Release(self, period))
        start = max(period * window, env._now)  # (never before now, whatever the rounding)
        _push(self.heap, _Scheduled(start, _URGENT, next(self.eid), release))

    def release(self, period: int) -> None:
        """Move the events held for ``period`` into the heap (its release event calls this)."""
        heap = self.heap
        for entry in self.held.pop(period):
            _push(heap, entry)

    def step(self) -> None:
        """Process the next event: :meth:`simpy.Environment.step`, statement for statement, on this heap."""
        try:
            entry = _pop(self.heap)
        except IndexError:
            raise EmptySchedule from None
        event = entry.event
        self.env._now = entry.at
        # Process callbacks of the event. Set the events callbacks to None immediately to prevent
        # concurrent modifications.
        callbacks = event.callbacks
        event.callbacks = None  # type: ignore[assignment]
        i = 0
        try:
            for callback in callbacks:
                i += 1
                callback(event)
        except StopSimulation:
            # Reassociate any remaining callbacks with the event and reschedule the event to be
            # processed when the simulation resumes.
            event.callbacks = callbacks[i:]
            self(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            # The event has failed and has not been defused. Crash the environment. Create a copy of the
            # failure exception with a new traceback.
            value = event._value
            exc = type(value)(*value.args)
            exc.__cause__ = value
            raise exc

    def peek(self) -> float:
        """The time of the next event in the heap (infinity if none): :meth:`simpy.Environment.peek`."""
        heap = self.heap
        return heap[0].at if heap else _INFINITY

    def entries(self) -> list[tuple[float, int, int, Event]]:
        """The events in the heap, as SimPy's ``(time, priority, id, event)`` tuples, in heap order."""
        return [(e.at, e.priority, e.eid, e.event) for e in self.heap]

    def next_event(self) -> Event | None:
        """The event :meth:`step` would process next (``None`` if the heap is empty)."""
        heap = self.heap
        return heap[0].event if heap else None


class _Release:
    """The callback of a period's release event."""

    __slots__ = ("period", "queue")

    def __init__(self, queue: EventQueue, period: int) -> None:
        self.queue = queue
        self.period = period

    def __call__(self, _event: Event) -> None:
        self.queue.release(self.period)
