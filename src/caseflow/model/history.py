"""The recent past a run starts with: families closed before day one who will come back.

An authority's front door is busy from its first day with families it knew before: about a third of
referrals in the baseline come from families whose earlier episode closed within the last year or two
(``recontact.after_*``). A run that starts with only the open caseload has none of them, so its
contacts, referrals and re-referrals run low for months — which is why runs have a warm-up year. A run
that must start *at* a date, from that date's published stock (a profile, a backtest), seeds that recent
past instead, over ``opening_stock.history_months``:

- families closed in each of the last months, at the steady rate of closures of each kind that the
  scenario implies (:func:`caseflow.model.steady_state.steady_state`);
- each comes back with the scenario's chance and delay; those whose return falls after day one are
  scheduled as returning contacts (thinning: the others came back before the run and are part of the
  opening caseload or closed again);
- children closed after an assessment or a plan carry their last referral date (closure less the mean
  assessment or CIN-plan length), so re-referrals within 12 months are counted from day one, and some
  carry an earlier CP plan in proportion to CP plans among plans closing;
- families closed after early help carry its protective window.

History families draw their ages and decisions from their own streams (``opening_stock.history`` and
``opening_stock.history.draws``), so adding them shifts no other family's draws. The approximations
(steady closure rates, mean episode lengths for last-referral dates) are documented in docs/model.md.
"""

from __future__ import annotations

from caseflow.distributions import BranchSampler
from caseflow.model.arrivals import mean_family_size
from caseflow.model.entities import DAYS_PER_MONTH, DAYS_PER_YEAR
from caseflow.model.families import draw_age
from caseflow.model.pathway import Pathway
from caseflow.model.steady_state import CLOSURE_KINDS, recontact_chances, steady_state
from caseflow.streams import Streams

__all__ = ["seed_history"]

_WORKING_TO_CALENDAR = 7.0 / 5.0


def seed_history(pathway: Pathway, streams: Streams, months: float) -> int:
    """Schedule the returns of families closed in the ``months`` before day one; returns how many."""
    s = pathway.s
    if months <= 0:
        return 0
    steady = steady_state(s)
    rc = s.recontact
    chance = recontact_chances(s)
    window = months * DAYS_PER_MONTH
    per_family = mean_family_size(s)
    r = streams["opening_stock.history"]
    draws = streams["opening_stock.history.draws"]
    sizes = BranchSampler(
        {
            "1": s.demand.sibling_groups.one,
            "2": s.demand.sibling_groups.two,
            "3": s.demand.sibling_groups.three,
            "4": s.demand.sibling_groups.four,
        }
    )
    ages = BranchSampler(s.demand.child_age)
    referral_before_close = {
        "assessment": s.assessment.duration_wd.mean() * _WORKING_TO_CALENDAR,
        "plan": s.cin_plan.duration_months.mean() * DAYS_PER_MONTH,
    }
    flows = steady.flows
    plan_closures = steady.closures["plan"]
    cp_share = 0.0
    if plan_closures > 0:
        ends_closed = s.cp_plan.end.closure + s.cp_plan.end.cin_plan * s.cin_plan.end.closure
        cp_share = min(1.0, flows["cp_started"] * ends_closed / plan_closures)
    eh = s.early_help
    eh_days = eh.duration_months.mean() * DAYS_PER_MONTH
    scheduled = 0
    for kind in CLOSURE_KINDS:
        families_per_day = steady.closures[kind] / per_family / DAYS_PER_YEAR
        n = r.poisson(families_per_day * window * chance[kind])
        for _ in range(n):
            closed = -window * r.random()
            back = closed + r.gamma(rc.delay_shape, rc.mean_delay_months * DAYS_PER_MONTH)
            if back <= 0:
                continue
            k = int(sizes.sample(r))
            family = pathway.families.new_family(closed, [draw_age(ages, r) for _ in range(k)], draws=draws)
            if kind in referral_before_close:
                for child in family.children:
                    child.last_referral = closed - referral_before_close[kind]
            p_cp = cp_share if kind == "plan" else 0.0
            for child in family.children:
                if r.random() < p_cp or r.random() < s.demand.prior_cp_plan:
                    child.cp_plans = 1
            if kind == "early_help":
                family.protected_from = closed - eh_days + eh.effect_lag_months * DAYS_PER_MONTH
                family.protected_to = family.protected_from + eh.effect_months * DAYS_PER_MONTH
            pathway.begin(pathway.entry("contact")(family, rc.to_mash, source="returning", delay=back))
            scheduled += 1
    return scheduled
