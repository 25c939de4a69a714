"""Persisting finished replications so an interrupted experiment resumes where it stopped.

Each replication's output is saved as one file named by the scenario's hash, the years, the seed and
the replication number, written to a temporary file and renamed into place (atomic on POSIX and
Windows), so a crash never leaves a half-written replication behind. Resuming loads what exists and
runs only what is missing; because every replication's random numbers depend only on (seed,
replication, stream name), the final table is the same as an uninterrupted run's.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from caseflow.files import atomic_write_bytes

__all__ = ["ReplicationStore"]


class ReplicationStore:
    """A folder of finished replications (pickled pandas frames; local use only, not an exchange format)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def _file(self, key: str) -> Path:
        return self.path / f"{key}.pkl"

    def load(self, key: str) -> Any | None:
        f = self._file(key)
        if not f.exists():
            return None
        try:
            with f.open("rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None  # unreadable: run it again

    def save(self, key: str, value: Any) -> None:
        atomic_write_bytes(self._file(key), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def keys(self) -> list[str]:
        return sorted(p.stem for p in self.path.glob("*.pkl"))
