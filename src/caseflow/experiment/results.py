"""Results of an experiment: tidy KPI frames, summaries with confidence intervals, provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from caseflow.experiment.stats import summarise
from caseflow.scenario.schema import Scenario

__all__ = ["Results"]


@dataclass
class Results:
    """What :func:`caseflow.run` returns.

    ``kpis`` is the tidy table of every KPI for every replication and period (financial years and
    months, with warm-up periods flagged); see :func:`caseflow.metrics.compute_kpis` for its columns.
    """

    scenario: Scenario
    kpis: pd.DataFrame
    seed: int
    replications: int
    years: int
    provenance: dict[str, Any] = field(default_factory=dict)
    #: per-case episode records (one row per child per stage episode; open episodes have no end_day),
    #: when the run was asked for them
    case_records: pd.DataFrame | None = None

    def reported(self, period_type: str = "financial_year") -> pd.DataFrame:
        """KPI rows of ``period_type`` after the warm-up."""
        k = self.kpis
        return k[(k["period_type"] == period_type) & ~k["warmup"]]

    def summary(self, period_type: str = "financial_year", level: float = 0.95) -> pd.DataFrame:
        """Mean and t-based CI over replications, per period and KPI (warm-up excluded)."""
        return summarise(self.reported(period_type), ["period", "kpi"], level)

    def quarterly(self, kpis: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Additive KPIs (counts and £) summed into financial-year quarters, with t-based CIs.

        Quarters are labelled like ``"2026-27 Q1"`` (April–June). ``kpis`` defaults to the cost KPIs.
        Columns: ``period``, ``kpi``, ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n``.
        """
        from caseflow.calendar import quarter_label
        from caseflow.costs import COST_KPIS

        wanted = list(COST_KPIS) if kpis is None else kpis
        months = self.reported("month")
        months = months[months["kpi"].isin(wanted)]
        quarters = months.assign(period=[quarter_label(str(m))[1] for m in months["period"]])
        per_rep = quarters.groupby(["replication", "period", "kpi"], sort=False)["value"].sum(min_count=1)
        return summarise(per_rep.reset_index(), ["period", "kpi"], level)

    def per_replication_mean(self) -> pd.DataFrame:
        """Each KPI averaged over the reported financial years, one row per replication and KPI."""
        fy = self.reported("financial_year")
        return fy.groupby(["replication", "kpi"], sort=False)["value"].mean().reset_index()

    def headline(self, level: float = 0.95) -> pd.DataFrame:
        """Each KPI averaged over the reported financial years, then CI over replications."""
        return summarise(self.per_replication_mean(), ["kpi"], level).set_index("kpi")

    def to_json_dict(self) -> dict[str, Any]:
        """The DESIGN §8 JSON shape: scenario, seed, replications, years, and per-KPI mean and CI."""

        def num(x: float) -> float | None:
            return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

        head = self.headline()
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "years": self.years,
            "kpis": {
                name: {
                    "mean": num(r["mean"]),
                    "ci_low": num(r["ci_low"]),
                    "ci_high": num(r["ci_high"]),
                }
                for name, r in head.iterrows()
            },
            "provenance": self.provenance,
        }
