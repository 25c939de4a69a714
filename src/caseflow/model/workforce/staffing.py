"""Staffing: posts and the workers in them, and how that changes over time.

:class:`Staffing` creates a team's posts (filled, vacant or agency-covered on day one; some held vacant
all run), and runs each post's life: its holder leaves at the turnover rate, the vacancy is filled
after a gamma-distributed time (a newly qualified worker with the scenario's share), and an agency
worker may cover it meanwhile, for assignments of random length. It starts workers (with their
:class:`~caseflow.model.workforce.worker.Contract`, hours per day, ramp-up for new starters and the
ASYE year for newly qualified ones), takes them off sick for spells and back, and lets them leave
(their cases go back to the team's queue: :meth:`CaseHolding.worker_left`). It also adds and cuts
posts when the establishment changes (:mod:`caseflow.model.workforce.changes`).

The dynamics in force are read each time they are used, so a time-phased change of
``workforce.dynamics`` applies to every post and worker from its date.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping
from typing import Any

import simpy

from caseflow.calendar import Calendar
from caseflow.model.entities import DAYS_PER_MONTH, DAYS_PER_YEAR
from caseflow.model.workforce.caseholding import CaseHolding
from caseflow.model.workforce.measures import FteAccount
from caseflow.model.workforce.team import Post, Team
from caseflow.model.workforce.worker import Contract, Worker
from caseflow.records import Recorder
from caseflow.scenario.workforce_schema import TeamParams, WorkforceParams
from caseflow.streams import DrawBlock, Stream

__all__ = ["Staffing", "hours_per_working_day"]

Proc = Generator[simpy.Event, Any, None]


def hours_per_working_day(wf: WorkforceParams, fte: float, nqsw: bool) -> float:
    """Case hours a worker has per working day: contracted hours less leave and non-case time."""
    t = wf.time
    h = t.contracted_hours / 5.0 * fte * (1.0 - t.annual_leave) * (1.0 - t.non_case_time)
    return h * (1.0 - t.nqsw_protected_time) if nqsw else h


class Staffing:
    """Posts, hires, leavers, agency cover, sickness, the ASYE year and new starters' ramp-up."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        wf: WorkforceParams,
        recorder: Recorder,
        teams: Mapping[str, Team],
        holding: CaseHolding,
        fte: FteAccount,
        *,
        r_sick: Stream,
        r_opening: Stream,
        r_posts: Stream,
        sickness_may_change: bool,
    ) -> None:
        self.env = env
        self.cal = calendar
        self.wf = wf  # the parameters in force (replaced by a time-phased change)
        self.rec = recorder
        self.teams = teams
        self.holding = holding
        self.fte = fte
        self._r_sick = r_sick
        self._r_opening = r_opening
        self._r_posts = r_posts
        #: the stream of supernumerary agency posts' draws, made when the first is opened (the Workforce
        #: sets it; without it they draw from the posts' stream)
        self.supernumerary_stream: Callable[[], Stream] | None = None
        self._sickness_may_change = sickness_may_change  # run sickness even while the rate is zero
        self._next_worker = 0
        self._next_post = 0
        #: share of vacancies covered by agency staff, by team (a time-phased change may alter it)
        self.agency_backfill = dict.fromkeys(teams, wf.dynamics.agency_backfill)
        #: each team's turnover multiplier under workload feedback (set by the Workforce; empty when off)
        self.turnover_multiplier: dict[str, float] = {}

    def use(self, wf: WorkforceParams) -> None:
        """Follow the parameters ``wf`` from now on.

        A new turnover rate reaches the workers already in post as well as those who start later: each
        holder's time until leaving is drawn again at the new rate from now. Tenures are exponential
        (memoryless), so this is exact: a worker's chance of leaving in any week after the change is
        the new rate's, whatever their service so far. Other dynamics apply to what happens after the
        change (a vacancy arising, a hire, an agency assignment ending).
        """
        changed = wf.dynamics.turnover_rate != self.wf.dynamics.turnover_rate
        self.wf = wf
        if changed:
            for team in self.teams.values():
                for post in team.posts:
                    if post.in_tenure and post.life is not None and post.life.is_alive:
                        post.life.interrupt("turnover rate changed")

    # ================================================================ workers
    def new_worker(
        self,
        team: Team,
        contract: Contract,
        fte: float,
        post: Post | None,
        *,
        opening: bool,
        asye_u: float = 0.0,
    ) -> Worker:
        """A worker starts in ``team`` (``asye_u``: how far through their ASYE an opening NQSW is)."""
        w = Worker(
            self.env,
            self.cal,
            worker_id=self._next_worker,
            team=team,
            contract=contract,
            fte=fte,
            base_rate=hours_per_working_day(self.wf, fte, contract == Contract.NQSW),
            started=self.env.now,
            post=post,
        )
        self._next_worker += 1
        team.add_worker(w)
        self.fte.change(w, +1)
        dyn = self.wf.dynamics
        if contract == Contract.NQSW:
            asye = dyn.asye_months * DAYS_PER_MONTH
            left = asye * asye_u if opening else asye
            self.env.process(self._asye_ends(w, left))
        ramp = self.wf.time.ramp_up_weeks
        if not opening and ramp > 0 and self.wf.time.ramp_up_efficiency < 1.0:
            w.set_rate(efficiency=self.wf.time.ramp_up_efficiency)
            self.env.process(self._ramped_up(w, ramp * 7.0))
        if dyn.sickness_rate > 0 or self._sickness_may_change:
            self.env.process(self._sickness(w))
        self.holding.worker_free(team)
        return w

    def leave(self, w: Worker) -> None:
        """A worker leaves: their cases go back to the team queue with their unfinished work."""
        now = self.env.now
        w.left = True
        team = w.team
        assert team is not None
        team.remove_worker(w)
        self.fte.change(w, -1)
        if w.contract != Contract.AGENCY:
            self.rec.count("sw_leavers_fte", now, w.fte)
            self.rec.count(f"sw_leavers_fte_{team.name}", now, w.fte)
        self.holding.worker_left(w, team)

    def _asye_ends(self, w: Worker, after: float) -> Proc:
        yield self.env.timeout(after)
        if w.left:
            return
        self.fte.change(w, -1)
        w.contract = Contract.PERMANENT
        self.fte.change(w, +1)
        # (set_rate also tells the team of the new contract: a fuller caseload cap)
        w.set_rate(base_rate=hours_per_working_day(self.wf, w.fte, nqsw=False))
        if w.team is not None:
            self.holding.allocate(w.team)

    def _ramped_up(self, w: Worker, after: float) -> Proc:
        yield self.env.timeout(after)
        if not w.left:
            w.set_rate(efficiency=1.0)

    def _sickness(self, w: Worker) -> Proc:
        env, r = self.env, self._r_sick
        while True:
            dyn = self.wf.dynamics
            if dyn.sickness_rate <= 0:
                yield env.timeout(30.0)
                continue
            spell = dyn.sickness_spell_wd * 7.0 / 5.0
            spells_per_year = dyn.sickness_rate * 253.0 / dyn.sickness_spell_wd
            gap = max(DAYS_PER_YEAR / spells_per_year - spell, 1.0)
            yield env.timeout(r.exponential(gap))
            if w.left:
                return
            w.set_rate(available=False)
            if w.team is not None:
                for item in w.detach(kind="visit"):
                    self.holding.duty_cover(w.team, item)
            yield env.timeout(r.exponential(spell))
            if w.left:
                return
            w.set_rate(available=True)
            if w.team is not None:
                self.holding.worker_free(w.team)

    # ================================================================ posts
    def open_posts(self, team: Team, tp: TeamParams) -> None:
        """Day one: ``team``'s establishment, filled, vacant or agency-covered at the opening rates; then
        its supernumerary agency workers."""
        self.add_posts(
            team,
            tp.establishment,
            opening=True,
            held_vacant=tp.held_vacant,
            held_vacant_agency=tp.held_vacant_agency,
        )
        if tp.supernumerary_agency > 0:
            self.add_supernumerary(team, tp.supernumerary_agency)

    def add_supernumerary(self, team: Team, fte: float) -> None:
        """``fte`` of agency workers on top of the establishment: posts that are never recruited to, are
        not vacancies, and always have an agency worker (a new one, after the lead time, when an
        assignment ends). Their draws come from their own stream, so adding them leaves every other
        post's draws as they were (common random numbers)."""
        whole = math.floor(fte + 1e-9)
        sizes = [1.0] * whole + ([fte - whole] if fte - whole > 1e-9 else [])
        for size in sizes:
            post = Post(self._next_post, team, size, held=True, supernumerary=True)
            stream = self.supernumerary_stream() if self.supernumerary_stream is not None else self._r_posts
            post.rng = DrawBlock(stream, 48)
            self._next_post += 1
            team.posts.append(post)
            post.filled = self.env.event()  # never succeeds: the cover stays until the run ends
            post.agency = self.new_worker(team, Contract.AGENCY, size, post, opening=True)
            self.env.process(self._agency_cover(post, already=True))

    def add_posts(
        self,
        team: Team,
        fte: float,
        *,
        opening: bool,
        held_vacant: float = 0.0,
        held_vacant_agency: float = 0.0,
        fill_months: float | None = None,
    ) -> None:
        """Create ``fte`` of posts. On day one they are filled, vacant or agency-covered at the opening
        rates; ``held_vacant`` of them stay vacant all run (``held_vacant_agency`` of those agency-covered).
        """
        dyn = self.wf.dynamics
        whole = math.floor(fte + 1e-9)
        sizes = [1.0] * whole
        if fte - whole > 1e-9:
            sizes.append(fte - whole)
        r = self._r_opening
        n_held = round(held_vacant * len(sizes))
        n_covered = round(held_vacant_agency * n_held)
        first_held = len(sizes) - n_held
        for i, size in enumerate(sizes):
            post = Post(self._next_post, team, size, fill_months=fill_months)
            post.rng = DrawBlock(self._r_posts, 48)
            self._next_post += 1
            team.posts.append(post)
            # The same four draws for every post, whatever happens to it, so that scenarios which
            # differ only in some posts keep the others identical (common random numbers).
            u_vacant, u_nqsw, u_agency, u_asye = (r.random() for _ in range(4)) if opening else (1, 1, 1, 0)
            if i >= first_held:
                post.held = True
                post.filled = self.env.event()  # never succeeds: agency cover stays until the run ends
                if i - first_held < n_covered:
                    post.agency = self.new_worker(team, Contract.AGENCY, size, post, opening=opening)
                    self.env.process(self._agency_cover(post, already=True))
                continue
            if opening and u_vacant >= dyn.opening_vacancy_rate:
                contract = Contract.NQSW if u_nqsw < dyn.opening_nqsw_share else Contract.PERMANENT
                post.holder = self.new_worker(team, contract, size, post, opening=True, asye_u=u_asye)
            elif opening and u_agency < self.cover_share(team.name):
                post.agency = self.new_worker(team, Contract.AGENCY, size, post, opening=True)
                self.env.process(self._agency_cover(post, already=True))
            post.life = self.env.process(self._post_life(post, cover_started=post.agency is not None))

    def remove_posts(self, team: Team, fte: float) -> None:
        """Cut ``fte`` of establishment: vacant posts first, then agency-covered, then filled ones."""
        live = [p for p in team.posts if not p.removed and not p.supernumerary]
        order = sorted(live, key=lambda p: (p.holder is not None, p.agency is not None, -p.id))
        for post in order:
            if fte <= 1e-9:
                break
            post.removed = True
            fte -= post.fte
            if post.filled is not None and not post.filled.triggered:
                post.filled.succeed()

    def _post_life(self, post: Post, *, cover_started: bool) -> Proc:
        """A post's cycle: held until its holder leaves, then vacant (perhaps agency-covered) until filled."""
        env = self.env
        rng = post.rng or self._r_posts
        while not post.removed:
            dyn = self.wf.dynamics  # the dynamics in force now (time-phased changes)
            if post.holder is not None:
                rate = dyn.turnover_rate
                post.in_tenure = True
                rate_changed = False
                try:
                    if rate <= 0:
                        yield env.event()  # nobody leaves: until the rate changes (:meth:`use`)
                    elif self.wf.feedback.enabled:
                        yield from self._time_to_leave(post, rate)
                    else:
                        yield env.timeout(rng.exponential(DAYS_PER_YEAR / rate))
                except simpy.Interrupt:
                    rate_changed = True
                post.in_tenure = False
                if rate_changed:  # (no `continue` inside the try: mypyc does not compile it)
                    continue  # the rest of the tenure at the new rate
                self.leave(post.holder)
                post.holder = None
                continue
            post.filled = env.event()
            if not cover_started and rng.random() < self.cover_share(post.team.name):
                env.process(self._agency_cover(post))
            cover_started = False
            months = dyn.months_to_fill if post.fill_months is None else post.fill_months
            post.fill_months = None  # a campaign fills the post once; later vacancies take the usual time
            yield env.timeout(rng.gamma(2.0, months * DAYS_PER_MONTH))
            if post.removed:
                return
            contract = Contract.NQSW if rng.random() < dyn.nqsw_share_of_hires else Contract.PERMANENT
            post.holder = self.new_worker(post.team, contract, post.fte, post, opening=False)
            self.rec.count("sw_permanent_hires", env.now, post.fte)
            if not post.filled.triggered:
                post.filled.succeed()

    def cover_share(self, team: str) -> float:
        """The share of ``team``'s vacancies covered by agency: its ``agency_backfill``, times
        ``(1 + agency_pay_premium) ^ agency_supply_elasticity`` (1 without a premium), at most 1."""
        dyn = self.wf.dynamics
        share = self.agency_backfill[team]
        if dyn.agency_pay_premium == 0.0 or dyn.agency_supply_elasticity == 0.0:
            return share
        return min(1.0, share * float((1.0 + dyn.agency_pay_premium) ** dyn.agency_supply_elasticity))

    def _time_to_leave(self, post: Post, rate: float) -> Proc:
        """Wait until the holder leaves at ``rate`` × the team's turnover multiplier, which changes month
        by month: candidate times at the highest rate, each kept with probability multiplier ÷ highest
        (thinning: exact for a rate that varies in time and never passes the highest)."""
        env = self.env
        rng = post.rng or self._r_posts
        top = self.wf.feedback.turnover_max
        while True:
            yield env.timeout(rng.exponential(DAYS_PER_YEAR / (rate * top)))
            if rng.random() * top < self.turnover_multiplier.get(post.team.name, 1.0):
                return

    def _agency_cover(self, post: Post, *, already: bool = False) -> Proc:
        env = self.env
        rng = post.rng or self._r_posts
        while True:
            dyn = self.wf.dynamics
            if not already:
                yield env.timeout(dyn.agency_lead_weeks * 7.0)
                if post.holder is not None or post.removed:
                    return
                post.agency = self.new_worker(post.team, Contract.AGENCY, post.fte, post, opening=False)
            already = False
            assignment = env.timeout(rng.exponential(dyn.agency_assignment_months * DAYS_PER_MONTH))
            filled = post.filled
            if filled is None or filled.triggered:
                yield assignment
            else:
                yield assignment | filled
            if post.agency is not None:
                self.leave(post.agency)
                post.agency = None
            if post.holder is not None or post.removed:
                return
            # The post stays covered: another agency worker follows (after the lead time).
