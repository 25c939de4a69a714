"""Scaling a scenario to a larger or smaller authority with the same rates."""

from __future__ import annotations

from typing import Any

from caseflow.scenario.schema import Scenario

__all__ = ["scaled"]


def scaled(scenario: Scenario, factor: float, *, name: str | None = None) -> Scenario:
    """The same authority ``factor`` times as big: population, demand, opening caseload and staffing
    scale together, so every rate per 10,000 children and every caseload stays the same."""
    if factor <= 0:
        raise ValueError("factor must be positive")
    s = scenario
    o: dict[str, Any] = {
        "population": max(1, round(s.population * factor)),
        "demand.contacts_per_year": s.demand.contacts_per_year * factor,
        "looked_after.uasc_per_year": s.looked_after.uasc_per_year * factor,
        "early_help.key_workers": s.early_help.key_workers * factor,
    }
    stock = s.opening_stock
    cp, cla, ia = (
        round(x * factor) for x in (stock.child_protection, stock.looked_after, stock.in_assessment)
    )
    o |= {
        "opening_stock.child_protection": cp,
        "opening_stock.looked_after": cla,
        "opening_stock.in_assessment": ia,
        "opening_stock.children_in_need": max(round(stock.children_in_need * factor), cp + cla + ia),
    }
    if s.workforce is not None:
        for team, params in s.workforce.teams.items():
            o[f"workforce.teams.{team}.establishment"] = params.establishment * factor
    return s.with_overrides(o, name=name or f"{s.name}×{factor:g}")
