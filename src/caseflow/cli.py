"""The ``caseflow`` command line (DESIGN §8).

    caseflow run SCENARIO [--years N] [--reps N] [--seed N] [--out DIR] [--json FILE] [--workers N]
    caseflow validate SCENARIO
    caseflow compare BASELINE OTHER... [--years N] [--reps N] [--seed N] [--workers N] [--json FILE]
                     [--excel FILE] [--kpis a,b] [--all] [--store DIR]
    caseflow profile | calibrate | backtest | data ...   (your own authority: caseflow.cli_authority)
    caseflow target ...                                  (what do we need?: caseflow.cli_planning)

Exit codes: 0 success; 2 invalid scenario or arguments; 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from caseflow import cli_authority, cli_planning

if TYPE_CHECKING:
    from caseflow.experiment.compare import Comparison

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


def _int_at_least(lowest: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``lowest``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < lowest:
            allowed = "0 or more" if lowest == 0 else f"at least {lowest}"
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
        return value

    return parse


_positive = _int_at_least(1)
_non_negative = _int_at_least(0)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="caseflow",
        description="Simulate children's social care case flow and social-worker capacity.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    def experiment_flags(sp: argparse.ArgumentParser) -> None:
        """Flags shared by ``run`` and ``compare``."""
        sp.add_argument("--years", type=_positive, default=None, help="financial years after warm-up")
        sp.add_argument("--reps", type=_positive, default=10, help="replications (default 10)")
        sp.add_argument("--seed", type=_non_negative, default=0, help="random seed (default 0)")
        sp.add_argument(
            "--workers", type=_positive, default=None, help="local processes (default: all cores)"
        )
        sp.add_argument("--store", metavar="DIR", help="save each finished replication here; rerun to resume")
        sp.add_argument(
            "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar"
        )

    r = sub.add_parser("run", help="run a scenario and print its KPIs with 95%% confidence intervals")
    r.add_argument("scenario", help="scenario TOML file")
    experiment_flags(r)
    r.add_argument("--out", metavar="DIR", help="write the results folder here")
    r.add_argument("--json", metavar="FILE", help="write headline KPIs as JSON here")

    v = sub.add_parser("validate", help="check a scenario file (or a briefing file)")
    v.add_argument("scenario", help="scenario or briefing TOML file")

    c = sub.add_parser(
        "compare", help="run scenarios on common random numbers; print effects against the first"
    )
    c.add_argument("scenarios", nargs="+", help="scenario TOML files; the first is the baseline")
    experiment_flags(c)
    c.add_argument("--json", metavar="FILE", help="write the effects as JSON here")
    c.add_argument("--excel", metavar="FILE", help="write an Excel workbook of the comparison here")
    c.add_argument(
        "--kpis", help="comma-separated KPIs to show (default: headline timeliness, caseload, cost)"
    )
    c.add_argument("--all", action="store_true", help="show every KPI")
    c.add_argument("--by-year", action="store_true", help="also show the effects financial year by year")
    cli_authority.add_commands(sub, _positive, _non_negative)
    cli_planning.add_commands(sub, _positive, _non_negative)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Imported only now, so that --help (which exits while parsing) answers at once.
    from caseflow.data.errors import DataError
    from caseflow.files import OutputFolderError
    from caseflow.scenario.loader import ScenarioError, load_scenario

    progress = getattr(args, "progress", None)
    if progress is None:
        progress = sys.stderr.isatty()
    try:
        done = cli_authority.run_command(args, progress)
        if done is None:
            done = cli_planning.run_command(args, progress)
        if done is not None:
            return done
        if args.command == "compare":
            return _compare(args, progress)
        if args.command == "validate":
            from caseflow.present.briefing import is_briefing, load_briefing

            if is_briefing(args.scenario):
                briefing = load_briefing(args.scenario)
                print(f"OK: {args.scenario} is a valid briefing ({len(briefing.options)} options)")
                return EXIT_OK
            scenario = load_scenario(args.scenario)
            print(f"OK: {args.scenario} is a valid scenario ({scenario.name}, hash {scenario.hash()[:12]})")
            return EXIT_OK
        from caseflow.experiment.runner import run
        from caseflow.files import replaceable_folder, write_json
        from caseflow.present.text import format_headline

        scenario = load_scenario(args.scenario)
        if args.out:
            replaceable_folder(args.out)  # before an hour of simulation, not after
        results = run(
            scenario,
            years=args.years,
            replications=args.reps,
            seed=args.seed,
            workers=args.workers,
            progress=progress,
            store=args.store,
        )
        print(format_headline(results))
        if args.json:
            write_json(args.json, results.to_json_dict())
            print(f"\nwrote {args.json}")
        if args.out:
            from caseflow.present.report import write_report  # loads matplotlib and openpyxl

            write_report(results, args.out)
            print(f"wrote {args.out}/")
        return EXIT_OK
    except (ScenarioError, DataError, OutputFolderError) as exc:
        print(f"caseflow: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("caseflow: interrupted", file=sys.stderr)
        return EXIT_FAILURE


#: KPIs shown by ``caseflow compare`` unless --kpis or --all is given (per-team caseloads are added).
COMPARE_KPIS = (
    "referrals_per_10k",
    "assessment_within_45wd_pct",
    "assessment_median_wd",
    "icpc_within_15wd_pct",
    "cp_visits_on_time_pct",
    "caseload_mean",
    "unallocated_cases_mean",
    "allocation_wait_median_wd",
    "sw_vacancy_pct",
    "sw_agency_pct",
    "cp_per_10k_end",
    "cla_per_10k_end",
    "cost_staff_permanent",
    "cost_staff_agency",
    "cost_total",
)


def _compare(args: argparse.Namespace, progress: bool) -> int:
    from caseflow.experiment.compare import compare
    from caseflow.files import write_json
    from caseflow.present.text import format_effects, format_effects_by_year
    from caseflow.scenario.loader import load_scenario

    if len(args.scenarios) < 2:
        print("caseflow: compare needs at least two scenario files", file=sys.stderr)
        return EXIT_INVALID
    scenarios = [load_scenario(p) for p in args.scenarios]
    comparison = compare(
        scenarios,
        years=args.years,
        replications=args.reps,
        seed=args.seed,
        workers=args.workers,
        progress=progress,
        store=args.store,
    )
    effects = comparison.effects()
    if args.kpis:
        wanted = [k.strip() for k in args.kpis.split(",") if k.strip()]
        unknown = sorted(set(wanted) - set(effects["kpi"]))
        if unknown:
            print(f"caseflow: unknown KPI(s): {', '.join(unknown)}", file=sys.stderr)
            return EXIT_INVALID
    elif args.all:
        wanted = list(dict.fromkeys(effects["kpi"]))
    else:
        wanted = [k for k in COMPARE_KPIS if k in set(effects["kpi"])]
        wanted += sorted(k for k in set(effects["kpi"]) if k.startswith("caseload_mean_"))
    print(format_effects(comparison, wanted))
    if args.by_year:
        print()
        print(format_effects_by_year(comparison, wanted))
    if args.json:
        shown = effects[effects["kpi"].isin(wanted)]
        write_json(
            args.json,
            {
                "baseline": comparison.baseline,
                "seed": args.seed,
                "replications": args.reps,
                "years": comparison.results[comparison.baseline].years,
                "common_random_numbers": True,
                "effects": [
                    {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
                    for row in shown.to_dict(orient="records")
                ],
            }
            | ({"effects_by_year": _by_year_records(comparison, wanted)} if args.by_year else {}),
        )
        print(f"\nwrote {args.json}")
    if args.excel:
        from caseflow.present.excel import write_workbook  # loads openpyxl

        write_workbook(comparison, args.excel)
        print(f"wrote {args.excel}")
    return EXIT_OK


def _by_year_records(comparison: Comparison, wanted: list[str]) -> list[dict[str, object]]:
    table = comparison.effects_by_year()
    shown = table[table["kpi"].isin(wanted)]
    return [
        {str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in shown.to_dict(orient="records")
    ]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
