"""Calibrating one authority end to end: profile, fit to its own years, carry the fit forward.

:func:`calibrate_authority` is what ``caseflow calibrate`` and the backtest run for each authority:

1. profile the authority at 31 March ``fit_to − fit_years`` (the stock the fit starts from);
2. calibrate that scenario over the ``fit_years`` years to 31 March ``fit_to``;
3. profile it again at 31 March ``fit_to`` (today's stock and rates) and apply the calibrated levers:
   the scenario that looks forward from the last published year.

Only figures published by 31 March ``fit_to`` are read, so a backtest that fits to a year and scores
the years after it never sees what it predicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseflow.calibrate.fit import Calibration, calibrate
from caseflow.calibrate.targets import targets_from_data
from caseflow.data import Published
from caseflow.experiment.executors import ExecutorSpec
from caseflow.profile import build_profile
from caseflow.scenario.schema import Scenario

__all__ = ["AuthorityFit", "calibrate_authority", "first_stock_year"]


@dataclass
class AuthorityFit:
    calibration: Calibration
    forward: Scenario  # profiled at 31 March ``fit_to`` with the calibrated levers
    fit_to: int
    fit_years: int
    warnings: list[str]


def first_stock_year(data: Published) -> int:
    """The first year with children looked after at 31 March (the CLA file starts in 2021)."""
    return min(data.years("cla_at_31_march"))


def calibrate_authority(
    data: Published,
    base: Scenario,
    authority: str,
    fit_to: int,
    *,
    fit_years: int = 2,
    replications: int = 2,
    iterations: int = 6,
    confirm_replications: int = 5,
    seed: int = 0,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    workforce: bool = True,
    progress: bool = False,
) -> AuthorityFit:
    """Profile, calibrate and carry forward one authority (see the module docstring).

    ``fit_years`` is reduced if the data do not reach back far enough (stocks of children looked after
    start in 2021). ``workforce=False`` fits with capacity unbound (faster; flows and stocks only).
    """
    years = max(1, min(fit_years, fit_to - first_stock_year(data)))
    start = fit_to - years
    extra: dict[str, Any] = {"run.years": years}
    if not workforce:
        extra["workforce.enabled"] = False
    prof = build_profile(data, base, authority, start)
    scenario = prof.scenario(base).with_overrides(extra)
    targets = targets_from_data(data, authority, range(start + 1, fit_to + 1))
    cal = calibrate(
        scenario,
        targets,
        replications=replications,
        iterations=iterations,
        confirm_replications=confirm_replications,
        seed=seed,
        executor=executor,
        workers=workers,
        progress=progress,
    )
    now = build_profile(data, base, authority, fit_to)
    forward = now.scenario(base)
    if not workforce:
        forward = forward.with_overrides({"workforce.enabled": False})
    forward = _mark_calibrated(_carry_forward(forward, cal), cal, start, fit_to)
    warnings = list(prof.warnings) + [w for w in now.warnings if w not in prof.warnings] + list(targets.notes)
    return AuthorityFit(calibration=cal, forward=forward, fit_to=fit_to, fit_years=years, warnings=warnings)


def _carry_forward(now: Scenario, cal: Calibration) -> Scenario:
    """Today's profile with the calibrated values of every moved lever's fields.

    The calibrated *values* are carried, not the lever moves: a lever fitted over years of growth has
    absorbed that growth, and re-applying it to a profile already derived from the latest year would
    count the growth twice.
    """
    from caseflow.calibrate.levers import moved_values

    moved = [name for name, x in cal.levers.items() if x != 0.0]
    overrides = moved_values(cal.scenario.model_dump(mode="json"), moved)
    return now.with_overrides(overrides, name=now.name)


def _mark_calibrated(scenario: Scenario, cal: Calibration, start: int, fit_to: int) -> Scenario:
    """Record each moved lever's fields as calibrated in the scenario's provenance.

    A probability moved on the logit scale rescales the other outcomes of its branch, so those are
    marked calibrated too (unless a lever of their own moved them), rather than keeping a source that
    describes the value before calibration.

    A national default is dropped from ``national_defaults`` only if a field marked here is it, is inside
    it or contains it. The scenario's other sources (its profile's, and the base's it inherits for every
    value the profile leaves alone) say nothing about which national defaults calibration moved.
    """
    from caseflow.calibrate.levers import _is_branch, lever

    years = f"in the years to 31 March {start + 1}-{fit_to}"
    data = scenario.model_dump()
    prov = dict(data.get("provenance") or {})
    sources = dict(prov.get("sources") or {})
    marked: dict[str, dict[str, str]] = {}
    rescaled: dict[str, list[str]] = {}
    for name, x in cal.levers.items():
        if x == 0.0:
            continue
        lv = lever(name)
        for path in lv.fields:
            marked[path] = {
                "method": "calibrated",
                "note": f"{lv.label}: moved by {x:+.3f} (log or logit scale) to fit {lv.target} {years}",
            }
            parent_path, _, key = path.rpartition(".")
            parent = _get(data, parent_path) if lv.kind == "logit" and parent_path else None
            if isinstance(parent, dict) and _is_branch(parent):
                for sibling in parent:
                    value = parent[sibling]
                    if sibling != key and isinstance(value, int | float) and value > 0:  # 0 stays 0
                        rescaled.setdefault(f"{parent_path}.{sibling}", []).append(lv.label)
    for path, labels in rescaled.items():
        if path not in marked:
            marked[path] = {
                "method": "calibrated",
                "note": f"rescaled so its branch still sums to 1 when calibration moved the "
                f"{'; the '.join(labels)} {years}",
            }
    sources.update(marked)
    prov["sources"] = sources
    prov["national_defaults"] = [
        f for f in prov.get("national_defaults", []) if not any(_overlaps(f, p) for p in marked)
    ]
    return scenario.with_overrides({"provenance": prov}, name=scenario.name)


def _get(data: dict[str, Any], dotted: str) -> Any:
    """The value at ``dotted`` in a dumped scenario, None if it has none."""
    node: Any = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _overlaps(a: str, b: str) -> bool:
    """Are the dotted paths ``a`` and ``b`` the same field, or is one a table containing the other?"""
    return a == b or a.startswith(f"{b}.") or b.startswith(f"{a}.")
