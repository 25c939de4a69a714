"""What the web app's tests share: a small, quick scenario folder, and a served app to drive.

:func:`serving` serves the app in this process (a uvicorn server on a thread: coverage sees the page's
code run, and worker processes still run the simulations); :func:`served` runs ``python -m
caseflow.app`` as a user would, in a process of its own.

The small authority is the England-average one scaled to a tenth (6,000 children, staffing scaled with
it) with no warm-up year, written as one self-contained file, so that a replication of one year takes a
fraction of a second; ``variant.toml`` beside it ``extends`` it, as an upload may extend a bundled file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import caseflow
from caseflow.scenario.scale import scaled
from caseflow.scenario.writer import write_scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
SMALL_NAME = "Small test authority"


def write_small_scenarios(folder: Path) -> Path:
    """``baseline.toml`` (the small authority, self-contained) and ``variant.toml`` (extends it) in
    ``folder``; returns the first."""
    folder.mkdir(parents=True, exist_ok=True)
    base = caseflow.load_scenario(BASELINE)
    small = scaled(base, 0.1, name=SMALL_NAME).with_overrides({"run.warmup_years": 0})
    path = write_scenario(folder / "baseline.toml", small.model_dump(exclude_none=True))
    (folder / "variant.toml").write_text(
        'extends = "baseline.toml"\nname = "Variant"\n\n[demand]\ncontacts_per_year = 1500.0\n',
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def serving(base: Path, folder: Path, *, workers: int = 2, timeout: float = 60.0) -> Iterator[str]:
    """Serve the app in this process on a free port; yield its address; stop it (and its workers) after."""
    import uvicorn

    from caseflow.app.serving import asgi_app
    from caseflow.app.settings import AppSettings

    settings = AppSettings(
        folder=folder,
        base=base,
        years=1,
        replications=2,
        workers=workers,
        search_replications=2,
        search_max_replications=4,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(asgi_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="caseflow-app-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True  # the app's shutdown closes its worker pool
        thread.join(timeout=30)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def served(base: Path, folder: Path, *extra: str, timeout: float = 90.0) -> Iterator[str]:
    """Serve the app (``python -m caseflow.app``) on a free port; yield its address; stop it after."""
    port = free_port()
    log = (folder.parent / f"app-{port}.log").open("w", encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "caseflow.app",
        "--port",
        str(port),
        "--folder",
        str(folder),
        "--base",
        str(base),
        "--years",
        "1",
        "--reps",
        "2",
        *extra,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.flush()
                raise RuntimeError(f"the app stopped (exit {proc.returncode}): {_tail(log.name)}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass  # not answering yet: ask again until the deadline below
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not answer within {timeout:.0f} s: {_tail(log.name)}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the app and its worker processes, which it started
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        log.close()


def _tail(path: str) -> str:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return text[-3000:]
