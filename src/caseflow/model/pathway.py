"""The statutory pathway: stage modules joined by a router, with a census of where every child is.

contact → front-door decision → MASH screening (RAG) → referral (re-referral flagged from the child's
history) → single assessment → not in need / CIN plan / strategy discussion and s47 → ICPC → CP plan
(review conferences) → CIN plan → looked after (placement, exit by reason, 18th birthday) → closure,
step-down to early help, and families who come back.

Each stage group is a module of :mod:`caseflow.model.stages`; each family's journey is one generator
that moves from stage to stage with ``yield from pathway.route(outcome, family, kids)``, run as a
:class:`~caseflow.model.flow.Flow` from its contact (:meth:`Pathway.begin`); a child who comes into care
gets a SimPy process of their own. The pathway decides *what* happens; how long
statutory work takes is asked of a :class:`~caseflow.model.capacity.Capacity`.

:class:`Pathway` is what the stages share: the environment, the scenario in force, the census, the
families, the router, and the few rules every stage applies (a child leaves at 18; a closed family may
come back; early help protects a family for a while).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import simpy
from mypy_extensions import mypyc_attr

from caseflow.calendar import Calendar
from caseflow.model.capacity import Capacity
from caseflow.model.census import Census
from caseflow.model.entities import DAYS_PER_MONTH, DAYS_PER_YEAR, Child, ClosureKind, Family, Stage
from caseflow.model.event_queue import now_of, queue_of
from caseflow.model.families import Families, age_band, draw_age
from caseflow.model.flow import Flow
from caseflow.model.stages import DEFAULT_STAGES
from caseflow.model.stages.base import Entry, Proc, StageGroup
from caseflow.records import Recorder
from caseflow.scenario.schema import Scenario
from caseflow.streams import Streams

__all__ = ["Pathway", "age_band", "draw_age"]

_ADULT: Final = 18 * DAYS_PER_YEAR


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class Pathway:
    """The stage groups of one replication, the router between them, and what they share."""

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
        stages: Sequence[type[StageGroup]] = DEFAULT_STAGES,
    ) -> None:
        self.env = env
        self._queue = queue_of(env)  # where compiled code reads the time (None: SimPy's own environment)
        self.cal = calendar
        self.s = scenario
        self.rec = recorder
        self.capacity = capacity
        self.streams = streams
        self.census = Census(recorder, track_children=track_children, records=records)
        self.families = Families(scenario, streams, self.census)
        self._recontact(scenario)
        self.stages: dict[str, StageGroup] = {}
        self._routes: dict[str, Entry] = {"closure": self._closure}
        for cls in stages:
            group = cls(self)
            if group.name in self.stages:
                raise ValueError(f"two stage groups are named {group.name!r}")
            self.stages[group.name] = group
            for outcome, entry in group.routes().items():
                self.register(outcome, entry)

    def update(self, scenario: Scenario) -> None:
        """A time-phased change: from now on the pathway follows ``scenario``."""
        self.s = scenario
        self.families.compile(scenario)
        self._recontact(scenario)
        for group in self.stages.values():
            group.compile(scenario)

    def _recontact(self, s: Scenario) -> None:
        rc = s.recontact
        self._recontact_p = {
            ClosureKind.FRONT_DOOR: rc.after_front_door,
            ClosureKind.EARLY_HELP: rc.after_early_help,
            ClosureKind.ASSESSMENT: rc.after_assessment,
            ClosureKind.PLAN: rc.after_plan,
        }

    # ============================================================ the router
    def register(self, outcome: str, entry: Entry, *, replace: bool = False) -> None:
        """Route ``outcome`` to ``entry``; an outcome already routed is replaced only if ``replace``."""
        if outcome in self._routes and not replace:
            raise ValueError(f"outcome {outcome!r} is already routed (to {self._routes[outcome]!r})")
        self._routes[outcome] = entry

    def route(self, to: str, family: Family, /, *args: Any, **kwargs: Any) -> Proc:
        """The process that takes ``family`` into the stage registered for the outcome ``to``; ``args``
        and ``kwargs`` go to that stage's entry.

        An entry must not take keyword arguments named ``to`` or ``family``: mypyc, which compiles this
        module (:mod:`caseflow.kernel`), does not keep positional-only parameters apart from keyword
        arguments of the same name, and would drop them (s47's ``outcome=`` was lost that way when the
        first parameter was called ``outcome``).
        """
        return self.entry(to)(family, *args, **kwargs)

    def entry(self, to: str) -> Entry:
        """The entry of the stage registered for the outcome ``to``, which :meth:`route` calls.

        A caller on the hot path (each contact) calls it directly: :meth:`route` packs its arguments into a
        tuple and a dictionary and unpacks them again for every call (docs/performance.md).
        """
        entry = self._routes.get(to)
        if entry is None:
            known = ", ".join(sorted(self._routes))
            raise ValueError(f"no stage handles the outcome {to!r}; routed outcomes: {known}")
        return entry

    def begin(self, journey: Proc) -> None:
        """Start a family's journey that nobody waits for (a contact), now, as a
        :class:`~caseflow.model.flow.Flow`: cheaper than a SimPy process, and not interruptible."""
        Flow(journey)

    @property
    def outcomes(self) -> list[str]:
        """Every outcome the router knows."""
        return sorted(self._routes)

    # ============================================================ rules every stage applies
    def move(self, children: list[Child], stage: Stage) -> None:
        self.census.move(children, stage, now_of(self._queue, self.env))

    def current(self, children: list[Child]) -> list[Child]:
        """Children still under 18; those who have turned 18 leave the system here."""
        t = now_of(self._queue, self.env)
        keep = []
        for c in children:
            if t - c.dob < _ADULT:
                keep.append(c)
            elif c.stage is not Stage.LEFT:
                self.leave_at_18(c)
        return keep

    def leave_at_18(self, child: Child) -> None:
        self.capacity.release([child])
        self.move([child], Stage.LEFT)
        self.rec.count("children_left_at_18", self.env.now)

    def age_out_before(self, kids: Iterable[Child], end: float) -> None:
        """Children who turn 18 before ``end`` leave on their birthday, not at the plan's end."""
        for c in kids:
            birthday = c.birthday(18)
            if birthday < end:
                self.env.process(self._age_out(c, birthday))

    def _age_out(self, child: Child, at: float) -> Proc:
        yield self.env.timeout(max(0.0, at - self.env.now))
        if child.stage in (Stage.ASSESSMENT, Stage.S47, Stage.CIN_PLAN, Stage.CP_PLAN):
            self.leave_at_18(child)

    def close(self, children: list[Child], kind: ClosureKind, family: Family) -> None:
        """Close the episode for ``children``; the family may come back after a delay."""
        self.capacity.release(children)
        self.move(children, Stage.CLOSED)
        if family.random() < self._recontact_p[kind]:
            rc = self.s.recontact
            delay = family.gamma(rc.delay_shape, rc.mean_delay_months * DAYS_PER_MONTH)
            self.begin(self.entry("contact")(family, rc.to_mash, source="returning", delay=delay))

    def _closure(self, family: Family, kids: list[Child], *, kind: ClosureKind) -> Proc:
        """The ``"closure"`` outcome as a stage: close at once."""
        self.close(kids, kind, family)
        yield from ()

    def protected(self, family: Family) -> bool:
        """Is ``family`` within the window in which its early help protects it?"""
        return family.protected_from <= now_of(self._queue, self.env) < family.protected_to

    def escalation_prevented(self, family: Family) -> bool:
        """Does the family's early help stop this escalation (to s47 or care)?"""
        if self.protected(family) and family.random() < self.s.early_help.escalation_reduction:
            self.rec.count("escalations_prevented_by_early_help", self.env.now)
            return True
        return False

    # ============================================================ month end
    def snapshot(self, month: int) -> None:
        """Month-end stocks of every stage (and anything a stage group records itself)."""
        self.census.snapshot(month)
        for group in self.stages.values():
            snapshot = getattr(group, "snapshot", None)
            if snapshot is not None:
                snapshot(month)

    def audit(self) -> dict[str, int]:
        return self.census.audit()
