"""caseflow: how children's cases flow through an English local authority's children's social care.

>>> import caseflow
>>> scenario = caseflow.load_scenario("scenarios/baseline.toml")  # doctest: +SKIP
>>> results = caseflow.run(scenario, years=5, replications=10, seed=1)  # doctest: +SKIP
>>> results.headline().loc["assessment_within_45wd_pct"]  # doctest: +SKIP
"""

from caseflow.experiment import (
    Comparison,
    Results,
    compare,
    replications_for,
    replications_needed,
    run,
    sweep,
)
from caseflow.metrics import KPIS, compute_kpis
from caseflow.replication import simulate
from caseflow.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = [
    "KPIS",
    "Comparison",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "compute_kpis",
    "load_scenario",
    "replications_for",
    "replications_needed",
    "run",
    "simulate",
    "sweep",
]
