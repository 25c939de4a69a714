"""A family's journey as a *flow*: a stage process that nobody waits for, run without SimPy's process
events.

Every contact starts a journey (front door, and for some a referral, an assessment, a plan…) written as
a generator, like any SimPy process. A :class:`simpy.Process` costs two events that do nothing for a
contact: one to start it (at once, ahead of everything else due at that instant) and one when it ends
(for whoever waits for it, and nobody waits for a contact). Most contacts end at the front door, so
these were a fifth of all the events of a replication (docs/performance.md). A :class:`Flow` runs the
same generator, starting it at once, in the caller, and letting it end silently. While it runs it
waits for events exactly as a process does (timeouts, finished work), with the same handling of failed
events.

What a flow cannot do that a process can: be waited for, be interrupted, or be seen as
``env.active_process``. A stage that needs those (a care episode, which a court's order interrupts)
starts a process with ``env.process`` as before. A flow is started only where nothing is half done:
from the arrivals, or for a family coming back later (its first step is a wait).

A flow drives its journey through :func:`_driven`, which hands on every value and exception with ``yield
from`` and says the journey has ended by yielding :data:`_END`, rather than letting ``send`` raise
``StopIteration`` at the flow. Compiled, an exception raised at a call costs a traceback entry (a code
object and a frame made for it) before the ``except`` can catch it, and most journeys end in the flow:
3.4% of a replication's time (docs/performance.md). ``yield from`` learns that the journey has returned
without an exception (``PyIter_Send``), and the driver, left waiting at its last ``yield``, is dropped.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

import simpy

__all__ = ["Flow"]

_MISSING: Final[Any] = object()  # what getattr gives for an object without callbacks (not an event)
_END: Final[Any] = object()  # what the driver yields when the journey has ended


def _driven(journey: Generator[simpy.Event, Any, None]) -> Generator[Any, Any, None]:
    """``journey``, then :data:`_END`: the same events, values and exceptions, and an end that raises
    nothing (see the module's docstring)."""
    yield from journey
    yield _END


class Flow:
    """Run ``generator`` as a process nobody waits for: its first step now, in the caller."""

    __slots__ = ("_generator",)

    def __init__(self, generator: Generator[simpy.Event, Any, None]) -> None:
        self._generator = _driven(generator)
        self._run(None, None)

    def __call__(self, event: simpy.Event) -> None:
        """Resume the journey with ``event``'s outcome: the flow itself is the callback of the event it
        waits for (a bound method would be a new object at every wait)."""
        if event._ok:
            self._run(event._value, None)
        else:
            self._run(None, _failure(event))

    def _run(self, value: Any, exc: BaseException | None) -> None:
        generator = self._generator
        while True:
            event = generator.send(value) if exc is None else generator.throw(exc)
            if event is _END:
                return
            callbacks = getattr(event, "callbacks", _MISSING)
            if callbacks is _MISSING:
                raise RuntimeError(f"a flow yielded {event!r}, which is not a SimPy event")
            if callbacks is not None:  # not yet processed: resume when it is
                callbacks.append(self)
                return
            # already processed: carry on at once, as a process would
            if event._ok:
                value, exc = event._value, None
            else:
                value, exc = None, _failure(event)


def _failure(event: simpy.Event) -> BaseException:
    """What a failed, processed ``event`` passes on (as simpy.Process does): a copy of its failure for the
    flow to handle or fail with, the event being defused."""
    event._defused = True
    cause = event._value
    exc: BaseException = type(cause)(*cause.args)
    exc.__cause__ = cause
    return exc
