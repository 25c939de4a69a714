"""Local authorities on current geography: the list, lookups, and histories across boundary changes.

The published files use the geography of each year. The changes in them (:data:`CHANGES`):

- 1 April 2013: Gateshead (E08000020 -> E08000037) and Northumberland (E06000048 -> E06000057) got
  new codes after a minor boundary adjustment between the two; the C4 file keeps the old codes to 2019.
- 1 April 2019: Bournemouth (E06000028), Poole (E06000029) and Christchurch (a district of Dorset county,
  E10000009) formed Bournemouth, Christchurch and Poole (E06000058); the rest of Dorset county became
  Dorset (E06000059).
- 1 April 2020: Buckinghamshire became a unitary authority (E10000002 -> E06000060, same area).
- 1 April 2021: Northamptonshire (E10000021) split into North (E06000061) and West (E06000062)
  Northamptonshire.
- 1 April 2023: Cumbria (E10000006) split into Cumberland (E06000063) and Westmorland and Furness
  (E06000064); North Yorkshire (E10000023 -> E06000065) and Somerset (E10000027 -> E06000066) became
  unitary authorities (same area; the 3-digit old code is unchanged).

A *history on current geography* gives a current authority a value in the years before a change, from
its predecessors, and says so in ``basis``:

- same area, new code: the predecessor's figure as published (``predecessor_code``);
- split: the predecessor's count x the successor's share of its children -- ONS children aged 0-17 in
  the first year all successors have an estimate (``estimated_from_predecessor``);
- merge or boundary change: the sum of the predecessors (or of their shares). Christchurch's part of
  Dorset county is ``(BCP - Bournemouth - Poole) / ((BCP - Bournemouth - Poole) + Dorset)``, populations
  from ONS (successors in their first year, the whole predecessors in their last), so the shares of
  Dorset county add to one. The ONS file published with these statistics marks Bournemouth, Poole and
  Dorset county ``x`` in every year, so the share is unknown and the BCP and Dorset histories before 2020
  are NaN with flag ``no_population_share``, unless a share is given (``load(shares=...)``);
- joint returns (the workforce census reports Kingston upon Thames with Richmond upon Thames, and North
  with West Northamptonshire, as one row ``"E06000061 / E06000062"``): split by each member's share of
  the children in that year (``estimated_from_joint_return``).

Percentages, rates, averages and medians (``Measure.additive`` False) are never scaled: a split
successor (or a member of a joint return) inherits the rate; a merge takes the mean weighted by the
predecessors' children (ONS).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from caseflow.data.errors import DataError
from caseflow.data.measures import MEASURES, Measure, reporting_year

__all__ = [
    "BASES",
    "CHANGES",
    "ESTIMATED_FROM_JOINT_RETURN",
    "ESTIMATED_FROM_PREDECESSOR",
    "NO_POPULATION_SHARE",
    "PREDECESSOR_CODE",
    "PUBLISHED",
    "Authority",
    "Change",
    "Geography",
    "Share",
    "normalise_name",
]

POPULATION = "population_0_17"
LOCAL_AUTHORITY = "Local authority"

#: ``basis`` of a figure published for the authority's own current code.
PUBLISHED = "published"
#: ``basis`` of a figure published under the predecessor's code for the same area.
PREDECESSOR_CODE = "predecessor_code"
#: ``basis`` of a figure estimated from predecessors that were split or merged.
ESTIMATED_FROM_PREDECESSOR = "estimated_from_predecessor"
#: ``basis`` of a figure estimated from a joint return of several authorities.
ESTIMATED_FROM_JOINT_RETURN = "estimated_from_joint_return"
#: Every basis, with what it means.
BASES: dict[str, str] = {
    PUBLISHED: "published for the authority's current code",
    PREDECESSOR_CODE: "published for the same area under its previous code",
    ESTIMATED_FROM_PREDECESSOR: "estimated from predecessor authorities (population shares)",
    ESTIMATED_FROM_JOINT_RETURN: "estimated from a joint return of several authorities (population shares)",
}
#: Flag of a derived value that needs a population share the data do not give.
NO_POPULATION_SHARE = "no_population_share"
#: Flag of a derived value when some (not all) predecessors have a row that year.
PREDECESSOR_MISSING = "predecessor_missing"

HISTORY_COLUMNS: tuple[str, ...] = (
    "la_code",
    "year",
    "measure",
    "value",
    "flag",
    "basis",
    "source_code",
    "source_name",
    "note",
    "file",
    "column",
)


@dataclass(frozen=True)
class Change:
    """One boundary or code change: ``parts`` pairs (predecessor, successor) where the successor took
    all or part of the predecessor's area."""

    date: str
    #: The first year to 31 March on the new geography.
    first_year: int
    parts: tuple[tuple[str, str], ...]
    note: str

    @property
    def predecessors(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for p, _ in self.parts))

    @property
    def successors(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for _, s in self.parts))

    def successors_of(self, predecessor: str) -> tuple[str, ...]:
        return tuple(s for p, s in self.parts if p == predecessor)

    def predecessors_of(self, successor: str) -> tuple[str, ...]:
        return tuple(p for p, s in self.parts if s == successor)

    @property
    def is_recode(self) -> bool:
        """Same area, new code: one predecessor, one successor."""
        return len(self.parts) == 1


#: The changes in the published files (checked against the data in tests/test_data.py).
CHANGES: tuple[Change, ...] = (
    Change(
        "1 April 2013",
        2014,
        (("E08000020", "E08000037"),),
        "Gateshead: new code after a minor boundary adjustment with Northumberland "
        "(the C4 file keeps the old code to 2019)",
    ),
    Change(
        "1 April 2013",
        2014,
        (("E06000048", "E06000057"),),
        "Northumberland: new code after a minor boundary adjustment with Gateshead "
        "(the C4 file keeps the old code to 2019)",
    ),
    Change(
        "1 April 2019",
        2020,
        (
            ("E06000028", "E06000058"),
            ("E06000029", "E06000058"),
            ("E10000009", "E06000058"),
            ("E10000009", "E06000059"),
        ),
        "Bournemouth, Poole and Christchurch (part of Dorset county) formed Bournemouth, Christchurch "
        "and Poole; the rest of Dorset county became Dorset",
    ),
    Change(
        "1 April 2020",
        2021,
        (("E10000002", "E06000060"),),
        "Buckinghamshire became a unitary authority (same area, new code)",
    ),
    Change(
        "1 April 2021",
        2022,
        (("E10000021", "E06000061"), ("E10000021", "E06000062")),
        "Northamptonshire split into North Northamptonshire and West Northamptonshire",
    ),
    Change(
        "1 April 2023",
        2024,
        (("E10000006", "E06000063"), ("E10000006", "E06000064")),
        "Cumbria split into Cumberland and Westmorland and Furness",
    ),
    Change(
        "1 April 2023",
        2024,
        (("E10000023", "E06000065"),),
        "North Yorkshire became a unitary authority (same area, new code)",
    ),
    Change(
        "1 April 2023",
        2024,
        (("E10000027", "E06000066"),),
        "Somerset became a unitary authority (same area, new code)",
    ),
)


@dataclass(frozen=True)
class Authority:
    """A current local authority (children's services authority)."""

    code: str
    name: str
    region: str
    region_code: str = ""
    #: The DfE's 3-digit local authority code.
    old_code: str = ""
    #: Codes of the authorities its area was taken from, if it was formed or re-coded.
    predecessors: tuple[str, ...] = ()
    #: First year to 31 March as currently constituted, if it was formed by a split or merge.
    formed: int | None = None


@dataclass(frozen=True)
class Share:
    """The part of a predecessor's children that went to a successor."""

    value: float
    note: str


@dataclass(frozen=True)
class _Cell:
    value: float
    flag: str
    name: str
    file: str
    column: str


@dataclass(frozen=True)
class _Derived:
    """One figure on current geography (a row of :data:`HISTORY_COLUMNS` without the key)."""

    value: float
    flag: str
    basis: str
    source_code: str
    source_name: str
    note: str
    cell: _Cell

    def row(self) -> tuple[object, ...]:
        """The columns of :data:`HISTORY_COLUMNS` after ``la_code``, ``year`` and ``measure``."""
        v = self
        return (v.value, v.flag, v.basis, v.source_code, v.source_name, v.note, v.cell.file, v.cell.column)


_SUFFIX = re.compile(r"^(?P<place>.+), (?P<kind>city|county) of$")


def normalise_name(text: str) -> str:
    """Lower case, "&" -> "and", punctuation dropped, spaces collapsed: "St. Helens" -> "st helens"."""
    text = text.lower().replace("&", " and ")
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return " ".join(text.split())


def _name_keys(name: str) -> Iterator[str]:
    yield normalise_name(name)
    match = _SUFFIX.match(name.strip().lower())
    if match:  # "Bristol, City of" is also "Bristol" and "City of Bristol"
        yield normalise_name(match["place"])
        yield normalise_name(f"{match['kind']} of {match['place']}")


def _members(joint_code: str) -> tuple[str, ...]:
    """``"E06000061 / E06000062"`` -> ``("E06000061", "E06000062")``."""
    return tuple(part.strip() for part in joint_code.split("/"))


def _fmt_share(share: float) -> str:
    return f"{share:.4f}"


class Geography:
    """Current authorities, lookups, population shares and histories, from a published tidy table
    (:func:`caseflow.data.tidy.read_published`).

    ``shares`` adds or replaces shares of split predecessors, ``{predecessor: {successor: share}}``.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        shares: Mapping[str, Mapping[str, float]] | None = None,
        changes: tuple[Change, ...] = CHANGES,
    ) -> None:
        self.frame = frame
        self.changes = changes
        la = frame[frame["level"] == LOCAL_AUTHORITY]
        latest = la.sort_values("year", kind="mergesort").drop_duplicates("la_code", keep="last")
        #: Every code in the files (current, predecessor, joint), with its latest name and region.
        self.every: dict[str, Authority] = {
            str(code): Authority(str(code), str(name), str(region), str(region_code), str(old))
            for code, name, region, region_code, old in zip(
                latest["la_code"],
                latest["la_name"],
                latest["region_name"],
                latest["region_code"],
                latest["old_la_code"],
                strict=True,
            )
        }
        self._as_predecessor: dict[str, Change] = {p: c for c in changes for p in c.predecessors}
        self._as_successor: dict[str, Change] = {s: c for c in changes for s in c.successors}
        pop = la[la["measure"] == POPULATION]
        self._pop: dict[tuple[str, int], float] = {
            (str(c), int(y)): float(v)
            for c, y, v in zip(pop["la_code"], pop["year"], pop["value"], strict=True)
        }
        self._pop_years = sorted({y for _, y in self._pop})
        self.authorities: dict[str, Authority] = self._current()
        self.shares: dict[tuple[str, str], Share] = self._shares(shares or {})
        self._keys = self._lookup_keys()

    def name(self, code: str) -> str:
        """The name published for a code (the code itself if it is not in the files)."""
        return self.every[code].name if code in self.every else code

    def _describe(self, codes: tuple[str, ...]) -> str:
        return ", ".join(f"{self.name(c)} ({c})" for c in codes)

    # -- the list of current authorities --------------------------------------------------------------

    def _current(self) -> dict[str, Authority]:
        out: dict[str, Authority] = {}
        for code in sorted(self.every):
            if not code or "/" in code or code in self._as_predecessor:
                continue
            change = self._as_successor.get(code)
            out[code] = replace(
                self.every[code],
                predecessors=change.predecessors_of(code) if change else (),
                formed=change.first_year if change and not change.is_recode else None,
            )
        return out

    def exists(self, authority: Authority, year: int) -> bool:
        """Whether the authority existed as currently constituted in the year to 31 March ``year``."""
        return authority.formed is None or year >= authority.formed

    # -- population shares ----------------------------------------------------------------------------

    def population(self, code: str, year: int) -> float:
        """ONS children aged 0-17, mid-``year``, as published for ``code`` (NaN if not)."""
        return self._pop.get((code, year), math.nan)

    def _population_near(self, codes: tuple[str, ...], year: int) -> tuple[int, list[float]] | None:
        """Populations of ``codes`` in the year nearest ``year`` in which all have one."""
        for y in sorted(self._pop_years, key=lambda t: (abs(t - year), t)):
            values = [self.population(c, y) for c in codes]
            if all(np.isfinite(values)):
                return y, values
        return None

    def _shares(self, given: Mapping[str, Mapping[str, float]]) -> dict[tuple[str, str], Share]:
        shares: dict[tuple[str, str], Share] = {}
        for change in self.changes:
            for pred in change.predecessors:
                succs = change.successors_of(pred)
                if len(succs) == 1:
                    shares[(pred, succs[0])] = Share(1.0, "the whole area")
                    continue
                for succ, share in self._split(change, pred, succs).items():
                    shares[(pred, succ)] = share
        splits = sorted(p for p, c in self._as_predecessor.items() if len(c.successors_of(p)) > 1)
        for pred, by_successor in given.items():
            split = self._as_predecessor.get(pred)
            succs = split.successors_of(pred) if split else ()
            if len(succs) < 2 or set(by_successor) != set(succs):
                raise DataError(
                    f"shares: {pred!r} must be an authority that was split ({', '.join(splits)}), with a "
                    f"share for each of its successors ({', '.join(succs) or 'none'})"
                )
            total = sum(by_successor.values())
            if any(not 0 <= v <= 1 for v in by_successor.values()) or abs(total - 1) > 1e-9:
                raise DataError(
                    f"shares for {pred}: each must be in [0, 1] and they must add to 1 (got {total})"
                )
            for succ, v in by_successor.items():
                shares[(pred, succ)] = Share(float(v), "share given by the caller")
        return shares

    def _split(self, change: Change, pred: str, succs: tuple[str, ...]) -> dict[str, Share]:
        """Each successor's share of a split predecessor's children: the successor's population in the
        first year all successors have one, less its other (whole) predecessors' in their last year
        before that; over the same sum for all successors."""
        first = next(
            (y for y in self._pop_years if all(np.isfinite(self.population(s, y)) for s in succs)), None
        )
        unknown = {
            s: Share(
                math.nan,
                f"the share is unknown: the ONS figures for {self._describe(change.predecessors)} are not "
                f"published (x)",
            )
            for s in succs
        }
        if first is None:
            return unknown
        parts: dict[str, float] = {}
        for s in succs:
            taken = 0.0
            for other in (p for p in change.predecessors_of(s) if p != pred):
                before = [self.population(other, y) for y in self._pop_years if y < first]
                known = [v for v in before if np.isfinite(v)]
                if not known:
                    return unknown
                taken += known[-1]
            parts[s] = self.population(s, first) - taken
        total = sum(parts.values())
        if total <= 0 or any(v < 0 for v in parts.values()):
            return unknown
        return {
            s: Share(
                parts[s] / total,
                f"{self.name(s)}'s share of the children of {self.name(pred)}, ONS mid-{first}",
            )
            for s in succs
        }

    # -- lookups --------------------------------------------------------------------------------------

    def _lookup_keys(self) -> dict[str, list[str]]:
        keys: dict[str, list[str]] = {}
        for a in self.authorities.values():
            for key in _name_keys(a.name):
                keys.setdefault(key, []).append(a.code)
        return keys

    def find(self, query: str | Authority) -> Authority:
        """The current authority for a current code, a DfE 3-digit code, a predecessor's code or a name
        (any case; punctuation and "&"/"and" ignored). :class:`DataError` lists close matches."""
        if isinstance(query, Authority):
            query = query.code
        text = str(query).strip()
        if text.upper() in self.authorities:
            return self.authorities[text.upper()]
        for a in self.authorities.values():
            if text == a.old_code:
                return a
        key = normalise_name(text)
        if len(self._keys.get(key, ())) == 1:
            return self.authorities[self._keys[key][0]]
        for code, change in self._as_predecessor.items():
            old = self.every.get(code, None)
            if text.upper() == code or (
                old is not None and (text == old.old_code or key == normalise_name(old.name))
            ):
                succs = change.successors_of(code)
                if len(succs) == 1 and succs[0] in self.authorities:
                    return self.authorities[succs[0]]
                raise DataError(
                    f"{text!r}: {self.name(code)} ({code}) no longer exists; on {change.date} its area "
                    f"went to {self._describe(succs)}: use one of those"
                )
        # A run of whole words in just one name: "Richmond" -> "Richmond upon Thames".
        hits = sorted({c for k, codes in self._keys.items() if key and f" {key} " in f" {k} " for c in codes})
        if len(hits) == 1:
            return self.authorities[hits[0]]
        close = difflib.get_close_matches(key, list(self._keys), n=6, cutoff=0.6)
        names = [self.authorities[c].name for c in hits] + [
            self.authorities[self._keys[k][0]].name for k in close
        ]
        hint = f"; close matches: {', '.join(dict.fromkeys(names))}" if names else ""
        raise DataError(f"no local authority matches {text!r}{hint}")

    # -- histories on current geography -----------------------------------------------------------------

    def history(self, measures: tuple[Measure, ...] = MEASURES) -> pd.DataFrame:
        """Every measure for every current authority by year on current geography
        (:data:`HISTORY_COLUMNS`), sorted by measure, code and year."""
        la = self.frame[self.frame["level"] == LOCAL_AUTHORITY]
        wanted = {m.name for m in measures}
        la = la[la["measure"].isin(wanted)]
        joint_codes = sorted(c for c in la["la_code"].unique() if "/" in c)
        members = {m for j in joint_codes for m in _members(j)}
        lineage = sorted(a.code for a in self.authorities.values() if a.predecessors or a.code in members)
        plain = la[la["la_code"].isin(set(self.authorities) - set(lineage))]
        base = pd.DataFrame(
            {
                "la_code": plain["la_code"],
                "year": plain["year"],
                "measure": plain["measure"],
                "value": plain["value"],
                "flag": plain["flag"],
                "basis": PUBLISHED,
                "source_code": plain["la_code"],
                "source_name": plain["la_name"],
                "note": "",
                "file": plain["file"],
                "column": plain["column"],
            }
        )
        cells = {
            (str(m), str(c), int(y)): _Cell(float(v), str(f), str(n), str(fi), str(co))
            for m, c, y, v, f, n, fi, co in zip(
                la["measure"],
                la["la_code"],
                la["year"],
                la["value"],
                la["flag"],
                la["la_name"],
                la["file"],
                la["column"],
                strict=True,
            )
        }
        years: dict[str, list[int]] = {}
        for m, _, y in cells:
            years.setdefault(m, []).append(y)
        rows: list[tuple[object, ...]] = []
        for code in lineage:
            for measure in measures:
                for y in sorted(set(years.get(measure.name, ()))):
                    d = self._figure(measure, code, y, cells, joint_codes)
                    if d is not None:
                        rows.append((code, y, measure.name, *d.row()))
        derived = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
        out = pd.concat([base, derived], ignore_index=True) if rows else base
        out = out.astype({"year": np.int64, "value": np.float64})
        return out.sort_values(["measure", "la_code", "year"], kind="mergesort").reset_index(drop=True)

    def _figure(
        self,
        measure: Measure,
        code: str,
        year: int,
        cells: Mapping[tuple[str, str, int], _Cell],
        joint_codes: list[str],
    ) -> _Derived | None:
        """The figure for a current authority with predecessors or joint returns: its own unless it
        is absent or ``z`` (the authority did not exist), else from its predecessors, else from a
        joint return."""
        own = cells.get((measure.name, code, year))
        if own is not None and own.flag != "z":
            return _Derived(own.value, own.flag, PUBLISHED, code, own.name, "", own)
        derived = self._from_predecessors(measure, code, year, cells)
        if derived is None:
            derived = self._from_joint_return(measure, code, year, cells, joint_codes)
        if derived is None and own is not None:
            return _Derived(own.value, own.flag, PUBLISHED, code, own.name, "", own)
        return derived

    def _from_predecessors(
        self, measure: Measure, code: str, year: int, cells: Mapping[tuple[str, str, int], _Cell]
    ) -> _Derived | None:
        preds = self.authorities[code].predecessors
        found = [cells.get((measure.name, p, year)) for p in preds]
        present = [c for c in found if c is not None]
        if not present:
            return None
        change = self._as_successor[code]
        source, source_name = " + ".join(preds), " + ".join(self.name(p) for p in preds)
        name = self.authorities[code].name
        shares = [self.shares[(p, code)] for p in preds]
        terms = " + ".join(
            f"{self.name(p)} ({p})" if s.value == 1 else f"{_fmt_share(s.value)} × {self.name(p)} ({p})"
            for p, s in zip(preds, shares, strict=True)
        )
        detail = "; ".join(dict.fromkeys(s.note for s in shares if s.value != 1))
        note = f"{name} = {terms}" + (f" ({detail})" if detail else "") + f"; {change.note}, {change.date}"

        def figure(
            value: float, flag: str, basis: str = ESTIMATED_FROM_PREDECESSOR, text: str = note
        ) -> _Derived:
            return _Derived(value, flag, basis, source, source_name, text, present[0])

        if len(present) < len(found):
            missing = tuple(p for p, c in zip(preds, found, strict=True) if c is None)
            return figure(
                math.nan, PREDECESSOR_MISSING, text=f"{note}; no {year} figure for {self._describe(missing)}"
            )
        cells_ = [c for c in found if c is not None]
        if change.is_recode:
            return figure(
                cells_[0].value,
                cells_[0].flag,
                PREDECESSOR_CODE,
                f"published for {self._describe(preds)}: same area, new code {change.date}",
            )
        flagged = next((c for c in cells_ if c.flag), None)
        if flagged is not None:
            return figure(math.nan, flagged.flag)
        values = [c.value for c in cells_]
        if not measure.additive and len(preds) == 1:
            return figure(
                values[0],
                "",
                text=f"{name} takes the rate of {self._describe(preds)} (not scaled); {change.note}",
            )
        if any(math.isnan(s.value) for s in shares):
            return figure(math.nan, NO_POPULATION_SHARE)
        if measure.additive:
            return figure(sum(s.value * v for s, v in zip(shares, values, strict=True)), "")
        weights = []
        for p, s in zip(preds, shares, strict=True):
            near = self._population_near((p,), reporting_year(measure, year) - 1)
            weights.append(math.nan if near is None else s.value * near[1][0])
        mean = f"the mean weighted by children of {terms}"
        if not all(np.isfinite(weights)) or sum(weights) <= 0:
            return figure(
                math.nan, NO_POPULATION_SHARE, text=f"{name} = {mean}: ONS populations not published"
            )
        value = sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)
        return figure(value, "", text=f"{name} = {mean}; {change.note}, {change.date}")

    def _from_joint_return(
        self,
        measure: Measure,
        code: str,
        year: int,
        cells: Mapping[tuple[str, str, int], _Cell],
        joint_codes: list[str],
    ) -> _Derived | None:
        for joint_code in joint_codes:
            members = _members(joint_code)
            cell = cells.get((measure.name, joint_code, year))
            if code not in members or cell is None:
                continue
            name = self.authorities[code].name

            def figure(
                value: float, flag: str, note: str, cell: _Cell = cell, joint: str = joint_code
            ) -> _Derived:
                return _Derived(value, flag, ESTIMATED_FROM_JOINT_RETURN, joint, cell.name, note, cell)

            if cell.flag:
                return figure(math.nan, cell.flag, f"joint return of {cell.name}")
            if not measure.additive:
                return figure(
                    cell.value, "", f"{name} takes the rate of the joint return of {cell.name} (not scaled)"
                )
            near = self._population_near(members, reporting_year(measure, year) - 1)
            if near is None:
                return figure(
                    math.nan, NO_POPULATION_SHARE, f"joint return of {cell.name}: no ONS populations"
                )
            pop_year, pops = near
            share = pops[members.index(code)] / sum(pops)
            return figure(
                share * cell.value,
                "",
                f"{name} = {_fmt_share(share)} × the joint return of {cell.name} "
                f"({name}'s share of the children, ONS mid-{pop_year})",
            )
        return None
