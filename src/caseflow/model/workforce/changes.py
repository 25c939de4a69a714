"""Time-phased workforce changes: one mechanism for both ways a scenario changes staffing from a date.

A scenario changes its workforce in two ways. A ``[[workforce.changes]]`` entry sets a team's
establishment or caps, or the agency or allocation policy, from its date (a recruitment campaign, a
cut); a scenario-level ``[[changes]]`` entry may alter any ``workforce.*`` parameter, and the
simulation hands the workforce the whole scenario in force from that date
(:meth:`Workforce.update <caseflow.model.workforce.capacity.Workforce.update>`). Both become a list of
:class:`TeamChange` — what changes for one team — applied by :meth:`WorkforceChanges.apply`: posts
added or cut, caps, agency backfill and allocation policy set, then the team's waiting cases allocated.

The two differ only in how the establishment moves: a ``[[workforce.changes]]`` entry sets it
(``establishment``), a scenario-level change moves it by the difference between the old and the new
scenario's value (``establishment_change``), so that it composes with earlier workforce changes. A
scenario-level change also brings new parameters for everything else (dynamics, hours, visits), which
each part reads from then on.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from caseflow.calendar import Calendar
from caseflow.model.workforce.allocation import get_policy
from caseflow.model.workforce.caseholding import CaseHolding
from caseflow.model.workforce.staffing import Staffing
from caseflow.model.workforce.team import Team
from caseflow.records import Recorder
from caseflow.scenario.workforce_schema import WorkforceChange, WorkforceParams

__all__ = [
    "CHANGE_OFFSET",
    "TeamChange",
    "WorkforceChanges",
    "from_scenarios",
    "from_workforce_change",
]

#: Changes dated D take effect just after midnight at the start of D, so a month-end snapshot taken at
#: that same midnight still shows the old values.
CHANGE_OFFSET = 1e-6

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class TeamChange:
    """What changes for one team at one moment (``None``: unchanged)."""

    team: str
    establishment: float | None = None  # funded FTE from now on
    establishment_change: float = 0.0  # or FTE added (negative: cut), if ``establishment`` is None
    soft_cap: float | None = None
    hard_cap: float | None = None
    agency_backfill: float | None = None
    allocation_policy: str | None = None
    fill_months: float | None = None  # new posts are filled after this mean time (a campaign)


def from_workforce_change(change: WorkforceChange, teams: Sequence[str]) -> list[TeamChange]:
    """A ``[[workforce.changes]]`` entry: for its team, or for every team if it names none."""
    names = [change.team] if change.team is not None else list(teams)
    return [
        TeamChange(
            name,
            establishment=change.establishment,
            soft_cap=change.soft_cap,
            hard_cap=change.hard_cap,
            agency_backfill=change.agency_backfill,
            allocation_policy=change.allocation_policy,
            fill_months=change.fill_months,
        )
        for name in names
    ]


def from_scenarios(old: WorkforceParams, new: WorkforceParams) -> list[TeamChange]:
    """What a scenario-level change does to each team: the differences between ``old`` and ``new``."""
    policy = new.allocation_policy if new.allocation_policy != old.allocation_policy else None
    backfill: float | None = new.dynamics.agency_backfill
    if backfill == old.dynamics.agency_backfill:
        backfill = None
    out = []
    for name, tp in new.teams.items():
        before = old.teams[name]
        out.append(
            TeamChange(
                name,
                establishment_change=tp.establishment - before.establishment,
                soft_cap=tp.soft_cap if tp.soft_cap != before.soft_cap else None,
                hard_cap=tp.hard_cap if tp.hard_cap != before.hard_cap else None,
                agency_backfill=backfill,
                allocation_policy=policy,
            )
        )
    return out


class WorkforceChanges:
    """Applies :class:`TeamChange` lists, now or from a date."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        recorder: Recorder,
        teams: Mapping[str, Team],
        staffing: Staffing,
        holding: CaseHolding,
    ) -> None:
        self.env = env
        self.cal = calendar
        self.rec = recorder
        self.teams = teams
        self.staffing = staffing
        self.holding = holding

    def schedule(self, changes: Sequence[WorkforceChange]) -> None:
        """Apply each ``[[workforce.changes]]`` entry at its date (one process each)."""
        for change in changes:
            self.env.process(self._at_date(change))

    def _at_date(self, change: WorkforceChange) -> Generator[simpy.Event, Any, None]:
        t = self.cal.time(change.date) + CHANGE_OFFSET  # after the previous day's month-end snapshot
        if t > self.env.now:
            yield self.env.timeout(t - self.env.now)
        self.apply(from_workforce_change(change, list(self.teams)))
        self.rec.count("workforce_changes_applied", self.env.now)

    def apply(self, changes: Sequence[TeamChange]) -> None:
        """Apply ``changes`` now, team by team, allocating each team's waiting cases after its change."""
        for ch in changes:
            team = self.teams[ch.team]
            if ch.establishment is not None:
                diff = ch.establishment - team.establishment
            else:
                diff = ch.establishment_change
            if diff > _EPS:
                self.staffing.add_posts(team, diff, opening=False, fill_months=ch.fill_months)
            elif diff < -_EPS:
                self.staffing.remove_posts(team, -diff)
            if ch.soft_cap is not None:
                team.soft_cap = ch.soft_cap
            if ch.hard_cap is not None:
                team.hard_cap = ch.hard_cap
            if team.soft_cap > team.hard_cap:
                team.soft_cap = team.hard_cap
            if ch.agency_backfill is not None:
                self.staffing.agency_backfill[team.name] = ch.agency_backfill
            if ch.allocation_policy is not None:
                team.policy = get_policy(ch.allocation_policy)
            self.holding.allocate(team)
