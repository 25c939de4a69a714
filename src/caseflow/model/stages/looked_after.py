"""Children looked after: entry, placement, exit by route or at 18, and unaccompanied children.

Each child in care has a process of their own. The placement and exit route are drawn by age band at
entry, with a gamma time to each route's exit (capped at the 18th birthday); at 18 the child leaves
care, and unless their destination is adult social care becomes a care leaver. A child who returns
home goes back to the family's case, which closes. Unaccompanied asylum-seeking children arrive as a
Poisson stream straight into care; some are transferred to another authority.

Outcome routed here: ``"looked_after"`` (one care episode per child).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, cast

import simpy
from mypy_extensions import mypyc_attr

from caseflow.distributions import BranchSampler
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
from caseflow.model.families import age_band
from caseflow.model.stages.base import Entry, Proc, StageGroup
from caseflow.records import TimeWeighted
from caseflow.scenario.schema import AGE_BANDS, Placements, Scenario
from caseflow.streams import RandomSource

if TYPE_CHECKING:
    from caseflow.model.pathway import Pathway

__all__ = ["CareEpisode", "LookedAfter"]

#: (placement, exit route, total duration in days) of one care episode.
CareEpisode = tuple[str, str, float]

#: The interrupt cause of a care or placement order for a child awaiting it (see order_made).
_STAYS: Final = object()

#: Entry routes that bring court work (an application for an order) for the child's worker.
_COURT_ENTRIES: Final = frozenset({CareEntry.FROM_CP_PLAN, CareEntry.FROM_CIN_PLAN, CareEntry.EMERGENCY})


#: Days between looks at a UASC arrival rate of 0, in a scenario whose changes may raise it.
UASC_RECHECK_DAYS: Final = 30.0


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class LookedAfter(StageGroup):
    name = "looked_after"

    def __init__(self, pathway: Pathway) -> None:
        #: children in each placement type now (``placements.level``), and child-days since last taken
        self.placements = TimeWeighted()
        self._episodes: dict[int, simpy.Process] = {}  # child id → their care episode's process
        self._awaiting_order: set[int] = set()  # children in care on an interim order, by id
        super().__init__(pathway)

    def compile(self, scenario: Scenario) -> None:
        super().compile(scenario)
        la = scenario.looked_after
        self._routes = {b: BranchSampler(la.exit_routes[b]) for b in AGE_BANDS}
        self._placements = {b: BranchSampler(la.placements[b]) for b in AGE_BANDS}
        self._leaving_18 = BranchSampler(la.leaving_at_18)
        self._uasc_age = BranchSampler(la.uasc_age)
        self._route_days = {k: float(v) * DAYS_PER_MONTH for k, v in la.route_months}

    def routes(self) -> Mapping[str, Entry]:
        return {"looked_after": self.enter}

    # ------------------------------------------------------------ placement-days (for costs)
    def take_placement_days(self) -> dict[str, float]:
        """Child-days in each placement type since the last call."""
        return self.placements.take(self.env.now)

    def snapshot(self, month: int) -> None:
        """Children in each placement type at the month end."""
        for placement in Placements.model_fields:
            self.rec.stock(f"cla_{placement}_end", month, self.placements.level.get(placement, 0))

    # ------------------------------------------------------------ processes
    def care_episode(self, child: Child, t: float, stream: RandomSource | None = None) -> CareEpisode:
        """Placement, exit route and total duration (days) of a care episode starting at ``t``."""
        r: RandomSource = stream or self.pathway.families.draws
        band = age_band(child.age(t))
        placement = self._placements[band].sample(r)
        route = self._routes[band].sample(r)
        to_18 = child.birthday(18) - t
        if route == "remain_to_18":
            return placement, "age_18", to_18
        d = r.gamma(self.s.looked_after.route_shape, self._route_days[route])
        if d >= to_18:
            return placement, "age_18", to_18
        return placement, route, d

    def enter(
        self,
        family: Family,
        kids: list[Child],
        *,
        entry: CareEntry,
        episode: CareEpisode | None = None,
        started: float | None = None,
        until_order: bool = False,
    ) -> Proc:
        """Each of ``kids`` starts a care episode of their own (this process ends at once)."""
        for child in kids:
            self.env.process(
                self.episode(
                    child, family, entry=entry, episode=episode, started=started, until_order=until_order
                )
            )
        yield from ()

    def episode(
        self,
        child: Child,
        family: Family,
        *,
        entry: CareEntry,
        episode: CareEpisode | None = None,
        started: float | None = None,
        until_order: bool = False,
    ) -> Proc:
        """A care episode for ``child`` of ``family`` (whose draws decide it, and to whom they may return).

        ``until_order``: the child is in care on an interim care order, and stays until the court's final
        order (or their 18th birthday): :meth:`order_made` then draws the episode's exit from that day,
        or :meth:`discharge` ends it.
        """
        env, rec, p = self.env, self.rec, self.pathway
        now = env.now
        if started is None:
            started = now
            rec.count("cla_starts", now)
            rec.count(f"cla_starts_{entry}", now)
            rec.tally("cla_start_under_1", now, 1.0 if child.age(now) < 1.0 else 0.0)
        placement, route, duration = episode or self.care_episode(child, started, family)
        if until_order:
            route, duration = "age_18", child.birthday(18) - started
            self._awaiting_order.add(child.id)
        p.move([child], Stage.LOOKED_AFTER)
        child.since = started
        self.census.looked_after[child.id] = child
        self.capacity.assign([child], Activity.LOOKED_AFTER)
        if entry in _COURT_ENTRIES and self.s.court is None:
            self.capacity.add_work([child], "court_work")  # court work as a lump (no [court] section)
        self.placements.add(placement, 1, now)
        then: str | None = None
        process = env.active_process
        if process is not None:
            self._episodes[child.id] = process
        while True:
            try:
                yield env.timeout(max(0.0, started + duration - env.now))
                break
            except simpy.Interrupt as order:  # a court's final order (see order_made and discharge)
                self._awaiting_order.discard(child.id)
                if order.cause is _STAYS:  # a care or placement order: the exit is drawn from today
                    _, route, rest = self.care_episode(child, env.now, family)
                    duration = env.now - started + rest
                    continue
                route, then = cast(tuple[str, str], order.cause)
                duration = env.now - started
                break
        self._episodes.pop(child.id, None)
        self._awaiting_order.discard(child.id)
        t = env.now
        self.placements.add(placement, -1, t)
        del self.census.looked_after[child.id]
        rec.count("cla_ceased", t)
        rec.tally("cla_episode_days", t, duration)
        if then is not None:
            rec.count(f"cla_ceased_{route}", t)
            yield from p.route(then, family, [child])
            return
        if route == "age_18":
            dest = self._leaving_18.sample(family)
            rec.count(f"cla_ceased_age_18_{dest}", t)
            rec.count("cla_ceased_age_18", t)
            self.capacity.release([child])
            p.move([child], Stage.LEFT)
            if dest != "adult_social_care":
                env.process(p.route("care_leaver", family, [child]))
            return
        rec.count(f"cla_ceased_{route}", t)
        if route == "return_home":
            p.close([child], ClosureKind.PLAN, family)
        else:  # special guardianship, adoption, child arrangements, other, or transferred (UASC)
            self.capacity.release([child])
            p.move([child], Stage.LEFT)

    def order_made(self, child: Child) -> bool:
        """A care or placement order for ``child``: if they were in care on an interim order awaiting
        it, their episode's exit route and time are drawn from today. False otherwise (nothing changes)."""
        process = self._episodes.get(child.id)
        if child.id not in self._awaiting_order or process is None or not process.is_alive:
            return False
        process.interrupt(_STAYS)
        return True

    def discharge(self, child: Child, route: str, then: str) -> bool:
        """End ``child``'s care episode now by ``route`` (counted as ``cla_ceased_<route>``), then take
        them to the stage of outcome ``then`` (``"cin_plan"``, ``"closure_by_order"``…). False if the
        child is not in care."""
        process = self._episodes.get(child.id)
        if process is None or not process.is_alive:
            return False
        process.interrupt((route, then))
        return True

    def arrivals(self, horizon: float) -> Proc | None:
        """Unaccompanied children arriving straight into care (see :meth:`uasc_arrivals`)."""
        return self.uasc_arrivals(horizon)

    def uasc_arrivals(self, horizon: float) -> Proc:
        """Unaccompanied asylum-seeking children arrive (Poisson) and come straight into care.

        A share ``looked_after.uasc_transferred_out`` are transferred to another authority after an
        exponential time of mean ``uasc_transfer_days``: their episode ends by route ``transferred``.

        The rate is the one in force when each gap is drawn, so a time-phased change of
        ``uasc_per_year`` takes effect from the next arrival; with none arriving (a rate of 0), the
        rate is looked at again every :data:`UASC_RECHECK_DAYS`, if the scenario has changes at all.
        """
        r = self.pathway.streams["arrivals.uasc"]
        env, families = self.env, self.pathway.families
        changes = bool(self.s.changes)
        while True:
            rate = self.s.looked_after.uasc_per_year / DAYS_PER_YEAR
            if rate <= 0:
                if not changes or env.now + UASC_RECHECK_DAYS >= horizon:
                    return
                yield env.timeout(UASC_RECHECK_DAYS)
                continue
            gap = r.exponential(1.0 / rate)
            if env.now + gap >= horizon:
                return
            yield env.timeout(gap)
            fam = families.new_family(env.now, families.sample_ages(self._uasc_age, 1))
            child = fam.children[0]
            episode = self._uasc_transfer(child, fam)
            env.process(self.episode(child, fam, entry=CareEntry.UASC, episode=episode))

    def _uasc_transfer(self, child: Child, family: Family) -> CareEpisode | None:
        """The care episode of an arriving child transferred on (National Transfer Scheme), or None.

        The decision and the episode come from the family's own draws; with no transfers
        (``uasc_transferred_out`` 0) nothing is drawn, so the child's care episode is as before.
        """
        la = self.s.looked_after
        p = la.uasc_transferred_out
        if p <= 0.0 or family.random() >= p:
            return None
        t = self.env.now
        placement = self._placements[age_band(child.age(t))].sample(family)
        days = family.exponential(la.uasc_transfer_days)
        to_18 = child.birthday(18) - t
        if days >= to_18:
            return placement, "age_18", to_18
        return placement, "transferred", days
