"""KPIs: the catalogue that defines each one once (:mod:`caseflow.metrics.catalogue`) and their
computation from a replication's records (:mod:`caseflow.metrics.compute`, DESIGN §6).

KPI names are a stable contract: add freely, rename none.
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from caseflow.metrics.compute import compute_kpis


def __getattr__(name: str) -> Any:
    """``compute_kpis`` is imported when first asked for: it needs pandas and the model's records, and the
    catalogue alone (labels, units, definitions) is read by commands that need neither, such as
    ``caseflow validate`` checking a briefing's KPI names."""
    if name == "compute_kpis":
        from caseflow.metrics.compute import compute_kpis

        return compute_kpis
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
