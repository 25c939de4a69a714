"""The pathway's steady state in expectation: a mean-field twin of the simulation, with capacity unbound.

In a steady state every stage's inflow equals its outflow, so the expected yearly flow of children
through each stage follows from the branching probabilities alone, and each stock from Little's law
(stock = starts × mean length). This module solves those balance equations for a scenario:

- contacts from new concerns plus families who come back (the recontact loop, solved by iteration);
- the front door, MASH, referral, assessment, s47, ICPC, CP and CIN plans (with the CIN → s47 loop);
- early help limited by its key workers (families turned away close as the DES closes them);
- children looked after: each entry age's chance of each exit and mean time in care, exactly as
  :meth:`~caseflow.model.pathway.Pathway.care_episode` draws them (gamma times capped at the 18th
  birthday), averaged over the age mix of children entering care.

It is what a scenario *implies* in the long run, before any queueing for workers, ageing within the
pathway or the early-help effects on returning families (documented simplifications; the DES has them).
Uses: checking that a scenario's opening stocks are in balance with its flows, seeding the history a
run starts with (:mod:`caseflow.model.history`), and first guesses for calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from caseflow.incomplete_gamma import gammainc
from caseflow.model.arrivals import mean_family_size
from caseflow.model.entities import DAYS_PER_YEAR, ClosureKind
from caseflow.scenario.schema import AGE_BAND_LOWER, AGE_BAND_UPPER, AGE_BANDS, AgeMix, Scenario

__all__ = ["CareExits", "SteadyState", "care_exits", "steady_state"]

#: Closure kinds that decide the chance a family comes back (``recontact.after_*``).
CLOSURE_KINDS: tuple[ClosureKind, ...] = tuple(ClosureKind)

_WORKING_DAYS_PER_YEAR = 253.0


@dataclass(frozen=True)
class CareExits:
    """What a care episode leads to, for children entering care with a given age mix."""

    mean_years: float  # mean time in care
    exit_shares: dict[str, float]  # route → share of episodes ("age_18" for the 18th birthday)


@dataclass(frozen=True)
class SteadyState:
    """Expected yearly flows (children) and steady stocks (children) implied by a scenario."""

    flows: dict[str, float]
    stocks: dict[str, float]
    closures: dict[str, float]  # children closed per year, by closure kind
    mean_years: dict[str, float] = field(default_factory=dict)  # mean time in each stage

    def dfe_cin(self) -> float:
        """Children in need at a point in time, DfE definition (assessment to CLA inclusive)."""
        s = self.stocks
        return s["assessment"] + s["s47"] + s["cin_plan"] + s["cp_plan"] + s["looked_after"]


def recontact_chances(scenario: Scenario) -> dict[str, float]:
    """The chance a family comes back after each kind of closure (``recontact.after_*``)."""
    rc = scenario.recontact
    return {
        "front_door": rc.after_front_door,
        "early_help": rc.after_early_help,
        "assessment": rc.after_assessment,
        "plan": rc.after_plan,
    }


def care_exits(scenario: Scenario, entry_ages: AgeMix, points_per_band: int = 24) -> CareExits:
    """Mean time in care and exit shares for children entering care with ``entry_ages``.

    Mirrors :meth:`Pathway.care_episode`: a route by age band at entry; for any route but
    ``remain_to_18`` a gamma time with the route's mean and ``route_shape``; the 18th birthday ends the
    episode first if it comes sooner. Ages within a band are uniform (midpoint rule).
    """
    la = scenario.looked_after
    k = la.route_shape
    total_years = 0.0
    shares: dict[str, float] = {"age_18": 0.0}
    for band, lo, hi in zip(AGE_BANDS, AGE_BAND_LOWER, AGE_BAND_UPPER, strict=True):
        w_band = float(getattr(entry_ages, band))
        if w_band <= 0:
            continue
        routes = la.exit_routes[band]
        ages = lo + (hi - lo) * (np.arange(points_per_band) + 0.5) / points_per_band
        for age in ages:
            to_18 = 18.0 - float(age)
            w = w_band / points_per_band
            for route in type(routes).model_fields:
                p = float(getattr(routes, route))
                if p <= 0:
                    continue
                if route == "remain_to_18":
                    shares["age_18"] += w * p
                    total_years += w * p * to_18
                    continue
                mean = float(getattr(la.route_months, route)) / 12.0
                theta = mean / k
                before = gammainc(k, to_18 / theta)  # P(route's time < time to 18)
                expected = mean * gammainc(k + 1.0, to_18 / theta) + to_18 * (1.0 - before)
                shares[route] = shares.get(route, 0.0) + w * p * before
                shares["age_18"] += w * p * (1.0 - before)
                total_years += w * p * expected
    return CareExits(mean_years=total_years, exit_shares=shares)


def steady_state(scenario: Scenario, *, iterations: int = 400) -> SteadyState:
    """Solve the balance equations of ``scenario``'s pathway (see the module docstring)."""
    s = scenario
    d = s.demand
    share_total = math.fsum(src.share for src in d.sources.values()) or 1.0
    to_mash_new = math.fsum(src.share * src.to_mash for src in d.sources.values()) / share_total
    rc = s.recontact
    recontact_p = recontact_chances(s)
    fam = mean_family_size(s)
    eh = s.early_help
    eh_years = eh.duration_months.mean() / 12.0
    eh_capacity_children = eh.key_workers * eh.families_per_worker * fam / eh_years if eh_years > 0 else 0.0
    mash = s.mash.outcome
    ao = s.assessment.outcome
    so = s.s47.outcome
    cp_end = s.cp_plan.end
    cin_end = s.cin_plan.end
    p_nfa = s.referral.no_further_action
    urgent = s.mash.urgent_referral
    immediate = s.s47.looked_after_immediately
    p_cp = s.icpc.outcome.cp_plan
    cla = care_exits(s, s.opening_stock.looked_after_age)
    uasc = care_exits(s, s.looked_after.uasc_age)
    return_home = cla.exit_shares.get("return_home", 0.0)

    returning = 0.0
    cin_ends = 0.0
    f: dict[str, float] = {}
    closures: dict[str, float] = dict.fromkeys(CLOSURE_KINDS, 0.0)
    for _ in range(iterations):
        new = d.contacts_per_year
        to_mash = new * to_mash_new + returning * rc.to_mash
        not_mash = new + returning - to_mash
        referrals = to_mash * mash.referral
        assessed = referrals * (1 - p_nfa) * (1 - urgent)
        urgent_s47 = referrals * (1 - p_nfa) * urgent
        s47 = urgent_s47 + assessed * ao.s47 + cin_ends * cin_end.s47
        s47_decided = s47 - urgent_s47 * immediate
        icpc = s47_decided * so.icpc
        cp_starts = icpc * p_cp
        cin_starts = assessed * ao.cin_plan + s47_decided * so.cin_plan + icpc * (1 - p_cp)
        cin_starts += cp_starts * cp_end.cin_plan
        cin_ends = cin_starts
        cla_from_pathway = urgent_s47 * immediate + cp_starts * cp_end.looked_after
        cla_from_pathway += cin_ends * cin_end.looked_after
        # early help: demand from the front door, MASH, assessments and CIN step-downs, by fallback kind
        eh_demand = {
            "front_door": not_mash * s.front_door.early_help_if_not_mash + to_mash * mash.early_help,
            "assessment": assessed * ao.not_in_need * s.assessment.not_in_need_step_down,
            "plan": cin_ends * cin_end.step_down,
        }
        demand_total = math.fsum(eh_demand.values())
        taken = min(1.0, eh_capacity_children / demand_total) if demand_total > 0 else 1.0
        eh_starts = demand_total * taken
        closures = {
            "front_door": not_mash * (1 - s.front_door.early_help_if_not_mash)
            + to_mash * mash.no_further_action
            + eh_demand["front_door"] * (1 - taken),
            "early_help": eh_starts,
            "assessment": referrals * p_nfa
            + assessed * ao.not_in_need * (1 - s.assessment.not_in_need_step_down)
            + eh_demand["assessment"] * (1 - taken)
            + s47_decided * so.no_further_action,
            "plan": cp_starts * cp_end.closure
            + cin_ends * cin_end.closure
            + eh_demand["plan"] * (1 - taken)
            + cla_from_pathway * return_home,
        }
        returning_next = math.fsum(closures[k] * recontact_p[k] for k in CLOSURE_KINDS)
        converged = abs(returning_next - returning) < 1e-9 * max(1.0, returning)
        returning = returning_next
        f = {
            "contacts": new + returning,
            "contacts_new": new,
            "contacts_returning": returning,
            "referrals": referrals,
            "referral_nfa": referrals * p_nfa,
            "assessments": assessed + urgent_s47,
            "assessed_not_in_need": assessed * ao.not_in_need,
            "s47": s47,
            "icpc": icpc,
            "cp_started": cp_starts,
            "cin_plans_started": cin_starts,
            "cla_started": cla_from_pathway + s.looked_after.uasc_per_year,
            "early_help_starts": eh_starts,
            "early_help_demand": demand_total,
        }
        if converged:
            break

    cp_years = s.cp_plan.duration_months.mean() / 12.0
    cin_years = s.cin_plan.duration_months.mean() / 12.0
    uasc_n = s.looked_after.uasc_per_year
    cla_starts_pathway = f["cla_started"] - uasc_n
    cla_years = cla.mean_years
    transferred = s.looked_after.uasc_transferred_out  # National Transfer Scheme: a short stay, then gone
    uasc_years = (
        1 - transferred
    ) * uasc.mean_years + transferred * s.looked_after.uasc_transfer_days / DAYS_PER_YEAR
    cla_stock = cla_starts_pathway * cla_years + uasc_n * uasc_years
    assess_years = s.assessment.duration_wd.mean() / _WORKING_DAYS_PER_YEAR
    s47_years = (
        so.icpc * s.s47.to_icpc_wd.mean() + (1 - so.icpc) * s.s47.enquiry_wd.mean()
    ) / _WORKING_DAYS_PER_YEAR
    stocks = {
        "assessment": f["assessments"] * assess_years,
        "s47": f["s47"] * s47_years,
        "cin_plan": f["cin_plans_started"] * cin_years,
        "cp_plan": f["cp_started"] * cp_years,
        "looked_after": cla_stock,
        "early_help": f["early_help_starts"] * eh_years,
    }
    f["cla_ceased"] = f["cla_started"]  # in balance
    mean_years = {
        "cp_plan": cp_years,
        "cin_plan": cin_years,
        "looked_after": cla_stock / f["cla_started"] if f["cla_started"] > 0 else cla_years,
        "assessment": assess_years,
        "early_help": eh_years,
    }
    return SteadyState(flows=f, stocks=stocks, closures=closures, mean_years=mean_years)
