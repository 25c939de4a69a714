"""What a replication may cost: an estimate before it starts, ceilings it is refused over, and a budget it
is stopped at (issue 14, item 2).

A scenario that validates either runs to the end or is refused before its first event with a message that
says why; and a run given a budget stops cleanly when it is spent, saying so.

**Before the first event**, :func:`check` estimates the replication's SimPy events and peak memory from
the scenario (:func:`estimate`) and raises :class:`RunRefusedError` when either is over the
:class:`Budget`'s ceilings (:data:`DEFAULT_MAX_EVENTS`, :data:`DEFAULT_MAX_MEMORY_MB` unless changed).
Nothing has been built then: no calendar, no arrivals drawn, no memory taken.

**While it runs**, a :class:`Budget` with ``seconds`` (wall-clock, from the start of the replication) or
``events`` (SimPy events scheduled) is checked every :data:`CHECK_EVERY` events (and as the event budget
nears) by :func:`run_within`,
which takes the place of ``env.run(until=...)`` only when such a budget is given. When one is spent the
run stops with :class:`BudgetExceededError`, which says which limit, how far the simulation got and what
to do. The check reads SimPy's event counter without advancing it, so a run within its budget gives
exactly the results (and event count) it gives without one.

**The estimate** adds up what a run is made of, each part from the scenario's own numbers, with
coefficients measured on the baseline (docs/model.md, "Budgets and pre-run checks", has the
measurements and how they were made):

- contacts over the run: the steady state's contacts a year (new concerns and families coming back,
  :func:`caseflow.model.steady_state.steady_state`) with the sources' volumes and the largest time-phased
  demand, plus unaccompanied children and pre-birth referrals, times the simulated years (warm-up
  included). A family comes back at most once per mean recontact delay, which bounds the recontact loop
  even when it never dies out;
- recurring work: visits, core groups, reviews and conferences, and case transfers, from the open
  caseload (per stage the larger of the opening stock and the steady state) and their intervals;
- the workforce's own events: leavers, sickness spells and agency assignments per worker-year;
- memory: a fixed part, every contact's records, every open case, every worker, every contact the
  front door has no hours to decide (it waits, its process held in memory) and every child waiting
  unallocated because caseload caps hold fewer children than the open caseload.

It is close for a run whose staff keep up (within 5–25% on the baseline at 1×, 2× and 5× its size and
over 6 to 21 years) and errs high, up to fivefold for events and twofold for memory, when they do not.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import simpy
from simpy.core import StopSimulation
from simpy.events import URGENT

from caseflow.model.arrivals import mean_family_size
from caseflow.model.event_queue import EventQueue
from caseflow.model.steady_state import steady_state
from caseflow.model.workforce.staffing import hours_per_working_day
from caseflow.scenario.schema import Scenario

__all__ = [
    "CHECK_EVERY",
    "DEFAULT_BUDGET",
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_MAX_MEMORY_MB",
    "Budget",
    "BudgetError",
    "BudgetExceededError",
    "Estimate",
    "RunRefusedError",
    "check",
    "estimate",
    "events_scheduled",
    "run_within",
]

#: The most SimPy events one replication may be estimated to need: 10 to 20 minutes at the 40,000 to
#: 75,000 events a second measured here (2 shared cores). The largest English authority (about 330,000
#: children, five times the baseline's contacts) is estimated at 2.3 million events for 1 + 5 simulated
#: years, 4.2 million for 1 + 10 and 22.8 million for 10 + 50.
DEFAULT_MAX_EVENTS = 50_000_000
#: The most memory (MiB) one replication may be estimated to need, on top of the ~90 MB of Python with
#: caseflow loaded. The largest authority is estimated at 207 MB for 1 + 5 years and 1.5 GB for 10 + 50;
#: 10 times the baseline's demand with the baseline's staff, 1 + 5 years, at 2.1 GB (measured: 1.4 GB).
#: Replications run side by side in worker processes each take their own.
DEFAULT_MAX_MEMORY_MB = 4096.0
#: Events between two looks at a run's budget (a few milliseconds of simulation).
CHECK_EVERY = 4096

# ------------------------------------------------------------------------------------- coefficients
# Events, measured on the baseline (docs/model.md, "Budgets and pre-run checks").
#: SimPy events per contact with the workforce on: the arrival, front-door and MASH work and the worker
#: timers they cost, and everything downstream of a contact but recurring work. (4.0 until finished work
#: resumed its process without an event of its own, 2026-11-30.)
EVENTS_PER_CONTACT = 3.0
#: ... with the workforce off (durations sampled: no worker timers).
EVENTS_PER_CONTACT_SAMPLED = 1.5
#: Events per piece of recurring work (a visit, a review, a core group, a case transfer).
EVENTS_PER_RECURRING = 1.0
#: Events per change in a worker's life (leaving, a sickness spell, an agency assignment).
EVENTS_PER_CYCLE = 3.0
#: Events per simulated day whatever the demand (month ends, far-off events' releases, processes).
EVENTS_PER_DAY = 2.0
#: Events per child in the opening caseload (their processes starting).
EVENTS_PER_OPENING_CHILD = 4.0
# Memory, in bytes, measured on the baseline.
MEMORY_FIXED = 20 * 2**20  # the calendar, the recorder, the streams, the model's objects
MEMORY_PER_DAY = 1_000  # the calendar's and recorder's lists, per simulated day
MEMORY_PER_CONTACT = 300  # each contact's records (tallies, counters, the family registry)
MEMORY_PER_OPEN_CHILD = 2_600  # an open case: child, family, case, processes, scheduled visits
MEMORY_PER_WAITING_CONTACT = 2_400  # a contact the front door never decides: its process and work item
MEMORY_PER_WORKER = 6_000  # a worker, their post and processes

_WORKING_DAYS = 253.0
_DAYS_PER_YEAR = 365.25
_DAYS_PER_MONTH = _DAYS_PER_YEAR / 12.0
_MIB = 2**20


# ------------------------------------------------------------------------------------------ errors
class BudgetError(ValueError):
    """A replication would cost, or has cost, more than its budget (a :class:`ValueError`, like every
    problem with what a run was asked to do)."""


class RunRefusedError(BudgetError):
    """Refused before the first event: the estimate is over the budget's ceilings."""

    def __init__(self, message: str, estimate: Estimate, budget: Budget) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.budget = budget

    def __reduce__(self) -> tuple[type[RunRefusedError], tuple[str, Estimate, Budget]]:
        return (type(self), (str(self), self.estimate, self.budget))


class BudgetExceededError(BudgetError):
    """Stopped while running: the wall-clock or event budget was spent.

    ``limit`` is ``"seconds"`` or ``"events"``; ``day`` the simulation day reached (of ``days``) and
    ``date`` its date; ``events`` the events scheduled and ``seconds`` the wall-clock time taken so far.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        day: float,
        days: float,
        date: str,
        events: int,
        seconds: float,
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.day = day
        self.days = days
        self.date = date
        self.events = events
        self.seconds = seconds

    def __reduce__(self) -> tuple[object, ...]:
        kwargs = {
            "limit": self.limit,
            "day": self.day,
            "days": self.days,
            "date": self.date,
            "events": self.events,
            "seconds": self.seconds,
        }
        return (_rebuild_exceeded, (str(self), kwargs))


def _rebuild_exceeded(message: str, kwargs: dict[str, object]) -> BudgetExceededError:
    return BudgetExceededError(message, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ budget
@dataclass(frozen=True)
class Budget:
    """What one replication may cost.

    ``seconds`` and ``events`` limit a run while it runs (wall-clock seconds from the start of the
    replication, and SimPy events scheduled); either or both, or neither. ``max_estimated_events`` and
    ``max_estimated_memory_mb`` are the ceilings on the estimate made before the first event
    (:func:`estimate`): a replication estimated over either is refused at once. ``math.inf`` lifts a
    ceiling.

    >>> caseflow.run(scenario, budget=Budget(seconds=600))  # doctest: +SKIP
    >>> big = Budget(events=5_000_000, max_estimated_memory_mb=8192)  # doctest: +SKIP
    >>> caseflow.simulate(scenario, budget=big)  # doctest: +SKIP
    """

    seconds: float | None = None
    events: int | None = None
    max_estimated_events: float = DEFAULT_MAX_EVENTS
    max_estimated_memory_mb: float = DEFAULT_MAX_MEMORY_MB

    def __post_init__(self) -> None:
        if self.seconds is not None and not (isinstance(self.seconds, int | float) and self.seconds > 0):
            raise ValueError(f"Budget.seconds must be a positive number of seconds, got {self.seconds!r}")
        if self.events is not None and not (
            isinstance(self.events, int) and not isinstance(self.events, bool) and self.events >= 1
        ):
            raise ValueError(
                f"Budget.events must be a whole number of events, at least 1, got {self.events!r}"
            )
        for name in ("max_estimated_events", "max_estimated_memory_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"Budget.{name} must be a positive number (math.inf for no ceiling)")

    @property
    def limits_run(self) -> bool:
        """True when the run itself is limited (``seconds`` or ``events``), not only its estimate."""
        return self.seconds is not None or self.events is not None


#: The ceilings every replication is checked against unless given its own budget.
DEFAULT_BUDGET = Budget()


# ---------------------------------------------------------------------------------------- estimate
@dataclass(frozen=True)
class Estimate:
    """What one replication of a scenario is expected to cost, and what it is made of.

    Counts are over the whole simulated horizon (warm-up included); ``events`` and ``memory_mb`` are the
    estimates the budget's ceilings apply to; ``parts`` and ``memory_parts`` split them by cause.
    """

    scenario: str
    years: int
    contacts: float  # contacts (children) over the run, families coming back included
    open_children: float  # the largest open caseload expected (children)
    recurring: float  # visits, core groups, reviews and conferences, case transfers over the run
    workers: float  # social workers in post at most
    worker_cycles: float  # leavers, sickness spells and agency assignments over the run
    waiting_contacts: float  # contacts the front door would never decide (its hours too short)
    unallocated: float  # children who would wait unallocated (caseload caps too tight for the caseload)
    recontact_runaway: bool  # families always come back: contacts bounded only by the delay
    events: float
    memory_mb: float
    parts: dict[str, float] = field(default_factory=dict)  # events, by what causes them
    memory_parts: dict[str, float] = field(default_factory=dict)  # MiB, by what holds it

    def describe(self) -> str:
        """A few lines a council officer can read."""
        lines = [
            f"about {_count(self.events)} events and {_megabytes(self.memory_mb)} of memory for one "
            f"replication of {self.years} simulated year{'s' if self.years != 1 else ''}",
            f"from about {_count(self.contacts)} contacts ({_count(self.contacts / max(self.years, 1))} a "
            f"year), an open caseload of up to {_count(self.open_children)} children, "
            f"{_count(self.recurring)} visits, reviews and meetings, and "
            f"{_count(self.workers)} social workers",
        ]
        if self.waiting_contacts > 0:
            lines.append(
                f"about {_count(self.waiting_contacts)} contacts would wait for a front-door decision that "
                "never comes: the front door has too few hours for its work"
            )
        if self.unallocated > 0:
            lines.append(
                f"about {_count(self.unallocated)} children would wait unallocated: caseload caps hold "
                "fewer children than the open caseload"
            )
        if self.recontact_runaway:
            lines.append("families would keep coming back for ever (recontact chances near 1)")
        return "\n".join(lines)


def _count(x: float) -> str:
    if not math.isfinite(x):
        return "unboundedly many"
    if x >= 1e9:
        return f"{x / 1e9:,.1f} billion"
    if x >= 1e6:
        return f"{x / 1e6:,.1f} million"
    return f"{x:,.0f}"


def _megabytes(mb: float) -> str:
    if not math.isfinite(mb):
        return "unbounded amounts"
    if mb >= 1024 * 1024:
        return f"{mb / 1024 / 1024:,.1f} TB"
    if mb >= 1024:
        return f"{mb / 1024:,.1f} GB"
    return f"{mb:,.0f} MB"


def _new_contacts(s: Scenario) -> float:
    """Contacts a year from new concerns, the sources' volumes applied, plus arrivals that are not contacts
    (unaccompanied children, pre-birth referrals)."""
    d = s.demand
    shares = math.fsum(src.share for src in d.sources.values()) or 1.0
    volume = math.fsum(src.share * src.volume for src in d.sources.values()) / shares
    extra = s.looked_after.uasc_per_year
    if s.pre_birth is not None:
        extra += s.pre_birth.referrals_per_year
    return d.contacts_per_year * volume + extra


def _fte(s: Scenario) -> float:
    """Social workers (FTE, supernumerary agency included) at most, over the workforce's own changes."""
    wf = s.workforce
    if wf is None or not wf.enabled:
        return 0.0
    most = {name: t.establishment for name, t in wf.teams.items()}
    for ch in wf.changes:
        if ch.team is not None and ch.establishment is not None:
            most[ch.team] = max(most[ch.team], ch.establishment)
    extra = math.fsum(t.supernumerary_agency for t in wf.teams.values())
    return math.fsum(most.values()) + extra + len(wf.teams)  # (a part post is a worker too)


def _recurring_per_year(s: Scenario, families: dict[str, float]) -> float:
    """Visits, meetings, reviews and case transfers a year for open caseloads ``families``."""
    cp_reviews = families["cp_plan"] * 12.0 / s.cp_plan.review_interval_months
    wf = s.workforce
    if wf is None or not wf.enabled:
        return cp_reviews
    v = wf.visits
    per = _WORKING_DAYS
    return (
        cp_reviews
        + families["cp_plan"] * (per / v.cp_interval_wd + per / v.core_group_interval_wd)
        + families["cin_plan"] * (per / v.cin_interval_wd + per / v.cin_review_interval_wd)
        + families["looked_after"] * (per / v.cla_interval_wd + per / min(v.cla_review_interval_wd, 65))
        + families["care_leaver"] * per / v.care_leaver_interval_wd
        + wf.dynamics.case_transfer_rate * math.fsum(families.values())
    )


def _cycles_per_worker_year(s: Scenario) -> float:
    """Changes in a worker's life a year: leaving, sickness spells, agency assignments."""
    wf = s.workforce
    if wf is None or not wf.enabled:
        return 0.0
    dyn = wf.dynamics
    spells = dyn.sickness_rate * _WORKING_DAYS / dyn.sickness_spell_wd
    assignment = dyn.agency_assignment_months + dyn.agency_lead_weeks * 7.0 / _DAYS_PER_MONTH
    agency = dyn.agency_backfill * 12.0 / assignment
    return 2.0 * dyn.turnover_rate + min(spells, _DAYS_PER_YEAR) + agency


def _front_door_shortfall(s: Scenario, contacts_per_year: float, to_mash: float) -> float:
    """The share of contacts the front door cannot decide: 1 − hours available ÷ hours needed (0 when it
    has the hours, or without the workforce)."""
    wf = s.workforce
    if wf is None or not wf.enabled:
        return 0.0
    fam = mean_family_size(s)
    families = contacts_per_year / fam
    per_family = 1.0 + wf.hours.per_extra_child * max(fam - 1.0, 0.0)
    needed = families * per_family * (wf.hours.contact_decision + to_mash * wf.hours.mash_screening)
    name = wf.team_for("front_door")
    team = wf.teams[name]
    dyn = wf.dynamics
    staffed = team.establishment * (1.0 - dyn.opening_vacancy_rate * (1.0 - dyn.agency_backfill))
    staffed += team.supernumerary_agency
    hours = staffed * hours_per_working_day(wf, 1.0, False) * _WORKING_DAYS * (1.0 - dyn.sickness_rate)
    if needed <= hours:
        return 0.0
    return 1.0 - hours / needed


#: Stages (of :func:`~caseflow.model.steady_state.steady_state`) whose children each activity's team holds,
#: and the yearly flow into it.
_HELD = {
    "assessment": (("assessment", "s47"), "assessments"),
    "cin_plan": (("cin_plan",), "cin_plans_started"),
    "cp_plan": (("cp_plan",), "cp_started"),
    "looked_after": (("looked_after",), "cla_started"),
}


def _unallocated(s: Scenario, open_children: dict[str, float], flows: dict[str, float], years: int) -> float:
    """Children who would wait unallocated over the run because their team's caseload caps hold fewer
    children than its open caseload: each team's entrants × (1 − cap room ÷ caseload)."""
    wf = s.workforce
    if wf is None or not wf.enabled:
        return 0.0
    dyn = wf.dynamics
    waiting = 0.0
    for team in wf.teams.values():
        if not team.case_holding:
            continue
        held = [a for a in team.handles if a in _HELD]
        need = math.fsum(open_children.get(stage, 0.0) for a in held for stage in _HELD[a][0])
        staffed = team.establishment * (1.0 - dyn.opening_vacancy_rate * (1.0 - dyn.agency_backfill))
        room = (staffed + team.supernumerary_agency) * team.hard_cap
        if need > room:
            entrants = math.fsum(flows.get(_HELD[a][1], 0.0) for a in held)
            waiting += entrants * years * (1.0 - room / need)
    return waiting


def estimate(scenario: Scenario, years: int | None = None, *, variants: Sequence[Scenario] = ()) -> Estimate:
    """The events and peak memory one replication of ``scenario`` is expected to need (see the module).

    ``years`` overrides the scenario's reported years, as in :func:`caseflow.simulate`; ``variants`` are
    the scenarios its time-phased changes put in force (:func:`caseflow.scenario.timeline.change_points`),
    so that demand raised or intervals shortened during the run count too.
    """
    s = scenario
    n_years = s.run.warmup_years + (s.run.years if years is None else years)
    days = n_years * _DAYS_PER_YEAR
    fam = mean_family_size(s)
    every = [s, *variants]
    workforce = s.workforce is not None and s.workforce.enabled

    base_new = _new_contacts(s)
    demand_scale = max(_new_contacts(v) for v in every) / base_new if base_new > 0 else 1.0
    d = s.demand
    shares = math.fsum(src.share for src in d.sources.values()) or 1.0
    to_mash_new = math.fsum(src.share * src.to_mash for src in d.sources.values()) / shares
    try:
        ss = steady_state(s)
        flows = ss.flows
        longer = steady_state(s, iterations=800).flows["contacts"]
        runaway = not (math.isfinite(longer) and longer <= flows["contacts"] * (1.0 + 1e-6) + 1e-9)
        steady = dict(ss.stocks)
        returns = flows["contacts"] / d.contacts_per_year  # contacts per new concern, comebacks included
        to_mash = (
            flows["contacts_new"] * to_mash_new + flows["contacts_returning"] * s.recontact.to_mash
        ) / flows["contacts"]
    except (ArithmeticError, ValueError):  # a scenario the mean-field solution cannot take: be generous
        runaway, steady, returns, to_mash, flows = True, {}, 1.0, 1.0, {}
    # A family comes back at most once per mean delay, for the rest of the run (half of it on average):
    # all the recontact loop can give when it never dies out, and a bound on it when it does.
    at_most = 1.0 + n_years / 2.0 * 12.0 / s.recontact.mean_delay_months
    returns = at_most if runaway else min(returns, at_most)
    contacts = (base_new + d.contacts_per_year * (returns - 1.0)) * demand_scale * n_years
    # Contacts the front door has no hours to decide never go further: the flows beyond it shrink.
    shortfall = max(_front_door_shortfall(v, contacts / n_years, to_mash) for v in every)
    waiting = contacts * shortfall
    passed = demand_scale * (1.0 - shortfall)
    stock = s.opening_stock
    opening = {
        "assessment": float(stock.in_assessment),
        "cin_plan": float(stock.cin_plans),
        "cp_plan": float(stock.child_protection),
        "looked_after": float(stock.looked_after),
    }
    open_children: dict[str, float] = {}
    for stage in ("assessment", "s47", "cin_plan", "cp_plan", "looked_after", "early_help"):
        level = steady.get(stage, 0.0) * passed
        if runaway:  # no steady state: whoever is open stays open
            level = contacts / n_years * (1.0 - shortfall)
        open_children[stage] = max(opening.get(stage, 0.0), level)
    open_children["care_leaver"] = 0.5 * open_children["looked_after"]
    peak_open = math.fsum(open_children.values())
    families = {k: (v if k in ("looked_after", "care_leaver") else v / fam) for k, v in open_children.items()}
    recurring = max(_recurring_per_year(v, families) for v in every) * n_years
    workers = max(_fte(v) for v in every)
    cycles_total = workers * n_years * max(_cycles_per_worker_year(v) for v in every)
    scaled_flows = {k: v * passed for k, v in flows.items()}
    unallocated = max(_unallocated(v, open_children, scaled_flows, n_years) for v in every)
    opening_children = float(stock.children_in_need)

    per_contact = EVENTS_PER_CONTACT if workforce else EVENTS_PER_CONTACT_SAMPLED
    parts = {
        "contacts": per_contact * contacts * (1.0 - shortfall) + contacts * shortfall,
        "recurring work": EVENTS_PER_RECURRING * recurring,
        "workforce": EVENTS_PER_CYCLE * cycles_total,
        "calendar": EVENTS_PER_DAY * days,
        "opening caseload": EVENTS_PER_OPENING_CHILD * opening_children,
    }
    memory_parts = {
        "calendar": (MEMORY_FIXED + MEMORY_PER_DAY * days) / _MIB,
        "contacts": MEMORY_PER_CONTACT * contacts / _MIB,
        "open caseload": MEMORY_PER_OPEN_CHILD * (peak_open + unallocated) / _MIB,
        "waiting contacts": MEMORY_PER_WAITING_CONTACT * waiting / _MIB,
        "workforce": MEMORY_PER_WORKER * workers / _MIB,
    }
    events = math.fsum(parts.values())
    memory = math.fsum(memory_parts.values())
    return Estimate(
        scenario=s.name,
        years=n_years,
        contacts=contacts,
        open_children=peak_open,
        recurring=recurring,
        workers=workers,
        worker_cycles=cycles_total,
        waiting_contacts=waiting,
        unallocated=unallocated,
        recontact_runaway=runaway,
        events=events if math.isfinite(events) else math.inf,
        memory_mb=memory if math.isfinite(memory) else math.inf,
        parts=parts,
        memory_parts=memory_parts,
    )


# -------------------------------------------------------------------------------------------- check
#: What to change when a part of the estimate (:attr:`Estimate.parts`, :attr:`Estimate.memory_parts`) is
#: the largest.
_REMEDY = {
    "contacts": "lower the demand (demand.contacts_per_year, the sources' volume, time-phased demand "
    "changes) or simulate fewer years (run.years, run.warmup_years)",
    "recurring work": "lengthen the intervals of visits and reviews (workforce.visits, "
    "cp_plan.review_interval_months) or simulate fewer years (run.years)",
    "workforce": "lower the establishment or the churn of workers (workforce.teams.*.establishment, "
    "supernumerary_agency; workforce.dynamics: sickness_spell_wd, agency_assignment_months, "
    "agency_lead_weeks) or simulate fewer years (run.years)",
    "calendar": "simulate fewer years (run.years, run.warmup_years)",
    "opening caseload": "lower the opening caseload (opening_stock)",
    "open caseload": "lower the opening caseload (opening_stock) or the plans' lengths, or give the teams "
    "room for their caseload (workforce.teams.*.establishment, hard_cap)",
    "waiting contacts": "give the front door the hours its contacts need (its team's establishment in "
    "workforce.teams, workforce.time) or lower the demand (demand.contacts_per_year)",
}


def check(
    scenario: Scenario,
    years: int | None = None,
    budget: Budget | None = None,
    *,
    variants: Sequence[Scenario] = (),
) -> Estimate:
    """The estimate for one replication of ``scenario``; :class:`RunRefusedError` if it is over ``budget``'s
    ceilings (default :data:`DEFAULT_BUDGET`). Call it before building anything."""
    b = DEFAULT_BUDGET if budget is None else budget
    est = estimate(scenario, years, variants=variants)
    over_events = not est.events <= b.max_estimated_events
    over_memory = not est.memory_mb <= b.max_estimated_memory_mb
    if not (over_events or over_memory):
        return est
    what = []
    if over_events:
        what.append(
            f"about {_count(est.events)} simulation events (the limit is {_count(b.max_estimated_events)})"
        )
    if over_memory:
        what.append(
            f"about {_megabytes(est.memory_mb)} of memory "
            f"(the limit is {_megabytes(b.max_estimated_memory_mb)})"
        )
    remedies: list[str] = []
    for over, parts in ((over_events, est.parts), (over_memory, est.memory_parts)):
        remedy = _REMEDY[max(parts, key=lambda k: parts[k])]
        if over and remedy not in remedies:
            remedies.append(remedy)
    if est.recontact_runaway:
        remedies.append(
            "lower the recontact chances (recontact.after_*) or lengthen recontact.mean_delay_months"
        )
    message = (
        f"scenario {scenario.name!r} was not run: one replication would need "
        + " and ".join(what)
        + ".\nEstimated before the first event: "
        + est.describe().replace("\n", ";\n  ")
        + ".\nTo run it, "
        + "; or ".join(remedies)
        + "; or, if this machine can take it, raise the ceilings "
        "(caseflow.Budget(max_estimated_events=..., max_estimated_memory_mb=...))."
    )
    raise RunRefusedError(message, est, b)


# --------------------------------------------------------------------------------- running in budget
_COUNT = re.compile(r"count\((\d+)")


def events_scheduled(env: simpy.Environment) -> int:
    """Events ``env`` has scheduled so far (its event counter, read without advancing it): caseflow's
    :class:`~caseflow.model.environment.Environment` counts them in its queue, SimPy's own in ``_eid``."""
    queue = getattr(env, "_events", None)
    if isinstance(queue, EventQueue):
        return queue.scheduled
    found = _COUNT.match(repr(env._eid))
    if found is None:  # pragma: no cover - itertools.count's repr has been "count(n)" since Python 2
        raise RuntimeError(f"cannot read SimPy's event counter from {env._eid!r}")
    return int(found.group(1))


def run_within(
    env: simpy.Environment,
    until: float,
    budget: Budget,
    *,
    started: float,
    date_of: Callable[[float], dt.date],
    estimated: float | None = None,
) -> None:
    """``env.run(until=until)``, stopping with :class:`BudgetExceededError` when ``budget`` is spent.

    Events happen exactly as under ``env.run`` (the same stopping event, scheduled the same way); every
    :data:`CHECK_EVERY` events the wall-clock time since ``started`` (:func:`time.monotonic`) and the
    events scheduled are compared with the budget. ``date_of`` maps a simulation time to its date (the
    calendar's ``date``), for the message; ``estimated`` is the pre-run estimate of events, if known.
    """
    deadline = math.inf if budget.seconds is None else started + budget.seconds
    most = math.inf if budget.events is None else budget.events
    stop = simpy.Event(env)
    stop._ok = True
    stop._value = None
    env.schedule(stop, URGENT, until - env.now)
    stop.callbacks.append(StopSimulation.callback)
    step = env.step
    n = events_scheduled(env)
    if time.monotonic() > deadline:  # the set-up alone took the time
        _exceeded(env, "seconds", until, n, time.monotonic() - started, budget, date_of, estimated)
    try:
        while True:
            # every CHECK_EVERY events, and no later than the event budget could be spent
            for _ in range(CHECK_EVERY if n + CHECK_EVERY < most else max(1, int(most) - n)):
                step()
            n = events_scheduled(env)
            if n > most:
                _exceeded(env, "events", until, n, time.monotonic() - started, budget, date_of, estimated)
            now = time.monotonic()
            if now > deadline:
                _exceeded(env, "seconds", until, n, now - started, budget, date_of, estimated)
    except StopSimulation:
        return


def _exceeded(
    env: simpy.Environment,
    limit: str,
    until: float,
    events: int,
    seconds: float,
    budget: Budget,
    date_of: Callable[[float], dt.date],
    estimated: float | None,
) -> None:
    day = float(env.now)
    days = float(until)
    when = date_of(day).isoformat()
    share = 100.0 * day / days if days > 0 else 0.0
    if limit == "seconds":
        spent = f"the wall-clock budget of {budget.seconds:g} seconds was spent ({seconds:,.1f} s)"
        more = "give it more time (Budget(seconds=...))"
    else:
        spent = (
            f"the event budget of {_count(float(budget.events or 0))} events was spent ({events:,} events)"
        )
        more = "give it more events (Budget(events=...))"
    expected = f" The estimate before the run was about {_count(estimated)} events." if estimated else ""
    message = (
        f"the run stopped at {when} (day {day:,.0f} of {days:,.0f}, {share:.0f}% of the way): {spent}."
        f"{expected} Nothing of this replication was kept. To finish it, {more}, simulate fewer years "
        "(run.years, run.warmup_years), or look for what makes it slow: demand far above the staff's "
        "hours, very short visit or review intervals."
    )
    raise BudgetExceededError(
        message, limit=limit, day=day, days=days, date=when, events=events, seconds=seconds
    )
