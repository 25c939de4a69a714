"""Writing scenarios as TOML: overrides on top of a base file, validated, written atomically.

Used by ``caseflow profile`` and ``caseflow calibrate``. The file ``extends`` its base (by a path
relative to the file) and sets only the overrides, as nested tables, each with a short comment saying
where its value comes from when the overrides carry ``provenance.sources``. The text is validated by
loading it before it replaces anything: a crash or an invalid result leaves no half-written file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit

from caseflow.files import atomic_path
from caseflow.scenario.provenance_schema import Source

__all__ = ["nest", "write_scenario"]


_SOURCES = "provenance.sources."


def _parts(dotted: str, value: Any) -> list[str]:
    """The keys of a dotted path. A source's key is itself a dotted path and stays whole:
    ``provenance.sources.opening_stock.looked_after`` (a table) or, for one field of that source,
    ``provenance.sources.opening_stock.looked_after.method``."""
    if not dotted.startswith(_SOURCES) or dotted == _SOURCES:
        return dotted.split(".")
    rest = dotted.removeprefix(_SOURCES)
    key, _, last = rest.rpartition(".")
    if key and not isinstance(value, Mapping) and last in Source.model_fields:
        return ["provenance", "sources", key, last]
    return ["provenance", "sources", rest]


def nest(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b.c": v}`` → ``{"a": {"b": {"c": v}}}`` (tables given as values are merged in).

    Keys of ``provenance.sources`` are field paths and are kept whole (see :func:`_parts`).
    """
    out: dict[str, Any] = {}
    for dotted, value in overrides.items():
        parts = _parts(dotted, value)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(value, Mapping) and isinstance(node.get(parts[-1]), dict):
            node[parts[-1]].update(value)
        else:
            node[parts[-1]] = value
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):  # TOML has no null: a field left out is None (its default)
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value  # exact (repr), so a file read back gives the same scenario
    if isinstance(value, dt.date | str | int | bool) or value is None:
        return value
    return float(value)


def _render(data: Mapping[str, Any], extends: str | None, notes: Mapping[str, str], header: str) -> str:
    doc = tomlkit.document()
    for line in header.splitlines():
        doc.add(tomlkit.comment(line))
    if extends is not None:
        doc.add("extends", extends)

    def fill(table: Any, node: Mapping[str, Any], prefix: str) -> None:
        scalars = {k: v for k, v in node.items() if not (isinstance(v, Mapping) and _is_table(k, v, prefix))}
        tables = {k: v for k, v in node.items() if k not in scalars}
        for k, v in scalars.items():
            if v is None:  # TOML has no null: leave the field out
                continue
            path = f"{prefix}{k}"
            item = tomlkit.item(_plain(v))
            if isinstance(v, Mapping):
                inline = tomlkit.inline_table()
                inline.update(_plain(v))
                item = inline
            note = notes.get(path)
            if note:
                item.comment(note)
            table.add(k, item)
        for k, v in tables.items():
            sub = tomlkit.table()
            fill(sub, v, f"{prefix}{k}.")
            table.add(k, sub)

    fill(doc, data, "")
    return tomlkit.dumps(doc)


def _is_table(key: str, value: Mapping[str, Any], prefix: str) -> bool:
    """Small leaf mappings (a banded distribution, a branch) are written inline; the rest as tables."""
    if prefix.startswith("provenance.sources.") or prefix == "provenance.sources.":
        return False
    if prefix == "provenance." and key == "sources":
        return True
    return any(isinstance(v, Mapping) for v in value.values()) or len(value) > 8 or prefix == ""


def write_scenario(
    path: str | Path,
    overrides: Mapping[str, Any],
    *,
    extends: str | Path | None = None,
    header: str = "",
) -> Path:
    """Write ``overrides`` (dotted paths or nested tables) as a scenario file at ``path``; return it.

    ``extends``: the base scenario file (written relative to ``path``). The result is validated as a
    scenario before it replaces ``path``; :class:`~caseflow.scenario.loader.ScenarioError` otherwise.
    """
    from caseflow.scenario.loader import load_scenario

    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    rel = None
    if extends is not None:
        rel = os.path.relpath(Path(extends).resolve(), target.parent).replace(os.sep, "/")
    data = nest(overrides)
    sources = data.get("provenance", {}).get("sources", {})
    notes = {k: f"[{v.get('method', '')}] {v.get('note', '')}".strip() for k, v in sources.items()}
    text = _render(
        data, rel, notes, header or "Written by caseflow; every value's source is in [provenance]."
    )
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
        load_scenario(tmp)  # validate before it replaces anything
    return target
