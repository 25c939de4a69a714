"""Unaccompanied children transferred on under the National Transfer Scheme (``looked_after.uasc_*``).

A port authority takes in many unaccompanied asylum-seeking children (UASC) and transfers most of them to
other authorities within days or weeks: each is a CLA start and a CLA ceased (route ``transferred``) in
the arriving authority, and barely touches its stock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from caseflow.metrics import compute_kpis
from caseflow.model.entities import Stage
from caseflow.model.simulation import ReplicationOutput
from caseflow.model.stages.looked_after import LookedAfter
from caseflow.replication import simulate
from caseflow.scenario import Scenario, ScenarioError

Variant = Callable[[Mapping[str, Any]], Scenario]

#: Only UASC: no contacts (the schema needs a positive rate; 1e-6 a year is none), no opening caseload,
#: UASC aged 10-15 (so none turns 18 within weeks), 365 a year (one a day).
UASC_ONLY: dict[str, Any] = {
    "demand.contacts_per_year": 1e-6,
    "opening_stock.children_in_need": 0,
    "opening_stock.child_protection": 0,
    "opening_stock.looked_after": 0,
    "opening_stock.in_assessment": 0,
    "looked_after.uasc_per_year": 365.0,
    "looked_after.uasc_age": {
        "under_1": 0.0,
        "age_1_4": 0.0,
        "age_5_9": 0.0,
        "age_10_15": 1.0,
        "age_16_17": 0.0,
    },
}


def total(out: ReplicationOutput, counter: str) -> float:
    return float(sum(out.recorder.counts.get(counter, [0.0])))


def test_defaults_and_baseline(baseline: Scenario) -> None:
    la = baseline.looked_after
    assert la.uasc_transferred_out == 0.0
    assert la.uasc_transfer_days == 10.0
    fields = type(la).model_fields
    assert fields["uasc_transferred_out"].default == 0.0
    assert fields["uasc_transfer_days"].default == 10.0
    assert fields["uasc_transferred_out"].description
    assert fields["uasc_transfer_days"].description


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("uasc_transferred_out", 1.5, "must be ≤ 1.0 (a probability must lie in [0, 1]), got 1.5"),
        ("uasc_transferred_out", -0.1, "must be ≥ 0.0"),
        ("uasc_transfer_days", 0.0, "must be > 0.0, got 0.0"),
        ("uasc_transfer_days", "ten", "wrong type: expected a number"),
    ],
)
def test_validation(baseline: Scenario, field: str, value: Any, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        baseline.with_overrides({f"looked_after.{field}": value})
    assert [p for p, _ in info.value.problems] == [f"looked_after.{field}"]
    assert expected in info.value.problems[0][1]


@pytest.mark.untraced
def test_no_transfers_no_draws(sampled_baseline: Scenario) -> None:
    """With ``uasc_transferred_out = 0`` nothing is drawn: the run is the run without the feature (the
    transfer step skipped altogether), and the transfer time is never read."""
    with_default = simulate(sampled_baseline, seed=6, years=1).recorder
    slower = simulate(
        sampled_baseline.with_overrides({"looked_after.uasc_transfer_days": 99.0}), seed=6, years=1
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LookedAfter, "_uasc_transfer", lambda self, child, family: None)
        without = simulate(sampled_baseline, seed=6, years=1).recorder
    for a in (slower.recorder, without):
        assert dict(a.counts) == dict(with_default.counts)
        assert dict(a.tallies) == dict(with_default.tallies)
        assert dict(a.stocks) == dict(with_default.stocks)
    assert total(slower, "cla_ceased_transferred") == 0.0
    assert total(slower, "cla_starts_uasc") > 0


@pytest.fixture(scope="module")
def transferred(variant: Variant) -> tuple[ReplicationOutput, ReplicationOutput]:
    """UASC only, every one transferred (workforce on, to check the worker is released), and the same
    arrivals staying (the baseline's default)."""
    gone = variant({**UASC_ONLY, "workforce.enabled": True, "looked_after.uasc_transferred_out": 1.0})
    stay = variant(UASC_ONLY)
    return (
        simulate(gone, seed=12, years=1, track_children=True),
        simulate(stay, seed=12, years=1),
    )


def test_all_transferred_leave_by_route_transferred(
    transferred: tuple[ReplicationOutput, ReplicationOutput],
) -> None:
    out, _ = transferred
    starts = total(out, "cla_starts")
    assert starts == total(out, "cla_starts_uasc")
    assert starts == pytest.approx(2 * 365, rel=0.15)  # the warm-up year and one reported year
    ceased = total(out, "cla_ceased")
    assert ceased == total(out, "cla_ceased_transferred")
    # all but those still waiting at the end (about 10 days' arrivals) have gone
    still = out.recorder.stocks["cla_open_end"][-1]
    assert starts - ceased == still
    assert still < 30
    # mean time in care ≈ 10 days (exponential: SE of the mean of ~700 ≈ 0.4 days)
    _, days = out.recorder.tallies["cla_episode_days"]
    assert np.mean(days) == pytest.approx(10.0, rel=0.12)
    # no care-leaver service, and no worker kept
    assert total(out, "care_leavers_started") == 0
    pathway = out.pathway
    assert pathway is not None
    assert pathway.census.children is not None
    left = {c.id for c in pathway.census.children if c.stage is Stage.LEFT}
    in_care = {c.id for c in pathway.census.children if c.stage is Stage.LOOKED_AFTER}
    assert len(left) == ceased
    assert len(in_care) == still
    cases = set(pathway.capacity.case_of)  # type: ignore[attr-defined]
    assert not cases & left
    assert cases <= in_care


def test_transfers_leave_the_stock_almost_untouched(
    transferred: tuple[ReplicationOutput, ReplicationOutput],
) -> None:
    gone, stay = transferred
    # Little's law: 1 arrival a day × 10 days ≈ 10 in care at any time; staying, the stock keeps growing.
    gone_stock = np.mean(gone.recorder.stocks["cla_open_end"])
    assert 4 < gone_stock < 18
    assert stay.recorder.stocks["cla_open_end"][-1] > 300
    assert total(stay, "cla_ceased_transferred") == 0
    # the same arrivals in both
    assert total(gone, "cla_starts_uasc") == total(stay, "cla_starts_uasc")


def test_kpis_count_them(transferred: tuple[ReplicationOutput, ReplicationOutput]) -> None:
    out, _ = transferred
    k = compute_kpis(out)
    fy = k[(k["period_type"] == "financial_year") & ~k["warmup"]].set_index("kpi")["value"]
    months = slice(12, 24)
    assert fy["cla_starts"] == sum(out.recorder.counts["cla_starts_uasc"][months])
    assert fy["cla_ceased"] == sum(out.recorder.counts["cla_ceased_transferred"][months])
    assert fy["cla_starts"] > 300
    assert fy["cla_ceased"] > 300


def test_share_transferred(variant: Variant) -> None:
    """A share of them: about that share of UASC leave by transfer; the rest follow the usual routes."""
    s = variant({**UASC_ONLY, "looked_after.uasc_transferred_out": 0.6})
    out = simulate(s, seed=3, years=1)
    starts = total(out, "cla_starts_uasc")
    moved = total(out, "cla_ceased_transferred")
    # binomial: SD of the share over ~730 arrivals ≈ 1.8 percentage points; 4 SD
    assert moved / starts == pytest.approx(0.6, abs=0.075)
    assert total(out, "cla_ceased") > moved  # some of the others have left by other routes


def test_transfers_from_a_date(variant: Variant) -> None:
    """A time-phased change starts transfers part-way through a run (the scenario in force decides)."""
    change = {"date": dt.date(2026, 4, 1), "field": "looked_after.uasc_transferred_out", "value": 1.0}
    s = variant({**UASC_ONLY, "changes": [change]})
    out = simulate(s, seed=5, years=1)
    moved = out.recorder.counts["cla_ceased_transferred"]
    assert sum(moved[:12]) == 0  # 2025-26: none
    assert sum(moved[12:]) > 300  # 2026-27: all


@pytest.mark.parametrize(("before", "after"), [(0.0, 365.0), (365.0, 0.0), (365.0, 730.0)])
def test_arrivals_follow_a_change_of_rate(variant: Variant, before: float, after: float) -> None:
    """A time-phased change of uasc_per_year is followed, not silently ignored (issue 14): from 0 (the
    arrivals process keeps looking), to 0, and doubled."""
    change = {"date": dt.date(2026, 4, 1), "field": "looked_after.uasc_per_year", "value": after}
    s = variant({**UASC_ONLY, "looked_after.uasc_per_year": before, "changes": [change]})
    starts = simulate(s, seed=5, years=1).recorder.counts.get("cla_starts_uasc", [0.0] * 24)
    first, second = sum(starts[:12]), sum(starts[12:])
    for rate, seen in ((before, first), (after, second)):
        if rate == 0:
            assert seen <= 2  # at most the arrival whose gap was drawn before the change
        else:
            assert abs(seen - rate) < 5 * rate**0.5  # Poisson: within 5 standard deviations
