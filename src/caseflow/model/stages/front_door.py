"""Front door and early help: the contact decision, MASH screening, and early-help episodes.

A contact about a family with an open case goes to its allocated worker. Otherwise the front door
decides within its working-day target whether to pass the contact to MASH screening; screening ends
in a referral (to :mod:`~caseflow.model.stages.assessment`), early help or no further action. Early
help, when a key worker has room, protects the family for a while: fewer recontacts, referrals and
escalations (the effect sizes are ``[early_help]`` parameters).

Outcomes routed here: ``"contact"`` (a new or returning contact) and ``"early_help"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from mypy_extensions import mypyc_attr

from caseflow.distributions import BandedSampler, BranchSampler
from caseflow.model.capacity import Task
from caseflow.model.entities import DAYS_PER_MONTH, Child, ClosureKind, Family, Stage
from caseflow.model.event_queue import now_of
from caseflow.model.stages.base import Entry, Proc, StageGroup
from caseflow.records import Names, TimeWeighted
from caseflow.scenario.schema import Scenario

if TYPE_CHECKING:
    from caseflow.model.pathway import Pathway

__all__ = ["FrontDoor"]

_KEY_WORKERS: Final = "key_workers"
_CONTACTS_FROM: Final = Names("contacts_from_")
_REFERRALS_FROM: Final = Names("referrals_from_")


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class FrontDoor(StageGroup):
    name = "front_door"

    def __init__(self, pathway: Pathway) -> None:
        self.families_in_early_help = 0  # families in early help now
        self._key_workers = TimeWeighted()  # key workers in post, and FTE-days since last taken (costs)
        super().__init__(pathway)

    def compile(self, scenario: Scenario) -> None:
        super().compile(scenario)
        self._mash_outcome = BranchSampler(scenario.mash.outcome)
        self._early_help_if_not_mash = scenario.front_door.early_help_if_not_mash
        self._eh_len = BandedSampler(scenario.early_help.duration_months, DAYS_PER_MONTH)
        self._key_workers.set(_KEY_WORKERS, scenario.early_help.key_workers, self.env.now)

    def routes(self) -> Mapping[str, Entry]:
        return {"contact": self.contact, "early_help": self.early_help}

    # ------------------------------------------------------------ key-worker time (for costs)
    def take_key_worker_days(self) -> float:
        """Early-help key-worker FTE-days since the last call."""
        return self._key_workers.take(self.env.now).get(_KEY_WORKERS, 0.0)

    # ------------------------------------------------------------ processes
    def contact(self, family: Family, to_mash: float, *, source: str, delay: float = 0.0) -> Proc:
        """A contact about ``family``: front-door decision, then MASH screening or closure."""
        env, rec, p = self.env, self.rec, self.pathway
        if delay > 0:
            yield env.timeout(delay)
            if p.protected(family) and family.random() < self.s.early_help.recontact_reduction:
                t = now_of(self._queue, env)
                rec.count("recontacts_prevented_by_early_help", t, len(family.under_18(t)))
                return
        t = now_of(self._queue, env)
        if family.is_open():
            # A family with an open case: the allocated worker takes the information, no new referral.
            n = len(family.under_18(t))
            rec.count("contacts", t, n)
            rec.count(_CONTACTS_FROM[source], t, n)
            rec.count("contacts_on_open_cases", t, n)
            return
        kids = [c for c in family.children if c.stage is Stage.CLOSED]
        kids = p.current(kids)
        if not kids:
            return
        n = len(kids)
        rec.count("contacts", t, n)
        rec.count(_CONTACTS_FROM[source], t, n)
        p.move(kids, Stage.FRONT_DOOR)
        done = yield from self.capacity.perform(Task.FRONT_DOOR_DECISION, kids, t)
        wd = self.cal.working_days_between(t, done)
        for _ in kids:
            rec.tally("contact_decision_wd", done, wd)
        if family.random() >= to_mash:
            if family.random() < self._early_help_if_not_mash:
                yield from self.early_help(family, kids, otherwise=ClosureKind.FRONT_DOOR)
            else:
                p.close(kids, ClosureKind.FRONT_DOOR, family)
            return
        passed = done
        done = yield from self.capacity.perform(Task.MASH_SCREENING, kids, passed)
        wd = self.cal.working_days_between(passed, done)
        for _ in kids:
            rec.tally("mash_screening_wd", done, wd)
        outcome = self._mash_outcome.sample(family)
        if (
            outcome == "referral"
            and p.protected(family)
            and family.random() < self.s.early_help.referral_reduction
        ):
            # the family's early help means this concern is met without a referral
            outcome = "no_further_action"
            rec.count("referrals_prevented_by_early_help", now_of(self._queue, env), len(kids))
        if outcome == "referral":
            rec.count(_REFERRALS_FROM[source], now_of(self._queue, env), n)
            yield from p.route("referral", family, kids)
        elif outcome == "early_help":
            yield from self.early_help(family, kids, otherwise=ClosureKind.FRONT_DOOR)
        else:
            p.close(kids, ClosureKind.FRONT_DOOR, family)

    def early_help(self, family: Family, kids: list[Child], *, otherwise: ClosureKind) -> Proc:
        """Early help if a key worker has room; otherwise the family is closed (``otherwise``)."""
        p = self.pathway
        t = now_of(self._queue, self.env)
        eh = self.s.early_help
        if self.families_in_early_help >= eh.key_workers * eh.families_per_worker:
            self.rec.count("early_help_declined_full", t, len(kids))
            p.close(kids, otherwise, family)
            return
        self.rec.count("early_help_starts", t, len(kids))
        self.families_in_early_help += 1
        self.capacity.release(kids)
        p.move(kids, Stage.EARLY_HELP)
        start = t + eh.effect_lag_months * DAYS_PER_MONTH
        family.protected_from = start
        family.protected_to = start + eh.effect_months * DAYS_PER_MONTH
        yield self.env.timeout(self._eh_len.sample(family))
        self.families_in_early_help -= 1
        kids = p.current(kids)
        p.close(kids, ClosureKind.EARLY_HELP, family)
