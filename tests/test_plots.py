"""Charts (caseflow.present.charts): every function returns a Figure that draws what the results say."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before matplotlib is imported anywhere in this module

import math
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import caseflow
from caseflow.experiment import Comparison, Results
from caseflow.present import charts

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
VACANCIES = REPO / "scenarios" / "vacancies.toml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _fifth(path: Path) -> caseflow.Scenario:
    """A bundled scenario at a fifth of its size (the same rates and caseloads): charts draw the same."""
    from caseflow.scenario.scale import scaled

    s = caseflow.load_scenario(path)
    return scaled(s, 0.2, name=s.name)


@pytest.fixture(scope="module")
def results() -> Results:
    return caseflow.run(_fifth(BASELINE), years=1, replications=2, seed=1, executor="sequential")


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return caseflow.compare(
        {"baseline": _fifth(BASELINE), "vacancies": _fifth(VACANCIES)},
        years=1,
        replications=2,
        seed=1,
        executor="processes",
    )


@pytest.fixture(scope="module")
def no_workforce() -> Results:
    """The baseline with social-worker capacity switched off: workforce KPIs are NaN, staff costs too."""
    scenario = _fifth(BASELINE).with_overrides({"workforce.enabled": False}, name="no workforce")
    return caseflow.run(scenario, years=1, replications=1, seed=1, executor="sequential")


def by_gid(artists: Iterable[Any], prefix: str) -> list[Any]:
    return [a for a in artists if (a.get_gid() or "").startswith(prefix)]


def lines(ax: Axes, prefix: str) -> list[Any]:
    return by_gid(list(ax.get_lines()), prefix)


def headline_mean(res: Results, kpi: str) -> float:
    return float(res.headline().at[kpi, "mean"])


def fy_summary(res: Results) -> dict[tuple[str, str], float]:
    s = res.summary("financial_year")
    return {(p, k): float(m) for p, k, m in zip(s["period"], s["kpi"], s["mean"], strict=True)}


# ---------------------------------------------------------------------------------------------- module


def test_import_uses_no_pyplot_and_sets_no_backend() -> None:
    code = (
        "import sys, matplotlib as mpl\n"
        "before = mpl.rcParams._get_backend_or_none()\n"
        "import caseflow.present.charts\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert mpl.rcParams._get_backend_or_none() == before, 'backend changed'\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.untraced
def test_style_does_not_leak_into_global_rcparams(results: Results) -> None:
    before = dict(mpl.rcParams)
    charts.caseload_by_team(results)
    assert mpl.rcParams["axes.spines.top"] == before["axes.spines.top"]
    assert mpl.rcParams["axes.prop_cycle"] == before["axes.prop_cycle"]


# ---------------------------------------------------------------------------------------------- pathway


def test_pathway_flow_boxes_volumes_and_rates(results: Results) -> None:
    fig = charts.pathway_flow(results)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    boxes = {t.get_gid()[4:]: t for t in by_gid(ax.texts, "box:")}
    assert set(boxes) == {
        "contacts",
        "referrals",
        "assessments_completed",
        "s47_enquiries",
        "icpcs",
        "cp_plans_started",
        "cin_plans_started",
        "cla_starts",
        "early_help_starts",
    }
    for kpi, text in boxes.items():
        v = headline_mean(results, kpi)
        shown = f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"  # whole children from 100, else one decimal
        assert f"{shown} a year" in text.get_text(), kpi
    arrows = by_gid(ax.texts, "arrow:")  # annotations are texts
    assert len(arrows) == 9
    rates = {t.get_gid(): t.get_text() for t in by_gid(ax.texts, "rate:")}
    assert len(rates) == 7
    expected = 100 * headline_mean(results, "referrals") / headline_mean(results, "contacts")
    assert rates["rate:contacts->referrals"] == f"{expected:.1f}%"
    expected = 100 * headline_mean(results, "cp_plans_started") / headline_mean(results, "icpcs")
    assert rates["rate:icpc->cp"] == f"{expected:.1f}%"


# ---------------------------------------------------------------------------------------------- time series


def test_kpi_timeseries_lines_bands_and_target(results: Results) -> None:
    kpis = ["assessment_within_45wd_pct", "icpc_within_15wd_pct", "assessment_median_wd"]
    fig = charts.kpi_timeseries(results, kpis, targets={"assessment_within_45wd_pct": 85.7})
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2  # one panel per unit: % and working days
    pct, wd = fig.axes
    assert {ln.get_gid() for ln in lines(pct, "kpi:")} == {
        "kpi:assessment_within_45wd_pct",
        "kpi:icpc_within_15wd_pct",
    }
    assert [ln.get_gid() for ln in lines(wd, "kpi:")] == ["kpi:assessment_median_wd"]
    targets = lines(pct, "target:")
    assert len(targets) == 1
    assert np.allclose(targets[0].get_ydata(), 85.7)
    assert not lines(wd, "target:")
    assert len(by_gid(pct.collections, "ci:")) == 2  # a CI band per KPI (two replications)

    summary = results.summary("month")
    line = lines(pct, "kpi:assessment_within_45wd_pct")[0]
    expected = summary[summary["kpi"] == "assessment_within_45wd_pct"].sort_values("period")["mean"]
    assert len(line.get_ydata()) == 12
    assert np.allclose(line.get_ydata(), expected.to_numpy(), equal_nan=True)
    assert pct.get_ylabel() == "%"
    assert wd.get_ylabel() == "working days"


def test_kpi_timeseries_by_financial_year_and_labelled_target(results: Results) -> None:
    fig = charts.kpi_timeseries(
        results,
        "assessment_within_45wd_pct",
        targets={"assessment_within_45wd_pct": (85.7, "England 2025"), "caseload_mean": 15.2},
        period_type="financial_year",
    )
    (ax,) = fig.axes
    (line,) = lines(ax, "kpi:")
    assert len(line.get_ydata()) == 1  # one reported financial year
    assert line.get_ydata()[0] == pytest.approx(headline_mean(results, "assessment_within_45wd_pct"))
    (target,) = lines(ax, "target:")  # the caseload target is ignored: caseload is not charted
    assert target.get_label() == "England 2025: 85.7%"


def test_kpi_timeseries_rejects_unknown_kpi_and_period(results: Results) -> None:
    with pytest.raises(ValueError, match="no_such_kpi"):
        charts.kpi_timeseries(results, ["no_such_kpi"])
    with pytest.raises(ValueError, match="period_type"):
        charts.kpi_timeseries(results, ["contacts"], period_type="quarter")


def test_bands_stay_within_possible_values(results: Results) -> None:
    fig = charts.kpi_timeseries(results, ["icpc_within_15wd_pct"])
    (band,) = by_gid(fig.axes[0].collections, "ci:")
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert ys.min() >= 0.0
    assert ys.max() <= 100.0


# ---------------------------------------------------------------------------------------------- workforce


def test_caseload_by_team_bars_match_headline(results: Results) -> None:
    fig = charts.caseload_by_team(results)
    (ax,) = fig.axes
    bars = {p.get_gid()[4:]: p for p in by_gid(ax.patches, "bar:")}
    workforce = results.scenario.workforce
    assert workforce is not None
    teams = [t for t in workforce.teams if f"caseload_mean_{t}" in bars]
    assert len(teams) == 3  # assessment, CIN/CP, children in care hold cases
    assert len(bars) == len(teams) + 3
    for name, bar in bars.items():
        assert bar.get_height() == pytest.approx(headline_mean(results, name)), name
    assert len(ax.containers) >= 2  # the bars and their CI whiskers
    assert ax.get_ylabel() == "children per case-holding FTE"


@pytest.mark.untraced
def test_unallocated_has_two_panels_with_lines(comparison: Comparison) -> None:
    res = comparison.results["vacancies"]
    fig = charts.unallocated(res)
    assert len(fig.axes) == 2
    top, bottom = fig.axes
    assert {ln.get_gid() for ln in lines(top, "kpi:")} == {
        "kpi:unallocated_cases_mean",
        "kpi:unallocated_cases_end",
    }
    assert [ln.get_gid() for ln in lines(bottom, "kpi:")] == [
        "kpi:allocation_wait_median_wd",
        "kpi:allocation_wait_mean_wd",
    ]
    (line,) = lines(top, "kpi:unallocated_cases_mean")
    s = res.summary("month")
    expected = s[s["kpi"] == "unallocated_cases_mean"].sort_values("period")["mean"].to_numpy()
    assert np.allclose(line.get_ydata(), expected)


def test_workforce_charts_say_so_when_workforce_is_off(no_workforce: Results) -> None:
    assert math.isnan(headline_mean(no_workforce, "caseload_mean"))
    fig = charts.caseload_by_team(no_workforce)
    (ax,) = fig.axes
    assert not by_gid(ax.patches, "bar:")
    assert "not modelled" in by_gid(ax.texts, "na")[0].get_text()

    fig = charts.unallocated(no_workforce)
    assert all(not lines(ax, "kpi:") for ax in fig.axes)
    assert all(by_gid(ax.texts, "na") for ax in fig.axes)

    fig = charts.kpi_timeseries(no_workforce, ["assessment_within_45wd_pct", "cp_visits_on_time_pct"])
    (ax,) = fig.axes
    assert [ln.get_gid() for ln in lines(ax, "kpi:")] == ["kpi:assessment_within_45wd_pct"]
    assert "CP visits on time" in by_gid(ax.texts, "na")[0].get_text()


# ---------------------------------------------------------------------------------------------- comparison


def test_comparison_effects_forest_plot(comparison: Comparison) -> None:
    effects = comparison.effects().set_index("kpi")
    kpis = ["assessment_within_45wd_pct", "unallocated_cases_mean", "cost_staff_permanent"]
    fig = charts.comparison_effects(comparison, kpis)
    assert len(fig.axes) == len(kpis)
    for ax, kpi in zip(fig.axes, kpis, strict=True):
        (point,) = lines(ax, "effect:")
        assert point.get_gid() == f"effect:vacancies:{kpi}"
        scale = 1e-6 if kpi.startswith("cost_") else 1.0
        assert point.get_xdata()[0] == pytest.approx(float(effects.at[kpi, "difference"]) * scale)
        assert [t.get_text() for t in ax.get_yticklabels()] == ["vacancies"]
    # 30% of assessment posts held vacant: fewer permanent staff to pay, visibly so
    assert float(effects.at["cost_staff_permanent", "difference"]) < 0


def test_comparison_effects_default_kpis_and_unknown(comparison: Comparison) -> None:
    fig = charts.comparison_effects(comparison)
    expected = [k for k in charts.DEFAULT_EFFECT_KPIS if k in set(comparison.effects()["kpi"])]
    assert len(fig.axes) == len(expected)
    assert all(len(lines(ax, "effect:")) == 1 for ax in fig.axes)
    with pytest.raises(ValueError, match="no_such_kpi"):
        charts.comparison_effects(comparison, ["no_such_kpi"])


# ---------------------------------------------------------------------------------------------- costs


def stacks(ax: Axes) -> dict[tuple[str, str], dict[str, float]]:
    out: dict[tuple[str, str], dict[str, float]] = {}
    for bar in by_gid(ax.patches, "cost:"):
        _, scenario, year, kind = bar.get_gid().split(":")
        out.setdefault((scenario, year), {})[kind] = bar.get_height() * 1e6
    return out


def test_costs_by_year_stacks_sum_to_total(results: Results) -> None:
    fig = charts.costs_by_year(results)
    (ax,) = fig.axes
    got = stacks(ax)
    means = fy_summary(results)
    assert list(got) == [("baseline", "2026-27")]
    for (_, year), parts in got.items():
        assert set(parts) == set(charts.COST_TYPES)
        assert sum(parts.values()) == pytest.approx(means[(year, "cost_total")], rel=1e-9)
        assert parts["cost_staff_agency"] == pytest.approx(means[(year, "cost_staff_agency")])
    assert ax.get_ylabel() == "£ million"


def test_costs_by_year_one_group_per_scenario(comparison: Comparison) -> None:
    fig = charts.costs_by_year(comparison)
    (ax,) = fig.axes
    got = stacks(ax)
    assert {s for s, _ in got} == {"baseline", "vacancies"}
    for (scenario, year), parts in got.items():
        total = fy_summary(comparison.results[scenario])[(year, "cost_total")]
        assert sum(parts.values()) == pytest.approx(total, rel=1e-9)
    assert {t.get_gid() for t in by_gid(ax.texts, "group:")} == {"group:baseline", "group:vacancies"}


def test_costs_without_staff_costs_stack_what_there_is(no_workforce: Results) -> None:
    fig = charts.costs_by_year(no_workforce)
    got = stacks(fig.axes[0])
    ((_, year), parts), *_ = got.items()
    assert parts["cost_staff_agency"] == 0.0  # NaN without a workforce: drawn as nothing
    assert sum(parts.values()) == pytest.approx(fy_summary(no_workforce)[(year, "cost_total")])


# ---------------------------------------------------------------------------------------------- files

CHARTS: dict[str, Callable[[Results, Comparison], Figure]] = {
    "pathway_flow": lambda r, c: charts.pathway_flow(r),
    "kpi_timeseries": lambda r, c: charts.kpi_timeseries(r, ["assessment_within_45wd_pct"]),
    "caseload_by_team": lambda r, c: charts.caseload_by_team(r),
    "unallocated": lambda r, c: charts.unallocated(r),
    "comparison_effects": lambda r, c: charts.comparison_effects(c),
    "costs_by_year": lambda r, c: charts.costs_by_year(c),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_saves_a_png(name: str, results: Results, comparison: Comparison, tmp_path: Path) -> None:
    fig = CHARTS[name](results, comparison)
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=80)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 5_000


def test_save_all_writes_every_applicable_chart(results: Results, tmp_path: Path) -> None:
    folder = tmp_path / "charts"
    paths = charts.save_all(results, folder)
    assert [p.name for p in paths] == [
        "pathway_flow.png",
        "timeliness.png",
        "caseload_by_team.png",
        "unallocated.png",
        "costs_by_year.png",
    ]
    for p in paths:
        assert p.parent == folder
        assert p.read_bytes().startswith(PNG_MAGIC)
        assert p.stat().st_size > 5_000
    assert sorted(folder.iterdir()) == sorted(paths)  # no temporary files left behind


def test_save_all_skips_charts_that_do_not_apply(no_workforce: Results, tmp_path: Path) -> None:
    paths = charts.save_all(no_workforce, tmp_path)
    assert [p.name for p in paths] == ["pathway_flow.png", "timeliness.png", "costs_by_year.png"]
    assert all(p.stat().st_size > 0 for p in paths)
