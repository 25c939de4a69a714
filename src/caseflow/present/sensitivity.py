"""Tornado charts of a sensitivity screening: which assumptions move each KPI, and by how much."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from caseflow.experiment.sensitivity import Sensitivity
from caseflow.metrics.catalogue import Catalogue
from caseflow.present.charts import _PALETTE, _annotate_na, _save, _styled

__all__ = ["save_tornados", "tornado"]


@_styled
def tornado(result: Sensitivity, kpi: str, top: int = 12) -> Figure:
    """The ``top`` assumptions that move ``kpi`` most, as bars (Morris ``mu_star`` with its 95% interval,
    or Sobol total index ``ST``), largest at the top, each labelled with the range it was moved over."""
    catalogue = Catalogue()
    rows = result.ranking(kpi, top)
    fig = Figure(figsize=(9, 0.45 * max(len(rows), 3) + 1.6), layout="constrained")
    ax = fig.subplots()
    label = catalogue[kpi].label
    if result.method == "morris":
        measure, conf = "mu_star", "mu_star_conf"
        xlabel = (
            f"mean absolute effect of moving the assumption across its range ({catalogue[kpi].unit_label})"
        )
    else:
        measure, conf = "ST", "ST_conf"
        xlabel = "total-effect index: share of the KPI's variance over the ranges"
    fig.suptitle(f"What moves it: {label}")
    ax.set_title(
        f"{result.scenario.name}; {result.method.title()} screening of {len(result.parameters)} assumptions, "
        f"{len(result.runs)} runs",
        loc="left",
        fontweight="normal",
    )
    if rows.empty or not np.isfinite(rows[measure]).any() or float(rows[measure].max()) == 0.0:
        _annotate_na(ax, "No assumption screened moves this KPI (or it is undefined in some runs)")
        return fig
    rows = rows.iloc[::-1]  # largest at the top
    y = np.arange(len(rows))
    ax.barh(
        y,
        rows[measure],
        xerr=rows[conf],
        color=_PALETTE[0],
        alpha=0.85,
        error_kw={"ecolor": "#555555", "lw": 0.8},
    )
    ax.set_yticks(
        y,
        [
            f"{fld}\n{lab}: {low:.3g} to {high:.3g}"
            for fld, lab, low, high in zip(
                rows["field"], rows["label"], rows["low"], rows["high"], strict=True
            )
        ],
        fontsize=7,
    )
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    return fig


def save_tornados(result: Sensitivity, folder: str | Path, top: int = 12, dpi: int = 110) -> list[Path]:
    """One tornado chart per KPI, as ``tornado_<kpi>.png`` in ``folder`` (each written atomically)."""
    out = Path(folder)
    return [_save(tornado(result, k, top), out / f"tornado_{k}.png", dpi) for k in result.kpis]
