"""The statutory pathway as SimPy processes (DESIGN §2).

contact → front-door decision → MASH screening (RAG) → referral (re-referral flagged from the child's
history) → single assessment → not in need / CIN plan / strategy discussion and s47 → ICPC → CP plan
(review conferences) → CIN plan → looked after (placement, exit by reason, 18th birthday) → closure,
step-down to early help, and families who come back.

Each family's journey is one SimPy process that moves from stage to stage with ``yield from``; a child
who comes into care gets a process of their own. The pathway decides *what* happens; how long statutory
work takes is asked of a :class:`~caseflow.model.capacity.Capacity`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator
from typing import Any

import simpy

from caseflow.calendar import Calendar
from caseflow.distributions import BandedSampler, BranchSampler
from caseflow.model.capacity import Capacity, Task
from caseflow.model.entities import DAYS_PER_MONTH, DAYS_PER_YEAR, Child, Family, Stage
from caseflow.records import Recorder
from caseflow.scenario.schema import AGE_BAND_LOWER, AGE_BAND_UPPER, AGE_BANDS, Placements, Scenario
from caseflow.streams import DrawBlock, RandomSource, Stream, Streams

__all__ = ["Pathway", "age_band", "draw_age"]

Proc = Generator[simpy.Event, Any, None]

_ADULT = 18 * DAYS_PER_YEAR
#: Uniform draws reserved for each family's decisions (most families use far fewer).
FAMILY_DRAWS = 32
#: Stages whose episodes appear in per-case records.
_RECORDED = frozenset(
    {Stage.EARLY_HELP, Stage.ASSESSMENT, Stage.S47, Stage.CIN_PLAN, Stage.CP_PLAN, Stage.LOOKED_AFTER}
)
_TWO_YEARS = 2 * DAYS_PER_YEAR


def draw_age(ages: BranchSampler, stream: RandomSource) -> float:
    """An age in years: a DfE age band drawn from ``ages``, then uniform within the band."""
    i = AGE_BANDS.index(ages.sample(stream))
    return AGE_BAND_LOWER[i] + (AGE_BAND_UPPER[i] - AGE_BAND_LOWER[i]) * stream.random()


def age_band(age_years: float) -> str:
    """DfE age band of a child aged ``age_years``."""
    for band, upper in zip(AGE_BANDS, AGE_BAND_UPPER, strict=True):
        if age_years < upper:
            return band
    return AGE_BANDS[-1]


class Pathway:
    """Owns every stage process, the stage bookkeeping and the records of one replication."""

    def __init__(
        self,
        env: simpy.Environment,
        calendar: Calendar,
        scenario: Scenario,
        streams: Streams,
        recorder: Recorder,
        capacity: Capacity,
        *,
        track_children: bool = False,
        records: bool = False,
    ) -> None:
        self.env = env
        self.cal = calendar
        self.s = scenario
        self.rec = recorder
        self.capacity = capacity
        self.streams = streams
        self.stage_counts = [0] * len(Stage)
        self.cla_placements: Counter[str] = Counter()
        self.cla_children: dict[int, Child] = {}
        self.children_entered = 0
        self.children: list[Child] | None = [] if track_children or records else None
        #: (child, family, stage, start, end, next stage) per finished episode, when records are kept
        self.case_records: list[tuple[int, int, str, float, float, str]] | None = [] if records else None
        self._next_child = 0
        self._next_family = 0

        st = streams
        self._r_family = st["family.composition"]
        self._r_draws = st["family.draws"]  # each family's block of decision draws, in arrival order

        self.eh_families = 0  # families in early help now
        self._eh_area = 0.0  # key-worker FTE-days (for costs)
        self._eh_last = 0.0
        self._placement_area: defaultdict[str, float] = defaultdict(float)  # child-days by placement
        self._placement_last = 0.0
        self._compile(scenario)

    def _compile(self, s: Scenario) -> None:
        """Build the samplers from the scenario in force (again whenever it changes)."""
        sib = s.demand.sibling_groups
        self._sibling_sizes = BranchSampler({"1": sib.one, "2": sib.two, "3": sib.three, "4": sib.four})
        self._child_age = BranchSampler(s.demand.child_age)
        self._mash_outcome = BranchSampler(s.mash.outcome)
        self._assess_outcome = BranchSampler(s.assessment.outcome)
        self._s47_outcome = BranchSampler(s.s47.outcome)
        self._icpc_outcome = BranchSampler(s.icpc.outcome)
        self._cp_end = BranchSampler(s.cp_plan.end)
        self._cin_end = BranchSampler(s.cin_plan.end)
        self._cp_len = BandedSampler(s.cp_plan.duration_months, DAYS_PER_MONTH)
        self._cin_len = BandedSampler(s.cin_plan.duration_months, DAYS_PER_MONTH)
        self._eh_len = BandedSampler(s.early_help.duration_months, DAYS_PER_MONTH)
        la = s.looked_after
        self._routes = {b: BranchSampler(la.exit_routes[b]) for b in AGE_BANDS}
        self._placements = {b: BranchSampler(la.placements[b]) for b in AGE_BANDS}
        self._leaving_18 = BranchSampler(la.leaving_at_18)
        self._uasc_age = BranchSampler(la.uasc_age)
        self._route_days = {k: float(v) * DAYS_PER_MONTH for k, v in la.route_months}

    def update(self, scenario: Scenario) -> None:
        """A time-phased change: from now on the pathway follows ``scenario``."""
        self._eh_tick()
        self.s = scenario
        self._compile(scenario)

    # ============================================================ cost accounting
    def _eh_tick(self) -> None:
        now = self.env.now
        self._eh_area += self.s.early_help.key_workers * (now - self._eh_last)
        self._eh_last = now

    def take_eh_area(self) -> float:
        """Early-help key-worker FTE-days since the last call."""
        self._eh_tick()
        out, self._eh_area = self._eh_area, 0.0
        return out

    def _placement_tick(self) -> None:
        now = self.env.now
        dt = now - self._placement_last
        if dt > 0:
            for k, v in self.cla_placements.items():
                self._placement_area[k] += v * dt
        self._placement_last = now

    def take_placement_area(self) -> dict[str, float]:
        """Child-days in each placement type since the last call."""
        self._placement_tick()
        out = {k: float(v) for k, v in self._placement_area.items()}
        self._placement_area.clear()
        return out

    # ============================================================ early-help effects
    def _escalation_prevented(self, family: Family) -> bool:
        if self.protected(family) and family.random() < self.s.early_help.escalation_reduction:
            self.rec.count("escalations_prevented_by_early_help", self.env.now)
            return True
        return False

    def protected(self, family: Family) -> bool:
        """Is ``family`` within the window in which its early help protects it?"""
        return family.protected_from <= self.env.now < family.protected_to

    # ============================================================ bookkeeping
    def new_family(self, t: float, ages: list[float], draws: Stream | None = None) -> Family:
        """A family whose children have the given ages (years) at time ``t``; children enter CLOSED.

        Its decision draws come from ``family.draws`` in arrival order, or from ``draws`` for families
        created outside that order (the run's history), so they do not shift anyone else's draws.
        """
        fam = Family(self._next_family, rng=DrawBlock(draws or self._r_draws, FAMILY_DRAWS))
        self._next_family += 1
        for a in ages:
            c = Child(self._next_child, dob=t - a * DAYS_PER_YEAR, family_id=fam.id)
            self._next_child += 1
            fam.children.append(c)
            self.children_entered += 1
            self.stage_counts[Stage.CLOSED] += 1
            if self.children is not None:
                self.children.append(c)
        return fam

    def sample_ages(self, ages: BranchSampler, n: int) -> list[float]:
        return [draw_age(ages, self._r_family) for _ in range(n)]

    def sample_family(self, t: float) -> Family:
        """A family behind a new-concern contact, with any history from before the simulation."""
        r = self._r_family
        n = int(self._sibling_sizes.sample(r))
        fam = self.new_family(t, self.sample_ages(self._child_age, n))
        p = self.s.demand.prior_cp_plan
        for c in fam.children:
            if r.random() < p:
                c.cp_plans = 1
        return fam

    def move(self, children: list[Child], stage: Stage) -> None:
        counts = self.stage_counts
        now = self.env.now
        records = self.case_records
        for c in children:
            old = c.stage
            counts[old] -= 1
            counts[stage] += 1
            c.stage = stage
            if records is not None and old is not stage and old in _RECORDED:
                records.append(
                    (
                        c.id,
                        c.family_id,
                        old.name.lower(),
                        c.since,
                        now,
                        stage.name.lower(),
                    )
                )
            c.since = now

    def open_case_records(self) -> list[tuple[int, int, str, float, float, str]]:
        """Records of the episodes still open (end NaN), for per-case output at the end of a run."""
        if self.children is None:
            return []
        nan = float("nan")
        return [
            (c.id, c.family_id, c.stage.name.lower(), c.since, nan, "")
            for c in self.children
            if c.stage in _RECORDED
        ]

    def _current(self, children: list[Child]) -> list[Child]:
        """Children still under 18; those who have turned 18 leave the system here."""
        t = self.env.now
        keep = []
        for c in children:
            if t - c.dob < _ADULT:
                keep.append(c)
            elif c.stage is not Stage.LEFT:
                self._leave_at_18(c)
        return keep

    def _leave_at_18(self, child: Child) -> None:
        self.capacity.release([child])
        self.move([child], Stage.LEFT)
        self.rec.count("children_left_at_18", self.env.now)

    def _age_out_before(self, kids: list[Child], end: float) -> None:
        """Children who turn 18 before ``end`` leave on their birthday, not at the plan's end."""
        for c in kids:
            birthday = c.birthday(18)
            if birthday < end:
                self.env.process(self._age_out(c, birthday))

    def _age_out(self, child: Child, at: float) -> Proc:
        yield self.env.timeout(max(0.0, at - self.env.now))
        if child.stage in (Stage.ASSESSMENT, Stage.S47, Stage.CIN_PLAN, Stage.CP_PLAN):
            self._leave_at_18(child)

    # ============================================================ closure & return
    def close(self, children: list[Child], kind: str, family: Family) -> None:
        """Close the episode for ``children``; the family may come back after a delay."""
        self.capacity.release(children)
        self.move(children, Stage.CLOSED)
        rc = self.s.recontact
        p = {
            "front_door": rc.after_front_door,
            "early_help": rc.after_early_help,
            "assessment": rc.after_assessment,
            "plan": rc.after_plan,
        }[kind]
        if family.random() < p:
            delay = family.gamma(rc.delay_shape, rc.mean_delay_months * DAYS_PER_MONTH)
            self.env.process(self.contact(family, rc.to_mash, source="returning", delay=delay))

    # ============================================================ front door
    def contact(self, family: Family, to_mash: float, *, source: str, delay: float = 0.0) -> Proc:
        """A contact about ``family``: front-door decision, then MASH screening or closure."""
        env, rec = self.env, self.rec
        if delay > 0:
            yield env.timeout(delay)
            if self.protected(family) and family.random() < self.s.early_help.recontact_reduction:
                rec.count("recontacts_prevented_by_early_help", env.now, len(family.under_18(env.now)))
                return
        t = env.now
        if family.is_open():
            # A family with an open case: the allocated worker takes the information, no new referral.
            n = len(family.under_18(t))
            rec.count("contacts", t, n)
            rec.count(f"contacts_from_{source}", t, n)
            rec.count("contacts_on_open_cases", t, n)
            return
        kids = [c for c in family.children if c.stage is Stage.CLOSED]
        kids = self._current(kids)
        if not kids:
            return
        n = len(kids)
        rec.count("contacts", t, n)
        rec.count(f"contacts_from_{source}", t, n)
        self.move(kids, Stage.FRONT_DOOR)
        done = yield from self.capacity.perform(Task.FRONT_DOOR_DECISION, kids, t)
        wd = self.cal.working_days_between(t, done)
        for _ in kids:
            rec.tally("contact_decision_wd", done, wd)
        if family.random() >= to_mash:
            if family.random() < self.s.front_door.early_help_if_not_mash:
                yield from self.early_help(family, kids, otherwise="front_door")
            else:
                self.close(kids, "front_door", family)
            return
        done = yield from self.capacity.perform(Task.MASH_SCREENING, kids, done)
        outcome = self._mash_outcome.sample(family)
        if (
            outcome == "referral"
            and self.protected(family)
            and family.random() < self.s.early_help.referral_reduction
        ):
            outcome = (
                "no_further_action"  # the family's early help means this concern is met without a referral
            )
            rec.count("referrals_prevented_by_early_help", env.now, len(kids))
        if outcome == "referral":
            yield from self.referral(family, kids)
        elif outcome == "early_help":
            yield from self.early_help(family, kids, otherwise="front_door")
        else:
            self.close(kids, "front_door", family)

    def early_help(self, family: Family, kids: list[Child], *, otherwise: str) -> Proc:
        """Early help if a key worker has room; otherwise the family is closed (``otherwise``)."""
        t = self.env.now
        eh = self.s.early_help
        if self.eh_families >= eh.key_workers * eh.families_per_worker:
            self.rec.count("early_help_declined_full", t, len(kids))
            self.close(kids, otherwise, family)
            return
        self.rec.count("early_help_starts", t, len(kids))
        self.eh_families += 1
        self.capacity.release(kids)
        self.move(kids, Stage.EARLY_HELP)
        start = t + eh.effect_lag_months * DAYS_PER_MONTH
        family.protected_from = start
        family.protected_to = start + eh.effect_months * DAYS_PER_MONTH
        yield self.env.timeout(self._eh_len.sample(family))
        self.eh_families -= 1
        kids = self._current(kids)
        self.close(kids, "early_help", family)

    # ============================================================ referral & assessment
    def referral(self, family: Family, kids: list[Child]) -> Proc:
        env, rec = self.env, self.rec
        t = env.now
        window = self.s.referral.re_referral_window_days
        n = len(kids)
        rec.count("referrals", t, n)
        for c in kids:
            rec.tally("re_referral", t, 1.0 if t - c.last_referral <= window else 0.0)
            c.last_referral = t
        self.move(kids, Stage.ASSESSMENT)
        self._age_out_before(kids, t + DAYS_PER_YEAR)  # a 17-year-old may turn 18 while assessed
        r = family
        if r.random() < self.s.referral.no_further_action:
            for _ in kids:
                rec.tally("referral_nfa", t, 1.0)
            self.close(kids, "assessment", family)
            return
        for _ in kids:
            rec.tally("referral_nfa", t, 0.0)
        urgent = r.random() < self.s.mash.urgent_referral
        self.capacity.assign(kids, "assessment", urgent=urgent)
        if urgent:
            # Red: a strategy discussion at once; the single assessment runs alongside the s47.
            rec.count("urgent_referrals", t, n)
            env.process(self.assessment_record(family, kids, t))
            yield from self.s47(family, kids, since=t, urgent=True)
            return
        yield from self.assess_and_decide(family, kids, t)

    def assess_and_decide(
        self,
        family: Family,
        kids: list[Child],
        referred: float,
        *,
        working_days: float | None = None,
    ) -> Proc:
        """Single assessment, then its outcome: not in need, CIN plan, or strategy discussion."""
        rec = self.rec
        done = yield from self.assessment(family, kids, referred, working_days=working_days)
        kids = self._current(kids)
        if not kids:
            return
        outcome = self._assess_outcome.sample(family)
        if outcome == "s47" and self._escalation_prevented(family):
            outcome = "cin_plan"
        if outcome == "not_in_need":
            rec.count("assessed_not_in_need", done, len(kids))
            if family.random() < self.s.assessment.not_in_need_step_down:
                yield from self.early_help(family, kids, otherwise="assessment")
            else:
                self.close(kids, "assessment", family)
        elif outcome == "cin_plan":
            yield from self.cin_plan(family, kids)
        else:
            yield from self.s47(family, kids, since=done)

    def assessment(
        self,
        family: Family,
        kids: list[Child],
        referred: float,
        *,
        working_days: float | None = None,
    ) -> Generator[simpy.Event, Any, float]:
        """The single assessment, clocked from the referral; returns its completion time."""
        done = yield from self.capacity.perform(Task.ASSESSMENT, kids, referred, working_days=working_days)
        wd = self.cal.working_days_between(referred, done)
        self.rec.count("assessments_completed", done, len(kids))
        for _ in kids:
            self.rec.tally("assessment_wd", done, wd)
        return done

    def assessment_record(self, family: Family, kids: list[Child], referred: float) -> Proc:
        yield from self.assessment(family, kids, referred)

    # ============================================================ child protection
    def s47(self, family: Family, kids: list[Child], *, since: float, urgent: bool = False) -> Proc:
        env, rec = self.env, self.rec
        sd = yield from self.capacity.perform(Task.STRATEGY_DISCUSSION, kids, since)
        kids = self._current(kids)
        if not kids:
            return
        rec.count("s47_enquiries", sd, len(kids))
        self.move(kids, Stage.S47)
        self._age_out_before(kids, sd + DAYS_PER_YEAR)
        r = family
        if urgent and r.random() < self.s.s47.looked_after_immediately:
            rec.count("emergency_removals", sd, len(kids))
            for c in kids:
                env.process(self.looked_after(c, family, entry="emergency"))
            return
        outcome = self._s47_outcome.sample(r)
        if outcome == "icpc":
            held = yield from self.capacity.perform(Task.ICPC, kids, sd)
            kids = self._current(kids)
            if not kids:
                return
            wd = self.cal.working_days_between(sd, held)
            rec.count("icpcs", held, len(kids))
            for _ in kids:
                rec.tally("icpc_wd", held, wd)
            if self._icpc_outcome.sample(family) == "cp_plan":
                yield from self.cp_plan(family, kids)
            else:
                yield from self.cin_plan(family, kids)
            return
        yield from self.capacity.perform(Task.S47_ENQUIRY, kids, sd)
        kids = self._current(kids)
        if not kids:
            return
        if outcome == "cin_plan":
            yield from self.cin_plan(family, kids)
        else:
            rec.count("s47_no_further_action", env.now, len(kids))
            self.close(kids, "assessment", family)

    def cp_plan(
        self,
        family: Family,
        kids: list[Child],
        *,
        started: float | None = None,
        duration: float | None = None,
    ) -> Proc:
        """A child protection plan; ``started``/``duration`` are given for the opening caseload."""
        env, rec = self.env, self.rec
        now = env.now
        if started is None:
            started = now
            rec.count("cp_plans_started", now, len(kids))
            for c in kids:
                rec.tally("cp_second_or_subsequent", now, 1.0 if c.cp_plans > 0 else 0.0)
                c.cp_plans += 1
        if duration is None:
            duration = self._cp_len.sample(family)
        self.move(kids, Stage.CP_PLAN)
        for c in kids:
            c.since = started  # earlier than now for the opening caseload
        self.capacity.assign(kids, "cp_plan")
        end = started + duration
        self._age_out_before(kids, end)
        cp = self.s.cp_plan
        review = started + cp.first_review_months * DAYS_PER_MONTH
        step = cp.review_interval_months * DAYS_PER_MONTH
        while review <= now:
            review += step
        while review < end:
            yield env.timeout(review - env.now)
            reviewed = [c for c in kids if c.stage is Stage.CP_PLAN]
            rec.count("cp_reviews", env.now, len(reviewed))
            self.capacity.add_work(reviewed, "cp_review")
            review += step
        yield env.timeout(max(0.0, end - env.now))
        kids = self._current(kids)
        t = env.now
        rec.count("cp_plans_ended", t, len(kids))
        for _ in kids:
            rec.tally("cp_ended_duration_days", t, duration)
        if not kids:
            return
        outcome = self._cp_end.sample(family)
        if outcome == "cin_plan":
            yield from self.cin_plan(family, kids)
        elif outcome == "looked_after":
            for c in kids:
                env.process(self.looked_after(c, family, entry="from_cp_plan"))
        else:
            self.close(kids, "plan", family)

    def cin_plan(
        self,
        family: Family,
        kids: list[Child],
        *,
        started: float | None = None,
        duration: float | None = None,
    ) -> Proc:
        env, rec = self.env, self.rec
        now = env.now
        if started is None:
            started = now
            rec.count("cin_plans_started", now, len(kids))
        if duration is None:
            duration = self._cin_len.sample(family)
        self.move(kids, Stage.CIN_PLAN)
        for c in kids:
            c.since = started  # earlier than now for the opening caseload
        self.capacity.assign(kids, "cin_plan")
        self._age_out_before(kids, started + duration)
        yield env.timeout(max(0.0, started + duration - now))
        kids = self._current(kids)
        if not kids:
            return
        rec.count("cin_plans_ended", env.now, len(kids))
        outcome = self._cin_end.sample(family)
        if outcome in ("s47", "looked_after") and self._escalation_prevented(family):
            outcome = "closure"
        if outcome == "closure":
            self.close(kids, "plan", family)
        elif outcome == "step_down":
            yield from self.early_help(family, kids, otherwise="plan")
        elif outcome == "s47":
            yield from self.s47(family, kids, since=env.now)
        else:
            for c in kids:
                env.process(self.looked_after(c, family, entry="from_cin_plan"))

    # ============================================================ looked after
    def care_episode(
        self, child: Child, t: float, stream: RandomSource | None = None
    ) -> tuple[str, str, float]:
        """Placement, exit route and total duration (days) of a care episode starting at ``t``."""
        r: RandomSource = stream or self._r_draws
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

    def looked_after(
        self,
        child: Child,
        family: Family,
        *,
        entry: str,
        episode: tuple[str, str, float] | None = None,
        started: float | None = None,
    ) -> Proc:
        """A care episode for ``child`` of ``family`` (whose draws decide it, and to whom they may return)."""
        env, rec = self.env, self.rec
        now = env.now
        if started is None:
            started = now
            rec.count("cla_starts", now)
            rec.count(f"cla_starts_{entry}", now)
        placement, route, duration = episode or self.care_episode(child, started, family)
        self.move([child], Stage.LOOKED_AFTER)
        child.since = started
        self.cla_children[child.id] = child
        self.capacity.assign([child], "looked_after")
        if entry in ("from_cp_plan", "from_cin_plan", "emergency"):
            self.capacity.add_work([child], "court_work")
        self._placement_tick()
        self.cla_placements[placement] += 1
        yield env.timeout(max(0.0, started + duration - now))
        t = env.now
        self._placement_tick()
        self.cla_placements[placement] -= 1
        del self.cla_children[child.id]
        rec.count("cla_ceased", t)
        rec.tally("cla_episode_days", t, duration)
        if route == "age_18":
            dest = self._leaving_18.sample(family)
            rec.count(f"cla_ceased_age_18_{dest}", t)
            rec.count("cla_ceased_age_18", t)
            self.capacity.release([child])
            self.move([child], Stage.LEFT)
            if dest != "adult_social_care":
                env.process(self.care_leaver(child))
            return
        rec.count(f"cla_ceased_{route}", t)
        if route == "return_home":
            self.close([child], "plan", family)
        else:  # special guardianship, adoption, child arrangements, other, or transferred (UASC)
            self.capacity.release([child])
            self.move([child], Stage.LEFT)

    def care_leaver(self, child: Child) -> Proc:
        """A care leaver keeps a worker (personal adviser) from 18 to 21; they are not a child in need."""
        self.capacity.assign([child], "care_leaver")
        self.rec.count("care_leavers_started", self.env.now)
        yield self.env.timeout(max(0.0, child.birthday(21) - self.env.now))
        self.capacity.release([child])

    def uasc_arrivals(self, horizon: float) -> Proc:
        """Unaccompanied asylum-seeking children arrive (Poisson) and come straight into care.

        A share ``looked_after.uasc_transferred_out`` are transferred to another authority after an
        exponential time of mean ``uasc_transfer_days``: their episode ends by route ``transferred``.
        """
        rate = self.s.looked_after.uasc_per_year / DAYS_PER_YEAR
        if rate <= 0:
            return
        r = self.streams["arrivals.uasc"]
        env = self.env
        while True:
            gap = r.exponential(1.0 / rate)
            if env.now + gap >= horizon:
                return
            yield env.timeout(gap)
            fam = self.new_family(env.now, self.sample_ages(self._uasc_age, 1))
            child = fam.children[0]
            episode = self._uasc_transfer(child, fam)
            env.process(self.looked_after(child, fam, entry="uasc", episode=episode))

    def _uasc_transfer(self, child: Child, family: Family) -> tuple[str, str, float] | None:
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

    # ============================================================ snapshots
    def stock_snapshot(self, month: int) -> None:
        counts = self.stage_counts
        rec = self.rec
        cin = sum(counts[s] for s in Stage if s.is_child_in_need)
        rec.stock("cin_open_end", month, cin)
        rec.stock("cp_plans_open_end", month, counts[Stage.CP_PLAN])
        rec.stock("cla_open_end", month, counts[Stage.LOOKED_AFTER])
        rec.stock("cin_plans_open_end", month, counts[Stage.CIN_PLAN])
        rec.stock("assessments_open_end", month, counts[Stage.ASSESSMENT])
        rec.stock("s47_open_end", month, counts[Stage.S47])
        rec.stock("early_help_open_end", month, counts[Stage.EARLY_HELP])
        rec.stock("front_door_open_end", month, counts[Stage.FRONT_DOOR])
        for placement in Placements.model_fields:
            rec.stock(f"cla_{placement}_end", month, self.cla_placements[placement])

    def audit(self) -> dict[str, int]:
        """Conservation check: every child who entered is in exactly one stage (LEFT included)."""
        total = sum(self.stage_counts)
        out = {s.name.lower(): self.stage_counts[s] for s in Stage}
        out["entered"] = self.children_entered
        out["accounted"] = total
        if self.children is not None:
            recount = Counter(c.stage for c in self.children)
            for s in Stage:
                if recount[s] != self.stage_counts[s]:
                    raise AssertionError(
                        f"stage {s.name}: counted {self.stage_counts[s]}, found {recount[s]}"
                    )
        if total != self.children_entered or min(self.stage_counts) < 0:
            raise AssertionError(f"conservation broken: {out}")
        return out
