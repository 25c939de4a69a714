"""Computing KPIs from a replication's records (DESIGN §6); the KPIs are defined in
:mod:`caseflow.metrics.catalogue`.

Counts are of **children**, as DfE counts them; rates are per 10,000 children aged 0–17; stocks are
taken at the end of the period ("at 31 March" for a financial year). Percentages and medians are over
the events completed in the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from caseflow.metrics.catalogue import KPI, KPIS, dynamic_kpis
from caseflow.model.simulation import ReplicationOutput
from caseflow.records import Recorder

__all__ = ["compute_kpis"]

FloatArray = npt.NDArray[np.float64]


def _cp_2y_flags(rec: Recorder) -> tuple[list[int], list[float]]:
    months, days = rec.tallies.get("cp_ended_duration_days", ([], []))
    return months, [1.0 if d >= 2 * 365.25 else 0.0 for d in days]


class _Tally(NamedTuple):
    """A tally's months and values as arrays, and where each month's values start when the months are
    in order (as recorded: a tally is kept as it happens), so a period's values are a slice."""

    months: npt.NDArray[np.int64]
    values: FloatArray
    starts: npt.NDArray[np.intp] | None

    @classmethod
    def of(cls, months: Sequence[int], values: Sequence[float], n_months: int) -> _Tally:
        m = np.asarray(months, dtype=np.int64)
        v = np.asarray(values, dtype=float)
        ordered = m.size < 2 or bool(np.all(m[1:] >= m[:-1]))
        return cls(m, v, np.searchsorted(m, np.arange(n_months + 1)) if ordered else None)

    def within(self, lo: int, hi: int) -> FloatArray:
        """The values recorded in months ``lo`` to ``hi - 1``, in the order they were recorded."""
        if self.starts is not None:
            return self.values[self.starts[lo] : self.starts[hi]]
        return self.values[(self.months >= lo) & (self.months < hi)]


def _period_value(
    kpi: KPI,
    rec: Recorder,
    months: range,
    population: int,
    tally_cache: dict[str, _Tally],
) -> float:
    lo, hi = months.start, months.stop

    def counter(name: str) -> float:
        c = rec.counts.get(name)
        return float(sum(c[lo:hi])) if c is not None else 0.0

    if kpi.kind == "count":
        return counter(kpi.source)
    if kpi.kind == "money":
        return counter(kpi.source) if kpi.source in rec.counts else float("nan")
    if kpi.kind == "per10k":
        return counter(kpi.source) / population * 1e4
    if kpi.kind in ("stock", "stock_per10k", "stock_mean"):
        stock = rec.stocks.get(kpi.source)
        if stock is None:
            return float("nan")
        if kpi.kind == "stock_mean":
            return float(np.mean(stock[lo:hi]))
        level = float(stock[hi - 1])
        return level if kpi.kind == "stock" else level / population * 1e4
    if kpi.kind == "turnover":
        stock = rec.stocks.get(kpi.denominator)
        if stock is None or not stock[hi - 1]:
            return float("nan")
        return 100.0 * counter(kpi.source) / float(stock[hi - 1])
    if kpi.kind == "ratio":
        den = counter(kpi.denominator)
        return 100.0 * counter(kpi.source) / den if den > 0 else float("nan")
    sel = tally_cache[kpi.source].within(lo, hi)
    if sel.size == 0:
        return float("nan")
    if kpi.kind == "median":
        return float(np.median(sel))
    if kpi.kind == "mean":
        return float(np.mean(sel))
    if kpi.kind == "pct_within":
        return float(100.0 * np.mean(sel <= kpi.threshold))
    if kpi.kind == "pct_flag":
        return float(100.0 * np.mean(sel))
    raise ValueError(f"unknown KPI kind {kpi.kind!r}")


_BUILT_IN = frozenset(k.name for k in KPIS)
_TALLY_KINDS = frozenset({"pct_within", "pct_flag", "median", "mean"})


def compute_kpis(out: ReplicationOutput, kpis: tuple[KPI, ...] = KPIS) -> pd.DataFrame:
    """Tidy KPI table of one replication: one row per (period, KPI).

    Columns: ``replication``, ``period_type`` (``"financial_year"`` or ``"month"``), ``period``
    (``"2026-27"`` or ``"2026-04"``), ``warmup`` (True for periods in the warm-up), ``kpi``, ``value``.
    When ``kpis`` holds the whole built-in catalogue (with or without a user's own), the per-team and
    per-source KPIs the records support are added (:func:`caseflow.metrics.catalogue.dynamic_kpis`); a
    list of one's own KPIs alone gives exactly those.
    """
    rec = out.recorder
    pop = out.scenario.population
    if {k.name for k in kpis} >= _BUILT_IN:  # the catalogue (perhaps with a user's own): its families too
        kpis = kpis + dynamic_kpis(rec.counts, rec.stocks)
    # The tallies the KPIs read, as arrays (converting one is most of the cost: the others are left).
    n = len(out.months)
    cache: dict[str, _Tally] = {}
    for source in {k.source for k in kpis if k.kind in _TALLY_KINDS}:
        if source == "cp_ended_2y_plus":
            cache[source] = _Tally.of(*_cp_2y_flags(rec), n)
        else:
            cache[source] = _Tally.of(*rec.tallies.get(source, ([], [])), n)

    periods: list[tuple[str, str, range, bool]] = []
    for i, label in enumerate(out.months):
        periods.append(("month", label, range(i, i + 1), i < out.warmup_months))
    n_years = len(out.months) // 12
    start_year = out.scenario.run.start_date.year
    for y in range(n_years):
        label = f"{start_year + y}-{(start_year + y + 1) % 100:02d}"
        periods.append(("financial_year", label, range(12 * y, 12 * y + 12), 12 * y < out.warmup_months))

    rows = [
        (out.replication, ptype, label, warm, k.name, _period_value(k, rec, months, pop, cache))
        for ptype, label, months, warm in periods
        for k in kpis
    ]
    return pd.DataFrame(rows, columns=["replication", "period_type", "period", "warmup", "kpi", "value"])
