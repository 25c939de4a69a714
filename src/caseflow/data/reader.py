"""Read explore-education-statistics (EES) CSV files in their published layout.

Everything is read as text first (``dtype=str, keep_default_na=False``) and only then converted, so
a published code is never mistaken for a number: ``c`` (suppressed), ``x`` (not available), ``u``
(low reliability), ``z`` (not applicable), ``k`` (fewer than 0.5%), ``low``, an empty cell or anything
else that is not a finite number becomes NaN -- never zero -- and the code is kept as a flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from caseflow.data.errors import DataError

__all__ = [
    "EMPTY_FLAG",
    "FLAG_MEANINGS",
    "GEOGRAPHY_COLUMNS",
    "LEVELS",
    "find_file",
    "parse_values",
    "published_name",
    "read_table",
    "time_period_year",
]

#: What each published code means (DfE explore-education-statistics conventions).
FLAG_MEANINGS: dict[str, str] = {
    "c": "suppressed to protect confidentiality (small numbers)",
    "x": "not available (not collected, not submitted or not applicable)",
    "u": "low reliability",
    "z": "not applicable (for example an authority in a year it did not exist)",
    "k": "fewer than 0.5% (rounds to zero)",
    "low": "a low figure, not shown",
    "empty": "an empty cell",
}
#: The flag recorded for an empty (or blank) cell.
EMPTY_FLAG = "empty"

#: The columns every EES file in the published layout has, in addition to its measures.
GEOGRAPHY_COLUMNS: tuple[str, ...] = (
    "time_period",
    "geographic_level",
    "new_la_code",
    "old_la_code",
    "la_name",
    "region_code",
    "region_name",
)
#: The geographic levels read; rows at other levels (if a file has any) are ignored.
LEVELS: tuple[str, ...] = ("National", "Regional", "Local authority")

_SUFFIXES = (".csv.gz", ".csv")
_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


def parse_values(tokens: Iterable[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.object_]]:
    """Published cells -> (values, flags).

    A cell that is a finite number gives its value and the flag ``""``; any other cell gives NaN and
    its code as the flag (stripped of spaces; :data:`EMPTY_FLAG` for an empty cell). ``"nan"`` and
    ``"inf"`` are codes too, not numbers.
    """
    text = pd.Series(list(tokens), dtype=object).astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    finite = np.isfinite(numbers)
    # pd.to_numeric accepts "nan"/"inf"-like spellings: only digits, signs, dots and exponents count.
    looks_numeric = text.str.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?").to_numpy(
        dtype=bool
    )
    ok = finite & looks_numeric
    values = np.where(ok, numbers, np.nan)
    flags = np.where(ok, "", np.where(text.to_numpy() == "", EMPTY_FLAG, text.to_numpy())).astype(object)
    return values.astype(np.float64), flags


def time_period_year(token: str, where: str) -> int:
    """The year of an EES ``time_period``: ``2024`` -> 2024; a financial/academic year ``202324`` -> 2024
    (the year it ends)."""
    token = token.strip()
    if re.fullmatch(r"\d{4}", token):
        return int(token)
    if re.fullmatch(r"\d{6}", token) and (int(token[:4]) + 1) % 100 == int(token[4:]):
        return int(token[:4]) + 1
    raise DataError(f"{where}: time_period {token!r} is not a year (expected e.g. 2024 or 202324)")


def _years_in_name(name: str) -> tuple[int, int]:
    years = [int(y) for y in _YEAR.findall(name)]
    return (max(years), min(years)) if years else (-1, -1)


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def published_name(path: Path) -> str:
    """The file's published name: ``x.csv.gz`` -> ``x.csv`` (gzip is how caseflow stores it)."""
    return path.name[:-3] if path.name.endswith(".csv.gz") else path.name


def find_file(directory: Path, prefix: str) -> Path:
    """The EES file in ``directory`` whose name starts with ``prefix`` (``.csv`` or ``.csv.gz``).

    The rest of the name may say anything (``b1_children_in_need_2013_to_2025.csv``), so newer
    downloads are found with no code change. If several match, the one whose name has the latest
    year wins (then the earliest start year, then the name).
    """
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory (expected a folder of DfE/ONS CSV files)")
    matches = [
        p
        for p in directory.iterdir()
        if p.is_file()
        and p.name.endswith(_SUFFIXES)
        and _stem(p.name).startswith(prefix)
        and (len(_stem(p.name)) == len(prefix) or _stem(p.name)[len(prefix)] in "_-. ")
    ]
    if not matches:
        raise DataError(
            f"{directory}: no file named {prefix}*.csv or {prefix}*.csv.gz "
            f"(expected the published explore-education-statistics file; see docs/data.md)"
        )

    def key(p: Path) -> tuple[int, int, str]:
        end, start = _years_in_name(_stem(p.name))
        return (end, -start, p.name)

    return max(matches, key=key)


def read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The file as text, every column a string; raises :class:`DataError` naming the file and any of
    ``columns`` it lacks."""
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig", compression="infer"
        )
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as a CSV file ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path.name} (in {path.parent}): missing column(s) {', '.join(map(repr, missing))}; "
            f"expected the published explore-education-statistics layout with columns "
            f"{', '.join(columns)}"
        )
    return frame
