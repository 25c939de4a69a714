"""Capacity and demand frontiers: how a team's caseloads, timeliness and backlog respond to its size,
the smallest establishment with no growing backlog, and the most demand a team can absorb.

>>> f = capacity_frontier("scenarios/baseline.toml", "assessment", years=3)  # doctest: +SKIP
>>> f.curve  # one row per establishment and measure: mean and CI over replications  # doctest: +SKIP
>>> f.stable.answer  # the smallest establishment whose backlog does not grow  # doctest: +SKIP
>>> d = demand_frontier("scenarios/baseline.toml", years=3)  # doctest: +SKIP
>>> d.search.answer  # the most contacts a year the current establishment absorbs  # doctest: +SKIP

**A growing backlog.** A team's backlog is the number of its children waiting for a social worker
(``unallocated_end_<team>``, at each month end). Its *growth* in one replication is the least-squares
slope of those month-end counts over the reported months, in children a year. A team over capacity
has a backlog that grows without limit; a team within capacity has one that settles, so its slope is
near zero. The frontier calls a backlog *not growing* when the mean slope over replications is at
most ``tolerance`` children a year with the stated one-sided confidence. The default tolerance is 5%
of the team's capacity in children (establishment × soft cap, at the scenario's own establishment) a
year, and at least two children. A backlog comes and goes in bursts, so its slope over a few years is
noisy: a smaller tolerance separates a slowly growing backlog from a settled one only with more
years and replications; a larger one calls a slowly growing backlog settled. A team whose children stay
long (children in care) turns over slowly, so a shortfall there grows its backlog slowly too: give such
a team a smaller tolerance, and more years. Use at least three reported years.

Every level runs on common random numbers; the searches are
:func:`caseflow.experiment.rootfind.search` (bisection with one-sided tests, more replications where a
level is too close to call). The queueing closed form that applies is checked in the tests: for a
team of one-case workers with Poisson arrivals and exponential holding times (M/M/c), the smallest
team with no growing queue is the smallest ``c`` above the offered load ``λ/μ``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.levels import LeverRuns, per_replication
from caseflow.experiment.results import Results
from caseflow.experiment.rootfind import Search, Target, grid, search
from caseflow.experiment.runner import _check, as_scenario
from caseflow.experiment.stats import bounded_interval, t_interval
from caseflow.metrics.catalogue import Catalogue
from caseflow.metrics.names import check_names, reported_by
from caseflow.model.budget import Budget
from caseflow.scenario.schema import Scenario
from caseflow.scenario.workforce_schema import TeamParams

__all__ = [
    "FRONT_DOOR_TARGET",
    "DemandFrontier",
    "Frontier",
    "backlog_growth",
    "capacity_frontier",
    "demand_frontier",
]

#: Timeliness KPIs drawn for a team, by the activities it handles.
TIMELINESS = {
    "front_door": ("contact_decision_within_1wd_pct",),
    "assessment": ("assessment_within_45wd_pct", "icpc_within_15wd_pct"),
    "cin_plan": ("cin_visits_on_time_pct",),
    "cp_plan": ("cp_visits_on_time_pct",),
    "looked_after": ("cla_visits_on_time_pct",),
}

GROWTH = "backlog_growth"  # the measure's name in curves and searches (children a year)

#: What "absorbed" asks of the front door by default (it holds no cases, so it has no backlog measure).
FRONT_DOOR_TARGET = "contact_decision_within_1wd_pct>=90"


def backlog_growth(results: Results, team: str, reps: range) -> list[float]:
    """Per replication in ``reps``: the slope of ``team``'s month-end backlog over the reported months,
    in children a year (NaN for a replication with fewer than three reported months)."""
    months = results.kpis
    rows = months[
        (months["period_type"] == "month")
        & (~months["warmup"])
        & (months["kpi"] == f"unallocated_end_{team}")
    ]
    out = []
    for r in reps:
        y = rows.loc[rows["replication"] == r, "value"].to_numpy(dtype=float)
        if y.size < 3:
            out.append(math.nan)
            continue
        x = np.arange(y.size, dtype=float) / 12.0  # years
        out.append(float(np.polyfit(x, y, 1)[0]))
    return out


def _teams(scenario: Scenario) -> dict[str, TeamParams]:
    if scenario.workforce is None or not scenario.workforce.enabled:
        raise ValueError(
            f"{scenario.name} has no enabled [workforce]: frontiers need social workers as capacity"
        )
    return dict(scenario.workforce.teams)


def _tolerance(scenario: Scenario, team: str, tolerance: float | None) -> float:
    if tolerance is not None:
        if not (math.isfinite(tolerance) and tolerance > 0):
            raise ValueError(f"tolerance must be a positive number of children a year, got {tolerance}")
        return tolerance
    params = _teams(scenario)[team]
    return max(2.0, 0.05 * params.establishment * params.soft_cap)


@dataclass
class Frontier:
    """A team's capacity frontier (see :func:`capacity_frontier`)."""

    scenario: Scenario
    team: str
    start: float  # the team's establishment in the scenario
    #: one row per establishment and measure: ``level, kpi, mean, ci_low, ci_high, n``
    curve: pd.DataFrame
    #: the search for the smallest establishment with no growing backlog (None if not asked for)
    stable: Search | None
    tolerance: float
    years: int
    seed: int
    replications: int = 0
    wall_seconds: float = 0.0
    kpis: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lever(self) -> str:
        return f"workforce.teams.{self.team}.establishment"

    def to_json_dict(self) -> dict[str, Any]:
        def num(x: Any) -> Any:
            return None if isinstance(x, float) and not math.isfinite(x) else x

        stable = self.stable
        return {
            "scenario": self.scenario.name,
            "team": self.team,
            "start": self.start,
            "tolerance_children_a_year": self.tolerance,
            "smallest_stable": None if stable is None else stable.answer,
            "stable_interval": None if stable is None or stable.interval is None else list(stable.interval),
            "stable_status": None if stable is None else stable.status,
            "curve": [{k: num(v) for k, v in r.items()} for r in self.curve.to_dict(orient="records")],
            "replications_run": self.replications,
            "years": self.years,
            "seed": self.seed,
            "wall_seconds": round(self.wall_seconds, 3),
        }


def _default_levels(start: float) -> list[float]:
    """Nine establishments from half to one and a half times ``start``, on whole FTE where it is large."""
    raw = np.linspace(0.5 * start, 1.5 * start, 9)
    levels = np.round(raw) if start >= 16 else np.round(raw, 1)
    return sorted({float(v) for v in levels if v > 0})


def capacity_frontier(
    scenario: Scenario | str | Path,
    team: str,
    *,
    levels: Sequence[float] | None = None,
    kpis: Sequence[str] | None = None,
    replications: int = 5,
    years: int | None = None,
    seed: int = 0,
    stable: bool = True,
    step: float | None = None,
    confidence: float = 0.9,
    tolerance: float | None = None,
    max_replications: int = 20,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    store: str | Path | None = None,
    progress: bool = False,
    level: float = 0.95,
    budget: Budget | None = None,
) -> Frontier:
    """``team``'s caseload, timeliness and backlog as its establishment varies, and the smallest
    establishment whose backlog does not grow.

    ``levels``: the establishments drawn (default: nine from half to one and a half times the current).
    ``kpis``: the measures drawn besides the backlog's growth (default: the team's caseload per FTE and
    unallocated children, and the timeliness KPIs of what it handles). ``stable``: also search for
    the smallest establishment with no growing backlog, between the smallest and largest level, to
    ``step`` (default 1 FTE, or a tenth for a team under 16 FTE) with one-sided ``confidence``;
    ``tolerance``: children a year (module). ``replications`` at each level drawn; the search adds
    more, up to ``max_replications``, where a level is too close to call. The rest are as for
    :func:`caseflow.run` (``budget``: what each replication may cost, each level checked before it
    runs); ``level`` is the confidence level of the curve's intervals.
    """
    started = time.time()
    base = as_scenario(scenario)
    _check(replications, seed, years)
    teams = _teams(base)
    if team not in teams:
        raise ValueError(f"{base.name} has no team {team!r}; its teams are {', '.join(teams)}")
    if not teams[team].case_holding:
        holding = ", ".join(n for n, t in teams.items() if t.case_holding)
        raise ValueError(
            f"team {team!r} does not hold cases, so it has no backlog of children waiting for a worker; "
            f"case-holding teams: {holding}"
        )
    runs = LeverRuns(
        base,
        f"workforce.teams.{team}.establishment",
        years=years,
        seed=seed,
        executor=executor,
        workers=workers,
        store=store,
        progress=progress,
        budget=budget,
    )
    start = runs.start
    drawn = sorted({float(v) for v in levels}) if levels is not None else _default_levels(start)
    if not drawn or min(drawn) < 0 or not all(math.isfinite(v) for v in drawn):
        raise ValueError("levels must be establishments of 0 FTE or more")
    if kpis is None:
        handled = teams[team].handles
        chosen = [f"caseload_mean_{team}", f"unallocated_end_{team}"]
        chosen += [k for act in handled for k in TIMELINESS.get(act, ())]
    else:
        chosen = list(kpis)
    check_names(chosen, reported_by(base), what="kpis")
    tol = _tolerance(base, team, tolerance)

    def measure(value: float, reps: range) -> dict[str, list[float]]:
        return {GROWTH: backlog_growth(runs.run(value, reps), team, reps)}

    if stable and len(drawn) > 1 and step is None:
        step = 1.0 if start >= 16 else 0.1
    if stable and len(drawn) > 1 and step is not None:
        grid(drawn[0], drawn[-1], step)  # a step that makes no grid is refused before any run
    for value in drawn:
        runs.results(value, replications)
    found = None
    if stable and len(drawn) > 1 and step is not None:
        low, high = drawn[0], drawn[-1]
        growth_target = Target(GROWTH, at_most=tol)
        found = search(
            _cached(runs, measure, team),
            [growth_target],
            low,
            high,
            step=step,
            want="smallest",
            confidence=confidence,
            initial=replications,
            max_replications=max(max_replications, replications),
        )
    curve = _curve(runs, team, chosen, level)
    return Frontier(
        scenario=base,
        team=team,
        start=start,
        curve=curve,
        stable=found,
        tolerance=tol,
        years=years if years is not None else base.run.years,
        seed=seed,
        replications=runs.replications,
        wall_seconds=time.time() - started,
        kpis=tuple(chosen),
    )


def _cached(runs: LeverRuns, measure: Any, team: str) -> Any:
    """A measure of backlog growth that reuses replications already run at a level (the curve's)."""

    def cached(value: float, reps: range) -> dict[str, list[float]]:
        if runs.have(value) >= reps.stop:
            return {GROWTH: backlog_growth(runs.results(value), team, reps)}
        if runs.have(value) > reps.start:  # part run: run the rest, then read all of them
            runs.run(value, range(runs.have(value), reps.stop))
            return {GROWTH: backlog_growth(runs.results(value), team, reps)}
        return dict(measure(value, reps))

    return cached


def _curve(runs: LeverRuns, team: str, kpis: Sequence[str], level: float) -> pd.DataFrame:
    rows = []
    catalogue = Catalogue()
    for value in runs.values:
        results = runs.results(value)
        n = runs.have(value)
        reps = range(n)
        values = per_replication(results, list(kpis), reps)
        for k in kpis:
            mean, lo, hi = bounded_interval(values[k], *catalogue.bounds(k), level=level)
            rows.append((value, k, mean, lo, hi, int(np.isfinite(values[k]).sum())))
        growth = backlog_growth(results, team, reps)
        mean, lo, hi = t_interval(growth, level)
        rows.append((value, GROWTH, mean, lo, hi, int(np.isfinite(growth).sum())))
    return pd.DataFrame(rows, columns=["level", "kpi", "mean", "ci_low", "ci_high", "n"])


@dataclass
class DemandFrontier:
    """The most demand a scenario's establishment absorbs (see :func:`demand_frontier`)."""

    scenario: Scenario
    start: float  # contacts a year in the scenario
    teams: tuple[str, ...]
    search: Search
    targets: tuple[Target, ...]
    tolerances: dict[str, float]
    years: int
    seed: int
    replications: int = 0
    wall_seconds: float = 0.0

    @property
    def most(self) -> float | None:
        """The most contacts a year with no team's backlog growing (None: not even the least tried)."""
        return self.search.answer

    @property
    def headroom_pct(self) -> float | None:
        """How much more demand than today that is, as a percentage."""
        return None if self.most is None else 100.0 * (self.most / self.start - 1.0)

    def to_json_dict(self) -> dict[str, Any]:
        interval = self.search.interval
        return {
            "scenario": self.scenario.name,
            "contacts_per_year": self.start,
            "teams": list(self.teams),
            "targets": [{"kpi": t.kpi, "sense": t.sense, "value": t.threshold} for t in self.targets],
            "tolerances_children_a_year": self.tolerances,
            "most_contacts_per_year": self.most,
            "headroom_pct": self.headroom_pct,
            "interval": None if interval is None else list(interval),
            "status": self.search.status,
            "levels": [
                {"contacts_per_year": v, "replications": p.replications, "verdict": p.verdict}
                for v, p in sorted(self.search.probes.items())
            ],
            "replications_run": self.replications,
            "years": self.years,
            "seed": self.seed,
            "wall_seconds": round(self.wall_seconds, 3),
        }


def demand_frontier(
    scenario: Scenario | str | Path,
    *,
    teams: Sequence[str] | None = None,
    targets: Sequence[Target | str] = (FRONT_DOOR_TARGET,),
    between: tuple[float, float] = (1.0, 3.0),
    step: float = 0.05,
    replications: int = 5,
    years: int | None = None,
    seed: int = 0,
    confidence: float = 0.9,
    tolerance: float | None = None,
    max_replications: int = 20,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    store: str | Path | None = None,
    progress: bool = False,
    budget: Budget | None = None,
) -> DemandFrontier:
    """The most contacts a year that the scenario's establishment absorbs: no team's backlog grows and
    every target is met.

    ``teams``: the teams whose backlogs count (default: every case-holding team). ``targets``: KPI
    targets that must hold too (as for :func:`caseflow.find_target`). The front door holds no cases, so
    its overload shows in its timeliness, not in a backlog: by default at least 90% of contacts must
    still be decided within one working day (:data:`FRONT_DOOR_TARGET`). ``between``: the range
    searched, as multiples of today's contacts (default 1 to 3 times), to ``step`` (a multiple: 0.05 is
    5% of today's demand). Each team's tolerance is as in :func:`capacity_frontier` (or ``tolerance``
    for all). The rest are as for :func:`capacity_frontier`.
    """
    started = time.time()
    base = as_scenario(scenario)
    _check(replications, seed, years)
    all_teams = _teams(base)
    chosen = list(teams) if teams is not None else [n for n, t in all_teams.items() if t.case_holding]
    unknown = [t for t in chosen if t not in all_teams]
    if unknown or not chosen:
        raise ValueError(f"teams must be among {', '.join(all_teams)}; got {', '.join(chosen) or 'none'}")
    lo_f, hi_f = float(between[0]), float(between[1])
    if not (0 < lo_f < hi_f and math.isfinite(hi_f)):
        raise ValueError(f"between must be two multiples of today's demand, 0 < low < high; got {between}")
    lever = "demand.contacts_per_year"
    runs = LeverRuns(
        base,
        lever,
        years=years,
        seed=seed,
        executor=executor,
        workers=workers,
        store=store,
        progress=progress,
        budget=budget,
    )
    today = runs.start
    tolerances = {t: _tolerance(base, t, tolerance) for t in chosen}
    extra = [t if isinstance(t, Target) else Target.parse(t) for t in targets]
    check_names([t.kpi for t in extra], reported_by(base), what="targets")
    goals = [Target(f"{GROWTH}_{t}", at_most=tol) for t, tol in tolerances.items()] + extra

    def measure(value: float, reps: range) -> dict[str, list[float]]:
        results = runs.run(value, reps)
        out = {f"{GROWTH}_{t}": backlog_growth(results, t, reps) for t in chosen}
        out.update(per_replication(results, [t.kpi for t in extra], reps))
        return out

    found = search(
        measure,
        goals,
        round(today * lo_f, 6),
        round(today * hi_f, 6),
        step=today * step,
        want="largest",
        confidence=confidence,
        initial=replications,
        max_replications=max(max_replications, replications),
    )
    return DemandFrontier(
        scenario=base,
        start=today,
        teams=tuple(chosen),
        search=found,
        targets=tuple(extra),
        tolerances=tolerances,
        years=years if years is not None else base.run.years,
        seed=seed,
        replications=runs.replications,
        wall_seconds=time.time() - started,
    )
