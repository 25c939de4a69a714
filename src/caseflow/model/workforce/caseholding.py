"""Case holding: which team and worker holds each child's case, and whose desk each piece of work goes to.

:class:`CaseHolding` opens a case when the pathway says children need a worker for an activity (the
same worker keeps them when the activity stays with the same team), moves children between cases,
closes cases, and allocates waiting cases to workers (the team's queue and caps are
:class:`~caseflow.model.workforce.team.Team`'s; the choice is the team's allocation policy). It hands
out work: a case's work to its worker (or to the case, while it waits for one), a statutory visit of a
worker who is off sick to a present colleague, and the front door's team-pool work to the least busy
of the next few workers. It moves cases between workers of a team at the case-transfer rate, takes back
the cases of a worker who leaves, and keeps each child's continuity: their most recent worker and the
times a new worker started with them (for ``worker_changes`` and ``cla_3plus_sw_pct``).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping
from typing import Any, Final

import simpy

from caseflow.calendar import Calendar
from caseflow.model.entities import DAYS_PER_YEAR, Activity, Child
from caseflow.model.event_queue import now_of, queue_of
from caseflow.model.workforce.team import (
    ASSESSMENT,
    CARE_LEAVER,
    CHILD_IN_NEED,
    CHILD_PROTECTION,
    LOOKED_AFTER,
    URGENT,
    Case,
    Team,
)
from caseflow.model.workforce.worker import Worker, WorkItem
from caseflow.records import Recorder
from caseflow.scenario.workforce_schema import WorkforceParams
from caseflow.streams import Stream, Streams

__all__ = ["ACTIVITY_PRIORITY", "CaseHolding"]

Proc = Generator[simpy.Event, Any, None]

#: Default queue priority of each activity (urgent referrals and s47s use URGENT).
ACTIVITY_PRIORITY: Final[dict[str, int]] = {
    Activity.ASSESSMENT: ASSESSMENT,
    Activity.CIN_PLAN: CHILD_IN_NEED,
    Activity.CP_PLAN: CHILD_PROTECTION,
    Activity.LOOKED_AFTER: LOOKED_AFTER,
    Activity.CARE_LEAVER: CARE_LEAVER,
}

#: Kinds of work item that end with their case rather than moving with its children to a new case.
_ENDS_WITH_CASE: Final = ("recurring", "visit")


class CaseHolding:
    """Cases, their allocation to workers, and the routing of work to workers' desks."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        wf: WorkforceParams,
        recorder: Recorder,
        teams: Mapping[str, Team],
    ) -> None:
        self.env = env
        self._queue = queue_of(env)  # where compiled code reads the time (None: SimPy's own environment)
        self.cal = calendar
        self.wf = wf  # the parameters in force (replaced by a time-phased change)
        self.rec = recorder
        self.teams = teams
        self.activity_team = {act: teams[wf.team_for(act)] for act in ACTIVITY_PRIORITY}
        self.front_door = teams[wf.team_for("front_door")]
        self.case_of: dict[int, Case] = {}  # child id → open case
        self.pool_pending: dict[str, list[WorkItem]] = {name: [] for name in teams}
        self._pool_turn: dict[str, int] = {}
        self._next_case = 0

    def use(self, wf: WorkforceParams) -> None:
        """Follow the parameters ``wf`` from now on (teams and activities stay as they are)."""
        self.wf = wf

    # ================================================================ cases
    def assign(self, kids: list[Child], activity: str, *, urgent: bool = False) -> Case | None:
        """``kids`` now need a worker from the team handling ``activity`` (same worker if same team).

        Returns the case whose recurring work starts now (a new case, or one whose activity changed);
        ``None`` if nothing changed.
        """
        if not kids:
            return None
        team = self.activity_team[activity]
        priority = URGENT if urgent else ACTIVITY_PRIORITY[activity]
        now = now_of(self._queue, self.env)
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
                    return case
                return None
        carried: list[WorkItem] = []
        for old in current.values():
            moving = [k for k in kids if k in old.children]
            if len(moving) == len(old.children):
                carried += self.close(old, keep_work=True)
            else:
                old.team.remove_children(old, moving, now)
        case = Case(self._next_case, team, activity, priority, list(kids))
        self._next_case += 1
        case.pending = carried
        for k in kids:
            self.case_of[k.id] = case
        team.enqueue(case, now)
        self.allocate(team)
        return case

    def release(self, kids: list[Child]) -> None:
        """``kids`` no longer need a social worker (case closed, stepped down, left care or turned 18)."""
        now = now_of(self._queue, self.env)
        for k in kids:
            case = self.case_of.pop(k.id, None)
            if case is None:
                continue
            if len(case.children) <= 1:
                self.close(case, keep_work=False)
            else:
                case.team.remove_children(case, [k], now)
                if case.worker is not None:
                    self.allocate(case.team)

    def close(self, case: Case, *, keep_work: bool) -> list[WorkItem]:
        """Close ``case``: its recurring work ends; its other unfinished work is returned if ``keep_work``."""
        team = case.team
        case.open = False
        case.generation += 1
        items = team.detach(case, now_of(self._queue, self.env))
        out = []
        for item in items:
            if keep_work and item.kind not in _ENDS_WITH_CASE:
                out.append(item)
            else:
                item.cancelled = True
                if not item.finished:
                    item.finish(None)
        self.allocate(team)
        return out

    # ================================================================ allocation
    def allocate(self, team: Team) -> None:
        """Allocate ``team``'s waiting cases while an eligible worker exists."""
        now = now_of(self._queue, self.env)
        for case, worker in team.allocate_waiting(now):
            self._record_allocation(case, worker, waited=self.cal.working_days_between(case.queued_at, now))

    def _record_allocation(self, case: Case, worker: Worker, waited: int | None) -> None:
        """Count allocation waits, worker changes and each child's history of social workers."""
        now = now_of(self._queue, self.env)
        for child in case.children:
            if waited is not None:
                self.rec.tally("allocation_wait_wd", now, waited)
            previous = child.worker
            if previous != worker.id:
                if previous >= 0:
                    self.rec.count("worker_changes", now)
                child.worker = worker.id
                starts = child.worker_starts
                if starts is None:
                    starts = child.worker_starts = []
                starts.append(now)
                # keep the last start before the 12-month window (the worker held at its start)
                while len(starts) > 1 and starts[1] <= now - DAYS_PER_YEAR:
                    del starts[0]

    def start_transfers(self, streams: Streams) -> None:
        """Start moving cases between workers in each case-holding team (one process per team)."""
        for team in self.teams.values():
            if team.case_holding:
                self.env.process(self._case_transfers(team, streams[f"workforce.transfers.{team.name}"]))

    def _case_transfers(self, team: Team, r: Stream) -> Proc:
        """Cases move to another worker in the team at ``case_transfer_rate`` per case-year."""
        env = self.env
        while True:
            rate = self.wf.dynamics.case_transfer_rate / DAYS_PER_YEAR
            n_cases = team.n_cases
            if len(team.workers) < 2 or not n_cases or rate <= 0:
                yield env.timeout(30.0)
                continue
            yield env.timeout(r.exponential(1.0 / (rate * n_cases)))
            # a case chosen uniformly: a worker in proportion to the cases they hold, then one of theirs
            pick = int(r.random() * team.n_cases)
            case = team.case_at(pick)
            if case is None or len(team.workers) < 2:
                continue
            old = case.worker
            assert old is not None
            items = team.detach(case, now_of(self._queue, env))
            case.pending.extend(i for i in items if not i.cancelled)
            new = team.transfer_target(case, old)
            if new is None:
                team.attach(case, old)
                continue
            team.attach(case, new)
            self._record_allocation(case, new, waited=None)

    # ================================================================ workers coming and going
    def worker_free(self, team: Team) -> None:
        """A worker of ``team`` started or came back: pool work waiting for anyone present, then cases."""
        pending = self.pool_pending.get(team.name)
        if pending:
            items, self.pool_pending[team.name] = pending, []
            for item in items:
                self.pool_add(team, item)
        self.allocate(team)

    def worker_left(self, w: Worker, team: Team) -> None:
        """``w`` has left ``team``: their cases go back to the queue with their unfinished work."""
        now = now_of(self._queue, self.env)
        for case in list(w.cases.values()):
            items = team.detach(case, now)
            case.pending.extend(i for i in items if not i.cancelled)
            team.enqueue(case, now)
        for item in w.detach():  # team-pool work (front door) goes to a colleague
            self.pool_add(team, item)
        self.allocate(team)

    # ================================================================ desks
    def give(self, case: Case, item: WorkItem) -> None:
        """``item`` is work on ``case``: its worker's, or the case's until allocated."""
        worker = case.worker
        if worker is None:
            case.pending.append(item)
        elif worker.available or item.kind != "visit":
            worker.add(item)
        else:
            self.duty_cover(case.team, item)

    def duty_cover(self, team: Team, item: WorkItem) -> None:
        """A statutory visit for a worker who is off sick is done by a present colleague."""
        self.pool_add(team, item)

    def pool_add(self, team: Team, item: WorkItem) -> None:
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
            if not w.available or w.base_rate <= 0.0:  # (no hours for case work: never picked)
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
