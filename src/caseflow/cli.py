"""The ``caseflow`` command line (DESIGN §8).

    caseflow run SCENARIO [--years N] [--reps N] [--seed N] [--out DIR] [--json FILE] [--workers N]
    caseflow validate SCENARIO

Exit codes: 0 success; 2 invalid scenario or arguments; 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from caseflow.experiment.runner import run
from caseflow.output import format_headline, write_json, write_report
from caseflow.scenario.loader import ScenarioError, load_scenario

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="caseflow",
        description="Simulate children's social care case flow and social-worker capacity.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a scenario and print its KPIs with 95%% confidence intervals")
    r.add_argument("scenario", help="scenario TOML file")
    r.add_argument("--years", type=_positive, default=None, help="financial years after warm-up")
    r.add_argument("--reps", type=_positive, default=10, help="replications (default 10)")
    r.add_argument("--seed", type=_non_negative, default=0, help="random seed (default 0)")
    r.add_argument("--out", metavar="DIR", help="write the results folder here")
    r.add_argument("--json", metavar="FILE", help="write headline KPIs as JSON here")
    r.add_argument("--workers", type=_positive, default=None, help="local processes (default: all cores)")

    v = sub.add_parser("validate", help="check a scenario file")
    v.add_argument("scenario", help="scenario TOML file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            scenario = load_scenario(args.scenario)
            print(f"OK: {args.scenario} is a valid scenario ({scenario.name}, hash {scenario.hash()[:12]})")
            return EXIT_OK
        scenario = load_scenario(args.scenario)
        results = run(
            scenario, years=args.years, replications=args.reps, seed=args.seed, workers=args.workers
        )
        print(format_headline(results))
        if args.json:
            write_json(args.json, results.to_json_dict())
            print(f"\nwrote {args.json}")
        if args.out:
            write_report(results, args.out)
            print(f"wrote {args.out}/")
        return EXIT_OK
    except ScenarioError as exc:
        print(f"caseflow: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("caseflow: interrupted", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
