"""The capacity frontier drawn: a team's caseload, timeliness and backlog against its establishment."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from caseflow.experiment.frontier import GROWTH, Frontier
from caseflow.metrics.catalogue import Catalogue
from caseflow.present.charts import _PALETTE, _annotate_na, _save, _styled

__all__ = ["capacity_frontier_chart", "save_capacity_frontier"]


def _panel(ax: Axes, frontier: Frontier, kpis: list[str], title: str, ylabel: str) -> None:
    catalogue = Catalogue()
    drawn = False
    for kpi, colour in zip(kpis, _PALETTE, strict=False):
        rows = frontier.curve[frontier.curve["kpi"] == kpi].sort_values("level")
        if rows.empty or not np.isfinite(rows["mean"]).any():
            continue
        x = rows["level"].to_numpy(dtype=float)
        label = "backlog growth" if kpi == GROWTH else catalogue[kpi].short
        ax.plot(x, rows["mean"], marker="o", markersize=3, color=colour, label=label)
        ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=colour, alpha=0.18, linewidth=0)
        drawn = True
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    if drawn:
        ax.legend(loc="best")
    else:
        _annotate_na(ax, "Not available for this team")


@_styled
def capacity_frontier_chart(frontier: Frontier) -> Figure:
    """Caseload per FTE (with the soft cap), timeliness and the backlog's growth against establishment.

    Lines are means over replications with 95% confidence bands (common random numbers). The dashed
    line is the scenario's own establishment; the shaded band is the interval in which the backlog
    stops growing, and the dotted line the smallest establishment confirmed not to grow.
    """
    team = frontier.team
    timeliness = [k for k in frontier.kpis if k.endswith("_pct")]
    fig = Figure(figsize=(10, 8), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    fig.suptitle(
        f"Capacity frontier, {team.replace('_', ' ')} team: {frontier.scenario.name} "
        f"({frontier.years} reported year{'s' if frontier.years != 1 else ''}, mean with 95% band)"
    )
    _panel(
        axes[0],
        frontier,
        [f"caseload_mean_{team}"],
        "Caseload: children per social worker (FTE)",
        "children per FTE",
    )
    soft_cap = frontier.scenario.workforce.teams[team].soft_cap if frontier.scenario.workforce else math.nan
    if math.isfinite(soft_cap):
        axes[0].axhline(
            soft_cap, color="#777777", linewidth=0.8, linestyle=":", label=f"soft cap {soft_cap:g}"
        )
        axes[0].legend(loc="best")
    _panel(axes[1], frontier, timeliness, "Timeliness", "%")
    _panel(
        axes[2],
        frontier,
        [GROWTH],
        "Growth of the backlog of children waiting for a worker",
        "children a year",
    )
    axes[2].axhline(frontier.tolerance, color="#777777", linewidth=0.8, linestyle=":")
    axes[2].axhline(0.0, color="#BBBBBB", linewidth=0.6)
    for ax in axes:
        ax.axvline(frontier.start, color="#000000", linewidth=0.8, linestyle="--")
        stable = frontier.stable
        if stable is not None and stable.interval is not None:
            lo, hi = stable.interval
            ax.axvspan(lo, hi, color="#009E73", alpha=0.08, linewidth=0)
            ax.axvline(hi if stable.want == "smallest" else lo, color="#009E73", linewidth=1.0, linestyle=":")
    axes[2].set_xlabel(
        f"establishment of the {team.replace('_', ' ')} team (FTE); dashed: the scenario's own"
    )
    return fig


def save_capacity_frontier(frontier: Frontier, path: Path, dpi: int = 120) -> Path:
    """Draw the capacity frontier to a PNG file, atomically."""
    return _save(capacity_frontier_chart(frontier), path, dpi)
