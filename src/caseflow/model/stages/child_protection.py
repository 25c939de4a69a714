"""Child protection: strategy discussion, Section 47 enquiry, the initial conference and CP plans.

A strategy discussion opens the s47 enquiry. An urgent one may bring the child into care at once. The
enquiry ends in an initial child protection conference (ICPC: a CP plan or a CIN plan), a CIN plan, or
no further action. A CP plan has review conferences at its first review and then at each interval; it
ends in a CIN plan, care, pre-proceedings (with a ``[court]`` section) or closure; children removed in
an emergency may have care proceedings issued (``"emergency_proceedings"``).

Outcomes routed here: ``"s47"`` and ``"cp_plan"``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mypy_extensions import mypyc_attr

from caseflow.distributions import BandedSampler, BranchSampler
from caseflow.model.capacity import Task
from caseflow.model.entities import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    Activity,
    CareEntry,
    Child,
    ClosureKind,
    Family,
    Stage,
)
from caseflow.model.stages.base import Entry, Proc, StageGroup
from caseflow.scenario.schema import Scenario

__all__ = ["ChildProtection"]


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class ChildProtection(StageGroup):
    name = "child_protection"

    def compile(self, scenario: Scenario) -> None:
        super().compile(scenario)
        self._s47_outcome = BranchSampler(scenario.s47.outcome)
        self._icpc_outcome = BranchSampler(scenario.icpc.outcome)
        self._cp_end = BranchSampler(scenario.cp_plan.end)
        length = BandedSampler(scenario.cp_plan.duration_months, DAYS_PER_MONTH)
        self._plan = (Stage.CP_PLAN, Activity.CP_PLAN, length)

    def routes(self) -> Mapping[str, Entry]:
        return {"s47": self.s47, "cp_plan": self.cp_plan}

    def s47(
        self,
        family: Family,
        kids: list[Child],
        *,
        since: float,
        urgent: bool = False,
        outcome: str | None = None,
    ) -> Proc:
        """Strategy discussion and s47 enquiry, clocked from ``since``; ``outcome`` (``"icpc"``…), when
        given, is the enquiry's outcome instead of a draw (a pre-birth conference)."""
        env, rec, p = self.env, self.rec, self.pathway
        sd = yield from self.capacity.perform(Task.STRATEGY_DISCUSSION, kids, since)
        kids = p.current(kids)
        if not kids:
            return
        rec.count("s47_enquiries", sd, len(kids))
        p.move(kids, Stage.S47)
        p.age_out_before(kids, sd + DAYS_PER_YEAR)
        if urgent and family.random() < self.s.s47.looked_after_immediately:
            rec.count("emergency_removals", sd, len(kids))
            yield from p.route("looked_after", family, kids, entry=CareEntry.EMERGENCY)
            if self.s.court is not None:
                yield from p.route("emergency_proceedings", family, kids)
            return
        if outcome is None:
            outcome = self._s47_outcome.sample(family)
        if outcome == "icpc":
            held = yield from self.capacity.perform(Task.ICPC, kids, sd)
            kids = p.current(kids)
            if not kids:
                return
            wd = self.cal.working_days_between(sd, held)
            rec.count("icpcs", held, len(kids))
            for _ in kids:
                rec.tally("icpc_wd", held, wd)
            if self._icpc_outcome.sample(family) == "cp_plan":
                yield from self.cp_plan(family, kids)
            else:
                yield from p.route("cin_plan", family, kids)
            return
        yield from self.capacity.perform(Task.S47_ENQUIRY, kids, sd)
        kids = p.current(kids)
        if not kids:
            return
        if outcome == "cin_plan":
            yield from p.route("cin_plan", family, kids)
        else:
            rec.count("s47_no_further_action", env.now, len(kids))
            p.close(kids, ClosureKind.ASSESSMENT, family)

    def cp_plan(
        self,
        family: Family,
        kids: list[Child],
        *,
        started: float | None = None,
        duration: float | None = None,
    ) -> Proc:
        """A child protection plan; ``started``/``duration`` are given for the opening caseload."""
        env, rec, p = self.env, self.rec, self.pathway
        now = env.now
        if started is None:
            started = now
            rec.count("cp_plans_started", now, len(kids))
            for c in kids:
                rec.tally("cp_second_or_subsequent", now, 1.0 if c.cp_plans > 0 else 0.0)
                c.cp_plans += 1
        duration = self.begin_plan(family, kids, self._plan, started, duration)
        end = started + duration
        cp = self.s.cp_plan
        review = started + cp.first_review_months * DAYS_PER_MONTH
        step = cp.review_interval_months * DAYS_PER_MONTH
        while review <= now:
            review += step
        while review < end:
            yield env.timeout(review - env.now)
            reviewed = [c for c in kids if c.stage is Stage.CP_PLAN]
            rec.count("cp_reviews", env.now, len(reviewed))
            self.capacity.add_work(reviewed, "cp_review")
            review += step
        yield env.timeout(max(0.0, end - env.now))
        kids = [c for c in p.current(kids) if c.stage is Stage.CP_PLAN]  # a baby removed at birth left it
        t = env.now
        rec.count("cp_plans_ended", t, len(kids))
        for _ in kids:
            rec.tally("cp_ended_duration_days", t, duration)
        if not kids:
            return
        outcome = self._cp_end.sample(family)
        if outcome == "closure":
            p.close(kids, ClosureKind.PLAN, family)
        elif outcome == "looked_after":
            yield from p.route("looked_after", family, kids, entry=CareEntry.FROM_CP_PLAN)
        else:  # a CIN plan, pre-proceedings, or any other stage registered for the outcome
            yield from p.route(outcome, family, kids)
