"""Fingerprints of every bundled scenario's results, to show that a change is only an optimisation or a
reshaping (bit-identical KPIs, events and per-case records for fixed seeds) or to see what it changed.

    python scripts/fingerprint.py > before.txt      # on the old commit
    python scripts/fingerprint.py > after.txt       # on the new one
    diff before.txt after.txt                       # empty: bit-identical

Each line: scenario, SimPy events, and SHA-256 digests of the KPI table (every float written with
``repr``, so a last-bit difference shows), the monthly KPI table and the per-case records of one
replication (seed 3, replication 1, two reported years after the warm-up); the first scenario is
also run with the workforce switched off (task times sampled).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pandas as pd

from caseflow import compute_kpis, load_scenario, simulate

ROOT = Path(__file__).resolve().parents[1]


def digest(frame: pd.DataFrame) -> str:
    text = frame.to_csv(float_format=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(path: Path, *, seed: int, years: int, workforce: bool = True) -> str:
    scenario = load_scenario(path)
    label = path.stem
    if not workforce and scenario.workforce is not None:
        scenario = scenario.with_overrides({"workforce.enabled": False})
        label += " (sampled times)"
    out = simulate(scenario, seed=seed, replication=1, years=years, records=True)
    kpis = compute_kpis(out)
    records = out.case_records if out.case_records is not None else pd.DataFrame()
    return f"{label:32s} events={out.events:8d} kpis={digest(kpis)} records={digest(records)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, help="scenario files (default: all bundled)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--years", type=int, default=2)
    args = parser.parse_args(argv)
    paths = args.scenarios or sorted((ROOT / "scenarios").glob("*.toml"))
    for path in paths:
        print(fingerprint(path, seed=args.seed, years=args.years), flush=True)
    # the model without the workforce: task durations sampled from published distributions
    print(fingerprint(paths[0], seed=args.seed, years=args.years, workforce=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
