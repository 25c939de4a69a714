"""Running replications: jobs, seeds, executors, progress, persistence and the assembly of results.

Replication ``r`` of an experiment seeded ``seed`` draws every stream from
``SeedSequence(seed, spawn_key=(r, crc32(stream name)))`` (see :mod:`caseflow.streams`), so results do
not depend on which process runs which replication, in what order, or in which batch. Scenarios run
with the same seed share their streams replication by replication: common random numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from caseflow.about import DISTRIBUTION
from caseflow.calendar import BANK_HOLIDAY_YEARS, bank_holiday_table_version
from caseflow.experiment.executors import ExecutorSpec, batched, map_tasks
from caseflow.experiment.results import Results
from caseflow.experiment.store import ReplicationStore
from caseflow.kernel import compiled
from caseflow.metrics import KPI, KPIS, compute_kpis
from caseflow.model.budget import Budget, check
from caseflow.replication import simulate
from caseflow.scenario.loader import load_scenario
from caseflow.scenario.schema import Scenario
from caseflow.scenario.timeline import change_points

__all__ = ["Job", "execute", "own_kpis", "provenance", "run", "run_job_batch", "run_replication"]

Frames = tuple[pd.DataFrame, pd.DataFrame | None]


@dataclass(frozen=True)
class Job:
    """One replication of one scenario."""

    scenario: Scenario
    seed: int
    replication: int
    years: int | None
    records: bool = False
    #: the KPIs to compute (None: the built-in catalogue)
    kpis: tuple[KPI, ...] | None = None
    #: what the replication may cost (None: the default ceilings on its estimate, no limit while running);
    #: not part of :meth:`key`, since a replication that finishes within its budget is the same either way
    budget: Budget | None = None

    def key(self) -> str:
        years = "default" if self.years is None else str(self.years)
        rec = "-records" if self.records else ""
        own = f"-k{kpis_digest(self.kpis)}" if self.kpis is not None else ""
        return f"{self.scenario.hash()[:24]}-y{years}-s{self.seed}-r{self.replication}{rec}{own}"


def kpis_digest(kpis: Sequence[KPI]) -> str:
    """A short digest of KPI definitions (stored replications are reused only for the same KPIs)."""
    text = repr([dataclasses.astuple(k) for k in kpis])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def own_kpis(kpis: Sequence[KPI] | None) -> tuple[KPI, ...] | None:
    """``kpis`` as a tuple, checked: KPI objects with distinct names (None: the built-in catalogue)."""
    if kpis is None:
        return None
    out = tuple(kpis)
    if not out:
        raise ValueError("kpis is empty: pass None for the built-in KPIs, or at least one KPI")
    for k in out:
        if not isinstance(k, KPI):
            raise TypeError(f"kpis must be caseflow.metrics.KPI objects, got {type(k).__name__}")
    names = [k.name for k in out]
    if len(set(names)) != len(names):
        raise ValueError(f"two KPIs share a name: {sorted({n for n in names if names.count(n) > 1})}")
    return out


def extra_definitions(kpis: tuple[KPI, ...] | None) -> tuple[KPI, ...]:
    """The KPIs of ``kpis`` that are not the built-in definition of the same name (for labels)."""
    if kpis is None:
        return ()
    builtin = {k.name: k for k in KPIS}
    return tuple(k for k in kpis if builtin.get(k.name) != k)


def run_replication(scenario: Scenario, seed: int, replication: int, years: int | None) -> pd.DataFrame:
    """One replication's KPI table."""
    return run_job_batch([Job(scenario, seed, replication, years)])[0][0]


def run_job_batch(jobs: Sequence[Job]) -> list[Frames]:
    """Run several jobs in one task (a top-level function, so worker processes and Dask can call it)."""
    out: list[Frames] = []
    for job in jobs:
        rep = simulate(
            job.scenario,
            seed=job.seed,
            replication=job.replication,
            years=job.years,
            records=job.records,
            budget=job.budget,
        )
        kpis = compute_kpis(rep) if job.kpis is None else compute_kpis(rep, job.kpis)
        out.append((kpis, rep.case_records))
    return out


def _is_local(executor: ExecutorSpec) -> bool:
    return executor in ("sequential", "processes", None) or not (
        isinstance(executor, str) or type(executor).__module__.startswith("distributed")
    )


def execute(
    jobs: Sequence[Job],
    *,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    progress: bool = False,
    store: str | Path | None = None,
    batch_size: int | None = None,
) -> list[Frames]:
    """Run ``jobs`` and return their outputs in order; reuse and persist finished ones in ``store``."""
    results: list[Frames | None] = [None] * len(jobs)
    saved = ReplicationStore(store) if store is not None else None
    todo: list[int] = []
    for i, job in enumerate(jobs):
        cached = saved.load(job.key()) if saved is not None else None
        if cached is not None:
            results[i] = cached
        else:
            todo.append(i)
    size = batch_size or (1 if _is_local(executor) else 4)
    batches = batched(todo, size)
    bar = _progress_bar(len(jobs), len(jobs) - len(todo), progress)

    def finished(index: int, frames: list[Frames]) -> None:
        for i, fr in zip(batches[index], frames, strict=True):
            results[i] = fr
            if saved is not None:
                saved.save(jobs[i].key(), fr)
        if bar is not None:
            bar.update(len(frames))

    try:
        tasks = [([jobs[i] for i in batch],) for batch in batches]
        map_tasks(run_job_batch, tasks, executor, workers, on_result=finished)
    finally:
        if bar is not None:
            bar.close()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _progress_bar(total: int, initial: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # terminal bar, or a widget in Jupyter

    return tqdm(total=total, initial=initial, unit="rep", desc="replications", file=sys.stderr)


#: The packages whose versions can change a run's numbers for a fixed scenario and seed: SimPy (the
#: order of events), numpy (the random streams), SciPy (the gamma draws' inverse), holidays (England's
#: bank holidays, hence working days) and pandas (the KPIs' arithmetic). Recorded in every run's
#: provenance, so that a result can be reproduced with the same versions. England's bank holidays for
#: 1980 to 2100 come from caseflow's table generated from holidays (the tests check it equals the
#: installed version's dates): provenance also names the version the table was generated from.
RESULT_PACKAGES = ("simpy", "numpy", "scipy", "holidays", "pandas")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


def provenance(scenario: Scenario, seed: int, reps: Sequence[int], started: float) -> dict[str, Any]:
    """Who ran what, where and when (STRESS-DES 5.1 and 5.4), with the versions of the packages the
    numbers depend on (:data:`RESULT_PACKAGES`) and whether the compiled kernel ran (it gives the same
    numbers, faster: docs/performance.md)."""
    kernel = compiled()
    return {
        "caseflow_version": _version(DISTRIBUTION),
        "packages": {name: _version(name) for name in RESULT_PACKAGES},
        "bank_holidays": (
            f"table generated from holidays {bank_holiday_table_version()} for {BANK_HOLIDAY_YEARS[0]} "
            f"to {BANK_HOLIDAY_YEARS[1]}; other years from the installed package"
        ),
        "compiled_kernel": f"{sum(kernel.values())} of {len(kernel)} modules",
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


def _check(replications: int, seed: int, years: int | None) -> None:
    if replications < 1:
        raise ValueError("replications must be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if years is not None and years < 1:
        raise ValueError("years must be at least 1")


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def assemble(
    scenario: Scenario,
    frames: Sequence[Frames],
    seed: int,
    years: int | None,
    started: float,
    definitions: tuple[KPI, ...] | None = None,
) -> Results:
    kpis = pd.concat([f[0] for f in frames], ignore_index=True)
    recs = [f[1] for f in frames if f[1] is not None]
    return Results(
        scenario=scenario,
        kpis=kpis,
        seed=seed,
        replications=len(frames),
        years=years if years is not None else scenario.run.years,
        provenance=provenance(scenario, seed, range(len(frames)), started),
        case_records=pd.concat(recs, ignore_index=True) if recs else None,
        kpi_definitions=extra_definitions(definitions),
    )


def refuse_early(scenarios: Sequence[Scenario], years: int | None, budget: Budget | None) -> None:
    """Refuse at once, before any replication starts (rather than in every worker), a scenario whose
    replication is estimated over ``budget``'s ceilings (:func:`caseflow.model.budget.check`)."""
    for s in scenarios:
        check(s, years, budget, variants=[p.scenario for p in change_points(s)])


def run(
    scenario: Scenario | str | Path,
    *,
    years: int | None = None,
    replications: int = 10,
    seed: int = 0,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    progress: bool = False,
    store: str | Path | None = None,
    records: bool = False,
    kpis: Sequence[KPI] | None = None,
    budget: Budget | None = None,
) -> Results:
    """Run ``replications`` independent replications of a scenario (or a scenario file).

    ``years``: financial years reported after the warm-up (default: the scenario's).
    ``executor``: ``"processes"`` (local processes on all cores, or ``workers`` of them),
    ``"sequential"``, any :class:`concurrent.futures.Executor`, a ``dask.distributed.Client`` or a Dask
    scheduler address such as ``"tcp://10.0.0.5:8786"``. Results are identical whichever is used.
    ``progress``: show a progress bar (terminal or notebook). ``store``: a folder where each finished
    replication is saved; run again with the same store and only missing replications are run.
    ``records``: also keep per-case episode records (``Results.case_records``).
    ``kpis``: the KPIs to compute, instead of the built-in catalogue :data:`caseflow.metrics.KPIS`
    (for your own, pass ``KPIS + (my_kpi,)``); tables and charts show their labels and bounds.
    ``budget`` (:class:`caseflow.Budget`): what each replication may cost. A scenario whose replication
    is estimated over the budget's ceilings (by default 50 million events or 4 GiB) is refused at once
    with :class:`caseflow.RunRefusedError`, before any replication starts; ``seconds`` or ``events`` stop each
    replication that spends them with :class:`caseflow.BudgetExceededError`.
    """
    scenario = as_scenario(scenario)
    _check(replications, seed, years)
    chosen = own_kpis(kpis)
    refuse_early([scenario], years, budget)
    started = time.time()
    jobs = [Job(scenario, seed, r, years, records, chosen, budget) for r in range(replications)]
    frames = execute(jobs, executor=executor, workers=workers, progress=progress, store=store)
    return assemble(scenario, frames, seed, years, started, chosen)
