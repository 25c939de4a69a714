"""docs/scenarios.md documents every field of the scenario schema, and its generated reference is current.

The field paths are worked out here, independently of ``docs/gen_scenario_reference.py``, by walking
:class:`caseflow.Scenario` recursively: nested tables add ``.name``, tables keyed by the user
(``workforce.teams``) add ``.<placeholder>`` (any placeholder name is accepted), and arrays of tables
(``changes``) add ``[]``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import caseflow

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "scenarios.md"
GENERATOR = ROOT / "docs" / "gen_scenario_reference.py"
KEY = "<*>"


def _model(ann: Any) -> tuple[type[BaseModel] | None, str]:
    """The model an annotation holds and how: "" (a table), "dict" (keyed tables), "list" (array)."""
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(rest) != 1:
            return None, ""
        return _model(rest[0])
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, ""
    origin = typing.get_origin(ann)
    if origin in (dict, tuple, list):
        inner, how = _model(typing.get_args(ann)[-1 if origin is dict else 0])
        if inner is not None and how == "":
            return inner, "dict" if origin is dict else "list"
    return None, ""


def schema_paths(model: type[BaseModel] = caseflow.Scenario, prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        out.append(path)
        sub, how = _model(field.annotation)
        if sub is not None:
            child = {"": path, "dict": f"{path}.{KEY}", "list": f"{path}[]"}[how]
            out += schema_paths(sub, child)
    return out


def _pattern(path: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in path.split(KEY)]
    return re.compile("`" + "<[a-z_]+>".join(parts) + "`")


PATHS = schema_paths()


def _without_baseline(page: str) -> str:
    """The page with the *baseline* column (the 5th) of the reference tables blanked."""
    lines = []
    for line in page.splitlines():
        if line.startswith("| `"):
            cells = re.split(r"(?<!\\)\|", line)  # | field | type | allowed | default | baseline | meaning |
            if len(cells) == 8:
                cells[5] = " … "
                line = "|".join(cells)
        lines.append(line)
    return "\n".join(lines)


def test_schema_walk_finds_the_known_fields() -> None:
    for path in (
        "workforce.dynamics.turnover_rate",
        "costs.agency.regional_cap",
        "changes[].ramp_months",
        "workforce.changes[].fill_months",
        f"workforce.teams.{KEY}.establishment",
        f"looked_after.placements.{KEY}.secure",
        "front_door.decision_wd.probs",
    ):
        assert path in PATHS
    assert len(PATHS) > 250


@pytest.mark.parametrize("path", PATHS)
def test_every_schema_field_is_documented(path: str) -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert _pattern(path).search(page), (
        f"{path} is not in docs/scenarios.md; run docs/gen_scenario_reference.py"
    )


def test_generated_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_scenario_reference", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen  # dataclasses look their module up while the class is being created
    try:
        spec.loader.exec_module(gen)
    finally:
        del sys.modules[spec.name]
    page = PAGE.read_text(encoding="utf-8")
    assert gen.updated(page) == page, (
        "docs/scenarios.md is out of date: run python docs/gen_scenario_reference.py"
    )
    # Every documented field has a type, allowed values or "any", and a meaning.
    for section in gen.sections():
        for row in section.rows:
            assert row.type, row.path
            assert row.meaning, f"{row.path} has no meaning: add a Field description or a MEANINGS entry"


def test_bundled_scenarios_are_listed() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for f in sorted((ROOT / "scenarios").glob("*.toml")):
        assert f"`{f.name}`" in page, f.name
