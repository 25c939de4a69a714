"""The ``caseflow`` command line (DESIGN §8).

    caseflow run SCENARIO [--years N] [--reps N] [--seed N] [--out DIR] [--json FILE] [--workers N]
    caseflow validate SCENARIO
    caseflow compare BASELINE OTHER... [--years N] [--reps N] [--seed N] [--workers N] [--json FILE]
                     [--excel FILE] [--kpis a,b] [--all] [--store DIR]
    caseflow profile | calibrate | backtest | data ...   (your own authority: caseflow.cli_authority)
    caseflow target ...                                  (what do we need?: caseflow.cli_planning)
    caseflow app [--port N] [--folder DIR] ...           (the web app: caseflow.cli_app; needs the web extra)

Every argument is checked before anything runs (:func:`check_paths` for the files and folders each
command declares with ``set_defaults(paths=...)``, then each command's own checks of KPI names, levers
and scenario names once its scenarios are loaded), and no traceback reaches the user (:func:`main`).

Exit codes: 0 success; 2 invalid scenario, data or arguments (the message names the argument or the
file and field); 1 the computer could not do it (a file could not be read or written, the disk is full,
memory ran out, a worker process died); 70 an internal error, a fault in caseflow (set
``CASEFLOW_DEBUG=1`` for the traceback); 130 stopped with Ctrl+C.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow import cli_app, cli_authority, cli_planning
from caseflow.scenario.bundled import bundled

if TYPE_CHECKING:
    from caseflow.experiment.compare import Comparison
    from caseflow.model.budget import Budget

__all__ = ["DEBUG_VARIABLE", "check_paths", "main"]

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): a fault in caseflow itself
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl+C

#: Set this environment variable (to anything but empty or 0) to see the traceback of any failure.
DEBUG_VARIABLE = "CASEFLOW_DEBUG"


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


def _positive_number(text: str) -> float:
    """argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")
    return value


def _experiment_settings(args: argparse.Namespace, progress: bool) -> dict[str, Any]:
    """The keyword arguments of ``caseflow.run`` and ``compare`` from the flags they share."""
    return {
        "years": args.years,
        "replications": args.reps,
        "seed": args.seed,
        "workers": args.workers,
        "progress": progress,
        "store": args.store,
        "budget": _budget(args),
    }


def _budget(args: argparse.Namespace) -> Budget | None:
    """The run-time budget of ``--time-limit`` and ``--event-limit`` (None when neither is given)."""
    minutes = getattr(args, "time_limit", None)
    events = getattr(args, "event_limit", None)
    if minutes is None and events is None:
        return None
    from caseflow.model.budget import Budget

    return Budget(seconds=None if minutes is None else 60.0 * minutes, events=events)


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
        sp.add_argument(
            "--time-limit",
            type=_positive_number,
            metavar="MINUTES",
            help="stop a replication that runs longer than this (wall-clock minutes)",
        )
        sp.add_argument(
            "--event-limit",
            type=_positive,
            metavar="N",
            help="stop a replication that needs more than N simulation events",
        )

    r = sub.add_parser("run", help="run a scenario and print its KPIs with 95%% confidence intervals")
    r.add_argument("scenario", help="scenario TOML file")
    experiment_flags(r)
    r.add_argument("--out", metavar="DIR", help="write the results folder here")
    r.add_argument("--json", metavar="FILE", help="write headline KPIs as JSON here")
    r.set_defaults(paths={"--out": "replaced folder", "--json": ".json", "--store": "folder"})

    v = sub.add_parser("validate", help="check a scenario file (or a briefing file)")
    v.add_argument("scenario", help="scenario or briefing TOML file")

    c = sub.add_parser(
        "compare", help="run scenarios on common random numbers; print effects against the first"
    )
    c.add_argument("scenarios", nargs="+", help="scenario TOML files; the first is the baseline")
    experiment_flags(c)
    c.add_argument("--json", metavar="FILE", help="write the effects as JSON here")
    c.add_argument("--excel", metavar="FILE", help="write an Excel workbook of the comparison here")
    shown = c.add_mutually_exclusive_group()
    shown.add_argument(
        "--kpis", help="comma-separated KPIs to show (default: headline timeliness, caseload, cost)"
    )
    shown.add_argument("--all", action="store_true", help="show every KPI")
    c.add_argument("--by-year", action="store_true", help="also show the effects financial year by year")
    c.set_defaults(paths={"--json": ".json", "--excel": ".xlsx", "--store": "folder"})
    cli_authority.add_commands(sub, _positive, _non_negative)
    cli_planning.add_commands(sub, _positive, _non_negative)
    cli_app.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns its exit code (module docstring). Nothing is run before every argument
    has been checked, and no traceback is printed unless ``CASEFLOW_DEBUG`` is set."""
    args = _parser().parse_args(argv)
    if getattr(args, "base", "") is None:  # --base not given: the England-average scenario caseflow ships
        args.base = str(bundled())
    progress = getattr(args, "progress", None)
    if progress is None:
        progress = sys.stderr.isatty()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _note_for_the_user(warnings.showwarning)
            check_paths(args)
            return _dispatch(args, progress)
    except KeyboardInterrupt:
        print(f"caseflow: stopped (Ctrl+C).{_resume_note(args)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # every failure ends as a message and an exit code, never a traceback
        return _report_failure(exc, args)


def _note_for_the_user(show: Callable[..., None]) -> Callable[..., None]:
    """``warnings.showwarning`` printing caseflow's own warnings as a plain note on stderr (``caseflow:
    note: ...``), with no file, line or class name; other libraries' warnings are shown by ``show``."""

    def show_note(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if category.__module__.partition(".")[0] == "caseflow":
            print(f"caseflow: note: {message}", file=sys.stderr)
        else:
            show(message, category, *args, **kwargs)

    return show_note


def _dispatch(args: argparse.Namespace, progress: bool) -> int:
    if args.command == "app":
        return cli_app.run(args)
    done = cli_authority.run_command(args, progress)
    if done is None:
        done = cli_planning.run_command(args, progress)
    if done is not None:
        return done
    if args.command == "compare":
        return _compare(args, progress)
    if args.command == "validate":
        return _validate(args)
    return _run(args, progress)


def _validate(args: argparse.Namespace) -> int:
    from caseflow.present.briefing_file import is_briefing, load_briefing
    from caseflow.scenario.loader import load_scenario

    if is_briefing(args.scenario):
        briefing = load_briefing(args.scenario)
        print(f"OK: {args.scenario} is a valid briefing ({len(briefing.options)} options)")
        return EXIT_OK
    scenario = load_scenario(args.scenario)
    print(f"OK: {args.scenario} is a valid scenario ({scenario.name}, hash {scenario.hash()[:12]})")
    return EXIT_OK


def _run(args: argparse.Namespace, progress: bool) -> int:
    from caseflow.experiment.runner import run
    from caseflow.files import write_json
    from caseflow.present.text import format_headline
    from caseflow.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    results = run(scenario, **_experiment_settings(args, progress))
    print(format_headline(results))
    if args.json:
        write_json(args.json, results.to_json_dict())
        print(f"\nwrote {args.json}")
    if args.out:
        from caseflow.present.report import write_report  # loads matplotlib and openpyxl

        write_report(results, args.out)
        print(f"wrote {args.out}/")
    return EXIT_OK


# ---------------------------------------------------------------------------------- failures


def _report_failure(exc: Exception, args: argparse.Namespace) -> int:
    """Say what went wrong in a sentence (exit code in the module docstring); the traceback only with
    ``CASEFLOW_DEBUG`` set."""
    from concurrent.futures.process import BrokenProcessPool

    debug = os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if _meant_for_the_user(exc):
        print(f"caseflow: {exc}", file=sys.stderr)
        if type(exc).__name__ == "BudgetExceededError":
            print(
                "On the command line the limits are --time-limit MINUTES and --event-limit N.",
                file=sys.stderr,
            )
        return EXIT_INVALID
    if isinstance(exc, OSError):
        message = _io_problem(exc)
    elif isinstance(exc, MemoryError):
        message = "the computer ran out of memory: try fewer --workers, fewer --reps or fewer --years"
    elif isinstance(exc, BrokenProcessPool):
        message = (
            "a worker process stopped unexpectedly (often the computer running out of memory): "
            "try fewer --workers"
        )
    else:
        print(
            f"caseflow: internal error ({type(exc).__name__}: {exc}). This is a fault in caseflow, not "
            "in your files or arguments: please report it with the command you ran"
            + (
                " and the traceback above."
                if debug
                else f". To see the full details (the traceback), run the command again with the "
                f"environment variable {DEBUG_VARIABLE}=1 set."
            ),
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    print(f"caseflow: {message}.{_resume_note(args)}", file=sys.stderr)
    return EXIT_FAILURE


_PACKAGE = Path(__file__).resolve().parent


def _meant_for_the_user(exc: Exception) -> bool:
    """Is ``exc`` a message caseflow wrote for the user (exit 2), rather than a fault?

    Yes for caseflow's own ``ValueError`` types (:class:`~caseflow.scenario.loader.ScenarioError`,
    :class:`~caseflow.data.errors.DataError`, :class:`~caseflow.files.OutputFolderError`), and for a
    plain ``ValueError`` or ``ImportError`` that caseflow's own code raised (an argument check, an
    install hint). The same types raised inside a library underneath (pandas, numpy) are faults.
    """
    if isinstance(exc, ValueError) and type(exc).__module__.partition(".")[0] == "caseflow":
        return True
    if type(exc) not in (ValueError, ImportError):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE)


_IO_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def _io_problem(exc: OSError) -> str:
    reason = _IO_REASONS.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__
    where = " and ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"could not read or write {where}: {reason}" if where else f"a file could not be used: {reason}"


def _resume_note(args: argparse.Namespace) -> str:
    store = getattr(args, "store", None)
    if not store:
        return ""
    return (
        f" Any replications that finished are saved in {store}: run the same command again to carry on "
        "from there."
    )


# ------------------------------------------------------------------- checks before anything runs

#: The arguments that name files a command reads (no output may be one of them), with their labels.
_INPUTS = {"scenario": "SCENARIO", "scenarios": "SCENARIO", "files": "FILE", "base": "--base"}


def check_paths(args: argparse.Namespace) -> None:
    """Check every file and folder argument of the command before anything is loaded or run.

    A command declares its outputs with ``set_defaults(paths={flag: kind})``; a kind is
    ``"replaced folder"`` (written whole, replacing only a folder caseflow wrote: ``run --out``),
    ``"folder"`` (files are written into it, created if missing: ``--store``), or the ending(s) a
    file's name must have (``".html .htm"``).

    Raises ``ValueError`` naming the argument, what was given and what is allowed: a file with the
    wrong ending, a file where a folder is wanted or the reverse, a place that cannot be written (the
    folder, or the nearest one that exists, is tried by creating and removing a file in it), an existing
    folder holding files caseflow did not write, an output that is one of the command's input files, and
    an output inside a folder that another output replaces. Also ``--executor``.
    """
    outputs = [
        (flag, kind, Path(value))
        for flag, kind in getattr(args, "paths", {}).items()
        if (value := getattr(args, flag.removeprefix("--").replace("-", "_"), None)) is not None
    ]
    inputs = list(_input_files(args))
    for flag, kind, path in outputs:
        try:
            _check_output(flag, kind, path)
        except OSError as exc:  # a name too long, a loop of links: say so, as for any other problem
            raise ValueError(f"{flag}: {path} cannot be used ({_io_problem(exc)})") from None
        for label, source in inputs:
            if _same_file(path, source):
                raise ValueError(
                    f"{flag}: {path} is also the input {label} {source}; writing it would replace the "
                    "file the command reads: give another name"
                )
    for flag, kind, folder in outputs:
        if kind != "replaced folder":
            continue
        for other, _, path in outputs:
            if other != flag and _within(path, folder):
                raise ValueError(
                    f"{other}: {path} is inside the {flag} folder {folder}, which is written whole and "
                    f"replaced: give a place outside it"
                )
    executor = getattr(args, "executor", None)
    if executor is not None:
        _check_executor(executor)


def _input_files(args: argparse.Namespace) -> Iterator[tuple[str, Path]]:
    for dest, label in _INPUTS.items():
        value = getattr(args, dest, None)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                yield label, Path(item)


def _within(path: Path, folder: Path) -> bool:
    """Is ``path`` ``folder`` or inside it (as absolute paths, links followed)?"""
    try:
        path, folder = path.resolve(), folder.resolve()
    except (OSError, RuntimeError):  # a loop of links
        path, folder = path.absolute(), folder.absolute()
    return path == folder or folder in path.parents


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, RuntimeError):
        return False


def _check_output(flag: str, kind: str, path: Path) -> None:
    if kind == "replaced folder":
        from caseflow.files import OutputFolderError, replaceable_folder

        try:
            replaceable_folder(path)
        except OutputFolderError as exc:
            raise ValueError(f"{flag}: {exc}") from None
        _check_writable(flag, path, path.parent)  # written beside it, then renamed into place
    elif kind == "folder":
        if path.exists() and not path.is_dir():
            raise ValueError(
                f"{flag}: {path} is a file, not a folder: give a folder (it is created if missing)"
            )
        _check_writable(flag, path, path)
    else:
        endings = tuple(kind.split())
        if path.is_dir():
            raise ValueError(
                f"{flag}: {path} is a folder: give a file name in it (for example {path / 'results'}"
                f"{endings[0]})"
            )
        if not path.name.lower().endswith(endings):
            raise ValueError(
                f"{flag}: {path} must be a file whose name ends in {' or '.join(endings)} "
                f"(for example {path.stem or 'results'}{endings[0]})"
            )
        if path.exists() and not os.access(path, os.W_OK):
            raise ValueError(f"{flag}: {path} is read-only; caseflow will not replace it: give another name")
        _check_writable(flag, path, path.parent)


def _check_writable(flag: str, path: Path, folder: Path) -> None:
    """Can files be created in ``folder`` (or, if it does not exist yet, in the nearest folder above it
    that does, where it would be created)? Checked with ``os.access`` and by creating and removing an
    empty file there, which also finds a read-only disk (and what ``os.access`` cannot tell an
    administrator, whom permissions do not stop)."""
    here = folder
    while not here.exists():
        if here.is_symlink():
            raise ValueError(f"{flag}: {path} cannot be written: {here} is a link to nothing")
        here = here.parent
    if not here.is_dir():
        raise ValueError(f"{flag}: {path} cannot be written: {here} is a file, not a folder")
    problem = None if os.access(here, os.W_OK | os.X_OK) else "permission denied"
    if problem is None:
        try:
            handle, probe = tempfile.mkstemp(prefix=".caseflow-check-", dir=here)
        except OSError as exc:
            problem = _IO_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
        else:
            os.close(handle)
            os.unlink(probe)
    if problem is not None:
        where = "" if here == folder else f" (where {folder} would be created)"
        raise ValueError(
            f"{flag}: {path} cannot be written: caseflow cannot create files in the folder {here}{where}: "
            f"{problem}. Give a place you can write to"
        )


def _check_executor(executor: str) -> None:
    if executor in ("processes", "sequential"):
        return
    if "://" in executor:  # a Dask scheduler's address: the scheme itself is checked when it is used
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise ValueError(
                f"--executor {executor}: running on a Dask cluster needs dask.distributed, which is not "
                'installed: pip install "caseflow-csc[dask]" (or pip install ".[dask]" from a clone)'
            )
        return
    raise ValueError(
        f"--executor {executor!r}: must be processes (the default), sequential, or a Dask scheduler's "
        "address such as tcp://10.0.0.5:8786"
    )


# ------------------------------------------------------------------------------------ compare

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
    from caseflow.scenario.loader import load_scenario

    if len(args.scenarios) < 2:
        print("caseflow: compare needs at least two scenario files", file=sys.stderr)
        return EXIT_INVALID
    scenarios = [load_scenario(p) for p in args.scenarios]
    cli_planning.check_distinct_names(args.scenarios, scenarios)
    wanted = None
    if args.kpis is not None:
        wanted = cli_planning.names_of("--kpis", args.kpis)
        from caseflow.metrics.names import check_names

        check_names(wanted, cli_planning.comparison_kpis(scenarios), what="--kpis")
    comparison = compare(scenarios, **_experiment_settings(args, progress))
    _show_comparison(args, comparison, wanted)
    return EXIT_OK


def _show_comparison(args: argparse.Namespace, comparison: Comparison, wanted: list[str] | None) -> None:
    from caseflow.files import write_json
    from caseflow.present.text import format_effects, format_effects_by_year

    effects = comparison.effects()
    reported = set(effects["kpi"])
    if wanted is None and args.all:
        wanted = list(dict.fromkeys(effects["kpi"]))
    elif wanted is None:
        wanted = [k for k in COMPARE_KPIS if k in reported]
        wanted += sorted(k for k in reported if k.startswith("caseload_mean_"))
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
                "effects": _records(shown),
            }
            | ({"effects_by_year": _by_year_records(comparison, wanted)} if args.by_year else {}),
        )
        print(f"\nwrote {args.json}")
    if args.excel:
        from caseflow.present.excel import write_workbook  # loads openpyxl

        write_workbook(comparison, args.excel)
        print(f"wrote {args.excel}")


def _records(table: Any) -> list[dict[str, object]]:
    return [
        {str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in table.to_dict(orient="records")
    ]


def _by_year_records(comparison: Comparison, wanted: list[str]) -> list[dict[str, object]]:
    table = comparison.effects_by_year()
    return _records(table[table["kpi"].isin(wanted)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
