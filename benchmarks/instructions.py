"""Instructions a replication executes, counted by valgrind: a measure of work that noise cannot move.

    python benchmarks/instructions.py                      # baseline, seed 1, 1 reported year
    python benchmarks/instructions.py --years 5
    python benchmarks/instructions.py --python /tmp/other-build/bin/python   # another build, A/B
    python benchmarks/instructions.py --caches             # and simulated cache misses (slower)
    python benchmarks/instructions.py --caches --scale 4   # 240,000 children

On this shared 2-core machine the CPU time of the same replication varies by ±15% from one run to the
next, which hides any change smaller than that (docs/performance-history.md, "Third round"). The
number of machine instructions a run executes does not vary: valgrind's ``cachegrind`` tool counts
them (two runs of the same command agree to 0.1%, with string hashing fixed by
``PYTHONHASHSEED=0``), at about 30 times the run's normal duration. This counts:

- **the replication**: ``caseflow.simulate(baseline, seed, years)`` (warm-up included), as the
  instructions of a process that loads the scenario and simulates, less those of a process that only
  loads it (imports, start-up);
- **bare SimPy**, the reference of issue 12 (1,000 processes each yielding exponential timeouts, as
  ``benchmarks/bench.py`` section 1), as the instructions of 200 timeouts per process less those of
  100, times ten: the instructions of 1,000,000 bare timeouts;

and prints both, the events, and their ratio. ``--without-recurring-work`` empties the schedule of
visits, reviews and core groups first: the most that any cheaper model of recurring work could save.

Instructions are not time: cache misses and the processor's parallelism make some instructions
dearer than others, and a larger authority pays more for memory. ``--caches`` has valgrind simulate
this machine's first-level instruction and data caches and its per-core second-level cache
(:data:`CACHES`) for both programs, and prints each one's misses per 1,000 instructions: how much more
often than bare SimPy a replication waits for memory. valgrind's model has no prefetching and no
out-of-order execution, so read those ratios as a comparison, not as time. Read the instruction
ratio as the work a change removes, and confirm a gain in time with ``benchmarks/bench.py`` (which
prints wall time, peak memory and the time ratio to bare SimPy). Each count runs in a fresh
process; ``--python`` and ``--path`` measure another install (a compiled build made with
``CASEFLOW_COMPILE=1 pip install --target DIR .`` runs with ``--path DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_BARE = """
import sys
import numpy as np
import simpy
n = int(sys.argv[1])
env = simpy.Environment()
rng = np.random.default_rng(1)
delays = rng.exponential(1.0, n * 1000).tolist()
def proc(i):
    for k in range(n):
        yield env.timeout(delays[i * n + k])
for i in range(1000):
    env.process(proc(i))
env.run()
"""

_REPLICATION = """
import json, sys
import caseflow
from caseflow.replication import simulate
scenario = caseflow.load_scenario(sys.argv[1])
if float(sys.argv[6]) != 1.0:
    from caseflow.scenario import scaled
    scenario = scaled(scenario, float(sys.argv[6]))
if sys.argv[5] == "without":
    from caseflow.model.workforce import schedule
    schedule.SCHEDULE.clear()  # no visits, reviews or core groups: what they cost, at most
if sys.argv[2] == "run":
    out = simulate(scenario, seed=int(sys.argv[3]), years=int(sys.argv[4]))
    print(json.dumps({"events": out.events}))
"""


#: Cache simulation (``--caches``): this machine's first-level instruction and data caches and its
#: per-core second-level cache (``lscpu``: 64 KiB L1i, 96 KiB L1d, 2 MiB L2 per core, over 2 cores), as
#: valgrind's ``--I1``, ``--D1`` and ``--LL`` options: size in bytes, associativity, line size.
CACHES = {"I1": "32768,8,64", "D1": "49152,12,64", "LL": "2097152,16,64"}

#: What valgrind's summary reports, and the names printed for them.
_COUNTS = {
    "I   refs": "instructions",
    "I1  misses": "first-level instruction-cache misses",
    "D1  misses": "first-level data-cache misses",
    "LL misses": "second-level cache misses (instructions and data)",
}


def count(
    python: str, code: str, args: list[str], env: dict[str, str], caches: dict[str, str] | None = None
) -> tuple[dict[str, int], str]:
    """Instructions executed by ``python -c code args`` (and what it printed); with ``caches``, also the
    misses of those simulated caches (see :data:`CACHES`)."""
    sim = ["--cache-sim=no"]
    if caches is not None:
        sim = ["--cache-sim=yes", *(f"--{level}={spec}" for level, spec in caches.items())]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "measured.py"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run(
            ["valgrind", "--tool=cachegrind", *sim, "--cachegrind-out-file=/dev/null",
             python, str(script), *args],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"valgrind {python} failed:\n{done.stderr[-2000:]}")
    figures: dict[str, int] = {}
    for label in _COUNTS if caches is not None else ["I   refs"]:
        match = re.search(rf"{re.escape(label)}:\s+([\d,]+)", done.stderr)
        if match is None:
            raise SystemExit(f"no {label.split()[0]!r} count in valgrind's report:\n{done.stderr[-2000:]}")
        figures[_COUNTS[label]] = int(match.group(1).replace(",", ""))
    return figures, done.stdout


def _less(a: dict[str, int], b: dict[str, int], times: int = 1) -> dict[str, int]:
    return {k: times * (a[k] - b[k]) for k in a}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    ap.add_argument("--years", type=int, default=1, help="reported years (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="population × this (default 1: 60,000)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    ap.add_argument("--path", default=None, help="PYTHONPATH for the measured runs (a --target build)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument(
        "--caches", action="store_true",
        help="also simulate this machine's caches and compare misses per instruction (slower)",
    )  # fmt: skip
    ap.add_argument(
        "--without-recurring-work", action="store_true",
        help="no visits, reviews or core groups: the most any cheaper model of them could save",
    )  # fmt: skip
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (apt-get install valgrind)")
    if args.years < 1:
        raise SystemExit("--years must be at least 1")
    if not args.scale > 0:
        raise SystemExit("--scale must be greater than 0")
    env = dict(os.environ, PYTHONHASHSEED="0")  # string hashes vary per process otherwise (about 3%)
    if args.path:
        env["PYTHONPATH"] = args.path
    scenario = str(args.scenario.resolve())
    print(f"{args.python}{'  PYTHONPATH=' + args.path if args.path else ''}", flush=True)
    kernel = subprocess.run(
        [args.python, "-c", "from caseflow import kernel; print(sum(kernel.compiled().values()))"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout.strip()  # fmt: skip
    print(f"compiled kernel modules: {kernel}", flush=True)

    caches = CACHES if args.caches else None
    small, _ = count(args.python, _BARE, ["100"], env, caches)
    large, _ = count(args.python, _BARE, ["200"], env, caches)
    bare = _less(large, small, 10)
    print(
        f"bare SimPy: {bare['instructions']:,} instructions for 1,000,000 timeouts "
        f"({bare['instructions'] / 1e6:,.0f} a timeout)"
    )

    recurring = "without" if args.without_recurring_work else "with"
    scale = str(args.scale)
    start, _ = count(args.python, _REPLICATION, [scenario, "load", "-", "-", recurring, scale], env, caches)
    run = [scenario, "run", str(args.seed), str(args.years), recurring, scale]
    whole, printed = count(args.python, _REPLICATION, run, env, caches)
    measured = _less(whole, start)
    replication = measured["instructions"]
    events = json.loads(printed.strip().splitlines()[-1])["events"]
    ratio = replication / bare["instructions"]
    without = ", without recurring work" if args.without_recurring_work else ""
    print(
        f"replication ({args.scenario.name} × {args.scale:g}, seed {args.seed}, {args.years} reported "
        f"year(s) and the warm-up{without}): {replication:,} instructions, {events:,} events "
        f"({replication / events:,.0f} an event); {ratio:.2f}× bare SimPy"
    )
    misses: dict[str, dict[str, float]] = {}
    if caches is not None:
        spec = ", ".join(f"{level} {int(s.split(',')[0]) // 1024} KiB" for level, s in caches.items())
        print(f"simulated caches ({spec}), misses per 1,000 instructions:")
        for name in list(_COUNTS.values())[1:]:
            per_bare = 1000 * bare[name] / bare["instructions"]
            per_run = 1000 * measured[name] / replication
            times = per_run / per_bare
            misses[name] = {"bare": per_bare, "replication": per_run, "ratio": times}
            print(f"  {name}: bare SimPy {per_bare:.2f}, replication {per_run:.2f} ({times:.2f}×)")
    if args.json is not None:
        figures = {
            "python": args.python, "path": args.path, "compiled_modules": int(kernel),
            "scenario": scenario, "scale": args.scale, "seed": args.seed, "years": args.years,
            "bare_instructions_1m": bare["instructions"], "replication_instructions": replication,
            "events": events, "ratio": ratio, "recurring_work": not args.without_recurring_work,
            "caches": caches, "misses_per_1000_instructions": misses,
        }  # fmt: skip
        from caseflow.files import atomic_write_text

        atomic_write_text(args.json, json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
