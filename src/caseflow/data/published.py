"""Published statistics for every current local authority: :func:`load` and :class:`Published`.

>>> from caseflow.data import load
>>> data = load()  # the snapshot shipped with caseflow  # doctest: +SKIP
>>> data.value("referrals", "Hackney", 2024)  # doctest: +SKIP
3782.0
>>> data = load("path/to/newer/downloads")  # the published EES files, read as they are  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from caseflow.data.errors import DataError
from caseflow.data.geography import PUBLISHED, Authority, Geography, normalise_name
from caseflow.data.measures import MEASURES, FilterValue, Measure, get_measure, reporting_year_source
from caseflow.data.snapshot import read_snapshot
from caseflow.data.tidy import read_published

__all__ = ["ABSENT", "Published", "Source", "load"]

#: The flag of a figure with no row at all in the published files (no such year, or not published).
ABSENT = "absent"
UNRELIABLE = "u"


@dataclass(frozen=True)
class Source:
    """Where a figure comes from, for a footnote."""

    measure: str
    #: The published file name (``.csv``, as published).
    file: str
    column: str
    filter: tuple[tuple[str, FilterValue], ...]
    #: The published ``time_period``.
    year: int
    #: The code(s) the figure was published under (a predecessor's, or a joint return's).
    la_code: str
    la_name: str
    #: The published code (``c``, ``x``, ``u``, ``z``, ...) when there is no number, else None.
    flag: str | None
    #: ``published``, ``predecessor_code``, ``estimated_from_predecessor``,
    #: ``estimated_from_joint_return`` (or ``absent``).
    basis: str
    #: How the figure was derived on current geography; None if published as is.
    derived: str | None

    @property
    def note(self) -> str | None:
        """The same as :attr:`derived`."""
        return self.derived


class Published:
    """The registry's measures, as published, and on current geography.

    ``frame`` is the tidy long table as published (every geography and code as in the files);
    ``history`` is every current authority's series on current geography, with ``basis`` saying
    whether each figure was published for it or derived from predecessors. ``year`` is always the
    published ``time_period`` (see :func:`caseflow.data.reporting_year_source`).
    """

    def __init__(
        self, frame: pd.DataFrame, *, origin: str, shares: Mapping[str, Mapping[str, float]] | None = None
    ) -> None:
        self.frame = frame
        self.origin = origin
        self.geography = Geography(frame, shares)
        self.history = self.geography.history()
        h = self.history
        self._rows: dict[tuple[str, str, int], int] = {
            (m, c, int(y)): i
            for i, (m, c, y) in enumerate(zip(h["measure"], h["la_code"], h["year"], strict=True))
        }
        self._h_value = h["value"].to_numpy(dtype=np.float64)
        self._h_text = {
            c: h[c].to_numpy(dtype=object)
            for c in ("flag", "basis", "source_code", "source_name", "note", "file", "column")
        }
        area = frame[frame["level"] != "Local authority"]
        self._area: dict[tuple[str, str, int], tuple[float, str]] = {
            (m, r, int(y)): (float(v), str(f))
            for m, r, y, v, f in zip(
                area["measure"], area["region_code"], area["year"], area["value"], area["flag"], strict=True
            )
        }
        regions = frame.loc[frame["level"] == "Regional", ["region_code", "region_name"]].drop_duplicates()
        self._regions = dict(zip(regions["region_code"], regions["region_name"], strict=True))
        self._years = {
            m: sorted(int(y) for y in ys) for m, ys in frame.groupby("measure")["year"].unique().items()
        }

    def __repr__(self) -> str:
        authorities = len(self.geography.authorities)
        return f"<Published from {self.origin}: {len(self.frame)} figures, {authorities} authorities>"

    # -- authorities ------------------------------------------------------------------------------------

    @property
    def measures(self) -> tuple[Measure, ...]:
        return MEASURES

    def find(self, name_or_code: str | Authority) -> Authority:
        """The current authority for a code (current, DfE 3-digit or a predecessor's) or a name."""
        return self.geography.find(name_or_code)

    def authorities(self, year: int | None = None) -> pd.DataFrame:
        """Current authorities (one row each, by name); with ``year``, those that existed as currently
        constituted in the year to 31 March ``year``."""
        rows = [
            {
                "code": a.code,
                "name": a.name,
                "region": a.region,
                "region_code": a.region_code,
                "old_code": a.old_code,
                "formed": a.formed,
                "predecessors": " + ".join(a.predecessors),
            }
            for a in self.geography.authorities.values()
            if year is None or self.geography.exists(a, year)
        ]
        out = pd.DataFrame(rows).sort_values("name", kind="mergesort").reset_index(drop=True)
        out["formed"] = out["formed"].astype("Int64")
        return out

    # -- figures for one authority ----------------------------------------------------------------------

    def _row(
        self, measure: str | Measure, la: str | Authority, year: int
    ) -> tuple[Measure, Authority, int | None]:
        m = get_measure(measure)
        a = self.find(la)
        return m, a, self._rows.get((m.name, a.code, int(year)))

    def value(self, measure: str | Measure, la: str | Authority, year: int) -> float:
        """The figure for a current authority and ``time_period`` on current geography (NaN if none)."""
        _, _, i = self._row(measure, la, year)
        return math.nan if i is None else float(self._h_value[i])

    def flag(self, measure: str | Measure, la: str | Authority, year: int) -> str | None:
        """The published code when there is no number (``c``, ``x``, ``u``, ``z``, ... or ``absent``),
        else how the figure was derived (``predecessor_code``, ``estimated_from_predecessor``,
        ``estimated_from_joint_return``), else None (published as is)."""
        _, _, i = self._row(measure, la, year)
        if i is None:
            return ABSENT
        flag = str(self._h_text["flag"][i])
        basis = str(self._h_text["basis"][i])
        return flag or (basis if basis != PUBLISHED else None)

    def source(self, measure: str | Measure, la: str | Authority, year: int) -> Source:
        """Where the figure comes from."""
        m, a, i = self._row(measure, la, year)
        if i is None:
            return Source(m.name, "", m.column, m.filter, int(year), a.code, a.name, ABSENT, ABSENT, None)
        t = {k: str(v[i]) for k, v in self._h_text.items()}
        return Source(
            measure=m.name,
            file=t["file"],
            column=t["column"],
            filter=m.filter,
            year=int(year),
            la_code=t["source_code"],
            la_name=t["source_name"],
            flag=t["flag"] or None,
            basis=t["basis"],
            derived=t["note"] or None,
        )

    def series(self, measure: str | Measure, la: str | Authority) -> pd.Series:
        """The figures by ``time_period`` on current geography (derived years flagged in ``history``)."""
        m = get_measure(measure)
        a = self.find(la)
        h = self.history
        rows = h[(h["measure"] == m.name) & (h["la_code"] == a.code)]
        return pd.Series(
            rows["value"].to_numpy(dtype=np.float64),
            index=pd.Index(rows["year"].to_numpy(dtype=np.int64), name="year"),
            name=m.name,
        )

    def unreliable(self, la: str | Authority, year: int) -> list[str]:
        """Measures flagged ``u`` (low reliability) for the authority in ``time_period`` ``year``."""
        a = self.find(la)
        out = []
        for m in MEASURES:
            i = self._rows.get((m.name, a.code, int(year)))
            if i is not None and self._h_text["flag"][i] == UNRELIABLE:
                out.append(m.name)
        return out

    def profile(self, la: str | Authority, year: int) -> pd.DataFrame:
        """Every measure for a profile "as at 31 March ``year``": each read from the ``time_period``
        published by then (:func:`caseflow.data.reporting_year_source`)."""
        a = self.find(la)
        rows = []
        for m in MEASURES:
            period = reporting_year_source(m, year)
            rows.append(
                {
                    "measure": m.name,
                    "label": m.label,
                    "unit": m.unit,
                    "period": m.period,
                    "time_period": period,
                    "value": self.value(m, a, period),
                    "flag": self.flag(m, a, period),
                }
            )
        return pd.DataFrame(rows).set_index("measure")

    # -- comparators --------------------------------------------------------------------------------------

    def national(self, measure: str | Measure, year: int) -> float:
        """England's figure (NaN if none)."""
        m = get_measure(measure)
        return self._area.get((m.name, "", int(year)), (math.nan, ""))[0]

    def region_code(self, region: str) -> str:
        """The region code for a code or name ("London", "Inner London", "South East", ...)."""
        if region.upper() in self._regions:
            return region.upper()
        key = normalise_name(region)
        for code, name in self._regions.items():
            if normalise_name(name) == key:
                return str(code)
        raise DataError(f"no region matches {region!r}; regions: {', '.join(sorted(self._regions.values()))}")

    def regional(self, measure: str | Measure, region: str, year: int) -> float:
        """A region's figure (NaN if none); ``region`` is a code or name."""
        m = get_measure(measure)
        return self._area.get((m.name, self.region_code(region), int(year)), (math.nan, ""))[0]

    def years(self, measure: str | Measure) -> list[int]:
        """The ``time_period`` years the measure is published for."""
        return list(self._years.get(get_measure(measure).name, []))


def load(
    data_dir: str | Path | None = None, *, shares: Mapping[str, Mapping[str, float]] | None = None
) -> Published:
    """The published statistics: the snapshot shipped with caseflow (``data_dir`` None), a snapshot
    file (``*.csv.gz`` written by ``python -m caseflow.data build``), or a directory of published EES
    files read as they are (for example newer downloads).

    ``shares`` gives population shares the data do not, as ``{predecessor: {successor: share}}``
    (see :mod:`caseflow.data.geography`).
    """
    if data_dir is None:
        return Published(read_snapshot(), origin="the caseflow snapshot", shares=shares)
    path = Path(data_dir)
    if path.is_file():
        return Published(read_snapshot(path), origin=str(path), shares=shares)
    return Published(read_published(path), origin=str(path), shares=shares)
