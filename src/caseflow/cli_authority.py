"""The ``caseflow`` commands for one's own authority: data, profile, calibrate and backtest.

    caseflow data build [--from DIR] [--out FILE]
    caseflow profile AUTHORITY --year Y [--out FILE] [--base FILE] [--data DIR]
    caseflow calibrate AUTHORITY --fit-to Y [--fit-years N] [--out FILE] [--table CSV] [--reps N]
                       [--iterations N] [--confirm-reps N] [--no-workforce] [--seed N] [--workers N]
                       [--executor NAME] [--base FILE] [--data DIR]
    caseflow backtest --train-to Y [--horizons H...] [--authorities A...] [--reps N] [--out DIR]
                      [--workers N] [--executor NAME] [--data DIR]
    caseflow national --year Y [--years N] [--reps N] [--out CSV] [--workers N] [--executor NAME]

Heavy imports (pandas, the model) happen inside each command, so ``caseflow --help`` stays quick.
Each command declares its file and folder arguments (``set_defaults(paths=...)``), which
:func:`caseflow.cli.check_paths` checks, with ``--executor``, before anything is loaded or run.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

__all__ = ["add_commands", "run_command"]


#: Where ``caseflow data build`` writes the snapshot unless told (caseflow.data.__main__.DEFAULT_OUT).
DATA_OUT = "src/caseflow/data/published.csv.gz"


def add_commands(sub: Any, positive: Callable[[str], int], non_negative: Callable[[str], int]) -> None:
    """Register the commands on the main parser's subparsers."""
    d = sub.add_parser("data", help="published DfE and ONS data: rebuild the snapshot caseflow ships")
    build = d.add_subparsers(dest="data_command", required=True).add_parser(
        "build", help="read the published EES files in a folder and write the snapshot caseflow ships"
    )
    # caseflow.data.__main__'s DEFAULT_SOURCE and DEFAULT_OUT (not imported here: it loads pandas)
    build.add_argument("--from", dest="source", metavar="DIR", default="data/dfe", help="(default data/dfe)")
    build.add_argument("--out", metavar="FILE", default=DATA_OUT, help=f"snapshot file (default {DATA_OUT})")
    build.set_defaults(paths={"--out": ".csv.gz"})

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--base", help="the England-average scenario (default: the one shipped with caseflow)"
        )
        sp.add_argument("--data", metavar="DIR", help="folder of newer DfE/ONS files (default: shipped)")

    p = sub.add_parser("profile", help="a scenario for an authority from its published figures")
    p.add_argument("authority", help="authority name or LA code, e.g. 'Peterborough' or E06000031")
    p.add_argument("--year", type=positive, required=True, help="as at 31 March of this year")
    p.add_argument("--out", metavar="FILE", help="write the scenario (TOML, extends the base) here")
    common(p)
    p.set_defaults(paths={"--out": ".toml"})

    c = sub.add_parser("calibrate", help="fit an authority's unpublished parameters to its own years")
    c.add_argument("authority", help="authority name or LA code")
    c.add_argument("--fit-to", type=positive, required=True, help="last year (to 31 March) fitted")
    c.add_argument("--fit-years", type=positive, default=2, help="years fitted (default 2)")
    c.add_argument("--out", metavar="FILE", help="write the calibrated scenario (from --fit-to) here")
    c.add_argument("--table", metavar="CSV", help="write the fit table (published vs modelled) here")
    c.add_argument("--reps", type=positive, default=2, help="replications per iteration (default 2)")
    c.add_argument("--iterations", type=positive, default=6, help="simulation iterations (default 6)")
    c.add_argument("--confirm-reps", type=positive, default=5, help="replications for the fit table")
    c.add_argument("--no-workforce", action="store_true", help="fit with social-worker capacity unbound")
    c.add_argument("--seed", type=non_negative, default=0)
    c.add_argument("--workers", type=positive, default=None, help="local processes (default: all cores)")
    c.add_argument("--executor", default="processes", help="processes, sequential or a Dask address")
    c.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress")
    common(c)
    c.set_defaults(paths={"--out": ".toml", "--table": ".csv"})

    b = sub.add_parser("backtest", help="fit every authority to a year, predict the next, score it")
    b.add_argument("--train-to", type=positive, required=True, help="last year (to 31 March) used")
    b.add_argument("--horizons", type=positive, nargs="+", default=[1, 2], help="years ahead (default 1 2)")
    b.add_argument("--authorities", nargs="+", help="names or codes (default: every authority)")
    b.add_argument("--reps", type=positive, default=3, help="replications per prediction (default 3)")
    b.add_argument("--out", metavar="DIR", default="runs/backtest", help="results folder")
    b.add_argument("--workers", type=positive, default=None)
    b.add_argument("--executor", default="processes", help="processes, sequential or a Dask address")
    b.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress")
    common(b)
    b.set_defaults(paths={"--out": "folder"})

    n = sub.add_parser("national", help="every authority's profile run as one sweep: England's totals")
    n.add_argument("--year", type=positive, required=True, help="profiles as at 31 March of this year")
    n.add_argument("--years", type=positive, default=1, help="years run (default 1)")
    n.add_argument("--reps", type=positive, default=2, help="replications per authority (default 2)")
    n.add_argument("--authorities", nargs="+", help="names or codes (default: every authority)")
    n.add_argument("--out", metavar="CSV", help="write the totals here")
    n.add_argument("--workers", type=positive, default=None)
    n.add_argument("--executor", default="processes", help="processes, sequential or a Dask address")
    n.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress")
    common(n)
    n.set_defaults(paths={"--out": ".csv"})


def run_command(args: argparse.Namespace, progress: bool) -> int | None:
    """Run one of these commands; None if ``args`` is another command."""
    if args.command == "data":
        from pathlib import Path

        from caseflow.data.__main__ import run

        return run(
            argparse.Namespace(data_command=args.data_command, source=Path(args.source), out=Path(args.out))
        )
    if args.command == "profile":
        return _profile(args)
    if args.command == "calibrate":
        return _calibrate(args, progress)
    if args.command == "backtest":
        return _backtest(args, progress)
    if args.command == "national":
        return _national(args, progress)
    return None


def _fmt(value: Any) -> str:
    v = float(value)
    return "—" if not math.isfinite(v) else f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"


def _profile(args: argparse.Namespace) -> int:
    from caseflow import data as data_mod
    from caseflow.profile import build_profile
    from caseflow.scenario.loader import load_scenario

    base = load_scenario(args.base)
    prof = build_profile(data_mod.load(args.data), base, args.authority, args.year)
    scenario = prof.scenario(base)
    if args.out:
        prof.write(args.out, args.base)
    prov = scenario.provenance
    assert prov is not None
    print(f"{prov.authority} ({prov.la_code}) as at 31 March {args.year}")
    print(f"  children aged 0-17      {scenario.population:>9,}")
    stock = scenario.opening_stock
    print(f"  children in need        {stock.children_in_need:>9,}")
    print(f"  child protection plans  {stock.child_protection:>9,}")
    print(f"  children looked after   {stock.looked_after:>9,}")
    methods: dict[str, int] = {}  # what the profile set, not the base's sources it inherits
    for src in prof.sources.values():
        method = str(src.get("method") or "?")
        methods[method] = methods.get(method, 0) + 1
    print("  values set: " + ", ".join(f"{n} {m.replace('_', ' ')}" for m, n in sorted(methods.items())))
    print(f"  national defaults kept: {len(prov.national_defaults)} groups (see [provenance])")
    for w in prov.warnings:
        print(f"  warning: {w}")
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _calibrate(args: argparse.Namespace, progress: bool) -> int:
    from caseflow import data as data_mod
    from caseflow.calibrate.authority import calibrate_authority
    from caseflow.scenario.loader import load_scenario
    from caseflow.scenario.writer import write_scenario

    pub = data_mod.load(args.data)
    base = load_scenario(args.base)
    fit = calibrate_authority(
        pub,
        base,
        args.authority,
        args.fit_to,
        fit_years=args.fit_years,
        replications=args.reps,
        iterations=args.iterations,
        confirm_replications=args.confirm_reps,
        seed=args.seed,
        executor=args.executor,
        workers=args.workers,
        workforce=not args.no_workforce,
        progress=progress,
    )
    cal = fit.calibration
    print(cal.summary())
    print("\nPublished against modelled (95% CI), by year to 31 March:")
    for row in cal.fit.itertuples():
        mark = "" if row.fitted else "  (not fitted: a check)"
        err = f"{row.error_pct:+.1f}{'pt' if row.error_unit == 'points' else '%'}"
        print(
            f"  {row.label:<40} {row.year}  {_fmt(row.published):>9}  {_fmt(row.modelled):>9} "
            f"[{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]  {err}{mark}"
        )
    print("\nParameters:")
    for row in cal.identification.itertuples():
        print(f"  {'identified' if row.identified else 'NOT identified':<15} {row.label}: {row.reason}")
    for w in fit.warnings:
        print(f"warning: {w}")
    if args.table:
        from caseflow.files import atomic_write_text

        atomic_write_text(args.table, cal.fit.to_csv(index=False))
        print(f"wrote {args.table}")
    if args.out:
        overrides = _changed(base, fit.forward)
        write_scenario(args.out, overrides, extends=args.base)
        print(f"wrote {args.out}")
    return 0


def _changed(base: Any, scenario: Any) -> dict[str, Any]:
    """The fields of ``scenario`` that differ from ``base`` (distributions and branches whole), with the
    ``[provenance.sources]`` entries that make the file, loaded on top of ``base``, give its sources.

    Each source entry is one value: ``extends`` replaces entries whole, so an entry is written whole
    (never the fields that differ from the base's, which would lose the rest). An entry is written when
    the file loaded without it would not give it: it differs from the base's, or the file sets a value
    it covers (a value a file sets drops the base's entry for it).
    """
    from caseflow.scenario.sources import inherited_sources
    from caseflow.scenario.writer import nest

    a, b = base.model_dump(mode="json"), scenario.model_dump(mode="json")
    out: dict[str, Any] = {}

    def walk(x: Any, y: Any, prefix: str) -> None:
        if prefix == "provenance.sources.":
            return  # below, entry by entry
        if isinstance(x, dict) and isinstance(y, dict) and not _is_leaf_table(y):
            for k in y:
                walk(x.get(k), y[k], f"{prefix}{k}.")
        elif x != y:
            out[prefix[:-1]] = y

    walk(a, b, "")
    values = {k: v for k, v in out.items() if not k.startswith("provenance.")}
    base_sources = (a.get("provenance") or {}).get("sources") or {}
    loaded = inherited_sources(base_sources, nest(values))
    for key, entry in ((b.get("provenance") or {}).get("sources") or {}).items():
        if loaded.get(key) != entry:  # TOML has no null: fields not recorded are left out
            out[f"provenance.sources.{key}"] = {k: v for k, v in entry.items() if v is not None}
    if "run.start_date" in out:
        import datetime as dt

        out["run.start_date"] = dt.date.fromisoformat(str(out["run.start_date"]))
    return {k: v for k, v in out.items() if v is not None}


def _is_leaf_table(y: dict[str, Any]) -> bool:
    """A banded distribution or a branch (probabilities summing to 1) is written whole.

    Any other table of numbers (``workforce.dynamics``) is written field by field: a value the file sets
    drops the base's source for it, so a table written whole would lose the sources of values it kept.
    """
    if "edges" in y:
        return True
    numbers = [v for v in y.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    return len(y) > 1 and len(numbers) == len(y) and math.isclose(sum(numbers), 1.0, abs_tol=1e-6)


def _backtest(args: argparse.Namespace, progress: bool) -> int:
    from caseflow.backtest import backtest
    from caseflow.scenario.loader import load_scenario

    load_scenario(args.base)  # here, once: each authority's task loads it again (a bad file fails them all)
    result = backtest(
        args.train_to,
        tuple(args.horizons),
        authorities=args.authorities,
        data=args.data,
        base=args.base,
        replications=args.reps,
        executor=args.executor,
        workers=args.workers,
        progress=progress,
    )
    print(result.summary().to_string(index=False))
    print()
    print(result.targets().to_string(index=False))
    result.write(args.out)
    print(f"wrote {args.out}/")
    return 0


def _national(args: argparse.Namespace, progress: bool) -> int:
    from caseflow.national import national

    table = national(
        args.year,
        replications=args.reps,
        years=args.years,
        data=args.data,
        base=args.base,
        authorities=args.authorities,
        executor=args.executor,
        workers=args.workers,
        progress=progress,
    )
    print(table.to_string(index=False))
    for w in table.attrs.get("warnings", []):
        print(f"warning: {w}")
    if args.out:
        from caseflow.files import atomic_write_text

        atomic_write_text(args.out, table.to_csv(index=False))
        print(f"wrote {args.out}")
    return 0
