"""Charts of options against their baseline: month by month, caseloads by team, and costs by quarter.

The companions of :mod:`caseflow.present.charts` for a :class:`~caseflow.Comparison`, drawn with its
style, palette, bands and period ticks. Each scenario keeps one look on every chart
(:func:`scenario_styles`): the baseline a dashed blue line or a hatched blue bar, the options solid in
the next colours of the Okabe–Ito palette, so a line is told apart by its style as well as its colour.
Means are over replications; bands and whiskers are 95% confidence intervals over replications that
respect each measure's bounds (:meth:`caseflow.Results.summary`), as in the other charts.

>>> import caseflow
>>> from caseflow.present import comparison_charts
>>> comparison = caseflow.compare({"Now": now, "Option": option}, years=2, replications=5)  # doctest: +SKIP
>>> comparison_charts.monthly_compared(comparison).savefig("monthly.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from caseflow.experiment.compare import Comparison
from caseflow.experiment.results import Results
from caseflow.metrics.catalogue import Catalogue
from caseflow.present.charts import (
    _PALETTE,
    _annotate_na,
    _draw_series,
    _england_line,
    _headline,
    _interval_whiskers,
    _period_ticks,
    _periods,
    _reps_text,
    _scale,
    _styled,
    _summary,
    _unit_label,
    caseload_teams,
)

__all__ = [
    "CUT_NOTE",
    "MONTHLY_KPIS",
    "caseload_by_team_compared",
    "costs_by_quarter",
    "monthly_compared",
    "scenario_styles",
]

#: The measures :func:`monthly_compared` draws when none are named: children at each stage at the
#: month's end, children waiting for a social worker, and the average caseload.
MONTHLY_KPIS: tuple[str, ...] = (
    "assessments_open_end",
    "cin_plans_open_end",
    "cp_plans_open_end",
    "cla_open_end",
    "unallocated_cases_mean",
    "caseload_mean",
)

_BASELINE_HATCH = "///"

#: With few replications a band can reach many times the measure's level (a 95% interval on one degree
#: of freedom is ±12.7 standard errors), and would flatten the lines to nothing. The chart's top is
#: then this many times the highest mean, and the chart says that bands are cut.
_TOP_TIMES_MEAN = 2.0
CUT_NOTE = "Intervals reaching above the chart are cut: too few replications to tell; run more."


def _readable_top(ax: Axes, means: np.ndarray, highs: np.ndarray) -> None:
    """Start the axis at zero and, if the intervals reach far above the means, cut them (and say so)."""
    peak_mean = float(np.nanmax(means)) if np.isfinite(means).any() else math.nan
    peak_high = float(np.nanmax(highs)) if np.isfinite(highs).any() else math.nan
    ax.set_ylim(bottom=0)
    if math.isfinite(peak_mean) and peak_mean > 0 and peak_high > _TOP_TIMES_MEAN * peak_mean:
        ax.set_ylim(0, _TOP_TIMES_MEAN * peak_mean)
        ax.text(
            0.99,
            0.98,
            CUT_NOTE,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
            color="#555555",
            gid="cut",
        )


def scenario_styles(comparison: Comparison) -> dict[str, tuple[str, str]]:
    """``{scenario: (colour, line style)}``: the baseline dashed in the palette's first colour, each
    option solid in the next (all with at least 3:1 contrast on white for up to four options)."""
    options = [n for n in comparison.names if n != comparison.baseline]
    styles = {comparison.baseline: (_PALETTE[0], "--")}
    for i, name in enumerate(options):
        styles[name] = (_PALETTE[1 + i % (len(_PALETTE) - 1)], "-")
    return styles


def _runs(comparison: Comparison) -> list[tuple[str, Results]]:
    """The baseline first, then the options."""
    first = comparison.baseline
    return [(first, comparison.results[first])] + [
        (n, r) for n, r in comparison.results.items() if n != first
    ]


def _catalogue(comparison: Comparison) -> Catalogue:
    return Catalogue(k for r in comparison.results.values() for k in r.kpi_definitions)


@_styled
def monthly_compared(comparison: Comparison, kpis: Sequence[str] = MONTHLY_KPIS) -> Figure:
    """Each measure month by month (warm-up excluded), every scenario's mean with its 95% band, a
    panel per measure. Measures a scenario cannot produce (no workforce: no caseloads) are left out;
    if none is left the chart says so."""
    runs = _runs(comparison)
    styles = scenario_styles(comparison)
    catalogue = _catalogue(comparison)
    summaries = {name: _summary(res, list(kpis), "month") for name, res in runs}
    periods = _periods(runs[0][1], "month")
    drawable = [
        k
        for k in kpis
        if any(
            np.isfinite(s.loc[s["kpi"] == k, "mean"].to_numpy(dtype=float)).any() for s in summaries.values()
        )
    ]
    ncols = 1 if len(drawable) <= 1 else 2
    nrows = max(1, math.ceil(len(drawable) / ncols))
    fig = Figure(figsize=(10, 0.9 + 2.6 * nrows), layout="constrained")
    fig.suptitle(
        f"Month by month: {' and '.join(n for n, _ in runs[1:])} against {comparison.baseline}, "
        f"mean with 95% confidence band ({_reps_text(runs[0][1])})"
    )
    if not drawable:
        ax = fig.add_subplot()
        ax.set_axis_off()
        _annotate_na(ax, "None of these measures is available in these scenarios.")
        return fig
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for ax, kpi in zip(axes, drawable, strict=False):
        unit = catalogue[kpi].unit
        for name, _ in runs:
            colour, line = styles[name]
            _draw_series(
                ax,
                summaries[name],
                periods,
                kpi,
                colour,
                catalogue,
                _scale(unit),
                scenario=name,
                linestyle=line,
            )
        ax.set_title(catalogue[kpi].short, loc="left")
        ax.set_ylabel(_unit_label(unit) or "value")
        rows = pd.concat([s[s["kpi"] == kpi] for s in summaries.values()])
        _readable_top(
            ax,
            rows["mean"].to_numpy(dtype=float) * _scale(unit),
            rows["ci_high"].to_numpy(dtype=float) * _scale(unit),
        )
        _period_ticks(ax, periods, "month")
    for ax in axes[len(drawable) :]:
        ax.set_axis_off()
    for ax in axes[max(0, len(drawable) - ncols) : len(drawable)]:
        ax.set_xlabel("month")
        ax.tick_params(axis="x", labelbottom=True)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
    return fig


def _grouped_bars(
    ax: Axes,
    runs: list[tuple[str, pd.DataFrame]],
    keys: Sequence[str],
    styles: dict[str, tuple[str, str]],
    scale: float,
    baseline: str,
    gid: str,
) -> bool:
    """One bar per scenario at each key (a KPI or a period), with 95% CI whiskers; False if none drawn.
    Each frame is indexed by key with ``mean``, ``ci_low`` and ``ci_high``."""
    width = 0.8 / len(runs)
    x = np.arange(len(keys), dtype=float)
    drawn = False
    means: list[float] = []
    highs: list[float] = []
    for i, (name, frame) in enumerate(runs):
        mean = np.array([float(frame["mean"].get(k, math.nan)) for k in keys]) * scale
        lo = np.array([float(frame["ci_low"].get(k, math.nan)) for k in keys]) * scale
        hi = np.array([float(frame["ci_high"].get(k, math.nan)) for k in keys]) * scale
        if not np.isfinite(mean).any():
            continue
        xi = x - 0.4 + width * (i + 0.5)
        colour = styles[name][0]
        bars = ax.bar(
            xi,
            np.nan_to_num(mean, nan=0.0),
            width=width * 0.92,
            color=colour if name != baseline else "white",
            edgecolor=colour,
            hatch=_BASELINE_HATCH if name == baseline else None,
            linewidth=1.2,
            label=name,
            zorder=2,
        )
        for bar, key in zip(bars, keys, strict=True):
            bar.set_gid(f"{gid}:{name}:{key}")
        _interval_whiskers(ax, xi, mean, lo, hi)
        drawn = True
        means += mean.tolist()
        highs += hi.tolist()
    if drawn:
        _readable_top(ax, np.array(means), np.array(highs))
    return drawn


@_styled
def caseload_by_team_compared(comparison: Comparison) -> Figure:
    """Children per case-holding FTE at 31 March in each team and across all teams, a bar for each
    scenario (mean over replications and reported years, 95% CI whiskers), with the England average."""
    runs = _runs(comparison)
    styles = scenario_styles(comparison)
    catalogue = _catalogue(comparison)
    teams = caseload_teams(runs[0][1])
    names = [f"caseload_mean_{t}" for t in teams] + ["caseload_mean"]
    heads = [(name, _headline(res, names)) for name, res in runs]
    fig = Figure(figsize=(9, 4.6), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(
        f"Caseloads at 31 March by team: mean with 95% confidence interval ({_reps_text(runs[0][1])})"
    )
    if not _grouped_bars(ax, heads, names, styles, 1.0, comparison.baseline, "bar"):
        ax.set_axis_off()
        _annotate_na(ax, "No caseloads: social-worker capacity is not modelled in these scenarios.")
        return fig
    _england_line(ax, catalogue["caseload_mean"], linestyle=":", linewidth=1.2)
    labels = [catalogue[n].short if n != "caseload_mean" else "All teams" for n in names]
    ax.set_xticks(range(len(names)), labels)
    ax.set_xlabel("team")
    ax.set_ylabel("children per case-holding FTE")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def _quarter_tick(period: str) -> str:
    """``"2025-26 Q1"`` → ``"Q1\\n2025-26"``."""
    year, quarter = period.split()
    return f"{quarter}\n{year}"


@_styled
def costs_by_quarter(comparison: Comparison) -> Figure:
    """Total cost in each quarter of each financial year (Q1 = April–June), a bar for each scenario
    with its 95% CI, in £ million in the year's prices: the sum of the quarter's months in each
    replication (:meth:`caseflow.Results.quarterly`)."""
    runs = _runs(comparison)
    styles = scenario_styles(comparison)
    frames = [(name, res.quarterly(["cost_total"]).set_index("period")) for name, res in runs]
    periods = sorted({str(p) for _, f in frames for p in f.index})
    fig = Figure(figsize=(max(7.0, 1.5 + 0.55 * len(periods) * len(runs)), 4.4), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(
        f"Total cost by quarter (£ million, each year's prices): mean with 95% confidence interval "
        f"({_reps_text(runs[0][1])})"
    )
    if not periods or not _grouped_bars(ax, frames, periods, styles, 1e-6, comparison.baseline, "cost"):
        ax.set_axis_off()
        _annotate_na(ax, "No costs: the scenarios have no [costs] table, so cost KPIs are not computed.")
        return fig
    ax.set_xticks(range(len(periods)), [_quarter_tick(p) for p in periods])
    ax.set_xlabel("quarter of the financial year (Q1 = April–June, Q4 = January–March)")
    ax.set_ylabel("£ million")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
