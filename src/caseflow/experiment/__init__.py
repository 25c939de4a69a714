"""Experiments: replications, comparisons under common random numbers, sweeps, executors."""

from caseflow.experiment.compare import INTERVAL_CUT_NOTE, Comparison, compare
from caseflow.experiment.replications import precision, replications_for, replications_needed
from caseflow.experiment.results import Results
from caseflow.experiment.runner import Job, run, run_replication
from caseflow.experiment.stats import t_interval
from caseflow.experiment.sweep import grid_points, sweep
from caseflow.experiment.target import Target, TargetResult, find_target

__all__ = [
    "INTERVAL_CUT_NOTE",
    "Comparison",
    "Job",
    "Results",
    "Target",
    "TargetResult",
    "compare",
    "find_target",
    "grid_points",
    "precision",
    "replications_for",
    "replications_needed",
    "run",
    "run_replication",
    "sweep",
    "t_interval",
]
