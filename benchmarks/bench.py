"""caseflow benchmarks (issue 12): seconds, and ratios to bare SimPy measured in the same run.

    python benchmarks/bench.py                  # sections 1-7 below (a few minutes on 2 cores)
    python benchmarks/bench.py --full           # also sections 8 and 9 (100 replications, national estimate)
    python benchmarks/bench.py --only replication,setup --repeat 5
    python benchmarks/bench.py --full --scale 0.05 --years 1 --repeat 1 --hundred-reps 4 --sample 2 \
        --sample-reps 1                         # a smoke test of every section: about 25 s of CPU

Every measurement runs in a fresh subprocess, so its peak RSS (resident set size, ``ru_maxrss``) is its
own. Single-replication measurements are repeated ``--repeat`` times (default 3) and the fastest run by
CPU time is reported, as ``timeit`` does, with every run listed: on a shared machine the minimum is the
steadiest estimate of the work itself. CPU times are ``time.process_time()``; wall times
``time.perf_counter()``. Nothing is asserted (benchmarks are not tests); the issue's targets are printed
beside the figures, and the seed-1 event count is printed so that a change in the model's behaviour
shows up as a changed count. ``--json FILE`` saves every figure (written atomically).

The sections (``--only`` takes their names, comma-separated):

1. ``bare``: the bare-SimPy reference as the issue defines it, alone in a fresh process: the CPU time
   of 1,000,000 SimPy timeouts from 1,000 processes with exponential delays (mean 1). Each process
   yields ``env.timeout(d)`` 1,000 times, so exactly 1,000,000 timeouts are processed and the run ends
   when the event queue is empty. The delays come from one ``numpy.random.Generator`` (seed 1), drawn
   in blocks of 100 per process *inside* the timed region (10,000 draws of 100 values; drawing one
   value per timeout would mostly time numpy's call overhead). The timed region is the whole thing:
   creating the environment and the processes, and running them; Python's default garbage-collector
   settings. Also the old reference (10 processes with unit delays, 1,000,000 events), for comparison
   with figures recorded before issue 12.
2. ``replication``: one baseline replication, ``caseflow.simulate(baseline, seed=1, years=5)`` (5
   reported years plus the scenario's 1 warm-up year), with the defaults ``caseflow.run`` uses (no
   per-case records, costs attached). In the same process, first the bare-SimPy reference of section 1,
   then the replication: the ratio ``replication CPU ÷ bare SimPy CPU`` therefore compares two
   measurements of the same process on the same machine a few seconds apart. Reported: wall and CPU
   time, SimPy events, contacts, the ratio, and peak RSS after the replication (and before it: the
   imports and the reference, whose own footprint section 1 shows). The ratio judged against the
   target is the median of the runs' own ratios (one run's reference can be slowed by the shared
   machine while its replication is not); the fastest replication over the fastest reference is
   printed beside it. Also printed: the CPU time of threads other than the simulation's (the numerical
   libraries' thread pools, which start when scipy is first imported), and the same replication run
   again in the same process, as each replication after the first runs in an experiment's worker.
3. ``setup``: the time from a loaded Scenario to the first simulated event. ``run_model`` builds the
   whole replication (calendar, streams, capacity, pathway, opening caseload, seeded history, every
   arrival time of the horizon) and then calls ``env.run`` exactly once; the first event is processed
   inside that call. So ``simpy.Environment.run`` is wrapped in the subprocess (nothing else is
   patched) and set-up is the time from calling ``simulate`` to entering ``env.run``. Here the wrapper
   returns at once instead of running, so only set-up is paid; it is done twice in one process: cold
   (the first ``simulate`` of a process, which also pays any lazy imports and first-use caches inside
   the model) and warm (the next, as in a worker running many replications). Section 2 reports the
   cold set-up of the real run as well. ``caseflow.replication`` is imported, and the scenario loaded,
   before the clock starts (the load time is printed separately).
4. ``kpis``: ``caseflow.compute_kpis(output)`` on section 2's replication output, in the same process:
   the first call (cold) and a second one (warm). Reuses section 2's runs (or makes them).
5. ``cli``: the wall time of ``caseflow --help`` and ``caseflow validate scenarios/baseline.toml`` as
   fresh processes (the console script next to ``sys.executable``, else ``python -m caseflow.cli``),
   fastest of ``--repeat``; also their CPU time (``RUSAGE_CHILDREN``).
6. ``population``: the same replication at 60,000 and 240,000 children (``caseflow.scenario.scaled``,
   factor 4; with ``--full`` also 30,000 and 120,000): CPU, wall and events, the 4× ratio and peak RSS.
7. ``horizon``: 5 against 10 reported years at 60,000 children (6 against 11 simulated years).
   Sections 6 and 7 run the reference of section 1 in each process too, and print each ratio both
   plain and divided by the two processes' bare-SimPy ratio (which removes drift in machine speed).
8. ``hundred`` (``--full``): 100 baseline replications of 5 years, ``caseflow.run(...,
   executor="processes")`` on all cores: wall time, and CPU of the parent and the worker processes;
   also as ratios to the bare-SimPy reference run in the same process just before the pool starts and
   just after it ends (wall time × cores ÷ replications, and a worker's CPU per replication). Then
   that CPU in parts: an experiment's job (``simulate`` + ``compute_kpis``, as a worker runs it) a few
   times in a fresh process alone on the machine, then in two such processes at once (as the pool's
   two workers run), and bare SimPy in two processes at once: the difference between the first two is
   what two replications cost each other through the shared cache and memory.
9. ``authorities`` (``--full``): an estimate for all 153 authorities × 20 replications × 5 years.
   The authorities existing at 31 March ``--profile-year`` (default 2024) and their children aged 0-17
   (ONS mid-year before, as ``caseflow.profile.build_profile`` reads it) come from the bundled DfE/ONS
   snapshot. ``--sample N`` of them (default 3), spread over population sizes (the authorities at the
   1/2N, 3/2N, ... quantiles of population), are each profiled (``build_profile``, as
   ``caseflow national`` does) and run ``--sample-reps`` times (default 2) for ``--years`` years (a
   profile has no warm-up year: it starts from the published stock with seeded history), each run
   ``simulate`` + ``compute_kpis`` as a national task does, one fresh process per authority. The cost
   is CPU seconds per replication-year per 10,000 children (sample CPU ÷ sample child-years, the mean
   over each authority's replications); times all authorities' children × 20 replications × 5 years
   plus one profile per authority, it gives the CPU total; divided by this machine's cores, and by 64
   for a 64-core Dask cluster, the wall time, *assuming linear scaling*: replications share nothing,
   but scheduling, data transfer and unequal task lengths at the end are ignored, and the cluster's
   cores are assumed as fast as this machine's. A fit of CPU per replication-year against population
   (a fixed cost plus a cost per child) gives a second estimate, and the baseline of section 2 a third.

``--scale F`` multiplies every population (60,000 → 60,000·F; the sampled authorities too) and
``--years Y`` replaces the 5 reported years (the horizon section compares Y with 2Y): for quick smoke
runs; the targets refer to the defaults. Record the figures in docs/performance.md with the date,
machine and commit printed at the top.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SECTIONS = ("bare", "replication", "setup", "kpis", "cli", "population", "horizon", "hundred", "authorities")
FULL_ONLY = ("hundred", "authorities")
RESULT_TAG = "BENCH-RESULT "

#: Issue 12's targets, printed beside the figures (never asserted).
TARGETS = {
    "replication_wall_s": 1.5,  # one 5-year baseline replication (with its warm-up), one core, quiet machine
    "replication_ratio": 1.5,  # its CPU at most 1.5× that of 1,000,000 bare SimPy timeouts, same process
    "setup_s": 0.2,  # a loaded scenario to the first simulated event
    "kpis_s": 0.1,  # compute_kpis on that replication
    "cli_s": 1.0,  # `caseflow --help` and `caseflow validate`, each a fresh process
    "population_ratio": 4.2,  # 240,000 children at most 4.2× the time of 60,000
    "horizon_ratio": 2.1,  # ten reported years at most 2.1× five
    "rss_mb_60k": 200.0,  # peak RSS of one replication of 60,000 children
    "rss_mb_240k": 400.0,  # and of 240,000
    "hundred_s": 90.0,  # 100 baseline replications of 5 years on 2 cores
}

#: The national run estimated in section 9, and the cluster it is also estimated for.
NATIONAL_REPS, NATIONAL_YEARS, CLUSTER_CORES = 20, 5, 64

Figures = dict[str, Any]


# ---------------------------------------------------------------------------------------------------------
# Measurements: each runs inside a fresh subprocess (see _sub) and returns a JSON-able dict.
# ---------------------------------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def _clock() -> tuple[float, float]:
    """(wall, CPU) now."""
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    """(wall, CPU) seconds since ``start``."""
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def bare_reference(
    n_processes: int = 1_000, per_process: int = 1_000, seed: int = 1, block: int = 100
) -> Figures:
    """CPU time of ``n_processes`` × ``per_process`` bare SimPy timeouts with exponential delays."""
    import numpy as np
    import simpy

    def proc(env: simpy.Environment, rng: np.random.Generator) -> Iterator[simpy.Event]:
        left = per_process
        while left > 0:
            k = min(block, left)
            for delay in rng.exponential(1.0, k).tolist():
                yield env.timeout(delay)
            left -= k

    rng = np.random.default_rng(seed)
    start = _clock()
    env = simpy.Environment()
    for _ in range(n_processes):
        env.process(proc(env, rng))
    env.run()
    wall, cpu = _since(start)
    timeouts = n_processes * per_process
    return {
        "timeouts": timeouts,
        "processes": n_processes,
        "events": next(env._eid),
        "simulated_time": env.now,
        "wall_s": wall,
        "cpu_s": cpu,
        "timeouts_per_cpu_s": timeouts / cpu,
    }


def bare_simpy(n_events: int = 1_000_000) -> Figures:
    """The reference before issue 12: events per second of 10 processes yielding unit timeouts.

    Kept with its keys unchanged: benchmarks/bench_calibrate.py imports it.
    """
    import simpy

    env = simpy.Environment()

    def proc(env: simpy.Environment) -> Iterator[simpy.Event]:
        while True:
            yield env.timeout(1.0)

    for _ in range(10):
        env.process(proc(env))
    start = _clock()
    env.run(until=n_events / 10)
    wall, cpu = _since(start)
    events = next(env._eid)
    return {
        "events": events,
        "wall_s": wall,
        "cpu_s": cpu,
        "events_per_s": events / wall,
        "peak_rss_mb": _peak_rss_mb(),
    }


def bare_task() -> Figures:
    """Section 1: the reference alone in its process, then the old loop."""
    ref = bare_reference()
    rss = _peak_rss_mb()
    return {**ref, "peak_rss_mb": rss, "old_loop": bare_simpy()}


@dataclass
class RunHook:
    """Wraps ``simpy.Environment.run`` to note when the first simulated event is about to be processed.

    ``skip``: return at once instead of running (set-up only).
    """

    skip: bool = False
    entered: tuple[float, float] | None = None
    left: tuple[float, float] | None = None

    @contextmanager
    def installed(self) -> Iterator[RunHook]:
        import simpy

        original: Callable[..., Any] = simpy.Environment.run

        def run(env: simpy.Environment, until: Any = None) -> Any:
            if self.entered is None:
                self.entered = _clock()
            if self.skip:
                return None
            try:
                return original(env, until)
            finally:
                self.left = _clock()

        simpy.Environment.run = run  # type: ignore[method-assign]
        try:
            yield self
        finally:
            simpy.Environment.run = original  # type: ignore[method-assign]


def _baseline(factor: float) -> tuple[Any, float]:
    """The baseline scenario scaled by ``factor``, and the seconds it took to load."""
    import caseflow
    from caseflow.scenario import scaled

    start = time.perf_counter()
    s = caseflow.load_scenario(BASELINE)
    if factor != 1.0:
        s = scaled(s, factor)
    return s, time.perf_counter() - start


def _timed_kpis(out: Any) -> Figures:
    """Cold and warm wall/CPU seconds of ``compute_kpis(out)``."""
    from caseflow import compute_kpis

    start = _clock()
    table = compute_kpis(out)
    cold = _since(start)
    start = _clock()
    compute_kpis(out)
    warm = _since(start)
    return {
        "rows": len(table),
        "cold_wall_s": cold[0],
        "cold_cpu_s": cold[1],
        "warm_wall_s": warm[0],
        "warm_cpu_s": warm[1],
    }


def replication_task(factor: float, years: int, seed: int, warm: bool = False) -> Figures:
    """Sections 2, 4, 6, 7: bare reference first, then one replication (set-up timed), then its KPIs;
    ``warm``: then the same replication again in the same process (section 2)."""
    import caseflow.replication
    from caseflow.metrics import compute_kpis  # noqa: F401  (imported before any clock starts)

    bare = bare_reference()
    rss_bare = _peak_rss_mb()
    s, load_s = _baseline(factor)
    hook = RunHook()
    with hook.installed():
        start = _clock()
        thread_start = time.thread_time()
        out = caseflow.replication.simulate(s, seed=seed, years=years)
        wall, cpu = _since(start)
        main_thread_cpu = time.thread_time() - thread_start
    assert hook.entered is not None
    assert hook.left is not None
    rss = _peak_rss_mb()
    contacts = int(sum(out.recorder.counts["contacts"]))
    events = out.events
    kpis = _timed_kpis(out)
    del out
    again: Figures = {}
    if warm:
        # The same replication again in the same process: what each replication after the first costs
        # in an experiment's worker, with nothing left to import on first use.
        warm_start = _clock()
        rerun = caseflow.replication.simulate(s, seed=seed, years=years)
        warm_wall, warm_cpu = _since(warm_start)
        if rerun.events != events:
            raise RuntimeError(f"the same seed ran {events:,} events, then {rerun.events:,}")
        again = {"warm_wall_s": warm_wall, "warm_cpu_s": warm_cpu, "warm_ratio_cpu": warm_cpu / bare["cpu_s"]}
    return {
        "population": s.population,
        "years": years,
        "simulated_years": years + s.run.warmup_years,
        "seed": seed,
        "events": events,
        "contacts": contacts,
        "load_scenario_s": load_s,
        "wall_s": wall,
        "cpu_s": cpu,
        "setup_wall_s": hook.entered[0] - start[0],
        "setup_cpu_s": hook.entered[1] - start[1],
        "run_wall_s": hook.left[0] - hook.entered[0],
        "run_cpu_s": hook.left[1] - hook.entered[1],
        "bare_cpu_s": bare["cpu_s"],
        "bare_wall_s": bare["wall_s"],
        "ratio_cpu": cpu / bare["cpu_s"],
        "main_thread_cpu_s": main_thread_cpu,
        **again,
        "events_per_cpu_s": events / cpu,
        "contacts_per_cpu_s": contacts / cpu,
        "peak_rss_mb_after_bare": rss_bare,
        "peak_rss_mb": rss,
        "kpis": kpis,
    }


def setup_task(factor: float, years: int, seed: int) -> Figures:
    """Section 3: set-up only (``env.run`` returns at once), cold then warm, in one process."""
    import caseflow.replication

    s, load_s = _baseline(factor)
    result: Figures = {"population": s.population, "years": years, "load_scenario_s": load_s}
    for label in ("cold", "warm"):
        hook = RunHook(skip=True)
        with hook.installed():
            start = _clock()
            caseflow.replication.simulate(s, seed=seed, years=years)
        assert hook.entered is not None
        result[f"{label}_wall_s"] = hook.entered[0] - start[0]
        result[f"{label}_cpu_s"] = hook.entered[1] - start[1]
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def hundred_task(reps: int, years: int, factor: float, seed: int) -> Figures:
    """Section 8: ``reps`` baseline replications on local processes, all cores."""
    import caseflow

    s, _ = _baseline(factor)
    before = bare_reference()["cpu_s"]  # the reference in the same run, on a core otherwise idle
    start = _clock()
    caseflow.run(s, years=years, replications=reps, seed=seed, executor="processes")
    wall, cpu = _since(start)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, joined by now
    after = bare_reference()["cpu_s"]
    return {
        "replications": reps,
        "years": years,
        "population": s.population,
        "workers": os.cpu_count() or 1,
        "bare_cpu_s": [before, after],
        "wall_s": wall,
        "cpu_parent_s": cpu,
        "cpu_workers_s": children.ru_utime + children.ru_stime,
        "peak_rss_mb_parent": _peak_rss_mb(),
        "peak_rss_mb_largest_worker": children.ru_maxrss / 1024,
    }


def job_task(jobs: int, years: int, factor: float, seed: int) -> Figures:
    """Section 8's parts: ``jobs`` of an experiment's jobs one after another in this process, each what a
    worker does for one replication (``simulate`` + ``compute_kpis``, ``run_job_batch``), after one
    untimed job (the worker's first-use costs); and the bare reference after them."""
    from caseflow.experiment.runner import Job, run_job_batch

    s, _ = _baseline(factor)
    run_job_batch([Job(s, seed, 0, years)])
    cpu: list[float] = []
    for k in range(1, jobs + 1):
        start = time.process_time()
        run_job_batch([Job(s, seed, k, years)])
        cpu.append(time.process_time() - start)
    return {"job_cpu_s": cpu, "bare_cpu_s": bare_reference()["cpu_s"]}


def side_by_side(name: str, copies: int = 2, **kwargs: Any) -> list[Figures]:
    """``copies`` fresh processes of ``bench.<name>(**kwargs)`` at once (one per core), their dicts."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(copies) as pool:
        return list(pool.map(lambda _: _sub(name, **kwargs), range(copies)))


def authority_list(year: int) -> Figures:
    """Section 9: every authority existing at 31 March ``year`` and its children aged 0-17."""
    from caseflow import data

    pub = data.load()
    table = pub.authorities(year)
    rows = []
    for code, name in zip(table["code"], table["name"], strict=True):
        pop = pub.value("population_0_17", code, year - 1)  # as build_profile reads it
        rows.append({"code": code, "name": name, "population": pop if math.isfinite(pop) else None})
    return {"year": year, "authorities": rows}


def authority_task(code: str, year: int, reps: int, years: int, factor: float, seed: int) -> Figures:
    """Section 9: profile one authority, then ``reps`` replications (simulate + KPIs, as ``national``)."""
    import caseflow
    from caseflow import data
    from caseflow.profile import build_profile
    from caseflow.scenario import scaled

    pub = data.load()
    base = caseflow.load_scenario(BASELINE)
    start = _clock()
    s = build_profile(pub, base, code, year).scenario(base)
    profile_wall, profile_cpu = _since(start)
    if factor != 1.0:
        s = scaled(s, factor)
    cpu, wall, events = [], [], []
    for r in range(reps):
        start = _clock()
        out = caseflow.simulate(s, seed=seed, replication=r, years=years)
        caseflow.compute_kpis(out)
        w, c = _since(start)
        wall.append(w)
        cpu.append(c)
        events.append(out.events)
    return {
        "code": code,
        "name": pub.find(code).name,
        "population": s.population,
        "simulated_years": s.run.warmup_years + years,
        "profile_wall_s": profile_wall,
        "profile_cpu_s": profile_cpu,
        "wall_s": wall,
        "cpu_s": cpu,
        "events": events,
        "peak_rss_mb": _peak_rss_mb(),
    }


# ---------------------------------------------------------------------------------------------------------
# Running measurements in fresh processes.
# ---------------------------------------------------------------------------------------------------------


def _sub(name: str, **kwargs: Any) -> Figures:
    """Call ``bench.<name>(**kwargs)`` in a fresh Python process and return its dict."""
    here = str(Path(__file__).parent)
    code = (
        f"import json, sys; sys.path.insert(0, {here!r}); import bench; "
        f"print({RESULT_TAG!r} + json.dumps(bench.{name}(**json.loads(sys.argv[1]))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(kwargs)], capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench.{name}({kwargs}) failed:\n{proc.stderr}")
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith(RESULT_TAG))
    result: Figures = json.loads(line[len(RESULT_TAG) :])
    return result


def _best(name: str, repeat: int, key: str = "cpu_s", **kwargs: Any) -> Figures:
    """The run with the smallest ``key`` of ``repeat`` fresh-process runs, with every run in ``runs``."""
    runs = [_sub(name, **kwargs) for _ in range(repeat)]
    best = min(runs, key=lambda r: r[key])
    return {**best, "runs": [{k: v for k, v in r.items() if not isinstance(v, dict)} for r in runs]}


def _timed_command(argv: Sequence[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a command run to completion as a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def _caseflow_command() -> list[str]:
    """The ``caseflow`` console script of this interpreter's environment, else ``python -m``."""
    script = Path(sys.executable).with_name("caseflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "caseflow.cli"]


# ---------------------------------------------------------------------------------------------------------
# Printing.
# ---------------------------------------------------------------------------------------------------------


def _s(x: float) -> str:
    return f"{x:.2f} s" if x >= 0.1 else f"{x * 1000:.0f} ms"


def _n(count: int, word: str) -> str:
    plural = word[:-1] + "ies" if word.endswith("y") and not word.endswith("ey") else word + "s"
    return f"{count:,} {word if count == 1 else plural}"


def _reported(years: int) -> str:
    return _n(years, "reported year")


def _runs(values: Sequence[float]) -> str:
    return "runs: " + ", ".join(_s(v) for v in values)


def _target(value: float, limit: float, unit: str) -> str:
    where = "within" if value <= limit else "OVER"
    return f"target ≤ {limit:g}{unit}: {where}"


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src", "scenarios"], cwd=ROOT)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (plus uncommitted changes under src/ or scenarios/)" if dirty.returncode else "")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _caseflow_source() -> str:
    """Where the subprocesses will import caseflow from (PYTHONPATH may point at another tree)."""
    spec = importlib.util.find_spec("caseflow")  # finds the package without importing it
    origin = spec.origin if spec is not None else None
    return str(Path(origin).parent) if origin else "nowhere (not installed)"


def machine() -> Figures:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count() or 1,
        "python": platform.python_version(),
        "simpy": _version("simpy"),
        "numpy": _version("numpy"),
        "commit": _git_commit(),
        "caseflow": _caseflow_source(),
    }


# ---------------------------------------------------------------------------------------------------------
# Sections.
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Bench:
    """Settings, the figures so far, and replication runs shared between sections."""

    repeat: int
    scale: float
    years: int
    full: bool
    hundred_reps: int
    sample: int
    sample_reps: int
    profile_year: int
    figures: Figures = field(default_factory=dict)
    _replications: dict[tuple[float, int], Figures] = field(default_factory=dict)

    def replication(self, factor: float, years: int) -> Figures:
        """The fastest of ``repeat`` runs of ``replication_task`` (made once, shared by sections)."""
        key = (factor * self.scale, years)
        if key not in self._replications:
            warm = factor == 1.0 and years == self.years  # section 2's run: the warm figure too
            self._replications[key] = _best(
                "replication_task", self.repeat, factor=key[0], years=years, seed=1, warm=warm
            )
        return self._replications[key]

    def bare(self) -> None:
        r = _best("bare_task", self.repeat)
        self.figures["bare"] = r
        print(
            f"\n1. bare SimPy reference: {r['timeouts']:,} timeouts from {r['processes']:,} processes, "
            "exponential delays, alone in a fresh process"
        )
        print(
            f"   CPU {_s(r['cpu_s'])} ({_runs([x['cpu_s'] for x in r['runs']])}); wall {_s(r['wall_s'])}; "
            f"{r['timeouts_per_cpu_s']:,.0f} timeouts per CPU second"
        )
        print(
            f"   {r['events']:,} SimPy events (timeouts plus process starts and ends); "
            f"peak RSS {r['peak_rss_mb']:.0f} MB"
        )
        old = r["old_loop"]
        print(
            f"   old reference (10 processes, unit delays, before issue 12): {old['events_per_s']:,.0f} "
            f"events/s wall, CPU {_s(old['cpu_s'])} for {old['events']:,} events"
        )

    def replication_section(self) -> None:
        r = self.replication(1.0, self.years)
        self.figures["replication"] = r
        print(
            f"\n2. one baseline replication: {r['population']:,} children, {_reported(r['years'])} "
            f"+ {r['simulated_years'] - r['years']} warm-up, seed 1 (bare SimPy first, same process)"
        )
        print(f"   CPU {_s(r['cpu_s'])} ({_runs([x['cpu_s'] for x in r['runs']])})")
        full = self.scale == 1 and self.years == 5
        wall_target = f"; {_target(r['wall_s'], TARGETS['replication_wall_s'], ' s')}" if full else ""
        print(f"   wall {_s(r['wall_s'])} ({_runs([x['wall_s'] for x in r['runs']])}){wall_target}")
        print(
            f"   {r['events']:,} SimPy events (seed 1; a changed count means changed behaviour); "
            f"{r['contacts']:,} contacts; {r['events_per_cpu_s']:,.0f} events per CPU second"
        )
        print(f"   bare SimPy in the same process: CPU {_s(r['bare_cpu_s'])}")
        # Each run's own ratio, and their median: on a shared machine one run's bare reference can be
        # slowed while its replication is not, so the fastest replication's own ratio is not the figure.
        r["ratio_cpu_median"] = median = statistics.median(x["ratio_cpu"] for x in r["runs"])
        fastest = r["cpu_s"] / min(x["bare_cpu_s"] for x in r["runs"])
        ratios = ", ".join(f"{x['ratio_cpu']:.2f}×" for x in r["runs"])
        ratio_target = f"; {_target(median, TARGETS['replication_ratio'], '×')}" if full else ""
        print(
            f"   ratio replication CPU ÷ bare SimPy CPU in the same process: median {median:.2f}× "
            f"(runs: {ratios}){ratio_target}; fastest replication ÷ fastest bare SimPy {fastest:.2f}×"
        )
        print(
            f"   of which set-up {_s(r['setup_cpu_s'])} CPU, events {_s(r['run_cpu_s'])} CPU, "
            f"after the run {_s(r['cpu_s'] - r['setup_cpu_s'] - r['run_cpu_s'])} CPU"
        )
        others = r["cpu_s"] - r["main_thread_cpu_s"]
        print(
            f"   CPU in threads other than the simulation's (numerical libraries' thread pools): {_s(others)}"
        )
        if "warm_cpu_s" in r:
            warm = min(x["warm_cpu_s"] for x in r["runs"])
            r["warm_ratio_cpu_median"] = warm_median = statistics.median(
                x["warm_ratio_cpu"] for x in r["runs"]
            )
            warm_ratios = ", ".join(f"{x['warm_ratio_cpu']:.2f}×" for x in r["runs"])
            print(
                f"   the same replication again in the same process (as in an experiment's worker): CPU "
                f"{_s(warm)} ({_runs([x['warm_cpu_s'] for x in r['runs']])}); median {warm_median:.2f}× "
                f"bare SimPy (runs: {warm_ratios})"
            )
        target = f"; {_target(r['peak_rss_mb'], TARGETS['rss_mb_60k'], ' MB')}" if self.scale == 1 else ""
        print(
            f"   peak RSS {r['peak_rss_mb']:.0f} MB{target} ({r['peak_rss_mb_after_bare']:.0f} MB "
            "before the replication started: imports and the bare run)"
        )

    def setup(self) -> None:
        r = _best("setup_task", self.repeat, key="cold_cpu_s", factor=self.scale, years=self.years, seed=1)
        self.figures["setup"] = r
        print(
            f"\n3. set-up: a loaded Scenario to the first simulated event ({r['population']:,} children, "
            f"{_reported(r['years'])}; env.run entered)"
        )
        print(
            f"   cold (first simulate of a process): CPU {_s(r['cold_cpu_s'])}, wall {_s(r['cold_wall_s'])} "
            f"(CPU {_runs([x['cold_cpu_s'] for x in r['runs']])}; "
            f"{_target(r['cold_wall_s'], TARGETS['setup_s'], ' s')})"
        )
        print(
            f"   warm (the next one): CPU {_s(r['warm_cpu_s'])}, wall {_s(r['warm_wall_s'])} "
            f"(CPU {_runs([x['warm_cpu_s'] for x in r['runs']])})"
        )
        print(f"   (loading the scenario file, not counted: {_s(r['load_scenario_s'])})")

    def kpis(self) -> None:
        r = self.replication(1.0, self.years)
        k = r["kpis"]
        self.figures["kpis"] = k
        print(f"\n4. KPIs: caseflow.compute_kpis on section 2's output (its fastest run; {k['rows']:,} rows)")
        print(
            f"   cold (first call): CPU {_s(k['cold_cpu_s'])}, wall {_s(k['cold_wall_s'])} "
            f"({_target(k['cold_wall_s'], TARGETS['kpis_s'], ' s')})"
        )
        print(f"   warm (second call): CPU {_s(k['warm_cpu_s'])}, wall {_s(k['warm_wall_s'])}")

    def cli(self) -> None:
        command = _caseflow_command()
        print(
            f"\n5. command-line start-up, fresh processes ({' '.join(Path(c).name for c in command)}), "
            f"fastest of {self.repeat}"
        )
        results: Figures = {}
        for label, args in (("help", ["--help"]), ("validate", ["validate", "scenarios/baseline.toml"])):
            runs = [_timed_command([*command, *args]) for _ in range(self.repeat)]
            wall, cpu = min(runs)
            results[label] = {"wall_s": wall, "cpu_s": cpu, "runs_wall_s": [w for w, _ in runs]}
            shown = "caseflow " + " ".join(args)
            print(
                f"   {shown:<44} wall {_s(wall)} ({_runs([w for w, _ in runs])}); CPU {_s(cpu)} "
                f"({_target(wall, TARGETS['cli_s'], ' s')})"
            )
        self.figures["cli"] = results

    def _scaling_line(self, label: str, big: Figures, small: Figures, limit: float) -> Figures:
        cpu = big["cpu_s"] / small["cpu_s"]
        normalised = big["ratio_cpu"] / small["ratio_cpu"]
        print(
            f"   {label}: CPU {cpu:.2f}× ({_target(cpu, limit, '×')}); "
            f"wall {big['wall_s'] / small['wall_s']:.2f}×; "
            f"bare-normalised {normalised:.2f}×; events {big['events'] / small['events']:.2f}×"
        )
        return {
            "cpu_ratio": cpu,
            "wall_ratio": big["wall_s"] / small["wall_s"],
            "normalised_ratio": normalised,
            "events_ratio": big["events"] / small["events"],
        }

    def _row(self, r: Figures, label: str, rss_limit: float | None = None) -> None:
        rss = f"peak RSS {r['peak_rss_mb']:.0f} MB"
        if rss_limit is not None and self.scale == 1:
            rss += f" ({_target(r['peak_rss_mb'], rss_limit, ' MB')})"
        print(
            f"   {label}: CPU {_s(r['cpu_s'])} ({_runs([x['cpu_s'] for x in r['runs']])}), "
            f"wall {_s(r['wall_s'])}, {r['events']:,} events, {rss}"
        )

    def population(self) -> None:
        print(f"\n6. scaling with population ({_reported(self.years)}; fastest of {self.repeat})")
        factors = (0.5, 1.0, 2.0, 4.0) if self.full else (1.0, 4.0)
        rows = {f: self.replication(f, self.years) for f in factors}
        limits = {1.0: TARGETS["rss_mb_60k"], 4.0: TARGETS["rss_mb_240k"]}
        for f, r in rows.items():
            self._row(r, f"{r['population']:>9,} children", limits.get(f))
        small, big = rows[1.0], rows[4.0]
        label = f"{big['population']:,} ÷ {small['population']:,}"
        ratios = self._scaling_line(label, big, small, TARGETS["population_ratio"])
        self.figures["population"] = {"runs": list(rows.values()), "x4": ratios}

    def horizon(self) -> None:
        y = self.years
        print(f"\n7. scaling with horizon ({self.scale * 60_000:,.0f} children; fastest of {self.repeat})")
        short, long = self.replication(1.0, y), self.replication(1.0, 2 * y)
        for r in (short, long):
            self._row(r, f"{_reported(r['years']):>19} ({r['simulated_years']} simulated)")
        ratios = self._scaling_line(f"{2 * y} ÷ {y} years", long, short, TARGETS["horizon_ratio"])
        simulated = long["simulated_years"] / short["simulated_years"]
        print(f"   (simulated years: {simulated:.2f}×, the warm-up year being in both)")
        self.figures["horizon"] = {"runs": [short, long], "x2": ratios}

    def hundred(self) -> None:
        n = self.hundred_reps
        r = _sub("hundred_task", reps=n, years=self.years, factor=self.scale, seed=1)
        self.figures["hundred"] = r
        print(
            f"\n8. {_n(n, 'baseline replication')} × {_n(self.years, 'year')} on {r['workers']} cores "
            f"(caseflow.run, executor='processes'; one run)"
        )
        target = (
            f" ({_target(r['wall_s'], TARGETS['hundred_s'], ' s')} for 100 on 2 cores)" if n == 100 else ""
        )
        print(f"   wall {_s(r['wall_s'])}{target}")
        print(
            f"   CPU: workers {_s(r['cpu_workers_s'])} ({r['cpu_workers_s'] / n:.2f} s per replication), "
            f"parent {_s(r['cpu_parent_s'])}"
        )
        # As a ratio to bare SimPy measured in the same run (before the pool started and after it ended):
        # the wall time each core spent per replication, and the CPU a replication took in a worker.
        bare = sum(r["bare_cpu_s"]) / len(r["bare_cpu_s"])
        per_core = r["wall_s"] * r["workers"] / n
        print(
            f"   bare SimPy in the same run: CPU {_s(r['bare_cpu_s'][0])} before, "
            f"{_s(r['bare_cpu_s'][1])} after; per replication and core {per_core / bare:.2f}× bare SimPy "
            f"in wall time, {r['cpu_workers_s'] / n / bare:.2f}× in a worker's CPU"
        )
        print(
            f"   peak RSS: parent {r['peak_rss_mb_parent']:.0f} MB, largest worker "
            f"{r['peak_rss_mb_largest_worker']:.0f} MB"
        )
        self.pool_parts(r["cpu_workers_s"] / n)

    def pool_parts(self, in_pool: float) -> None:
        """What a replication costs a worker, in parts: an experiment's job alone on the machine, then two
        processes doing jobs side by side (as the pool's two workers do), then bare SimPy side by side."""
        jobs = max(2, min(4, self.hundred_reps))
        kw = {"jobs": jobs, "years": self.years, "factor": self.scale, "seed": 1}
        alone = _sub("job_task", **kw)
        pair = side_by_side("job_task", **kw)
        bare_pair = side_by_side("bare_reference")
        self.figures["hundred"]["parts"] = {
            "alone": alone,
            "side_by_side": pair,
            "bare_side_by_side": bare_pair,
        }
        one = statistics.median(alone["job_cpu_s"])
        two = statistics.median([c for p in pair for c in p["job_cpu_s"]])
        bare_one = alone["bare_cpu_s"]
        bare_two = statistics.median([b["cpu_s"] for b in bare_pair])
        print(
            f"   a replication in a worker, in parts (medians of {jobs} jobs each; a job is simulate + KPIs):"
        )
        print(
            f"     a job alone on the machine: CPU {_s(one)} "
            f"({one / bare_one:.2f}× bare SimPy in the same process)"
        )
        print(
            f"     two processes doing jobs side by side: CPU {_s(two)} a job ({two / one - 1:+.0%}); "
            f"in the pool {_s(in_pool)} ({in_pool / one - 1:+.0%})"
        )
        print(
            f"     bare SimPy side by side: CPU {_s(bare_two)} against {_s(bare_one)} alone "
            f"({bare_two / bare_one - 1:+.0%}): what two processes cost each other without the model's memory"
        )

    def authorities(self) -> None:
        listed = _sub("authority_list", year=self.profile_year)["authorities"]
        known = [a for a in listed if a["population"] is not None]
        chosen = spread(known, self.sample)
        print(
            f"\n9. estimate for all {len(listed)} authorities × {NATIONAL_REPS} replications × "
            f"{NATIONAL_YEARS} years (profiles at 31 March {self.profile_year}; measured: "
            f"{_n(len(chosen), 'authority')} × {_n(self.sample_reps, 'replication')} × "
            f"{_n(self.years, 'year')}, one process each)"
        )
        runs = []
        for a in chosen:
            r = _sub(
                "authority_task",
                code=a["code"],
                year=self.profile_year,
                reps=self.sample_reps,
                years=self.years,
                factor=self.scale,
                seed=1,
            )
            runs.append(r)
            print(
                f"   {r['name']} ({r['code']}): {r['population']:,} children, "
                f"{_n(r['simulated_years'], 'simulated year')}; profile {_s(r['profile_cpu_s'])} CPU; "
                f"replications CPU {', '.join(_s(c) for c in r['cpu_s'])}; peak RSS {r['peak_rss_mb']:.0f} MB"
            )
        estimate = national_estimate(runs, known, cores=os.cpu_count() or 1)
        baseline = self._replications.get((self.scale, self.years))
        if baseline is not None:
            child_years = baseline["population"] * baseline["simulated_years"]
            rate = baseline["cpu_s"] / child_years
            estimate["baseline_cpu_per_10k_child_years"] = rate * 10_000
            estimate["baseline_total_cpu_s"] = rate * estimate["children"] * NATIONAL_REPS * NATIONAL_YEARS
        print_estimate(estimate, len(listed) - len(known))
        self.figures["authorities"] = {"sample": runs, "estimate": estimate}


def spread(authorities: Sequence[Figures], n: int) -> list[Figures]:
    """``n`` authorities spread over population sizes: those at the (2i+1)/2n quantiles of population."""
    ordered = sorted(authorities, key=lambda a: (a["population"], a["code"]))
    n = max(1, min(n, len(ordered)))
    return [ordered[int((2 * i + 1) * len(ordered) / (2 * n))] for i in range(n)]


def national_estimate(runs: Sequence[Figures], known: Sequence[Figures], cores: int) -> Figures:
    """CPU per replication-year per 10,000 children from the sampled ``runs``, extrapolated to ``known``."""
    per_rep = [sum(r["cpu_s"]) / len(r["cpu_s"]) for r in runs]  # mean CPU of one replication
    per_year = [c / r["simulated_years"] for c, r in zip(per_rep, runs, strict=True)]
    pops = [r["population"] for r in runs]
    rate = sum(per_rep) / sum(r["population"] * r["simulated_years"] for r in runs)  # CPU s per child-year
    total_children = sum(a["population"] for a in known)
    reps_years = NATIONAL_REPS * NATIONAL_YEARS
    profiles = len(known) * sum(r["profile_cpu_s"] for r in runs) / len(runs)
    total = rate * total_children * reps_years + profiles
    out: Figures = {
        "authorities": len(known),
        "children": total_children,
        "cpu_per_10k_child_years": rate * 10_000,
        "profiles_cpu_s": profiles,
        "total_cpu_s": total,
        "cores_here": cores,
        "wall_here_s": total / cores,
        "cluster_cores": CLUSTER_CORES,
        "wall_cluster_s": total / CLUSTER_CORES,
    }
    if len(set(pops)) >= 2:  # CPU per replication-year = fixed + per_child × population
        mean_p, mean_c = sum(pops) / len(pops), sum(per_year) / len(per_year)
        slope = sum((p - mean_p) * (c - mean_c) for p, c in zip(pops, per_year, strict=True)) / sum(
            (p - mean_p) ** 2 for p in pops
        )
        fixed = mean_c - slope * mean_p
        fitted = sum(fixed + slope * a["population"] for a in known) * reps_years + profiles
        out |= {
            "fit_fixed_cpu_s": fixed,
            "fit_cpu_per_10k_children": slope * 10_000,
            "fit_total_cpu_s": fitted,
        }
    return out


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else _s(seconds)


def print_estimate(e: Figures, unprofiled: int) -> None:
    """Section 9's estimate: the rate, the CPU total, the wall time here and on a cluster, cross-checks."""
    cores, total = e["cores_here"], e["total_cpu_s"]
    print(
        f"   cost: {e['cpu_per_10k_child_years']:.3f} CPU s per replication-year per 10,000 children "
        "(sample CPU ÷ sample child-years; each authority's mean replication)"
    )
    skipped = f" ({unprofiled} without a population figure left out)" if unprofiled else ""
    print(
        f"   {e['authorities']} authorities{skipped}, {e['children']:,.0f} children × {NATIONAL_REPS} "
        f"replications × {NATIONAL_YEARS} years: {_duration(total)} of CPU, of which profiling each "
        f"authority once {_duration(e['profiles_cpu_s'])}"
    )
    print(
        "   wall time, assuming linear scaling over cores (replications share nothing; scheduling, data "
        "transfer and the tail of the last tasks ignored; cores as fast as these):"
    )
    print(f"     this machine, {cores} cores: {_duration(total / cores)}")
    print(f"     a {CLUSTER_CORES}-core Dask cluster: {_duration(total / CLUSTER_CORES)}")
    if "fit_total_cpu_s" in e:
        fitted = e["fit_total_cpu_s"]
        print(
            f"   second estimate, CPU per replication-year fitted as {_s(e['fit_fixed_cpu_s'])} + "
            f"{e['fit_cpu_per_10k_children']:.3f} s per 10,000 children: {_duration(fitted)} of CPU, "
            f"{_duration(fitted / cores)} here, {_duration(fitted / CLUSTER_CORES)} on {CLUSTER_CORES} cores"
        )
    if "baseline_total_cpu_s" in e:
        print(
            f"   cross-check, section 2's baseline: {e['baseline_cpu_per_10k_child_years']:.3f} CPU s per "
            f"replication-year per 10,000 children, {_duration(e['baseline_total_cpu_s'])} of CPU without "
            "profiles"
        )


# ---------------------------------------------------------------------------------------------------------
# Command line.
# ---------------------------------------------------------------------------------------------------------


def _sections(text: str | None, full: bool) -> list[str]:
    if text is None:
        return [s for s in SECTIONS if full or s not in FULL_ONLY]
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return [s for s in SECTIONS if s in chosen]


def write_json(path: Path, figures: Figures) -> None:
    """Write ``figures`` to ``path`` atomically (a temporary file in the same folder, then replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it an ordinary file's mode
        with os.fdopen(fd, "w") as f:
            json.dump(figures, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also sections hundred and authorities")
    ap.add_argument("--only", metavar="NAME[,NAME]", help=f"run only these sections: {','.join(SECTIONS)}")
    ap.add_argument(
        "--repeat", type=int, default=3, help="fresh-process runs of each measurement (default 3)"
    )
    ap.add_argument("--json", metavar="FILE", type=Path, help="also write every figure to this file")
    ap.add_argument("--scale", type=float, default=1.0, help="population factor, for smoke runs (default 1)")
    ap.add_argument("--years", type=int, default=5, help="reported years (default 5; horizon compares 2×)")
    ap.add_argument("--hundred-reps", type=int, default=100, help="replications in 'hundred' (default 100)")
    ap.add_argument("--sample", type=int, default=3, help="authorities measured in 'authorities' (default 3)")
    ap.add_argument(
        "--sample-reps", type=int, default=2, help="replications per sampled authority (default 2)"
    )
    ap.add_argument(
        "--profile-year", type=int, default=2024, help="authorities as at 31 March (default 2024)"
    )
    return ap


def main() -> None:
    args = _parser().parse_args()
    if args.scale <= 0 or min(args.years, args.repeat, args.hundred_reps, args.sample, args.sample_reps) < 1:
        raise SystemExit("--scale must be positive; --years, --repeat and the counts at least 1")
    sections = _sections(args.only, args.full)
    bench = Bench(
        repeat=args.repeat,
        scale=args.scale,
        years=args.years,
        full=args.full,
        hundred_reps=args.hundred_reps,
        sample=args.sample,
        sample_reps=args.sample_reps,
        profile_year=args.profile_year,
    )
    m = machine()
    print(f"caseflow benchmarks (issue 12), {m['date']}")
    print(
        f"machine: {m['platform']}, {m['processor']}, {m['cores']} cores; Python {m['python']}, "
        f"SimPy {m['simpy']}, numpy {m['numpy']}"
    )
    print(f"commit: {m['commit']}; caseflow imported from {m['caseflow']}")
    print(
        f"settings: population ×{args.scale:g} of 60,000, {_reported(args.years)}, fastest of "
        f"{args.repeat} fresh-process run(s) by CPU time"
    )
    bench.figures["machine"] = m
    bench.figures["settings"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    run = {
        "bare": bench.bare,
        "replication": bench.replication_section,
        "setup": bench.setup,
        "kpis": bench.kpis,
        "cli": bench.cli,
        "population": bench.population,
        "horizon": bench.horizon,
        "hundred": bench.hundred,
        "authorities": bench.authorities,
    }
    for name in sections:
        run[name]()
        sys.stdout.flush()
        if args.json:  # after every section, so a failure later keeps what was measured
            write_json(args.json, bench.figures)
    if args.json:
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
