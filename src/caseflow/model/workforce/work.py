"""Work: what each statutory task costs a worker, as a table, and doing it.

:data:`WORK` has one row per :class:`~caseflow.model.capacity.Task`: its hours per family (fields of
``[workforce.hours]``, summed; more for each further child, :func:`family_hours`), the weight it gets
in its worker's time (a field of ``[workforce.weights]``), and its *floor* — elapsed time that does
not depend on the worker (:class:`Floor`). :class:`Work` does a task: :meth:`Work.perform` for work
a stage waits for, :meth:`Work.add_work` for work it only schedules. Adding a task is one
:class:`~caseflow.model.capacity.Task` member and one row here (and its hours in the schema).

Front-door tasks (``pool=True``) are done by whoever is free in the front-door team; every other task
is done by the worker holding the family's case, or waits for one with the case.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import simpy

from caseflow.calendar import Calendar
from caseflow.model.capacity import SampledDurations, Task, finish_time
from caseflow.model.entities import Child
from caseflow.model.event_queue import now_of, queue_of
from caseflow.model.workforce.caseholding import CaseHolding
from caseflow.model.workforce.worker import WorkItem
from caseflow.records import Recorder
from caseflow.scenario.workforce_schema import WorkforceParams
from caseflow.streams import GammaDraws, Stream

__all__ = ["WORK", "Floor", "TaskWork", "Work", "family_hours"]


class Floor(StrEnum):
    """What a task waits for besides its worker's hours: it completes at the later of the two."""

    NONE = "none"
    """Nothing: the worker's hours alone (for case work, no earlier than the clock start's day)."""
    EXTERNAL = "external"
    """A scaled draw of the task's published duration (``time.external_time_scale`` × a draw of the
    scenario's distribution, clocked as DfE clocks it), drawn when the work is handed out: partner
    agencies' information, the family's availability."""
    EXTERNAL_ON_FINISH = "external_on_finish"
    """The same, drawn when the worker has finished (MASH screening)."""
    BOOKED = "booked"
    """A meeting booked for a date drawn from the published duration (not scaled); if the worker's
    part is not done by then, it is rebooked ``dynamics.icpc_rebook_wd`` working days after it is."""


@dataclass(frozen=True, slots=True)
class TaskWork:
    """One task's row of :data:`WORK`."""

    hours: tuple[str, ...]
    """Fields of ``[workforce.hours]`` whose sum is the hours per family."""
    weight: str
    """The field of ``[workforce.weights]`` that is the task's share of its worker's time."""
    floor: Floor = Floor.NONE
    pool: bool = False
    """Front-door work, done by the team pool (no case is held)."""
    hours_cv: str | None = None
    """A field of ``[workforce.hours]``: the hours are gamma-distributed with this coefficient of
    variation (else fixed)."""
    resumable: bool = False
    """May be resumed part-done with a given duration (the opening caseload's work in progress)."""


#: Each task's hours, weight and floor (docs/workforce.md §2).
WORK: Final[dict[Task, TaskWork]] = {
    Task.FRONT_DOOR_DECISION: TaskWork(("contact_decision",), "other", pool=True),
    Task.MASH_SCREENING: TaskWork(("mash_screening",), "other", Floor.EXTERNAL_ON_FINISH, pool=True),
    Task.ASSESSMENT: TaskWork(
        ("assessment",), "assessment", Floor.EXTERNAL, hours_cv="assessment_cv", resumable=True
    ),
    Task.STRATEGY_DISCUSSION: TaskWork(("strategy_discussion",), "child_protection"),
    Task.S47_ENQUIRY: TaskWork(("s47_enquiry",), "child_protection", Floor.EXTERNAL),
    # the enquiry and the conference report, then the conference itself
    Task.ICPC: TaskWork(("s47_enquiry", "icpc_report"), "child_protection", Floor.BOOKED),
    Task.CP_REVIEW: TaskWork(("cp_review",), "other"),
    Task.COURT_WORK: TaskWork(("court_work",), "other"),
    Task.PRE_PROCEEDINGS: TaskWork(("pre_proceedings",), "child_protection"),
    Task.COURT_ISSUE: TaskWork(("court_issue",), "child_protection"),
    Task.COURT_FINAL: TaskWork(("court_final",), "child_protection"),
}


def family_hours(base: float, n: int, per_extra_child: float) -> float:
    """Hours of work for a family of ``n`` children whose first child's work takes ``base`` hours."""
    return base * (1.0 + per_extra_child * max(n - 1, 0))


@dataclass(frozen=True, slots=True)
class _Row:
    """A row of :data:`WORK` with the parameters in force read into numbers."""

    kind: str  # the work item's kind: the task's value
    tally: str  # the tally of working days from clock start to the worker's finish
    base: float
    weight: float
    cv: float
    floor: Floor
    pool: bool
    resumable: bool


def _rows(wf: WorkforceParams, table: Mapping[Task, TaskWork]) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    for task, tw in table.items():
        if tw.pool and tw.floor is Floor.BOOKED:
            raise ValueError(f"{task}: front-door (pool) work cannot be booked")
        base: float = getattr(wf.hours, tw.hours[0])
        for name in tw.hours[1:]:
            base += getattr(wf.hours, name)
        cv = 0.0 if tw.hours_cv is None else float(getattr(wf.hours, tw.hours_cv))
        weight = float(getattr(wf.weights, tw.weight))
        value = task.value
        rows[value] = _Row(value, f"work_wd_{value}", base, weight, cv, tw.floor, tw.pool, tw.resumable)
    return rows


class Work:
    """Does the tasks of :data:`WORK` with workers' time (the workforce's ``perform`` and ``add_work``)."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        wf: WorkforceParams,
        recorder: Recorder,
        floors: SampledDurations,
        holding: CaseHolding,
        r_hours: Stream,
        table: Mapping[Task, TaskWork] = WORK,
        *,
        hours_may_change: bool = True,
    ) -> None:
        self.env = env
        self._queue = queue_of(env)  # where compiled code reads the time (None: SimPy's own environment)
        self.cal = calendar
        self.rec = recorder
        self.holding = holding
        self.case_of = holding.case_of
        self._r_hours = r_hours
        self._table = table
        # Gamma-distributed hours (the assessment's): drawn in blocks when every such task has one shape
        # for the whole run (no change of ``workforce.hours`` is scheduled), one at a time otherwise. The
        # same numbers either way (:class:`~caseflow.streams.GammaDraws`; bit-identical).
        self._hours_may_change = hours_may_change
        self._gammas: GammaDraws | None = None
        self.use(wf, floors)

    def use(self, wf: WorkforceParams, floors: SampledDurations) -> None:
        """Work to the parameters ``wf`` (and published durations ``floors``) from now on."""
        self.wf = wf
        self.floors = floors
        self._rows = _rows(wf, self._table)
        shapes = {1.0 / (r.cv * r.cv) for r in self._rows.values() if r.cv > 0}
        shape = shapes.pop() if len(shapes) == 1 else None
        if self._hours_may_change or shape is None or shape == 1.0:
            self._gammas = None
        elif self._gammas is None or self._gammas.shape != shape:
            self._gammas = GammaDraws(self._r_hours, shape)
        # Read for every piece of work: plain numbers, not lookups in the parameters' models.
        self._per_extra_child = wf.hours.per_extra_child
        self._external_time_scale = wf.time.external_time_scale

    def external_wd(self, task: Task) -> float:
        """Working days a task needs whatever the worker does (a scaled draw of its published duration)."""
        return self.floors.sample_working_days(task) * self._external_time_scale

    def add_work(self, kids: list[Child], task: Task | str) -> None:
        """Work that the pathway schedules but does not wait for (e.g. a CP review conference)."""
        case = next((c for k in kids if (c := self.case_of.get(k.id)) is not None), None)
        if case is None:
            return
        row = self._rows[task]
        hours = family_hours(row.base, case.n, self._per_extra_child)
        self.holding.give(case, WorkItem(self.env, row.kind, hours, row.weight, case))

    def perform(
        self, task: Task, kids: list[Child], since: float, *, working_days: float | None = None
    ) -> Generator[simpy.Event, Any, float]:
        """Do ``task`` for ``kids`` whose clock started at ``since``; return the completion time."""
        env, cal, queue = self.env, self.cal, self._queue
        row = self._rows[task]
        n = len(kids)
        floor = row.floor
        if row.pool:
            wd_pool = self.external_wd(task) if floor is Floor.EXTERNAL else None
            hours = family_hours(row.base, n, self._per_extra_child)
            item = WorkItem(env, row.kind, hours, row.weight, None)
            self.holding.pool_add(self.holding.front_door, item)
            done: float = yield item.event
            if floor is Floor.EXTERNAL_ON_FINISH:
                wd_pool = self.external_wd(task)
            if wd_pool is not None:
                at = finish_time(cal, since, wd_pool)
                now = now_of(queue, env)
                if at > now:
                    yield env.timeout(at - now)
                    return at
            return done
        case = self.case_of.get(kids[0].id) if kids else None
        if case is None:  # not held by any team (should not happen): fall back to sampled time
            return (yield from self.floors.perform(task, kids, since, working_days=working_days))
        hours = family_hours(row.base, n, self._per_extra_child)
        cv = row.cv
        if cv > 0:
            gammas = self._gammas  # (when set, every task's shape is 1 / cv²)
            hours = gammas.gamma(hours) if gammas is not None else self._r_hours.gamma(1.0 / (cv * cv), hours)
        if row.resumable and working_days is not None:
            wd = working_days
            elapsed = cal.working_days_between(since, now_of(queue, env))
            hours *= max(0.1, 1.0 - elapsed / max(working_days, 1.0))
        elif floor is Floor.EXTERNAL:
            wd = self.external_wd(task)
        else:
            wd = 0.0
        item = WorkItem(env, row.kind, hours, row.weight, case)
        self.holding.give(case, item)
        finished = yield item.event
        if finished is None:  # case closed under us
            return now_of(queue, env)
        self.rec.tally(row.tally, finished, cal.working_days_between(since, finished))
        if floor is Floor.BOOKED:
            # The meeting is booked for a date drawn from the LA's published distribution (for an ICPC,
            # strategy discussion to conference); if the worker's report is not ready by then it is
            # rebooked.
            booked = finish_time(cal, since, self.floors.sample_working_days(task))
            rebook = self.wf.dynamics.icpc_rebook_wd
            held = booked if finished <= booked else cal.add_working_days(finished, rebook) + 0.5
            now = now_of(queue, env)
            if held > now:
                yield env.timeout(held - now)
            return max(held, now_of(queue, env))
        if floor is Floor.EXTERNAL_ON_FINISH:
            wd = self.external_wd(task)
        at = finish_time(cal, since, wd)
        now = now_of(queue, env)
        if at > now:
            yield env.timeout(at - now)
        return now_of(queue, env)
