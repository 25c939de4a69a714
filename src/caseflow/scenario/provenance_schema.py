"""Where a scenario's values came from, as data: the optional ``[provenance]`` table.

A scenario built automatically from an authority's published DfE figures (a *profile*) records, for each
value it set, the file, measure, column, year and LA code the figure came from and how it was used
(published as is, derived, calibrated, left at the national default, or assumed). Provenance is
documentation only: it never changes what a run does. The Excel workbook shows it beside each parameter.

``sources`` is keyed by the dotted path of a scenario field (``opening_stock.looked_after``,
``workforce.teams.assessment.establishment``); :func:`field_path_problem` checks such a path against the
schema and, for table keys the user chooses (team names, contact sources), against the scenario.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictInt, StrictStr

from caseflow.scenario.base import Section
from caseflow.scenario.base import unwrap as _unwrap
from caseflow.scenario.limits import CONTROL_CHARACTERS

__all__ = [
    "MAX_ENTRIES",
    "MAX_TEXT",
    "METHODS",
    "Provenance",
    "Source",
    "field_path_problem",
    "lookup_source",
    "source_key",
]

#: How a value was obtained.
METHODS: tuple[str, ...] = ("published", "derived", "calibrated", "national_default", "assumption")
#: Longest text accepted in any provenance field (characters).
MAX_TEXT = 500
#: Most entries accepted in a provenance list or in ``sources``.
MAX_ENTRIES = 1000

_LA_CODE = re.compile(r"[A-Z][0-9]{8}")


def _la_code(value: str) -> str:
    if not _LA_CODE.fullmatch(value):
        raise ValueError(f"must be a 9-character ONS (GSS) code such as E06000031, got {value!r}")
    return value


def _year(value: int) -> int:
    if 1900 <= value <= 2100:
        return value
    first, last = divmod(value, 100)
    if 1900 <= first <= 2100 and last == (first + 1) % 100:
        return value
    raise ValueError(
        f"must be a year such as 2024 or a DfE financial-year time_period such as 202324, got {value}"
    )


def _printable(value: str) -> str:
    bad = CONTROL_CHARACTERS.search(value)
    if bad is not None:
        raise ValueError(f"must not contain control characters, got {bad.group()!r}")
    return value


Text = Annotated[StrictStr, Field(max_length=MAX_TEXT), AfterValidator(_printable)]
TextList = Annotated[tuple[Text, ...], Field(strict=False, max_length=MAX_ENTRIES)]
LACode = Annotated[StrictStr, AfterValidator(_la_code)]
Year = Annotated[StrictInt, AfterValidator(_year)]
FieldPath = Annotated[StrictStr, Field(min_length=1, max_length=MAX_TEXT)]


class Source(Section):
    """Where one scenario value came from: how it was obtained and, for a figure, the file it was read from.

    Every field is optional. Provenance is documentation only and never changes a run.
    """

    method: Literal[METHODS] | None = Field(  # type: ignore[valid-type]
        default=None,
        description="how the value was obtained: `published` (a published figure used as is), `derived` "
        "(computed from published figures), `calibrated` (tuned so the model reproduces a published "
        "figure), `national_default` (left at the baseline's England value) or `assumption`",
    )
    file: Text | None = Field(default=None, description="the published file the figure was read from")
    measure: Text | None = Field(default=None, description="the measure (row filter) within the file")
    column: Text | None = Field(default=None, description="the column holding the figure")
    year: Year | None = Field(
        default=None,
        description="the file's time_period: a year such as 2024 (to 31 March) or a financial year "
        "such as 202324",
    )
    la_code: LACode | None = Field(
        default=None,
        description="ONS (GSS) code of the authority the figure is for: a capital letter and 8 digits, "
        "such as E06000031",
    )
    value: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        default=None, description="the published figure used (before any scaling or derivation)"
    )
    note: Text | None = Field(default=None, description="anything else a reader should know")

    def is_empty(self) -> bool:
        """No source recorded: an empty entry (a value set in a scenario that says nothing about it)."""
        return all(getattr(self, name) is None for name in type(self).model_fields)

    def describe(self) -> str:
        """One line for a reader: method, file, measure, column, year, LA code, value and note."""
        where = ", ".join(
            part
            for part in (
                self.file or "",
                f"measure {self.measure}" if self.measure else "",
                f"column {self.column}" if self.column else "",
                f"year {self.year}" if self.year is not None else "",
                self.la_code or "",
                f"value {self.value:g}" if self.value is not None else "",
            )
            if part
        )
        head = self.method.replace("_", " ") if self.method else ""
        text = f"{head}: {where}" if head and where else head or where
        if self.note:
            text = f"{text} ({self.note})" if text else self.note
        return text


class Provenance(Section):
    """Where the scenario's values came from (optional; documentation only, never changes a run).
    Each key of `sources` is the dotted path of a scenario field, such as `opening_stock.looked_after`,
    `cp_plan.duration_months` or `workforce.teams.assessment.establishment`; a table key the user
    chooses (a team, a contact source) must be one the scenario has. A source given for a table applies
    to every value in it. `national_defaults` lists field paths in the same form.
    """

    authority: Text | None = Field(default=None, description="the local authority the scenario describes")
    la_code: LACode | None = Field(
        default=None, description="its ONS (GSS) code: a capital letter and 8 digits, such as E06000031"
    )
    profile_year: Year | None = Field(
        default=None, description="the year of the data: figures up to 31 March of this year"
    )
    built_by: Text | None = Field(
        default=None,
        description="the tool and version that built the scenario, e.g. `caseflow profile 0.1.0`",
    )
    national_defaults: TextList = Field(
        default=(), description="field paths left at the baseline's national value"
    )
    warnings: TextList = Field(default=(), description="anything the builder could not do as intended")
    sources: Annotated[dict[FieldPath, Source], Field(max_length=MAX_ENTRIES)] = Field(
        default={}, description="where each value came from, keyed by the field's dotted path"
    )


def source_key(provenance: Provenance | None, path: str) -> str | None:
    """The key of the entry in ``sources`` that covers ``path``: its own, or the nearest table's."""
    if provenance is None or not provenance.sources:
        return None
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in provenance.sources:
            return key
    return None


def lookup_source(provenance: Provenance | None, path: str) -> Source | None:
    """The source recorded for ``path`` or, failing that, for the nearest table containing it."""
    key = source_key(provenance, path)
    return None if key is None or provenance is None else provenance.sources[key]


# ============================================================================ field paths
def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def field_path_problem(root: type[BaseModel], instance: Any, path: str) -> str | None:
    """What is wrong with ``path`` as the dotted path of a field of ``root``, or None if it names one.

    Fixed fields are checked against the schema. Keys of tables the user names (``workforce.teams``,
    ``demand.sources``) must exist in ``instance`` (the validated scenario). Arrays of tables take an
    index (``changes.0.value``). ``provenance`` itself cannot be named.
    """
    parts = path.split(".")
    if any(not p.strip() for p in parts):
        return f"{path!r} is not a dotted field path (an empty part)"
    if parts[0] == "provenance":
        return f"{path!r}: provenance describes the other fields, not itself"
    ann: Any = root
    node: Any = instance
    for i, part in enumerate(parts):
        here = ".".join(parts[:i])
        ann = _unwrap(ann)
        origin = typing.get_origin(ann)
        if _is_model(ann):
            fields = ann.model_fields
            if part not in fields:
                what = here or "a scenario"
                names = ", ".join(fields)
                return f"{path!r} is not a scenario field: {what} has no field {part!r} (it has {names})"
            ann = fields[part].annotation
            node = getattr(node, part, None) if isinstance(node, BaseModel) else None
        elif origin in (dict, Mapping):
            if not isinstance(node, Mapping):
                return f"{path!r}: {here} is not set in this scenario, so it has no entry {part!r}"
            if part not in node:
                keys = ", ".join(str(k) for k in node) or "none"
                return f"{path!r}: {here} has no entry {part!r} in this scenario (it has {keys})"
            ann = typing.get_args(ann)[1]
            node = node[part]
        elif origin in (tuple, list) and _is_model(_unwrap(typing.get_args(ann)[0])):
            size = len(node) if isinstance(node, Sequence) else 0
            if not part.isdigit() or int(part) >= size:
                entries = "entry" if size == 1 else "entries"
                return f"{path!r}: {here} has {size} {entries}, numbered from 0; {part!r} is not one of them"
            ann = typing.get_args(ann)[0]
            node = node[int(part)]
        else:
            return f"{path!r} is not a scenario field: {here} is a single value with nothing inside it"
    return None
