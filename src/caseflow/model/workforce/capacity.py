"""The workforce as the pathway's capacity: statutory work done by finite social-worker time.

:class:`Workforce` implements :class:`caseflow.model.capacity.Capacity`. The pathway tells it which
team each child's case belongs to (``assign``/``release``) and asks it to ``perform`` statutory tasks;
recurring work — visits, core groups, reviews — is generated from each case's activity. Every piece of
work costs hours of a particular worker's time (:mod:`caseflow.model.workforce.worker`), so
timeliness, caseloads and unallocated work emerge from demand meeting capacity; nothing about them is
sampled directly.

This module only wires the parts, each in its own module:

- :mod:`~caseflow.model.workforce.staffing`: posts, hires, leavers, agency cover, sickness, ASYE,
  ramp-up;
- :mod:`~caseflow.model.workforce.caseholding`: cases, their allocation and transfers, each child's
  continuity, and whose desk each piece of work goes to;
- :mod:`~caseflow.model.workforce.work`: each task's hours, weight and floor (a table), and doing it;
- :mod:`~caseflow.model.workforce.schedule`: recurring visits and meetings by activity (a table);
- :mod:`~caseflow.model.workforce.changes`: time-phased changes, from ``[[workforce.changes]]`` and
  from scenario-level changes alike;
- :mod:`~caseflow.model.workforce.measures`: the month-end snapshot and FTE-days for costs.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from mypy_extensions import mypyc_attr

from caseflow.calendar import Calendar
from caseflow.model.capacity import SampledDurations, Task
from caseflow.model.entities import Child
from caseflow.model.workforce.allocation import get_policy
from caseflow.model.workforce.caseholding import ACTIVITY_PRIORITY, CaseHolding
from caseflow.model.workforce.changes import CHANGE_OFFSET, WorkforceChanges, from_scenarios
from caseflow.model.workforce.feedback import WorkloadFeedback
from caseflow.model.workforce.measures import FteAccount, snapshot
from caseflow.model.workforce.schedule import Schedule
from caseflow.model.workforce.staffing import Staffing, hours_per_working_day
from caseflow.model.workforce.team import Team
from caseflow.model.workforce.work import Work
from caseflow.records import Recorder
from caseflow.scenario.schema import Scenario
from caseflow.streams import Streams

__all__ = ["ACTIVITY_PRIORITY", "CHANGE_OFFSET", "Workforce", "hours_per_working_day"]


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class Workforce:
    """Teams of social workers doing the pathway's work (a :class:`~caseflow.model.capacity.Capacity`)."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        scenario: Scenario,
        streams: Streams,
        recorder: Recorder,
    ) -> None:
        wf = scenario.workforce
        if wf is None:
            raise ValueError("scenario has no [workforce] section")
        self.env = env
        self.cal = calendar
        self.s = scenario
        self.wf = wf
        self.rec = recorder
        self._streams = streams
        floors = SampledDurations(env, calendar, scenario, streams)
        r_hours = streams["workforce.hours"]
        r_sick = streams["workforce.sickness"]
        r_opening = streams["workforce.opening"]
        r_visits = streams["workforce.visits"]
        r_posts = streams["workforce.posts"]
        self.teams: dict[str, Team] = {}
        policy = get_policy(wf.allocation_policy)
        for name, tp in wf.teams.items():
            self.teams[name] = Team(
                name,
                soft_cap=tp.soft_cap,
                hard_cap=tp.hard_cap,
                case_holding=tp.case_holding,
                policy=policy,
                nqsw_caseload_factor=wf.time.nqsw_caseload_factor,
            )
        self.fte = FteAccount(env)
        self.holding = CaseHolding(env, calendar, wf, recorder, self.teams)
        self.work = Work(
            env,
            calendar,
            wf,
            recorder,
            floors,
            self.holding,
            r_hours,
            hours_may_change=any(
                c.field == "workforce" or c.field.startswith("workforce.hours") for c in scenario.changes
            ),
        )
        self.schedule = Schedule(env, calendar, wf, recorder, r_visits, self.holding.give)
        self.staffing = Staffing(
            env,
            calendar,
            wf,
            recorder,
            self.teams,
            self.holding,
            self.fte,
            r_sick=r_sick,
            r_opening=r_opening,
            r_posts=r_posts,
            sickness_may_change=any(c.field.startswith("workforce.dynamics") for c in scenario.changes),
        )
        self.changes = WorkforceChanges(env, calendar, recorder, self.teams, self.staffing, self.holding)
        self.feedback = WorkloadFeedback(recorder)
        self.staffing.supernumerary_stream = lambda: streams["workforce.supernumerary"]
        self.staffing.turnover_multiplier = self.feedback.turnover  # one dict: the leaving clocks read it
        # each child's open case (the same dictionary as the case holding's)
        self.case_of = self.holding.case_of

        for name, tp in wf.teams.items():
            self.staffing.open_posts(self.teams[name], tp)
        self.changes.schedule(wf.changes)
        if wf.dynamics.case_transfer_rate > 0 or any(
            c.field.startswith("workforce.dynamics.case_transfer_rate") for c in scenario.changes
        ):
            self.holding.start_transfers(streams)

    @property
    def floors(self) -> SampledDurations:
        """The published task durations that floors are drawn from (and used when no team holds a case)."""
        return self.work.floors

    # ================================================================ Capacity protocol
    def perform(
        self, task: Task, kids: list[Child], since: float, *, working_days: float | None = None
    ) -> Generator[simpy.Event, Any, float]:
        """Do ``task`` for ``kids`` whose clock started at ``since``; return the completion time."""
        return self.work.perform(task, kids, since, working_days=working_days)

    def add_work(self, kids: list[Child], task: Task | str) -> None:
        """Work that the pathway schedules but does not wait for (e.g. a CP review conference)."""
        self.work.add_work(kids, task)

    def assign(self, kids: list[Child], activity: str, *, urgent: bool = False) -> None:
        """``kids`` now need a worker from the team handling ``activity`` (same worker if same team)."""
        case = self.holding.assign(kids, activity, urgent=urgent)
        if case is not None:
            self.schedule.start(case)

    def release(self, kids: list[Child]) -> None:
        """``kids`` no longer need a social worker (case closed, stepped down, left care or turned 18)."""
        self.holding.release(kids)

    # ================================================================ measures
    def snapshot(self, month: int, month_days: float, cla_children: list[Child]) -> None:
        """Workforce stocks at a month end (DfE CSWW definitions, at the period end); then, with workload
        feedback on, the teams' hours and turnover for the month ahead."""
        snapshot(self.rec, self.env.now, self.teams, month, month_days, cla_children)
        if self.wf.feedback.enabled:
            self.feedback.month_end(month, self.teams, self.wf.teams, self.wf.feedback)

    def take_fte_area(self) -> dict[str, float]:
        """FTE-days in post by pay category (experienced, nqsw, non_case, agency) since the last call."""
        return self.fte.take()

    # ================================================================ time-phased changes
    def update(self, scenario: Scenario) -> None:
        """A time-phased change of the whole scenario: apply what differs in the workforce."""
        new = scenario.workforce
        if new is None:
            return
        old = self.wf
        self.s = scenario
        self.wf = new
        floors = SampledDurations(self.env, self.cal, scenario, self._streams)
        self.holding.use(new)
        self.work.use(new, floors)
        self.schedule.use(new)
        self.staffing.use(new)
        self.changes.apply(from_scenarios(old, new))
