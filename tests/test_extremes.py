"""Extreme but valid scenarios run, and keep the model's invariants (issue 14, item 3).

No staff, one child, ten times the demand, caseload caps of one, teams of 0.1 FTE, workers with
barely an hour a week for cases, durations of years, visits two years apart: each is a scenario the
schema accepts, so each must run to the end (or be refused before its first event: see
tests/test_feasibility.py) and give results that make sense: children conserved at every month end,
no negative stock, every KPI within its bounds, no infinity anywhere, and NaN only where a KPI is
undefined (a percentage of no events, a median of nothing).

Each run is a small authority (3,000 children) for one year without a warm-up, so the file takes a
few seconds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.calendar import Calendar, ContinuousClock
from caseflow.metrics import compute_kpis
from caseflow.metrics.catalogue import KPI, KPIS, dynamic_kpis
from caseflow.model.capacity import finish_time
from caseflow.model.entities import Stage
from caseflow.model.simulation import ReplicationOutput, calendar_span
from caseflow.model.workforce.allocation import LeastLoaded
from caseflow.model.workforce.team import Team, _Roster
from caseflow.model.workforce.worker import Contract, Worker, WorkItem
from caseflow.replication import simulate
from caseflow.scenario import Scenario
from caseflow.scenario.scale import scaled

TEAMS = ("front_door", "assessment", "cin_cp", "children_in_care", "care_leavers")


def every_team(field: str, value: Any) -> dict[str, Any]:
    return {f"workforce.teams.{t}.{field}": value for t in TEAMS}


@pytest.fixture(scope="module")
def small(baseline: Scenario) -> Scenario:
    """The baseline at 1/20 of its size (3,000 children), one year, no warm-up."""
    return scaled(baseline, 0.05).with_overrides({"run.warmup_years": 0, "run.years": 1})


def run(scenario: Scenario, overrides: Mapping[str, Any], seed: int = 1) -> ReplicationOutput:
    s = scenario.with_overrides(dict(overrides))
    return simulate(s, seed=seed, track_children=True, audit_every_month=True)


def _zero_where_undefined(name: str, scenario: Scenario) -> list[str]:
    """The stocks that must be 0 wherever the ratio stock ``name`` is NaN: its denominators."""
    wf = scenario.workforce
    holding = [t for t, p in wf.teams.items() if p.case_holding] if wf is not None else []
    if name == "cla_3plus_sw_pct":
        return ["cla_open_end"]
    if name == "sw_vacancy_pct":
        return ["sw_fte_in_post", "sw_vacancies_fte"]
    if name == "sw_agency_pct":
        return ["sw_fte_in_post", "sw_agency_fte"]
    if name in ("caseload_mean", "caseload_p90", "caseload_max"):
        return [f"sw_fte_in_post_{t}" for t in holding]
    for prefix in ("sw_vacancy_pct_", "sw_agency_pct_", "caseload_mean_"):
        if name.startswith(prefix):
            return [f"sw_fte_in_post_{name.removeprefix(prefix)}"]
    raise AssertionError(f"stock {name} is NaN and is not a ratio")


def _defined(kpi: KPI, out: ReplicationOutput, months: range) -> bool:
    """Whether ``kpi`` has something to measure in ``months`` (else NaN is its right value)."""
    rec = out.recorder
    lo, hi = months.start, months.stop
    if kpi.kind == "ratio":
        counts = rec.counts.get(kpi.denominator or "")
        return counts is not None and float(sum(counts[lo:hi])) > 0
    if kpi.kind in ("stock", "stock_per10k", "stock_mean"):
        stock = rec.stocks.get(kpi.source)
        window = [hi - 1] if kpi.kind != "stock_mean" else range(lo, hi)
        return stock is not None and all(not math.isnan(stock[m]) for m in window)
    if kpi.kind == "turnover":
        stock = rec.stocks.get(kpi.denominator or "")
        return stock is not None and bool(stock[hi - 1])
    if kpi.kind == "money":
        return kpi.source in rec.counts
    if kpi.kind in ("count", "per10k"):
        return True
    source = "cp_ended_duration_days" if kpi.source == "cp_ended_2y_plus" else kpi.source
    tallied, _ = rec.tallies.get(source, ([], []))
    return any(lo <= m < hi for m in tallied)


def assert_invariants(out: ReplicationOutput) -> None:
    """Conservation, no negative stock, KPIs within bounds, no infinity, NaN only where undefined."""
    # conservation of children at every month end and at the end (simulate raised if an audit failed)
    assert len(out.audits) == len(out.months) + 1
    stages = [s.name.lower() for s in Stage]
    for audit in out.audits:
        counts = [audit[k] for k in stages]
        assert min(counts) >= 0
        assert sum(counts) == audit["entered"] == audit["accounted"]
    assert out.pathway is not None
    assert len(out.pathway.census.children or []) == out.audits[-1]["entered"]
    # no negative stock and no infinity; NaN only in a ratio with nothing to divide by
    stocks = {name: np.asarray(v, dtype=float) for name, v in out.recorder.stocks.items()}
    for name, values in stocks.items():
        assert not np.isinf(values).any(), name
        assert (values[~np.isnan(values)] >= 0).all(), name
        undefined = np.isnan(values)
        if undefined.any():
            for denominator in _zero_where_undefined(name, out.scenario):
                assert (stocks[denominator][undefined] == 0).all(), (name, denominator)
    kpis = compute_kpis(out)
    catalogue = {k.name: k for k in KPIS + dynamic_kpis(out.recorder.counts, out.recorder.stocks)}
    month_of = {label: i for i, label in enumerate(out.months)}
    for row in kpis.itertuples():
        kpi = catalogue[row.kpi]
        value = float(row.value)
        assert not math.isinf(value), (row.kpi, row.period)
        if row.period_type == "month":
            months = range(month_of[row.period], month_of[row.period] + 1)
        else:
            first = 12 * (int(row.period[:4]) - out.scenario.run.start_date.year)
            months = range(first, first + 12)
        if math.isnan(value):
            assert not _defined(kpi, out, months), (
                f"{row.kpi} is NaN in {row.period} with something to measure"
            )
            continue
        assert kpi.lower is None or value >= kpi.lower - 1e-9, (row.kpi, row.period, value)
        if kpi.unit == "%" and (kpi.kind in ("pct_within", "pct_flag") or row.period_type != "month"):
            # shares of events, and every percentage over a year, lie in 0-100 (a month's ratio of flows
            # can pass 100: referrals in a month from contacts of the month before)
            upper = kpi.upper if kpi.upper is not None else math.inf
            assert 0.0 <= value <= upper + 1e-9, (row.kpi, row.period, value)


# ================================================================================= extreme scenarios
EXTREMES: dict[str, dict[str, Any]] = {
    "no staff": every_team("establishment", 0.0),
    "0.1 FTE teams": every_team("establishment", 0.1),
    "caps of one": {**every_team("soft_cap", 1.0), **every_team("hard_cap", 1.0)},
    "ten times the demand": {"demand.contacts_per_year": 10 * 613.5},
    "least hours a week": {
        "workforce.time.contracted_hours": 1.0,
        "workforce.time.annual_leave": 0.5,
        "workforce.time.non_case_time": 0.9,
    },
    # (work that would finish after the calendar ends is not finished within the run)
    "decade-long work": {
        "assessment.duration_wd": {"edges": [2000.0, 2600.0], "probs": [1.0]},
        "mash.screening_wd": {"edges": [2600.0, 2600.0], "probs": [1.0]},
        "s47.to_icpc_wd": {"edges": [2600.0, 2600.0], "probs": [1.0]},
        "s47.enquiry_wd": {"edges": [2600.0, 2600.0], "probs": [1.0]},
        "workforce.time.external_time_scale": 100.0,
    },
    "visits two years apart": {
        f"workforce.visits.{k}": 520 for k in ("cla_interval_wd", "cin_review_interval_wd")
    },
    "sampled, decade-long work": {
        "workforce.enabled": False,
        "assessment.duration_wd": {"edges": [2000.0, 2600.0], "probs": [1.0]},
        "s47.to_icpc_wd": {"edges": [2600.0, 2600.0], "probs": [1.0]},
    },
}


@pytest.mark.untraced
@pytest.mark.parametrize("name", list(EXTREMES))
def test_extreme_scenario_runs_and_keeps_invariants(small: Scenario, name: str) -> None:
    out = run(small, EXTREMES[name])
    assert len(out.months) == 12
    assert_invariants(out)


def test_no_staff_decides_nothing(small: Scenario) -> None:
    """With no workers, contacts arrive and wait: none is decided, no child reaches a plan."""
    out = run(small, every_team("establishment", 0.0))
    counts = out.recorder.counts
    assert sum(counts["contacts"]) > 100
    assert sum(counts.get("referrals", [0])) == 0
    assert sum(counts.get("cp_plans_started", [0])) == 0


def test_0_1_fte_teams_work_slowly_but_work(small: Scenario) -> None:
    """Teams of one 0.1 FTE worker each still decide some contacts (the crash this replaces: 'list index
    out of range' when a worker's next completion fell after the calendar's end)."""
    out = run(small, every_team("establishment", 0.1))
    tallied, _ = out.recorder.tallies["contact_decision_wd"]
    assert 0 < len(tallied) < sum(out.recorder.counts["contacts"])


def test_one_child(baseline: Scenario) -> None:
    """An authority of one child, with nobody open on day one and one contact a year at most."""
    overrides = {
        "population": 1,
        "demand.contacts_per_year": 1.0,
        "looked_after.uasc_per_year": 0.0,
        "opening_stock.children_in_need": 0,
        "opening_stock.child_protection": 0,
        "opening_stock.looked_after": 0,
        "opening_stock.in_assessment": 0,
        "run.warmup_years": 0,
        "run.years": 1,
    }
    out = run(baseline, overrides)
    assert_invariants(out)
    assert out.audits[-1]["entered"] < 10


def test_a_decade_of_ten_times_the_demand_in_a_tiny_authority(baseline: Scenario) -> None:
    """300 children with ten times their contacts, over 1 + 9 years: the horizon and the calendar hold."""
    s = scaled(baseline, 0.005).with_overrides({"demand.contacts_per_year": 10 * 61.35, "run.years": 9})
    out = simulate(s, seed=2, track_children=True, audit_every_month=True)
    assert len(out.months) == 120
    assert_invariants(out)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    staff=st.sampled_from([0.0, 0.1, 1.0, 50.0]),
    cap=st.sampled_from([1.0, 20.0, 1000.0]),
    demand=st.sampled_from([0.001, 1.0, 10.0]),
    hours=st.sampled_from([1.0, 37.0, 80.0]),
    seed=st.integers(0, 3),
)
def test_extreme_combinations_keep_invariants(
    baseline: Scenario, staff: float, cap: float, demand: float, hours: float, seed: int
) -> None:
    s = scaled(baseline, 0.02).with_overrides({"run.warmup_years": 0, "run.years": 1})
    overrides = {
        **every_team("establishment", staff),
        **every_team("soft_cap", cap),
        **every_team("hard_cap", cap),
        "demand.contacts_per_year": s.demand.contacts_per_year * demand,
        "workforce.time.contracted_hours": hours,
    }
    assert_invariants(run(s, overrides, seed=seed))


# ======================================================================= the pieces that were fixed
def test_work_due_after_the_calendar_ends_finishes_at_its_end() -> None:
    cal = Calendar(dt.date(2025, 4, 1), 100, lead_days=10)
    assert finish_time(cal, 5.0, 3.0) == cal.complete_after(5.0, 3.0)
    assert finish_time(cal, 5.0, 10_000.0) == 100.0  # after the run: not finished within it
    with pytest.raises(IndexError):
        finish_time(cal, -50.0, 1.0)  # before the calendar starts is still an error


def test_a_worker_with_almost_no_hours_sets_no_timer_past_the_calendar() -> None:
    env = simpy.Environment()
    cal = Calendar(dt.date(2025, 4, 1), 60)
    w = Worker(
        env, cal, worker_id=0, team=None, contract=Contract.PERMANENT, fte=0.01, base_rate=1e-6, started=0.0
    )
    item = WorkItem(env, "x", 10.0, 1.0, None)
    w.add(item)  # 10 hours at a millionth of an hour a day: due millions of years from now
    env.run(until=59.0)
    assert not item.finished
    assert w._timer is None
    w.set_rate(base_rate=100.0)  # given hours, it finishes
    env.run(until=60.0)
    assert item.finished


def test_calendar_span_is_the_default_unless_the_scenario_needs_more(baseline: Scenario) -> None:
    assert calendar_span(baseline) == (400, 3 * 366)
    long = baseline.with_overrides(
        {
            "workforce.visits.cla_interval_wd": 520,
            "assessment.duration_wd": {"edges": [0.0, 2600.0], "probs": [1.0]},
        }
    )
    lead, tail = calendar_span(long)
    assert lead > 2600 * 7 / 5
    assert tail > 520 * 7 / 5


def test_roster_kept_by_appending_and_removing_equals_a_rebuild() -> None:
    """Workers joining and leaving a team update the allocation search in place; it must equal a search
    built from scratch (what every join and leave used to cost: minutes for a team of thousands)."""
    env = simpy.Environment()
    team = Team(
        "t", soft_cap=3.0, hard_cap=5.0, case_holding=True, policy=LeastLoaded(), nqsw_caseload_factor=0.9
    )
    rng = np.random.default_rng(5)
    workers = []
    for i in range(40):
        contract = Contract.NQSW if i % 3 == 0 else Contract.PERMANENT
        w = Worker(
            env,
            ContinuousClock(),
            worker_id=i,
            team=team,
            contract=contract,
            fte=float(rng.uniform(0.1, 1.0)),
            base_rate=7.0,
            started=0.0,
        )
        w.caseload = int(rng.integers(0, 5))
        team.add_worker(w)
        workers.append(w)
    for w in workers[::4]:
        team.remove_worker(w)
    fresh = _Roster(team.workers, 0.9)
    kept = team._roster
    for column in ("members", "load", "fte", "ratio", "scale", "capf", "avail", "cases", "order"):
        assert getattr(kept, column) == getattr(fresh, column), column
    assert kept.slot == fresh.slot
