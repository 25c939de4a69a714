"""Published EES files -> one tidy long table of the registry's measures, as published.

One row per (measure, geography, year): ``level``, ``la_code``, ``old_la_code``, ``la_name``,
``region_code``, ``region_name``, ``year``, ``measure``, ``value``, ``flag``, ``file``, ``column``.
Nothing is re-coded or re-based here: the codes, names and years are the published ones (including
old codes, joint returns such as ``"E06000061 / E06000062"`` and the ``z`` rows of authorities in years
they did not exist). :mod:`caseflow.data.geography` puts the figures on current geography.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from caseflow.data.errors import DataError
from caseflow.data.measures import MEASURES, Measure
from caseflow.data.reader import (
    GEOGRAPHY_COLUMNS,
    LEVELS,
    find_file,
    parse_values,
    published_name,
    read_table,
    time_period_year,
)

__all__ = ["COLUMNS", "LEVEL_ORDER", "normalise", "read_published", "tidy_measure"]

#: The tidy table's columns, in order.
COLUMNS: tuple[str, ...] = (
    "level",
    "la_code",
    "old_la_code",
    "la_name",
    "region_code",
    "region_name",
    "year",
    "measure",
    "value",
    "flag",
    "file",
    "column",
)
_TEXT = (
    "level",
    "la_code",
    "old_la_code",
    "la_name",
    "region_code",
    "region_name",
    "measure",
    "flag",
    "file",
    "column",
)
#: Sort order of ``level``.
LEVEL_ORDER: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}
_KEY = ("level", "la_code", "region_code", "year")


def _canonical(values: np.ndarray) -> np.ndarray:
    """Values as they are written to (and read back from) the snapshot: 12 significant digits."""
    return np.array([float(f"{v:.12g}") if np.isfinite(v) else np.nan for v in values], dtype=np.float64)


def tidy_measure(raw: pd.DataFrame, measure: Measure, file: str) -> pd.DataFrame:
    """The rows of one measure from one published file (read as text)."""
    rows = raw[raw["geographic_level"].isin(LEVELS)]
    parts: list[pd.DataFrame] = []
    summed: tuple[str, ...] = ("",)
    sum_column = ""
    for column, wanted in measure.filter:
        if isinstance(wanted, tuple):
            summed, sum_column = wanted, column
            continue
        if not (raw[column] == wanted).any():
            raise DataError(
                f"{file}: no rows with {column} = {wanted!r} (for measure {measure.name!r}); "
                f"values found: {', '.join(sorted(set(raw[column]))[:12])}"
            )
        rows = rows[rows[column] == wanted]
    for wanted in summed:
        part = rows if not sum_column else rows[rows[sum_column] == wanted]
        if sum_column and not (raw[sum_column] == wanted).any():
            raise DataError(f"{file}: no rows with {sum_column} = {wanted!r} (for measure {measure.name!r})")
        values, flags = parse_values(part[measure.column])
        parts.append(
            pd.DataFrame(
                {
                    "level": part["geographic_level"].to_numpy(),
                    "la_code": part["new_la_code"].str.strip().to_numpy(),
                    "old_la_code": part["old_la_code"].str.strip().to_numpy(),
                    "la_name": part["la_name"].str.strip().to_numpy(),
                    "region_code": part["region_code"].str.strip().to_numpy(),
                    "region_name": part["region_name"].str.strip().to_numpy(),
                    "year": [time_period_year(t, file) for t in part["time_period"]],
                    "value": values,
                    "flag": flags,
                }
            )
        )
    frame = parts[0]
    if len(parts) > 1:
        # The sum of several rows: NaN, with the first part's code, if any part is not a number.
        keys = [c for c in frame.columns if c not in ("value", "flag")]
        for i, other in enumerate(parts[1:], start=1):
            frame = frame.merge(other, on=keys, how="outer", suffixes=("", f"_{i}"), validate="one_to_one")
        value_cols = ["value"] + [f"value_{i}" for i in range(1, len(parts))]
        flag_cols = ["flag"] + [f"flag_{i}" for i in range(1, len(parts))]
        values = frame[value_cols].to_numpy(dtype=np.float64)
        flags = frame[flag_cols].fillna("absent").to_numpy(dtype=object)
        first_flag = np.array([next((f for f in row if f), "") for row in flags], dtype=object)
        frame = frame[keys].assign(value=values.sum(axis=1), flag=first_flag)
    frame = frame.assign(measure=measure.name, file=file, column=measure.column)
    # Exact repeats of a row are dropped; conflicting ones are an error.
    frame = frame.drop_duplicates()
    clash = frame.duplicated(list(_KEY), keep=False)
    if clash.any():
        first = frame[clash].iloc[0]
        raise DataError(
            f"{file}: {int(clash.sum())} conflicting rows for measure {measure.name!r}, e.g. "
            f"{first['level']} {first['la_code'] or first['region_code'] or 'England'} {first['year']}"
        )
    return frame


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """The tidy table in canonical form: fixed columns and dtypes, canonical values, sorted rows."""
    out = frame.loc[:, list(COLUMNS)].copy()
    for column in _TEXT:
        out[column] = out[column].astype(object).where(out[column].notna(), "").astype(str)
    out["year"] = out["year"].astype(np.int64)
    out["value"] = _canonical(out["value"].to_numpy(dtype=np.float64))
    order = out["level"].map(LEVEL_ORDER).fillna(len(LEVEL_ORDER))
    return (
        out.assign(_order=order)
        .sort_values(["measure", "_order", "region_code", "la_code", "year"], kind="mergesort")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def read_published(directory: str | Path, measures: Iterable[Measure] = MEASURES) -> pd.DataFrame:
    """The tidy table of ``measures`` read from the published files in ``directory``."""
    directory = Path(directory)
    by_file: dict[str, list[Measure]] = {}
    for measure in measures:
        by_file.setdefault(measure.file, []).append(measure)
    missing: list[str] = []
    frames: list[pd.DataFrame] = []
    for prefix, group in by_file.items():
        try:
            path = find_file(directory, prefix)
        except DataError:
            missing.append(prefix)
            continue
        columns = list(GEOGRAPHY_COLUMNS)
        for m in group:
            columns += [m.column, *(c for c, _ in m.filter)]
        raw = read_table(path, list(dict.fromkeys(columns)))
        frames += [tidy_measure(raw, m, published_name(path)) for m in group]
    if missing:
        if not directory.is_dir():
            raise DataError(f"{directory}: not a directory (expected a folder of DfE/ONS CSV files)")
        raise DataError(
            f"{directory}: missing required file(s) "
            + ", ".join(f"{p}*.csv" for p in missing)
            + " (expected the published explore-education-statistics files; see docs/data.md)"
        )
    return normalise(pd.concat(frames, ignore_index=True))
