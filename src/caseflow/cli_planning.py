"""The ``caseflow`` commands that answer "what do we need?", "what does it rest on?", and brief a committee.

    caseflow target SCENARIO --lever FIELD (--kpi KPI (--at-least V | --at-most V) | --target KPI>=V ...)
                    [--confidence C] [--between LO HI] [--step S] [--largest] [--years N] [--seed N]
                    [--reps N] [--max-reps N] [--workers N] [--store DIR] [--json FILE]

    caseflow frontier SCENARIO --team TEAM [--levels FTE...] [--no-search] [--tolerance N] [--chart FILE]
    caseflow frontier SCENARIO --demand [--team TEAM ...] [--between LO HI] [--step S]
                      (both: [--years N] [--seed N] [--reps N] [--max-reps N] [--confidence C]
                       [--workers N] [--store DIR] [--json FILE])

    caseflow sensitivity SCENARIO [--list] [--method morris|sobol] [--trajectories N] [--spread S]
                         [--fields a,b] [--kpis a,b] [--reps N] [--charts DIR] [--json FILE] ...

    caseflow report BRIEFING.toml | BASELINE OPTION... --out FILE.html [--docx FILE.docx]
                    [--title T] [--question Q] [--years N] [--reps N] [--seed N] [--workers N] [--store DIR]

Heavy imports happen inside each command, so ``caseflow --help`` stays quick. Each command declares its
file and folder arguments (``set_defaults(paths=...)``, checked by :func:`caseflow.cli.check_paths`) and
checks the rest once its scenario is loaded, before its first replication: KPI names against what a
run of the scenario reports (:func:`caseflow.metrics.names.check_names` against
:func:`~caseflow.metrics.names.reported_by`, or :func:`comparison_kpis` for ``caseflow compare``),
the lever, teams and fields, flags that would be ignored, and scenario names that would clash
(:func:`check_distinct_names`). A check fails with a ``ValueError`` naming the flag, which
:func:`caseflow.cli.main` prints (exit code 2).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caseflow.scenario.schema import Scenario

__all__ = [
    "add_commands",
    "check_distinct_names",
    "comparison_kpis",
    "names_of",
    "run_command",
]

EXIT_OK, EXIT_INVALID = 0, 2


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive_number(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a share above 0 and below 1 (0.25 is ±25%), got {text}")
    return value


def _share(text: str) -> float:
    value = _number(text)
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a confidence from 0.5 to below 1 (e.g. 0.9), got {text}")
    return value


def add_commands(sub: Any, positive: Callable[[str], int], non_negative: Callable[[str], int]) -> None:
    """Register the commands on the main parser's subparsers."""
    _add_target(sub, positive, non_negative)
    _add_frontier(sub, positive, non_negative)
    _add_sensitivity(sub, positive, non_negative)
    _add_report(sub, positive, non_negative)


def _add_target(sub: Any, positive: Callable[[str], int], non_negative: Callable[[str], int]) -> None:
    t = sub.add_parser(
        "target",
        help="find the smallest (or largest) value of a scenario field that meets KPI targets",
        description=(
            "Find the smallest (or, with --largest, the largest) value of one numeric scenario field "
            "that meets every KPI target with the stated confidence. Example: caseflow target "
            "scenarios/baseline.toml --lever workforce.teams.assessment.establishment "
            "--kpi assessment_within_45wd_pct --at-least 90 --confidence 0.9 --years 3"
        ),
    )
    t.add_argument("scenario", help="scenario TOML file")
    t.add_argument(
        "--lever", required=True, help="dotted path of a numeric field, e.g. demand.contacts_per_year"
    )
    t.add_argument("--kpi", help="the KPI of a single target (with --at-least or --at-most)")
    bound = t.add_mutually_exclusive_group()
    bound.add_argument("--at-least", type=_number, help="the KPI must be at least this")
    bound.add_argument("--at-most", type=_number, help="the KPI must be at most this")
    t.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="KPI>=V",
        help="a target such as caseload_mean<=18 (repeat for several; all must be met)",
    )
    t.add_argument(
        "--confidence", type=_share, default=0.9, help="confidence the targets are met (default 0.9)"
    )
    t.add_argument("--between", type=_number, nargs=2, metavar=("LO", "HI"), help="range to search")
    t.add_argument(
        "--step", type=_positive_number, help="precision of the answer (default 1 for whole numbers)"
    )
    t.add_argument("--largest", action="store_true", help="find the largest value that meets the targets")
    t.add_argument("--years", type=positive, default=None, help="financial years after warm-up")
    t.add_argument("--seed", type=non_negative, default=0, help="random seed (default 0)")
    t.add_argument("--reps", type=positive, default=5, help="first replications at each level (default 5)")
    t.add_argument("--max-reps", type=positive, default=40, help="most replications at a level (default 40)")
    t.add_argument("--workers", type=positive, default=None, help="local processes (default: all cores)")
    t.add_argument("--store", metavar="DIR", help="save each finished replication here; rerun to resume")
    t.add_argument("--json", metavar="FILE", help="write the answer and every level tried as JSON here")
    t.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar")
    t.set_defaults(paths={"--json": ".json", "--store": "folder"})


def _add_frontier(sub: Any, positive: Callable[[str], int], non_negative: Callable[[str], int]) -> None:
    f = sub.add_parser(
        "frontier",
        help="a team's caseloads, timeliness and backlog by establishment; or the most demand absorbed",
        description=(
            "With --team: draw the team's capacity frontier (caseload, timeliness and backlog growth by "
            "establishment) and find the smallest establishment with no growing backlog. With --demand: "
            "find the most contacts a year the establishment absorbs with no case-holding team's backlog "
            "growing (or only the --team teams')."
        ),
    )
    f.add_argument("scenario", help="scenario TOML file")
    f.add_argument("--team", action="append", default=[], help="the team (with --demand: repeat for several)")
    f.add_argument("--demand", action="store_true", help="find the most demand absorbed instead")
    f.add_argument("--levels", type=_number, nargs="+", metavar="FTE", help="establishments drawn")
    f.add_argument("--no-search", action="store_true", help="draw the curve only")
    f.add_argument(
        "--between", type=_number, nargs=2, metavar=("LO", "HI"), help="--demand: multiples of today"
    )
    f.add_argument(
        "--target",
        action="append",
        default=None,
        metavar="KPI>=V",
        help="--demand: a target that must hold too (default contact_decision_within_1wd_pct>=90; repeat)",
    )
    f.add_argument(
        "--step", type=_positive_number, help="precision: FTE, or with --demand a multiple of today (0.05)"
    )
    f.add_argument(
        "--tolerance", type=_positive_number, help="backlog growth (children a year) counted as not growing"
    )
    f.add_argument("--confidence", type=_share, default=0.9, help="confidence (default 0.9)")
    f.add_argument("--years", type=positive, default=None, help="financial years after warm-up (3 or more)")
    f.add_argument("--seed", type=non_negative, default=0, help="random seed (default 0)")
    f.add_argument("--reps", type=positive, default=5, help="replications at each level (default 5)")
    f.add_argument("--max-reps", type=positive, default=20, help="most replications at a level (default 20)")
    f.add_argument("--workers", type=positive, default=None, help="local processes (default: all cores)")
    f.add_argument("--store", metavar="DIR", help="save each finished replication here; rerun to resume")
    f.add_argument("--chart", metavar="FILE", help="draw the capacity frontier here (PNG)")
    f.add_argument("--json", metavar="FILE", help="write the frontier as JSON here")
    f.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar")
    f.set_defaults(paths={"--chart": ".png", "--json": ".json", "--store": "folder"})


def _add_sensitivity(sub: Any, positive: Callable[[str], int], non_negative: Callable[[str], int]) -> None:
    g = sub.add_parser(
        "sensitivity",
        help="which assumptions ([U] values) move timeliness, caseloads and cost, and by how much",
        description=(
            "Screen the values the scenario's provenance marks as assumptions with SALib's Morris method "
            "(or Sobol indices) under common random numbers, and print, for each KPI, the assumptions "
            "that move it most. Needs the sensitivity extra (SALib)."
        ),
    )
    g.add_argument("scenario", help="scenario TOML file")
    g.add_argument("--list", action="store_true", help="list the assumptions and their ranges, then stop")
    g.add_argument("--method", choices=("morris", "sobol"), default="morris", help="default morris")
    g.add_argument("--trajectories", type=positive, default=10, help="Morris paths, or Sobol N (default 10)")
    g.add_argument("--spread", type=_fraction, default=0.25, help="range either side of each value (0.25)")
    g.add_argument("--fields", help="comma-separated fields to screen instead of every assumption")
    g.add_argument("--kpis", help="comma-separated KPIs (default: timeliness, caseloads, stocks, cost)")
    g.add_argument("--reps", type=positive, default=1, help="replications per run (default 1)")
    g.add_argument("--years", type=positive, default=None, help="financial years after warm-up")
    g.add_argument("--seed", type=non_negative, default=0, help="random seed (default 0)")
    g.add_argument("--workers", type=positive, default=None, help="local processes (default: all cores)")
    g.add_argument("--store", metavar="DIR", help="save each finished replication here; rerun to resume")
    g.add_argument("--charts", metavar="DIR", help="write a tornado chart per KPI here")
    g.add_argument("--json", metavar="FILE", help="write the indices as JSON here")
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar")
    g.set_defaults(paths={"--charts": "folder", "--json": ".json", "--store": "folder"})


def _add_report(sub: Any, positive: Callable[[str], int], non_negative: Callable[[str], int]) -> None:
    r = sub.add_parser(
        "report",
        help="a printable committee briefing (HTML, and Word) comparing options",
        description=(
            "Run the options of a briefing file (or scenario files: the first is the comparison point) on "
            "common random numbers and write a short, printable committee briefing: the question, the "
            "options side by side with confidence intervals, the charts, what each option changes and the "
            "key assumptions with their sources, and a plain-language statement of the uncertainty."
        ),
    )
    r.add_argument("files", nargs="+", help="a briefing TOML file, or two or more scenario files")
    r.add_argument("--out", metavar="FILE", required=True, help="write the HTML briefing here")
    r.add_argument("--docx", metavar="FILE", help="also write it as a Word document (needs the report extra)")
    r.add_argument("--title", help="the title (scenario files only)")
    r.add_argument("--question", help="the question (scenario files only)")
    r.add_argument("--years", type=positive, default=None, help="financial years after warm-up")
    r.add_argument(
        "--reps", type=positive, default=None, help="replications (default: the briefing's, or 10)"
    )
    r.add_argument("--seed", type=non_negative, default=None, help="random seed")
    r.add_argument("--workers", type=positive, default=None, help="local processes (default: all cores)")
    r.add_argument("--store", metavar="DIR", help="save each finished replication here; rerun to resume")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar")
    r.set_defaults(paths={"--out": ".html .htm", "--docx": ".docx", "--store": "folder"})


def run_command(args: argparse.Namespace, progress: bool) -> int | None:
    """Run one of these commands; None if ``args`` is another command."""
    if args.command == "report":
        return _report(args, progress)
    if args.command == "sensitivity":
        return _sensitivity(args, progress)
    if args.command == "target":
        return _target(args, progress)
    if args.command == "frontier":
        return _frontier(args, progress)
    return None


def _fail(message: str) -> int:
    print(f"caseflow: {message}", file=sys.stderr)
    return EXIT_INVALID


# ------------------------------------------------------------------ checks shared with caseflow compare


def comparison_kpis(scenarios: Sequence[Scenario]) -> set[str]:
    """The KPIs a comparison of ``scenarios`` shows effects for: the first's that another reports too."""
    from caseflow.metrics.names import reported_by

    first, *others = (reported_by(s) for s in scenarios)
    return first & set().union(*others)


def names_of(flag: str, text: str) -> list[str]:
    """The comma-separated names of ``flag``; at least one."""
    names = list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if not names:
        raise ValueError(f"{flag}: no names given (got {text!r}); give names separated by commas")
    return names


def check_distinct_names(files: Sequence[str], scenarios: Sequence[Scenario]) -> None:
    """Refuse two scenario files whose scenarios have the same name: results are labelled by name."""
    first: dict[str, str] = {}
    for path, scenario in zip(files, scenarios, strict=True):
        if scenario.name in first and Path(first[scenario.name]).resolve() == Path(path).resolve():
            raise ValueError(f"{path} is given twice: give each scenario file once")
        if scenario.name in first:
            raise ValueError(
                f"{first[scenario.name]} and {path} are both named {scenario.name!r}, and results are "
                f'labelled by name: give each file its own name (name = "..." at its top)'
            )
        first[scenario.name] = path


def _refuse_unused(args: argparse.Namespace, flags: Iterable[str], when: str) -> None:
    """Refuse flags given that would be ignored: they apply only ``when``."""
    given = []
    for flag in flags:
        value = getattr(args, flag.removeprefix("--").replace("-", "_"))
        if value not in (None, False):
            shown = " ".join(map(str, value)) if isinstance(value, list) else value
            given.append(flag if value is True else f"{flag} {shown}")
    if given:
        many = len(given) > 1
        raise ValueError(
            f"{' and '.join(given)}: {'these apply' if many else 'this applies'} only {when}; "
            f"leave {'them' if many else 'it'} out"
        )


# ------------------------------------------------------------------------------------------ commands


def _target(args: argparse.Namespace, progress: bool) -> int:
    from caseflow.experiment.levels import as_lever
    from caseflow.experiment.rootfind import Target
    from caseflow.experiment.target import find_target
    from caseflow.files import write_json
    from caseflow.metrics.names import check_names, reported_by
    from caseflow.present.text import format_target
    from caseflow.scenario.loader import load_scenario

    targets = [Target.parse(text) for text in args.target]
    given = [t.kpi for t in targets]
    if args.kpi is not None:
        if args.at_least is None and args.at_most is None:
            return _fail("--kpi needs --at-least or --at-most")
        targets.append(Target(args.kpi, at_least=args.at_least, at_most=args.at_most))
    elif args.at_least is not None or args.at_most is not None:
        return _fail("--at-least and --at-most need --kpi")
    if not targets:
        return _fail("give a target: --kpi KPI --at-least V, or --target 'KPI>=V'")
    if args.max_reps < args.reps:
        return _fail(f"--max-reps ({args.max_reps}) must be at least --reps ({args.reps})")
    if args.reps < 2:
        return _fail("--reps must be at least 2 (a confidence bound needs two replications)")
    scenario = load_scenario(args.scenario)
    try:
        as_lever(args.lever).current(scenario)  # as find_target does first: here to name the flag
    except ValueError as exc:
        raise ValueError(f"--lever: {exc}") from None
    known = reported_by(scenario)
    check_names(given, known, what="--target")
    check_names([] if args.kpi is None else [args.kpi], known, what="--kpi")
    result = find_target(
        scenario,
        args.lever,
        targets,
        confidence=args.confidence,
        between=None if args.between is None else (args.between[0], args.between[1]),
        step=args.step,
        want="largest" if args.largest else "smallest",
        years=args.years,
        seed=args.seed,
        initial_replications=args.reps,
        max_replications=args.max_reps,
        workers=args.workers,
        store=args.store,
        progress=progress,
    )
    print(format_target(result))
    if args.json:
        write_json(args.json, result.to_json_dict())
        print(f"\nwrote {args.json}")
    return EXIT_OK


def _frontier(args: argparse.Namespace, progress: bool) -> int:
    from caseflow.experiment.frontier import FRONT_DOOR_TARGET, capacity_frontier, demand_frontier
    from caseflow.experiment.rootfind import Target
    from caseflow.files import write_json
    from caseflow.metrics.names import check_names, reported_by
    from caseflow.present.text import format_demand_frontier, format_frontier
    from caseflow.scenario.loader import load_scenario

    if args.reps < 2:
        return _fail("--reps must be at least 2 (a confidence bound needs two replications)")
    if not args.demand and len(args.team) != 1:
        return _fail("give one --team (or --demand for the most demand absorbed)")
    if args.demand:
        _refuse_unused(args, ("--levels", "--no-search", "--chart"), "with --team, not with --demand")
    else:
        _refuse_unused(args, ("--between", "--target"), "with --demand")
    targets = [Target.parse(t) for t in args.target or [FRONT_DOOR_TARGET]]
    runs = {"years": args.years, "seed": args.seed, "workers": args.workers, "store": args.store}
    scenario = load_scenario(args.scenario)
    teams = list(scenario.workforce.teams) if scenario.workforce is not None else []
    for team in args.team:
        if team not in teams:
            raise ValueError(
                f"--team: {scenario.name} has no team {team!r}; its teams are {', '.join(teams)}"
            )
    check_names([t.kpi for t in targets], reported_by(scenario), what="--target")
    if args.demand:
        demand = demand_frontier(
            scenario,
            teams=args.team or None,
            targets=targets,
            between=(1.0, 3.0) if args.between is None else (args.between[0], args.between[1]),
            step=0.05 if args.step is None else args.step,
            replications=args.reps,
            confidence=args.confidence,
            tolerance=args.tolerance,
            max_replications=args.max_reps,
            progress=progress,
            **runs,
        )
        print(format_demand_frontier(demand))
        record = demand.to_json_dict()
    else:
        frontier = capacity_frontier(
            scenario,
            args.team[0],
            levels=args.levels,
            replications=args.reps,
            stable=not args.no_search,
            step=args.step,
            confidence=args.confidence,
            tolerance=args.tolerance,
            max_replications=args.max_reps,
            progress=progress,
            **runs,
        )
        print(format_frontier(frontier))
        record = frontier.to_json_dict()
        if args.chart:
            from caseflow.present.frontier import save_capacity_frontier

            save_capacity_frontier(frontier, Path(args.chart))
            print(f"\nwrote {args.chart}")
    if args.json:
        write_json(args.json, record)
        print(f"\nwrote {args.json}")
    return EXIT_OK


def _sensitivity(args: argparse.Namespace, progress: bool) -> int:
    from caseflow.experiment.sensitivity import DEFAULT_KPIS, assumptions, sensitivity
    from caseflow.files import write_json
    from caseflow.metrics.names import check_names, reported_by
    from caseflow.present.text import format_assumptions, format_sensitivity
    from caseflow.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    kpis = DEFAULT_KPIS if args.kpis is None else names_of("--kpis", args.kpis)
    check_names(kpis, reported_by(scenario), what="--kpis")  # (the default ones are built-in)
    fields = None if args.fields is None else names_of("--fields", args.fields)
    try:
        params = assumptions(scenario, spread=args.spread, fields=fields)
    except ValueError as exc:  # (--spread was checked as it was read)
        if fields is None:
            raise
        raise ValueError(f"--fields: {exc}") from None
    if args.list:
        print(format_assumptions(params))
        return EXIT_OK
    result = sensitivity(
        scenario,
        method=args.method,
        parameters=params,
        trajectories=args.trajectories,
        kpis=kpis,
        replications=args.reps,
        years=args.years,
        seed=args.seed,
        workers=args.workers,
        store=args.store,
        progress=progress,
    )
    print(format_sensitivity(result))
    if args.charts:
        from caseflow.present.sensitivity import save_tornados

        written = save_tornados(result, args.charts)
        print(f"\nwrote {len(written)} charts to {args.charts}/")
    if args.json:
        write_json(args.json, result.to_json_dict())
        print(f"\nwrote {args.json}")
    return EXIT_OK


def _report(args: argparse.Namespace, progress: bool) -> int:
    import dataclasses
    import importlib.util

    from caseflow.experiment.compare import compare, named_scenarios
    from caseflow.metrics.names import check_names
    from caseflow.present.briefing import Briefing, load_briefing, write_docx, write_html
    from caseflow.scenario.loader import load_scenario

    if args.docx and importlib.util.find_spec("docx") is None:
        return _fail(
            f"--docx {args.docx}: a Word briefing needs python-docx, which is not installed: "
            'pip install "caseflow-csc[report]" (or pip install ".[report]" from a clone)'
        )
    if len(args.files) == 1:
        _refuse_unused(args, ("--title", "--question"), "with scenario files (a briefing file gives its own)")
        briefing = load_briefing(args.files[0])
        check_names(
            briefing.kpis, comparison_kpis(list(briefing.options.values())), what=f"kpis in {args.files[0]}"
        )
    else:
        scenarios = [load_scenario(p) for p in args.files]
        check_distinct_names(args.files, scenarios)
        briefing = Briefing(
            title=args.title or f"Options against {scenarios[0].name}",
            question=args.question or "What would each option change, and at what cost?",
            options=named_scenarios(scenarios),
        )
    overrides = {"years": args.years, "replications": args.reps, "seed": args.seed}
    briefing = dataclasses.replace(briefing, **{k: v for k, v in overrides.items() if v is not None})
    if briefing.replications < 2:
        return _fail("a briefing needs at least 2 replications for its confidence intervals")
    comparison = compare(
        briefing.options,
        years=briefing.years,
        replications=briefing.replications,
        seed=briefing.seed,
        workers=args.workers,
        store=args.store,
        progress=progress,
    )
    written = [write_html(briefing, comparison, args.out)]
    if args.docx:
        written.append(write_docx(briefing, comparison, args.docx))
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK
