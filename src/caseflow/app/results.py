"""What the page shows of a finished comparison, as rows of words and formatted numbers.

Pure data (no web framework): :func:`headline_rows` gives, for each headline measure, the baseline and
the option with their 95% confidence intervals, the paired difference with its interval, and whether
the difference is clear of chance; :func:`cost_rows` gives the costs by financial year. The page and
the tests read the same rows.

Every difference's interval goes through :func:`difference_interval`, the one rule for what the page
shows of it: cut to what the measure can be (:func:`caseflow.experiment.stats.feasible_difference`),
and, when it is wider than is useful, said so in words (:data:`TOO_FEW`) instead of "within chance".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.app import formatting
from caseflow.calibrate.targets import MEASURES, Targets
from caseflow.experiment.compare import Comparison
from caseflow.experiment.stats import feasible_difference
from caseflow.metrics.catalogue import KPI, Catalogue, cost_kpis

__all__ = [
    "HEADLINE_KPIS",
    "TOO_FEW",
    "USEFUL_HALF_WIDTH",
    "CostRow",
    "DifferenceInterval",
    "HeadlineRow",
    "PublishedRow",
    "cost_rows",
    "difference_interval",
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
    #: what :func:`difference_interval` says of the difference
    verdict: str
    #: the raw numbers, for tests and charts (the difference's interval as shown: cut to what is possible)
    baseline_mean: float
    option_mean: float
    difference_mean: float
    difference_low: float
    difference_high: float


def _f(x: Any) -> float:
    return float(x)


#: Too few replications to tell: the words the page gives a difference whose interval is wider than is
#: useful (see :func:`difference_interval`).
TOO_FEW = "too few replications to tell: run more"

#: An interval of a difference that holds zero is wider than is useful when it spreads more than this
#: share of the measure's scale either side of its middle: 25 points for a percentage (its scale is
#: its range, 0–100), a quarter of the baseline for a count, a rate, a duration or money. Our
#: judgement, not a published standard: such an interval cannot tell a change worth acting on from
#: none, whichever way it went.
USEFUL_HALF_WIDTH = 0.25


@dataclass(frozen=True)
class DifferenceInterval:
    """A difference's 95% interval as the page shows it, and what it says."""

    low: float
    high: float
    #: the t interval reached past what the measure can be and was cut to it
    cut: bool
    #: "clear" (the interval leaves out zero), "within chance" (it holds zero), :data:`TOO_FEW` (it holds
    #: zero and is wider than is useful), "no change" (every replication gave the same value in both),
    #: or "" (no difference to judge)
    verdict: str


def difference_interval(
    kpi: KPI, difference: float, low: float, high: float, baseline: float, *, cut: bool = False
) -> DifferenceInterval:
    """The one rule for showing the interval of a difference (option − baseline) of ``kpi``.

    The interval is cut to what the measure allows given the baseline's mean
    (:func:`~caseflow.experiment.stats.feasible_difference`: a difference of percentages from a
    baseline of 95% lies within −95 and +5 points); ``cut`` says it was cut already
    (:meth:`Comparison.effects <caseflow.experiment.compare.Comparison.effects>` cuts every interval
    and says so in ``ci_cut``). A difference is **clear** when its interval leaves
    out zero. One that holds zero is **within chance**, unless the interval had to be cut or spreads
    more than :data:`USEFUL_HALF_WIDTH` of the measure's scale either side (its range where it has
    both bounds, else the baseline's size): then there are too few replications to tell.

    >>> from caseflow.metrics.catalogue import describe
    >>> difference_interval(describe("assessment_within_45wd_pct"), -52.2, -154.7, 50.4, 95.0)
    DifferenceInterval(low=-95.0, high=5.0, cut=True, verdict='too few replications to tell: run more')
    """
    if not all(math.isfinite(x) for x in (difference, low, high)):
        return DifferenceInterval(low, high, False, "")
    lo, hi, cut_here = feasible_difference(low, high, baseline, *kpi.bounds)
    cut = cut or cut_here
    if difference == 0 and lo == 0 and hi == 0:
        return DifferenceInterval(lo, hi, cut, "no change")
    if lo > 0 or hi < 0:
        return DifferenceInterval(lo, hi, cut, "clear")
    lower, upper = kpi.bounds
    if lower is not None and upper is not None:
        scale = upper - lower
    else:
        scale = abs(baseline) if math.isfinite(baseline) else math.nan
    too_wide = math.isfinite(scale) and scale > 0 and (hi - lo) / 2 > USEFUL_HALF_WIDTH * scale
    return DifferenceInterval(lo, hi, cut, TOO_FEW if cut or too_wide else "within chance")


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
        d = _f(e["difference"])
        shown = difference_interval(
            kpi, d, _f(e["ci_low"]), _f(e["ci_high"]), _f(b["mean"]), cut=bool(e["ci_cut"])
        )
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
                difference_ci=formatting.interval(kpi, shown.low, shown.high, of_difference=True),
                verdict=shown.verdict,
                baseline_mean=_f(b["mean"]),
                option_mean=_f(o["mean"]),
                difference_mean=d,
                difference_low=shown.low,
                difference_high=shown.high,
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
    #: what :func:`difference_interval` says of the difference
    verdict: str


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
            d = _f(e["difference"])
            shown = difference_interval(
                kpi, d, _f(e["ci_low"]), _f(e["ci_high"]), _f(e["baseline_mean"]), cut=bool(e["ci_cut"])
            )
            rows.append(
                CostRow(
                    period=str(period),
                    kpi=name,
                    label=kpi.label,
                    baseline=formatting.value(kpi, _f(e["baseline_mean"])),
                    option=formatting.value(kpi, _f(e["scenario_mean"])),
                    difference=formatting.difference(kpi, d),
                    difference_ci=formatting.interval(kpi, shown.low, shown.high, of_difference=True),
                    verdict=shown.verdict,
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
