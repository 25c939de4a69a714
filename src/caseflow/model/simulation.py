"""One replication: build the environment, seed the opening caseload, run, return the records."""

from __future__ import annotations

import datetime as dt
import gc
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import simpy

from caseflow.calendar import Calendar
from caseflow.costs import CostLedger
from caseflow.model.arrivals import draw_arrivals
from caseflow.model.capacity import Capacity, SampledDurations
from caseflow.model.history import seed_history
from caseflow.model.opening_stock import seed_opening_stock
from caseflow.model.pathway import Pathway
from caseflow.model.workforce.capacity import CHANGE_OFFSET, Workforce
from caseflow.records import Recorder
from caseflow.scenario.schema import Scenario
from caseflow.scenario.timeline import change_points
from caseflow.streams import Streams

__all__ = ["ReplicationOutput", "simulate"]

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


def horizon_days(scenario: Scenario, years: int | None = None) -> tuple[int, int]:
    """(total simulated days, warm-up days) for a run of ``years`` reported financial years."""
    run = scenario.run
    total_years = run.warmup_years + (run.years if years is None else years)
    start = run.start_date
    end = dt.date(start.year + total_years, start.month, start.day)
    warm = dt.date(start.year + run.warmup_years, start.month, start.day)
    return (end - start).days, (warm - start).days


@_collector_tuned()
def simulate(
    scenario: Scenario,
    *,
    seed: int = 0,
    replication: int = 0,
    years: int | None = None,
    track_children: bool = False,
    audit_every_month: bool = False,
    records: bool = False,
) -> ReplicationOutput:
    """Run one replication of ``scenario`` and return its records.

    ``years`` overrides the scenario's reported years. ``track_children`` keeps every child object
    (for tests and per-case analysis); ``audit_every_month`` checks conservation at each month end;
    ``records`` keeps one row per stage episode of every child (open ones included at the end).
    Without ``records`` memory is bounded by the open caseload and the number of months.
    """
    days, warm_days = horizon_days(scenario, years)
    cal = Calendar(scenario.run.start_date, days + _TAIL_DAYS, lead_days=_LEAD_DAYS)
    env = simpy.Environment()
    streams = Streams(seed, replication)
    month_ends = [t for t in cal.month_ends if t <= days]
    n_months = len(month_ends)
    recorder = Recorder(n_months, cal.month_index[:days])
    workforce: Workforce | None = None
    if scenario.workforce is not None and scenario.workforce.enabled:
        workforce = Workforce(env, cal, scenario, streams, recorder)
        capacity: Capacity = workforce
    else:
        capacity = SampledDurations(env, cal, scenario, streams)
    pathway = Pathway(
        env, cal, scenario, streams, recorder, capacity, track_children=track_children, records=records
    )
    seed_opening_stock(pathway, streams)
    seed_history(pathway, streams, scenario.run.history_months)
    ledger = CostLedger(scenario, cal, recorder, pathway, workforce) if scenario.costs is not None else None

    points = change_points(scenario)
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
    )

    def arrivals() -> Generator[simpy.Event, Any, None]:
        for t, i in zip(times.tolist(), sources.tolist(), strict=True):
            yield env.timeout(t - env.now)
            family = pathway.sample_family(t)
            # the source's current share passed to MASH (a time-phased change may have altered it)
            to_mash = pathway.s.demand.sources[names[i]].to_mash
            env.process(pathway.contact(family, to_mash, source=names[i]))

    def month_end_snapshots() -> Generator[simpy.Event, Any, None]:
        previous = 0.0
        for k, t in enumerate(month_ends):
            yield env.timeout(t - env.now)
            pathway.stock_snapshot(k)
            if workforce is not None:
                workforce.snapshot(k, t - previous, list(pathway.cla_children.values()))
            if ledger is not None:
                ledger.month_end(k, previous, t)
            previous = t
            if audit_every_month:
                out.audits.append(pathway.audit())

    def apply_changes() -> Generator[simpy.Event, Any, None]:
        for at, (_, variant) in zip(change_at, segments, strict=True):
            if at > env.now:
                yield env.timeout(at - env.now)
            pathway.update(variant)
            if workforce is not None:
                workforce.update(variant)
            if ledger is not None:
                ledger.update(variant)
            recorder.count("scenario_changes_applied", env.now)

    env.process(arrivals())
    if segments:
        env.process(apply_changes())
    env.process(pathway.uasc_arrivals(days))
    env.process(month_end_snapshots())
    env.run(until=days + 0.5)
    out.audits.append(pathway.audit())
    out.events = next(env._eid)  # SimPy's event counter: events scheduled in this run
    out.stream_names = streams.names
    if records and pathway.case_records is not None:
        out.case_records = pd.DataFrame(
            pathway.case_records + pathway.open_case_records(),
            columns=["child", "family", "stage", "start_day", "end_day", "next_stage"],
        )
        out.case_records.insert(0, "replication", replication)
    return out
