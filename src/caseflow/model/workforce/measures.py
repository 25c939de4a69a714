"""Workforce measures: the month-end snapshot and the FTE-days in post that the cost ledger pays for.

:func:`snapshot` records the workforce stocks at a month end, as the DfE children's social work
workforce census defines them at its period end: FTE in post and agency, vacancies, caseloads per FTE
(mean, 90th percentile, maximum; case-holding teams only), unallocated children, and the share of
children in care who had three or more social workers in the last twelve months.

:class:`FteAccount` integrates FTE in post over time by :class:`PayCategory`, so the cost ledger can
pay for every FTE-day (``take`` returns the days since the last call and starts again).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum

import simpy

from caseflow.model.entities import DAYS_PER_YEAR, Child
from caseflow.model.workforce.team import Team
from caseflow.model.workforce.worker import Contract, Worker
from caseflow.records import Recorder, TimeWeighted

__all__ = ["FteAccount", "PayCategory", "snapshot"]


class PayCategory(StrEnum):
    """How an FTE is paid (the keys of :meth:`FteAccount.take`, read by :mod:`caseflow.costs`)."""

    EXPERIENCED = "experienced"  # permanent, in a case-holding team
    NQSW = "nqsw"  # permanent, in the ASYE year
    NON_CASE = "non_case"  # permanent, in a team that holds no cases (the front door)
    AGENCY = "agency"


class FteAccount:
    """FTE in post by pay category, and its integral over time (FTE-days) since the last ``take``."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._fte = TimeWeighted()  # FTE in post by pay category, and FTE-days since last taken

    def change(self, w: Worker, sign: int) -> None:
        """``w`` joins (``sign`` +1) or leaves (-1) the FTE in post of their pay category."""
        if w.contract == Contract.AGENCY:
            cat = PayCategory.AGENCY
        elif w.contract == Contract.NQSW:
            cat = PayCategory.NQSW
        elif w.team is None or w.team.case_holding:
            cat = PayCategory.EXPERIENCED
        else:
            cat = PayCategory.NON_CASE
        self._fte.add(cat, sign * w.fte, self.env.now)

    def take(self) -> dict[str, float]:
        """FTE-days in post by pay category since the last call."""
        return self._fte.take(self.env.now)


def snapshot(
    rec: Recorder,
    now: float,
    teams: Mapping[str, Team],
    month: int,
    month_days: float,
    cla_children: list[Child],
) -> None:
    """Record the workforce stocks at month ``month``'s end, ``now`` (``month_days`` long).

    A child's ``worker_starts`` are the times a new worker started with them (the last twelve months,
    and the one start before).
    """
    la_fte = agency_fte = vacant = 0.0
    held = fte_holding = 0.0
    ratios: list[float] = []
    unallocated = 0
    area = 0.0
    for team in teams.values():
        team_la = team_agency = 0.0
        for w in team.workers:
            if w.contract == Contract.AGENCY:
                team_agency += w.fte
            else:
                team_la += w.fte
        team_vacant = sum(
            p.fte for p in team.posts if not p.removed and p.holder is None and not p.supernumerary
        )
        la_fte += team_la
        agency_fte += team_agency
        vacant += team_vacant
        rec.stock(f"sw_fte_in_post_{team.name}", month, team_la)
        rec.stock(
            f"sw_vacancy_pct_{team.name}",
            month,
            100 * team_vacant / (team_vacant + team_la) if team_vacant + team_la else math.nan,
        )
        rec.stock(
            f"sw_agency_pct_{team.name}",
            month,
            100 * team_agency / (team_agency + team_la) if team_agency + team_la else math.nan,
        )
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
            starts = c.worker_starts or ()
            n = sum(1 for s in starts if s > window) + (1 if any(s <= window for s in starts) else 0)
            three += n >= 3
        rec.stock("cla_3plus_sw_pct", month, 100.0 * three / len(cla_children))
    else:
        rec.stock("cla_3plus_sw_pct", month, math.nan)
