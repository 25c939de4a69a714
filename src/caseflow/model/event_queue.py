"""Where a scheduled event goes: SimPy's event queue, or a bucket until its period begins (compiled).

This is :meth:`caseflow.model.environment.Environment.schedule`, which SimPy calls for every event
(each timeout, each triggered event, each process start): about 400,000 times in a 5-year run. It is a
class of its own so that the kernel can compile it. :class:`~caseflow.model.environment.Environment`
itself cannot be compiled, because it subclasses SimPy's Python class. The environment installs an
:class:`EventQueue` as its ``schedule``. The module docstring of :mod:`caseflow.model.environment` says
why far-off events are held and why the order of events is unchanged.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Final

import simpy
from simpy.core import SimTime
from simpy.events import NORMAL, URGENT, Event, EventPriority

__all__ = ["EventQueue"]

_heappush: Final = heapq.heappush
_NORMAL: Final = NORMAL
_URGENT: Final = URGENT

#: A queued event as SimPy keeps it: (time, priority, event id, event).
_Entry = tuple[SimTime, EventPriority, int, Event]


class EventQueue:
    """Schedules events for an environment: in SimPy's queue, or held for their ``window``-day period."""

    __slots__ = ("eid", "env", "held", "queue", "window")

    def __init__(self, env: simpy.Environment, window: float) -> None:
        self.env = env
        self.queue: list[_Entry] = env._queue  # SimPy's heap, and its counter of event ids
        self.eid: Iterator[int] = env._eid
        self.window = window
        self.held: dict[int, list[_Entry]] = {}  # period → events due in it, waiting outside the queue

    def __call__(self, event: Event, priority: EventPriority = _NORMAL, delay: SimTime = 0) -> None:
        """Schedule ``event`` ``delay`` after now with ``priority``, as ``Environment.schedule`` does."""
        env = self.env
        at = env._now + delay
        window = self.window
        if delay <= window or priority != _NORMAL:
            _heappush(self.queue, (at, priority, next(self.eid), event))
            return
        entry: _Entry = (at, priority, next(self.eid), event)
        period = int(at // window)
        bucket = self.held.get(period)
        if bucket is not None:
            bucket.append(entry)
            return
        self.held[period] = [entry]
        # The period begins after now (at > now + window), and its release comes before anything else
        # due at that instant (URGENT), so no held event can fall due before it is in the queue.
        release = simpy.Event(env)
        release._ok = True
        release._value = None
        release.callbacks.append(_Release(self, period))
        start = max(period * window, env._now)  # (never before now, whatever the rounding)
        _heappush(self.queue, (start, _URGENT, next(self.eid), release))

    def release(self, period: int) -> None:
        """Move the events held for ``period`` into SimPy's queue (its release event calls this)."""
        queue = self.queue
        for entry in self.held.pop(period):
            _heappush(queue, entry)


class _Release:
    """The callback of a period's release event."""

    __slots__ = ("period", "queue")

    def __init__(self, queue: EventQueue, period: int) -> None:
        self.queue = queue
        self.period = period

    def __call__(self, _event: Event) -> None:
        self.queue.release(self.period)
