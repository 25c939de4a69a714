"""Time-phased changes: the scenario in force at each moment of a run.

A scenario's ``[[changes]]`` set any parameter from a date, at once (a step) or in equal monthly steps
over ``ramp_months`` (a ramp), to a ``value`` or by a ``factor``. Changes compose in date order: each
starts from whatever was in force when it begins. The result is a short list of *change points*,
each a complete, validated scenario, so the model simply swaps the scenario it reads at those moments.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from caseflow.scenario.limits import MAX_CHANGE_POINTS
from caseflow.scenario.loader import ScenarioError
from caseflow.scenario.schema import Scenario

__all__ = ["ChangePoint", "change_points", "get_path"]

_MISSING = object()


@dataclass(frozen=True)
class ChangePoint:
    """From ``date``, ``scenario`` is in force (``overrides`` are its differences from the base)."""

    date: dt.date
    overrides: dict[str, Any]
    scenario: Scenario


def get_path(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, min(d.day, 28) if d.day > 28 else d.day)


def _scale(v: Any, factor: float) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return round(v * factor)
    if isinstance(v, float):
        return v * factor
    if isinstance(v, dict):
        return {k: _scale(x, factor) for k, x in v.items()}
    if isinstance(v, tuple | list):
        return type(v)(_scale(x, factor) for x in v)
    raise ValueError(f"cannot multiply {v!r} by a factor")


def _interpolate(v0: Any, v1: Any, f: float) -> Any:
    if f >= 1.0:
        return copy.deepcopy(v1)
    if isinstance(v0, bool) or isinstance(v1, bool):
        return v0
    if isinstance(v0, int | float) and isinstance(v1, int | float):
        v = v0 + (v1 - v0) * f
        return round(v) if isinstance(v0, int) and isinstance(v1, int) else float(v)
    if isinstance(v0, dict) and isinstance(v1, dict):
        return {k: _interpolate(v0.get(k, v1[k]), v1[k], f) for k in v1}
    if isinstance(v0, tuple | list) and isinstance(v1, tuple | list) and len(v0) == len(v1):
        return [_interpolate(a, b, f) for a, b in zip(v0, v1, strict=True)]
    return v0


def change_points(scenario: Scenario) -> list[ChangePoint]:
    """Every moment the scenario in force changes, in time order (validated; raises ScenarioError)."""
    if not scenario.changes:
        return []
    base = scenario.model_dump()
    where = scenario.source or "<scenario>"
    # (date, order, path, value) assignments
    assignments: list[tuple[dt.date, int, str, Any]] = []
    order = sorted(range(len(scenario.changes)), key=lambda i: (scenario.changes[i].date, i))
    for i in order:
        ch = scenario.changes[i]
        current = get_path(base, ch.field)
        if current is _MISSING:
            raise ScenarioError(where, [(f"changes[{i}].field", f"no such parameter: {ch.field}")])
        for d, _, path, value in sorted(assignments, key=lambda a: (a[0], a[1])):
            if path == ch.field and d <= ch.date:
                current = value
        try:
            target = ch.value if ch.value is not None else _scale(current, float(ch.factor or 1.0))
        except (ValueError, OverflowError) as exc:
            raise ScenarioError(where, [(f"changes[{i}].factor", str(exc))]) from None
        # A later change supersedes what remains of an earlier ramp of the same field.
        assignments = [a for a in assignments if not (a[2] == ch.field and a[0] >= ch.date)]
        steps = max(ch.ramp_months, 1)
        for k in range(1, steps + 1):
            when = _add_months(ch.date, k - 1)
            assignments.append((when, len(assignments), ch.field, _interpolate(current, target, k / steps)))
    moments = sorted({a[0] for a in assignments})
    if len(moments) > MAX_CHANGE_POINTS:
        raise ScenarioError(
            where,
            [
                (
                    "changes",
                    f"the changes take effect at {len(moments):,} different moments (each month of a ramp "
                    f"is one); at most {MAX_CHANGE_POINTS:,} are allowed: use fewer or shorter ramps",
                )
            ],
        )
    points: list[ChangePoint] = []
    overrides: dict[str, Any] = {}
    for when in moments:
        todays = sorted((a for a in assignments if a[0] == when), key=lambda a: a[1])
        overrides.update({path: value for _, _, path, value in todays})
        try:
            variant = scenario.with_overrides(dict(overrides), check_changes=False)
        except ScenarioError as exc:
            problems = []
            for path, msg in exc.problems:
                culprits = [
                    i
                    for i, ch in enumerate(scenario.changes)
                    if ch.date <= when and (path == ch.field or path.startswith(ch.field + "."))
                ]
                label = ", ".join(f"changes[{i}]" for i in culprits) or "changes"
                problems.append((f"{label} (in force from {when.isoformat()}): {path}", msg))
            raise ScenarioError(where, problems) from None
        points.append(ChangePoint(when, dict(overrides), variant))
    return points
