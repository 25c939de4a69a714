"""Loading scenarios from TOML: ``extends`` chains, overrides and readable validation errors.

Every failure while loading a scenario (missing file, bad TOML, a cycle of ``extends``, an unknown key,
a wrong type, an out-of-range value, branch probabilities not summing to 1) raises
:class:`ScenarioError`, which names the file, the field path and what is allowed. Nothing else escapes.
"""

from __future__ import annotations

import copy
import datetime as dt
import stat
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from caseflow.scenario.base import unwrap as _unwrap
from caseflow.scenario.limits import MAX_DEPTH, MAX_FILE_BYTES
from caseflow.scenario.schema import Scenario
from caseflow.scenario.sources import inherited_sources

__all__ = ["ScenarioError", "apply_overrides", "deep_merge", "describe_field", "load_scenario", "validate"]


class ScenarioError(ValueError):
    """A scenario file or override is invalid. ``problems`` lists ``(field path, what is wrong)``."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"invalid scenario {source}:"]
        lines += [f"  - {path or '(top level)'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


_TYPE_WORDS = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "string_type": "text in quotes",
    "date_type": "a date such as 2025-04-01",
    "dict_type": "a table",
    "model_type": "a table",
    "tuple_type": "an array",
    "list_type": "an array",
}


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The schema model of the table at ``loc`` in a scenario (None if it is not a fixed table)."""
    ann: Any = Scenario
    for part in loc:
        ann = _unwrap(ann)
        origin = typing.get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            field = ann.model_fields.get(str(part))
            if field is None:
                return None
            ann = field.annotation
        elif origin in (dict, Mapping):
            ann = typing.get_args(ann)[1]
        elif origin in (tuple, list):
            ann = typing.get_args(ann)[0]
        else:
            return None
    ann = _unwrap(ann)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str] | None:
    """Field names allowed in the table at ``loc`` (None if it is not a fixed table)."""
    model = _model_at(loc)
    return list(model.model_fields) if model is not None else None


def describe_field(dotted: str) -> str | None:
    """The schema's description of the scenario field at a dotted path (None if it has none)."""
    parts = tuple(dotted.split("."))
    model = _model_at(parts[:-1]) if parts else None
    field = model.model_fields.get(parts[-1]) if model is not None else None
    if field is None:
        return None
    if field.description:
        return field.description
    for meta in field.metadata:  # an annotated type's own description (Hours, Probability…)
        text = getattr(meta, "description", None)
        if text:
            return str(text)
    return None


def _is_probability(loc: tuple[int | str, ...]) -> bool:
    """Is the field at ``loc`` declared as a probability (bounded by 0 and 1)?"""
    model = _model_at(loc[:-1]) if loc else None
    field = model.model_fields.get(str(loc[-1])) if model is not None else None
    if field is None:
        return False
    bounds = {(type(m).__name__, getattr(m, "ge", getattr(m, "le", None))) for m in field.metadata}
    return ("Ge", 0.0) in bounds and ("Le", 1.0) in bounds


def _number(x: Any) -> str:
    """A bound or value as a reader writes it: 2,000,000 rather than 2000000 or 2e+06."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if float(x).is_integer() and 1000 <= abs(x) < 1e18:
        return f"{int(x):,}"
    return repr(x)


def _describe(err: Any) -> str:
    kind = err["type"]
    got = err.get("input")
    ctx = err.get("ctx") or {}
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "extra_forbidden":
        allowed = _allowed_fields(tuple(err["loc"][:-1]))
        hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return f"unknown field{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind in _TYPE_WORDS:
        return f"wrong type: expected {_TYPE_WORDS[kind]}, got {shown}"
    if kind in ("less_than_equal", "greater_than_equal", "greater_than", "less_than"):
        op = {
            "less_than_equal": "≤",
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than": "<",
        }
        bound = _number(next(iter(ctx.values())))
        probability_bound = _is_probability(tuple(err["loc"]))
        extra = " (a probability must lie in [0, 1])" if probability_bound else ""
        given = _number(got) if isinstance(got, int | float) else shown
        return f"must be {op[kind]} {bound}{extra}, got {given}"
    if kind == "finite_number":
        return f"must be a finite number (not nan or inf), got {shown}"
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return f"text too long: at most {limit:,} characters, got {len(got):,}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("too_short", "too_long"):
        return str(err["msg"]).replace("Value", "value").replace("List", "array").replace("Tuple", "array")
    if kind == "value_error":
        msg = str(err["msg"])
        return msg.removeprefix("Value error, ")
    return f"{err['msg']} (got {shown})"


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(data: Mapping[str, Any], *, source: str = "<dict>", check_changes: bool = True) -> Scenario:
    """Validate a plain dictionary of parameters into an immutable :class:`Scenario`.

    ``check_changes`` also checks that every time-phased change names a real parameter and gives a
    valid scenario at every point it takes effect.
    """
    deep = _too_deep(data)
    if deep is not None:
        raise ScenarioError(source, [(deep, f"tables nested more than {MAX_DEPTH} deep")])
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        problems = [(_path(tuple(e["loc"])), _describe(e)) for e in exc.errors()]
        raise ScenarioError(source, problems) from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:  # defensive: never a traceback
        raise ScenarioError(source, [("", str(exc)[:500] or type(exc).__name__)]) from None
    scenario._source = source
    if check_changes and scenario.changes:
        from caseflow.scenario.timeline import change_points

        change_points(scenario)
    return scenario


def _too_deep(data: Any) -> str | None:
    """The path of a table nested more than MAX_DEPTH deep in ``data`` (None if there is none).

    Iterative, so a file of ten thousand nested tables is refused instead of exhausting the stack.
    """
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path[:200]
        if isinstance(node, Mapping):
            stack.extend((v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in node.items())
        elif isinstance(node, list | tuple):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))
    return None


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: tables merge key by key, everything else is replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set ``{"a.b.c": value}`` paths in a copy of ``data`` (validation happens afterwards)."""
    out = copy.deepcopy(dict(data))
    for dotted, value in overrides.items():
        if not isinstance(dotted, str) or not dotted or len(dotted) > 200:
            shown = repr(dotted)[:60]
            raise ScenarioError(
                "<overrides>", [(shown, "a field must be a dotted path of at most 200 characters")]
            )
        deep = _too_deep(value)
        if deep is not None:
            raise ScenarioError("<overrides>", [(dotted, f"tables nested more than {MAX_DEPTH} deep")])
        parts = dotted.split(".")
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                if nxt is not None:
                    raise ScenarioError(
                        "<overrides>",
                        [(".".join(parts[: i + 1]), "is not a table, cannot set inside it")],
                    )
                nxt = {}
                node[part] = nxt
            node = nxt
        if isinstance(value, dt.date | str | int | float | bool | list | tuple | dict):
            node[parts[-1]] = copy.deepcopy(value)
        else:
            raise ScenarioError("<overrides>", [(dotted, f"unsupported value {value!r}")])
    return out


#: The most files an ``extends`` chain may pass through.
MAX_EXTENDS = 32


def _parse(path: Path) -> dict[str, Any]:
    """The TOML tables of one file (no ``extends`` followed). Raises :class:`ScenarioError`."""
    where = str(path)
    try:
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):  # a folder, a pipe, a device…
            raise ScenarioError(where, [("", "is not a file (a folder, a pipe or a device?)")])
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(where, [("", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError(where, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            where,
            [("", f"file is larger than {MAX_FILE_BYTES // 1024:,} KB; a scenario file is far smaller")],
        )
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(where, [("", "file is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(where, [("", f"not valid TOML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(where, [("", "not valid TOML: nested too deeply")]) from None
    deep = _too_deep(data)
    if deep is not None:
        raise ScenarioError(where, [(deep, f"tables nested more than {MAX_DEPTH} deep")])
    return data


def _read_toml(path: Path, chain: tuple[Path, ...], within: Path | None = None) -> dict[str, Any]:
    where = str(path)
    if within is not None and not path.is_relative_to(within):
        raise ScenarioError(
            where if not chain else str(chain[-1]),
            [
                (
                    "extends" if chain else "",
                    f"must be a file inside {within}; scenarios elsewhere are not read here",
                )
            ],
        )
    if path in chain:
        cycle = " → ".join(str(p) for p in (*chain, path))
        raise ScenarioError(where, [("extends", f"extends forms a cycle: {cycle}")])
    data = _parse(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(where, [("extends", "must be the path of another scenario file, in quotes")])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(where, [("extends", f"extends goes more than {MAX_EXTENDS} files deep")])
    shown = parent if len(parent) <= 200 else parent[:200] + "…"
    try:
        parent_path = (path.parent / parent).resolve()
        found = parent_path.is_file()
    except (OSError, ValueError, RuntimeError) as exc:  # too long, a symlink loop, a NUL byte…
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        if isinstance(exc, RuntimeError):
            reason = "a loop of symbolic links"
        raise ScenarioError(where, [("extends", f"{shown!r} is not a usable file path: {reason}")]) from None
    if not found:
        raise ScenarioError(where, [("extends", f"the scenario it extends, {shown!r}, was not found")])
    base = _read_toml(parent_path, (*chain, path), within)
    merged = deep_merge(base, data)
    # Sources are inherited too, but a value this file sets drops its parent's source (sources.py).
    prov = merged.get("provenance")
    base_prov = base.get("provenance")
    if isinstance(prov, dict) and isinstance(prov.get("sources"), Mapping):
        parent_sources = base_prov.get("sources") if isinstance(base_prov, Mapping) else None
        prov["sources"] = inherited_sources(
            parent_sources if isinstance(parent_sources, Mapping) else {}, data
        )
    return merged


def load_scenario(path: str | Path, *, within: str | Path | None = None) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file. Raises :class:`ScenarioError`.

    ``within``: a folder the file and every file it ``extends`` must be inside (after following
    symbolic links and ``..``), for scenarios from people who should not make caseflow read other
    files on the machine, such as a web app's uploads.
    """
    try:
        p = Path(path).resolve()
        root = Path(within).resolve() if within is not None else None
    except (OSError, ValueError, RuntimeError) as exc:
        reason = "a loop of symbolic links" if isinstance(exc, RuntimeError) else str(exc)[:200]
        raise ScenarioError(str(path)[:200], [("", f"not a usable file path: {reason}")]) from None
    data = _read_toml(p, (), root)
    scenario = validate(data, source=str(path))
    scenario._source = str(p)  # the resolved path, so sources can be found from any working directory
    return scenario
