"""Recurring work: statutory visits, core groups and reviews, as a schedule table keyed by activity.

:data:`SCHEDULE` says what recurring work a case brings while a team holds it for each
:class:`~caseflow.model.entities.Activity`: each :class:`Recurring` entry is a kind of work, how often
it falls due (working days from the last one done; the first intervals may differ, the last repeats)
and how many hours it takes. :class:`Schedule` starts a case's entries when its activity starts
(:meth:`Schedule.start`) and keeps each going, one piece at a time, while the case stays open with that
activity. Adding recurring work is one :class:`Recurring` entry here (and its interval and hours in the
schema).

Each piece falls due ``interval`` working days after the previous one was done and goes on the
worker's desk ``visits.planning_lead_wd`` working days before that. Statutory visits (``visit=True``)
are tallied as on time or late (``<kind>_on_time``, ``<kind>_lateness_days``), take the ``visit``
weight and are covered by a colleague while their worker is off sick; the rest take the ``other``
weight. Schedules run on event callbacks, not SimPy processes (they are about half of all events, and a
callback costs less than resuming a generator), and pieces released at the same instant share one
event (:meth:`Schedule.release_at`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import simpy

from caseflow.calendar import Calendar
from caseflow.model.entities import Activity
from caseflow.model.event_queue import now_of, queue_of
from caseflow.model.workforce.team import Case
from caseflow.model.workforce.work import family_hours
from caseflow.model.workforce.worker import WorkItem
from caseflow.records import Names, Recorder
from caseflow.scenario.workforce_schema import WorkforceParams
from caseflow.streams import Stream

__all__ = ["SCHEDULE", "Recurring", "Schedule"]

#: Work item kinds of recurring work: statutory visits, and other recurring work (meetings, reviews).
VISIT: Final = "visit"
MEETING: Final = "recurring"


@dataclass(frozen=True, slots=True)
class Recurring:
    """One kind of recurring work in :data:`SCHEDULE`."""

    kind: str
    """Its name (``cp_visit``); visits' timeliness tallies are named after it."""
    intervals: tuple[str | int, ...]
    """Working days from the last one done to the next: fields of ``[workforce.visits]`` or fixed
    numbers, for the first, second, … ; the last repeats."""
    hours: str
    """Its hours per family: ``"visits.<field>"`` or ``"hours.<field>"`` of ``[workforce]``."""
    visit: bool = False
    """A statutory visit: tallied on time or late, ``visit`` weight, covered during sickness."""


#: Recurring work each activity brings (docs/workforce.md §4).
SCHEDULE: Final[dict[Activity, tuple[Recurring, ...]]] = {
    Activity.CP_PLAN: (
        Recurring("cp_visit", ("cp_interval_wd",), "visits.cp_hours", visit=True),
        Recurring("core_group", ("core_group_interval_wd",), "hours.core_group"),
    ),
    Activity.CIN_PLAN: (
        Recurring("cin_visit", ("cin_interval_wd",), "visits.cin_hours", visit=True),
        Recurring("cin_review", ("cin_review_interval_wd",), "hours.cin_review"),
    ),
    Activity.LOOKED_AFTER: (
        Recurring("cla_visit", ("cla_interval_wd",), "visits.cla_hours", visit=True),
        # first review, the second within three months of it (65 working days), then every six months
        Recurring("cla_review", ("cla_first_review_wd", 65, "cla_review_interval_wd"), "hours.cla_review"),
    ),
    Activity.CARE_LEAVER: (
        Recurring("care_leaver_contact", ("care_leaver_interval_wd",), "visits.care_leaver_hours"),
    ),
}


def _resolve(
    wf: WorkforceParams, table: Mapping[Activity, tuple[Recurring, ...]]
) -> dict[str, list[tuple[str, list[int], float, bool]]]:
    """The schedule with the parameters ``wf`` read in: activity → [(kind, intervals, hours, visit)]."""
    out: dict[str, list[tuple[str, list[int], float, bool]]] = {}
    for activity, entries in table.items():
        rows = []
        for e in entries:
            intervals = [i if isinstance(i, int) else int(getattr(wf.visits, i)) for i in e.intervals]
            section, _, name = e.hours.partition(".")
            hours = float(getattr(getattr(wf, section), name))
            rows.append((e.kind, intervals, hours, e.visit))
        out[activity.value] = rows
    return out


class Schedule:
    """Starts and runs each case's recurring work (see :data:`SCHEDULE`)."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        wf: WorkforceParams,
        recorder: Recorder,
        r_visits: Stream,
        give: Callable[[Case, WorkItem], None],
        table: Mapping[Activity, tuple[Recurring, ...]] = SCHEDULE,
    ) -> None:
        self.env = env
        self._queue = queue_of(env)  # where compiled code reads the time (None: SimPy's own environment)
        self.cal = calendar
        self.rec = recorder
        self.give = give  # hands a piece of work to the case's worker
        self._r_visits = r_visits
        self._table = table
        self._releases: dict[float, list[_Recurring]] = {}
        self.use(wf)

    def use(self, wf: WorkforceParams) -> None:
        """Schedules started from now on follow ``wf`` (running ones keep their intervals and hours)."""
        self.wf = wf
        self._resolved = _resolve(wf, self._table)
        # Read for every piece of recurring work: plain numbers, not lookups in the parameters' models.
        self.lead_wd = wf.visits.planning_lead_wd
        self.per_extra_child = wf.hours.per_extra_child
        self.visit_weight = wf.weights.visit
        self.other_weight = wf.weights.other

    def start(self, case: Case) -> None:
        """``case`` has just started its activity: start its recurring work."""
        for kind, intervals, hours, visit in self._resolved.get(case.activity, ()):
            self._recurring(case, kind, intervals, hours, tally=visit)

    def _recurring(
        self, case: Case, kind: str, intervals: list[int], hours: float, *, tally: bool = False
    ) -> None:
        """Visits (or meetings) every ``intervals`` working days from the last one, while the case lasts."""
        last = now_of(self._queue, self.env)
        if last == 0.0:
            # Opening caseload: the last visit (or meeting) was some time in the past interval, so the
            # first ones fall due spread out rather than all at once.
            last = -intervals[0] * 7.0 / 5.0 * self._r_visits.random()
        _Recurring(self, case, kind, intervals, hours, tally, last).next()

    def release_at(self, at: float, schedule: _Recurring) -> None:
        """Put ``schedule``'s next piece of work on the desk at time ``at``.

        Releases fall at the start of a working day, so thousands share each instant: they share one
        SimPy event too, and run in the order they were booked (as separate events at the same time
        would). This saves about 135,000 events per 5-year replication.
        """
        batch = self._releases.get(at)
        if batch is None:
            batch = self._releases[at] = []
            env = self.env
            env.timeout(at - env.now).callbacks.append(lambda _e: self._run_releases(at))
        batch.append(schedule)

    def _run_releases(self, at: float) -> None:
        for schedule in self._releases.pop(at):
            schedule._release(None)


#: Tally names by kind of visit (``_LATENESS["cp_visit"] == "cp_visit_lateness_days"``).
_LATENESS: Final = Names(suffix="_lateness_days")
_ON_TIME: Final = Names(suffix="_on_time")


class _Recurring:
    """One case's schedule of one kind of recurring work (see :meth:`Schedule._recurring`)."""

    __slots__ = ("case", "due_end", "gen", "hours", "i", "intervals", "kind", "last", "sch", "tally")

    def __init__(
        self,
        sch: Schedule,
        case: Case,
        kind: str,
        intervals: list[int],
        hours: float,
        tally: bool,
        last: float,
    ) -> None:
        self.sch = sch
        self.case = case
        self.gen = case.generation
        self.kind = kind
        self.intervals = intervals
        self.hours = hours
        self.tally = tally
        self.last = last
        self.i = 0
        self.due_end = 0.0

    def next(self) -> None:
        case = self.case
        if not case.open or case.generation != self.gen:
            return
        sch = self.sch
        cal = sch.cal
        intervals = self.intervals
        interval = intervals[self.i] if self.i < len(intervals) else intervals[-1]
        self.i += 1
        # Both dates count working days from the day of the last visit: look that up once.
        last = self.last
        k = cal.working_days_to(last) - 1
        lead = interval - sch.lead_wd
        due = cal.working_day_start(k + interval) if interval > 0 else float(math.floor(last))
        self.due_end = due + 1.0  # end of the due day
        start = cal.working_day_start(k + lead) if lead > 0 else float(math.floor(last))
        if start > now_of(sch._queue, sch.env):
            sch.release_at(start, self)
        else:
            self._release(None)

    def _release(self, _event: object) -> None:
        case = self.case
        if not case.open or case.generation != self.gen:
            return
        sch = self.sch
        item = WorkItem(
            sch.env,
            VISIT if self.tally else MEETING,
            family_hours(self.hours, case.n, sch.per_extra_child),
            sch.visit_weight if self.tally else sch.other_weight,
            case,
            on_done=self,  # called when the piece is done (see __call__): no bound method per piece
        )
        sch.give(case, item)

    def __call__(self, done: float | None) -> None:
        """The piece released last is done at ``done`` (``None``: cancelled): tally it, book the next."""
        if done is None or not self.case.open:
            return
        if self.tally:
            rec = self.sch.rec
            kind = self.kind
            rec.tally(_LATENESS[kind], done, done - self.due_end)
            on_time = 1.0 if done <= self.due_end else 0.0
            name = _ON_TIME[kind]
            for _ in self.case.children:
                rec.tally(name, done, on_time)
        self.last = done
        self.next()
