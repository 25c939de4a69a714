"""Court work and the pre-birth route (issue 11, item 8): pre-proceedings, care proceedings with their
length and final orders, and unborn babies on CP plans removed at birth.

Runs use sampled durations (no workforce) so that they are quick; the workforce's hours for court
tasks are tested with the workforce in tests/test_workforce_parts.py. Checks of routing and counting
(conservation, care orders, removals at birth going to court) run at a fifth of the baseline's size
(``small``): they do not depend on size, and their minimum counts are unchanged, so they are no easier
to pass. The published-length, final-order and calibration checks, whose precision does, run at full
size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import caseflow
from caseflow.model.simulation import ReplicationOutput
from caseflow.scenario import Scenario, ScenarioError, load_scenario

Variant = Callable[[Mapping[str, Any]], Scenario]
ROOT = Path(__file__).resolve().parents[1]
COURT_WORK = ROOT / "scenarios" / "court_work.toml"

COURT: dict[str, Any] = {
    "pre_proceedings_weeks": 16.0,
    "pre_proceedings_shape": 3.0,
    "pre_proceedings_outcome": {"proceedings": 1.0, "cin_plan": 0.0, "closure": 0.0},
    "emergency_proceedings": 1.0,
    "interim_care_order": 0.0,
    "proceedings_weeks": 41.0,
    "proceedings_shape": 2.6,
    "final_orders": {
        "care_order": 1.0,
        "placement_order": 0.0,
        "supervision_order": 0.0,
        "special_guardianship": 0.0,
        "child_arrangements": 0.0,
        "no_order": 0.0,
    },
}
#: Every CP plan ends in pre-proceedings.
ALL_TO_COURT = {"cp_plan.end": {"cin_plan": 0.0, "closure": 0.0, "looked_after": 0.0, "pre_proceedings": 1.0}}


@pytest.fixture(scope="module")
def small(small_baseline: Scenario) -> Variant:
    """``small({...})``: the baseline at a fifth of its size, with sampled durations and overrides."""
    sampled = small_baseline.with_overrides({"workforce.enabled": False})

    def make(overrides: Mapping[str, Any]) -> Scenario:
        return sampled.with_overrides(dict(overrides), name="baseline x0.2 (test variant)")

    return make


def with_court(variant: Variant, **court: Any) -> Scenario:
    return variant({"court": {**COURT, **court}, **ALL_TO_COURT, "run.years": 3})


def reported(out: ReplicationOutput, name: str) -> float:
    return float(sum(out.recorder.counts.get(name, [0.0])[12:]))


def test_pre_proceedings_need_a_court_section(variant: Variant) -> None:
    with pytest.raises(ScenarioError, match="pre_proceedings"):
        variant(ALL_TO_COURT)


@pytest.mark.untraced
def test_no_court_section_no_court_work(sampled_baseline: Scenario) -> None:
    out = caseflow.simulate(sampled_baseline, seed=1, years=1)
    for name in ("pre_proceedings_started", "proceedings_issued", "pre_birth_referrals"):
        assert reported(out, name) == 0


def test_court_run_conserves_children_and_counts_them_in_need(small: Variant) -> None:
    s = with_court(small, interim_care_order=0.5)
    out = caseflow.simulate(s, seed=2, audit_every_month=True)
    audits = out.audits
    assert len(audits) == len(out.months) + 1  # every month end and the end of the run
    assert max(a["pre_proceedings"] for a in audits) > 0
    assert max(a["proceedings"] for a in audits) > 0
    stocks = out.recorder.stocks
    in_need_parts = sum(
        np.asarray(stocks[k])
        for k in (
            "assessments_open_end",
            "s47_open_end",
            "cin_plans_open_end",
            "cp_plans_open_end",
            "cla_open_end",
            "pre_proceedings_open_end",
            "proceedings_at_home_open_end",
        )
    )
    assert np.array_equal(np.asarray(stocks["cin_open_end"]), in_need_parts)
    assert reported(out, "pre_proceedings_started") > 50
    assert reported(out, "proceedings_issued") > 30


@pytest.mark.slow  # a statistical check: runs untraced by coverage (tests/conftest.py)
def test_proceedings_take_their_published_length(variant: Variant) -> None:
    """Weeks from issue to final order: mean 41 and 32% within 26 (MoJ FCSQ Apr–Jun 2024).

    Taken over proceedings *issued* in one year (disposal month less the weeks), with the run long
    enough for all of them to end: disposals in a window would over-represent short proceedings
    while the number issued is still rising.
    """
    s = with_court(variant, interim_care_order=1.0).with_overrides({"run.years": 4})
    weeks: list[float] = []
    for seed in range(3):
        out = caseflow.simulate(s, seed=seed)
        months, values = out.recorder.tallies["proceedings_weeks"]
        weeks += [w for m, w in zip(months, values, strict=True) if 12 <= m - w / 4.345 < 24]
    w = np.asarray(weeks)
    assert len(w) > 150
    assert w.mean() == pytest.approx(41.0, rel=0.1)
    assert np.mean(w <= 26) == pytest.approx(0.32, abs=0.08)


def test_care_orders_bring_children_at_home_into_care(small: Variant) -> None:
    out = caseflow.simulate(with_court(small), seed=3)
    assert reported(out, "cla_starts_interim_care_order") == 0
    assert reported(out, "cla_starts_care_order") > 20
    assert reported(out, "final_order_care_order") == reported(out, "proceedings_disposed")


@pytest.fixture(scope="module")
def interim_care_orders(variant: Variant) -> ReplicationOutput:
    """Every child in care on an interim order and every final order a care order: the run both
    final-order tests compare with (one run, shared)."""
    return caseflow.simulate(with_court(variant, interim_care_order=1.0), seed=4)


@pytest.mark.untraced
@pytest.mark.parametrize(
    ("order", "route"),
    [("special_guardianship", "special_guardianship"), ("supervision_order", "return_home")],
)
def test_orders_end_interim_care(
    variant: Variant, interim_care_orders: ReplicationOutput, order: str, route: str
) -> None:
    """With every child in care on an interim order, a final SGO or supervision order ends the
    episode by that route: SGO children leave the system, supervised ones go home on a CIN plan.

    At full size: at a fifth, the extra exits by the route fell below 80% of disposals on 1 seed of 6
    (the difference of two runs is noisier with fewer children)."""
    orders = dict.fromkeys(COURT["final_orders"], 0.0)
    orders[order] = 1.0
    s = with_court(variant, interim_care_order=1.0, final_orders=orders)
    base = interim_care_orders
    out = caseflow.simulate(s, seed=4, audit_every_month=True)
    disposed = reported(out, "proceedings_disposed")
    assert disposed > 20
    extra = reported(out, f"cla_ceased_{route}") - reported(base, f"cla_ceased_{route}")
    assert extra >= 0.8 * disposed
    if order == "special_guardianship":
        assert reported(out, "left_by_order") >= 0.8 * disposed
    else:
        assert reported(out, "cin_plans_started") > reported(base, "cin_plans_started")


#: Pre-birth referrals that all lead to a child protection plan before birth and removal at birth.
ALL_REMOVED_AT_BIRTH: dict[str, Any] = {
    "referrals_per_year": 150.0,
    "weeks_before_birth": 20.0,
    "weeks_shape": 4.0,
    "outcome": {"not_in_need": 0.0, "cin_plan": 0.0, "cp_plan": 1.0},
    "removed_at_birth": 1.0,
}


@pytest.mark.untraced
def test_pre_birth_babies_removed_at_birth(variant: Variant) -> None:
    s = variant({"pre_birth": ALL_REMOVED_AT_BIRTH})
    out = caseflow.simulate(s, seed=5, years=2, audit_every_month=True)
    born = reported(out, "born_on_cp_plan")
    assert born > 50
    assert reported(out, "removed_at_birth") == born
    assert reported(out, "cla_starts_at_birth") == born
    assert max(out.recorder.stocks["unborn_cp_plans_end"]) > 5
    _, flags = out.recorder.tallies["cla_start_under_1"]
    assert np.mean(flags) > 0.2  # newborns raise the under-one share of care starts


def test_pre_birth_removals_go_straight_into_care_without_a_court(small: Variant) -> None:
    """The traced twin of test_pre_birth_babies_removed_at_birth, at a fifth of the size."""
    s = small({"pre_birth": ALL_REMOVED_AT_BIRTH})
    assert s.court is None
    out = caseflow.simulate(s, seed=5, years=1)
    born = reported(out, "removed_at_birth")
    assert born > 50
    assert reported(out, "cla_starts_at_birth") == born


def test_pre_birth_removals_go_to_court_when_modelled(small: Variant) -> None:
    s = small({"pre_birth": ALL_REMOVED_AT_BIRTH, "court": COURT})
    out = caseflow.simulate(s, seed=5, years=2)
    born = reported(out, "removed_at_birth")
    assert born > 50
    assert reported(out, "cla_starts_at_birth") == 0
    assert reported(out, "cla_starts_interim_care_order") >= born


@pytest.mark.slow  # a statistical check: runs untraced by coverage (tests/conftest.py)
def test_bundled_court_scenario_matches_its_calibration_targets() -> None:
    """scenarios/court_work.toml: about 31% of care starts on an interim care order and about 16% of
    care starts under one (DfE CLA 2025), with sampled durations."""
    s = load_scenario(COURT_WORK).with_overrides({"workforce.enabled": False})
    ico, under_1, starts = [], [], []
    for seed in range(4):
        out = caseflow.simulate(s, seed=seed, years=2)
        n = reported(out, "cla_starts")
        starts.append(n)
        ico.append(reported(out, "cla_starts_interim_care_order") / n)
        months, flags = out.recorder.tallies["cla_start_under_1"]
        under_1.append(np.mean([f for m, f in zip(months, flags, strict=True) if m >= 12]))
    assert np.mean(ico) == pytest.approx(0.31, abs=0.06)
    assert np.mean(under_1) == pytest.approx(0.16, abs=0.05)
