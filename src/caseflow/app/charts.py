"""The charts the results page shows, each with a heading and a text alternative in words.

Every chart is drawn by :mod:`caseflow.present` (the effects and the costs by financial year by
:mod:`caseflow.present.charts`; the months, the teams and the quarters by
:mod:`caseflow.present.comparison_charts`), so the page, the report folder and a notebook draw one chart
one way. This module only says which charts the page shows, in what order, under what heading, and
what each shows for a reader who cannot see it (the ``alt`` text: what is drawn, and the figures that
matter, since an image's numbers are not read out). No web framework here: the page calls :func:`save`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from caseflow.app import formatting
from caseflow.experiment.compare import Comparison
from caseflow.files import atomic_path
from caseflow.metrics.catalogue import Catalogue

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CHARTS", "Chart", "save"]


@dataclass(frozen=True)
class Chart:
    """One chart of the results page."""

    #: the output's id on the page and the file's name
    key: str
    heading: str
    draw: Callable[[Comparison], Figure]
    #: the text alternative: what the chart shows, in words and figures
    describe: Callable[[Comparison], str]


def _names(comparison: Comparison) -> tuple[str, str]:
    base = comparison.baseline
    return base, next(n for n in comparison.names if n != base)


def _reps(comparison: Comparison) -> str:
    n = comparison.results[comparison.baseline].replications
    return f"{n} replications"


def _effects(comparison: Comparison) -> Figure:
    from caseflow.present.charts import comparison_effects

    return comparison_effects(comparison)


def _effects_text(comparison: Comparison) -> str:
    base, option = _names(comparison)
    return (
        f"Chart: the difference {option} makes to each headline measure against {base}, a dot for the "
        "yearly average difference and a line for its 95% confidence interval, filled where the "
        "difference is clear of chance. The same figures are in the table above."
    )


def _months(comparison: Comparison) -> Figure:
    from caseflow.present.comparison_charts import monthly_compared

    return monthly_compared(comparison)


def _months_text(comparison: Comparison) -> str:
    from caseflow.present.comparison_charts import MONTHLY_KPIS

    base, option = _names(comparison)
    catalogue = Catalogue(k for r in comparison.results.values() for k in r.kpi_definitions)
    ends = []
    finals = {}
    for name in (base, option):
        months = comparison.results[name].reported("month")
        months = months[months["kpi"].isin(MONTHLY_KPIS)]
        if not months.empty:
            last = months[months["period"] == months["period"].max()]
            finals[name] = last.groupby("kpi")["value"].mean().to_dict()  # the mean over replications
    for kpi in MONTHLY_KPIS:
        last = {n: float(f[kpi]) for n, f in finals.items() if kpi in f}
        if len(last) == 2:
            measure = catalogue[kpi]
            ends.append(
                f"{measure.short}: {formatting.value(measure, last[option])} "
                f"against {formatting.value(measure, last[base])}"
            )
    final = f" In the last month, {option} against {base}: " + "; ".join(ends) + "." if ends else ""
    return (
        f"Chart: six panels, month by month, of {option} (solid line) and {base} (dashed line), each with "
        f"its 95% confidence band over {_reps(comparison)}: children in assessment, on child in need "
        "plans, on child protection plans and looked after at the month's end, children waiting for a "
        f"social worker, and the average caseload.{final}"
    )


def _teams(comparison: Comparison) -> Figure:
    from caseflow.present.comparison_charts import caseload_by_team_compared

    return caseload_by_team_compared(comparison)


def _teams_text(comparison: Comparison) -> str:
    from caseflow.present.charts import caseload_teams

    base, option = _names(comparison)
    catalogue = Catalogue()
    parts = []
    means = {n: comparison.results[n].headline()["mean"].to_dict() for n in (base, option)}
    for team in caseload_teams(comparison.results[base]):
        kpi = f"caseload_mean_{team}"
        if all(kpi in m for m in means.values()):
            now, then = float(means[option][kpi]), float(means[base][kpi])
            parts.append(f"{catalogue[kpi].short}: {now:.1f} against {then:.1f}")
    figures = f" Children per FTE, {option} against {base}: " + "; ".join(parts) + "." if parts else ""
    return (
        f"Chart: bars of the average caseload at 31 March, children per case-holding social worker (FTE), "
        f"in each team and over all teams, for {base} (hatched) and {option} (solid), with 95% "
        f"confidence intervals and the England average as a dotted line.{figures}"
    )


def _quarters(comparison: Comparison) -> Figure:
    from caseflow.present.comparison_charts import costs_by_quarter

    return costs_by_quarter(comparison)


def _quarters_text(comparison: Comparison) -> str:
    base, option = _names(comparison)
    totals = {n: comparison.results[n].quarterly(["cost_total"]) for n in (base, option)}
    per = {n: float(t["mean"].sum()) for n, t in totals.items()}
    quarters = len(totals[base])
    figures = (
        f" Over the {quarters} quarters, {option} costs {formatting.money(per[option])} against "
        f"{formatting.money(per[base])}."
        if quarters
        else ""
    )
    return (
        f"Chart: bars of the total cost in each quarter of each financial year (Q1 is April to June), "
        f"£ million in each year's prices, for {base} (hatched) and {option} (solid), with 95% "
        f"confidence intervals. The costs by financial year are in the table below.{figures}"
    )


def _years(comparison: Comparison) -> Figure:
    from caseflow.present.charts import costs_by_year

    return costs_by_year(comparison)


def _years_text(comparison: Comparison) -> str:
    base, option = _names(comparison)
    return (
        f"Chart: costs by financial year for {base} and {option}, stacked by kind (placements, permanent "
        "staff, agency staff, early help) with the total and its 95% confidence interval on each bar, "
        "£ million in each year's prices. The figures are in the table below."
    )


#: The results page's charts, in order.
CHARTS: tuple[Chart, ...] = (
    Chart("effects", "The effect on each measure", _effects, _effects_text),
    Chart("months", "Month by month", _months, _months_text),
    Chart("teams", "Caseloads by team", _teams, _teams_text),
    Chart("quarters", "Costs by quarter", _quarters, _quarters_text),
    Chart("years", "Costs by financial year, by kind", _years, _years_text),
)


def save(chart: Chart, comparison: Comparison, path: Path, dpi: int = 110) -> None:
    """Draw ``chart`` for ``comparison`` into ``path`` (a PNG, written atomically), unless it is there."""
    if not path.exists():
        with atomic_path(path, suffix=path.suffix) as part:
            chart.draw(comparison).savefig(part, dpi=dpi)
