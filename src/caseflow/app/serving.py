"""Putting the app together and serving it: settings → baselines, job runner, page and server.

:func:`create_app` returns the Shiny app (ASGI); :func:`asgi_app` wraps it so that it answers pages
of this computer only and refuses an upload larger than the limit before it is read whole;
:func:`serve` runs it with uvicorn on 127.0.0.1 and keeps the web framework's temporary upload files
inside the app's own folder.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from shiny import App

from caseflow.app.baselines import Baselines
from caseflow.app.jobs import JobRunner
from caseflow.app.server import make_server
from caseflow.app.settings import AppSettings
from caseflow.app.ui import page

__all__ = ["LocalOnly", "UploadLimit", "asgi_app", "create_app", "serve", "tidy"]

Scope = dict[str, Any]


class UploadTooLargeError(Exception):
    """An upload's body went over the limit while it arrived."""


class UploadLimit:
    """ASGI middleware: a file upload (``POST .../upload/...``) larger than ``max_bytes`` is refused
    with 413, by its declared length or, if it under-declares, as soon as it passes the limit."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") != "POST"
            or "/upload/" not in scope.get("path", "")
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise UploadTooLargeError(f"upload over {self.max_bytes} bytes")
            return message

        try:
            await self.app(scope, counted, send)
        except UploadTooLargeError:
            await _too_large(send)


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def _host(value: bytes) -> str:
    """The host part of a ``Host`` header or an origin's authority (``127.0.0.1:8000`` → ``127.0.0.1``)."""
    text = value.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[: text.find("]") + 1]
    return text.rsplit(":", 1)[0] if ":" in text else text


class LocalOnly:
    """ASGI middleware: the app answers only pages of this computer.

    A request whose ``Host`` is not a loopback name is refused (a web page elsewhere cannot reach the
    app by pointing a name of its own at 127.0.0.1), and so is a WebSocket or a POST that comes with an
    ``Origin`` of another site (another site's page, open in the same browser, cannot drive the app or
    send it files).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope.get("type")
        if kind in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host")
            origin = headers.get(b"origin")
            foreign_origin = origin is not None and (
                _host(origin.split(b"://", 1)[-1]) not in _LOOPBACK_HOSTS
            )
            checks_origin = kind == "websocket" or scope.get("method") == "POST"
            if (host is not None and _host(host) not in _LOOPBACK_HOSTS) or (
                checks_origin and foreign_origin
            ):
                await _refuse(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Any, send: Any) -> None:
    if scope.get("type") == "websocket":
        await receive()  # the connect message
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b"This app answers only pages of this computer."
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Any) -> None:
    body = b"The file is too large for a scenario file."
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


#: A session folder or temporary upload this old was left by an app that stopped without tidying up.
STALE_SECONDS = 24 * 3600


def tidy(settings: AppSettings, now: float | None = None) -> list[Path]:
    """Remove what an app that stopped abruptly left behind: session folders and temporary uploads not
    touched for :data:`STALE_SECONDS` (a younger one may belong to another app sharing the folder).
    Only folders directly under ``sessions`` and ``tmp`` are removed; returns them."""
    now = time.time() if now is None else now
    removed = []
    for parent in (settings.sessions, settings.temporary):
        for child in parent.iterdir() if parent.is_dir() else ():
            try:
                old = now - child.stat().st_mtime > STALE_SECONDS
            except OSError:
                continue
            if old and child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


def create_app(settings: AppSettings | None = None, **kwargs: Any) -> App:
    """The Shiny app for ``settings`` (or ``AppSettings(**kwargs)``). Loads the England-average
    scenario and the list of authorities first, so a missing file is found now, not on the page."""
    settings = settings if settings is not None else AppSettings(**kwargs)
    for folder in (settings.folder, settings.sessions, settings.store, settings.temporary):
        folder.mkdir(parents=True, exist_ok=True)
    tidy(settings)
    baselines = Baselines(settings.base, settings.data)
    baselines.england()
    authorities, year = baselines.authorities(), baselines.year()
    runner = JobRunner(
        settings.executor,
        settings.workers,
        store=settings.store,
        max_jobs=settings.max_jobs,
        cache_size=settings.cache_size,
        max_stored=settings.max_stored,
    )
    app = App(page(settings, authorities, year), make_server(settings, baselines, runner))
    app.on_shutdown(runner.close)
    return app


def asgi_app(settings: AppSettings) -> LocalOnly:
    """The app as served: :func:`create_app` answering pages of this computer only (:class:`LocalOnly`),
    behind the hard limit on uploads (four times the largest scenario file, so that a file a little too
    large still reaches the page's own, clearer, message)."""
    return LocalOnly(UploadLimit(create_app(settings), 4 * settings.max_upload_bytes))


def serve(
    host: str = "127.0.0.1", port: int = 8000, settings: AppSettings | None = None, **kwargs: Any
) -> None:
    """Serve the app until stopped. The framework's temporary upload files go in the app's folder."""
    import uvicorn

    settings = settings if settings is not None else AppSettings(**kwargs)
    settings.temporary.mkdir(parents=True, exist_ok=True)
    # Worker processes talk over a socket in the system's temporary folder, chosen once: choose it now,
    # before this process's temporary files move to the app's folder (a socket's path must be short).
    multiprocessing.util.get_temp_dir()
    tempfile.tempdir = str(settings.temporary)  # this process serves the app: keep its temporary files in
    app = asgi_app(settings)
    logging.getLogger("caseflow.app").info("caseflow app on http://%s:%d", host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")
