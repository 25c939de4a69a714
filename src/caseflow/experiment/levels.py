"""Levers, and runs of one scenario with a lever set to several values, on common random numbers.

A *lever* is one number that changes a scenario (:class:`Lever`): any numeric field, by its dotted path
(:class:`FieldLever`, what a plain string means), or money for a team (:class:`BudgetLever`,
``"budget:<team>"``: pounds a year more, turned into establishment at the scenario's pay rates). Pass
your own object with the same four members for any other.

Target searches and frontiers ask for replications of the same scenario at many values of one field,
a few replications at a time. :class:`LeverRuns` runs them (with any executor, reusing a ``store``),
keeps every replication's KPI table by value, and counts what it ran. Replication *r* of every value uses
the same random streams, so values differ by the lever's effect, not by noise. The starting value runs
the scenario itself, unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from caseflow.costs import annual_cost_per_fte
from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.results import Results
from caseflow.experiment.runner import Job, assemble, execute, refuse_early
from caseflow.model.budget import Budget
from caseflow.scenario.loader import describe_field
from caseflow.scenario.schema import Scenario

__all__ = [
    "BudgetLever",
    "FieldLever",
    "Lever",
    "LeverRuns",
    "as_lever",
    "lever_label",
    "lever_value",
    "per_replication",
]


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


class Lever(Protocol):
    """One number that changes a scenario."""

    @property
    def name(self) -> str:
        """What it is called in results and JSON (a field's dotted path, ``budget:<team>``)."""
        ...

    @property
    def label(self) -> str:
        """Plain words for a reader."""
        ...

    def current(self, scenario: Scenario) -> float:
        """Its value in ``scenario`` (``ValueError`` if the scenario has no such lever)."""
        ...

    def apply(self, scenario: Scenario, value: float) -> Scenario:
        """``scenario`` with the lever at ``value`` (``ScenarioError`` if the scenario refuses it)."""
        ...


@dataclass(frozen=True)
class FieldLever:
    """A numeric scenario field, by its dotted path."""

    path: str

    @property
    def name(self) -> str:
        return self.path

    @property
    def label(self) -> str:
        return lever_label(self.path)

    def current(self, scenario: Scenario) -> float:
        return lever_value(scenario, self.path)

    def apply(self, scenario: Scenario, value: float) -> Scenario:
        return scenario.with_overrides({self.path: value}, name=f"{scenario.name}[{self.path}={value:g}]")


@dataclass(frozen=True)
class BudgetLever:
    """Pounds a year more for ``team``'s permanent social workers, as establishment at the scenario's pay
    rates (:func:`caseflow.costs.annual_cost_per_fte`); 0 is the scenario as it stands."""

    team: str

    @property
    def name(self) -> str:
        return f"budget:{self.team}"

    @property
    def label(self) -> str:
        return f"{self.team.replace('_', ' ')} team: pounds a year more for permanent social workers"

    def current(self, scenario: Scenario) -> float:
        self.fte(scenario, 0.0)  # checks the team and the pay rates
        return 0.0

    def fte(self, scenario: Scenario, pounds: float) -> float:
        """The FTE ``pounds`` a year buys in this team."""
        if scenario.workforce is None or self.team not in scenario.workforce.teams:
            raise ValueError(f"lever {self.name!r}: {scenario.name} has no team {self.team!r}")
        return pounds / annual_cost_per_fte(scenario, team=self.team)

    def apply(self, scenario: Scenario, value: float) -> Scenario:
        assert scenario.workforce is not None
        now = scenario.workforce.teams[self.team].establishment
        path = f"workforce.teams.{self.team}.establishment"
        return scenario.with_overrides(
            {path: now + self.fte(scenario, value)}, name=f"{scenario.name}[{self.name}={value:,.0f}]"
        )

    def default_range(self, scenario: Scenario) -> tuple[float, float]:
        """From nothing to what doubling the team's establishment would cost."""
        assert scenario.workforce is not None
        return 0.0, scenario.workforce.teams[self.team].establishment * annual_cost_per_fte(
            scenario, team=self.team
        )


def as_lever(lever: str | Lever) -> Lever:
    """A lever from its name: ``"budget:<team>"`` or a field's dotted path; a :class:`Lever` as it is."""
    if not isinstance(lever, str):
        return lever
    if lever.startswith("budget:"):
        return BudgetLever(lever.removeprefix("budget:"))
    return FieldLever(lever)


#: Descriptions that belong to a value's type rather than to the value.
_GENERIC = frozenset({"pounds", "hours of a social worker's time"})


class LeverRuns:
    """Replications of ``base`` with ``lever`` set to each value asked for (see the module)."""

    def __init__(
        self,
        base: Scenario,
        lever: str | Lever,
        *,
        years: int | None = None,
        seed: int = 0,
        executor: ExecutorSpec = "processes",
        workers: int | None = None,
        store: str | Path | None = None,
        progress: bool = False,
        budget: Budget | None = None,
    ) -> None:
        self.base = base
        self.lever = as_lever(lever)
        self.start = self.lever.current(base)
        self.years = years
        self.seed = seed
        self.executor = executor
        self.workers = workers
        self.store = store
        self.progress = progress
        #: what each replication may cost (:class:`caseflow.Budget`); each level is checked before it runs
        self.budget = budget
        self.started = time.time()
        #: replications run (or reused from the store)
        self.replications = 0
        self._frames: dict[float, list[pd.DataFrame]] = {}

    def variant(self, value: float) -> Scenario:
        """The scenario with the lever at ``value`` (the base itself at its own value)."""
        if value == self.start:
            return self.base
        return self.lever.apply(self.base, value)

    def run(self, value: float, reps: range) -> Results:
        """Run replications ``reps`` at ``value``; their results (all KPIs, months and years)."""
        variant = self.variant(value)
        if value not in self._frames:  # a level's first replications: refuse one over budget at once
            refuse_early([variant], self.years, self.budget)
        jobs = [Job(variant, self.seed, r, self.years, budget=self.budget) for r in reps]
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
            raise KeyError(f"nothing run at {self.lever.name} = {value:g}")
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
