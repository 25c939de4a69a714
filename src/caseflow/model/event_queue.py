"""The environment's event queue: a binary heap of its own, and far-off events held in buckets (compiled).

SimPy keeps its pending events in a list of ``(time, priority, event id, event)`` tuples ordered by
:mod:`heapq`. Every comparison of two tuples compares Python objects, element by element, through the
interpreter's generic machinery: a 5-year run pops about 390,000 events from a heap thousands deep, and
those comparisons were an eighth of all the instructions it executed. Compiled, an :class:`EventQueue`
keeps the same entries as objects of a compiled class whose time, priority and id are plain machine
numbers, in a heap of :mod:`caseflow.model.heap`, sifted as :mod:`heapq` sifts. Events are ordered by
(time, priority, id) exactly as SimPy orders them, and no two share an id, so they are popped in exactly
SimPy's order: results are identical. Run as plain Python (an editable install, or no C compiler), the
queue keeps SimPy's own tuples in :mod:`heapq` instead, whose C is faster there than any Python heap;
:func:`new_event_queue` chooses.

What the queue holds need not be a SimPy event: an :class:`Action` (a worker's processor-sharing timer,
three in four of a run's events) is scheduled with an event id like any event and fired by :meth:`step`
directly, without the dictionary, callback list and outcome a SimPy event carries. An action keeps its
heap entry and, once fired, is scheduled again with it rather than with a new one (3.3% of a 5-year
run's instructions, docs/performance.md).

It is also :meth:`caseflow.model.environment.Environment.schedule`, which SimPy calls for every event
(each timeout, each triggered event, each process start), and its ``step``; the environment installs
both on itself (:class:`~caseflow.model.environment.Environment` cannot be compiled, because it
subclasses SimPy's Python class). The module docstring of :mod:`caseflow.model.environment` says why
far-off events are held and why the order of events is unchanged by that either.
"""

from __future__ import annotations

import heapq
from typing import Final, TypeAlias, final

import simpy
from mypy_extensions import i64
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event, EventPriority

from caseflow.model.heap import Heap, Keyed
from caseflow.native import COMPILED

__all__ = ["Action", "EventQueue", "new_event_queue", "now_of", "queue_of"]

_NORMAL: Final = NORMAL
_URGENT: Final = URGENT
_INFINITY: Final = float("inf")
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


#: An event's ``order`` is its priority and id in one integer, ordered as the pair: (priority + 2) × 2⁵⁶ +
#: id (ids stay far below 2⁵⁶; SimPy's priorities are -1, 0 and 1).
_ID_BITS: Final = 56
_ID_MASK: Final = (1 << _ID_BITS) - 1
_NORMAL_ORDER: Final = (int(NORMAL) + 2) << _ID_BITS  # the order of a normal event with id 0


class Action:
    """Something the queue does itself when its time comes: scheduled like an event, but fired directly.

    An event is a SimPy object with a dictionary, a list of callbacks and an outcome, which
    :meth:`EventQueue.step` reads and clears one attribute at a time through the interpreter's generic
    machinery. Most of a run's events are workers' processor-sharing timers whose only callback is the
    worker's own: as an action, a timer is a compiled object the queue calls at once. It takes an event id
    as an event would (:meth:`EventQueue.act`), so the order of everything is unchanged. Nothing can wait
    for an action: code that others may wait for keeps SimPy events. A subclass calls this class's
    ``__init__``.
    """

    __slots__ = ("entry",)

    def __init__(self) -> None:
        # Its place in a compiled queue's heap, made at its first scheduling and set again for each next
        # one once it has fired (a worker's timer fires about 280,000 times a 5-year run): see
        # :meth:`_CompiledQueue.act`.
        self.entry: _Scheduled | None = None

    def fire(self) -> None:
        """Do what is due now (the queue has set the time)."""
        raise NotImplementedError


#: What the queue holds: SimPy events, and actions it fires itself. Declared an alias: where SimPy's
#: types are not installed (pip's isolated build on a fresh machine) ``Event`` is ``Any``, and without
#: the declaration mypyc took ``Entry`` for a variable and the build fell back to pure Python.
Entry: TypeAlias = Event | Action


@final
class _Scheduled(Keyed):
    """A queued event: SimPy's (time, priority, id, event) tuple, its time the ``key`` and its priority and
    id the ``order`` (see :mod:`caseflow.model.heap`)."""

    __slots__ = ("event",)

    def __init__(self, at: float, priority: int, eid: i64, event: Entry) -> None:
        self.key = at
        rank: i64 = priority + 2
        self.order = (rank << _ID_BITS) + eid
        # None once popped: an action's entry may then be set again, and holds no reference back to its
        # action (which holds it), so a dropped action is freed at once rather than by the collector
        self.event: Entry | None = event

    @property
    def priority(self) -> int:
        return (self.order >> _ID_BITS) - 2

    @property
    def eid(self) -> int:
        return self.order & _ID_MASK


class EventQueue:
    """An environment's pending events: a heap of those due within ``window`` days, the rest held.

    This class schedules, holds and steps; where the heap's entries live is its subclasses': compiled
    entries sifted by :mod:`caseflow.model.heap` (:class:`_CompiledQueue`), or SimPy's own tuples in
    :mod:`heapq` when the module runs as plain Python (:class:`_TupleQueue`, as fast there as SimPy
    itself). :func:`new_event_queue` gives the one that suits.
    """

    __slots__ = ("env", "held", "now", "scheduled", "window")

    def __init__(self, env: simpy.Environment, window: float) -> None:
        self.env = env
        # The current time, as a machine number: the environment's ``now``, which only :meth:`step` sets,
        # read by compiled code without a lookup in the environment's dictionary.
        self.now: float = env._now
        # Events scheduled so far, which is the next event's id: SimPy's counter, as a machine number (a
        # call of ``next`` on SimPy's ``itertools.count`` is a lookup of ``next`` and a generic call).
        self.scheduled: i64 = 0
        self.window = window
        # period → events due in it, waiting outside the heap as SimPy's (time, priority, id, event)
        self.held: dict[int, list[tuple[float, int, int, Entry]]] = {}

    def __call__(self, event: Entry, priority: EventPriority = _NORMAL, delay: float = 0.0) -> None:
        """Schedule ``event`` ``delay`` after now with ``priority``, as ``Environment.schedule`` does."""
        at = self.now + delay
        eid = self.scheduled
        self.scheduled = eid + 1
        window = self.window
        if delay <= window or priority != _NORMAL:
            self._push(at, priority, eid, event)
            return
        period = int(at // window)
        bucket = self.held.get(period)
        if bucket is not None:
            bucket.append((at, priority, eid, event))
            return
        self.held[period] = [(at, priority, eid, event)]
        # The period begins after now (at > now + window), and its release comes before anything else
        # due at that instant (URGENT), so no held event can fall due before it is in the heap.
        env = self.env
        release = simpy.Event(env)
        release._ok = True
        release._value = None
        release.callbacks.append(_Release(self, period))
        start = max(period * window, self.now)  # (never before now, whatever the rounding)
        eid = self.scheduled
        self.scheduled = eid + 1
        self._push(start, _URGENT, eid, release)

    def act(self, action: Action, delay: float) -> None:
        """Fire ``action`` ``delay`` after now, where a timeout of that delay would have been processed (the
        same event id and normal priority: the order of events is unchanged)."""
        self(action, _NORMAL, delay)

    def release(self, period: int) -> None:
        """Move the events held for ``period`` into the heap (its release event calls this)."""
        for at, priority, eid, event in self.held.pop(period):
            self._push(at, priority, eid, event)

    def step(self) -> None:
        """Process the next event as :meth:`simpy.Environment.step` does, from this heap.

        An :class:`Action` (a worker's timer, the contact arrivals) is fired directly: its ``fire``
        runs, with no callbacks to call and no outcome to check.

        One difference: when a callback stops the run, the callbacks still to come are those after its
        position, where SimPy looks the callback up with ``list.index`` (the first of equal ones).
        """
        try:
            event = self._pop()
        except IndexError:
            raise EmptySchedule from None
        self.env._now = self.now
        if isinstance(event, Action):
            event.fire()
            return
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

    # ------------------------------------------------------------------ the heap, kept by a subclass
    def _push(self, at: float, priority: int, eid: i64, event: Entry) -> None:
        """Put ``event`` in the heap, due ``at`` with ``priority`` and id ``eid``."""
        raise NotImplementedError

    def _pop(self) -> Entry:
        """Take the first event out of the heap and set :attr:`now` to its time (``IndexError`` if none)."""
        raise NotImplementedError

    def peek(self) -> float:
        """The time of the next event in the heap (infinity if none): :meth:`simpy.Environment.peek`."""
        raise NotImplementedError

    def entries(self) -> list[tuple[float, int, int, Entry]]:
        """The events in the heap, as SimPy's ``(time, priority, id, event)`` tuples, in heap order."""
        raise NotImplementedError

    def next_event(self) -> Entry | None:
        """The event :meth:`step` would process next (``None`` if the heap is empty)."""
        raise NotImplementedError


@final
class _CompiledQueue(EventQueue):
    """The heap as compiled entries (:class:`_Scheduled`) in a :class:`~caseflow.model.heap.Heap`."""

    __slots__ = ("heap",)

    def __init__(self, env: simpy.Environment, window: float) -> None:
        super().__init__(env, window)
        self.heap: Heap[_Scheduled] = Heap()

    def _push(self, at: float, priority: int, eid: i64, event: Entry) -> None:
        self.heap.push(_Scheduled(at, priority, eid, event))

    def act(self, action: Action, delay: float) -> None:
        """:meth:`EventQueue.act`, with the action's own heap entry set again rather than a new one made
        (unless the action is waiting already, or falls beyond the window and is held: then as any event).
        The entry's time, priority and id are those a new one's would be: the order of events is unchanged
        (bit-identical)."""
        entry = action.entry
        if delay > self.window or (entry is not None and entry.event is not None):
            self(action, _NORMAL, delay)
            return
        eid = self.scheduled
        self.scheduled = eid + 1
        at = self.now + delay
        if entry is None:
            action.entry = entry = _Scheduled(at, _NORMAL, eid, action)
        else:
            entry.key = at
            entry.order = _NORMAL_ORDER + eid
            entry.event = action
        self.heap.push(entry)

    def _pop(self) -> Entry:
        entry = self.heap.pop()
        self.now = entry.key
        event = entry.event
        entry.event = None
        assert event is not None  # (every entry in the heap has its event)
        return event

    def peek(self) -> float:
        first = self.heap.first()
        return first.key if first is not None else _INFINITY

    def entries(self) -> list[tuple[float, int, int, Entry]]:
        out: list[tuple[float, int, int, Entry]] = []
        for e in self.heap.entries():
            event = e.event
            assert event is not None  # (every entry in the heap has its event)
            out.append((e.key, e.priority, e.eid, event))
        return out

    def next_event(self) -> Entry | None:
        first = self.heap.first()
        return first.event if first is not None else None


@final
class _TupleQueue(EventQueue):
    """The heap as SimPy keeps it, ``(time, priority, id, event)`` tuples in :mod:`heapq`: faster than
    :class:`_CompiledQueue` when this module runs as plain Python."""

    __slots__ = ("tuples",)

    def __init__(self, env: simpy.Environment, window: float) -> None:
        super().__init__(env, window)
        self.tuples: list[tuple[float, int, int, Entry]] = []

    def _push(self, at: float, priority: int, eid: i64, event: Entry) -> None:
        _heappush(self.tuples, (at, priority, eid, event))

    def _pop(self) -> Entry:
        self.now, _, _, event = _heappop(self.tuples)
        return event

    def peek(self) -> float:
        tuples = self.tuples
        return tuples[0][0] if tuples else _INFINITY

    def entries(self) -> list[tuple[float, int, int, Entry]]:
        return list(self.tuples)

    def next_event(self) -> Entry | None:
        tuples = self.tuples
        return tuples[0][3] if tuples else None


def new_event_queue(env: simpy.Environment, window: float, compiled: bool = COMPILED) -> EventQueue:
    """An empty queue for ``env``: compiled entries when this module is compiled, SimPy's tuples when it
    is not (``compiled`` chooses); the two schedule and step alike, in exactly SimPy's order."""
    return _CompiledQueue(env, window) if compiled else _TupleQueue(env, window)


def queue_of(env: simpy.Environment) -> EventQueue | None:
    """``env``'s compiled queue, whose ``now`` compiled code reads directly, or ``None`` for SimPy's own
    environment (whose time is only in its dictionary)."""
    queue = getattr(env, "_events", None)
    return queue if isinstance(queue, EventQueue) else None


def now_of(queue: EventQueue | None, env: simpy.Environment) -> float:
    """The current time: read from ``queue`` (see :func:`queue_of`) if there is one, else from ``env``."""
    return queue.now if queue is not None else float(env.now)


class _Release:
    """The callback of a period's release event."""

    __slots__ = ("period", "queue")

    def __init__(self, queue: EventQueue, period: int) -> None:
        self.queue = queue
        self.period = period

    def __call__(self, _event: Event) -> None:
        self.queue.release(self.period)
