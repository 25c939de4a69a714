"""Sweeps: a grid (or list) of scenario overrides, one tidy KPI table with CIs per point.

>>> table = sweep(base, {"workforce.teams.assessment.establishment": [24.0, 30.0, 36.0],
...                      "workforce.teams.assessment.soft_cap": [16.0, 20.0]},
...               replications=10, years=3)  # doctest: +SKIP

Every point runs on the same random streams (common random numbers), so neighbouring points differ by
the effect of the change, not by noise.

With ``store=`` every finished replication is saved as it finishes (:mod:`caseflow.experiment.store`);
a sweep stopped in any way, even killed, and run again with the same arguments and store runs only the
replications that are missing and returns the same table as an uninterrupted sweep.
:func:`sweep_jobs` lists the replications a sweep runs; their keys name its store's files.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.runner import Job, _check, as_scenario, assemble, execute, own_kpis, refuse_early
from caseflow.experiment.stats import summarise
from caseflow.metrics import KPI
from caseflow.model.budget import Budget
from caseflow.scenario.schema import Scenario

__all__ = ["grid_points", "sweep", "sweep_jobs"]


def grid_points(grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Override dictionaries for every point: the Cartesian product of a grid, or a list as given."""
    if isinstance(grid, Mapping):
        keys = list(grid)
        return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]
    return [dict(p) for p in grid]


def sweep_jobs(
    base: Scenario | str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    years: int | None = None,
    replications: int = 10,
    seed: int = 0,
    kpis: Sequence[KPI] | None = None,
    budget: Budget | None = None,
) -> list[Job]:
    """The replications :func:`sweep` runs, point by point, in order (``Job.key()`` names each one's file
    in a store): compare them with ``ReplicationStore(store).keys()`` to see what a resumed sweep will run.
    """
    scenario = as_scenario(base)
    _check(replications, seed, years)
    chosen = own_kpis(kpis)
    points = grid_points(grid)
    if not points:
        raise ValueError("the sweep has no points")
    variants = [scenario.with_overrides(p, name=f"{scenario.name}[{i}]") for i, p in enumerate(points)]
    refuse_early(variants, years, budget)
    return [Job(v, seed, r, years, kpis=chosen, budget=budget) for v in variants for r in range(replications)]


def sweep(
    base: Scenario | str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    years: int | None = None,
    replications: int = 10,
    seed: int = 0,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    progress: bool = False,
    store: str | Path | None = None,
    level: float = 0.95,
    kpis: Sequence[KPI] | None = None,
    budget: Budget | None = None,
) -> pd.DataFrame:
    """Run ``base`` with each point's overrides; return one row per (point, KPI) with mean and CI.

    Columns: ``point``, one column per overridden field, ``kpi``, ``mean``, ``std``, ``ci_low``,
    ``ci_high``, ``n``. KPIs are averaged over the reported financial years within each replication.
    ``kpis``: the KPIs to compute (default: the built-in catalogue; see :func:`caseflow.run`).
    ``store``: a folder where each finished replication is saved; run the same sweep again with the same
    store and only the missing replications run (the table is the same as an uninterrupted sweep's).
    ``budget``: what each replication may cost, as for :func:`caseflow.run`; every point is checked
    against it before any replication.
    """
    points = grid_points(grid)  # once: a grid given as a generator is read once
    jobs = sweep_jobs(
        base, points, years=years, replications=replications, seed=seed, kpis=kpis, budget=budget
    )
    chosen = jobs[0].kpis
    started = time.time()
    variants = [job.scenario for job in jobs[::replications]]
    frames = execute(jobs, executor=executor, workers=workers, progress=progress, store=store)
    tables = []
    for i, (v, p) in enumerate(zip(variants, points, strict=True)):
        res = assemble(v, frames[i * replications : (i + 1) * replications], seed, years, started, chosen)
        summary = summarise(res.per_replication_mean(), ["kpi"], level, res.catalogue().bounds)
        summary.insert(0, "point", i)
        for j, (field, value) in enumerate(p.items()):
            summary.insert(1 + j, field, value)
        tables.append(summary)
    return pd.concat(tables, ignore_index=True)
