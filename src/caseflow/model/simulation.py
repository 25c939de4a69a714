"""One replication of the model: the composition root that builds it, runs it and returns its records.

:func:`run_model` builds the parts of one replication (calendar, random streams, recorder, the capacity
that does statutory work, the pathway's stage modules and census), seeds the opening caseload and its
recent history, runs the arrivals, applies time-phased changes, and announces each month end to its
observers. Everything it wires can be replaced by passing an object in:

- ``capacity``: a factory ``(Setting) -> Capacity``; by default the workforce model when the scenario
  has an enabled ``[workforce]``, otherwise durations sampled from published distributions
  (:func:`default_capacity`);
- ``observers``: factories ``(Replication) -> MonthEndObserver``, each told of every month end (and of
  scenario changes if it has an ``update(scenario)`` method). Costs are one such observer, attached by
  :func:`caseflow.simulate` (:mod:`caseflow.replication`); the model itself knows nothing of money;
- ``stages``: the stage groups of the pathway (:data:`caseflow.model.stages.DEFAULT_STAGES`).
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import pandas as pd
import simpy

from caseflow.calendar import Calendar
from caseflow.model.arrivals import draw_arrivals
from caseflow.model.budget import Budget, Estimate, check, events_scheduled, run_within
from caseflow.model.capacity import Capacity, SampledDurations
from caseflow.model.census import Census
from caseflow.model.contacts import ContactArrivals
from caseflow.model.environment import Environment
from caseflow.model.history import seed_history
from caseflow.model.opening_stock import seed_opening_stock
from caseflow.model.pathway import Pathway
from caseflow.model.stages import DEFAULT_STAGES, StageGroup
from caseflow.model.stages.front_door import FrontDoor
from caseflow.model.stages.looked_after import LookedAfter
from caseflow.model.workforce.capacity import CHANGE_OFFSET, Workforce
from caseflow.records import Recorder
from caseflow.scenario.schema import Scenario
from caseflow.scenario.timeline import ChangePoint, change_points
from caseflow.streams import Streams

__all__ = [
    "CapacityFactory",
    "MonthEnd",
    "MonthEndObserver",
    "ObserverFactory",
    "Replication",
    "ReplicationOutput",
    "Setting",
    "calendar_span",
    "default_capacity",
    "horizon_days",
    "run_model",
]

_LEAD_DAYS = 400  # calendar history before day 0 for the opening caseload's working-day clocks
_TAIL_DAYS = 3 * 366  # calendar after the horizon, so due dates past the end can be computed


#: Garbage-collector thresholds while a replication runs (see :func:`_collector_tuned`).
GC_THRESHOLDS = (50_000, 20, 100)
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def _collector_tuned() -> Iterator[None]:
    """Run with Python's cyclic garbage collector triggered less often, then restore its thresholds.

    A replication allocates millions of short-lived objects (events, work items) that reference counting
    frees at once; the model avoids reference cycles (a child does not refer back to its family), so
    the collector has little to find, yet with the default thresholds it would still run hundreds of
    times per replication (docs/performance.md). Cycles are still collected, in larger batches.
    Nested or concurrent runs (threads) share one setting; the last to finish restores the original.
    """
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)


@dataclass(frozen=True)
class Setting:
    """What every part of a replication is built from."""

    env: simpy.Environment
    calendar: Calendar
    scenario: Scenario
    streams: Streams
    recorder: Recorder


@dataclass(frozen=True)
class Replication(Setting):
    """A built replication: its setting, the capacity doing the work, and the pathway."""

    capacity: Capacity
    pathway: Pathway

    @property
    def census(self) -> Census:
        return self.pathway.census

    @property
    def front_door(self) -> FrontDoor:
        group = self.pathway.stages["front_door"]
        assert isinstance(group, FrontDoor)
        return group

    @property
    def looked_after(self) -> LookedAfter:
        group = self.pathway.stages["looked_after"]
        assert isinstance(group, LookedAfter)
        return group


@dataclass(frozen=True)
class MonthEnd:
    """The end of month ``month`` (0-based) at simulation time ``time``."""

    month: int
    time: float
    previous: float  # time of the previous month end (0 for the first month)
    census: Census

    @property
    def days(self) -> float:
        """Length of the month in days."""
        return self.time - self.previous


class MonthEndObserver(Protocol):
    """Told of every month end, after the pathway's stocks are recorded."""

    def month_end(self, event: MonthEnd) -> None: ...


#: Builds the capacity that does a replication's statutory work.
CapacityFactory = Callable[[Setting], Capacity]
#: Builds an observer of a replication's month ends.
ObserverFactory = Callable[[Replication], MonthEndObserver]


def default_capacity(setting: Setting) -> Capacity:
    """The workforce model when the scenario has an enabled ``[workforce]``, else sampled durations."""
    s = setting.scenario
    if s.workforce is not None and s.workforce.enabled:
        return Workforce(setting.env, setting.calendar, s, setting.streams, setting.recorder)
    return SampledDurations(setting.env, setting.calendar, s, setting.streams)


class _WorkforceMonthEnd:
    """Adapts the workforce's month-end snapshot to the observer protocol."""

    def __init__(self, workforce: Workforce) -> None:
        self.workforce = workforce

    def month_end(self, event: MonthEnd) -> None:
        self.workforce.snapshot(event.month, event.days, list(event.census.looked_after.values()))


def _capacity_observer(capacity: Capacity) -> MonthEndObserver | None:
    if isinstance(capacity, Workforce):
        return _WorkforceMonthEnd(capacity)
    month_end = getattr(capacity, "month_end", None)
    return capacity if callable(month_end) else None  # type: ignore[return-value]


@dataclass
class ReplicationOutput:
    """Everything one replication produced, before it is turned into KPIs."""

    scenario: Scenario
    seed: int
    replication: int
    calendar: Calendar
    recorder: Recorder
    months: list[str]
    warmup_months: int
    events: int
    audits: list[dict[str, int]] = field(default_factory=list)
    stream_names: list[str] = field(default_factory=list)
    pathway: Pathway | None = None
    case_records: pd.DataFrame | None = None
    #: the estimate made before the first event (:func:`caseflow.model.budget.estimate`)
    estimate: Estimate | None = None


def horizon_days(scenario: Scenario, years: int | None = None) -> tuple[int, int]:
    """(total simulated days, warm-up days) for a run of ``years`` reported financial years."""
    run = scenario.run
    total_years = run.warmup_years + (run.years if years is None else years)
    start = run.start_date
    end = dt.date(start.year + total_years, start.month, start.day)
    warm = dt.date(start.year + run.warmup_years, start.month, start.day)
    return (end - start).days, (warm - start).days


def _days_for(working_days: float) -> int:
    """Calendar days that surely hold ``working_days`` working days (bank holidays and rounding included)."""
    return math.ceil(working_days * 7.0 / 5.0 * 1.05) + 30


def calendar_span(scenario: Scenario, changed: Sequence[Scenario] = ()) -> tuple[int, int]:
    """(lead, tail): calendar days to keep before day 0 and after the horizon.

    The lead holds the opening caseload's clocks: an assessment in progress referred up to the longest
    assessment duration ago, and each case's last visit or review up to one interval ago. The tail holds
    due dates counted in whole working days from a time within the run (visits, reviews, a rebooked
    conference), under the scenario and every variant a time-phased change makes (``changed``). Both are
    the defaults (:data:`_LEAD_DAYS`, :data:`_TAIL_DAYS`) unless the scenario needs more. Work that would
    finish after the tail is simply not finished within the run (:func:`caseflow.model.capacity.finish_time`).
    """
    lead = _days_for(max(scenario.assessment.duration_wd.edges))
    tail = 0
    for s in (scenario, *changed):
        wf = s.workforce
        if wf is None:
            continue
        v = wf.visits
        longest = max(
            v.cp_interval_wd,
            v.cin_interval_wd,
            v.cla_interval_wd,
            v.care_leaver_interval_wd,
            v.core_group_interval_wd,
            v.cin_review_interval_wd,
            v.cla_first_review_wd,
            v.cla_review_interval_wd,
            65,  # the second CLA review (caseflow.model.workforce.schedule)
        )
        if s is scenario:
            lead = max(lead, _days_for(longest))
        tail = max(tail, _days_for(longest + v.planning_lead_wd), _days_for(wf.dynamics.icpc_rebook_wd))
    return max(_LEAD_DAYS, lead), max(_TAIL_DAYS, tail)


def _calendar(scenario: Scenario, days: int, points: Sequence[ChangePoint]) -> Calendar:
    """The run's calendar: ``days`` and the lead and tail :func:`calendar_span` asks for."""
    lead, tail = calendar_span(scenario, [p.scenario for p in points])
    return Calendar(scenario.run.start_date, days + tail, lead_days=lead)


def _run(
    env: simpy.Environment,
    until: float,
    budget: Budget | None,
    *,
    started: float,
    calendar: Calendar,
    estimate: Estimate,
) -> None:
    """``env.run(until=until)``, within ``budget`` if it limits the run (:func:`.budget.run_within`)."""
    if budget is not None and budget.limits_run:
        run_within(env, until, budget, started=started, date_of=calendar.date, estimated=estimate.events)
    else:
        env.run(until=until)


@_collector_tuned()
def run_model(
    scenario: Scenario,
    *,
    seed: int = 0,
    replication: int = 0,
    years: int | None = None,
    track_children: bool = False,
    audit_every_month: bool = False,
    records: bool = False,
    capacity: CapacityFactory = default_capacity,
    observers: Sequence[ObserverFactory] = (),
    stages: Sequence[type[StageGroup]] = DEFAULT_STAGES,
    budget: Budget | None = None,
) -> ReplicationOutput:
    """Run one replication of ``scenario``'s model and return its records (no costs: see
    :func:`caseflow.simulate`, which adds them).

    ``years`` overrides the scenario's reported years. ``track_children`` keeps every child object
    (for tests and per-case analysis); ``audit_every_month`` checks conservation at each month end;
    ``records`` keeps one row per stage episode of every child (open ones included at the end).
    Without ``records`` memory is bounded by the open caseload and the number of months.
    ``capacity``, ``observers`` and ``stages`` replace or extend the parts (module docstring).

    Before anything is built, the replication's events and memory are estimated and it is refused
    (:class:`~caseflow.model.budget.RunRefusedError`) if they are over ``budget``'s ceilings (by default
    :data:`~caseflow.model.budget.DEFAULT_BUDGET`'s). A ``budget`` with ``seconds`` or ``events`` also
    limits the run itself: it stops with :class:`~caseflow.model.budget.BudgetExceededError` when spent.
    Within its budget a run gives exactly the results it gives without one.
    """
    started = time.monotonic()
    days, warm_days = horizon_days(scenario, years)
    points = change_points(scenario)
    estimate = check(scenario, years, budget, variants=[p.scenario for p in points])
    cal = _calendar(scenario, days, points)
    env = Environment()
    streams = Streams(seed, replication)
    month_ends = [t for t in cal.month_ends if t <= days]
    n_months = len(month_ends)
    recorder = Recorder(n_months, cal.month_index[:days])
    setting = Setting(env, cal, scenario, streams, recorder)
    work = capacity(setting)
    pathway = Pathway(
        env,
        cal,
        scenario,
        streams,
        recorder,
        work,
        track_children=track_children,
        records=records,
        stages=stages,
    )
    seed_opening_stock(pathway, streams)
    seed_history(pathway, streams, scenario.run.history_months)
    built = Replication(env, cal, scenario, streams, recorder, work, pathway)
    watchers: list[MonthEndObserver] = []
    if (own := _capacity_observer(work)) is not None:
        watchers.append(own)
    watchers += [make(built) for make in observers]
    followers: list[object] = [work, *(w for w in watchers if w is not cast(object, work))]

    segments = [(max(0, int(cal.time(p.date))), p.scenario) for p in points]
    change_at = [max(0.0, cal.time(p.date)) + CHANGE_OFFSET for p in points]
    times, sources, names = draw_arrivals(scenario, cal, streams, days, segments)
    out = ReplicationOutput(
        scenario=scenario,
        seed=seed,
        replication=replication,
        calendar=cal,
        recorder=recorder,
        months=[cal.month_label(t - 1) for t in month_ends],
        warmup_months=sum(1 for t in month_ends if t <= warm_days),
        events=0,
        pathway=pathway if track_children else None,
        estimate=estimate,
    )

    def month_ends_() -> Generator[simpy.Event, Any, None]:
        previous = 0.0
        for k, t in enumerate(month_ends):
            yield env.timeout(t - env.now)
            pathway.snapshot(k)
            event = MonthEnd(k, t, previous, pathway.census)
            for watcher in watchers:
                watcher.month_end(event)
            previous = t
            if audit_every_month:
                out.audits.append(pathway.audit())

    def apply_changes() -> Generator[simpy.Event, Any, None]:
        for at, (_, variant) in zip(change_at, segments, strict=True):
            if at > env.now:
                yield env.timeout(at - env.now)
            pathway.update(variant)
            for follower in followers:
                update = getattr(follower, "update", None)
                if update is not None:
                    update(variant)
            recorder.count("scenario_changes_applied", env.now)

    ContactArrivals(pathway, times.tolist(), sources.tolist(), names).start()
    if segments:
        env.process(apply_changes())
    for group in pathway.stages.values():
        incoming = group.arrivals(days)
        if incoming is not None:
            env.process(incoming)
    env.process(month_ends_())
    _run(env, days + 0.5, budget, started=started, calendar=cal, estimate=estimate)
    out.audits.append(pathway.audit())
    out.events = events_scheduled(env)  # events scheduled in this run
    out.stream_names = streams.names
    census = pathway.census
    if records and census.case_records is not None:
        out.case_records = pd.DataFrame(
            census.case_records + census.open_case_records(),
            columns=["child", "family", "stage", "start_day", "end_day", "next_stage"],
        )
        out.case_records.insert(0, "replication", replication)
    return out
