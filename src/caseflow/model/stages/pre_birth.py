"""The pre-birth route: referrals about unborn babies, unborn CP plans, and removal at birth.

Active when the scenario has a ``[pre_birth]`` section
(:class:`~caseflow.scenario.court_schema.PreBirthParams`). Referrals about unborn babies arrive as a
Poisson stream of their own, a gamma-distributed number of weeks before the birth; each is a family of
one (unborn) child, with its own block of decision draws (stream ``pre_birth.draws``, so no other
family's draws move). The referral is assessed (by the assessment team, clocked as any assessment)
and ends not in need, on a CIN plan, or in a strategy discussion and pre-birth conference (an ICPC)
that decides on an unborn CP plan. At the birth, a baby on a CP plan is removed with probability
``pre_birth.removed_at_birth``: into care proceedings with an interim care order when the scenario
has a ``[court]`` section, otherwise straight into care (entry ``at_birth``); the CP plan ends.

Counts: ``pre_birth_referrals``, ``pre_birth_assessed_<outcome>``, ``born_on_cp_plan``,
``removed_at_birth``; the month-end stock ``unborn_cp_plans_end`` (unborn children on a CP plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mypy_extensions import mypyc_attr

from caseflow.distributions import BranchSampler
from caseflow.model.entities import DAYS_PER_YEAR, Activity, CareEntry, Child, ClosureKind, Family, Stage
from caseflow.model.stages.assessment import ReferralAndAssessment
from caseflow.model.stages.base import Proc, StageGroup
from caseflow.scenario.schema import Scenario

if TYPE_CHECKING:
    from caseflow.model.pathway import Pathway

__all__ = ["PreBirth"]

_WEEK: Final = 7.0


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class PreBirth(StageGroup):
    name = "pre_birth"

    def __init__(self, pathway: Pathway) -> None:
        self._unborn: dict[int, Child] = {}  # children not yet born, by id
        super().__init__(pathway)

    def compile(self, scenario: Scenario) -> None:
        super().compile(scenario)
        if scenario.pre_birth is not None:
            self._outcome = BranchSampler(scenario.pre_birth.outcome)

    def arrivals(self, horizon: float) -> Proc | None:
        pre = self.s.pre_birth
        if pre is None or pre.referrals_per_year <= 0:
            return None
        return self._referrals(horizon)

    def _referrals(self, horizon: float) -> Proc:
        env, p = self.env, self.pathway
        streams = p.streams
        r = streams["arrivals.pre_birth"]
        draws = streams["pre_birth.draws"]
        while True:
            pre = self.s.pre_birth
            if pre is None or pre.referrals_per_year <= 0:
                return
            gap = r.exponential(DAYS_PER_YEAR / pre.referrals_per_year)
            if env.now + gap >= horizon:
                return
            yield env.timeout(gap)
            weeks = r.gamma(pre.weeks_shape, pre.weeks_before_birth)
            family = p.families.new_family(env.now, [-weeks * _WEEK / DAYS_PER_YEAR], draws=draws)
            child = family.children[0]
            self._unborn[child.id] = child
            self.rec.count("pre_birth_referrals", env.now)
            env.process(self._birth(family, child))
            env.process(self._referral(family, [child]))

    def _referral(self, family: Family, kids: list[Child]) -> Proc:
        """A referral about an unborn baby: the pre-birth assessment and its outcome."""
        env, rec, p = self.env, self.rec, self.pathway
        pre = self.s.pre_birth
        assert pre is not None
        t = env.now
        rec.count("referrals", t, len(kids))
        for c in kids:
            rec.tally("re_referral", t, 0.0)
            rec.tally("referral_nfa", t, 0.0)
            c.last_referral = t
        p.move(kids, Stage.ASSESSMENT)
        self.capacity.assign(kids, Activity.ASSESSMENT)
        assessment = p.stages["assessment"]
        assert isinstance(assessment, ReferralAndAssessment)
        done = yield from assessment.assessment(family, kids, t)
        outcome = self._outcome.sample(family)
        rec.count(f"pre_birth_assessed_{outcome}", done, len(kids))
        if outcome == "cp_plan":
            yield from p.route("s47", family, kids, since=done, outcome="icpc")
        elif outcome == "cin_plan":
            yield from p.route("cin_plan", family, kids)
        else:
            rec.count("assessed_not_in_need", done, len(kids))
            p.close(kids, ClosureKind.ASSESSMENT, family)

    def _birth(self, family: Family, child: Child) -> Proc:
        """At the birth: a baby on a CP plan may be removed."""
        env, p, rec = self.env, self.pathway, self.rec
        yield env.timeout(max(0.0, child.dob - env.now))
        del self._unborn[child.id]
        pre = self.s.pre_birth
        if child.stage is not Stage.CP_PLAN or pre is None:
            return
        t = env.now
        rec.count("born_on_cp_plan", t)
        if family.random() >= pre.removed_at_birth:
            return
        rec.count("removed_at_birth", t)
        rec.count("cp_plans_ended", t)
        rec.tally("cp_ended_duration_days", t, t - child.since)
        if self.s.court is not None:
            yield from p.route("proceedings", family, [child], interim=True)
        else:
            yield from p.route("looked_after", family, [child], entry=CareEntry.AT_BIRTH)

    def snapshot(self, month: int) -> None:
        """Unborn children on a CP plan at the month end."""
        n = sum(1 for c in self._unborn.values() if c.stage is Stage.CP_PLAN)
        self.rec.stock("unborn_cp_plans_end", month, n)
