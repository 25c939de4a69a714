"""Charts of caseflow results and comparisons, drawn with matplotlib.

Every function returns a :class:`matplotlib.figure.Figure` built without :mod:`matplotlib.pyplot`:
nothing is shown, no window opens, no backend is chosen and no global figure list grows, so the module
is safe on a server or in a test (``MPLBACKEND=Agg``). In Jupyter, run ``%matplotlib inline`` once and
a returned figure displays itself; elsewhere save it with ``fig.savefig("chart.png", dpi=120)``.

>>> import caseflow
>>> from caseflow.present import charts
>>> results = caseflow.run("scenarios/baseline.toml", years=2, replications=5)  # doctest: +SKIP
>>> charts.kpi_timeseries(results, ["assessment_within_45wd_pct"],
...                       targets=charts.ENGLAND_2025)  # doctest: +SKIP
>>> charts.save_all(results, "runs/baseline/charts")  # doctest: +SKIP

Means are over replications (and, for annual charts, over the reported financial years, warm-up
excluded); bands and whiskers are 95% confidence intervals over replications that respect each KPI's
bounds, as in :meth:`caseflow.Results.summary`. Labels, units and England benchmarks come from the KPI
catalogue (:mod:`caseflow.metrics.catalogue`), including a user's own KPIs
(``Results.kpi_definitions``). KPIs that a scenario cannot produce (workforce KPIs with the
workforce switched off, costs without a ``[costs]`` table) are NaN; the charts skip them and say so
on the chart rather than failing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler
from matplotlib.text import Text

from caseflow.experiment.compare import Comparison
from caseflow.experiment.results import Results
from caseflow.experiment.stats import summarise
from caseflow.files import atomic_path
from caseflow.metrics.catalogue import KPI, KPIS, UNIT_LABELS, Catalogue

__all__ = [
    "COST_TYPES",
    "DEFAULT_EFFECT_KPIS",
    "ENGLAND_2025",
    "TIMELINESS_KPIS",
    "caseload_by_team",
    "caseload_teams",
    "comparison_effects",
    "costs_by_year",
    "kpi_label",
    "kpi_timeseries",
    "kpi_unit",
    "pathway_flow",
    "save_all",
    "unallocated",
]

P = ParamSpec("P")

#: England figures for the year to 31 March 2025, for target lines: each KPI's benchmark in the
#: catalogue (``reference/england-figures.md``: DfE CIN census C2 and C4, DfE children's social work
#: workforce).
ENGLAND_2025: dict[str, float] = {k.name: k.benchmark.value for k in KPIS if k.benchmark is not None}

#: The statutory-timeliness KPIs charted by :func:`save_all`.
TIMELINESS_KPIS: tuple[str, ...] = (
    "contact_decision_within_1wd_pct",
    "assessment_within_45wd_pct",
    "icpc_within_15wd_pct",
    "cp_visits_on_time_pct",
)

#: The cost KPIs that add up to ``cost_total``, bottom of the stack first, with their colours.
#: (``cost_recruitment_retention`` is part of ``cost_staff_permanent``, so it is not stacked.)
COST_TYPES: dict[str, str] = {
    "cost_placements": "#BBBBBB",
    "cost_staff_permanent": "#0072B2",
    "cost_staff_agency": "#D55E00",
    "cost_early_help": "#009E73",
}

#: KPIs shown by :func:`comparison_effects` when none are named (those present and not all NaN).
DEFAULT_EFFECT_KPIS: tuple[str, ...] = (
    "assessment_within_45wd_pct",
    "assessment_median_wd",
    "icpc_within_15wd_pct",
    "cp_visits_on_time_pct",
    "caseload_mean",
    "unallocated_cases_mean",
    "allocation_wait_median_wd",
    "referrals",
    "cost_staff_agency",
    "cost_total",
)

# The Okabe–Ito palette (Okabe and Ito, "Color Universal Design", 2008): its colours stay apart for
# readers with any common colour-vision deficiency. Ordered so that the first five (blue, vermillion,
# bluish green, reddish purple, black) have at least 3:1 contrast with white, as WCAG 2.1 asks of lines
# and marks (1.4.11); orange (2.3:1), sky blue (2.3:1) and yellow (1.3:1) come last, for a sixth line on.
_PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#F0E442"]
_STYLE: dict[Any, Any] = {
    "axes.prop_cycle": cycler(color=_PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "font.size": 9,
}
_NA_COLOUR = "#777777"

# ---------------------------------------------------------------------------------------------- helpers


def _styled(fn: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw inside caseflow's restrained style without touching the user's global rcParams."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(_STYLE):
            return fn(*args, **kwargs)

    return wrapper


def kpi_label(name: str, catalogue: Catalogue | None = None) -> str:
    """The short label charts give a KPI (``caseload_mean_cin_cp`` → ``"CIN/CP team"``).

    From the KPI catalogue, or from ``catalogue`` (for example ``results.catalogue()``, which knows a
    user's own KPIs); a name nobody defined is turned into words.
    """
    return (catalogue or Catalogue())[name].short


def kpi_unit(name: str, catalogue: Catalogue | None = None) -> str:
    """The KPI's unit as defined in the catalogue (per-team KPIs included; "" if nobody defined it)."""
    return (catalogue or Catalogue())[name].unit


def _unit_label(unit: str) -> str:
    """Axis label of a unit: money is drawn in £ million."""
    return "£ million" if unit == "£" else UNIT_LABELS.get(unit, unit)


def _scale(unit: str) -> float:
    """Money is drawn in £ million."""
    return 1e-6 if unit == "£" else 1.0


def _fmt(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    if unit == "£":
        return f"£{value / 1e6:,.1f}m"
    if unit == "%":
        return f"{value:.1f}%"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _num(value: Any) -> float:
    """A table cell as a float (NaN if it is not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _england_line(ax: Axes, kpi: KPI, *, linestyle: str, linewidth: float) -> None:
    """The KPI's published England figure, if it has one, as a grey horizontal line with its label."""
    benchmark = kpi.benchmark
    if benchmark is not None:
        ax.axhline(
            benchmark.value,
            color="#555555",
            linestyle=linestyle,
            linewidth=linewidth,
            label=f"England average {benchmark.value:.1f} ({benchmark.label})",
            zorder=1,
        )


def _interval_whiskers(
    ax: Axes, x: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, label: str | None = None
) -> None:
    """Grey 95% interval whiskers on bars at ``x``, where the mean and both ends are known."""
    ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(mean)
    if ok.any():
        ax.errorbar(
            x[ok],
            mean[ok],
            yerr=[mean[ok] - lo[ok], hi[ok] - mean[ok]],
            fmt="none",
            ecolor="#333333",
            capsize=3,
            linewidth=1,
            zorder=3,
            label=label,
        )


def _finite(x: float) -> bool:
    return x is not None and math.isfinite(x)


def _annotate_na(ax: Axes, message: str) -> None:
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=_NA_COLOUR,
        fontsize=9,
        wrap=True,
        gid="na",
    )


def _headline(results: Results, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and CI of each KPI averaged over reported years (index: kpi)."""
    per_rep = results.per_replication_mean()
    if kpis is not None:
        per_rep = per_rep[per_rep["kpi"].isin(list(kpis))]
    if per_rep.empty:
        return pd.DataFrame(columns=["mean", "std", "ci_low", "ci_high", "n"])
    return summarise(per_rep, ["kpi"], bounds=results.catalogue().bounds).set_index("kpi")


def _summary(results: Results, kpis: Sequence[str], period_type: str) -> pd.DataFrame:
    """Mean and CI per (period, KPI) after the warm-up, periods in time order."""
    frame = results.reported(period_type)
    frame = frame[frame["kpi"].isin(list(kpis))]
    if frame.empty:
        return pd.DataFrame(columns=["period", "kpi", "mean", "std", "ci_low", "ci_high", "n"])
    return summarise(frame, ["period", "kpi"], bounds=results.catalogue().bounds)


def _periods(results: Results, period_type: str) -> list[str]:
    return sorted(results.reported(period_type)["period"].unique().tolist())


def _check_kpis(results: Results, kpis: Sequence[str]) -> None:
    known = set(results.kpis["kpi"].unique())
    missing = [k for k in kpis if k not in known]
    if missing:
        raise ValueError(
            f"unknown KPI(s) {', '.join(map(repr, missing))}; see caseflow.KPIS or results.kpis['kpi']"
        )


def _reps_text(results: Results) -> str:
    years = _periods(results, "financial_year")
    span = f"{years[0]} to {years[-1]}" if len(years) > 1 else (years[0] if years else "no reported years")
    n = results.replications
    return f"{n} replication{'s' if n != 1 else ''}, {span}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _period_ticks(ax: Axes, periods: Sequence[str], period_type: str) -> None:
    """Readable tick labels for month ("Apr 26") or financial-year ("2026-27") positions."""
    n = len(periods)
    if period_type == "month":
        step = 1 if n <= 12 else 3 if n <= 36 else 6
        labels = []
        for p in periods:
            year, month = p.split("-")
            labels.append(f"{_MONTHS[int(month) - 1]} {year[2:]}")
        ticks = list(range(0, n, step))
        ax.set_xticks(ticks, [labels[i] for i in ticks])
        if n > 12:  # financial-year boundaries
            for i, p in enumerate(periods):
                if p.endswith("-04") and i > 0:
                    ax.axvline(i - 0.5, color="#CCCCCC", linewidth=0.6, zorder=0)
    else:
        ax.set_xticks(range(n), list(periods))
    ax.set_xlim(-0.5, max(n - 0.5, 0.5))


def _draw_series(
    ax: Axes,
    summary: pd.DataFrame,
    periods: Sequence[str],
    kpi: str,
    colour: str,
    catalogue: Catalogue,
    scale: float = 1.0,
    scenario: str | None = None,
    linestyle: str = "-",
) -> bool:
    """One KPI's mean line and CI band on ``ax``; False (and nothing drawn) if it is all NaN.

    The band is the summary's interval, which already respects the KPI's bounds (percentages within
    0–100, counts at least 0), however few the replications. With ``scenario`` the line is that
    scenario's (labelled with its name) rather than the KPI's.
    """
    s = summary[summary["kpi"] == kpi].set_index("period").reindex(list(periods))
    mean = s["mean"].to_numpy(dtype=float) * scale
    if not np.isfinite(mean).any():
        return False
    x = np.arange(len(periods))
    lo = s["ci_low"].to_numpy(dtype=float) * scale
    hi = s["ci_high"].to_numpy(dtype=float) * scale
    ok = np.isfinite(lo) & np.isfinite(hi)
    which = kpi if scenario is None else f"{kpi}:{scenario}"
    if ok.any():
        ax.fill_between(x, lo, hi, where=ok, color=colour, alpha=0.18, linewidth=0, gid=f"ci:{which}")
    ax.plot(
        x,
        mean,
        color=colour,
        linewidth=1.6,
        linestyle=linestyle,
        marker="o",
        markersize=2.5,
        label=catalogue[kpi].short if scenario is None else scenario,
        gid=f"kpi:{which}",
    )
    return True


def _save(fig: Figure, path: Path, dpi: int) -> Path:
    """Write a PNG atomically: a temporary file in the same folder, then a rename."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return path


# ---------------------------------------------------------------------------------------------- charts

# (key, KPI, label, x, y): the boxes of the pathway chart, in axes-data coordinates.
_FLOW_BOXES: tuple[tuple[str, str, str, float, float], ...] = (
    ("contacts", "contacts", "Contacts", 0.55, 2.0),
    ("referrals", "referrals", "Referrals", 1.55, 2.0),
    ("assessments", "assessments_completed", "Assessments\ncompleted", 2.55, 2.0),
    ("s47", "s47_enquiries", "Section 47\nenquiries", 3.55, 2.0),
    ("icpc", "icpcs", "Initial CP\nconferences", 4.55, 2.0),
    ("cp", "cp_plans_started", "CP plans\nstarted", 5.55, 2.0),
    ("early_help", "early_help_starts", "Early help\nstarted", 0.55, 0.75),
    ("cin", "cin_plans_started", "CIN plans\nstarted", 3.05, 0.75),
    ("cla", "cla_starts", "Started to be\nlooked after", 5.55, 0.75),
)
# (from, to, show the ratio): arrows of the pathway chart.
_FLOW_ARROWS: tuple[tuple[str, str, bool], ...] = (
    ("contacts", "referrals", True),
    ("referrals", "assessments", True),
    ("assessments", "s47", True),
    ("s47", "icpc", True),
    ("icpc", "cp", True),
    ("assessments", "cin", True),
    ("contacts", "early_help", True),
    ("cp", "cla", False),
    ("cin", "cla", False),
)


@_styled
def pathway_flow(results: Results) -> Figure:
    """The statutory pathway as boxes and arrows with annual volumes and conversion ratios.

    Each box is the number of children a year at that step: the mean over replications and reported
    financial years. Each solid arrow is labelled with the ratio of the two volumes (for example
    referrals ÷ contacts); several steps have more than one way in (CIN plans also start after s47
    enquiries and conferences, care starts after CP and CIN plans, emergencies and UASC arrivals), so the
    ratios are conversion rates of annual volumes, not transition probabilities. Dashed arrows into care
    carry no ratio; the care box gives starts per 100 referrals instead.
    """
    kpis = [b[1] for b in _FLOW_BOXES]
    head = _headline(results, kpis)
    vol = {key: float(head["mean"].get(kpi, math.nan)) for key, kpi, *_ in _FLOW_BOXES}

    fig = Figure(figsize=(11.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(0, 6.1)
    ax.set_ylim(0.15, 2.6)
    ax.set_axis_off()

    boxes: dict[str, Text] = {}
    for key, kpi, label, x, y in _FLOW_BOXES:
        v = vol[key]
        text = f"{label}\n{_fmt(v, 'children')} a year"
        if key == "cla" and _finite(v) and _finite(vol["referrals"]) and vol["referrals"] > 0:
            text += f"\n({100 * v / vol['referrals']:.1f} per 100 referrals)"
        main = y > 1.5
        boxes[key] = ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=9,
            color="black" if _finite(v) else _NA_COLOUR,
            bbox={
                "boxstyle": "round,pad=0.5",
                "facecolor": "#E8F1F8" if main else "#F4F4F4",
                "edgecolor": "#0072B2" if main else "#888888",
                "linewidth": 1.0,
            },
            gid=f"box:{kpi}",
        )

    pos = {key: (x, y) for key, _, _, x, y in _FLOW_BOXES}
    for src, dst, with_ratio in _FLOW_ARROWS:
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#444444" if with_ratio else "#999999",
                "linestyle": "-" if with_ratio else "--",
                "linewidth": 1.1,
                "patchA": boxes[src].get_bbox_patch(),
                "patchB": boxes[dst].get_bbox_patch(),
                "shrinkA": 2,
                "shrinkB": 2,
            },
            gid=f"arrow:{src}->{dst}",
        )
        if with_ratio:
            a, b = vol[src], vol[dst]
            ratio = 100 * b / a if _finite(a) and _finite(b) and a > 0 else math.nan
            horizontal = abs(y1 - y0) < 1e-9
            ax.text(
                (x0 + x1) / 2 + (0 if horizontal else 0.12),
                (y0 + y1) / 2 + (0.2 if horizontal else 0),
                _fmt(ratio, "%"),
                ha="center",
                va="center",
                fontsize=8.5,
                color="#0072B2",
                gid=f"rate:{src}->{dst}",
            )

    fig.suptitle(f"Children through the pathway each year: {results.scenario.name} ({_reps_text(results)})")
    ax.text(
        0.0,
        0.0,
        "Boxes: children a year, mean over replications and reported financial years. Percentages: the "
        "second volume as a share of the first (annual volumes;\nsome steps have several routes in, so "
        "they are not transition probabilities). Dashed: routes into care from CP and CIN plans "
        "(care also starts in emergencies and for UASC).",
        transform=ax.transAxes,
        fontsize=7.5,
        color="#555555",
        va="bottom",
    )
    return fig


@_styled
def kpi_timeseries(
    results: Results,
    kpis: str | Sequence[str],
    targets: Mapping[str, float | tuple[float, str]] | None = None,
    period_type: str = "month",
) -> Figure:
    """Mean of each KPI per period with its 95% confidence band, warm-up excluded.

    KPIs with the same unit share a panel (one panel per unit). ``targets`` maps a KPI to a value, or
    to ``(value, label)``, drawn as a dashed horizontal line in the KPI's colour, for example
    ``{"assessment_within_45wd_pct": (85.7, "England 2025")}`` or :data:`ENGLAND_2025`; targets for
    KPIs not charted are ignored. ``period_type`` is ``"month"`` or ``"financial_year"``. A KPI that is
    NaN throughout (e.g. a workforce KPI with the workforce switched off) is noted on its panel.
    """
    names = [kpis] if isinstance(kpis, str) else list(kpis)
    if not names:
        raise ValueError("kpi_timeseries needs at least one KPI")
    if period_type not in ("month", "financial_year"):
        raise ValueError(f"period_type must be 'month' or 'financial_year', not {period_type!r}")
    _check_kpis(results, names)
    targets = dict(targets or {})
    catalogue = results.catalogue()
    summary = _summary(results, names, period_type)
    periods = _periods(results, period_type)

    units: dict[str, list[str]] = {}
    for name in names:
        units.setdefault(catalogue[name].unit, []).append(name)

    fig = Figure(figsize=(10, 1.0 + 3.0 * len(units)), layout="constrained")
    axes = fig.subplots(len(units), 1, sharex=True, squeeze=False)[:, 0]
    colours = iter(_PALETTE * 4)
    for ax, (unit, group) in zip(axes, units.items(), strict=True):
        scale = _scale(unit)
        missing = []
        for name in group:
            colour = next(colours)
            if not _draw_series(ax, summary, periods, name, colour, catalogue, scale):
                missing.append(name)
                continue
            if name in targets:
                t = targets[name]
                value, label = (t, "target") if isinstance(t, int | float) else t
                ax.axhline(
                    float(value) * scale,
                    color=colour,
                    linestyle="--",
                    linewidth=1.0,
                    label=f"{label}: {_fmt(float(value), unit)}",
                    gid=f"target:{name}",
                )
        ax.set_ylabel(_unit_label(unit) or "value")
        if missing:
            ax.text(
                0.01,
                0.02,
                "Not available in this scenario: " + ", ".join(catalogue[m].short for m in missing),
                transform=ax.transAxes,
                fontsize=8,
                color=_NA_COLOUR,
                gid="na",
            )
        if ax.get_lines():
            ax.legend(loc="best")
        _period_ticks(ax, periods, period_type)
    axes[-1].set_xlabel("month" if period_type == "month" else "financial year (April–March)")
    what = "Monthly" if period_type == "month" else "Annual"
    fig.suptitle(
        f"{what} KPIs: {results.scenario.name}, mean with 95% confidence band ({_reps_text(results)})"
    )
    return fig


def caseload_teams(results: Results) -> list[str]:
    """The teams with a caseload KPI (``caseload_mean_<team>``): the scenario's order, then any others."""
    all_kpis = set(results.kpis["kpi"].unique())
    wf = results.scenario.workforce
    team_order = list(wf.teams) if wf is not None else []
    teams = [t for t in team_order if f"caseload_mean_{t}" in all_kpis]
    teams += sorted(
        k[len("caseload_mean_") :]
        for k in all_kpis
        if k.startswith("caseload_mean_") and k[len("caseload_mean_") :] not in teams
    )
    return teams


@_styled
def caseload_by_team(results: Results) -> Figure:
    """Children per case-holding FTE at 31 March by team, and across all teams (mean, p90, highest).

    Bars are the means over replications and reported years with 95% CI whiskers. Each team's soft cap
    at the start of the run is marked; the dashed line is the England average (15.2, DfE 2025).
    """
    wf = results.scenario.workforce
    teams = caseload_teams(results)
    all_kpis = set(results.kpis["kpi"].unique())
    names = [f"caseload_mean_{t}" for t in teams] + ["caseload_mean", "caseload_p90", "caseload_max"]
    names = [n for n in names if n in all_kpis]
    head = _headline(results, names)

    fig = Figure(figsize=(9, 4.6), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(f"Caseloads at 31 March: {results.scenario.name} ({_reps_text(results)})")
    means = np.array([float(head["mean"].get(n, math.nan)) for n in names])
    if not np.isfinite(means).any():
        ax.set_axis_off()
        _annotate_na(
            ax,
            "No caseloads: social-worker capacity is not modelled in this scenario "
            "(workforce absent or workforce.enabled = false).",
        )
        return fig

    n_team = sum(n.startswith("caseload_mean_") for n in names)
    x = np.array([i if i < n_team else i + 0.6 for i in range(len(names))])
    lo = np.array([float(head["ci_low"].get(n, math.nan)) for n in names])
    hi = np.array([float(head["ci_high"].get(n, math.nan)) for n in names])
    colours = ["#56B4E9" if i < n_team else "#0072B2" for i in range(len(names))]
    heights = np.nan_to_num(means, nan=0.0)
    bars = ax.bar(x, heights, width=0.7, color=colours, zorder=2)
    for bar, name in zip(bars, names, strict=True):
        bar.set_gid(f"bar:{name}")
    _interval_whiskers(ax, x, means, lo, hi, label="95% CI")
    for xi, m, h in zip(x, means, hi, strict=True):
        if _finite(m):
            ax.text(xi, h if _finite(h) else m, f"{m:.1f}", ha="center", va="bottom", fontsize=8)
        else:
            ax.text(xi, 0.3, "n/a", ha="center", va="bottom", fontsize=8, color=_NA_COLOUR)
    if wf is not None:
        for i, team in enumerate(teams):
            cap = wf.teams[team].soft_cap if team in wf.teams else math.nan
            if _finite(cap):
                ax.hlines(
                    cap,
                    x[i] - 0.38,
                    x[i] + 0.38,
                    colors="#D55E00",
                    linewidth=1.6,
                    zorder=4,
                    label="soft cap at start" if i == 0 else "_nolegend_",
                )
    _england_line(ax, results.catalogue()["caseload_mean"], linestyle="--", linewidth=1.0)
    overall = {
        "caseload_mean": "All teams: mean",
        "caseload_p90": "All teams: 90th percentile",
        "caseload_max": "All teams: highest",
    }
    catalogue = results.catalogue()
    ax.set_xticks(x, [overall.get(n, catalogue[n].short) for n in names], rotation=20, ha="right")
    ax.set_ylabel("children per case-holding FTE")
    ax.legend(loc="upper left")
    return fig


@_styled
def unallocated(results: Results) -> Figure:
    """Unallocated cases (monthly mean and month end) and the wait for a worker, by month.

    Lines are means over replications with 95% confidence bands; the warm-up is excluded. The wait is
    shown as its median and its mean over the children allocated in the month: when most children are
    allocated at once the median stays at zero while a queue builds, and the mean shows the queue.
    """
    top = ["unallocated_cases_mean", "unallocated_cases_end"]
    bottom = ["allocation_wait_median_wd", "allocation_wait_mean_wd"]
    present = [k for k in top + bottom if k in set(results.kpis["kpi"].unique())]
    summary = _summary(results, present, "month")
    periods = _periods(results, "month")

    fig = Figure(figsize=(10, 6.2), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    fig.suptitle(
        f"Waiting for a social worker: {results.scenario.name}, mean with 95% confidence band "
        f"({_reps_text(results)})"
    )
    for ax, group, ylabel, title in (
        (axes[0], top, "children", "Children waiting for a worker"),
        (axes[1], bottom, "working days", "Working days from needing a worker to having one"),
    ):
        drawn = [
            _draw_series(ax, summary, periods, k, colour, results.catalogue())
            for k, colour in zip(group, _PALETTE, strict=False)
            if k in present
        ]
        ax.set_title(title, loc="left")
        ax.set_ylabel(ylabel)
        _period_ticks(ax, periods, "month")
        if any(drawn):
            ax.set_ylim(bottom=0)
            ax.legend(loc="upper left")
        else:
            _annotate_na(
                ax,
                "Not available: social-worker capacity is not modelled in this scenario "
                "(workforce absent or workforce.enabled = false).",
            )
    axes[1].set_xlabel("month")
    return fig


@_styled
def comparison_effects(comparison: Comparison, kpis: Sequence[str] | None = None) -> Figure:
    """Forest plot: each scenario's paired effect (scenario − baseline) with its 95% CI, one panel per KPI.

    Effects are averaged over the reported financial years within each replication, then paired by
    replication under common random numbers (:meth:`caseflow.Comparison.effects`). A filled marker means
    the CI excludes zero; a hollow one that the difference could be noise at this number of replications.
    A CI that reaches past what the KPI can be comes cut to it (:meth:`caseflow.Comparison.effects`).
    """
    effects = comparison.effects()
    available = set(effects["kpi"].unique())
    if kpis is None:
        names = [
            k
            for k in DEFAULT_EFFECT_KPIS
            if k in available and np.isfinite(effects.loc[effects["kpi"] == k, "difference"]).any()
        ]
    else:
        names = [kpis] if isinstance(kpis, str) else list(kpis)
        missing = [k for k in names if k not in available]
        if missing:
            raise ValueError(f"unknown KPI(s) {', '.join(map(repr, missing))} in this comparison")
    if not names:
        raise ValueError("no KPIs to show")
    scenarios = [n for n in comparison.names if n != comparison.baseline]
    catalogue = Catalogue(k for r in comparison.results.values() for k in r.kpi_definitions)

    ncols = 1 if len(names) == 1 else 2
    nrows = math.ceil(len(names) / ncols)
    fig = Figure(figsize=(5.2 * ncols, 0.9 + nrows * (0.9 + 0.38 * len(scenarios))), layout="constrained")
    n_reps = comparison.results[comparison.baseline].replications
    fig.suptitle(
        f"Effects against {comparison.baseline}: paired difference (scenario − baseline) with 95% CI, "
        f"{n_reps} replications" + (", common random numbers" if comparison.common_random_numbers else "")
    )
    y = np.arange(len(scenarios))[::-1]
    for i, kpi in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.grid(False)
        ax.grid(True, axis="x")
        unit = catalogue[kpi].unit
        scale = _scale(unit)
        rows = effects[effects["kpi"] == kpi].set_index("scenario")
        base = float(rows["baseline_mean"].iloc[0]) if len(rows) else math.nan
        ax.set_title(f"{catalogue[kpi].short}  (baseline {_fmt(base, unit)})", loc="left", fontsize=9)
        ax.axvline(0, color="#555555", linewidth=0.8)
        drawn = 0
        for yi, name in zip(y, scenarios, strict=True):
            if name not in rows.index or not _finite(_num(rows.at[name, "difference"])):
                ax.text(0, yi, "  n/a", va="center", fontsize=8, color=_NA_COLOUR)
                continue
            d = _num(rows.at[name, "difference"]) * scale
            lo = _num(rows.at[name, "ci_low"]) * scale
            hi = _num(rows.at[name, "ci_high"]) * scale
            has_ci = _finite(lo) and _finite(hi)
            clear = has_ci and (lo > 0 or hi < 0)
            colour = _PALETTE[scenarios.index(name) % len(_PALETTE)]
            container = ax.errorbar(
                [d],
                [yi],
                xerr=[[d - lo], [hi - d]] if has_ci else None,
                fmt="o",
                color=colour,
                markerfacecolor=colour if clear else "white",
                markersize=6,
                capsize=3,
                linewidth=1.4,
            )
            container.lines[0].set_gid(f"effect:{name}:{kpi}")
            drawn += 1
        ax.set_yticks(y, scenarios)
        ax.set_ylim(-0.6, len(scenarios) - 0.4)
        ax.set_xlabel(f"difference ({'percentage points' if unit == '%' else _unit_label(unit) or 'value'})")
        if drawn == 0:
            _annotate_na(ax, "not available in these scenarios")
    return fig


@_styled
def costs_by_year(results_or_comparison: Results | Comparison) -> Figure:
    """Costs by financial year, stacked by type, with the total and its 95% CI on top of each bar.

    For a :class:`~caseflow.Comparison` there is one group of bars per scenario. Money is in £ million
    in the year's prices (costs are uplifted by the scenario's ``costs.annual_inflation``). The four
    stacked types add up to ``cost_total``; recruitment and retention payments sit inside permanent
    staff costs.
    """
    if isinstance(results_or_comparison, Comparison):
        runs = list(results_or_comparison.results.items())
    else:
        runs = [(results_or_comparison.scenario.name, results_or_comparison)]
    kinds = list(COST_TYPES)
    n_bars = sum(len(_periods(r, "financial_year")) for _, r in runs)

    fig = Figure(figsize=(max(7.0, 1.6 + 0.75 * n_bars + 0.5 * len(runs)), 4.8), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(
        "Costs by financial year (£ million, in each year's prices; mean of "
        f"{runs[0][1].replications} replications)"
    )
    x0 = 0.0
    ticks: list[float] = []
    labels: list[str] = []
    any_drawn = False
    for g, (name, res) in enumerate(runs):
        summary = _summary(res, [*kinds, "cost_total"], "financial_year")
        years = _periods(res, "financial_year")
        centre = []
        for j, year in enumerate(years):
            xj = x0 + j
            rows = summary[summary["period"] == year].set_index("kpi")
            values = [float(rows["mean"].get(k, math.nan)) for k in kinds]
            if not any(_finite(v) for v in values):
                continue
            bottom = 0.0
            for kind, v in zip(kinds, values, strict=True):
                h = (v if _finite(v) else 0.0) / 1e6
                ax.bar(
                    xj,
                    h,
                    bottom=bottom,
                    width=0.72,
                    color=COST_TYPES[kind],
                    zorder=2,
                    label=kpi_label(kind) if not any_drawn else None,
                    gid=f"cost:{name}:{year}:{kind}",
                )
                bottom += h
            any_drawn = True
            total = float(rows["mean"].get("cost_total", math.nan))
            lo, hi = (
                float(rows["ci_low"].get("cost_total", math.nan)),
                float(rows["ci_high"].get("cost_total", math.nan)),
            )
            _interval_whiskers(
                ax, np.array([xj]), np.array([total]) / 1e6, np.array([lo]) / 1e6, np.array([hi]) / 1e6
            )
            if _finite(total):
                ax.annotate(
                    _fmt(total, "£"),
                    xy=(xj, (hi if _finite(hi) else total) / 1e6),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    rotation=90 if n_bars > 8 else 0,
                    gid=f"total:{name}:{year}",
                )
            ticks.append(xj)
            labels.append(year)
            centre.append(xj)
        if len(runs) > 1 and centre:
            ax.annotate(
                name,
                xy=(float(np.mean(centre)), 0),
                xycoords=("data", "axes fraction"),
                xytext=(0, -30),
                textcoords="offset points",
                ha="center",
                va="top",
                fontweight="bold",
                fontsize=9,
                gid=f"group:{name}",
            )
        x0 += len(years) + 0.8
        if g < len(runs) - 1 and len(runs) > 1:
            ax.axvline(x0 - 0.9, color="#DDDDDD", linewidth=0.8, zorder=0)
    if not any_drawn:
        ax.set_axis_off()
        _annotate_na(ax, "No costs: the scenario has no [costs] table, so cost KPIs are not computed.")
        return fig
    ax.set_xticks(ticks, labels)
    # below the scenarios' names, when there are several
    ax.set_xlabel("financial year (April–March)", labelpad=36 if len(runs) > 1 else 4)
    pad = max(0.8, (4.0 - (max(ticks) - min(ticks))) / 2)  # a lone bar should not fill the chart
    ax.set_xlim(min(ticks) - pad, max(ticks) + pad)
    ax.set_ylabel("£ million")
    ax.margins(y=0.12)
    handles, leg_labels = ax.get_legend_handles_labels()
    # stacked bottom-first: list the legend top-first so it reads like the bars
    ax.legend(handles[::-1], leg_labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def save_all(results: Results, folder: str | Path, dpi: int = 120) -> list[Path]:
    """Write every chart that applies to ``results`` as PNG files in ``folder``; return their paths.

    Always: ``pathway_flow.png`` and ``timeliness.png`` (the statutory-timeliness KPIs by month, with
    England 2025 figures as targets). When the scenario models the workforce: ``caseload_by_team.png``
    and ``unallocated.png``. When it has costs: ``costs_by_year.png``. Files are written atomically.
    """
    folder = Path(folder)
    known = set(results.kpis["kpi"].unique())
    head = _headline(results)

    def has(*names: str) -> bool:
        return any(n in head.index and _finite(_num(head.at[n, "mean"])) for n in names)

    charts: list[tuple[str, Callable[[], Figure]]] = [("pathway_flow", lambda: pathway_flow(results))]
    timeliness = [k for k in TIMELINESS_KPIS if k in known]
    if timeliness:
        catalogue = results.catalogue()
        england = {k: (b.value, b.label) for k in timeliness if (b := catalogue[k].benchmark) is not None}
        charts.append(("timeliness", lambda: kpi_timeseries(results, timeliness, targets=england)))
    if has("caseload_mean", "caseload_p90", "caseload_max"):
        charts.append(("caseload_by_team", lambda: caseload_by_team(results)))
    if has("unallocated_cases_mean", "unallocated_cases_end", "allocation_wait_median_wd"):
        charts.append(("unallocated", lambda: unallocated(results)))
    if has("cost_total"):
        charts.append(("costs_by_year", lambda: costs_by_year(results)))
    return [_save(make(), folder / f"{name}.png", dpi) for name, make in charts]
