"""Cost arithmetic checked against hand calculations (DESIGN §4–5, docs/costs.md).

Most tests drive a real :class:`caseflow.costs.CostLedger` and :class:`caseflow.records.Recorder` with
stub pathway and workforce objects that report fixed FTE-days, key-worker FTE-days and child-days, so
every pound can be worked out by hand. The last tests run the whole model for one reported year and
check the ledger's bookkeeping: parts add up to the total, placement costs are linear in the weekly
unit costs, and a scenario without ``[costs]`` has no cost KPIs. They run the baseline at half its size (the
same unit costs, rates and caseloads): bookkeeping does not depend on size. (At a fifth, a year's mean of
month-end agency FTE is too few workers to match time-weighted agency costs within 10%.)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from caseflow.calendar import Calendar
from caseflow.costs import COST_KPIS, CostLedger, inflation_factor
from caseflow.metrics import compute_kpis
from caseflow.model.simulation import ReplicationOutput
from caseflow.records import Recorder
from caseflow.replication import simulate
from caseflow.scenario import Scenario
from caseflow.scenario.loader import validate

DAYS_PER_YEAR = 365.25
START = dt.date(2025, 4, 1)
CAL = Calendar(START, 800)
N_MONTHS = 24

#: Round-number unit costs, so the hand calculations below are easy to follow.
UNIT_COSTS: dict[str, Any] = {
    "costs.price_date": START,
    "costs.annual_inflation": 0.0,
    "costs.salary.nqsw": 30000.0,
    "costs.salary.social_worker": 40000.0,
    "costs.salary.senior_practitioner": 50000.0,
    "costs.salary.senior_share": 0.25,
    "costs.salary.front_door_and_care_leavers": 36000.0,
    "costs.salary.oncost_multiplier": 1.3,
    "costs.retention_payment": 1000.0,
    "costs.recruitment_payment": 2000.0,
    "costs.agency.hourly_rate": 50.0,
    "costs.agency.billed_hours_per_week": 37.0,
    "costs.agency.billed_weeks_per_year": 47.0,
    "costs.early_help_worker": 40000.0,
    "costs.placements_weekly.in_house_fostering": 700.0,
    "costs.placements_weekly.ifa": 1050.0,
    "costs.placements_weekly.kinship": 400.0,
    "costs.placements_weekly.childrens_home": 7000.0,
    "costs.placements_weekly.supported_accommodation": 1400.0,
    "costs.placements_weekly.placed_with_parents": 140.0,
    "costs.placements_weekly.secure": 8400.0,
}

#: FTE-days in the month by pay category (e.g. 50 experienced FTE for a 30-day month = 1,500).
FTE_DAYS = {"experienced": 1500.0, "nqsw": 150.0, "non_case": 600.0, "agency": 240.0}
EH_DAYS = 16 * 30.0  # 16 key workers for 30 days
CHILD_DAYS = {"in_house_fostering": 3000.0, "ifa": 2100.0, "childrens_home": 700.0, "secure": 14.0}


@dataclass(frozen=True)
class StubDrivers:
    """Fixed FTE-days by pay category (None: no workforce), key-worker FTE-days and child-days by
    placement type, reported as the model reports them to the ledger (:class:`CostDrivers`)."""

    fte: dict[str, float] | None
    eh_days: float
    child_days: dict[str, float]

    @property
    def staff_days(self) -> Callable[[], Mapping[str, float]] | None:
        fte = self.fte
        return None if fte is None else lambda: dict(fte)

    @property
    def key_worker_days(self) -> Callable[[], float]:
        return lambda: self.eh_days

    @property
    def placement_days(self) -> Callable[[], Mapping[str, float]]:
        return lambda: dict(self.child_days)


def costed(baseline: Scenario, **extra: Any) -> Scenario:
    """The baseline with the round-number unit costs (and ``extra`` dotted overrides, ``__`` for ``.``)."""
    ov = dict(UNIT_COSTS)
    ov.update({k.replace("__", "."): v for k, v in extra.items()})
    return baseline.with_overrides(ov, name="costed")


def ledger_month(
    scenario: Scenario,
    *,
    month: int = 0,
    fte: dict[str, float] | None = FTE_DAYS,
    eh_days: float = EH_DAYS,
    child_days: dict[str, float] = CHILD_DAYS,
    hires: float = 0.0,
) -> Recorder:
    """Accrue one month (``month`` after April 2025) with the stubs and return the recorder."""
    rec = Recorder(N_MONTHS, CAL.month_index[:731])
    if hires:
        rec.add("sw_permanent_hires", month, hires)
    ledger = CostLedger(scenario, CAL, rec, StubDrivers(fte, eh_days, child_days))
    start = CAL.time(CAL.month_start(month))
    end = CAL.time(CAL.month_start(month + 1))
    ledger.cost_month(month, start, end)
    return rec


def recorded(rec: Recorder, name: str, month: int = 0) -> float:
    return rec.counts[name][month]


# =========================================================================== unit arithmetic
def test_permanent_staff_cost_by_grade_with_oncosts_retention_and_recruitment(baseline: Scenario) -> None:
    rec = ledger_month(costed(baseline), hires=2.0)
    # Experienced case-holders at the blended grade: 75% social worker, 25% senior practitioner.
    experienced_salary = 0.75 * 40000 + 0.25 * 50000
    assert experienced_salary == 42500
    pay = 1500 * experienced_salary + 150 * 30000 + 600 * 36000  # £ × FTE-days
    assert pay == 63_750_000 + 4_500_000 + 21_600_000
    salary_and_oncosts = pay * 1.3 / DAYS_PER_YEAR
    retention = 1000 * (1500 + 150 + 600) / DAYS_PER_YEAR  # per permanent FTE-year (agency excluded)
    recruitment = 2000 * 2
    expected = salary_and_oncosts + retention + recruitment
    # By hand: 89,850,000 × 1.3 / 365.25 = 319,794.66; retention 2,250,000 / 365.25 = 6,160.16; + 4,000.
    assert expected == pytest.approx(329_954.83, abs=0.01)
    assert recorded(rec, "cost_staff_permanent") == pytest.approx(expected, rel=1e-12)
    assert recorded(rec, "cost_recruitment_retention") == pytest.approx(retention + recruitment, rel=1e-12)


def test_no_hires_no_recruitment_payment(baseline: Scenario) -> None:
    s = costed(baseline)
    with_hires = recorded(ledger_month(s, hires=3.0), "cost_recruitment_retention")
    without = recorded(ledger_month(s), "cost_recruitment_retention")
    assert with_hires - without == pytest.approx(3 * 2000, rel=1e-12)
    assert without == pytest.approx(1000 * 2250 / DAYS_PER_YEAR, rel=1e-12)


def test_hires_in_another_month_are_not_charged_here(baseline: Scenario) -> None:
    rec = Recorder(N_MONTHS, CAL.month_index[:731])
    rec.add("sw_permanent_hires", 1, 5.0)  # hires in May only
    ledger = CostLedger(costed(baseline), CAL, rec, StubDrivers({}, 0.0, {}))
    ledger.cost_month(0, 0.0, 30.0)
    assert recorded(rec, "cost_recruitment_retention", 0) == 0.0


def test_senior_share_moves_experienced_pay_between_grades(baseline: Scenario) -> None:
    only_experienced = {"experienced": 365.25}  # one FTE for a year
    for share, salary in ((0.0, 40000.0), (1.0, 50000.0), (0.4, 44000.0)):
        s = costed(baseline, costs__salary__senior_share=share, costs__retention_payment=0.0)
        rec = ledger_month(s, fte=only_experienced)
        assert recorded(rec, "cost_staff_permanent") == pytest.approx(salary * 1.3, rel=1e-12)


def test_agency_cost_hourly_charge_times_billed_hours(baseline: Scenario) -> None:
    rec = ledger_month(costed(baseline))
    expected = 240 * 50 * 37 * 47 / DAYS_PER_YEAR  # FTE-days × £/h × h/week × weeks/year ÷ days/year
    assert expected == pytest.approx(57_133.47, abs=0.01)
    assert recorded(rec, "cost_staff_agency") == pytest.approx(expected, rel=1e-12)
    # One agency FTE for a whole year costs rate × hours × weeks.
    year = ledger_month(costed(baseline), fte={"agency": DAYS_PER_YEAR})
    assert recorded(year, "cost_staff_agency") == pytest.approx(50 * 37 * 47, rel=1e-12)
    # Agency workers are not permanent staff: no salary, retention or recruitment for them.
    assert recorded(year, "cost_staff_permanent") == 0.0


@pytest.mark.parametrize(("cap", "charged"), [(None, 50.0), (40.0, 40.0), (60.0, 50.0), (50.0, 50.0)])
def test_agency_regional_cap_is_the_lower_of_rate_and_cap(
    baseline: Scenario, cap: float | None, charged: float
) -> None:
    extra = {} if cap is None else {"costs__agency__regional_cap": cap}
    s = costed(baseline, **extra)
    assert s.costs is not None
    assert s.costs.agency.hourly() == charged
    rec = ledger_month(s)
    assert recorded(rec, "cost_staff_agency") == pytest.approx(240 * charged * 37 * 47 / DAYS_PER_YEAR)


def test_early_help_cost_key_worker_fte_days(baseline: Scenario) -> None:
    rec = ledger_month(costed(baseline))
    assert recorded(rec, "cost_early_help") == pytest.approx(480 * 40000 / DAYS_PER_YEAR, rel=1e-12)
    # 16 key workers for a year cost 16 × £40,000.
    year = ledger_month(costed(baseline), eh_days=16 * DAYS_PER_YEAR)
    assert recorded(year, "cost_early_help") == pytest.approx(640_000.0, rel=1e-12)


def test_placement_costs_by_type_child_days_times_weekly_over_seven(baseline: Scenario) -> None:
    rec = ledger_month(costed(baseline))
    expected = {
        "in_house_fostering": 3000 * 700 / 7,  # £300,000
        "ifa": 2100 * 1050 / 7,  # £315,000
        "childrens_home": 700 * 7000 / 7,  # £700,000
        "secure": 14 * 8400 / 7,  # £16,800
    }
    assert expected == {
        "in_house_fostering": 300_000,
        "ifa": 315_000,
        "childrens_home": 700_000,
        "secure": 16_800,
    }
    for kind, money in expected.items():
        assert recorded(rec, f"cost_placements_{kind}") == pytest.approx(money, rel=1e-12)
    assert recorded(rec, "cost_placements") == pytest.approx(1_331_800.0, rel=1e-12)
    # Types with no children that month cost nothing.
    assert recorded(rec, "cost_placements_kinship") == 0.0


def test_cost_total_is_sum_of_parts(baseline: Scenario) -> None:
    rec = ledger_month(costed(baseline), hires=1.0)
    parts = ("cost_staff_permanent", "cost_staff_agency", "cost_early_help", "cost_placements")
    total = sum(recorded(rec, p) for p in parts)
    assert recorded(rec, "cost_total") == pytest.approx(total, rel=1e-12)
    # Recruitment and retention are inside cost_staff_permanent, not added again.
    assert recorded(rec, "cost_recruitment_retention") < recorded(rec, "cost_staff_permanent")


def test_without_a_workforce_only_early_help_and_placements_are_costed(baseline: Scenario) -> None:
    rec = ledger_month(costed(baseline), fte=None)
    for name in ("cost_staff_permanent", "cost_staff_agency", "cost_recruitment_retention"):
        assert name not in rec.counts
    total = recorded(rec, "cost_early_help") + recorded(rec, "cost_placements")
    assert recorded(rec, "cost_total") == pytest.approx(total, rel=1e-12)


def test_scenario_without_costs_records_nothing(baseline: Scenario) -> None:
    data = baseline.model_dump()
    data.pop("costs")
    s = validate(data)
    assert s.costs is None
    rec = ledger_month(s)
    assert not any(name.startswith("cost_") for name in rec.counts)


# =========================================================================== inflation
def test_inflation_factor_compounds_from_price_date(baseline: Scenario) -> None:
    # Priced a year (365 days) before the run starts, 3% a year.
    s = costed(baseline, costs__annual_inflation=0.03, costs__price_date=dt.date(2024, 4, 1))
    assert inflation_factor(s, CAL, 0.0) == pytest.approx(1.03 ** (365 / DAYS_PER_YEAR), rel=1e-12)
    assert inflation_factor(s, CAL, 10.0) == pytest.approx(1.03 ** (375 / DAYS_PER_YEAR), rel=1e-12)
    # Within a day the factor does not move (it is taken at the date of ``t``).
    assert inflation_factor(s, CAL, 10.9) == inflation_factor(s, CAL, 10.0)
    assert inflation_factor(costed(baseline), CAL, 500.0) == 1.0


@pytest.mark.parametrize("month", [0, 5, 12, 23])
def test_every_cost_is_uplifted_to_the_middle_of_its_month(baseline: Scenario, month: int) -> None:
    flat = costed(baseline)
    inflating = costed(baseline, costs__annual_inflation=0.03)
    a = ledger_month(flat, month=month, hires=1.0)
    b = ledger_month(inflating, month=month, hires=1.0)
    start = CAL.time(CAL.month_start(month))
    end = CAL.time(CAL.month_start(month + 1))
    mid_day = CAL.date((start + end) / 2)  # e.g. 16 April 2025 for April (days 0–30)
    factor = 1.03 ** ((mid_day - START).days / DAYS_PER_YEAR)
    if month == 0:
        assert mid_day == dt.date(2025, 4, 16)
        assert factor == pytest.approx(1.03 ** (15 / 365.25))
    for name in COST_KPIS:
        assert b.counts[name][month] == pytest.approx(a.counts[name][month] * factor, rel=1e-12), name


def test_price_date_after_the_spending_deflates(baseline: Scenario) -> None:
    s = costed(baseline, costs__annual_inflation=0.03, costs__price_date=dt.date(2026, 4, 16))
    rec = ledger_month(s, month=0)  # April 2025, mid-month 16 April: 365 days before the price date
    flat = ledger_month(costed(baseline), month=0)
    factor = 1.03 ** (-365 / DAYS_PER_YEAR)
    assert recorded(rec, "cost_total") == pytest.approx(recorded(flat, "cost_total") * factor, rel=1e-12)


def test_ledger_update_switches_unit_costs(baseline: Scenario) -> None:
    rec = Recorder(N_MONTHS, CAL.month_index[:731])
    ledger = CostLedger(costed(baseline), CAL, rec, StubDrivers({"agency": 300.0}, 0.0, {}))
    ledger.cost_month(0, 0.0, 30.0)
    ledger.update(costed(baseline, costs__agency__regional_cap=30.0))
    ledger.cost_month(1, 30.0, 61.0)
    assert rec.counts["cost_staff_agency"][0] == pytest.approx(300 * 50 * 37 * 47 / DAYS_PER_YEAR)
    assert rec.counts["cost_staff_agency"][1] == pytest.approx(300 * 30 * 37 * 47 / DAYS_PER_YEAR)


# =========================================================================== the whole model
@pytest.fixture(scope="module")
def half_baseline(baseline: Scenario) -> Scenario:
    """The baseline at half its size: 30,000 children, demand, opening caseload and staff halved."""
    from caseflow.scenario.scale import scaled

    return scaled(baseline, 0.5, name="baseline x0.5")


def month_table(out: ReplicationOutput) -> pd.DataFrame:
    k = compute_kpis(out)
    return k[k["period_type"] == "month"].pivot(index="period", columns="kpi", values="value")


@pytest.fixture(scope="module")
def run1(half_baseline: Scenario) -> ReplicationOutput:
    return simulate(half_baseline, seed=1, years=1)


@pytest.fixture(scope="module")
def months1(run1: ReplicationOutput) -> pd.DataFrame:
    return month_table(run1)


@pytest.mark.untraced
def test_full_run_monthly_total_is_sum_of_parts(months1: pd.DataFrame) -> None:
    assert len(months1) == 24  # warm-up year + one reported year
    parts = months1[["cost_staff_permanent", "cost_staff_agency", "cost_early_help", "cost_placements"]]
    np.testing.assert_allclose(months1["cost_total"], parts.sum(axis=1), rtol=1e-12)
    assert (months1[list(parts.columns)] > 0).all().all()
    assert (months1["cost_recruitment_retention"] < months1["cost_staff_permanent"]).all()


def test_full_run_placement_cost_is_sum_of_types(run1: ReplicationOutput) -> None:
    counts = run1.recorder.counts
    kinds = [k for k in counts if k.startswith("cost_placements_")]
    assert len(kinds) >= 5
    by_type = np.sum([counts[k] for k in kinds], axis=0)
    np.testing.assert_allclose(counts["cost_placements"], by_type, rtol=1e-12)


def test_full_run_staff_costs_match_staff_in_post(half_baseline: Scenario, run1: ReplicationOutput) -> None:
    """Costs come from time-weighted FTE-days; the month-end stocks count the same people. A year's
    cost per FTE in post must be a loaded salary, and per agency FTE the agency charge."""
    assert half_baseline.costs is not None
    c = half_baseline.costs
    counts, stocks = run1.recorder.counts, run1.recorder.stocks
    year = slice(12, 24)  # the reported year, April 2026 to March 2027 (≈ 1.5 years after price_date)
    uplift = (1 + c.annual_inflation) ** 1.5
    per_fte = sum(counts["cost_staff_permanent"][year]) / np.mean(stocks["sw_fte_in_post"][year])
    lo = c.salary.oncost_multiplier * c.salary.nqsw * uplift
    hi = (c.salary.oncost_multiplier * c.salary.senior_practitioner + c.retention_payment) * uplift
    assert lo < per_fte < hi
    per_agency = sum(counts["cost_staff_agency"][year]) / np.mean(stocks["sw_agency_fte"][year])
    a = c.agency
    assert per_agency == pytest.approx(
        a.hourly() * a.billed_hours_per_week * a.billed_weeks_per_year * uplift, rel=0.1
    )


def test_full_run_placement_costs_match_children_in_placements(
    half_baseline: Scenario, run1: ReplicationOutput
) -> None:
    assert half_baseline.costs is not None
    counts, stocks = run1.recorder.counts, run1.recorder.stocks
    year = slice(12, 24)
    uplift = (1 + half_baseline.costs.annual_inflation) ** 1.5
    for kind in ("in_house_fostering", "ifa", "childrens_home"):
        weekly = getattr(half_baseline.costs.placements_weekly, kind)
        children = np.mean(stocks[f"cla_{kind}_end"][year])
        expected = children * weekly * DAYS_PER_YEAR / 7 * uplift
        assert sum(counts[f"cost_placements_{kind}"][year]) == pytest.approx(expected, rel=0.1), kind


@pytest.mark.untraced
def test_doubling_weekly_placement_costs_doubles_placement_costs(
    half_baseline: Scenario, months1: pd.DataFrame
) -> None:
    assert half_baseline.costs is not None
    weekly = half_baseline.costs.placements_weekly
    doubled = half_baseline.with_overrides(
        {f"costs.placements_weekly.{k}": 2 * float(v) for k, v in weekly}, name="doubled"
    )
    m2 = month_table(simulate(doubled, seed=1, years=1))
    np.testing.assert_allclose(m2["cost_placements"], 2 * months1["cost_placements"], rtol=1e-12)
    # Nothing else moves: same seed, same children, same staff.
    for name in ("cost_staff_permanent", "cost_staff_agency", "cost_early_help", "contacts", "cla_open_end"):
        np.testing.assert_array_equal(m2[name], months1[name])
    np.testing.assert_allclose(
        m2["cost_total"] - months1["cost_total"], months1["cost_placements"], rtol=1e-9
    )


@pytest.mark.untraced
def test_no_costs_section_gives_nan_cost_kpis(half_baseline: Scenario, months1: pd.DataFrame) -> None:
    data = half_baseline.model_dump()
    data.pop("costs")
    without = validate(data, source="<no costs>")
    k = compute_kpis(simulate(without, seed=1, years=1))
    costs = k[k["kpi"].isin(COST_KPIS)]
    assert set(costs["kpi"]) >= {
        "cost_staff_permanent",
        "cost_staff_agency",
        "cost_early_help",
        "cost_placements",
        "cost_total",
    }
    assert costs["value"].isna().all()
    # Costing is bookkeeping only: without it the simulation is unchanged.
    m = k[k["period_type"] == "month"].pivot(index="period", columns="kpi", values="value")
    for name in ("contacts", "referrals", "cla_open_end", "sw_fte_in_post", "unallocated_cases_end"):
        np.testing.assert_array_equal(m[name], months1[name])
    assert not math.isnan(months1["cost_total"].iloc[0])


@pytest.fixture(scope="module")
def agency_rate_doubled_from_october(half_baseline: Scenario) -> ReplicationOutput:
    """The half_baseline with the agency charge doubled (£45 → £90 an hour) from 1 October 2025."""
    change = {"date": dt.date(2025, 10, 1), "field": "costs.agency.hourly_rate", "value": 90.0}
    return simulate(half_baseline.with_overrides({"changes": [change]}), seed=1, years=1)


@pytest.mark.untraced
def test_time_phased_cost_change_applies_from_its_date(
    run1: ReplicationOutput, agency_rate_doubled_from_october: ReplicationOutput
) -> None:
    before = run1.recorder.counts["cost_staff_agency"]
    after = agency_rate_doubled_from_october.recorder.counts["cost_staff_agency"]
    assert run1.months[6] == "2025-10"
    # A price change does not change what the simulation does, so October onwards costs exactly double.
    np.testing.assert_allclose(after[6:], 2 * np.asarray(before[6:]), rtol=1e-12)
    np.testing.assert_array_equal(after[:5], before[:5])


def test_cost_change_does_not_reprice_the_month_before(
    run1: ReplicationOutput, agency_rate_doubled_from_october: ReplicationOutput
) -> None:
    """A change dated 1 October takes effect after September's costs are accrued at midnight."""
    before = run1.recorder.counts["cost_staff_agency"]
    after = agency_rate_doubled_from_october.recorder.counts["cost_staff_agency"]
    assert run1.months[5] == "2025-09"
    assert after[5] == pytest.approx(before[5], rel=1e-12)
