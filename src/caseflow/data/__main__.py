"""``python -m caseflow.data build --from DIR --out FILE``: rebuild the published-data snapshot.

:func:`main` is what a ``caseflow data build`` subcommand calls (or :func:`build_parser` on its own
sub-parser, then :func:`run` on the parsed arguments).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from caseflow.data.errors import DataError
from caseflow.data.snapshot import SNAPSHOT_NAME, build_snapshot

__all__ = ["DEFAULT_OUT", "DEFAULT_SOURCE", "build_parser", "main", "run"]

DEFAULT_SOURCE = Path("data/dfe")
DEFAULT_OUT = Path("src/caseflow/data") / SNAPSHOT_NAME


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The ``build`` command's arguments (on ``parser`` if given, e.g. a subcommand's)."""
    parser = parser or argparse.ArgumentParser(
        prog="python -m caseflow.data", description="Published DfE/ONS statistics for caseflow."
    )
    commands = parser.add_subparsers(dest="data_command", required=True)
    build = commands.add_parser(
        "build",
        help="read the published EES files in a directory and write the snapshot caseflow ships",
        description="Read the published explore-education-statistics files in --from (.csv or .csv.gz, "
        "found by name prefix) and write the registry's measures as a tidy gzip CSV to --out, "
        "deterministically and atomically.",
    )
    build.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=DEFAULT_SOURCE,
        help=f"directory (default {DEFAULT_SOURCE})",
    )
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"snapshot file (default {DEFAULT_OUT})")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run parsed arguments (from :func:`build_parser`); returns the exit status (0 ok, 2 bad data)."""
    if args.data_command == "build":
        try:
            out = build_snapshot(args.source, args.out)
        except DataError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {out} ({out.stat().st_size:,} bytes) from {args.source}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad data or arguments)."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
