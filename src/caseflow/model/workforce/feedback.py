"""Workload feedback (opt-in, off by default): caseloads shape hours and turnover.

When a team holds more children than its soft cap allows, its LA-employed social workers work longer
hours, up to a ceiling; while the pressure lasts their leaving rate rises, and when caseloads fall
below the cap it eases. Each month end, for each case-holding team:

- **pressure** ``p`` = (children held + children waiting for a worker) ÷ (FTE in post × soft cap): 1 is
  a team exactly at its cap; a team with nobody in post but children waiting has ``p`` at its most;
- **hours**: every permanent and newly qualified worker's rate is multiplied by
  ``1 + min(overtime_max, overtime_per_excess × max(0, p − 1))`` for the month ahead (agency workers
  bill fixed hours and are left alone);
- **turnover**: the pressure is smoothed over ``lag_months`` (``s ← s + (p − s) / lag_months``), and the
  team's leaving rate becomes ``turnover_rate × clip(1 + turnover_per_excess × (s − 1), turnover_min,
  turnover_max)``. Leaving times follow that time-varying rate exactly, by thinning a Poisson process
  at the highest rate (:meth:`caseflow.model.workforce.staffing.Staffing.time_to_leave`).

Longer hours add capacity at once, so a moderate shortfall no longer builds a backlog without limit;
the price is paid later, in leavers, vacancies and agency cover. Parameters in
:class:`caseflow.scenario.workforce_schema.FeedbackParams`; their sources in docs/workforce.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from caseflow.model.workforce.team import Team
from caseflow.model.workforce.worker import Contract
from caseflow.records import Recorder
from caseflow.scenario.workforce_schema import FeedbackParams, TeamParams

__all__ = ["WorkloadFeedback", "multipliers", "pressure"]


def pressure(held: float, waiting: float, fte: float, soft_cap: float, ceiling: float = 10.0) -> float:
    """(children held + waiting) ÷ (FTE × soft cap), at most ``ceiling`` (also when nobody is in post)."""
    demand = held + waiting
    if fte <= 0 or soft_cap <= 0:
        return ceiling if demand > 0 else 1.0
    return min(demand / (fte * soft_cap), ceiling)


def multipliers(now: float, smoothed: float, p: FeedbackParams) -> tuple[float, float]:
    """``(hours, turnover)`` multipliers for a team at pressure ``now`` and smoothed pressure ``smoothed``."""
    hours = 1.0 + min(p.overtime_max, p.overtime_per_excess * max(0.0, now - 1.0))
    turnover = min(p.turnover_max, max(p.turnover_min, 1.0 + p.turnover_per_excess * (smoothed - 1.0)))
    return hours, turnover


class WorkloadFeedback:
    """Updates each case-holding team's hours and turnover multipliers at every month end."""

    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self.smoothed: dict[str, float] = {}
        #: the turnover multiplier in force for each team (read by staffing's leaving clocks)
        self.turnover: dict[str, float] = {}

    def month_end(
        self, month: int, teams: Mapping[str, Team], params: Mapping[str, TeamParams], p: FeedbackParams
    ) -> None:
        extra = fte_total = 0.0
        for name, team in teams.items():
            if not team.case_holding:
                continue
            workers = team.workers
            fte = sum(w.fte for w in workers)
            held = sum(w.caseload for w in workers)
            now = pressure(held, team.unallocated, fte, params[name].soft_cap)
            before = self.smoothed.get(name, now)
            smoothed = before + (now - before) / p.lag_months
            self.smoothed[name] = smoothed
            hours, turnover = multipliers(now, smoothed, p)
            self.turnover[name] = turnover
            for w in workers:
                if w.contract == Contract.AGENCY:
                    continue
                if w.boost != hours:
                    w.set_rate(boost=hours)
                extra += (hours - 1.0) * w.fte
                fte_total += w.fte
            self.rec.stock(f"sw_pressure_{name}", month, now)
        self.rec.stock("sw_extra_hours_pct", month, 100.0 * extra / fte_total if fte_total else math.nan)
