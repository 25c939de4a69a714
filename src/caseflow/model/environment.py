"""SimPy's environment, with far-off events held outside its event queue until their time comes near.

Much of what a run schedules is months away: a family coming back after a closure, the end of a plan or
of a placement, an 18th birthday. In SimPy every pending event sits in one binary heap, so each of the
run's hundreds of thousands of pops and pushes pays for a heap as deep as *all* pending events, far
off or not, and the cost per event grows with the size of the authority.

:class:`Environment` keeps an event due more than :data:`WINDOW` days ahead in a bucket for its
``WINDOW``-day period instead, with the event id SimPy would have given it, and moves the whole bucket
into the heap when the period begins (one extra event per period, at its start, ahead of anything else
due then). SimPy orders events by (time, priority, id), and every id is still taken when the event is
scheduled, so events happen in exactly the order they would have: results are identical.
"""

from __future__ import annotations

import heapq
from operator import attrgetter

import simpy
from simpy.core import BoundClass, SimTime
from simpy.events import NORMAL, URGENT, Event, EventPriority

__all__ = ["WINDOW", "Environment"]

#: A queued event as SimPy keeps it: (time, priority, event id, event).
_Entry = tuple[SimTime, EventPriority, int, Event]

#: Events due more than this many days ahead wait in a bucket for their WINDOW-day period.
WINDOW = 28.0


class Environment(simpy.Environment):
    """:class:`simpy.Environment`, holding far-off events outside the event queue (see the module)."""

    #: The current simulation time: SimPy's ``now``, read by a getter written in C. The model reads it
    #: hundreds of thousands of times a run, and SimPy's own property is a Python function.
    now = property(attrgetter("_now"), doc="The current simulation time.")

    def __init__(self, initial_time: float = 0.0, window: float = WINDOW) -> None:
        super().__init__(initial_time)
        # SimPy binds ``timeout``, ``event``, ``process``… to the instance only for attributes of the
        # instance's own class: bind Environment's too, or every env.timeout() would be slower.
        for name, obj in simpy.Environment.__dict__.items():
            if type(obj) is BoundClass:
                setattr(self, name, getattr(self, name))
        self._window = window
        self._held: dict[int, list[_Entry]] = {}

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: SimTime = 0) -> None:
        at = self._now + delay
        if delay <= self._window or priority != NORMAL:
            heapq.heappush(self._queue, (at, priority, next(self._eid), event))
            return
        entry: _Entry = (at, priority, next(self._eid), event)
        period = int(at // self._window)
        bucket = self._held.get(period)
        if bucket is not None:
            bucket.append(entry)
            return
        self._held[period] = [entry]
        # The period begins after now (at > now + window), and its release comes before anything else
        # due at that instant (URGENT), so no held event can fall due before it is in the queue.
        release = simpy.Event(self)
        release._ok = True
        release._value = None
        release.callbacks.append(lambda _e: self._release(period))
        start = max(period * self._window, self._now)  # (never before now, whatever the rounding)
        heapq.heappush(self._queue, (start, URGENT, next(self._eid), release))

    def _release(self, period: int) -> None:
        queue = self._queue
        for entry in self._held.pop(period):
            heapq.heappush(queue, entry)

    @property
    def held(self) -> int:
        """Events waiting outside the queue."""
        return sum(len(b) for b in self._held.values())
