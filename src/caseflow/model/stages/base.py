"""What every stage module is: a group of stage processes that registers the outcomes it handles.

A stage group (front door, assessment, child protection, …) owns its parameters' samplers and its
SimPy processes. It never calls another group directly: when one of its children's episodes ends with
an outcome (``"cin_plan"``, ``"s47"``, ``"looked_after"``, ``"closure"``…), it hands the family to
:meth:`Pathway.route <caseflow.model.pathway.Pathway.route>`, which finds the group registered for
that outcome. So a new stage is one module (a :class:`StageGroup`), one registration (a name in
:meth:`StageGroup.routes`) and one outcome in its predecessor's branch.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import simpy
from mypy_extensions import mypyc_attr

from caseflow.distributions import BandedSampler
from caseflow.model.entities import Activity, Child, Family, Stage
from caseflow.model.event_queue import queue_of
from caseflow.scenario.schema import Scenario

if TYPE_CHECKING:
    from caseflow.model.pathway import Pathway

__all__ = ["Entry", "Proc", "StageGroup"]

Proc = Generator[simpy.Event, Any, None]
#: How a stage is entered: a generator function whose first argument is the family (processes that
#: end at once, such as starting one care episode per child, simply return without yielding).
Entry = Callable[..., Proc]


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class StageGroup:
    """Base class of a stage module: a name, samplers compiled from the scenario, and entries."""

    #: unique name of the group (``"child_protection"``)
    name: str = ""

    def __init__(self, pathway: Pathway) -> None:
        self.pathway = pathway
        self.env = pathway.env
        self._queue = queue_of(pathway.env)  # where compiled code reads the time (event_queue.now_of)
        self.cal = pathway.cal
        self.rec = pathway.rec
        self.capacity = pathway.capacity
        self.census = pathway.census
        self.s = pathway.s
        self.compile(pathway.s)

    def compile(self, scenario: Scenario) -> None:
        """Build the group's samplers from the scenario in force (again when a change applies, at the
        time of the change: levels integrated over time are set here)."""
        self.s = scenario

    def routes(self) -> Mapping[str, Entry]:
        """The outcomes this group handles, each with the process that starts it."""
        return {}

    def begin_plan(
        self,
        family: Family,
        kids: list[Child],
        plan: tuple[Stage, Activity, BandedSampler],
        started: float,
        duration: float | None,
    ) -> float:
        """Put ``kids`` on a plan (their stage, the team's activity, its length sampler) that started at
        ``started`` (earlier than now for the opening caseload); returns its length, drawn from the
        family's draws unless given. Children who turn 18 first leave on their birthday."""
        stage, activity, length = plan
        if duration is None:
            duration = length.sample(family)
        self.pathway.move(kids, stage)
        for c in kids:
            c.since = started
        self.capacity.assign(kids, activity)
        self.pathway.age_out_before(kids, started + duration)
        return duration

    def arrivals(self, horizon: float) -> Proc | None:
        """A process bringing children into this stage from outside the pathway (unaccompanied
        children, unborn babies), run until ``horizon``; None if the group has none."""
        return None
