"""Results of an experiment: tidy KPI frames, summaries with confidence intervals, provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from caseflow.experiment.stats import summarise
from caseflow.metrics.catalogue import KPI, Catalogue, cost_kpis
from caseflow.scenario.schema import Scenario

__all__ = ["Results"]


@dataclass
class Results:
    """What :func:`caseflow.run` returns.

    ``kpis`` is the tidy table of every KPI for every replication and period (financial years and
    months, with warm-up periods flagged); see :func:`caseflow.metrics.compute_kpis` for its columns.
    ``kpi_definitions`` are the definitions of any KPIs computed beyond the built-in catalogue (a
    user's own :class:`~caseflow.metrics.KPI` objects), so that tables and charts show their labels,
    units and bounds.
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
    kpi_definitions: tuple[KPI, ...] = ()

    def catalogue(self) -> Catalogue:
        """The definitions of this run's KPIs: the built-in catalogue plus :attr:`kpi_definitions`."""
        return Catalogue(self.kpi_definitions)

    def reported(self, period_type: str = "financial_year") -> pd.DataFrame:
        """KPI rows of ``period_type`` after the warm-up."""
        k = self.kpis
        return k[(k["period_type"] == period_type) & ~k["warmup"]]

    def summary(self, period_type: str = "financial_year", level: float = 0.95) -> pd.DataFrame:
        """Mean and CI over replications, per period and KPI (warm-up excluded).

        Each KPI's interval respects its bounds (:func:`caseflow.experiment.stats.bounded_interval`).
        """
        return summarise(self.reported(period_type), ["period", "kpi"], level, self.catalogue().bounds)

    def quarterly(self, kpis: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Additive KPIs (counts and £) summed into financial-year quarters, with bounded CIs.

        Quarters are labelled like ``"2026-27 Q1"`` (April–June). ``kpis`` defaults to the cost KPIs.
        Columns: ``period``, ``kpi``, ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n``.
        """
        from caseflow.calendar import quarter_label

        wanted = list(cost_kpis()) if kpis is None else kpis
        months = self.reported("month")
        months = months[months["kpi"].isin(wanted)]
        quarters = months.assign(period=[quarter_label(str(m))[1] for m in months["period"]])
        per_rep = quarters.groupby(["replication", "period", "kpi"], sort=False)["value"].sum(min_count=1)
        return summarise(per_rep.reset_index(), ["period", "kpi"], level, self.catalogue().bounds)

    def per_replication_mean(self) -> pd.DataFrame:
        """Each KPI averaged over the reported financial years, one row per replication and KPI."""
        fy = self.reported("financial_year")
        return fy.groupby(["replication", "kpi"], sort=False)["value"].mean().reset_index()

    def headline(self, level: float = 0.95) -> pd.DataFrame:
        """Each KPI averaged over the reported financial years, then CI over replications (bounded)."""
        per_rep = self.per_replication_mean()
        return summarise(per_rep, ["kpi"], level, self.catalogue().bounds).set_index("kpi")

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
