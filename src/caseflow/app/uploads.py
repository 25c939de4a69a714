"""Scenario files uploaded through the page, checked like any scenario and kept inside the app's folder.

An upload is read (at most ``max_bytes``), written under a fixed name into the session's own folder
(the name the user gave is only shown, never used as a path), and loaded with
:func:`caseflow.scenario.load_scenario`, so it is validated exactly as ``caseflow validate`` would.
A file may ``extends`` only one of the scenarios bundled beside the England-average one, by its bare
name (``extends = "baseline.toml"``): that file and what it extends are copied into the session folder
first, so no path in an upload can make the app read anything outside its own folder. Any problem is
an :class:`UploadError` with the problems as a reader should see them (the file named as the user
named it).
"""

from __future__ import annotations

import re
import secrets
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from caseflow.files import atomic_write_bytes
from caseflow.scenario.loader import ScenarioError, load_scenario
from caseflow.scenario.schema import Scenario

__all__ = ["UPLOAD_NAME", "SessionFolder", "UploadError", "accept_upload", "bundled_names"]

#: The name an upload is stored under in its session folder.
UPLOAD_NAME = "uploaded.toml"
_SHOWN_NAME = re.compile(r"[^\w .()+-]", flags=re.ASCII)


class UploadError(ValueError):
    """An uploaded file that cannot be used. ``problems`` lists ``(where, what is wrong)``."""

    def __init__(self, shown_name: str, problems: list[tuple[str, str]]) -> None:
        self.shown_name = shown_name
        self.problems = problems
        lines = [f"{shown_name} cannot be used:"] + [f"{w}: {m}" if w else m for w, m in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class SessionFolder:
    """One browser session's own folder inside the app's folder; removed when the session ends."""

    path: Path

    @classmethod
    def create(cls, sessions: Path) -> SessionFolder:
        """A new, empty folder with an unguessable name under ``sessions``."""
        sessions.mkdir(parents=True, exist_ok=True)
        path = sessions / secrets.token_hex(16)
        path.mkdir(mode=0o700)
        return cls(path)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def shown_name(name: str | None) -> str:
    """The user's file name as it may be shown: one line of plain characters, at most 80."""
    text = _SHOWN_NAME.sub("_", (name or "the file").strip())[:80]
    return text or "the file"


def bundled_names(folder: Path) -> list[str]:
    """The scenario files an upload may extend: the ``*.toml`` files beside the England-average one."""
    return sorted(p.name for p in folder.glob("*.toml") if p.is_file())


def _extends(raw: bytes) -> object:
    """The upload's ``extends`` value (None without one); invalid TOML is left to the loader to report."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    return data.get("extends")


def _copy_chain(name: str, bundled: Path, into: Path) -> None:
    """Copy the bundled scenario ``name`` and the bundled files it extends into ``into``."""
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        source = bundled / name
        shutil.copyfile(source, into / name)
        parent = _extends(source.read_bytes())
        if not isinstance(parent, str) or parent not in bundled_names(bundled):
            return
        name = parent


def accept_upload(
    data: bytes,
    name: str | None,
    session: SessionFolder,
    bundled: Path,
    *,
    max_bytes: int,
    size: int | None = None,
) -> Scenario:
    """The scenario in an uploaded file (``data``, named ``name`` by the user), validated.

    ``bundled``: the folder of scenarios an upload may extend; ``size``: the file's whole size when
    ``data`` is only its start (a file over ``max_bytes`` need not be read whole to be refused).
    Raises :class:`UploadError`.
    """
    shown = shown_name(name)
    size = max(len(data), size or 0)
    if size > max_bytes:
        raise UploadError(
            shown,
            [
                (
                    "",
                    f"the file is {size / 1024:,.0f} KB; a scenario file may be at most "
                    f"{max_bytes / 1024:,.0f} KB (a scenario is a few KB of text)",
                )
            ],
        )
    if not data.strip():
        raise UploadError(shown, [("", "the file is empty")])
    parent = _extends(data)
    allowed = bundled_names(bundled)
    if parent is not None and parent not in allowed:
        raise UploadError(
            shown,
            [
                (
                    "extends",
                    f"{str(parent)[:80]!r} cannot be used here: a file uploaded to the app may extend only "
                    f"one of the bundled scenarios, by name ({', '.join(allowed)})",
                )
            ],
        )
    for old in session.path.glob("*.toml"):  # a new upload replaces the last one
        old.unlink()
    if isinstance(parent, str):
        _copy_chain(parent, bundled, session.path)
    path = session.path / UPLOAD_NAME
    atomic_write_bytes(path, data)
    try:
        scenario = load_scenario(path, within=session.path)
    except ScenarioError as exc:
        path.unlink(missing_ok=True)
        raise UploadError(shown, [(p, m.replace(str(session.path), "")) for p, m in exc.problems]) from None
    return scenario
