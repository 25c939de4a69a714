"""How long statutory work takes: the seam between the pathway and the workforce.

The pathway never decides how long work takes. It asks a :class:`Capacity` to *perform* a task for a
family, and waits. Here, :class:`SampledDurations` draws each task's duration in working days from the
scenario's published distributions. The workforce model replaces it with one in which the time emerges
from finite social-worker hours, without changing the pathway.
"""

from __future__ import annotations

from collections.abc import Generator
from enum import StrEnum
from typing import Any, Protocol

import simpy
from mypy_extensions import mypyc_attr

from caseflow.calendar import Calendar
from caseflow.distributions import BandedSampler
from caseflow.model.entities import Child
from caseflow.scenario.schema import Scenario
from caseflow.streams import Streams

__all__ = ["Capacity", "SampledDurations", "Task", "finish_time"]


def finish_time(calendar: Calendar, since: float, working_days: float) -> float:
    """``calendar.complete_after(since, working_days)``; if that is after the calendar ends, the end of the
    calendar, which is after the end of the run (it is built years longer), so the work is simply not
    finished within the run. (A scaled duration can be decades of working days.) ``since`` before the
    calendar starts is still an error.
    """
    try:
        return calendar.complete_after(since, working_days)
    except IndexError:
        if since < -calendar.lead_days:
            raise
        return float(calendar.days)


class Task(StrEnum):
    """Units of statutory work a stage asks a team to do.

    The first six are waited for (:meth:`Capacity.perform`); the rest are scheduled and not waited for
    (:meth:`Capacity.add_work`). Members equal their string values, so ``"cp_review"`` names
    ``Task.CP_REVIEW`` too. With the workforce on, each task's hours, weight and floor are a row of
    :data:`caseflow.model.workforce.work.WORK`.
    """

    FRONT_DOOR_DECISION = "front_door_decision"
    MASH_SCREENING = "mash_screening"
    ASSESSMENT = "assessment"
    STRATEGY_DISCUSSION = "strategy_discussion"
    S47_ENQUIRY = "s47_enquiry"
    ICPC = "icpc"
    CP_REVIEW = "cp_review"  # a review child protection conference
    COURT_WORK = "court_work"  # care proceedings: statements and hearings (without [court])
    PRE_PROCEEDINGS = "pre_proceedings"  # PLO: letter before proceedings, meetings, assessments
    COURT_ISSUE = "court_issue"  # care proceedings: application, statement and care plan
    COURT_FINAL = "court_final"  # care proceedings: final evidence and hearings


class Capacity(Protocol):
    """Something that does statutory work, and knows which team holds each child's case."""

    def perform(
        self, task: Task, kids: list[Child], since: float, *, working_days: float | None = None
    ) -> Generator[simpy.Event, Any, float]:
        """Do ``task`` for ``kids`` whose clock started at ``since``; return the completion time.

        ``working_days``, when given, is how long the work takes from ``since`` (used to resume the
        opening caseload's work in progress); otherwise the capacity decides.
        """
        ...

    def assign(self, kids: list[Child], activity: str, *, urgent: bool = False) -> None:
        """``kids`` now need a worker for ``activity`` (assessment, cin_plan, cp_plan, …)."""
        ...

    def release(self, kids: list[Child]) -> None:
        """``kids`` no longer need a social worker."""
        ...

    def add_work(self, kids: list[Child], task: Task | str) -> None:
        """Work the pathway schedules but does not wait for (``Task.CP_REVIEW``, ``Task.COURT_WORK``)."""
        ...


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class SampledDurations:
    """Work takes a sampled number of working days from its clock start; capacity is unlimited."""

    def __init__(
        self, env: simpy.Environment, calendar: Calendar, scenario: Scenario, streams: Streams
    ) -> None:
        self.env = env
        self.calendar = calendar
        s = scenario
        self._samplers = {
            Task.FRONT_DOOR_DECISION: BandedSampler(s.front_door.decision_wd),
            Task.MASH_SCREENING: BandedSampler(s.mash.screening_wd),
            Task.ASSESSMENT: BandedSampler(s.assessment.duration_wd),
            Task.STRATEGY_DISCUSSION: BandedSampler(s.s47.strategy_discussion_wd),
            Task.S47_ENQUIRY: BandedSampler(s.s47.enquiry_wd),
            Task.ICPC: BandedSampler(s.s47.to_icpc_wd),
        }
        # a stream for each task with a published duration (not for work nobody waits for)
        self._streams = {task: streams[f"duration.{task.value}"] for task in self._samplers}

    def sample_working_days(self, task: Task) -> float:
        return self._samplers[task].sample(self._streams[task])

    def assign(self, kids: list[Child], activity: str, *, urgent: bool = False) -> None:
        """Capacity is unlimited: nothing to allocate."""

    def release(self, kids: list[Child]) -> None:
        """Capacity is unlimited: nothing to release."""

    def add_work(self, kids: list[Child], task: Task | str) -> None:
        """Capacity is unlimited: the work takes no one's time."""

    def perform(
        self, task: Task, kids: list[Child], since: float, *, working_days: float | None = None
    ) -> Generator[simpy.Event, Any, float]:
        wd = self.sample_working_days(task) if working_days is None else working_days
        done = finish_time(self.calendar, since, wd)
        now = self.env.now
        if done > now:
            yield self.env.timeout(done - now)
            return done
        return now
