"""The results page without a browser: differences' intervals as shown (cut to what a measure can be,
and "too few replications to tell" when too wide to use), and the charts with their headings, axis
labels and text alternatives.

One small comparison (the small test authority, one year, two replications, in this process) serves
every test here.
"""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from tests.app_support import SMALL_NAME, write_small_scenarios

import caseflow
from caseflow.app import charts as page_charts
from caseflow.app import results
from caseflow.app.levers import option_scenario
from caseflow.app.results import TOO_FEW, cost_rows, difference_interval, headline_rows
from caseflow.experiment import stats
from caseflow.experiment.compare import Comparison
from caseflow.metrics.catalogue import describe
from caseflow.present import comparison_charts
from caseflow.present.charts import _PALETTE

VERDICTS = {"clear", "within chance", TOO_FEW, "no change", ""}


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    small = caseflow.load_scenario(write_small_scenarios(tmp_path_factory.mktemp("scenarios")))
    option = option_scenario(small, {"establishment__assessment": 1}, name="Option")
    return caseflow.compare(
        {small.name: small, "Option": option}, years=1, replications=2, seed=3, executor="sequential"
    )


def test_the_rules_examples_hold() -> None:
    assert doctest.testmod(results).failed == 0
    assert doctest.testmod(stats).failed == 0


def test_an_impossible_interval_is_cut_to_what_the_measure_can_be() -> None:
    pct = describe("assessment_within_45wd_pct")
    shown = difference_interval(pct, -20.0, -154.7, 50.4, 60.0)
    assert (shown.low, shown.high, shown.cut) == (-60.0, 40.0, True)  # the option within 0–100%
    assert shown.verdict == TOO_FEW
    # a count cannot fall below zero, whatever the interval says; it has no ceiling
    count = describe("unallocated_cases_mean")
    shown = difference_interval(count, 5.0, -30.0, 40.0, 12.0)
    assert (shown.low, shown.high, shown.cut) == (-12.0, 40.0, True)


def test_a_difference_is_clear_within_chance_or_too_uncertain_to_tell() -> None:
    pct = describe("assessment_within_45wd_pct")
    assert difference_interval(pct, -4.0, -6.0, -2.0, 85.0).verdict == "clear"
    assert difference_interval(pct, -1.0, -6.0, 4.0, 85.0).verdict == "within chance"
    # cut already (Comparison.effects cuts every interval and says so in ci_cut): still too few to tell
    already = difference_interval(pct, -1.0, -6.0, 4.0, 96.0, cut=True)
    assert (already.low, already.high, already.cut, already.verdict) == (-6.0, 4.0, True, TOO_FEW)
    # not cut, but ±30 points either side: more than a quarter of 0–100 is too wide to use
    wide = difference_interval(pct, 0.0, -30.0, 30.0, 50.0)
    assert not wide.cut
    assert wide.verdict == TOO_FEW
    # a wide interval that leaves out zero still tells the direction
    assert difference_interval(pct, -40.0, -70.0, -10.0, 85.0).verdict == "clear"
    # money: the scale is the baseline's size (a quarter of £40m either side is too wide)
    cost = describe("cost_total")
    assert difference_interval(cost, 1e6, -4e6, 6e6, 40e6).verdict == "within chance"
    assert difference_interval(cost, 1e6, -11e6, 13e6, 40e6).verdict == TOO_FEW
    assert difference_interval(cost, 0.0, 0.0, 0.0, 40e6).verdict == "no change"
    assert difference_interval(cost, math.nan, math.nan, math.nan, 40e6).verdict == ""


@pytest.mark.untraced
def test_every_interval_on_the_page_is_possible(comparison: Comparison) -> None:
    rows = headline_rows(comparison)
    assert rows
    for r in rows:
        lower, upper = describe(r.kpi).bounds
        assert r.verdict in VERDICTS, r
        if math.isfinite(r.difference_low):
            assert lower is None or r.difference_low >= lower - r.baseline_mean - 1e-9, r
            assert upper is None or r.difference_high <= upper - r.baseline_mean + 1e-9, r
            assert r.difference_low <= r.difference_mean <= r.difference_high, r
    costs = cost_rows(comparison)
    assert costs
    assert all(c.verdict in VERDICTS for c in costs)


def _texts(fig: Figure) -> tuple[str, list[str]]:
    """The chart's title, and the label of the quantity on each drawn panel (its y axis, or its x axis
    where the quantity runs across, as in the effects' forest plot)."""
    title = fig.get_suptitle()
    labels = [ax.get_ylabel() or ax.get_xlabel() for ax in fig.axes if ax.axison]
    return title, labels


@pytest.mark.untraced
@pytest.mark.parametrize("chart", page_charts.CHARTS, ids=lambda c: c.key)
def test_every_chart_has_a_title_axis_labels_and_words_for_who_cannot_see_it(
    chart: page_charts.Chart, comparison: Comparison, tmp_path: Path
) -> None:
    fig = chart.draw(comparison)
    title, ylabels = _texts(fig)
    assert title, chart.key
    assert ylabels, chart.key
    assert all(ylabels), chart.key  # every drawn panel says its unit
    assert any(ax.get_xlabel() for ax in fig.axes), chart.key  # and what runs across
    alt = chart.describe(comparison)
    assert alt.startswith("Chart: "), alt
    assert "Option" in alt, alt
    assert SMALL_NAME in alt, alt
    path = tmp_path / f"{chart.key}.png"
    page_charts.save(chart, comparison, path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_the_months_show_both_scenarios_with_their_bands_in_distinct_styles(comparison: Comparison) -> None:
    fig = comparison_charts.monthly_compared(comparison)
    gids = {a.get_gid() for ax in fig.axes for a in [*ax.lines, *ax.collections]}
    for kpi in comparison_charts.MONTHLY_KPIS:
        for name in (SMALL_NAME, "Option"):
            assert f"kpi:{kpi}:{name}" in gids
            assert f"ci:{kpi}:{name}" in gids
    styles = comparison_charts.scenario_styles(comparison)
    assert styles[SMALL_NAME][1] != styles["Option"][1]  # told apart by line style, not colour alone
    assert {c for c, _ in styles.values()} <= set(_PALETTE[:5])  # 3:1 contrast on white


def test_the_quarters_and_teams_have_a_bar_for_each_scenario(comparison: Comparison) -> None:
    quarters = comparison_charts.costs_by_quarter(comparison)
    bars = {p.get_gid() for p in quarters.axes[0].patches}
    assert {f"cost:{n}:2025-26 Q{q}" for n in (SMALL_NAME, "Option") for q in (1, 2, 3, 4)} <= bars
    teams = comparison_charts.caseload_by_team_compared(comparison)
    bars = {p.get_gid() for p in teams.axes[0].patches}
    assert "bar:Option:caseload_mean_assessment" in bars
    assert f"bar:{SMALL_NAME}:caseload_mean" in bars
