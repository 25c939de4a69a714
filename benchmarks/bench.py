"""caseflow benchmarks: speed, memory and how cost grows with population and horizon.

    python benchmarks/bench.py            # quick: baseline replication, bare SimPy, scaling
    python benchmarks/bench.py --full     # also 100 baseline replications on all cores

Each measurement runs in a fresh subprocess so peak RSS (resident set size) is its own, and each
single-replication measurement is repeated (``--repeat``, default 3) and its fastest run reported,
as ``timeit`` does: on a shared machine the minimum is the steadiest estimate of the work itself,
and the ratios (bare SimPy, doubling population or horizon) compare like with like. Prints:
events/s, contacts/s, wall time, peak RSS, and the ratio of caseflow's event rate to a bare SimPy
timeout loop measured in the same run. Record the figures in docs/performance.md with date and machine.
Benchmarks are not tests: nothing here asserts a time limit, but the event count of a fixed run is
printed so that semantic drift shows up as a changed count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def bare_simpy(n_events: int = 1_000_000) -> dict[str, float]:
    """Events per second of a bare SimPy loop: 10 processes yielding timeouts."""
    import simpy

    env = simpy.Environment()

    def proc(env: simpy.Environment) -> object:
        while True:
            yield env.timeout(1.0)

    for _ in range(10):
        env.process(proc(env))
    t = time.perf_counter()
    env.run(until=n_events / 10)
    wall = time.perf_counter() - t
    events = next(env._eid)
    return {"events": events, "wall_s": wall, "events_per_s": events / wall, "peak_rss_mb": _peak_rss_mb()}


def one_replication(factor: float, years: int, seed: int) -> dict[str, float]:
    import caseflow
    from caseflow.replication import simulate

    s = caseflow.load_scenario(BASELINE)
    if factor != 1.0:
        s = caseflow.scenario.scaled(s, factor)
    t = time.perf_counter()
    out = simulate(s, seed=seed, years=years)
    wall = time.perf_counter() - t
    contacts = sum(out.recorder.counts["contacts"])
    return {
        "population": s.population,
        "years": years,
        "simulated_years": years + s.run.warmup_years,
        "events": out.events,
        "wall_s": wall,
        "events_per_s": out.events / wall,
        "contacts_per_s": contacts / wall,
        "peak_rss_mb": _peak_rss_mb(),
    }


def many(reps: int, years: int) -> dict[str, float]:
    import caseflow

    t = time.perf_counter()
    caseflow.run(BASELINE, years=years, replications=reps, seed=1, executor="processes")
    wall = time.perf_counter() - t
    return {
        "replications": reps,
        "years": years,
        "workers": os.cpu_count() or 1,
        "wall_s": wall,
        "peak_rss_mb_parent": _peak_rss_mb(),
    }


def _sub(call: str) -> dict[str, float]:
    here = str(Path(__file__).parent)
    code = f"import json, sys; sys.path.insert(0, {here!r}); import bench; print(json.dumps(bench.{call}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(call: str, repeat: int) -> dict[str, Any]:
    """The fastest of ``repeat`` fresh-process runs of ``call`` (all wall times kept in ``walls_s``)."""
    runs = [_sub(call) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["wall_s"])
    return {**best, "walls_s": [r["wall_s"] for r in runs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also time 100 replications on all cores")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each single-replication measurement")
    args = ap.parse_args()
    print(
        f"caseflow benchmarks — {time.strftime('%Y-%m-%d %H:%M')} — {platform.platform()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    figures: dict[str, object] = {}
    rep = max(1, args.repeat)
    bare = _best("bare_simpy()", rep)
    figures["bare_simpy"] = bare
    print(f"\nbare SimPy timeout loop: {bare['events_per_s']:,.0f} events/s ({bare['events']:,} events)")

    base = _best("one_replication(1.0, 5, 1)", rep)
    figures["baseline_5y"] = base
    ratio = base["events_per_s"] / bare["events_per_s"]
    print(f"\nbaseline, one 5-year replication (+1 warm-up year), seed 1 (fastest of {rep}):")
    print(
        f"  wall {base['wall_s']:.2f} s | {base['events']:,} events | {base['events_per_s']:,.0f} events/s "
        f"({ratio:.2f}× bare SimPy) | {base['contacts_per_s']:,.0f} contacts/s | "
        f"peak RSS {base['peak_rss_mb']:.0f} MB"
    )
    print("  runs: " + ", ".join(f"{w:.2f} s" for w in base["walls_s"]))

    print("\nscaling with population (5 reported years):")
    rows = []
    for f in (0.5, 1.0, 2.0):
        r = base if f == 1.0 else _best(f"one_replication({f}, 5, 1)", rep)
        rows.append(r)
        print(
            f"  {r['population']:>7,} children: {r['wall_s']:6.2f} s, {r['events']:>9,} events, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    figures["population"] = rows
    print(
        f"  doubling cost: 30k→60k {rows[1]['wall_s'] / rows[0]['wall_s']:.2f}×, "
        f"60k→120k {rows[2]['wall_s'] / rows[1]['wall_s']:.2f}×"
    )

    print("\nscaling with horizon (60,000 children; +1 warm-up year each):")
    rows = []
    for y in (1, 5, 10):
        r = base if y == 5 else _best(f"one_replication(1.0, {y}, 1)", rep)
        rows.append(r)
        print(
            f"  {y:>2} years: {r['wall_s']:6.2f} s, {r['events']:>9,} events, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    figures["horizon"] = rows
    print(
        f"  5→10 years: {rows[2]['wall_s'] / rows[1]['wall_s']:.2f}× the time for "
        f"{(10 + 1) / (5 + 1):.2f}× the simulated years"
    )

    if args.full:
        m = _sub("many(100, 5)")
        figures["hundred"] = m
        print(f"\n100 baseline replications × 5 years on {m['workers']} cores: {m['wall_s']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
