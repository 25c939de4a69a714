"""Agency levers: supernumerary agency workers (and agency-only teams), and agency supply that answers
the rate paid, with the premium's cost reported apart."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import caseflow
from caseflow.scenario.loader import ScenarioError, validate
from caseflow.scenario.scale import scaled
from caseflow.scenario.schema import Scenario


@pytest.fixture(scope="module")
def small(baseline: Scenario) -> Scenario:
    return scaled(baseline, 0.1).with_overrides({"run.warmup_years": 1}, name="small")


def _stocks(s: Scenario, seed: int = 1) -> dict[str, np.ndarray]:
    out = caseflow.simulate(s, seed=seed, years=1)
    return {k: np.asarray(v, dtype=float) for k, v in out.recorder.stocks.items()}


def test_supernumerary_agency_workers_add_agency_fte_not_vacancies(small: Scenario) -> None:
    extra = small.with_overrides({"workforce.teams.cin_cp.supernumerary_agency": 3.0}, name="extra")
    a, b = _stocks(small), _stocks(extra)
    # day one: the same posts, filled and vacant alike (their own stream), plus three agency workers
    assert b["sw_vacancies_fte"][0] == a["sw_vacancies_fte"][0]
    assert b["sw_fte_in_post"][0] == a["sw_fte_in_post"][0]
    assert 2.0 <= b["sw_agency_fte"][0] - a["sw_agency_fte"][0] <= 3.0  # one may be between assignments
    assert b["sw_agency_pct_cin_cp"][0] > a["sw_agency_pct_cin_cp"][0]
    # over the run the cover is kept up (a new agency worker follows each assignment, after the lead time)
    extra_fte = b["sw_agency_fte"].mean() - a["sw_agency_fte"].mean()
    assert 2.0 < extra_fte < 3.5


def test_an_agency_only_team(small: Scenario) -> None:
    managed = small.with_overrides(
        {"workforce.teams.cin_cp.establishment": 0.0, "workforce.teams.cin_cp.supernumerary_agency": 6.0},
        name="managed",
    )
    stocks = _stocks(managed)
    assert np.isnan(stocks["sw_vacancy_pct_cin_cp"]).all()  # no posts of its own: no vacancy rate
    assert np.nanmin(stocks["sw_agency_pct_cin_cp"]) == 100.0
    assert stocks["caseload_mean_cin_cp"][-1] > 0  # the agency team holds cases


def test_supernumerary_cannot_change_during_a_run(small: Scenario) -> None:
    data = small.model_dump()
    data["changes"] = [
        {"date": dt.date(2026, 4, 1), "field": "workforce.teams.cin_cp.supernumerary_agency", "value": 2.0}
    ]
    with pytest.raises(ScenarioError, match="placed when the run starts"):
        validate(data)


def test_a_pay_premium_alone_reprices_every_agency_worker(small: Scenario) -> None:
    """Without a supply response, a 20% premium changes nothing but the agency bill: the same events,
    and 20% more on the agency cost, all of it reported as the premium."""
    dear = small.with_overrides({"workforce.dynamics.agency_pay_premium": 0.2}, name="dear")
    a = caseflow.simulate(small, seed=2, years=1)
    b = caseflow.simulate(dear, seed=2, years=1)
    assert a.events == b.events
    base = np.asarray(a.recorder.counts["cost_staff_agency"])
    np.testing.assert_allclose(b.recorder.counts["cost_staff_agency"], 1.2 * base)
    np.testing.assert_allclose(b.recorder.counts["cost_agency_premium"], 0.2 * base)
    assert sum(a.recorder.counts["cost_agency_premium"]) == 0.0


@pytest.mark.untraced
def test_agency_supply_answers_the_rate_paid(small: Scenario) -> None:
    """With a supply elasticity, a premium covers more vacancies: more agency FTE, the premium paid on all
    of them. Common random numbers: the same vacancies arise until the cover differs."""
    answering = small.with_overrides(
        {"workforce.dynamics.agency_pay_premium": 0.25, "workforce.dynamics.agency_supply_elasticity": 1.0},
        name="answering",
    )
    c = caseflow.compare(
        {"as now": small, "premium": answering}, years=1, replications=3, executor="sequential"
    )
    effects = c.effects().set_index("kpi")
    assert effects.loc["sw_agency_fte", "difference"] > 0
    assert effects.loc["cost_agency_premium", "scenario_mean"] > 0
    assert effects.loc["cost_agency_premium", "baseline_mean"] == 0


def test_cover_share_answers_the_premium_up_to_every_vacancy(small: Scenario) -> None:
    """The share of vacancies agency staff cover: the backfill share × (1 + premium) ** elasticity, at
    most 1; without a premium or an elasticity, the backfill share as set."""
    from caseflow.model.workforce.staffing import Staffing

    fake = type("S", (), {})()
    fake.agency_backfill = {"t": 0.736}
    for premium, elasticity, share in [
        (0.25, 1.0, 0.736 * 1.25),
        (0.25, 0.0, 0.736),
        (0.0, 1.0, 0.736),
        (1.0, 2.0, 1.0),
    ]:
        fake.wf = small.with_overrides(
            {
                "workforce.dynamics.agency_pay_premium": premium,
                "workforce.dynamics.agency_supply_elasticity": elasticity,
            }
        ).workforce
        assert Staffing.cover_share(fake, "t") == pytest.approx(share)  # type: ignore[arg-type]
