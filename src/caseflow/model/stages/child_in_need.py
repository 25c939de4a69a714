"""Child in need plans (Children Act 1989 s17).

A CIN plan lasts a sampled time and ends in closure, step-down to early help, an s47 enquiry, care or
pre-proceedings (with a ``[court]`` section); early help the family had may stop the escalation.

Outcome routed here: ``"cin_plan"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from mypy_extensions import mypyc_attr

from caseflow.distributions import BandedSampler, BranchSampler
from caseflow.model.entities import DAYS_PER_MONTH, Activity, CareEntry, Child, ClosureKind, Family, Stage
from caseflow.model.stages.base import Entry, Proc, StageGroup
from caseflow.scenario.schema import Scenario

__all__ = ["ChildInNeed"]

#: Outcomes that early help the family had may prevent (the plan closes instead).
_ESCALATIONS: Final = frozenset({"s47", "looked_after", "pre_proceedings"})


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class ChildInNeed(StageGroup):
    name = "child_in_need"

    def compile(self, scenario: Scenario) -> None:
        super().compile(scenario)
        self._cin_end = BranchSampler(scenario.cin_plan.end)
        length = BandedSampler(scenario.cin_plan.duration_months, DAYS_PER_MONTH)
        self._plan = (Stage.CIN_PLAN, Activity.CIN_PLAN, length)

    def routes(self) -> Mapping[str, Entry]:
        return {"cin_plan": self.cin_plan}

    def cin_plan(
        self,
        family: Family,
        kids: list[Child],
        *,
        started: float | None = None,
        duration: float | None = None,
    ) -> Proc:
        """A CIN plan; ``started``/``duration`` are given for the opening caseload."""
        env, rec, p = self.env, self.rec, self.pathway
        now = env.now
        if started is None:
            started = now
            rec.count("cin_plans_started", now, len(kids))
        duration = self.begin_plan(family, kids, self._plan, started, duration)
        yield env.timeout(max(0.0, started + duration - now))
        kids = [c for c in p.current(kids) if c.stage is Stage.CIN_PLAN]
        if not kids:
            return
        rec.count("cin_plans_ended", env.now, len(kids))
        outcome = self._cin_end.sample(family)
        if outcome in _ESCALATIONS and p.escalation_prevented(family):
            outcome = "closure"
        if outcome == "closure":
            p.close(kids, ClosureKind.PLAN, family)
        elif outcome == "step_down":
            yield from p.route("early_help", family, kids, otherwise=ClosureKind.PLAN)
        elif outcome == "s47":
            yield from p.route("s47", family, kids, since=env.now)
        elif outcome == "looked_after":
            yield from p.route("looked_after", family, kids, entry=CareEntry.FROM_CIN_PLAN)
        else:  # pre-proceedings, or any other stage registered for the outcome
            yield from p.route(outcome, family, kids)
