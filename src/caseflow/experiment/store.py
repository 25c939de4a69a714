"""Persisting finished replications so an interrupted experiment resumes where it stopped.

Each replication's output is saved as one file named by the scenario's hash, the years, the seed and
the replication number (``<key>.pkl``), written to a temporary file, flushed to disk and renamed into
place (atomic on POSIX and Windows), so a crash, even a SIGKILL or a power cut, never leaves a
half-written replication behind: a file is there whole, or not at all. Resuming loads what exists and
runs only what is missing; because every replication's random numbers depend only on (seed,
replication, stream name), the final table is the same as an uninterrupted run's.

A file is reused only if it unpickles whole, names the key it is stored under, was written by the same
caseflow version and its replication still has the SHA-256 digest it was saved with; anything else (a
file cut short or changed since, a foreign file, one from another version) is run again and replaced.
A temporary file left by a process killed mid-write is never read; it is removed when the store is next
opened, once it is an hour old (a younger one may be another process's write in progress).
"""

from __future__ import annotations

import hashlib
import pickle
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from caseflow.about import DISTRIBUTION
from caseflow.files import atomic_write_bytes, is_temporary, remove_stale_temporaries

__all__ = ["ReplicationStore"]

#: A stored file is a pickled dict: this format, the key, caseflow's version, and the replication
#: pickled on its own (``value``) with that pickle's SHA-256 digest.
_FORMAT = "caseflow replication store 1"


@cache
def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _trusted(saved: Any, key: str) -> bool:
    """Whether ``saved`` (an unpickled store file) is a whole replication for ``key`` from this caseflow."""
    return (
        isinstance(saved, dict)
        and saved.get("format") == _FORMAT  # not written by an earlier caseflow, or by something else
        and saved.get("key") == key  # not another replication's file
        and saved.get("caseflow") == _version()  # not another version's result
        and isinstance(saved.get("value"), bytes)
        and saved.get("sha256") == _digest(saved["value"])  # not changed since it was written
    )


class ReplicationStore:
    """A folder of finished replications (pickled pandas frames; local use only, not an exchange format)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.path)

    def _file(self, key: str) -> Path:
        return self.path / f"{key}.pkl"

    def load(self, key: str) -> Any | None:
        """The replication stored under ``key``, or None if there is none that can be trusted."""
        try:
            with self._file(key).open("rb") as fh:
                saved = pickle.load(fh)
            if not _trusted(saved, key):
                return None
            return pickle.loads(saved["value"])
        except Exception:  # none, or cut short, or not a pickle (unpickling fails in many ways): run it
            return None

    def save(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``, atomically (replacing any file already there)."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        saved = {
            "format": _FORMAT,
            "key": key,
            "caseflow": _version(),
            "sha256": _digest(data),
            "value": data,
        }
        atomic_write_bytes(self._file(key), pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))

    def keys(self) -> list[str]:
        """The keys of the stored files, sorted (temporary files are not counted)."""
        return sorted(p.stem for p in self.path.glob("*.pkl") if not is_temporary(p.name))
