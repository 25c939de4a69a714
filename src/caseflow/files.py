"""Writing files atomically: a crash never leaves a half-written file, and a failure leaves any
previous file untouched.

Every file caseflow writes goes through :func:`atomic_path` (reports, workbooks, charts, JSON, scenario
files, the data snapshot, stored replications, backtest tables): a temporary file in the same folder,
given the permissions a normally created file would have (the umask), then renamed over the target.
This module is at the bottom of the package: it imports nothing from caseflow.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "MANIFEST",
    "OutputFolderError",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "inert_text",
    "readable",
    "replaceable_folder",
    "write_json",
    "write_manifest",
]

#: The file in an output folder that lists the files caseflow wrote there (one name a line).
MANIFEST = ".caseflow-output"


class OutputFolderError(ValueError):
    """An output folder caseflow may not replace: it holds files caseflow did not write."""


def replaceable_folder(path: str | Path) -> None:
    """Check that writing an output folder at ``path`` destroys nothing caseflow did not write.

    Fine: no such path, an empty folder, or a folder whose every file is listed in its
    :data:`MANIFEST` (one caseflow wrote). Otherwise :class:`OutputFolderError`, naming the folder and
    the files that are not caseflow's: caseflow never deletes them.
    """
    p = Path(path)
    if not p.exists():
        return
    if not p.is_dir():
        raise OutputFolderError(f"{p} exists and is not a folder: choose another output folder")
    names = {q.name for q in p.iterdir()}
    if not names:
        return
    listed: set[str] = set()
    manifest = p / MANIFEST
    if manifest.is_file():
        listed = {line for line in manifest.read_text(encoding="utf-8").splitlines() if line}
    foreign = sorted(names - listed - {MANIFEST})
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise OutputFolderError(
            f"{p} already holds files caseflow did not write ({shown}); caseflow never deletes them: "
            "choose another output folder, or move them"
        )


def write_manifest(folder: str | Path) -> None:
    """List the files now in ``folder`` in its :data:`MANIFEST` (so a later run may replace them)."""
    p = Path(folder)
    names = sorted(q.name for q in p.iterdir() if q.name != MANIFEST)
    (p / MANIFEST).write_text("\n".join(names) + "\n", encoding="utf-8")
    readable(p / MANIFEST)


#: What a spreadsheet reads as the start of a formula in a cell of text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: one that would start a formula (``=``, ``+``, ``-``,
    ``@``, a tab or carriage return) gets a leading apostrophe, so Excel shows it and never runs it.
    Scenario names, descriptions and team names come from users, perhaps through a web page."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def readable(path: str | Path, directory: bool = False) -> None:
    """Give a temporary file or folder the permissions a normally created one would have."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` if the block succeeds.

    The parent folders are created. If the block (or the rename) fails, the temporary file is removed
    and ``path`` is as it was. ``suffix`` is the temporary file's (a library that guesses the format
    from the name, such as matplotlib, may need the real one).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        readable(tmp)
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, flushed to disk, and a rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8, no newline translation) via a temporary file and a rename."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically; NaN is refused (it is not JSON)."""
    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
