"""Experiments: replications, executors, confidence intervals."""

from caseflow.experiment.results import Results
from caseflow.experiment.runner import run, run_replication
from caseflow.experiment.stats import t_interval

__all__ = ["Results", "run", "run_replication", "t_interval"]
