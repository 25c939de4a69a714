"""Where each parameter's value came from: the one reader of a scenario's sources.

A scenario records its sources as data, in ``[provenance.sources]``: one entry per dotted field path
(``workforce.dynamics.turnover_rate``) or per table (``looked_after.placements``, covering every value
in it), each with a ``method`` (published, derived, calibrated, national_default, assumption), a
``note`` (the citation, in words) and, for a figure read from a published file, the file, measure,
column, year and LA code (:class:`~caseflow.scenario.provenance_schema.Source`). The TOML library reads
them with the rest of the scenario; nothing parses comments.

Sources are inherited through ``extends`` like every other value, with two rules the loader applies
(:func:`inherited_sources`): an entry is replaced whole, never merged field by field; and a file that
sets a value drops its parent's entries for that value (and for anything inside it), since the parent's
source no longer describes it. The file then gives its own entry, such as ``method = "assumption"`` with
the note ``"scenario: 30% of assessment posts held vacant"``. A parent's entry for a whole table still
covers the values in it that the file does not set.

:func:`parameter_sources` is what the scenario reference page, the Excel assumptions sheet and
``caseflow profile`` read: every parameter's dotted path mapped to the source that covers it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from caseflow.scenario.provenance_schema import Source, lookup_source
from caseflow.scenario.schema import Scenario

__all__ = [
    "Source",
    "inherited_sources",
    "is_national_default",
    "missing_sources",
    "parameter_paths",
    "parameter_sources",
    "source_text",
]


def _leaves(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            yield from _leaves(f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
        for i, v in enumerate(value):
            yield from _leaves(f"{prefix}.{i}", v)
    else:
        yield prefix, value


def parameter_values(scenario: Scenario) -> dict[str, Any]:
    """Every parameter as ``{dotted path: value}``: tables flattened, arrays of tables numbered
    (``changes.0.value``), arrays of numbers kept whole. ``provenance`` is not a parameter."""
    data = scenario.model_dump()
    data.pop("provenance", None)
    return dict(_leaves("", data))


def parameter_paths(scenario: Scenario) -> list[str]:
    """The dotted path of every parameter, in schema order (see :func:`parameter_values`)."""
    return list(parameter_values(scenario))


def parameter_sources(scenario: Scenario) -> dict[str, Source]:
    """``{dotted path: Source}`` for every parameter that has a source, in schema order.

    A parameter's source is its own entry in ``[provenance.sources]`` or, failing that, the entry of
    the nearest table containing it (an entry for ``cp_plan.duration_months`` covers
    ``cp_plan.duration_months.edges`` and ``.probs``). Inherited through ``extends``; a parameter
    without one is absent. ``Source.describe()`` gives the one-line text for a table cell.
    """
    out: dict[str, Source] = {}
    for path in parameter_paths(scenario):
        src = lookup_source(scenario.provenance, path)
        if src is not None and not src.is_empty():
            out[path] = src
    return out


def source_text(scenario: Scenario, path: str) -> str:
    """One line saying where the parameter at ``path`` came from ("" if nothing is recorded).

    A parameter the scenario lists in ``provenance.national_defaults`` (a profile left it at the
    baseline's England value) says so first.
    """
    src = lookup_source(scenario.provenance, path)
    text = src.describe() if src is not None else ""  # an empty entry describes itself as ""
    if is_national_default(scenario, path):
        return f"national default; {text}" if text else "national default"
    return text


def is_national_default(scenario: Scenario, path: str) -> bool:
    """Is ``path`` (or a table containing it) listed in ``provenance.national_defaults``?"""
    p = scenario.provenance
    if p is None or not p.national_defaults:
        return False
    parts = path.split(".")
    return any(".".join(parts[:n]) in p.national_defaults for n in range(1, len(parts) + 1))


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, list | tuple) and bool(value) and all(_is_number(v) for v in value)


def missing_sources(scenario: Scenario, *, numbers_only: bool = True) -> list[str]:
    """Parameters without a source: by default only those holding numbers (or arrays of numbers)."""
    return [
        path
        for path, value in parameter_values(scenario).items()
        if (not numbers_only or _is_number(value)) and not _has_source(scenario, path)
    ]


def _has_source(scenario: Scenario, path: str) -> bool:
    src = lookup_source(scenario.provenance, path)
    return src is not None and not src.is_empty()


# ============================================================================ inheritance
def _set_paths(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the values a file sets: tables walked, arrays (of tables too) taken whole."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _set_paths(value, f"{path}.")
        else:
            yield path


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    node: Any = data
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _covered(path: str, table: Collection[str]) -> bool:
    """Does ``table`` hold an entry for ``path`` or for a table containing it?"""
    parts = path.split(".")
    return any(".".join(parts[:n]) in table for n in range(1, len(parts) + 1))


def inherited_sources(parent_sources: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[provenance.sources]`` of ``child`` laid on a parent whose sources are ``parent_sources``.

    ``child`` is the child's own data (a TOML file's tables, or nested overrides). The parent's entries
    for every value the child sets, and for anything inside such a value, are dropped. A value the child
    sets without a source of its own that a parent's table entry would still cover gets an empty entry
    (no source), so the parent's words are not attached to the child's value. The child's own entries
    (``child["provenance"]["sources"]``) are then added, each replacing any entry of the same key whole.
    """
    own = _table(child, "provenance", "sources")
    set_paths = set(_set_paths({k: v for k, v in child.items() if k != "provenance"}))
    out = {k: v for k, v in parent_sources.items() if not _covered(str(k), set_paths)}
    for path in sorted(set_paths):
        if not _covered(path, own) and _covered(path, out):
            out[path] = {}
    out.update(own)
    return out
