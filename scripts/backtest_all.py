"""Run the built-in backtest over every current authority and write the tables and charts.

    python scripts/backtest_all.py --train-to 2022 --horizons 1 2 --reps 3 --workers 2 --out runs/backtest

Prints the summary and the accuracy targets as markdown tables, and the wall time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from caseflow.backtest import Backtest, backtest, markdown_table
from caseflow.data import load


def combine(a: Backtest, b: Backtest) -> Backtest:
    """Two backtests of different authorities as one."""
    return Backtest(
        table=pd.concat([a.table, b.table], ignore_index=True),
        failures=pd.concat([a.failures, b.failures], ignore_index=True),
        train_to=a.train_to,
        horizons=a.horizons,
        settings=a.settings,
        warnings=a.warnings | b.warnings,
        seconds=a.seconds + b.seconds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train-to", type=int, default=2022, help="last year to 31 March the fit sees")
    parser.add_argument("--horizons", type=int, nargs="+", default=[1, 2], help="years ahead to score")
    parser.add_argument("--reps", type=int, default=3, help="replications of each forward run")
    parser.add_argument("--calibration-reps", type=int, default=2, help="replications per calibration step")
    parser.add_argument("--iterations", type=int, default=6, help="calibration iterations")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument("--executor", default="processes", help="processes, sequential or a Dask address")
    parser.add_argument("--authorities", nargs="*", default=None, help="names or codes (default: all)")
    parser.add_argument("--data", default=None, help="folder of published files (default: the snapshot)")
    parser.add_argument("--base", default="scenarios/baseline.toml", help="the England-average scenario")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/backtest"), help="output folder")
    parser.add_argument(
        "--workforce",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="fit with the workforce model on (slower)",
    )
    parser.add_argument(
        "--chunk", type=int, default=20, help="authorities per chunk (results saved after each)"
    )
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    codes = args.authorities or list(load(args.data).authorities(args.train_to)["code"])
    settings: dict[str, Any] = {
        "data": args.data,
        "base": args.base,
        "replications": args.reps,
        "calibration_replications": args.calibration_reps,
        "iterations": args.iterations,
        "seed": args.seed,
        "executor": args.executor,
        "workers": args.workers,
        "workforce": args.workforce,
        "progress": args.progress,
    }
    bt: Backtest | None = None
    for first in range(0, len(codes), args.chunk):  # save what is done after every chunk
        part = backtest(
            args.train_to, tuple(args.horizons), authorities=codes[first : first + args.chunk], **settings
        )
        bt = part if bt is None else combine(bt, part)
        bt.write(args.out)
        print(
            f"{min(first + args.chunk, len(codes))}/{len(codes)} authorities done "
            f"({time.perf_counter() - started:.0f} s); {len(bt.failures)} failed so far",
            flush=True,
        )
    assert bt is not None
    written = bt.write(args.out)
    wall = time.perf_counter() - started

    summary = bt.summary().drop(columns=["label"])
    print(f"## Backtest: fitted to 31 March {args.train_to}, horizons {', '.join(map(str, bt.horizons))}\n")
    print(f"{bt.table['la_code'].nunique()} authorities scored, {len(bt.failures)} failed\n")
    print("### Summary (errors in %, ICPC timeliness in points)\n")
    print(markdown_table(summary))
    print("\n### Targets\n")
    print(markdown_table(bt.targets()))
    if not bt.failures.empty:
        print("\n### Failures\n")
        print(markdown_table(bt.failures))
    print(f"\nwritten: {', '.join(str(p) for p in written)}")
    print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
