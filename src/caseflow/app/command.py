"""``caseflow app``: its flags, and starting the server (``python -m caseflow.app`` is the same).

Nothing here imports the web framework, so ``caseflow --help`` stays quick and, without the web
extra, ``caseflow app`` says how to install it instead of failing.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["LOOPBACK", "add_arguments", "main", "run", "settings_from"]

#: The addresses the app may listen on: this computer only, so nothing entered leaves it.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _whole(lowest: int, highest: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not lowest <= value <= highest:
            raise argparse.ArgumentTypeError(f"must be from {lowest:,} to {highest:,}, got {value:,}")
        return value

    return parse


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``caseflow app``."""
    from caseflow.app.settings import AppSettings

    d = AppSettings.__dataclass_fields__
    p.add_argument("--port", type=_whole(1, 65535), default=8000, help="port on 127.0.0.1 (default 8000)")
    p.add_argument(
        "--host", default="127.0.0.1", choices=LOOPBACK, help="this computer only (default 127.0.0.1)"
    )
    p.add_argument(
        "--folder",
        metavar="DIR",
        help="the app's own folder: uploads, downloads and saved replications (default: "
        "$CASEFLOW_APP_DIR, else ~/.cache/caseflow/app)",
    )
    p.add_argument(
        "--base", metavar="FILE", help="the England-average scenario (default: the one shipped with caseflow)"
    )
    p.add_argument(
        "--data", metavar="DIR", help="folder of newer DfE/ONS files (default: the figures shipped)"
    )
    p.add_argument(
        "--workers", type=_whole(1, 1024), default=None, help="local processes (default: all cores)"
    )
    p.add_argument(
        "--executor", default="processes", help="processes, sequential or a Dask scheduler address"
    )
    p.add_argument("--years", type=_whole(1, 100), default=d["years"].default, help="years a run shows first")
    p.add_argument(
        "--reps",
        type=_whole(2, 10_000),
        default=d["replications"].default,
        help="replications a run shows first",
    )
    p.add_argument(
        "--max-reps",
        type=_whole(2, 10_000),
        default=d["max_replications"].default,
        help="most replications a run may ask",
    )
    p.add_argument("--open", action="store_true", help="open the app in the web browser")
    p.set_defaults(paths={"--folder": "folder"})


def settings_from(args: argparse.Namespace) -> object:
    """The :class:`~caseflow.app.settings.AppSettings` the flags give."""
    from caseflow.app.settings import AppSettings

    given = {
        "folder": Path(args.folder) if args.folder else None,
        "base": Path(args.base) if args.base else None,
        "data": Path(args.data) if args.data else None,
        "executor": args.executor,
        "workers": args.workers,
        "years": args.years,
        "replications": args.reps,
        "max_replications": max(args.max_reps, args.reps),
    }
    return AppSettings(**{k: v for k, v in given.items() if v is not None})


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def run(args: argparse.Namespace) -> int:
    """Serve the app until Ctrl+C; 0, or 2 (with a message) if it cannot start."""
    from caseflow.app import MissingWebExtraError, web_extra_installed

    if not web_extra_installed():
        print(f"caseflow: {MissingWebExtraError()}", file=sys.stderr)
        return 2
    if args.host not in LOOPBACK:
        print(f"caseflow: --host must be one of {', '.join(LOOPBACK)} (this computer only)", file=sys.stderr)
        return 2
    if not _port_free(args.host, args.port):
        print(f"caseflow: port {args.port} is in use; choose another with --port", file=sys.stderr)
        return 2
    from caseflow.app.serving import serve
    from caseflow.app.settings import AppSettings

    settings = settings_from(args)
    assert isinstance(settings, AppSettings)
    url = f"http://{'[::1]' if args.host == '::1' else args.host}:{args.port}"
    print(f"caseflow app: open {url} in your web browser. Press Ctrl+C to stop.", flush=True)
    if args.open:
        import threading
        import webbrowser

        threading.Timer(2.0, webbrowser.open, args=(url,)).start()
    serve(args.host, args.port, settings)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m caseflow.app [flags]``."""
    p = argparse.ArgumentParser(
        prog="python -m caseflow.app", description="Serve caseflow's web app on this computer."
    )
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:  # a scenario, data folder or setting that cannot be used (caseflow.cli: 2)
        print(f"caseflow: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the computer could not do it: a folder that cannot be written, ...
        print(f"caseflow: {exc}", file=sys.stderr)
        return 1
