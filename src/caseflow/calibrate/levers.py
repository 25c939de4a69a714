"""The parameters calibration may move: what no publication gives, each paired with the figure it moves.

A *lever* is one number ``x`` (0 = the scenario as it stands) that changes one group of scenario fields:

- ``scale``: a positive value (or every edge of a banded duration) multiplied by ``exp(x)``;
- ``logit``: a probability moved to ``sigmoid(logit(p) + x)``, the other outcomes of its branch rescaled
  so the branch still sums to 1.

Each lever names the published figure it mainly moves (``target``): the pairs are what makes the fit a
square, nearly diagonal system (more contacts → more referrals; longer CP plans → more CP plans open at
31 March; and so on), which is why a few iterations from a good first guess are enough. A lever whose
target is not published for an authority stays at its national value and is reported as not identified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.scenario.schema import Scenario

__all__ = ["LEVERS", "Lever", "apply_levers"]

_P_MIN, _P_MAX = 1e-4, 1.0 - 1e-4


@dataclass(frozen=True)
class Lever:
    """One calibrated quantity: which fields it moves, how, and which published figure it matches."""

    name: str
    fields: tuple[str, ...]  # dotted scenario paths
    kind: str  # "scale", "scale_banded" or "logit"
    target: str  # the fit measure it is paired with (see caseflow.calibrate.targets)
    label: str  # plain words for reports
    bounds: tuple[float, float] = (-2.5, 2.5)


LEVERS: tuple[Lever, ...] = (
    Lever(
        "contacts",
        ("demand.contacts_per_year",),
        "scale",
        "referrals",
        "contacts about new concerns a year",
    ),
    Lever(
        "recontact",
        (
            "recontact.after_front_door",
            "recontact.after_early_help",
            "recontact.after_assessment",
            "recontact.after_plan",
        ),
        "logit",
        "re_referral_pct",
        "chance a family comes back after its case closes",
    ),
    Lever(
        "not_in_need",
        ("assessment.outcome.not_in_need",),
        "logit",
        "assessed_not_in_need",
        "share of assessments ending 'not in need'",
    ),
    Lever(
        "assessment_to_s47",
        ("assessment.outcome.s47",),
        "logit",
        "s47",
        "share of assessments leading to a strategy discussion and s47 enquiry",
    ),
    Lever(
        "s47_to_icpc", ("s47.outcome.icpc",), "logit", "icpc", "share of s47 enquiries going to conference"
    ),
    Lever(
        "icpc_to_cp",
        ("icpc.outcome.cp_plan",),
        "logit",
        "cp_started",
        "share of conferences making a CP plan",
    ),
    Lever(
        "prior_cp_plan",
        ("demand.prior_cp_plan",),
        "logit",
        "cp_second_pct",
        "share of children with a CP plan before the run",
    ),
    Lever(
        "icpc_booking",
        ("s47.to_icpc_wd",),
        "scale_banded",
        "icpc_within_15wd_pct",
        "working days from strategy discussion to the booked ICPC",
    ),
    Lever("cp_length", ("cp_plan.duration_months",), "scale_banded", "cp_at_31_march", "length of CP plans"),
    Lever(
        "cin_length",
        ("cin_plan.duration_months",),
        "scale_banded",
        "cin_at_31_march",
        "length of CIN plans",
    ),
    Lever(
        "care_entry",
        ("cp_plan.end.looked_after", "cin_plan.end.looked_after"),
        "logit",
        "cla_started",
        "share of CP and CIN plans ending in care",
    ),
    Lever(
        "care_length",
        (
            "looked_after.route_months.return_home",
            "looked_after.route_months.special_guardianship",
            "looked_after.route_months.adoption",
            "looked_after.route_months.child_arrangements",
            "looked_after.route_months.other",
        ),
        "scale",
        "cla_at_31_march",
        "time in care before leaving (other than at 18)",
    ),
    Lever(
        "establishment",
        (
            "workforce.teams.assessment.establishment",
            "workforce.teams.cin_cp.establishment",
            "workforce.teams.children_in_care.establishment",
        ),
        "scale",
        "caseload",
        "case-holding teams' establishment (the baseline's teams)",
        bounds=(-1.5, 1.5),
    ),
)

_BY_NAME = {lever.name: lever for lever in LEVERS}


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
    return node


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def _logit(p: float) -> float:
    p = min(max(p, _P_MIN), _P_MAX)
    return math.log(p / (1.0 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _is_branch(parent: Mapping[str, Any]) -> bool:
    """Is this table a branch (its numeric entries are outcome probabilities summing to 1)?"""
    numbers = [float(v) for v in parent.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    return len(numbers) > 1 and math.isclose(sum(numbers), 1.0, abs_tol=1e-6)


def moved_values(data: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """``{dotted path: value}`` in ``data`` (a dumped scenario) of everything the levers ``names`` move:
    each field, or the whole branch a moved probability belongs to (its siblings were rescaled too).

    What to copy to carry a calibration's values into another scenario, or into a file.
    """
    out: dict[str, Any] = {}
    for name in names:
        for dotted in _BY_NAME[name].fields:
            try:
                value = _get(data, dotted)
            except (KeyError, TypeError):  # a team or section this scenario does not have
                continue
            parent_path = dotted.rsplit(".", 1)[0]
            parent = _get(data, parent_path) if "." in dotted else None
            if _BY_NAME[name].kind == "logit" and isinstance(parent, Mapping) and _is_branch(parent):
                out[parent_path] = parent
            else:
                out[dotted] = value
    return out


def _move_probability(data: dict[str, Any], dotted: str, x: float) -> None:
    """Move the probability at ``dotted`` on the logit scale; rescale its branch siblings to sum to 1."""
    old = float(_get(data, dotted))
    new = min(max(_sigmoid(_logit(old) + x), _P_MIN), _P_MAX)
    parent_path, key = dotted.rsplit(".", 1)
    parent = _get(data, parent_path)
    siblings = [k for k in parent if k != key and isinstance(parent[k], int | float)]
    is_branch = _is_branch(parent)
    parent[key] = new
    if not is_branch:
        return
    # Outcomes at exactly 0 stay at 0 (an outcome a scenario does not use, such as pre-proceedings
    # without a [court] section, must not appear through rounding).
    live = [k for k in siblings if float(parent[k]) > 0.0]
    rest = sum(float(parent[k]) for k in live)
    if rest <= 0:  # nothing to rescale: give the remainder to the first sibling
        if siblings:
            parent[siblings[0]] = 1.0 - new
        return
    for k in live:
        parent[k] = float(parent[k]) * (1.0 - new) / rest
    # exact sum despite rounding: the rounding goes to the largest outcome
    largest = max(live, key=lambda k: float(parent[k]))
    parent[largest] = max(0.0, 1.0 - new - sum(float(parent[k]) for k in live if k != largest))


def apply_levers(
    scenario: Scenario, x: Mapping[str, float] | Sequence[float], *, name: str | None = None
) -> Scenario:
    """``scenario`` with each lever moved by ``x`` (a mapping by lever name, or values in LEVERS order)."""
    values = dict(x) if isinstance(x, Mapping) else dict(zip((lv.name for lv in LEVERS), x, strict=True))
    data = scenario.model_dump()
    for lever_name, value in values.items():
        lever = _BY_NAME[lever_name]
        v = float(min(max(value, lever.bounds[0]), lever.bounds[1]))
        if v == 0.0:
            continue
        for dotted in lever.fields:
            try:
                _get(data, dotted)
            except (KeyError, TypeError):  # a team or section this scenario does not have
                continue
            if lever.kind == "scale":
                _set(data, dotted, float(_get(data, dotted)) * math.exp(v))
            elif lever.kind == "scale_banded":
                banded = _get(data, dotted)
                banded["edges"] = [float(e) * math.exp(v) for e in banded["edges"]]
            else:
                _move_probability(data, dotted, v)
    from caseflow.scenario.loader import validate

    if name is not None:
        data["name"] = name
    return validate(data, source=scenario.source or "<calibration>", check_changes=False)


def lever(name: str) -> Lever:
    """The lever called ``name``."""
    return _BY_NAME[name]
