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

The queue itself is an :class:`~caseflow.model.event_queue.EventQueue`: when compiled, a heap of its own
in place of SimPy's list of tuples (same order, cheaper comparisons); as plain Python, SimPy's tuples in
:mod:`heapq`, as SimPy keeps them. The environment's ``schedule``, ``step`` and ``peek`` are its.
SimPy's own ``_queue`` stays empty.
"""

from __future__ import annotations

from operator import attrgetter

import simpy
from simpy.core import BoundClass, SimTime
from simpy.events import NORMAL, Event, EventPriority

from caseflow.model.event_queue import new_event_queue

__all__ = ["WINDOW", "Environment"]

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
        self._events = new_event_queue(self, window)
        # SimPy calls ``env.schedule`` for every event: the instance's attribute, the compiled
        # EventQueue, takes the place of the method below (which says what it does).
        setattr(self, "schedule", self._events)  # noqa: B010  (mypy would refuse a method assignment)
        # SimPy's ``run`` calls ``self.step()`` for every event: the queue's compiled step, likewise.
        setattr(self, "step", self._events.step)  # noqa: B010

    def step(self) -> None:
        """Process the next event, as :meth:`simpy.Environment.step` does, from this environment's queue."""
        self._events.step()

    def peek(self) -> SimTime:
        """The time of the next event (infinity if there is none), as :meth:`simpy.Environment.peek`."""
        return self._events.peek()

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: SimTime = 0) -> None:
        """Schedule ``event`` at ``delay`` from now: in SimPy's queue, or held for its period."""
        self._events(event, priority, delay)

    @property
    def held(self) -> int:
        """Events waiting outside the queue."""
        return sum(len(b) for b in self._events.held.values())
