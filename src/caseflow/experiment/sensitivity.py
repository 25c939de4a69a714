"""Which assumptions move the answers? Global sensitivity of the KPIs to the values no publication gives.

The scenario's provenance marks each value with how it was obtained (``[provenance.sources]``,
docs/scenarios.md); those marked ``assumption`` (the [U] values of DESIGN) are what a reader has to
take on trust. :func:`assumptions` lists the numeric ones that can be moved on their own (the
probabilities of one branch must move together, so they are left out), each with a range: ``spread``
either side of its value (25% by default), narrowed where the scenario would not accept it.

:func:`sensitivity` then screens them with a global method from SALib (Herman and Usher, 2017):

- ``"morris"`` (default): elementary effects along ``trajectories`` random one-at-a-time paths
  through the ranges (Morris 1991; Campolongo, Cariboni and Saltelli 2007). ``mu_star``, the mean
  absolute effect, is in the KPI's own units: about how far the KPI moves when the assumption goes
  from the low to the high end of its range. ``sigma`` large against ``mu_star`` means the effect
  depends on the other assumptions (interactions or non-linearity). Costs ``trajectories × (k + 1)``
  runs for ``k`` assumptions.
- ``"sobol"``: first-order and total variance-based indices (Saltelli 2002), as shares of the KPI's
  variance over the ranges. Costs ``N × (k + 2)`` runs; use it on the few assumptions Morris leaves.

Every run uses the same seed and replication numbers (common random numbers), so differences between
runs come from the assumptions, not from the random streams; with ``replications`` above 1 each
run's KPI is the mean of that many replications, which damps what noise remains.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.levels import lever_label
from caseflow.experiment.runner import Job, _check, as_scenario, assemble, execute, refuse_early
from caseflow.metrics.names import check_names, reported_by
from caseflow.model.budget import Budget
from caseflow.scenario.loader import ScenarioError
from caseflow.scenario.schema import Scenario

__all__ = ["DEFAULT_KPIS", "Assumption", "Sensitivity", "assumptions", "sensitivity"]

#: KPIs screened unless others are asked for: timeliness, caseloads, unallocated work, stocks and cost.
DEFAULT_KPIS = (
    "assessment_within_45wd_pct",
    "icpc_within_15wd_pct",
    "cp_visits_on_time_pct",
    "caseload_mean",
    "unallocated_cases_mean",
    "cp_per_10k_end",
    "cla_per_10k_end",
    "cost_total",
)

#: Sections whose values are run settings, not assumptions about the authority.
_NOT_ASSUMPTIONS = ("run", "changes", "provenance")


@dataclass(frozen=True)
class Assumption:
    """One value no publication gives, and the range it is screened over."""

    field: str
    value: float
    low: float
    high: float
    note: str = ""
    #: other fields that move in proportion with this one (``(field, value)``): a team's hard cap with
    #: its soft cap, so that the soft cap never passes the hard one
    linked: tuple[tuple[str, float], ...] = ()

    @property
    def label(self) -> str:
        return lever_label(self.field)

    def overrides(self, x: float) -> dict[str, float]:
        """The scenario fields for this assumption at ``x``."""
        out = {self.field: float(x)}
        for other, value in self.linked:
            out[other] = float(x) * (value / self.value)  # a ratio of exactly 1 keeps them equal
        return out


def _numeric_leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numeric_leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield prefix, float(node)


def _accepted(scenario: Scenario, changes: dict[str, float]) -> bool:
    try:
        scenario.with_overrides(changes)
    except ScenarioError:
        return False
    return True


def _end(
    scenario: Scenario, path: str, value: float, far: float, linked: tuple[tuple[str, float], ...] = ()
) -> float | None:
    """``far``, or the nearest point towards ``value`` (up to 1/16 of the way) the scenario accepts."""
    for _ in range(5):
        probe = Assumption(path, value, far, far, linked=linked)
        if _accepted(scenario, probe.overrides(far)):
            return far
        far = (value + far) / 2
    return None


def assumptions(
    scenario: Scenario | str | Path, *, spread: float = 0.25, fields: Sequence[str] | None = None
) -> list[Assumption]:
    """The numeric values marked ``assumption`` in the scenario's provenance that can move on their own,
    each with its range (``spread`` either side, narrowed to what the scenario accepts).

    ``fields``: screen these dotted paths instead (any numeric field, marked or not). A value of 0 has
    no relative range and is left out.
    """
    base = as_scenario(scenario)
    if not (0 < spread < 1):
        raise ValueError(f"spread must be between 0 and 1 (0.25 is ±25%), got {spread}")
    data = base.model_dump(exclude=set(_NOT_ASSUMPTIONS))
    leaves = dict(_numeric_leaves(data))
    if fields is not None:
        unknown = [f for f in fields if f not in leaves]
        if unknown:
            raise ValueError(f"not numeric scenario fields: {', '.join(unknown)}")
        chosen = [(f, leaves[f]) for f in fields]
    else:
        chosen = []
        for path, value in leaves.items():
            source = base.source_of(path)
            if source is not None and source.method == "assumption":
                chosen.append((path, value))
    values = dict(chosen)
    linked: dict[str, tuple[tuple[str, float], ...]] = {}
    for path in list(values):
        if path.endswith(".soft_cap") and (hard := path.removesuffix("soft_cap") + "hard_cap") in values:
            linked[path] = ((hard, values.pop(hard)),)  # the caps move together
    out = []
    for path, value in values.items():
        if value == 0 or not math.isfinite(value):
            continue
        low, high = (
            _end(base, path, value, far, linked.get(path, ()))
            for far in (value * (1 - spread), value * (1 + spread))
        )
        if low is None or high is None or low == high:
            continue  # cannot move on its own (a branch's probabilities move together)
        source = base.source_of(path)
        note = (source.note or "") if source else ""
        out.append(Assumption(path, value, min(low, high), max(low, high), note, linked.get(path, ())))
    return out


@dataclass
class Sensitivity:
    """Sensitivity indices of each KPI to each assumption (see :func:`sensitivity`)."""

    scenario: Scenario
    method: str
    parameters: tuple[Assumption, ...]
    #: one row per KPI and assumption; Morris: ``mu_star, mu_star_conf, mu, sigma``; Sobol: ``S1,
    #: S1_conf, ST, ST_conf``; both: ``kpi, field, label, low, value, high``
    indices: pd.DataFrame
    #: one row per run: the assumptions' values and each KPI
    runs: pd.DataFrame
    years: int
    seed: int
    replications: int
    wall_seconds: float = 0.0
    kpis: tuple[str, ...] = field(default_factory=tuple)

    @property
    def measure(self) -> str:
        """The index that ranks assumptions: ``mu_star`` (Morris) or ``ST`` (Sobol)."""
        return "mu_star" if self.method == "morris" else "ST"

    def ranking(self, kpi: str, top: int | None = None) -> pd.DataFrame:
        """The assumptions that move ``kpi`` most, largest first."""
        rows = self.indices[self.indices["kpi"] == kpi].sort_values(self.measure, ascending=False)
        return rows if top is None else rows.head(top)

    def to_json_dict(self) -> dict[str, Any]:
        def num(x: Any) -> Any:
            return None if isinstance(x, float) and not math.isfinite(x) else x

        return {
            "scenario": self.scenario.name,
            "method": self.method,
            "parameters": [
                {"field": p.field, "value": p.value, "low": p.low, "high": p.high} for p in self.parameters
            ],
            "indices": [{k: num(v) for k, v in r.items()} for r in self.indices.to_dict(orient="records")],
            "runs": len(self.runs),
            "replications_per_run": self.replications,
            "years": self.years,
            "seed": self.seed,
            "wall_seconds": round(self.wall_seconds, 3),
        }


def _sample(method: str, problem: dict[str, Any], n: int, levels: int, seed: int) -> np.ndarray:
    if method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, n, num_levels=levels, seed=seed))
    from SALib.sample import sobol

    return np.asarray(sobol.sample(problem, n, calc_second_order=False, seed=seed))


def _analyse(
    method: str, problem: dict[str, Any], x: np.ndarray, y: np.ndarray, levels: int, seed: int
) -> dict[str, Any]:
    if method == "morris":
        from SALib.analyze import morris

        return dict(morris.analyze(problem, x, y, num_levels=levels, seed=seed))
    from SALib.analyze import sobol

    return dict(sobol.analyze(problem, y, calc_second_order=False, seed=seed))


def sensitivity(
    scenario: Scenario | str | Path,
    *,
    method: str = "morris",
    parameters: Sequence[Assumption] | None = None,
    spread: float = 0.25,
    trajectories: int = 10,
    levels: int = 4,
    kpis: Sequence[str] = DEFAULT_KPIS,
    replications: int = 1,
    years: int | None = None,
    seed: int = 0,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    store: str | Path | None = None,
    progress: bool = False,
    budget: Budget | None = None,
) -> Sensitivity:
    """Screen the scenario's assumptions (:func:`assumptions`, or ``parameters``) for their effect on
    ``kpis``, with SALib's Morris method (``trajectories`` paths on a ``levels``-level grid) or Sobol
    indices (``method="sobol"``: ``trajectories`` is then the base sample size N, a power of two).

    Each run is ``replications`` replications on common random numbers, each KPI averaged over the
    reported years and then over the replications. ``budget``: what each replication may cost, as for
    :func:`caseflow.run`; every run is checked before the first starts. Needs the ``sensitivity``
    extra (SALib).
    """
    started = time.time()
    base = as_scenario(scenario)
    _check(replications, seed, years)
    if method not in ("morris", "sobol"):
        raise ValueError(f"method must be 'morris' or 'sobol', got {method!r}")
    if trajectories < 2:
        raise ValueError("trajectories must be at least 2")
    chosen_kpis = list(dict.fromkeys(kpis))
    check_names(chosen_kpis, reported_by(base), what="kpis")
    params = tuple(parameters) if parameters is not None else tuple(assumptions(base, spread=spread))
    if len(params) < 2:
        raise ValueError("screening needs at least two assumptions to move")
    try:
        import SALib  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "caseflow sensitivity needs SALib: pip install -e '.[sensitivity]' from the caseflow clone"
        ) from None
    problem = {
        "num_vars": len(params),
        "names": [p.field for p in params],
        "bounds": [[p.low, p.high] for p in params],
    }
    x = _sample(method, problem, trajectories, levels, seed)
    variants = []
    for i, row in enumerate(x):
        changes: dict[str, float] = {}
        for p, v in zip(params, row, strict=True):
            changes |= p.overrides(v)
        try:
            variants.append(base.with_overrides(changes, name=f"{base.name}[{i}]"))
        except ScenarioError as exc:  # before any run: assumptions that are valid alone but not together
            raise ValueError(
                f"run {i} of the screening sets assumptions the scenario does not accept together; "
                f"leave one of the fields named below out (--fields), or narrow the spread: {exc}"
            ) from None
    refuse_early(variants, years, budget)
    jobs = [Job(v, seed, r, years, budget=budget) for v in variants for r in range(replications)]
    frames = execute(jobs, executor=executor, workers=workers, progress=progress, store=store)
    table = np.full((len(variants), len(chosen_kpis)), np.nan)
    for i, variant in enumerate(variants):
        res = assemble(variant, frames[i * replications : (i + 1) * replications], seed, years, started)
        means = res.per_replication_mean().groupby("kpi")["value"].mean()
        table[i] = [float(means.get(k, np.nan)) for k in chosen_kpis]
    rows = []
    for j, kpi in enumerate(chosen_kpis):
        y = table[:, j]
        if not np.isfinite(y).all():
            continue  # a KPI undefined in some run (no cost model, no events) cannot be screened
        result = _analyse(method, problem, x, y, levels, seed)
        keys = (
            ("mu_star", "mu_star_conf", "mu", "sigma")
            if method == "morris"
            else ("S1", "S1_conf", "ST", "ST_conf")
        )
        for i, p in enumerate(params):
            rows.append(
                {
                    "kpi": kpi,
                    "field": p.field,
                    "label": p.label,
                    "low": p.low,
                    "value": p.value,
                    "high": p.high,
                }
                | {key: float(result[key][i]) for key in keys}
            )
    runs = pd.DataFrame(x, columns=[p.field for p in params])
    for j, kpi in enumerate(chosen_kpis):
        runs[kpi] = table[:, j]
    return Sensitivity(
        scenario=base,
        method=method,
        parameters=params,
        indices=pd.DataFrame(rows),
        runs=runs,
        years=years if years is not None else base.run.years,
        seed=seed,
        replications=replications,
        wall_seconds=time.time() - started,
        kpis=tuple(chosen_kpis),
    )
