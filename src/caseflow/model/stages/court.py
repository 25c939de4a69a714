"""Court work: pre-proceedings under the Public Law Outline, and care proceedings (Children Act s31).

Active when the scenario has a ``[court]`` section (:class:`~caseflow.scenario.court_schema.CourtParams`).

- **Pre-proceedings** (outcome ``"pre_proceedings"``, from the end of a CP or CIN plan): the letter
  before proceedings, meetings and assessments, for a gamma-distributed number of weeks; they end in
  proceedings, a CIN plan (diverted) or closure. The family's worker puts in ``court.hours.pre_proceedings``.
- **Care proceedings** (outcome ``"proceedings"``): at issue, children at home come into care on an
  interim care order with probability ``court.interim_care_order`` (the rest stay at home, stage
  PROCEEDINGS); after a gamma-distributed number of weeks the court makes a final order for the
  family: a care or placement order (children at home come into care; children in care stay), a
  supervision order or no order (home on a CIN plan; children in care return home), special
  guardianship or a child arrangements order (the children leave; children in care leave care by that
  route). The worker puts in ``court.hours.issue`` at issue and ``court.hours.final`` at the end.
- **Emergency removals** (outcome ``"emergency_proceedings"``): proceedings for children already
  removed in an emergency, with probability ``court.emergency_proceedings``.

Counts: ``pre_proceedings_started``, ``proceedings_issued``, ``proceedings_disposed``,
``final_order_<order>`` (children), the tally ``proceedings_weeks`` (weeks from issue to final order,
per child) and the month-end stocks of children in pre-proceedings and in proceedings at home.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from mypy_extensions import mypyc_attr

from caseflow.distributions import BranchSampler
from caseflow.model.capacity import Task
from caseflow.model.entities import CareEntry, Child, ClosureKind, Family, Stage
from caseflow.model.stages.base import Entry, Proc, StageGroup
from caseflow.scenario.court_schema import CourtParams
from caseflow.scenario.schema import Scenario

if TYPE_CHECKING:
    from caseflow.model.stages.looked_after import LookedAfter

__all__ = ["CourtWork"]

_WEEK: Final = 7.0
#: What each final order means for a child at home: the outcome they are routed to.
_AT_HOME: Final = {
    "care_order": "looked_after",
    "placement_order": "looked_after",
    "supervision_order": "cin_plan",
    "no_order": "cin_plan",
    "special_guardianship": "left_by_order",
    "child_arrangements": "left_by_order",
}
#: What each final order means for a child in care: (care exit route, outcome after care), or None to
#: stay in care.
_IN_CARE: Final[dict[str, tuple[str, str] | None]] = {
    "care_order": None,
    "placement_order": None,
    "supervision_order": ("return_home", "cin_plan"),
    "no_order": ("return_home", "cin_plan"),
    "special_guardianship": ("special_guardianship", "left_by_order"),
    "child_arrangements": ("child_arrangements", "left_by_order"),
}


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class CourtWork(StageGroup):
    name = "court"

    def compile(self, scenario: Scenario) -> None:
        super().compile(scenario)
        court = scenario.court
        if court is not None:
            self._pre_outcome = BranchSampler(court.pre_proceedings_outcome)
            self._orders = BranchSampler(court.final_orders)

    def routes(self) -> Mapping[str, Entry]:
        return {
            "pre_proceedings": self.pre_proceedings,
            "proceedings": self.proceedings,
            "emergency_proceedings": self.emergency_proceedings,
            "left_by_order": self._left_by_order,
        }

    @property
    def court(self) -> CourtParams:
        court = self.s.court
        if court is None:
            raise ValueError("court work needs a [court] section in the scenario")
        return court

    @property
    def _care(self) -> LookedAfter:
        from caseflow.model.stages.looked_after import LookedAfter

        group = self.pathway.stages["looked_after"]
        assert isinstance(group, LookedAfter)
        return group

    # ------------------------------------------------------------ processes
    def pre_proceedings(self, family: Family, kids: list[Child]) -> Proc:
        """Pre-proceedings (PLO) after a plan; ends in proceedings, a CIN plan or closure."""
        env, rec, p, court = self.env, self.rec, self.pathway, self.court
        t = env.now
        rec.count("pre_proceedings_started", t, len(kids))
        p.move(kids, Stage.PRE_PROCEEDINGS)
        self.capacity.add_work(kids, Task.PRE_PROCEEDINGS)
        weeks = family.gamma(court.pre_proceedings_shape, court.pre_proceedings_weeks)
        p.age_out_before(kids, t + weeks * _WEEK)
        yield env.timeout(weeks * _WEEK)
        kids = [c for c in p.current(kids) if c.stage is Stage.PRE_PROCEEDINGS]
        if not kids:
            return
        outcome = self._pre_outcome.sample(family)
        rec.count(f"pre_proceedings_ended_{outcome}", env.now, len(kids))
        if outcome == "proceedings":
            yield from self.proceedings(family, kids)
        elif outcome == "cin_plan":
            yield from p.route("cin_plan", family, kids)
        else:
            p.close(kids, ClosureKind.PLAN, family)

    def emergency_proceedings(self, family: Family, kids: list[Child]) -> Proc:
        """Children just removed in an emergency: proceedings for some of them."""
        if family.random() < self.court.emergency_proceedings:
            yield from self.proceedings(family, kids, in_care=True)

    def proceedings(
        self, family: Family, kids: list[Child], *, interim: bool | None = None, in_care: bool = False
    ) -> Proc:
        """Care proceedings for ``kids``, to the final order.

        ``interim`` forces (True) or rules out (False) an interim care order for children at home;
        None draws it with probability ``court.interim_care_order``. ``in_care``: the children have just
        come into care (their care episodes may not have started at this instant).
        """
        env, rec, p, court = self.env, self.rec, self.pathway, self.court
        issued = env.now
        rec.count("proceedings_issued", issued, len(kids))
        self.capacity.add_work(kids, Task.COURT_ISSUE)
        at_home = [] if in_care else [c for c in kids if c.stage is not Stage.LOOKED_AFTER]
        if at_home:
            ico = family.random() < court.interim_care_order if interim is None else interim
            if ico:
                rec.count("interim_care_orders", issued, len(at_home))
                yield from p.route(
                    "looked_after", family, at_home, entry=CareEntry.INTERIM_CARE_ORDER, until_order=True
                )
            else:
                p.move(at_home, Stage.PROCEEDINGS)
        weeks = family.gamma(court.proceedings_shape, court.proceedings_weeks)
        p.age_out_before([c for c in kids if c.stage is Stage.PROCEEDINGS], issued + weeks * _WEEK)
        yield env.timeout(weeks * _WEEK)
        children = p.current(kids)  # every child the proceedings were about, under 18
        if not children:
            return
        t = env.now
        order = self._orders.sample(family)
        rec.count("proceedings_disposed", t, len(children))
        rec.count(f"final_order_{order}", t, len(children))
        for _ in children:
            rec.tally("proceedings_weeks", t, weeks)
        # the order acts on the children still at home in the proceedings or in care
        kids = [c for c in children if c.stage in (Stage.PROCEEDINGS, Stage.LOOKED_AFTER)]
        if not kids:
            return
        self.capacity.add_work(kids, Task.COURT_FINAL)
        home = [c for c in kids if c.stage is Stage.PROCEEDINGS]
        care = self._care
        for child in kids:
            if child.stage is Stage.LOOKED_AFTER:
                change = _IN_CARE[order]
                if change is None:
                    care.order_made(child)
                else:
                    care.discharge(child, *change)
        if home:
            outcome = _AT_HOME[order]
            if outcome == "looked_after":
                yield from p.route("looked_after", family, home, entry=CareEntry.CARE_ORDER)
            else:
                yield from p.route(outcome, family, home)

    def _left_by_order(self, family: Family, kids: list[Child]) -> Proc:
        """Children who leave the system under a special guardianship or child arrangements order."""
        self.capacity.release(kids)
        self.pathway.move(kids, Stage.LEFT)
        self.rec.count("left_by_order", self.env.now, len(kids))
        yield from ()
