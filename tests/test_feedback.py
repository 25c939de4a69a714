"""Workload feedback (opt-in): the multipliers, exact thinning of the leaving clock, off by default,
and what it does to an over-stretched team."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

import caseflow
from caseflow.experiment.frontier import backlog_growth
from caseflow.experiment.stats import t_interval
from caseflow.model.workforce.feedback import multipliers, pressure
from caseflow.model.workforce.staffing import Staffing
from caseflow.scenario.scale import scaled
from caseflow.scenario.schema import Scenario
from caseflow.scenario.workforce_schema import FeedbackParams

P = FeedbackParams(enabled=True)


def test_pressure() -> None:
    assert pressure(held=20, waiting=0, fte=1.0, soft_cap=20) == 1.0
    assert pressure(held=20, waiting=10, fte=1.0, soft_cap=20) == 1.5
    assert pressure(held=0, waiting=5, fte=0.0, soft_cap=20) == 10.0  # nobody in post, children waiting
    assert pressure(held=0, waiting=0, fte=0.0, soft_cap=20) == 1.0


@given(now=st.floats(0.0, 10.0), smoothed=st.floats(0.0, 10.0), more=st.floats(0.0, 3.0))
def test_multipliers_are_bounded_and_rise_with_pressure(now: float, smoothed: float, more: float) -> None:
    hours, turnover = multipliers(now, smoothed, P)
    assert 1.0 <= hours <= 1.0 + P.overtime_max
    assert P.turnover_min <= turnover <= P.turnover_max
    hours2, turnover2 = multipliers(now + more, smoothed + more, P)
    assert hours2 >= hours
    assert turnover2 >= turnover
    if now <= 1.0:
        assert hours == 1.0  # no overtime at or under the cap
    assert multipliers(1.0, 1.0, P) == (1.0, 1.0)  # a team at its cap: as without feedback


def test_overtime_ceiling_is_the_published_figure() -> None:
    # DfE longitudinal study of child and family social workers, wave 2: 42 hours worked a week against
    # 35 contracted, so at most 20% more hours
    assert FeedbackParams().overtime_max == pytest.approx(42 / 35 - 1)


@pytest.mark.parametrize("m", [0.7, 1.0, 1.6])
def test_leaving_clock_follows_the_multiplied_rate_exactly(m: float) -> None:
    """Thinning a Poisson process at rate × turnover_max, keeping each candidate with probability
    m ÷ turnover_max, leaves at rate × m: the mean time to leave is 365.25 / (rate × m) days."""
    env = simpy.Environment()
    rate, n = 2.0, 4000
    fake: Any = SimpleNamespace(
        env=env,
        _r_posts=caseflow.streams.Streams(3, 0)["test.posts"],
        wf=SimpleNamespace(feedback=FeedbackParams(enabled=True, turnover_max=2.0)),
        turnover_multiplier={"t": m},
    )
    post = SimpleNamespace(rng=None, team=SimpleNamespace(name="t"))
    times: list[float] = []

    def one() -> Any:
        yield from Staffing._time_to_leave(fake, post, rate)  # type: ignore[arg-type]
        times.append(env.now)

    for _ in range(n):
        env.process(one())
    env.run()
    mean, lo, hi = t_interval(times, 0.99)
    expected = 365.25 / (rate * m)
    assert lo <= expected <= hi, (mean, expected)


@pytest.fixture(scope="module")
def stretched(baseline: Scenario) -> Scenario:
    """A tenth of the baseline with its assessment team cut from 3 to 2.0 FTE: over capacity."""
    return scaled(baseline, 0.1).with_overrides(
        {"run.warmup_years": 1, "workforce.teams.assessment.establishment": 2.0}, name="stretched"
    )


def test_off_by_default_and_its_parameters_then_change_nothing(
    baseline: Scenario, stretched: Scenario
) -> None:
    assert baseline.workforce is not None
    assert not baseline.workforce.feedback.enabled
    other = stretched.with_overrides(
        {"workforce.feedback.overtime_max": 0.5, "workforce.feedback.turnover_max": 5}
    )
    a = caseflow.simulate(stretched, seed=1, years=1)
    b = caseflow.simulate(other, seed=1, years=1)
    assert a.events == b.events
    assert a.recorder.counts == b.recorder.counts
    assert "sw_extra_hours_pct" not in a.recorder.stocks


@pytest.mark.slow
def test_feedback_keeps_a_moderate_shortfall_from_building_a_backlog(stretched: Scenario) -> None:
    on = stretched.with_overrides({"workforce.feedback.enabled": True}, name="on")
    comparison = caseflow.compare(
        {"off": stretched, "on": on}, years=3, replications=4, executor="sequential"
    )
    growth = {n: np.mean(backlog_growth(r, "assessment", range(4))) for n, r in comparison.results.items()}
    assert growth["off"] > 10.0  # the backlog grows without feedback
    assert growth["on"] < growth["off"] / 3
    head = comparison.headline()
    assert math.isnan(head.loc["sw_extra_hours_pct", "off"])
    assert 0 < head.loc["sw_extra_hours_pct", "on"] <= 20.0
    effects = comparison.effects().set_index("kpi")
    assert effects.loc["assessment_within_45wd_pct", "difference"] > 0
    pressure_on = comparison.results["on"].kpis
    assert (pressure_on["kpi"] == "sw_extra_hours_pct").any()
