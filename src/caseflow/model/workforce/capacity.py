"""The workforce as the pathway's capacity: statutory work done by finite social-worker time.

:class:`Workforce` implements :class:`caseflow.model.capacity.Capacity`. The pathway tells it which
team each child's case belongs to (``assign``/``release``) and asks it to ``perform`` statutory tasks;
recurring work — visits, core groups, reviews — is generated here from each case's activity. Every
piece of work costs hours of a particular worker's time (:mod:`caseflow.model.workforce.worker`), so
timeliness, caseloads and unallocated work emerge from demand meeting capacity; nothing about them is
sampled directly.

Some elapsed time does not depend on the worker: partner agencies' information for an assessment, or
the date a conference can be booked. Those are *floors*: a task completes at the later of the floor and
the moment its worker has put in the hours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Generator
from typing import Any

import simpy

from caseflow.calendar import Calendar
from caseflow.model.capacity import SampledDurations, Task
from caseflow.model.entities import DAYS_PER_MONTH, DAYS_PER_YEAR, Child
from caseflow.model.workforce.allocation import get_policy
from caseflow.model.workforce.team import (
    ASSESSMENT,
    CARE_LEAVER,
    CHILD_IN_NEED,
    CHILD_PROTECTION,
    LOOKED_AFTER,
    URGENT,
    Case,
    Post,
    Team,
)
from caseflow.model.workforce.worker import Worker, WorkItem
from caseflow.records import Recorder
from caseflow.scenario.schema import Scenario
from caseflow.scenario.workforce_schema import WorkforceChange, WorkforceParams
from caseflow.streams import DrawBlock, Stream, Streams

__all__ = ["ACTIVITY_PRIORITY", "CHANGE_OFFSET", "Workforce", "hours_per_working_day"]

#: Changes dated D take effect just after midnight at the start of D, so a month-end snapshot taken at
#: that same midnight still shows the old values.
CHANGE_OFFSET = 1e-6

Proc = Generator[simpy.Event, Any, None]

#: Default queue priority of each activity (urgent referrals and s47s use URGENT).
ACTIVITY_PRIORITY = {
    "assessment": ASSESSMENT,
    "cin_plan": CHILD_IN_NEED,
    "cp_plan": CHILD_PROTECTION,
    "looked_after": LOOKED_AFTER,
    "care_leaver": CARE_LEAVER,
}


def hours_per_working_day(wf: WorkforceParams, fte: float, nqsw: bool) -> float:
    """Case hours a worker has per working day: contracted hours less leave and non-case time."""
    t = wf.time
    h = t.contracted_hours / 5.0 * fte * (1.0 - t.annual_leave) * (1.0 - t.non_case_time)
    return h * (1.0 - t.nqsw_protected_time) if nqsw else h


class Workforce:
    """Teams of social workers doing the pathway's work (a :class:`~caseflow.model.capacity.Capacity`)."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        scenario: Scenario,
        streams: Streams,
        recorder: Recorder,
    ) -> None:
        wf = scenario.workforce
        if wf is None:
            raise ValueError("scenario has no [workforce] section")
        self.env = env
        self.cal = calendar
        self.s = scenario
        self.wf = wf
        self.rec = recorder
        self._streams = streams
        self.floors = SampledDurations(env, calendar, scenario, streams)
        self._r_hours = streams["workforce.hours"]
        self._r_sick = streams["workforce.sickness"]
        self._r_opening = streams["workforce.opening"]
        self._r_visits = streams["workforce.visits"]
        self._r_posts = streams["workforce.posts"]
        self._pool_turn: dict[str, int] = {}
        self._releases: dict[float, list[_Recurring]] = {}
        self._sickness_may_change = any(c.field.startswith("workforce.dynamics") for c in scenario.changes)
        self._next_worker = 0
        self._next_case = 0
        self._next_post = 0
        self.case_of: dict[int, Case] = {}  # child id → open case
        self.last_worker: dict[int, int] = {}  # child id → id of their most recent worker
        self.sw_starts: dict[int, list[float]] = {}  # child id → times a new worker started (≤ 1 year kept)
        self.agency_backfill = dict.fromkeys(wf.teams, wf.dynamics.agency_backfill)
        self.pool_pending: dict[str, list[WorkItem]] = {name: [] for name in wf.teams}
        self._fte_level: defaultdict[str, float] = defaultdict(float)  # FTE in post by pay category
        self._fte_area: defaultdict[str, float] = defaultdict(float)  # FTE-days since last taken
        self._fte_last = 0.0
        self.teams: dict[str, Team] = {}
        policy = get_policy(wf.allocation_policy)
        for name, tp in wf.teams.items():
            self.teams[name] = Team(
                name,
                soft_cap=tp.soft_cap,
                hard_cap=tp.hard_cap,
                case_holding=tp.case_holding,
                policy=policy,
                nqsw_caseload_factor=wf.time.nqsw_caseload_factor,
            )
        self.activity_team = {act: self.teams[wf.team_for(act)] for act in ACTIVITY_PRIORITY}
        self.front_door = self.teams[wf.team_for("front_door")]
        for name, tp in wf.teams.items():
            self._add_posts(
                self.teams[name],
                tp.establishment,
                opening=True,
                held_vacant=tp.held_vacant,
                held_vacant_agency=tp.held_vacant_agency,
            )
        for i, change in enumerate(wf.changes):
            env.process(self._apply_change(change, i))
        if wf.dynamics.case_transfer_rate > 0 or any(
            c.field.startswith("workforce.dynamics.case_transfer_rate") for c in scenario.changes
        ):
            for team in self.teams.values():
                if team.case_holding:
                    env.process(self._case_transfers(team, streams[f"workforce.transfers.{team.name}"]))

    # ================================================================ workers & posts
    def _new_worker(
        self,
        team: Team,
        contract: str,
        fte: float,
        post: Post | None,
        *,
        opening: bool,
        asye_u: float = 0.0,
    ) -> Worker:
        w = Worker(
            self.env,
            self.cal,
            worker_id=self._next_worker,
            team=team,
            contract=contract,
            fte=fte,
            base_rate=hours_per_working_day(self.wf, fte, contract == "nqsw"),
            started=self.env.now,
            post=post,
        )
        self._next_worker += 1
        team.workers.append(w)
        self._fte_change(w, +1)
        dyn = self.wf.dynamics
        if contract == "nqsw":
            asye = dyn.asye_months * DAYS_PER_MONTH
            left = asye * asye_u if opening else asye
            self.env.process(self._asye_ends(w, left))
        ramp = self.wf.time.ramp_up_weeks
        if not opening and ramp > 0 and self.wf.time.ramp_up_efficiency < 1.0:
            w.set_rate(efficiency=self.wf.time.ramp_up_efficiency)
            self.env.process(self._ramped_up(w, ramp * 7.0))
        if dyn.sickness_rate > 0 or self._sickness_may_change:
            self.env.process(self._sickness(w))
        self._worker_free(team)
        return w

    def _add_posts(
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
                    post.agency = self._new_worker(team, "agency", size, post, opening=opening)
                    self.env.process(self._agency_cover(post, already=True))
                continue
            if opening and u_vacant >= dyn.opening_vacancy_rate:
                contract = "nqsw" if u_nqsw < dyn.opening_nqsw_share else "permanent"
                post.holder = self._new_worker(team, contract, size, post, opening=True, asye_u=u_asye)
            elif opening and u_agency < self.agency_backfill[team.name]:
                post.agency = self._new_worker(team, "agency", size, post, opening=True)
                self.env.process(self._agency_cover(post, already=True))
            self.env.process(self._post_life(post, cover_started=post.agency is not None))

    def _remove_posts(self, team: Team, fte: float) -> None:
        """Cut ``fte`` of establishment: vacant posts first, then agency-covered, then filled ones."""
        live = [p for p in team.posts if not p.removed]
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
                if rate <= 0:
                    return
                yield env.timeout(rng.exponential(DAYS_PER_YEAR / rate))
                self._leave(post.holder)
                post.holder = None
                continue
            post.filled = env.event()
            if not cover_started and rng.random() < self.agency_backfill[post.team.name]:
                env.process(self._agency_cover(post))
            cover_started = False
            months = dyn.months_to_fill if post.fill_months is None else post.fill_months
            post.fill_months = None  # a campaign fills the post once; later vacancies take the usual time
            yield env.timeout(rng.gamma(2.0, months * DAYS_PER_MONTH))
            if post.removed:
                return
            contract = "nqsw" if rng.random() < dyn.nqsw_share_of_hires else "permanent"
            post.holder = self._new_worker(post.team, contract, post.fte, post, opening=False)
            self.rec.count("sw_permanent_hires", env.now, post.fte)
            if not post.filled.triggered:
                post.filled.succeed()

    def _agency_cover(self, post: Post, *, already: bool = False) -> Proc:
        env = self.env
        rng = post.rng or self._r_posts
        while True:
            dyn = self.wf.dynamics
            if not already:
                yield env.timeout(dyn.agency_lead_weeks * 7.0)
                if post.holder is not None or post.removed:
                    return
                post.agency = self._new_worker(post.team, "agency", post.fte, post, opening=False)
            already = False
            assignment = env.timeout(rng.exponential(dyn.agency_assignment_months * DAYS_PER_MONTH))
            filled = post.filled
            if filled is None or filled.triggered:
                yield assignment
            else:
                yield assignment | filled
            if post.agency is not None:
                self._leave(post.agency)
                post.agency = None
            if post.holder is not None or post.removed:
                return
            # The post stays covered: another agency worker follows (after the lead time).

    def _leave(self, w: Worker) -> None:
        """A worker leaves: their cases go back to the team queue with their unfinished work."""
        now = self.env.now
        w.left = True
        team = w.team
        assert team is not None
        team.workers.remove(w)
        self._fte_change(w, -1)
        if w.contract != "agency":
            self.rec.count("sw_leavers_fte", now, w.fte)
        for case in list(w.cases.values()):
            items = team.detach(case, now)
            case.pending.extend(i for i in items if not i.cancelled)
            team.enqueue(case, now)
        for item in w.detach():  # team-pool work (front door) goes to a colleague
            self._pool_add(team, item)
        self._allocate(team)

    def _asye_ends(self, w: Worker, after: float) -> Proc:
        yield self.env.timeout(after)
        if w.left:
            return
        self._fte_change(w, -1)
        w.contract = "permanent"
        self._fte_change(w, +1)
        w.set_rate(base_rate=hours_per_working_day(self.wf, w.fte, nqsw=False))
        if w.team is not None:
            self._allocate(w.team)

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
                    self._duty_cover(w.team, item)
            yield env.timeout(r.exponential(spell))
            if w.left:
                return
            w.set_rate(available=True)
            if w.team is not None:
                self._worker_free(w.team)

    def _case_transfers(self, team: Team, r: Stream) -> Proc:
        """Cases move to another worker in the team at ``case_transfer_rate`` per case-year."""
        env = self.env
        while True:
            rate = self.wf.dynamics.case_transfer_rate / DAYS_PER_YEAR
            n_cases = sum(len(w.cases) for w in team.workers)
            if len(team.workers) < 2 or not n_cases or rate <= 0:
                yield env.timeout(30.0)
                continue
            yield env.timeout(r.exponential(1.0 / (rate * n_cases)))
            # a case chosen uniformly: a worker in proportion to the cases they hold, then one of theirs
            pick = int(r.random() * sum(len(w.cases) for w in team.workers))
            case = None
            for w in team.workers:
                if pick < len(w.cases):
                    case = list(w.cases.values())[pick]
                    break
                pick -= len(w.cases)
            if case is None or len(team.workers) < 2:
                continue
            old = case.worker
            assert old is not None
            items = team.detach(case, env.now)
            case.pending.extend(i for i in items if not i.cancelled)
            others = [w for w in team.workers if w is not old and w.available and team.fits(w, case.n)]
            if not others:
                team.attach(case, old)
                continue
            new = team.policy.choose(others, case)
            team.attach(case, new)
            self._record_allocation(case, new, waited=None)

    def _worker_free(self, team: Team) -> None:
        pending = self.pool_pending.get(team.name)
        if pending:
            items, self.pool_pending[team.name] = pending, []
            for item in items:
                self._pool_add(team, item)
        self._allocate(team)

    def _apply_change(self, change: WorkforceChange, index: int) -> Proc:
        t = self.cal.time(change.date) + CHANGE_OFFSET  # after the previous day's month-end snapshot
        if t > self.env.now:
            yield self.env.timeout(t - self.env.now)
        teams = [self.teams[change.team]] if change.team is not None else list(self.teams.values())
        for team in teams:
            if change.establishment is not None:
                diff = change.establishment - team.establishment
                if diff > 1e-9:
                    self._add_posts(team, diff, opening=False, fill_months=change.fill_months)
                elif diff < -1e-9:
                    self._remove_posts(team, -diff)
            if change.soft_cap is not None:
                team.soft_cap = change.soft_cap
            if change.hard_cap is not None:
                team.hard_cap = change.hard_cap
            if team.soft_cap > team.hard_cap:
                team.soft_cap = team.hard_cap
            if change.agency_backfill is not None:
                self.agency_backfill[team.name] = change.agency_backfill
            if change.allocation_policy is not None:
                team.policy = get_policy(change.allocation_policy)
            self._allocate(team)
        self.rec.count("workforce_changes_applied", self.env.now)

    # ================================================================ pay categories (costs)
    def _fte_tick(self) -> None:
        now = self.env.now
        dt = now - self._fte_last
        if dt > 0:
            for k, v in self._fte_level.items():
                self._fte_area[k] += v * dt
        self._fte_last = now

    def _fte_change(self, w: Worker, sign: int) -> None:
        self._fte_tick()
        if w.contract == "agency":
            cat = "agency"
        elif w.contract == "nqsw":
            cat = "nqsw"
        else:
            cat = "experienced" if w.team is None or w.team.case_holding else "non_case"
        self._fte_level[cat] += sign * w.fte

    def take_fte_area(self) -> dict[str, float]:
        """FTE-days in post by pay category (experienced, nqsw, non_case, agency) since the last call."""
        self._fte_tick()
        out = dict(self._fte_area)
        self._fte_area.clear()
        return out

    # ================================================================ time-phased changes
    def update(self, scenario: Scenario) -> None:
        """A time-phased change of the whole scenario: apply what differs in the workforce."""
        new = scenario.workforce
        if new is None:
            return
        old = self.wf
        self.s = scenario
        self.wf = new
        self.floors = SampledDurations(self.env, self.cal, scenario, self._streams)
        if new.allocation_policy != old.allocation_policy:
            for team in self.teams.values():
                team.policy = get_policy(new.allocation_policy)
        if new.dynamics.agency_backfill != old.dynamics.agency_backfill:
            for name in self.agency_backfill:
                self.agency_backfill[name] = new.dynamics.agency_backfill
        for name, tp in new.teams.items():
            team, before = self.teams[name], old.teams[name]
            diff = tp.establishment - before.establishment
            if diff > 1e-9:
                self._add_posts(team, diff, opening=False)
            elif diff < -1e-9:
                self._remove_posts(team, -diff)
            if tp.soft_cap != before.soft_cap:
                team.soft_cap = tp.soft_cap
            if tp.hard_cap != before.hard_cap:
                team.hard_cap = tp.hard_cap
            team.soft_cap = min(team.soft_cap, team.hard_cap)
            self._allocate(team)

    # ================================================================ allocation
    def _allocate(self, team: Team) -> None:
        now = self.env.now
        for case, worker in team.allocate_waiting(now):
            self._record_allocation(case, worker, waited=self.cal.working_days_between(case.queued_at, now))

    def _record_allocation(self, case: Case, worker: Worker, waited: int | None) -> None:
        """Count allocation waits, worker changes and each child's history of social workers."""
        now = self.env.now
        for child in case.children:
            if waited is not None:
                self.rec.tally("allocation_wait_wd", now, waited)
            previous = self.last_worker.get(child.id)
            if previous != worker.id:
                if previous is not None:
                    self.rec.count("worker_changes", now)
                self.last_worker[child.id] = worker.id
                starts = self.sw_starts.setdefault(child.id, [])
                starts.append(now)
                # keep the last start before the 12-month window (the worker held at its start)
                while len(starts) > 1 and starts[1] <= now - DAYS_PER_YEAR:
                    del starts[0]

    def _give(self, case: Case, item: WorkItem) -> None:
        worker = case.worker
        if worker is None:
            case.pending.append(item)
        elif worker.available or item.kind != "visit":
            worker.add(item)
        else:
            self._duty_cover(case.team, item)

    def _duty_cover(self, team: Team, item: WorkItem) -> None:
        """A statutory visit for a worker who is off sick is done by a present colleague."""
        self._pool_add(team, item)

    def _pool_add(self, team: Team, item: WorkItem) -> None:
        """Team-pool work (front door) goes to the least busy of the next few present workers in turn.

        Looking at three workers in rotation rather than the whole team keeps this O(1) per contact, so
        a larger authority costs proportionally more, not quadratically; with many small tasks shared
        by processor sharing the result is indistinguishable from scanning everyone.
        """
        workers = team.workers
        n = len(workers)
        best: Worker | None = None
        best_load = math.inf
        looked = 0
        start = self._pool_turn.get(team.name, 0)
        for k in range(n):
            w = workers[(start + k) % n]
            if not w.available:
                continue
            load = w.load / w.base_rate
            if load < best_load:
                best, best_load = w, load
            looked += 1
            if looked == 3:
                break
        self._pool_turn[team.name] = (start + 1) % n if n else 0
        if best is None:
            self.pool_pending[team.name].append(item)
        else:
            best.add(item)

    def _external_wd(self, task: Task) -> float:
        """Working days a task needs whatever the worker does (a scaled draw of its published duration)."""
        return self.floors.sample_working_days(task) * self.wf.time.external_time_scale

    def _hours(self, base: float, n: int) -> float:
        return base * (1.0 + self.wf.hours.per_extra_child * max(n - 1, 0))

    # ================================================================ Capacity protocol
    def assign(self, kids: list[Child], activity: str, *, urgent: bool = False) -> None:
        """``kids`` now need a worker from the team handling ``activity`` (same worker if same team)."""
        if not kids:
            return
        team = self.activity_team[activity]
        priority = URGENT if urgent else ACTIVITY_PRIORITY[activity]
        now = self.env.now
        current = {id(c): c for k in kids if (c := self.case_of.get(k.id)) is not None}
        if len(current) == 1:
            case = next(iter(current.values()))
            if (
                case.team is team
                and len(case.children) == len(kids)
                and all(k in case.children for k in kids)
            ):
                if case.activity != activity:
                    case.activity = activity
                    case.generation += 1
                    self._start_schedule(case)
                return
        carried: list[WorkItem] = []
        for old in current.values():
            moving = [k for k in kids if k in old.children]
            if len(moving) == len(old.children):
                carried += self._close(old, keep_work=True)
            else:
                old.team.remove_children(old, moving, now)
        case = Case(self._next_case, team, activity, priority, list(kids))
        self._next_case += 1
        case.pending = carried
        for k in kids:
            self.case_of[k.id] = case
        team.enqueue(case, now)
        self._allocate(team)
        self._start_schedule(case)

    def release(self, kids: list[Child]) -> None:
        """``kids`` no longer need a social worker (case closed, stepped down, left care or turned 18)."""
        now = self.env.now
        for k in kids:
            case = self.case_of.pop(k.id, None)
            if case is None:
                continue
            if len(case.children) <= 1:
                self._close(case, keep_work=False)
            else:
                case.team.remove_children(case, [k], now)
                if case.worker is not None:
                    self._allocate(case.team)

    def _close(self, case: Case, *, keep_work: bool) -> list[WorkItem]:
        team = case.team
        case.open = False
        case.generation += 1
        items = team.detach(case, self.env.now)
        out = []
        for item in items:
            if keep_work and item.kind not in ("recurring", "visit"):
                out.append(item)
            else:
                item.cancelled = True
                if not item.finished:
                    item.finish(None)
        self._allocate(team)
        return out

    def add_work(self, kids: list[Child], task: str) -> None:
        """Work that the pathway schedules but does not wait for (e.g. a CP review conference)."""
        case = next((c for k in kids if (c := self.case_of.get(k.id)) is not None), None)
        if case is None:
            return
        hours = {"cp_review": self.wf.hours.cp_review, "court_work": self.wf.hours.court_work}[task]
        self._give(case, WorkItem(self.env, task, self._hours(hours, case.n), self.wf.weights.other, case))

    def perform(
        self, task: Task, kids: list[Child], since: float, *, working_days: float | None = None
    ) -> Generator[simpy.Event, Any, float]:
        env, h, cal = self.env, self.wf.hours, self.cal
        n = len(kids)
        if task in (Task.FRONT_DOOR_DECISION, Task.MASH_SCREENING):
            base = h.contact_decision if task is Task.FRONT_DOOR_DECISION else h.mash_screening
            item = WorkItem(env, task.value, self._hours(base, n), self.wf.weights.other, None)
            self._pool_add(self.front_door, item)
            done: float = yield item.event
            if task is Task.MASH_SCREENING:
                floor = cal.complete_after(since, self._external_wd(task))
                if floor > env.now:
                    yield env.timeout(floor - env.now)
                    return floor
            return done
        case = self.case_of.get(kids[0].id) if kids else None
        if case is None:  # not held by any team (should not happen): fall back to sampled time
            return (yield from self.floors.perform(task, kids, since, working_days=working_days))
        if task is Task.ASSESSMENT:
            mean = self._hours(h.assessment, n)
            cv = h.assessment_cv
            hours = self._r_hours.gamma(1.0 / (cv * cv), mean) if cv > 0 else mean
            wd = self._external_wd(task) if working_days is None else working_days
            if working_days is not None:
                elapsed = cal.working_days_between(since, env.now)
                hours *= max(0.1, 1.0 - elapsed / max(working_days, 1.0))
        elif task is Task.STRATEGY_DISCUSSION:
            hours, wd = self._hours(h.strategy_discussion, n), 0.0
        elif task is Task.S47_ENQUIRY:
            hours, wd = self._hours(h.s47_enquiry, n), self._external_wd(task)
        else:  # ICPC: the enquiry and the conference report, then the conference itself
            hours = self._hours(h.s47_enquiry + h.icpc_report, n)
            wd = 0.0
        wts = self.wf.weights
        weight = wts.assessment if task is Task.ASSESSMENT else wts.child_protection
        item = WorkItem(env, task.value, hours, weight, case)
        self._give(case, item)
        finished = yield item.event
        if finished is None:  # case closed under us
            return env.now
        self.rec.tally(f"work_wd_{task.value}", finished, cal.working_days_between(since, finished))
        if task is Task.ICPC:
            # The conference is booked for a date drawn from the LA's published strategy-discussion-to-ICPC
            # distribution; if the worker's report is not ready by then it is rebooked.
            booked = cal.complete_after(since, self.floors.sample_working_days(Task.ICPC))
            rebook = self.wf.dynamics.icpc_rebook_wd
            held = booked if finished <= booked else cal.add_working_days(finished, rebook) + 0.5
            if held > env.now:
                yield env.timeout(held - env.now)
            return max(held, env.now)
        floor = cal.complete_after(since, wd)
        if floor > env.now:
            yield env.timeout(floor - env.now)
        return env.now

    # ================================================================ recurring work
    def _start_schedule(self, case: Case) -> None:
        v, h = self.wf.visits, self.wf.hours
        act = case.activity
        if act == "cp_plan":
            self._recurring(case, "cp_visit", [v.cp_interval_wd], v.cp_hours, tally=True)
            self._recurring(case, "core_group", [v.core_group_interval_wd], h.core_group)
        elif act == "cin_plan":
            self._recurring(case, "cin_visit", [v.cin_interval_wd], v.cin_hours, tally=True)
            self._recurring(case, "cin_review", [v.cin_review_interval_wd], h.cin_review)
        elif act == "looked_after":
            self._recurring(case, "cla_visit", [v.cla_interval_wd], v.cla_hours, tally=True)
            reviews = [v.cla_first_review_wd, 65, v.cla_review_interval_wd]
            self._recurring(case, "cla_review", reviews, h.cla_review)
        elif act == "care_leaver":
            interval = [v.care_leaver_interval_wd]
            self._recurring(case, "care_leaver_contact", interval, v.care_leaver_hours)

    def _recurring(
        self, case: Case, kind: str, intervals: list[int], hours: float, *, tally: bool = False
    ) -> None:
        """Visits (or meetings) every ``intervals`` working days from the last one, while the case lasts.

        Each falls due ``interval`` working days after the previous one was done and goes on the
        worker's desk ``planning_lead_wd`` days before that. It is driven by event callbacks rather
        than a SimPy process: these are about half of all events, and a callback costs less than
        resuming a generator.
        """
        last = self.env.now
        if last == 0.0:
            # Opening caseload: the last visit (or meeting) was some time in the past interval, so the
            # first ones fall due spread out rather than all at once.
            last = -intervals[0] * 7.0 / 5.0 * self._r_visits.random()
        _Recurring(self, case, kind, intervals, hours, tally, last).next()

    def release_at(self, at: float, schedule: _Recurring) -> None:
        """Put ``schedule``'s next piece of work on the desk at time ``at``.

        Releases fall at the start of a working day, so thousands share each instant: they share one
        SimPy event too, and run in the order they were booked (as separate events at the same time
        would). This saves about 135,000 events per 5-year replication.
        """
        batch = self._releases.get(at)
        if batch is None:
            batch = self._releases[at] = []
            env = self.env
            env.timeout(at - env.now).callbacks.append(lambda _e: self._run_releases(at))
        batch.append(schedule)

    def _run_releases(self, at: float) -> None:
        for schedule in self._releases.pop(at):
            schedule._release(None)

    # ================================================================ measures
    def snapshot(self, month: int, month_days: float, cla_children: list[Child]) -> None:
        """Workforce stocks at a month end (DfE CSWW definitions, at the period end)."""
        rec, now = self.rec, self.env.now
        la_fte = agency_fte = vacant = 0.0
        held = fte_holding = 0.0
        ratios: list[float] = []
        unallocated = 0
        area = 0.0
        for team in self.teams.values():
            for w in team.workers:
                if w.contract == "agency":
                    agency_fte += w.fte
                else:
                    la_fte += w.fte
            vacant += sum(p.fte for p in team.posts if not p.removed and p.holder is None)
            unallocated += team.unallocated
            area += team.take_area(now)
            if team.case_holding:
                t_held = sum(w.caseload for w in team.workers)
                t_fte = sum(w.fte for w in team.workers)
                held += t_held
                fte_holding += t_fte
                ratios += [w.caseload / w.fte for w in team.workers]
                rec.stock(f"caseload_mean_{team.name}", month, t_held / t_fte if t_fte else math.nan)
                rec.stock(f"unallocated_end_{team.name}", month, team.unallocated)
        rec.stock("sw_fte_in_post", month, la_fte)
        rec.stock("sw_agency_fte", month, agency_fte)
        rec.stock("sw_vacancies_fte", month, vacant)
        rec.stock("sw_vacancy_pct", month, 100 * vacant / (vacant + la_fte) if vacant + la_fte else math.nan)
        rec.stock(
            "sw_agency_pct",
            month,
            100 * agency_fte / (agency_fte + la_fte) if agency_fte + la_fte else math.nan,
        )
        rec.stock("caseload_mean", month, held / fte_holding if fte_holding else math.nan)
        if ratios:
            ratios.sort()
            rec.stock("caseload_p90", month, ratios[min(len(ratios) - 1, math.ceil(0.9 * len(ratios)) - 1)])
            rec.stock("caseload_max", month, ratios[-1])
        else:
            rec.stock("caseload_p90", month, math.nan)
            rec.stock("caseload_max", month, math.nan)
        rec.stock("unallocated_cases_end", month, unallocated)
        rec.stock("unallocated_cases_month_mean", month, area / month_days)
        window = now - DAYS_PER_YEAR
        if cla_children:
            three = 0
            for c in cla_children:
                starts = self.sw_starts.get(c.id, [])
                n = sum(1 for s in starts if s > window) + (1 if any(s <= window for s in starts) else 0)
                three += n >= 3
            rec.stock("cla_3plus_sw_pct", month, 100.0 * three / len(cla_children))
        else:
            rec.stock("cla_3plus_sw_pct", month, math.nan)


class _Names(dict[str, str]):
    """Tally names by kind of visit, built once (``_LATENESS["cp_visit"] == "cp_visit_lateness_days"``)."""

    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix

    def __missing__(self, kind: str) -> str:
        name = self[kind] = kind + self.suffix
        return name


_LATENESS = _Names("_lateness_days")
_ON_TIME = _Names("_on_time")


class _Recurring:
    """One case's schedule of one kind of recurring work (see :meth:`Workforce._recurring`)."""

    __slots__ = ("case", "due_end", "gen", "hours", "i", "intervals", "kind", "last", "tally", "wf")

    def __init__(
        self,
        wf: Workforce,
        case: Case,
        kind: str,
        intervals: list[int],
        hours: float,
        tally: bool,
        last: float,
    ) -> None:
        self.wf = wf
        self.case = case
        self.gen = case.generation
        self.kind = kind
        self.intervals = intervals
        self.hours = hours
        self.tally = tally
        self.last = last
        self.i = 0
        self.due_end = 0.0

    def next(self) -> None:
        case = self.case
        if not case.open or case.generation != self.gen:
            return
        wf, cal = self.wf, self.wf.cal
        intervals = self.intervals
        interval = intervals[self.i] if self.i < len(intervals) else intervals[-1]
        self.i += 1
        # Both dates count working days from the day of the last visit: look that up once.
        last = self.last
        k = cal.working_days_to(last) - 1
        lead = interval - wf.wf.visits.planning_lead_wd
        due = cal.working_day_start(k + interval) if interval > 0 else float(math.floor(last))
        self.due_end = due + 1.0  # end of the due day
        start = cal.working_day_start(k + lead) if lead > 0 else float(math.floor(last))
        if start > wf.env.now:
            wf.release_at(start, self)
        else:
            self._release(None)

    def _release(self, _event: object) -> None:
        case = self.case
        if not case.open or case.generation != self.gen:
            return
        wf = self.wf
        weights = wf.wf.weights
        kind = "visit" if self.tally else "recurring"
        item = WorkItem(
            wf.env,
            kind,
            wf._hours(self.hours, case.n),
            weights.visit if self.tally else weights.other,
            case,
            on_done=self._done,
        )
        wf._give(case, item)

    def _done(self, done: float | None) -> None:
        if done is None or not self.case.open:
            return
        if self.tally:
            rec = self.wf.rec
            kind = self.kind
            rec.tally(_LATENESS[kind], done, done - self.due_end)
            on_time = 1.0 if done <= self.due_end else 0.0
            name = _ON_TIME[kind]
            for _ in self.case.children:
                rec.tally(name, done, on_time)
        self.last = done
        self.next()
