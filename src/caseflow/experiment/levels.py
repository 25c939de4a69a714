"""Runs of one scenario with one numeric field (a *lever*) set to several values, on common random numbers.

Target searches and frontiers ask for replications of the same scenario at many values of one field,
a few replications at a time. :class:`LeverRuns` runs them (with any executor, reusing a ``store``),
keeps every replication's KPI table by value, and counts what it ran. Replication *r* of every value uses
the same random streams, so values differ by the lever's effect, not by noise. The starting value runs
the scenario itself, unchanged.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.results import Results
from caseflow.experiment.runner import Job, assemble, execute
from caseflow.scenario.loader import describe_field
from caseflow.scenario.schema import Scenario

__all__ = ["LeverRuns", "lever_label", "lever_value", "per_replication"]


def lever_value(scenario: Scenario, lever: str) -> float:
    """The current value of the numeric scenario field at dotted path ``lever``.

    Raises ``ValueError`` naming the field when the path is not in the scenario or is not a number.
    """
    node: Any = scenario.model_dump()
    walked: list[str] = []
    for part in lever.split("."):
        walked.append(part)
        if not isinstance(node, dict) or part not in node:
            here = ".".join(walked[:-1]) or "the scenario"
            options = ", ".join(sorted(node)) if isinstance(node, dict) else "nothing: it is a value"
            raise ValueError(f"lever {lever!r}: {here} has no field {part!r} (it has {options})")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise ValueError(f"lever {lever!r} is not a number (it is {node!r}); a lever must be a numeric field")
    return float(node)


def lever_label(lever: str) -> str:
    """Plain words for a lever: its schema description, with the team it belongs to."""
    parts = lever.split(".")
    words = describe_field(lever) or parts[-1].replace("_", " ")
    if words in _GENERIC:  # a type's description ("pounds"): say which value it is
        words = f"{parts[-1].replace('_', ' ')}, {words}"
    if len(parts) >= 4 and parts[:2] == ["workforce", "teams"]:
        return f"{parts[2].replace('_', ' ')} team: {words}"
    return words


#: Descriptions that belong to a value's type rather than to the value.
_GENERIC = frozenset({"pounds", "hours of a social worker's time"})


class LeverRuns:
    """Replications of ``base`` with ``lever`` set to each value asked for (see the module)."""

    def __init__(
        self,
        base: Scenario,
        lever: str,
        *,
        years: int | None = None,
        seed: int = 0,
        executor: ExecutorSpec = "processes",
        workers: int | None = None,
        store: str | Path | None = None,
        progress: bool = False,
    ) -> None:
        self.base = base
        self.lever = lever
        self.start = lever_value(base, lever)
        self.years = years
        self.seed = seed
        self.executor = executor
        self.workers = workers
        self.store = store
        self.progress = progress
        self.started = time.time()
        #: replications run (or reused from the store)
        self.replications = 0
        self._frames: dict[float, list[pd.DataFrame]] = {}

    def variant(self, value: float) -> Scenario:
        """The scenario with the lever at ``value`` (the base itself at its own value)."""
        if value == self.start:
            return self.base
        return self.base.with_overrides({self.lever: value}, name=f"{self.base.name}[{self.lever}={value:g}]")

    def run(self, value: float, reps: range) -> Results:
        """Run replications ``reps`` at ``value``; their results (all KPIs, months and years)."""
        variant = self.variant(value)
        jobs = [Job(variant, self.seed, r, self.years) for r in reps]
        frames = execute(
            jobs, executor=self.executor, workers=self.workers, progress=self.progress, store=self.store
        )
        self.replications += len(jobs)
        self._frames.setdefault(value, []).extend(f[0] for f in frames)
        return assemble(variant, frames, self.seed, self.years, self.started)

    def have(self, value: float) -> int:
        """Replications already run at ``value``."""
        return len(self._frames.get(value, []))

    def results(self, value: float, replications: int | None = None) -> Results:
        """Every replication run at ``value`` so far (running the first ``replications`` if missing)."""
        if replications is not None and self.have(value) < replications:
            self.run(value, range(self.have(value), replications))
        frames = [(f, None) for f in self._frames.get(value, [])]
        if not frames:
            raise KeyError(f"nothing run at {self.lever} = {value:g}")
        return assemble(self.variant(value), frames, self.seed, self.years, self.started)

    @property
    def values(self) -> list[float]:
        """The values run, in order."""
        return sorted(self._frames)


def per_replication(results: Results, kpis: list[str], reps: range) -> dict[str, list[float]]:
    """Each of ``kpis`` averaged over the reported financial years, one value per replication in ``reps``
    (NaN where a replication has none)."""
    means = results.per_replication_mean()
    wide = means.pivot_table(index="replication", columns="kpi", values="value", dropna=False)
    wide.index = wide.index.astype(int)
    wide = wide.reindex(list(reps))
    return {k: wide[k].tolist() if k in wide else [float("nan")] * len(reps) for k in kpis}
