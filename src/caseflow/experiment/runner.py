"""Running replications: seeds, executors and the assembly of results.

Replication ``r`` of an experiment seeded ``seed`` draws every stream from
``SeedSequence(seed, spawn_key=(r, crc32(stream name)))`` (see :mod:`caseflow.streams`), so results do
not depend on which process runs which replication, or in what order.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from caseflow.experiment.results import Results
from caseflow.metrics import compute_kpis
from caseflow.model.simulation import simulate
from caseflow.scenario.loader import load_scenario
from caseflow.scenario.schema import Scenario

__all__ = ["run", "run_replication"]

Executor = str | cf.Executor | None


def run_replication(scenario: Scenario, seed: int, replication: int, years: int | None) -> pd.DataFrame:
    """One replication's KPI table (a top-level function so that worker processes can run it)."""
    return compute_kpis(simulate(scenario, seed=seed, replication=replication, years=years))


def _map(
    fn: Callable[..., pd.DataFrame],
    args: list[tuple[Any, ...]],
    executor: Executor,
    workers: int | None,
) -> list[pd.DataFrame]:
    if executor == "sequential" or (executor in (None, "processes") and len(args) <= 1):
        return [fn(*a) for a in args]
    if executor in (None, "processes"):
        n = workers or os.cpu_count() or 1
        if n <= 1:
            return [fn(*a) for a in args]
        with cf.ProcessPoolExecutor(max_workers=min(n, len(args))) as pool:
            return list(pool.map(fn, *zip(*args, strict=True)))
    if isinstance(executor, cf.Executor):
        return list(executor.map(fn, *zip(*args, strict=True)))
    raise ValueError(
        f"executor must be 'sequential', 'processes' or a concurrent.futures.Executor, got {executor!r}"
    )


def _provenance(scenario: Scenario, seed: int, reps: Iterable[int], started: float) -> dict[str, Any]:
    try:
        version = metadata.version("caseflow")
    except metadata.PackageNotFoundError:  # running from a source tree
        version = "unknown"
    return {
        "caseflow_version": version,
        "scenario_name": scenario.name,
        "scenario_source": scenario.source,
        "scenario_hash": scenario.hash(),
        "seed": seed,
        "replications": list(reps),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": round(time.time() - started, 3),
    }


def run(
    scenario: Scenario | str | Path,
    *,
    years: int | None = None,
    replications: int = 10,
    seed: int = 0,
    executor: Executor = "processes",
    workers: int | None = None,
) -> Results:
    """Run ``replications`` independent replications of a scenario (or a scenario file).

    ``years`` is the number of financial years reported after the warm-up (default: the scenario's).
    ``executor`` is ``"processes"`` (local processes on all cores, or ``workers`` of them),
    ``"sequential"``, or any :class:`concurrent.futures.Executor`. Results are identical whichever
    is used.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if replications < 1:
        raise ValueError("replications must be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if years is not None and years < 1:
        raise ValueError("years must be at least 1")
    started = time.time()
    reps = list(range(replications))
    frames = _map(run_replication, [(scenario, seed, r, years) for r in reps], executor, workers)
    kpis = pd.concat(frames, ignore_index=True)
    return Results(
        scenario=scenario,
        kpis=kpis,
        seed=seed,
        replications=replications,
        years=years if years is not None else scenario.run.years,
        provenance=_provenance(scenario, seed, reps, started),
    )
