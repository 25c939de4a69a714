"""Referral and single assessment.

A referral opens a child-in-need episode (re-referrals within 12 months are flagged from the child's
history). Some referrals close with no further action; a red (urgent) referral goes straight to a
strategy discussion with the assessment alongside; the rest are assessed, clocked from the referral,
and end not in need (closure or step-down to early help), on a CIN plan, or in an s47 enquiry.

Outcomes routed here: ``"referral"`` and ``"assessment"`` (an assessment already under way, for the
opening caseload).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import simpy
from mypy_extensions import mypyc_attr

from caseflow.distributions import BranchSampler
from caseflow.model.capacity import Task
from caseflow.model.entities import DAYS_PER_YEAR, Activity, Child, ClosureKind, Family, Stage
from caseflow.model.stages.base import Entry, Proc, StageGroup
from caseflow.scenario.schema import Scenario

__all__ = ["ReferralAndAssessment"]


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class ReferralAndAssessment(StageGroup):
    name = "assessment"

    def compile(self, scenario: Scenario) -> None:
        super().compile(scenario)
        self._assess_outcome = BranchSampler(scenario.assessment.outcome)

    def routes(self) -> Mapping[str, Entry]:
        return {"referral": self.referral, "assessment": self.assess_and_decide}

    def referral(self, family: Family, kids: list[Child]) -> Proc:
        env, rec, p = self.env, self.rec, self.pathway
        t = env.now
        window = self.s.referral.re_referral_window_days
        n = len(kids)
        rec.count("referrals", t, n)
        for c in kids:
            rec.tally("re_referral", t, 1.0 if t - c.last_referral <= window else 0.0)
            c.last_referral = t
        p.move(kids, Stage.ASSESSMENT)
        p.age_out_before(kids, t + DAYS_PER_YEAR)  # a 17-year-old may turn 18 while assessed
        if family.random() < self.s.referral.no_further_action:
            for _ in kids:
                rec.tally("referral_nfa", t, 1.0)
            p.close(kids, ClosureKind.ASSESSMENT, family)
            return
        for _ in kids:
            rec.tally("referral_nfa", t, 0.0)
        urgent = family.random() < self.s.mash.urgent_referral
        self.capacity.assign(kids, Activity.ASSESSMENT, urgent=urgent)
        if urgent:
            # Red: a strategy discussion at once; the single assessment runs alongside the s47.
            rec.count("urgent_referrals", t, n)
            env.process(self.assessment_record(family, kids, t))
            yield from p.route("s47", family, kids, since=t, urgent=True)
            return
        yield from self.assess_and_decide(family, kids, t)

    def assess_and_decide(
        self,
        family: Family,
        kids: list[Child],
        referred: float,
        *,
        working_days: float | None = None,
    ) -> Proc:
        """Single assessment, then its outcome: not in need, CIN plan, or strategy discussion."""
        rec, p = self.rec, self.pathway
        done = yield from self.assessment(family, kids, referred, working_days=working_days)
        kids = p.current(kids)
        if not kids:
            return
        outcome = self._assess_outcome.sample(family)
        if outcome == "s47" and p.escalation_prevented(family):
            outcome = "cin_plan"
        if outcome == "not_in_need":
            rec.count("assessed_not_in_need", done, len(kids))
            if family.random() < self.s.assessment.not_in_need_step_down:
                yield from p.route("early_help", family, kids, otherwise=ClosureKind.ASSESSMENT)
            else:
                p.close(kids, ClosureKind.ASSESSMENT, family)
        elif outcome == "cin_plan":
            yield from p.route("cin_plan", family, kids)
        else:
            yield from p.route("s47", family, kids, since=done)

    def assessment(
        self,
        family: Family,
        kids: list[Child],
        referred: float,
        *,
        working_days: float | None = None,
    ) -> Generator[simpy.Event, Any, float]:
        """The single assessment, clocked from the referral; returns its completion time."""
        done = yield from self.capacity.perform(Task.ASSESSMENT, kids, referred, working_days=working_days)
        wd = self.cal.working_days_between(referred, done)
        self.rec.count("assessments_completed", done, len(kids))
        for _ in kids:
            self.rec.tally("assessment_wd", done, wd)
        return done

    def assessment_record(self, family: Family, kids: list[Child], referred: float) -> Proc:
        yield from self.assessment(family, kids, referred)
