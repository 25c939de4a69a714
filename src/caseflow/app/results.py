"""What the page shows of a finished comparison, as rows of words and formatted numbers.

Pure data (no web framework): :func:`headline_rows` gives, for each headline measure, the baseline and
the option with their 95% confidence intervals, the paired difference with its interval, and whether
the difference is clear of chance; :func:`cost_rows` gives the costs by financial year. The page and
the tests read the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.app import formatting
from caseflow.calibrate.targets import MEASURES, Targets
from caseflow.experiment.compare import Comparison
from caseflow.metrics.catalogue import Catalogue, cost_kpis

__all__ = [
    "HEADLINE_KPIS",
    "CostRow",
    "HeadlineRow",
    "PublishedRow",
    "cost_rows",
    "headline_rows",
    "published_rows",
]

#: The measures the results table shows, in order: timeliness, caseloads and unallocated work, the
#: workforce, children at 31 March, and cost.
HEADLINE_KPIS: tuple[str, ...] = (
    "contact_decision_within_1wd_pct",
    "assessment_within_45wd_pct",
    "icpc_within_15wd_pct",
    "cp_visits_on_time_pct",
    "caseload_mean",
    "unallocated_cases_mean",
    "allocation_wait_median_wd",
    "sw_vacancy_pct",
    "sw_agency_pct",
    "cin_per_10k_end",
    "cp_per_10k_end",
    "cla_per_10k_end",
    "early_help_starts",
    "cost_staff_agency",
    "cost_total",
)


@dataclass(frozen=True)
class HeadlineRow:
    kpi: str
    label: str
    #: what the measure means, for the hover text
    definition: str
    unit: str
    section: str
    baseline: str
    baseline_ci: str
    option: str
    option_ci: str
    difference: str
    difference_ci: str
    #: "clear" (the 95% interval of the difference excludes zero), "within chance", or "" (no difference)
    verdict: str
    #: the raw numbers, for tests and charts
    baseline_mean: float
    option_mean: float
    difference_mean: float


def _f(x: Any) -> float:
    return float(x)


def _verdict(d: float, lo: float, hi: float) -> str:
    if not all(math.isfinite(x) for x in (d, lo, hi)):
        return ""
    if d == 0 and lo == 0 and hi == 0:
        return "no change"
    return "clear" if lo > 0 or hi < 0 else "within chance"


def headline_rows(comparison: Comparison, kpis: Sequence[str] = HEADLINE_KPIS) -> list[HeadlineRow]:
    """One row per measure in ``kpis`` that the run reports, for the option against the baseline."""
    base_name = comparison.baseline
    option_name = next(n for n in comparison.names if n != base_name)
    base = comparison.results[base_name].headline()
    option = comparison.results[option_name].headline()
    effects = comparison.effects().set_index("kpi")
    catalogue = Catalogue(k for r in comparison.results.values() for k in r.kpi_definitions)
    rows = []
    for name in kpis:
        if name not in base.index or name not in effects.index:
            continue
        kpi = catalogue[name]
        b, o, e = base.loc[name], option.loc[name], effects.loc[name]
        d, lo, hi = _f(e["difference"]), _f(e["ci_low"]), _f(e["ci_high"])
        rows.append(
            HeadlineRow(
                kpi=name,
                label=kpi.label,
                definition=kpi.description,
                unit=kpi.unit_label,
                section=kpi.section,
                baseline=formatting.value(kpi, _f(b["mean"])),
                baseline_ci=formatting.interval(kpi, _f(b["ci_low"]), _f(b["ci_high"])),
                option=formatting.value(kpi, _f(o["mean"])),
                option_ci=formatting.interval(kpi, _f(o["ci_low"]), _f(o["ci_high"])),
                difference=formatting.difference(kpi, d),
                difference_ci=formatting.interval(kpi, lo, hi, of_difference=True),
                verdict=_verdict(d, lo, hi),
                baseline_mean=_f(b["mean"]),
                option_mean=_f(o["mean"]),
                difference_mean=d,
            )
        )
    return rows


@dataclass(frozen=True)
class CostRow:
    period: str
    kpi: str
    label: str
    baseline: str
    option: str
    difference: str
    difference_ci: str


def cost_rows(comparison: Comparison) -> list[CostRow]:
    """Each cost by financial year: baseline, option, and the paired difference with its 95% interval."""
    base_name = comparison.baseline
    option_name = next(n for n in comparison.names if n != base_name)
    by_year = comparison.effects_by_year()
    costs = list(cost_kpis())
    by_year = by_year[(by_year["scenario"] == option_name) & by_year["kpi"].isin(costs)]
    catalogue = Catalogue()
    rows = []
    for period in sorted(by_year["period"].unique()):
        part = by_year[by_year["period"] == period].set_index("kpi")
        for name in costs:
            if name not in part.index:
                continue
            e = part.loc[name]
            if not math.isfinite(_f(e["baseline_mean"])):
                continue  # no cost model
            kpi = catalogue[name]
            rows.append(
                CostRow(
                    period=str(period),
                    kpi=name,
                    label=kpi.label,
                    baseline=formatting.value(kpi, _f(e["baseline_mean"])),
                    option=formatting.value(kpi, _f(e["scenario_mean"])),
                    difference=formatting.difference(kpi, _f(e["difference"])),
                    difference_ci=formatting.interval(
                        kpi, _f(e["ci_low"]), _f(e["ci_high"]), of_difference=True
                    ),
                )
            )
    return rows


@dataclass(frozen=True)
class PublishedRow:
    """One published figure of the authority beside the baseline's first simulated year."""

    kpi: str
    label: str
    published: str
    modelled: str
    modelled_ci: str
    #: the modelled value against the published one: "+4.1%" (or points, for a percentage)
    gap: str
    published_value: float
    modelled_value: float


def published_rows(comparison: Comparison, targets: Targets, year: int) -> list[PublishedRow]:
    """The authority's published figures for the year to 31 March ``year`` beside the baseline's first
    reported financial year (mean and 95% interval over replications); figures not published are left
    out. A profile is built so that a steady authority stays steady, so the two should be close."""
    base = comparison.results[comparison.baseline]
    summary = base.summary("financial_year")
    periods = sorted(summary["period"].unique())
    if not periods:
        return []
    first = summary[summary["period"] == periods[0]].set_index("kpi")
    catalogue = Catalogue(base.kpi_definitions)
    rows = []
    for m in MEASURES:
        published = targets.get(m.name, year)
        if not math.isfinite(published) or m.kpi not in first.index:
            continue
        kpi = catalogue[m.kpi]
        row = first.loc[m.kpi]
        modelled = _f(row["mean"])
        if m.pct:
            gap = formatting.difference(kpi, modelled - published)
        elif published > 0 and math.isfinite(modelled):
            gap = _signed_pct(100 * (modelled / published - 1))
        else:
            gap = formatting.NOT_AVAILABLE
        rows.append(
            PublishedRow(
                kpi=m.kpi,
                label=m.label,
                published=formatting.value(kpi, published),
                modelled=formatting.value(kpi, modelled),
                modelled_ci=formatting.interval(kpi, _f(row["ci_low"]), _f(row["ci_high"])),
                gap=gap,
                published_value=published,
                modelled_value=modelled,
            )
        )
    return rows


def _signed_pct(x: float) -> str:
    body = f"{abs(x):,.1f}%"
    if round(x, 1) == 0:
        return body
    return ("+" if x > 0 else formatting.MINUS) + body
