"""Directional properties of the workforce under common random numbers (DESIGN §7, §9).

Each comparison runs both scenarios of a pair on the same seed, so replication ``r`` of each uses the
same named random streams; the effect is the mean of per-replication paired differences with a t-based
95% CI (:func:`caseflow.experiment.stats.t_interval`). A property fails only when the CI shows the
*wrong* direction with confidence: e.g. fewer workers must not shorten assessments beyond what the
paired CI allows (upper bound of fewer − more below zero).

For speed the hypothesis properties run on a smaller local authority: the baseline scaled to 20,000
children (demand, opening caseload, UASC arrivals and every team's establishment scaled by 1/3),
with one reported year after the warm-up and three replications per scenario. Hypothesis is
derandomised so the drawn variants, and so the test outcome, are the same on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import caseflow
from caseflow.experiment.stats import t_interval
from caseflow.model.simulation import ReplicationOutput
from caseflow.replication import simulate
from caseflow.scenario import Scenario

SEED = 424242
REPS = 3
SMALL_FACTOR = 1 / 3

PROPERTY_SETTINGS = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# ====================================================================== helpers
@pytest.fixture(scope="module")
def small(baseline: Scenario) -> Scenario:
    """The baseline scaled to a 20,000-child LA: same rates, a third of the volume and the staff."""
    f = SMALL_FACTOR
    ov: dict[str, Any] = {
        "population": round(baseline.population * f),
        "demand.contacts_per_year": round(baseline.demand.contacts_per_year * f),
        "looked_after.uasc_per_year": baseline.looked_after.uasc_per_year * f,
    }
    for name in ("children_in_need", "child_protection", "looked_after", "in_assessment"):
        ov[f"opening_stock.{name}"] = round(getattr(baseline.opening_stock, name) * f)
    assert baseline.workforce is not None
    for name, team in baseline.workforce.teams.items():
        ov[f"workforce.teams.{name}.establishment"] = round(team.establishment * f, 2)
    return baseline.with_overrides(ov, name="small LA")


@pytest.fixture(scope="module")
def small_assessment_establishment(small: Scenario) -> float:
    assert small.workforce is not None
    return small.workforce.teams["assessment"].establishment


def reported_fy(out: ReplicationOutput) -> pd.Series:
    """KPIs of the reported financial year(s) after the warm-up, averaged over years."""
    k = caseflow.compute_kpis(out)
    fy = k[(k["period_type"] == "financial_year") & ~k["warmup"]]
    return fy.groupby("kpi")["value"].mean()


def mean_assessment_wd(out: ReplicationOutput) -> float:
    """Mean working days from referral to completed assessment, over assessments completed after the
    warm-up (the ``assessment_wd`` tally, one value per child)."""
    months, values = out.recorder.tallies["assessment_wd"]
    v = np.asarray(values, dtype=float)[np.asarray(months) >= out.warmup_months]
    assert v.size > 0
    return float(v.mean())


@dataclass(frozen=True)
class Run:
    """What the comparisons measure in one replication: its reported-year KPIs and mean assessment
    length (kept instead of the whole output, so runs can be shared)."""

    fy: pd.Series
    assessment_wd: float


#: Runs already made, by (scenario, seed, replication): the hypothesis examples of the two properties
#: share some scenarios (e.g. half the assessment team with a cap of 8), run once per module.
_RUNS: dict[tuple[str, int, int], Run] = {}


def run_of(scenario: Scenario, seed: int, replication: int) -> Run:
    key = (scenario.model_dump_json(), seed, replication)
    if key not in _RUNS:
        out = simulate(scenario, seed=seed, replication=replication, years=1)
        _RUNS[key] = Run(reported_fy(out), mean_assessment_wd(out))
    return _RUNS[key]


def paired(
    a: Scenario, b: Scenario, measure: Any, *, reps: int = REPS, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray]:
    """``measure(run)`` for replications 0..reps-1 of ``a`` and ``b`` on common random numbers."""
    xa, xb = [], []
    for r in range(reps):
        xa.append(measure(run_of(a, seed, r)))
        xb.append(measure(run_of(b, seed, r)))
    return np.asarray(xa, dtype=float), np.asarray(xb, dtype=float)


def assessment_team(scenario: Scenario, establishment: float, cap: float) -> Scenario:
    ov: Mapping[str, Any] = {
        "workforce.teams.assessment.establishment": establishment,
        "workforce.teams.assessment.soft_cap": cap,
        "workforce.teams.assessment.hard_cap": cap + 5.0,
    }
    return scenario.with_overrides(dict(ov))


# ====================================================================== (i) fewer workers
@pytest.mark.slow
@PROPERTY_SETTINGS
@given(multiplier=st.floats(0.5, 1.0), cap=st.integers(8, 25))
@example(multiplier=0.5, cap=20)
def test_fewer_workers_never_shorten_assessments(
    small: Scenario, small_assessment_establishment: float, multiplier: float, cap: int
) -> None:
    full = small_assessment_establishment
    fewer = assessment_team(small, round(full * multiplier, 2), float(cap))
    more = assessment_team(small, full, float(cap))
    x_fewer, x_more = paired(fewer, more, lambda run: run.assessment_wd)
    mean, lo, hi = t_interval(x_fewer - x_more)
    assert hi >= 0, (
        f"{multiplier:.2f}× staff, cap {cap}: fewer − more = {mean:.2f} wd, 95% CI ({lo:.2f}, {hi:.2f})"
    )
    if multiplier == 0.5 and cap == 20:
        # The explicit example is a real effect, not noise: half the team lengthens assessments.
        assert lo > 0


# ====================================================================== (ii) lower caps
@pytest.mark.slow
@PROPERTY_SETTINGS
@given(
    multiplier=st.floats(0.5, 1.0),
    caps=st.lists(st.integers(8, 25), min_size=2, max_size=2, unique=True).map(sorted),
)
@example(multiplier=0.5, caps=[8, 25])
def test_lower_cap_never_reduces_unallocated_cases(
    small: Scenario, small_assessment_establishment: float, multiplier: float, caps: list[int]
) -> None:
    low, high = caps
    staff = round(small_assessment_establishment * multiplier, 2)
    capped = assessment_team(small, staff, float(low))
    roomy = assessment_team(small, staff, float(high))

    def unallocated(run: Run) -> float:
        return float(run.fy["unallocated_cases_mean"])

    x_low, x_high = paired(capped, roomy, unallocated)
    mean, lo, hi = t_interval(x_low - x_high)
    assert hi >= 0, (
        f"{multiplier:.2f}× staff, caps {low} vs {high}: low − high = {mean:.1f} children, "
        f"95% CI ({lo:.1f}, {hi:.1f})"
    )
    if multiplier == 0.5 and caps == [8, 25]:
        assert lo > 0  # a cap of 8 on half a team leaves children waiting


# ====================================================================== (iii) unlimited workers
@pytest.mark.untraced
def test_unlimited_workers_give_no_allocation_waits(small: Scenario) -> None:
    """Extreme value: with far more workers than cases in every team, huge caps and no vacancies,
    turnover or sickness, every child is allocated the moment they need a worker."""
    assert small.workforce is not None
    ov: dict[str, Any] = {
        "workforce.dynamics.opening_vacancy_rate": 0.0,
        "workforce.dynamics.turnover_rate": 0.0,
        "workforce.dynamics.sickness_rate": 0.0,
    }
    for name in small.workforce.teams:
        ov |= {
            f"workforce.teams.{name}.establishment": 1000.0,
            f"workforce.teams.{name}.soft_cap": 1000.0,
            f"workforce.teams.{name}.hard_cap": 1000.0,
            f"workforce.teams.{name}.held_vacant": 0.0,
        }
    unlimited = small.with_overrides(ov)
    out = simulate(unlimited, seed=SEED, years=1)
    _, waits = out.recorder.tallies["allocation_wait_wd"]
    assert len(waits) > 1000
    assert all(w == 0 for w in waits)
    kpi = reported_fy(out)
    assert kpi["unallocated_cases_mean"] == 0
    assert kpi["unallocated_cases_end"] == 0
    assert kpi["allocation_wait_median_wd"] == 0
    assert kpi["sw_vacancy_pct"] == 0


# ====================================================================== (d) held vacancies, baseline
D_SEED = 2025
D_REPS = 5
D_OVERRIDE = {"workforce.teams.assessment.held_vacant": 0.3}


@pytest.mark.slow
def test_assessment_vacancies_lower_timeliness_and_raise_caseloads(baseline: Scenario) -> None:
    """Leaving 30% of assessment posts vacant all run lowers the share of assessments within 45 working
    days and raises the assessment team's caseload: the paired CIs exclude 0 (figures in
    docs/workforce.md)."""
    vacant = baseline.with_overrides(D_OVERRIDE, name="assessment 30% held vacant")
    kpis = ["assessment_within_45wd_pct", "caseload_mean_assessment"]
    base, var = paired(baseline, vacant, lambda run: run.fy[kpis].to_numpy(), reps=D_REPS, seed=D_SEED)
    diff = var - base
    timeliness = t_interval(diff[:, 0])
    caseload = t_interval(diff[:, 1])
    assert timeliness[2] < 0, f"within-45wd change {timeliness}"
    assert caseload[1] > 0, f"caseload change {caseload}"
