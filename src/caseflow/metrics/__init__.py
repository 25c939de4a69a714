"""KPIs: the catalogue that defines each one once (:mod:`caseflow.metrics.catalogue`) and their
computation from a replication's records (:mod:`caseflow.metrics.compute`, DESIGN §6).

KPI names are a stable contract: add freely, rename none.
"""

from caseflow.metrics.catalogue import (
    KPI,
    KPIS,
    SECTIONS,
    Benchmark,
    Catalogue,
    Display,
    cost_kpis,
    describe,
    headline_kpis,
    kpi_names,
    source_kpi,
    team_kpi,
)
from caseflow.metrics.compute import compute_kpis

__all__ = [
    "KPI",
    "KPIS",
    "SECTIONS",
    "Benchmark",
    "Catalogue",
    "Display",
    "compute_kpis",
    "cost_kpis",
    "describe",
    "headline_kpis",
    "kpi_names",
    "source_kpi",
    "team_kpi",
]
