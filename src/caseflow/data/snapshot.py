"""The shipped snapshot: the registry's measures as published, in one small gzip CSV.

``build_snapshot`` writes it deterministically (sorted rows, values to 12 significant digits, gzip
with no file name and mtime 0), so rebuilding from the same files gives the same bytes, and
atomically (:func:`caseflow.files.atomic_path`: a temporary file in the same directory, then a rename).
"""

from __future__ import annotations

import gzip
import io
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
import pandas as pd

from caseflow.data.errors import DataError
from caseflow.data.tidy import COLUMNS, normalise, read_published
from caseflow.files import atomic_path

__all__ = ["SNAPSHOT_NAME", "build_snapshot", "read_snapshot", "shipped_snapshot", "write_snapshot"]

#: The snapshot's file name inside the ``caseflow.data`` package.
SNAPSHOT_NAME = "published.csv.gz"


def shipped_snapshot() -> Traversable:
    """The snapshot shipped with caseflow."""
    return files("caseflow.data").joinpath(SNAPSHOT_NAME)


def _csv_text(frame: pd.DataFrame) -> str:
    out = frame.loc[:, list(COLUMNS)].copy()
    out["value"] = [f"{v:.12g}" if np.isfinite(v) else "" for v in out["value"].to_numpy(dtype=np.float64)]
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def write_snapshot(frame: pd.DataFrame, out_path: str | Path) -> Path:
    """Write a tidy table (:func:`caseflow.data.tidy.read_published`) as the snapshot file."""
    out_path = Path(out_path)
    data = _csv_text(normalise(frame)).encode("utf-8")
    with (
        atomic_path(out_path) as tmp,
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(data)
    return out_path


def build_snapshot(source_dir: str | Path, out_path: str | Path) -> Path:
    """Read the published files in ``source_dir`` and write the snapshot to ``out_path``."""
    return write_snapshot(read_published(source_dir), out_path)


def read_snapshot(path: str | Path | Traversable | None = None) -> pd.DataFrame:
    """The tidy table stored in a snapshot file (the shipped one if ``path`` is None)."""
    source: Path | Traversable = (
        shipped_snapshot() if path is None else Path(path) if isinstance(path, str) else path
    )
    try:
        with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as text:
            frame = pd.read_csv(text, dtype=str, keep_default_na=False, na_filter=False)
    except (OSError, EOFError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(
            f"{source}: cannot read the snapshot ({exc}); rebuild it with "
            f"python -m caseflow.data build --from data/dfe --out {source}"
        ) from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: not a caseflow snapshot (missing column(s) {', '.join(missing)})")
    frame["year"] = frame["year"].astype(np.int64)
    try:
        frame["value"] = np.array([float(v) if v else np.nan for v in frame["value"]], dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"{source}: a value that is not a number ({exc})") from exc
    return normalise(frame)
