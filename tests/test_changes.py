"""Time-phased changes (DESIGN §5): ``[[changes]]`` steps, ramps and their composition, validation of
changes, and ``[[workforce.changes]]`` to staffing.

:func:`caseflow.scenario.timeline.change_points` turns a scenario's changes into the list of complete,
validated scenarios in force from each date, so most checks need no simulation. The rest run one or two
short replications on the same seed (common random numbers) and compare months before and after the
change date.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import caseflow
from caseflow.costs import inflation_factor
from caseflow.metrics import compute_kpis
from caseflow.model.simulation import ReplicationOutput
from caseflow.replication import simulate
from caseflow.scenario import Scenario, ScenarioError, validate
from caseflow.scenario.schema import START_ONLY, start_only
from caseflow.scenario.timeline import change_points, get_path

CHANGE_DATE = dt.date(2026, 1, 1)  # month 9 of a run starting 1 April 2025


def with_changes(scenario: Scenario, *changes: dict[str, Any]) -> Scenario:
    return scenario.with_overrides({"changes": [dict(c) for c in changes]}, name="changed")


def monthly(out: ReplicationOutput, kpi: str) -> pd.Series:
    k = compute_kpis(out)
    return k[(k["period_type"] == "month") & (k["kpi"] == kpi)].set_index("period")["value"]


# =================================================================== a step change in a run
@pytest.fixture(scope="module")
def step_runs(sampled_baseline: Scenario) -> tuple[ReplicationOutput, ReplicationOutput]:
    """Sampled-durations baseline with and without contacts ×1.15 from 1 January 2026, same seed."""
    surge = with_changes(
        sampled_baseline, {"date": CHANGE_DATE, "field": "demand.contacts_per_year", "factor": 1.15}
    )
    return simulate(sampled_baseline, seed=1, years=1), simulate(surge, seed=1, years=1)


@pytest.mark.untraced
def test_step_change_raises_contacts_after_its_date_not_before(
    step_runs: tuple[ReplicationOutput, ReplicationOutput],
) -> None:
    base, surge = (monthly(o, "contacts") for o in step_runs)
    assert list(base.index[8:10]) == ["2025-12", "2026-01"]
    ratio = surge / base
    before, after = slice(0, 9), slice(9, None)
    # Before the date the same families contact at the same times (counts and arrival times come from
    # separate streams); what happens to them later can still differ, so totals agree closely.
    assert surge.iloc[before].sum() / base.iloc[before].sum() == pytest.approx(1.0, abs=0.02)
    assert ratio.iloc[before].between(0.94, 1.06).all()
    # After it, every month is up, and the 15 months together by 8–22% (new concerns +15%; families
    # coming back follow with a lag).
    assert (ratio.iloc[after] > 1.0).all()
    assert 1.08 < surge.iloc[after].sum() / base.iloc[after].sum() < 1.22


def test_step_change_is_applied_once_on_its_date(
    step_runs: tuple[ReplicationOutput, ReplicationOutput],
) -> None:
    base, surge = step_runs
    applied = surge.recorder.counts["scenario_changes_applied"]
    assert applied[9] == 1
    assert sum(applied) == 1
    assert "scenario_changes_applied" not in base.recorder.counts


def test_step_change_leaves_everything_before_its_date_identical(
    step_runs: tuple[ReplicationOutput, ReplicationOutput],
) -> None:
    base, surge = (monthly(o, "contacts") for o in step_runs)
    np.testing.assert_array_equal(surge.iloc[:9], base.iloc[:9])


# =================================================================== change points: ramps
def test_ramp_gives_one_point_a_month_linearly_interpolated(baseline: Scenario) -> None:
    s = with_changes(
        baseline,
        {"date": dt.date(2026, 4, 1), "field": "demand.contacts_per_year", "factor": 1.15, "ramp_months": 6},
        {
            "date": dt.date(2026, 4, 1),
            "field": "workforce.visits.cp_interval_wd",
            "value": 14,
            "ramp_months": 6,
        },
    )
    c0 = baseline.demand.contacts_per_year
    assert baseline.workforce is not None
    assert baseline.workforce.visits.cp_interval_wd == 10
    points = change_points(s)
    assert [p.date for p in points] == [dt.date(2026, m, 1) for m in range(4, 10)]
    contacts = [p.scenario.demand.contacts_per_year for p in points]
    # c0 → 1.15 × c0 in six equal steps (12,800 → 14,720 in steps of 320 for a baseline of 12,800).
    assert contacts == pytest.approx([c0 * (1 + 0.15 * k / 6) for k in range(1, 7)])
    # Whole-number fields are rounded at each step: 10 → 14 in steps of 2/3.
    visits = [p.scenario.workforce.visits.cp_interval_wd for p in points]  # type: ignore[union-attr]
    assert visits == [round(10 + 4 * k / 6) for k in range(1, 7)] == [11, 11, 12, 13, 13, 14]
    assert all(type(v) is int for v in visits)
    # The scenario itself is unchanged: changes apply during a run.
    assert s.demand.contacts_per_year == c0


@pytest.mark.untraced
def test_ramp_takes_effect_month_by_month_in_a_run(sampled_baseline: Scenario) -> None:
    """Early-help capacity ramped 16 → 28 key workers over six months from October 2025: the key
    workers paid for each month (cost ÷ daily cost per worker) step up by 2 a month."""
    s = with_changes(
        sampled_baseline,
        {"date": dt.date(2025, 10, 1), "field": "early_help.key_workers", "value": 28.0, "ramp_months": 6},
    )
    out = simulate(s, seed=2, years=1)
    assert s.costs is not None
    cal, cost = out.calendar, out.recorder.counts["cost_early_help"]
    workers = []
    for k in range(len(out.months)):
        start, end = cal.time(cal.month_start(k)), cal.time(cal.month_start(k + 1))
        per_worker_day = s.costs.early_help_worker / 365.25 * inflation_factor(s, cal, (start + end) / 2)
        workers.append(cost[k] / per_worker_day / (end - start))
    assert out.months[6] == "2025-10"
    assert workers[:6] == pytest.approx([16.0] * 6)
    assert workers[6:12] == pytest.approx([18.0, 20.0, 22.0, 24.0, 26.0, 28.0])
    assert workers[12:] == pytest.approx([28.0] * 12)


def test_step_is_a_single_point(baseline: Scenario) -> None:
    s = with_changes(baseline, {"date": CHANGE_DATE, "field": "early_help.key_workers", "value": 24.0})
    (point,) = change_points(s)
    assert point.date == CHANGE_DATE
    assert point.overrides == {"early_help.key_workers": 24.0}
    assert point.scenario.early_help.key_workers == 24.0


def test_no_changes_no_points(baseline: Scenario) -> None:
    assert change_points(baseline) == []


def test_table_value_stays_a_valid_branch_at_every_ramp_step(baseline: Scenario) -> None:
    start = {"referral": 0.62, "early_help": 0.12, "no_further_action": 0.26}
    target = {"referral": 0.50, "early_help": 0.30, "no_further_action": 0.20}
    assert dict(baseline.mash.outcome) == start
    s = with_changes(
        baseline, {"date": CHANGE_DATE, "field": "mash.outcome", "value": target, "ramp_months": 4}
    )
    points = change_points(s)
    assert len(points) == 4
    for k, p in enumerate(points, start=1):
        got = dict(p.scenario.mash.outcome)
        assert math.fsum(got.values()) == pytest.approx(1.0, abs=1e-9)
        for key in start:
            assert got[key] == pytest.approx(start[key] + (target[key] - start[key]) * k / 4)
    assert dict(points[-1].scenario.mash.outcome) == target


# =================================================================== change points: composition
def test_two_changes_to_one_field_compose_in_date_order(baseline: Scenario) -> None:
    # Listed out of date order: the earlier one (×2 from October 2025) applies first, then ×1.1.
    s = with_changes(
        baseline,
        {"date": dt.date(2026, 4, 1), "field": "demand.contacts_per_year", "factor": 1.1},
        {"date": dt.date(2025, 10, 1), "field": "demand.contacts_per_year", "factor": 2.0},
    )
    points = change_points(s)
    assert [p.date for p in points] == [dt.date(2025, 10, 1), dt.date(2026, 4, 1)]
    c0 = baseline.demand.contacts_per_year
    assert [p.scenario.demand.contacts_per_year for p in points] == pytest.approx([2 * c0, 2.2 * c0])


def test_factor_applies_to_the_value_in_force(baseline: Scenario) -> None:
    s = with_changes(
        baseline,
        {"date": dt.date(2025, 10, 1), "field": "early_help.key_workers", "value": 20.0},
        {"date": dt.date(2026, 4, 1), "field": "early_help.key_workers", "factor": 1.5, "ramp_months": 2},
    )
    values = [p.scenario.early_help.key_workers for p in change_points(s)]
    assert values == pytest.approx([20.0, 25.0, 30.0])  # 20 → 30 over two months


def test_changes_on_the_same_date_apply_in_file_order(baseline: Scenario) -> None:
    s = with_changes(
        baseline,
        {"date": CHANGE_DATE, "field": "early_help.key_workers", "value": 20.0},
        {"date": CHANGE_DATE, "field": "early_help.key_workers", "factor": 2.0},
    )
    (point,) = change_points(s)
    assert point.scenario.early_help.key_workers == 40.0


def test_changes_to_different_fields_accumulate(baseline: Scenario) -> None:
    s = with_changes(
        baseline,
        {"date": dt.date(2025, 10, 1), "field": "early_help.key_workers", "value": 20.0},
        {"date": dt.date(2026, 4, 1), "field": "referral.no_further_action", "value": 0.1},
    )
    first, second = change_points(s)
    assert (first.scenario.early_help.key_workers, first.scenario.referral.no_further_action) == (20.0, 0.065)
    assert (second.scenario.early_help.key_workers, second.scenario.referral.no_further_action) == (20.0, 0.1)


def test_later_change_is_not_undone_by_an_earlier_ramp(baseline: Scenario) -> None:
    s = with_changes(
        baseline,
        {
            "date": dt.date(2026, 4, 1),
            "field": "demand.contacts_per_year",
            "value": 20000.0,
            "ramp_months": 6,
        },
        {"date": dt.date(2026, 6, 1), "field": "demand.contacts_per_year", "factor": 2.0},
    )
    values = {p.date: p.scenario.demand.contacts_per_year for p in change_points(s)}
    in_force_in_june = values[dt.date(2026, 6, 1)]
    c0 = baseline.demand.contacts_per_year
    june = c0 + 3 * (20000.0 - c0) / 6  # the ramp's June value: 3 of its 6 monthly steps
    assert in_force_in_june == pytest.approx(2 * june)  # ×2 on it
    # Whatever the rule (the later change replaces the rest of the ramp, or multiplies it), the doubling
    # must not disappear after one month.
    for d, v in values.items():
        if d > dt.date(2026, 6, 1):
            assert v >= in_force_in_june, d


# =================================================================== invalid changes
def problems_of(exc: pytest.ExceptionInfo[caseflow.ScenarioError]) -> str:
    return "\n".join(f"{path}: {msg}" for path, msg in exc.value.problems)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"field": "demand.no_such_rate", "value": 1.0}, "changes[1].field", "no such parameter"),
        ({"field": "referral.no_further_action", "value": 0.1, "factor": 2.0}, "changes[1]", "exactly one"),
        ({"field": "referral.no_further_action"}, "changes[1]", "exactly one"),
        ({"field": "run.years", "value": 3}, "changes[1]", "cannot change during a run"),
        ({"field": "run.warmup_years", "factor": 2.0}, "changes[1]", "cannot change"),
        ({"field": "opening_stock.looked_after", "value": 10}, "changes[1]", "cannot change"),
        ({"field": "name", "value": "x"}, "changes[1]", "cannot change"),
        ({"field": "demand.weekday", "factor": -1.0}, "changes[1].factor", "≥ 0"),
        ({"field": "workforce.allocation_policy", "factor": 2.0}, "changes[1].factor", "cannot multiply"),
        (
            {"field": "referral.no_further_action", "value": 0.1, "ramp_months": -1},
            "changes[1].ramp_months",
            "",
        ),
        ({"field": "", "value": 1.0}, "changes[1].field", ""),
    ],
)
def test_invalid_change_names_the_change(
    baseline: Scenario, change: dict[str, Any], path: str, words: str
) -> None:
    ok = {"date": dt.date(2025, 10, 1), "field": "early_help.key_workers", "value": 20.0}
    with pytest.raises(caseflow.ScenarioError) as exc:
        with_changes(baseline, ok, {"date": CHANGE_DATE, **change})
    text = problems_of(exc)
    assert any(p == path for p, _ in exc.value.problems), text
    assert words in text


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"field": "referral.no_further_action", "value": 1.5}, "referral.no_further_action", "≤ 1"),
        ({"field": "referral.no_further_action", "factor": 20.0}, "referral.no_further_action", "≤ 1"),
        ({"field": "mash.outcome", "factor": 1.1}, "mash.outcome", "sum to 1"),
        (
            {
                "field": "mash.outcome",
                "value": {"referral": 0.5, "early_help": 0.5, "no_further_action": 0.5},
            },
            "mash.outcome",
            "sum to 1",
        ),
        (
            {"field": "demand.sources.police.monthly", "value": "high"},
            "demand.sources.police.monthly",
            "array",
        ),
        (
            {"field": "workforce.teams.assessment.soft_cap", "value": 40.0},
            "workforce.teams.assessment",
            "hard_cap",
        ),
    ],
)
def test_change_to_an_invalid_value_is_an_error(
    baseline: Scenario, change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(caseflow.ScenarioError) as exc:
        with_changes(baseline, {"date": CHANGE_DATE, **change})
    text = problems_of(exc)
    # The error says from when the scenario is invalid, which field, and what is allowed.
    assert CHANGE_DATE.isoformat() in text
    assert field in text
    assert words in text


def test_change_to_an_invalid_value_names_the_change(baseline: Scenario) -> None:
    ok = {"date": dt.date(2025, 10, 1), "field": "early_help.key_workers", "value": 20.0}
    bad = {"date": CHANGE_DATE, "field": "referral.no_further_action", "value": 1.5}
    with pytest.raises(caseflow.ScenarioError) as exc:
        with_changes(baseline, ok, bad)
    assert any(path.startswith("changes[1]") for path, _ in exc.value.problems), problems_of(exc)


def test_invalid_change_in_a_file_names_the_file(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    f = tmp_path / "bad_change.toml"
    f.write_text(
        f'extends = "{(repo / "scenarios" / "baseline.toml").as_posix()}"\n'
        'name = "bad"\n\n[[changes]]\ndate = 2026-04-01\nfield = "demand.contacts_per_yr"\nfactor = 1.1\n',
        encoding="utf-8",
    )
    with pytest.raises(caseflow.ScenarioError) as exc:
        caseflow.load_scenario(f)
    assert str(f) in str(exc.value)
    assert exc.value.problems == [("changes[0].field", "no such parameter: demand.contacts_per_yr")]


# =================================================================== workforce.changes
@pytest.fixture(scope="module")
def staffing_runs(baseline: Scenario) -> dict[str, pd.DataFrame]:
    """Baseline, +10 CIN/CP posts from 1 October 2025 filled by a campaign (2 months), and the same
    posts filled at the usual pace (15 months); seed 3, one reported year."""
    post = {"date": dt.date(2025, 10, 1), "team": "cin_cp", "establishment": 74.0}
    scenarios = {
        "base": baseline,
        "campaign": baseline.with_overrides({"workforce.changes": [{**post, "fill_months": 2.0}]}),
        "usual": baseline.with_overrides({"workforce.changes": [post]}),
    }
    out = {}
    for name, s in scenarios.items():
        k = compute_kpis(simulate(s, seed=3, years=1))
        out[name] = k[k["period_type"] == "month"].pivot(index="period", columns="kpi", values="value")
    return out


@pytest.mark.untraced
def test_workforce_change_adds_staff_in_post_after_its_date(staffing_runs: dict[str, pd.DataFrame]) -> None:
    base, camp = staffing_runs["base"]["sw_fte_in_post"], staffing_runs["campaign"]["sw_fte_in_post"]
    assert base.index[6] == "2025-10"
    # Identical staffing up to the date (the change does not disturb anything before it) …
    np.testing.assert_array_equal(camp.iloc[:6], base.iloc[:6])
    # … then more FTE in post from 3 months after it, most of the 10 new posts filled.
    gain = camp.iloc[9:] - base.iloc[9:]
    assert (gain > 0).all()
    assert gain.mean() >= 5.0


def test_recruitment_campaign_fills_new_posts_faster(staffing_runs: dict[str, pd.DataFrame]) -> None:
    camp = staffing_runs["campaign"]["sw_fte_in_post"]
    usual = staffing_runs["usual"]["sw_fte_in_post"]
    first_half_year = slice(7, 13)  # November 2025 to April 2026
    assert camp.iloc[first_half_year].mean() > usual.iloc[first_half_year].mean() + 3


def test_workforce_change_raises_establishment_and_costs(staffing_runs: dict[str, pd.DataFrame]) -> None:
    base, camp = staffing_runs["base"], staffing_runs["campaign"]
    posts = (camp["sw_fte_in_post"] + camp["sw_vacancies_fte"]) - (
        base["sw_fte_in_post"] + base["sw_vacancies_fte"]
    )
    assert (posts.iloc[6:] == 10).all()  # 64 → 74 funded posts from October
    assert camp["cost_staff_permanent"].iloc[9:].sum() > base["cost_staff_permanent"].iloc[9:].sum()


def test_workforce_change_not_in_the_previous_month_end(staffing_runs: dict[str, pd.DataFrame]) -> None:
    """Posts funded from 1 October are not yet vacancies at the end of September."""
    base, camp = staffing_runs["base"], staffing_runs["campaign"]
    assert base.index[5] == "2025-09"
    assert camp["sw_vacancies_fte"].iloc[5] == base["sw_vacancies_fte"].iloc[5]


def _leavers_by_month(out: ReplicationOutput) -> np.ndarray:
    """FTE leaving (LA-employed) in each month of the run, warm-up included."""
    return np.asarray(out.recorder.counts["sw_leavers_fte"], dtype=float)


@pytest.mark.slow  # six one-year runs of the baseline: run untraced by coverage (tests/conftest.py)
@pytest.mark.parametrize(("before", "after"), [(0.118, 0.9), (0.0, 0.6), (0.118, 0.0)])
def test_a_change_in_turnover_reaches_the_workers_in_post(
    baseline: Scenario, before: float, after: float
) -> None:
    """Tenures are exponential, so from the change every worker in post leaves at the new rate: drawing
    their remaining time again is exact. Keeping the tenure drawn when they started would leave a new
    rate to work through only as posts turn over (8.5 years on average at 11.8%), and a rate that had
    been 0 would never start."""
    start = baseline.with_overrides({"workforce.dynamics.turnover_rate": before, "run.warmup_years": 0})
    date = dt.date(start.run.start_date.year, 10, 1)
    changed = with_changes(start, {"date": date, "field": "workforce.dynamics.turnover_rate", "value": after})
    out = simulate(changed, seed=4, years=1)
    base, new = _leavers_by_month(simulate(start, seed=4, years=1)), _leavers_by_month(out)
    months_before = 6  # April to September: the same draws, the same leavers
    np.testing.assert_array_equal(new[:months_before], base[:months_before])
    stocks = out.recorder.stocks
    end_of_september = months_before - 1
    employed = float(stocks["sw_fte_in_post"][end_of_september]) - float(
        stocks["sw_agency_fte"][end_of_september]
    )
    expected = after * employed * 3 / 12  # October to December at the new rate (100 to 120 FTE employed)
    got = new[months_before : months_before + 3].sum()
    if after == 0:
        assert got == 0
    else:  # a Poisson count of about 18 to 27 (over 12 seeds, 18.7 against 18.2 expected from 0 to 0.6):
        # within 60%, and well above what the old rate gives
        assert got == pytest.approx(expected, rel=0.6), (got, expected)
        assert got > 2 * before * employed * 3 / 12 + 2


@pytest.mark.untraced
def test_a_change_of_a_sources_share_to_mash_applies_from_its_date(sampled_baseline: Scenario) -> None:
    """The arrivals read each source's share passed to MASH once per scenario in force: a change to it
    applies from its date (no police contact is passed on after it), and nothing changes before."""
    changed = with_changes(
        sampled_baseline, {"date": CHANGE_DATE, "field": "demand.sources.police.to_mash", "value": 0.0}
    )
    base, new = simulate(sampled_baseline, seed=2, years=0), simulate(changed, seed=2, years=0)
    month = base.months.index(CHANGE_DATE.strftime("%Y-%m"))
    before = np.asarray(base.recorder.counts["referrals_from_police"], dtype=float)
    after = np.asarray(new.recorder.counts["referrals_from_police"], dtype=float)
    np.testing.assert_array_equal(after[:month], before[:month])
    assert before[month:].sum() > 100
    assert after[month + 1 :].sum() == 0  # the change month's first days still pass some on


def test_a_change_reaches_the_parameters_read_for_every_piece_of_work(baseline: Scenario) -> None:
    """Recurring work, casework and the front door keep the parameters they read for every item as
    plain numbers; a time-phased change must replace them (no accepted change is silently ignored)."""
    from caseflow.scenario.scale import scaled

    small = scaled(baseline.with_overrides({"run.warmup_years": 0}), 0.05)
    out = simulate(small, seed=1, years=1, track_children=True)
    pathway = out.pathway
    assert pathway is not None
    new = small.with_overrides(
        {
            "workforce.visits.planning_lead_wd": 1,
            "workforce.hours.per_extra_child": 0.05,
            "workforce.weights.visit": 2.5,
            "workforce.weights.other": 0.75,
            "workforce.time.external_time_scale": 1.5,
            "front_door.early_help_if_not_mash": 0.123,
        }
    )
    pathway.update(new)
    workforce = pathway.capacity
    workforce.update(new)  # type: ignore[attr-defined]
    schedule, work = workforce.schedule, workforce.work  # type: ignore[attr-defined]
    assert (schedule.lead_wd, schedule.per_extra_child) == (1, 0.05)
    assert (schedule.visit_weight, schedule.other_weight) == (2.5, 0.75)
    assert (work._per_extra_child, work._external_time_scale) == (0.05, 1.5)
    assert pathway.stages["front_door"]._early_help_if_not_mash == 0.123  # type: ignore[attr-defined]


@pytest.mark.parametrize(("pattern", "reason"), START_ONLY)
def test_fields_read_only_at_the_start_cannot_change(baseline: Scenario, pattern: str, reason: str) -> None:
    """A change of a field the model reads only when the run starts would be silently ignored: refused,
    with the reason (issue 14: no accepted input is silently ignored)."""
    field = pattern.replace("*", "assessment")
    current = get_path(baseline.model_dump(), field) if pattern != "court" else {}
    value = current if isinstance(current, bool | int | float | str | dict) else 1
    data = baseline.model_dump()
    data["changes"] = [{"date": dt.date(2026, 4, 1), "field": field, "value": value}]
    with pytest.raises(ScenarioError) as info:
        validate(data)
    assert info.value.problems[0] == ("changes[0].field", f"{field} cannot change during a run: {reason}")


def test_fields_the_model_follows_can_change(baseline: Scenario) -> None:
    for field in (
        "workforce.teams.assessment.establishment",
        "looked_after.uasc_per_year",
        "demand.contacts_per_year",
    ):
        assert start_only(field) is None
        changed = baseline.with_overrides(
            {"changes": [{"date": dt.date(2026, 4, 1), "field": field, "factor": 1.1}]}
        )
        assert len(changed.changes) == 1
