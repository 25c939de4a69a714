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

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "readable", "write_json"]


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
