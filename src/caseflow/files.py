"""Writing files atomically: a crash never leaves a half-written file, and a failure leaves any
previous file untouched.

Every file caseflow writes goes through :func:`atomic_path` (reports, workbooks, charts, JSON, scenario
files, the data snapshot, stored replications, backtest tables): a temporary file in the same folder,
given the permissions a normally created file would have (the umask), flushed to disk, then renamed over
the target. A process killed mid-write (SIGKILL, a power cut) leaves the target as it was, and at most a
hidden temporary file named ``.<target>.caseflow-<8 characters>[suffix]`` (:func:`is_temporary`), which
:func:`remove_stale_temporaries` removes once nothing has touched it for an hour.
This module is at the bottom of the package: it imports nothing from caseflow.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
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
    "is_temporary",
    "readable",
    "remove_stale_temporaries",
    "replaceable_folder",
    "temporary_prefix",
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
    atomic_write_text(p / MANIFEST, "\n".join(names) + "\n")


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


#: How much of a target's name its temporary file's name keeps (a name stays within the usual 255).
_KEPT = 120
#: The temporary files and folders caseflow writes through: ``.<target>.caseflow-`` and the 8 random
#: characters of :func:`tempfile.mkstemp` (lower-case letters, digits, ``_``), then any suffix.
_TEMPORARY = re.compile(r"\..+\.caseflow-[a-z0-9_]{8}(\.[^.]*)?", re.DOTALL)
#: A temporary file or folder untouched for this long is left over from a process killed mid-write.
STALE_SECONDS = 3600.0


def temporary_prefix(name: str) -> str:
    """The start of the names of the temporary files (or folders) written on the way to ``name``."""
    return f".{name[:_KEPT]}.caseflow-"


def is_temporary(name: str) -> bool:
    """Whether ``name`` is one of caseflow's temporary files or folders (never a finished output)."""
    return _TEMPORARY.fullmatch(name) is not None


def remove_stale_temporaries(
    folder: str | Path, target: str | None = None, older_than: float = STALE_SECONDS
) -> list[Path]:
    """Remove the temporary files and folders in ``folder`` (those on the way to ``target``, if given)
    that nothing has changed for ``older_than`` seconds: left by a process killed mid-write. Younger ones
    may be another process's write in progress and are left alone; so is every other file. Tidying is
    best effort (one that cannot be removed is skipped); returns what was removed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    cutoff = time.time() - older_than
    start = temporary_prefix(target) if target is not None else ""
    removed = []
    for entry in entries:
        if not (is_temporary(entry.name) and entry.name.startswith(start)):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:  # gone already (another process tidied it), or not ours to remove
            continue
        removed.append(Path(entry.path))
    return removed


def _to_disk(path: Path) -> None:
    """Flush ``path``'s content to disk, so that a power cut after the rename cannot empty it."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; flushed to disk and renamed over ``path`` if the
    block succeeds.

    The parent folders are created. If the block (or the rename) fails, the temporary file is removed
    and ``path`` is as it was. ``suffix`` is the temporary file's (a library that guesses the format
    from the name, such as matplotlib, may need the real one). The temporary file's name is unique to
    this call (:func:`tempfile.mkstemp`), so processes and threads writing beside each other never share
    one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=temporary_prefix(path.name), suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        readable(tmp)
        yield tmp
        _to_disk(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, flushed to disk, and a rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8, no newline translation) via a temporary file and a rename."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically; NaN is refused (it is not JSON)."""
    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
