"""Bounded confidence intervals (:func:`caseflow.experiment.stats.bounded_interval`): inside the KPI's
bounds, around the mean, and the t interval where no bound applies."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.experiment.stats import bounded_interval, summarise, t_interval, t_quantile
from caseflow.metrics import KPIS, Catalogue

LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99])


def _check(values: list[float], lower: float | None, upper: float | None, level: float) -> None:
    mean, lo, hi = bounded_interval(values, lower, upper, level)
    assert mean == pytest.approx(float(np.mean(values)), rel=1e-12, abs=1e-12)  # the point estimate
    assert lo <= mean <= hi
    if lower is not None:
        assert lo >= lower
    if upper is not None:
        assert hi <= upper


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0.0, 100.0), min_size=2, max_size=30),
    LEVELS,
)
def test_percentages_stay_within_0_and_100(values: list[float], level: float) -> None:
    _check(values, 0.0, 100.0, level)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e9), min_size=2, max_size=30),
    LEVELS,
)
def test_counts_and_costs_stay_non_negative(values: list[float], level: float) -> None:
    _check(values, 0.0, None, level)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 0.0, 1.0, 2.0, 100.0]), min_size=2, max_size=12),
    st.sampled_from([(0.0, 100.0), (0.0, None), (None, 100.0)]),
    LEVELS,
)
def test_values_piled_at_a_bound(
    values: list[float], bounds: tuple[float | None, float | None], level: float
) -> None:
    _check(values, *bounds, level)


def test_every_replication_at_a_bound_gives_the_bound() -> None:
    assert bounded_interval([0.0, 0.0, 0.0], 0.0, None) == (0.0, 0.0, 0.0)
    assert bounded_interval([100.0] * 5, 0.0, 100.0) == (100.0, 100.0, 100.0)
    assert bounded_interval([0.0] * 5, 0.0, 100.0) == (0.0, 0.0, 0.0)


def test_zero_variance_gives_the_value() -> None:
    assert bounded_interval([42.0] * 4, 0.0, 100.0) == (42.0, 42.0, 42.0)
    assert bounded_interval([7.0] * 4, 0.0, None) == (7.0, 7.0, 7.0)


def test_near_a_bound_the_interval_is_pulled_inside() -> None:
    values = [0.0, 0.0, 0.0, 0.0, 2.0]  # a queue in one replication of five
    _, t_lo, _ = t_interval(values)
    assert t_lo < 0  # what the plain t interval says
    mean, lo, hi = bounded_interval(values, 0.0, None)
    assert 0.0 < lo < mean < hi
    values = [99.0, 100.0, 100.0, 96.0]
    assert t_interval(values)[2] > 100
    assert bounded_interval(values, 0.0, 100.0)[2] < 100


def test_far_from_the_bounds_it_is_close_to_the_t_interval() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(50.0, 1.0, 10)
    m, lo, hi = bounded_interval(values, 0.0, 100.0)
    tm, tlo, thi = t_interval(values)
    assert m == tm
    assert lo == pytest.approx(tlo, abs=0.01)
    assert hi == pytest.approx(thi, abs=0.01)
    values = rng.normal(14_000.0, 50.0, 10)
    m, lo, hi = bounded_interval(values, 0.0, None)
    _, tlo, thi = t_interval(values)
    assert lo == pytest.approx(tlo, rel=1e-4)
    assert hi == pytest.approx(thi, rel=1e-4)


def test_no_bounds_is_the_t_interval() -> None:
    values = [-3.0, 1.0, 4.0, 2.5]
    assert bounded_interval(values) == t_interval(values)


def test_nan_dropped_and_small_samples_undefined() -> None:
    assert bounded_interval([math.nan, 5.0, 6.0], 0.0, None)[0] == 5.5
    mean, lo, hi = bounded_interval([5.0], 0.0, None)
    assert mean == 5.0
    assert math.isnan(lo)
    assert math.isnan(hi)
    assert all(math.isnan(v) for v in bounded_interval([], 0.0, 100.0))


def test_values_outside_the_bounds_fall_back_to_the_t_interval() -> None:
    values = [-1.0, 2.0, 3.0]
    assert bounded_interval(values, 0.0, None) == t_interval(values)


def test_summarise_uses_each_kpis_bounds() -> None:
    frame = pd.DataFrame(
        {
            "kpi": ["share"] * 4 + ["queue"] * 4 + ["change"] * 4,
            "value": [99.0, 100.0, 100.0, 96.0, 0.0, 0.0, 0.0, 3.0, -2.0, 1.0, 0.0, -1.0],
        }
    )
    bounds = {"share": (0.0, 100.0), "queue": (0.0, None), "change": (None, None)}
    out = summarise(frame, ["kpi"], bounds=lambda k: bounds[k]).set_index("kpi")
    assert out.loc["share", "ci_high"] <= 100
    assert out.loc["queue", "ci_low"] >= 0
    _, lo, hi = t_interval(frame[frame["kpi"] == "change"]["value"].to_numpy())
    assert (out.loc["change", "ci_low"], out.loc["change", "ci_high"]) == (lo, hi)
    plain = summarise(frame, ["kpi"]).set_index("kpi")
    assert plain.loc["share", "ci_high"] > 100  # without bounds: the t interval
    pd.testing.assert_series_equal(out["mean"], plain["mean"])


def test_every_kpi_has_sensible_bounds() -> None:
    cat = Catalogue()
    for k in KPIS:
        lower, upper = cat.bounds(k.name)
        assert lower == 0.0, k.name
        if k.kind in ("pct_within", "pct_flag") or (k.unit == "%" and k.kind == "stock"):
            assert upper == 100.0, k.name
        elif k.unit != "%":
            assert upper is None, k.name
    assert cat.bounds("caseload_mean_cin_cp") == (0.0, None)
    assert cat.bounds("no_such_kpi") == (None, None)


@settings(max_examples=100, deadline=None)
@given(p=st.floats(0.5, 0.9995), df=st.integers(1, 10_000))
def test_t_quantile_is_students_t(p: float, df: int) -> None:
    from scipy import stats

    assert t_quantile(p, df) == float(stats.t.ppf(p, df))


def test_t_interval_half_width_by_hand() -> None:
    # five values 1..5: mean 3, standard deviation sqrt(2.5), t(0.975, 4) = 2.7764451051977987
    mean, lo, hi = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 3.0
    assert (lo, hi) == pytest.approx((3.0 - half, 3.0 + half), rel=1e-12)
