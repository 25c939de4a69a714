"""``caseflow app`` (:mod:`caseflow.app.command`, :mod:`caseflow.cli_app`): the install line without the
web extra, this computer only, a port in use, its settings; and the hard limit on uploads
(:class:`caseflow.app.serving.UploadLimit`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from caseflow.app import INSTALL_LINE, command
from caseflow.app.settings import AppSettings


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    command.add_arguments(p)
    return p.parse_args(list(argv))


def test_caseflow_app_without_the_web_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import caseflow.app

    monkeypatch.setattr(caseflow.app, "web_extra_installed", lambda: False)
    assert command.run(_args()) == 2
    err = capsys.readouterr().err
    assert INSTALL_LINE in err
    assert 'pip install "caseflow-csc[web]"' in err
    with pytest.raises(caseflow.app.MissingWebExtraError, match="caseflow-csc"):
        caseflow.app.create_app()


def test_caseflow_app_serves_this_computer_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _args("--host", "0.0.0.0")
    assert "invalid choice" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert command.run(_args("--port", str(taken.getsockname()[1]))) == 2
    assert "is in use" in capsys.readouterr().err
    settings = command.settings_from(_args("--folder", "here", "--reps", "60", "--years", "2"))
    assert isinstance(settings, AppSettings)
    assert (settings.folder, settings.replications, settings.max_replications, settings.years) == (
        Path("here"),
        60,
        60,
        2,
    )


# ------------------------------------------------------------------------------------- upload limit


def test_uploads_over_the_hard_limit_are_refused_before_they_are_read() -> None:
    from caseflow.app.serving import UploadLimit

    reached: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            reached.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def call(
        headers: list[tuple[bytes, bytes]], chunks: list[bytes], path: str = "/session/x/upload/y"
    ) -> int:
        sent: list[dict[str, Any]] = []
        queue = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        async def receive() -> dict[str, Any]:
            return queue.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
        asyncio.run(UploadLimit(app, 100)(scope, receive, send))
        return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))

    assert call([(b"content-length", b"50")], [b"x" * 50]) == 200
    assert call([(b"content-length", b"500")], [b"x" * 500]) == 413  # declared: nothing read
    assert call([], [b"x" * 60, b"x" * 60]) == 413  # under-declared: stopped as it passes the limit
    assert call([], [b"x" * 500], path="/other") == 200  # only uploads are limited here
    assert reached[0] == b"x" * 50


def test_caseflow_app_help_loads_no_web_framework() -> None:
    """``caseflow --help`` and ``caseflow app --help`` stay quick: the command's module imports no Shiny."""
    probe = (
        "import sys, json, argparse\n"
        "import caseflow.cli_app\n"
        "p = argparse.ArgumentParser(); caseflow.cli_app.add_parser(p.add_subparsers(dest='command'))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('shiny', 'uvicorn'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == []


def test_the_cli_parser_takes_the_app_command() -> None:
    import caseflow.cli_app

    p = argparse.ArgumentParser()
    caseflow.cli_app.add_parser(p.add_subparsers(dest="command"))
    args = p.parse_args(["app", "--port", "8123", "--workers", "2"])
    assert (args.command, args.port, args.workers, args.host) == ("app", 8123, 2, "127.0.0.1")
    assert args.paths == {"--folder": "folder"}  # caseflow.cli.check_paths checks the folder first


@pytest.mark.untraced
def test_python_m_caseflow_app_serves_the_page(tmp_path: Path) -> None:
    """The command as a user runs it: in a process of its own, on 127.0.0.1, the page and its limits."""
    import http.client
    import urllib.request

    from tests.app_support import served, write_small_scenarios

    base = write_small_scenarios(tmp_path / "scenarios")
    with served(base, tmp_path / "folder", "--workers", "1") as url:
        with urllib.request.urlopen(url, timeout=10) as answer:
            page = answer.read().decode("utf-8")
        assert "caseflow: children&#39;s social care what-if" in page or "children's social care" in page
        # an upload declaring more than the hard limit is refused before a byte of it is read
        conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
        conn.putrequest("POST", "/session/x/upload/y")
        conn.putheader("Content-Length", str(4 * 2**20 + 1))
        conn.endheaders()
        assert conn.getresponse().status == 413
        conn.close()
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == ["replications", "sessions", "tmp"]


def test_caseflow_app_says_where_to_open_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import caseflow.app.serving

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(caseflow.app.serving, "serve", lambda *a: calls.append(a))
    assert command.run(_args("--port", "8765", "--folder", "somewhere", "--workers", "3")) == 0
    assert "open http://127.0.0.1:8765 in your web browser" in capsys.readouterr().out
    ((host, port, settings),) = calls
    assert (host, port, settings.workers, settings.folder) == ("127.0.0.1", 8765, 3, Path("somewhere"))


def test_what_a_stopped_app_left_is_tidied_away(tmp_path: Path) -> None:
    import os
    import time

    from caseflow.app.serving import STALE_SECONDS, tidy

    settings = AppSettings(folder=tmp_path)
    old, young = settings.sessions / "old", settings.sessions / "young"
    upload = settings.temporary / "fileupload-x"
    for folder in (old, young, upload):
        folder.mkdir(parents=True)
        (folder / "f").write_text("x")
    stale = time.time() - STALE_SECONDS - 60
    for folder in (old, upload):
        os.utime(folder, (stale, stale))
    (settings.sessions / "a file").write_text("kept: only folders are removed")
    assert sorted(p.name for p in tidy(settings)) == ["fileupload-x", "old"]
    assert sorted(p.name for p in settings.sessions.iterdir()) == ["a file", "young"]


def test_a_missing_baseline_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)  # serve() moves this process's, as it should
    from tests.app_support import free_port

    from caseflow.app.command import main

    argv = [
        "--base",
        str(tmp_path / "missing.toml"),
        "--folder",
        str(tmp_path / "app"),
        "--port",
        str(free_port()),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "missing.toml" in err
    assert "file not found" in err
    assert "Traceback" not in err
    assert tempfile.tempdir == str(tmp_path / "app" / "tmp")  # the web framework's uploads arrive in it


def test_the_app_answers_pages_of_this_computer_only() -> None:
    """No DNS rebinding (a Host that is not a loopback name) and no other site's page driving the app
    (a WebSocket or POST with a foreign Origin)."""
    from caseflow.app.serving import LocalOnly

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def call(kind: str, host: str, origin: str | None = None, method: str = "GET") -> Any:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin else [])
        asyncio.run(
            LocalOnly(app)({"type": kind, "method": method, "path": "/", "headers": headers}, receive, send)
        )
        first = sent[0]
        return first.get("status", first.get("code"))

    assert call("http", "127.0.0.1:8000") == 200
    assert call("http", "localhost:8000") == 200
    assert call("http", "[::1]:8000") == 200
    assert call("http", "evil.example:8000") == 403
    assert call("http", "127.0.0.1:8000", "http://evil.example", method="POST") == 403
    assert call("http", "127.0.0.1:8000", "http://127.0.0.1:8000", method="POST") == 200
    assert call("websocket", "127.0.0.1:8000", "http://evil.example") == 1008
    assert call("websocket", "127.0.0.1:8000", "http://localhost:8000") == 200


def test_caseflow_app_is_a_command_of_caseflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``caseflow app`` (caseflow.cli) reaches the app's command: its help, and a missing baseline as a
    message and exit 2 before anything is served."""
    import tempfile

    from caseflow.cli import main as caseflow_main

    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    with pytest.raises(SystemExit) as info:
        caseflow_main(["app", "--help"])
    assert info.value.code == 0
    assert "127.0.0.1" in capsys.readouterr().out
    code = caseflow_main(["app", "--base", str(tmp_path / "missing.toml"), "--folder", str(tmp_path / "app")])
    assert code == 2
    err = capsys.readouterr().err
    assert "file not found" in err
    assert "Traceback" not in err
