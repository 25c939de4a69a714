"""How long calibrating one authority takes (issue target: under 10 minutes on 2 cores).

    python benchmarks/bench_calibrate.py                        # Peterborough to 2024, workforce on
    python benchmarks/bench_calibrate.py --authority Kent --no-workforce

Prints the wall time of ``calibrate_authority`` with the defaults of ``caseflow calibrate`` (2 fit
years, 6 iterations × 2 replications, 5 confirmation replications) on local processes, the number of
simulation runs it made, peak RSS (this process and its worker processes), and the event rate of a
bare SimPy loop measured in the same run, so figures from different machines can be compared.
Record the figures in docs/performance.md with date and machine. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench  # the bare SimPy loop, shared with bench.py

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authority", default="Peterborough")
    ap.add_argument("--fit-to", type=int, default=2024)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-workforce", action="store_true")
    args = ap.parse_args()

    import caseflow
    from caseflow import data
    from caseflow.calibrate.authority import calibrate_authority

    bare = bench.bare_simpy()
    pub = data.load()
    base = caseflow.load_scenario(ROOT / "scenarios" / "baseline.toml")
    started = time.perf_counter()
    fit = calibrate_authority(
        pub, base, args.authority, args.fit_to, workers=args.workers, workforce=not args.no_workforce
    )
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"bare SimPy: {bare['events_per_s']:,.0f} events/s")
    print(
        f"calibrating {fit.calibration.scenario.name.split(' ')[0]} to {args.fit_to} "
        f"({'workforce off' if args.no_workforce else 'workforce on'}, {args.workers} workers): "
        f"{wall:.1f} s wall, {fit.calibration.runs} simulation runs"
    )
    print(f"peak RSS: {own:.0f} MB here, {children:.0f} MB the largest worker")
    print(fit.calibration.summary())


if __name__ == "__main__":
    main()
