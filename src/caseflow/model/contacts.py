"""New-concern contacts coming in at their drawn times: the run's arrival process (compiled).

:func:`caseflow.model.arrivals.draw_arrivals` draws every contact's time and source before the run. At
each of those times a new family is sampled and its contact begins at the front door
(the entry registered for ``"contact"``, :meth:`~caseflow.model.pathway.Pathway.entry`, started by
:meth:`~caseflow.model.pathway.Pathway.begin`).

That loop was a SimPy process: a generator in the interpreter, resumed by a timeout at each of the run's
eighty thousand or so contacts. :class:`ContactArrivals` is an :class:`~caseflow.model.event_queue.Action`
instead, which the queue fires at each contact's time. It takes the event ids the process took (its start,
urgent, when the run is set up; one per contact; its end, after the last), so every event keeps its place
in the order of events and results are identical (``scripts/fingerprint.py``). In SimPy's own
environment, which fires no actions, it runs as that process.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, Final, final

import simpy
from mypy_extensions import i64
from simpy.events import URGENT

from caseflow.model.event_queue import Action, queue_of
from caseflow.model.pathway import Pathway
from caseflow.scenario.schema import Scenario

__all__ = ["ContactArrivals"]

_URGENT: Final = URGENT


@final
class _Nothing(Action):
    """An action that does nothing: where the process's end took its event id."""

    __slots__ = ()

    def fire(self) -> None:
        return None


@final
class ContactArrivals(Action):
    """At each time in ``times``, a new family's contact from source ``names[sources[k]]``.

    Each source's share passed to MASH is read from the scenario in force, again after a time-phased
    change has replaced it.
    """

    __slots__ = (
        "_in_force",
        "_k",
        "_names",
        "_pathway",
        "_queue",
        "_sources",
        "_started",
        "_times",
        "_to_mash",
    )

    def __init__(
        self, pathway: Pathway, times: list[float], sources: list[int], names: Sequence[str]
    ) -> None:
        super().__init__()
        self._queue = queue_of(pathway.env)  # None: SimPy's own environment, where a process does this
        self._pathway = pathway
        self._times = times
        self._sources = sources
        self._names = list(names)
        self._k: i64 = 0  # contacts begun so far
        self._started = False
        self._in_force: Scenario | None = None
        self._to_mash: list[float] = []

    def start(self) -> None:
        """Begin now, as a process started now would: urgently, ahead of everything else due now."""
        queue = self._queue
        if queue is None:
            self._pathway.env.process(self._as_process())
        else:
            queue(self, _URGENT, 0.0)

    def fire(self) -> None:
        queue = self._queue
        assert queue is not None
        if self._started:
            self._arrive(self._k)
            self._k += 1
        else:
            self._started = True
        k = self._k
        if k < len(self._times):
            queue.act(self, self._times[k] - queue.now)
        else:
            queue.act(_Nothing(), 0.0)

    def _as_process(self) -> Generator[simpy.Event, Any, None]:
        """The same, as a SimPy process (in SimPy's own environment, which fires no actions)."""
        env = self._pathway.env
        for k in range(len(self._times)):
            yield env.timeout(self._times[k] - env.now)
            self._arrive(k)

    def _arrive(self, k: i64) -> None:
        """The ``k``-th contact, due now."""
        pathway = self._pathway
        family = pathway.families.sample_family(self._times[k])
        if pathway.s is not self._in_force:
            # each source's share passed to MASH, again when a time-phased change has altered it
            in_force = pathway.s
            self._in_force = in_force
            self._to_mash = [in_force.demand.sources[name].to_mash for name in self._names]
        i = self._sources[k]
        name = self._names[i]
        pathway.begin(pathway.entry("contact")(family, self._to_mash[i], source=name))
