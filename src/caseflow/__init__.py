"""caseflow: how children's cases flow through an English local authority's children's social care.

>>> import caseflow
>>> scenario = caseflow.load_scenario("scenarios/baseline.toml")  # doctest: +SKIP
>>> results = caseflow.run(scenario, years=5, replications=10, seed=1)  # doctest: +SKIP
>>> results.headline().loc["assessment_within_45wd_pct"]  # doctest: +SKIP

The names below are imported when first used (PEP 562), so ``import caseflow`` and the layers below
the model (``caseflow.scenario``) load quickly and do not pull in the model, pandas or the charts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caseflow.experiment import (
        Comparison,
        Results,
        Target,
        compare,
        find_target,
        replications_for,
        replications_needed,
        run,
        sweep,
    )
    from caseflow.metrics import KPIS, compute_kpis
    from caseflow.model.budget import Budget, BudgetError, BudgetExceededError, RunRefusedError
    from caseflow.replication import simulate
    from caseflow.scenario import Scenario, ScenarioError, load_scenario

from caseflow.about import DISTRIBUTION

__version__ = "0.1.0"

#: Where each public name lives.
_HOME = {
    "Comparison": "caseflow.experiment",
    "Results": "caseflow.experiment",
    "Target": "caseflow.experiment",
    "compare": "caseflow.experiment",
    "find_target": "caseflow.experiment",
    "replications_for": "caseflow.experiment",
    "replications_needed": "caseflow.experiment",
    "run": "caseflow.experiment",
    "sweep": "caseflow.experiment",
    "Budget": "caseflow.model.budget",
    "BudgetError": "caseflow.model.budget",
    "BudgetExceededError": "caseflow.model.budget",
    "RunRefusedError": "caseflow.model.budget",
    "KPIS": "caseflow.metrics",
    "compute_kpis": "caseflow.metrics",
    "simulate": "caseflow.replication",
    "Scenario": "caseflow.scenario",
    "ScenarioError": "caseflow.scenario",
    "load_scenario": "caseflow.scenario",
}

__all__ = [
    "DISTRIBUTION",
    "KPIS",
    "Budget",
    "BudgetError",
    "BudgetExceededError",
    "Comparison",
    "Results",
    "RunRefusedError",
    "Scenario",
    "ScenarioError",
    "Target",
    "__version__",
    "compare",
    "compute_kpis",
    "find_target",
    "load_scenario",
    "replications_for",
    "replications_needed",
    "run",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'caseflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
