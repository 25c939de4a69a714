"""Costs, accrued month by month from what the simulation actually did (DESIGN §4–5; docs/costs.md).

- Permanent staff: FTE-days in post × (basic salary by grade × on-cost multiplier + retention
  payment) / 365.25, plus a recruitment payment per permanent hire. Grades: ASYE workers at the NQSW
  salary; experienced case-holders split between social worker and senior practitioner by
  ``senior_share``; front-door and care-leaver posts at their own salary.
- Agency staff: FTE-days × hourly charge (capped at the regional cap if one is set) × billed hours per
  week × billed weeks per year / 365.25, plus ``workforce.dynamics.agency_pay_premium`` of that paid on
  top to every agency worker (reported separately too, as ``cost_agency_premium``).
- Early help: key-worker FTE-days × loaded cost per key worker / 365.25.
- Placements: child-days in each placement type × weekly cost / 7.

All money is at ``price_date`` prices and uplifted by ``annual_inflation`` per year to the middle of
the month in which it is spent. Costs are recorded per month; financial-year and quarterly totals are
sums of months.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from caseflow.calendar import Calendar
from caseflow.model.entities import DAYS_PER_YEAR
from caseflow.records import Recorder
from caseflow.scenario.cost_schema import SalaryCosts
from caseflow.scenario.schema import Scenario

__all__ = [
    "COST_KPIS",
    "CostDrivers",
    "CostLedger",
    "annual_cost_per_fte",
    "experienced_salary",
    "inflation_factor",
]

#: Cost KPIs recorded each month (pounds in the period).
COST_KPIS = (
    "cost_staff_permanent",
    "cost_staff_agency",
    "cost_agency_premium",
    "cost_recruitment_retention",
    "cost_early_help",
    "cost_placements",
    "cost_total",
)


def experienced_salary(salary: SalaryCosts) -> float:
    """Basic salary of an experienced case-holding FTE: social worker and senior practitioner grades
    blended by ``senior_share``."""
    return (1 - salary.senior_share) * salary.social_worker + salary.senior_share * salary.senior_practitioner


def annual_cost_per_fte(scenario: Scenario, *, team: str | None = None, contract: str = "permanent") -> float:
    """What one FTE costs a year at the scenario's pay rates (``price_date`` prices), as the ledger
    charges it: a permanent experienced case-holder (or, in a team that holds no cases, a front-door or
    care-leaver post) at basic salary × on-cost multiplier plus the retention payment; or an agency FTE
    at the (capped) hourly charge × billed hours × billed weeks. The one-off recruitment payment per
    hire is left out.
    """
    c = scenario.costs
    if c is None:
        raise ValueError(f"{scenario.name} has no [costs] section: there are no pay rates to price an FTE at")
    if contract == "agency":
        a = c.agency
        return a.hourly() * a.billed_hours_per_week * a.billed_weeks_per_year
    if contract != "permanent":
        raise ValueError(f"contract must be 'permanent' or 'agency', got {contract!r}")
    holding = True
    if team is not None:
        if scenario.workforce is None or team not in scenario.workforce.teams:
            raise ValueError(f"{scenario.name} has no team {team!r}")
        holding = scenario.workforce.teams[team].case_holding
    basic = experienced_salary(c.salary) if holding else c.salary.front_door_and_care_leavers
    return basic * c.salary.oncost_multiplier + c.retention_payment


def inflation_factor(scenario: Scenario, calendar: Calendar, t: float) -> float:
    """Price uplift from the scenario's price date to simulation time ``t``."""
    assert scenario.costs is not None
    c = scenario.costs
    years = (calendar.date(t) - c.price_date).days / DAYS_PER_YEAR
    return float((1.0 + c.annual_inflation) ** years)


class _MonthEnd(Protocol):
    @property
    def month(self) -> int: ...
    @property
    def time(self) -> float: ...
    @property
    def previous(self) -> float: ...


class CostDrivers(Protocol):
    """What the model did that costs money, each since the last time it was asked."""

    @property
    def staff_days(self) -> Callable[[], Mapping[str, float]] | None:
        """FTE-days in post by pay category (``experienced``, ``nqsw``, ``non_case``, ``agency``); None
        when the run has no workforce model (then there are no staff costs)."""

    @property
    def key_worker_days(self) -> Callable[[], float]:
        """Early-help key-worker FTE-days."""

    @property
    def placement_days(self) -> Callable[[], Mapping[str, float]]:
        """Child-days in each placement type."""


class CostLedger:
    """Turns a month's staffing, early help and placements into money (a month-end observer)."""

    def __init__(
        self,
        scenario: Scenario,
        calendar: Calendar,
        recorder: Recorder,
        drivers: CostDrivers,
    ) -> None:
        self.s = scenario
        self.cal = calendar
        self.rec = recorder
        self.drivers = drivers

    def update(self, scenario: Scenario) -> None:
        """Unit costs in force from now (a time-phased change, e.g. a new agency cap)."""
        self.s = scenario

    def month_end(self, event: _MonthEnd) -> None:
        """Cost the month that ends with ``event``."""
        self.cost_month(event.month, event.previous, event.time)

    def _agency_premium(self) -> float:
        wf = self.s.workforce
        return wf.dynamics.agency_pay_premium if wf is not None else 0.0

    def cost_month(self, month: int, start: float, end: float) -> None:
        """Record the costs of month ``month``, from ``start`` to ``end`` (simulation days)."""
        c = self.s.costs
        if c is None:
            return
        uplift = inflation_factor(self.s, self.cal, (start + end) / 2)
        add = self.rec.add
        total = 0.0
        staff_days = self.drivers.staff_days
        if staff_days is not None:
            fte = staff_days()
            sal = c.salary
            experienced = experienced_salary(sal)
            pay = (
                fte.get("experienced", 0.0) * experienced
                + fte.get("nqsw", 0.0) * sal.nqsw
                + fte.get("non_case", 0.0) * sal.front_door_and_care_leavers
            )
            permanent_days = fte.get("experienced", 0.0) + fte.get("nqsw", 0.0) + fte.get("non_case", 0.0)
            permanent = pay * sal.oncost_multiplier / DAYS_PER_YEAR * uplift
            hires = (
                self.rec.counts["sw_permanent_hires"][month] if "sw_permanent_hires" in self.rec.counts else 0
            )
            rr = (
                c.retention_payment * permanent_days / DAYS_PER_YEAR + c.recruitment_payment * hires
            ) * uplift
            a = c.agency
            agency = (
                fte.get("agency", 0.0)
                * a.hourly()
                * a.billed_hours_per_week
                * a.billed_weeks_per_year
                / DAYS_PER_YEAR
                * uplift
            )
            premium = agency * self._agency_premium()  # paid on top of the charge to every agency worker
            add("cost_staff_permanent", month, permanent + rr)
            add("cost_recruitment_retention", month, rr)
            add("cost_staff_agency", month, agency + premium)
            add("cost_agency_premium", month, premium)
            agency += premium
            total += permanent + rr + agency
        eh = self.drivers.key_worker_days() * c.early_help_worker / DAYS_PER_YEAR * uplift
        add("cost_early_help", month, eh)
        weekly = c.placements_weekly
        placements = 0.0
        for kind, days in self.drivers.placement_days().items():
            money = days * float(getattr(weekly, kind)) / 7.0 * uplift
            add(f"cost_placements_{kind}", month, money)
            placements += money
        add("cost_placements", month, placements)
        total += eh + placements
        add("cost_total", month, total)
