"""``caseflow app``: serve the web app on 127.0.0.1 (:mod:`caseflow.app`; needs the ``web`` extra).

    caseflow app [--port N] [--folder DIR] [--base FILE] [--data DIR] [--workers N] [--executor NAME]
                 [--years N] [--reps N] [--max-reps N] [--open]

Without the web extra it prints the install line, ``pip install "caseflow-csc[web]"``, and exits 2.
The flags are defined in :mod:`caseflow.app.command`, which imports no web framework, so this module
is cheap to import from :mod:`caseflow.cli`.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``caseflow app`` on the main parser's subparsers; return its parser."""
    from caseflow.app.command import add_arguments

    p: argparse.ArgumentParser = subparsers.add_parser(
        "app",
        help="a web app on this computer for people who do not code (needs the web extra)",
        description="Serve caseflow's web app on 127.0.0.1: pick an authority, change the levers, run, "
        'read the effect and download the workbook. Needs the web extra: pip install "caseflow-csc[web]".',
    )
    add_arguments(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Serve the app until Ctrl+C; the exit code."""
    from caseflow.app.command import run as serve

    return serve(args)
