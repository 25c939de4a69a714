"""Where every child is: stage counts, per-case records, the conservation audit and stock snapshots.

The census is the pathway's bookkeeping, kept apart from what happens to children. Every stage moves
children with :meth:`Census.move`; the census keeps the count of children in each :class:`Stage`, one
record per finished stage episode when asked to, and the children in care (whom the workforce's
continuity measure needs at each month end).
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from caseflow.model.entities import Child, Stage
from caseflow.records import Recorder

__all__ = ["RECORDED_STAGES", "CaseRecord", "Census"]

#: Stages whose episodes appear in per-case records.
RECORDED_STAGES: Final = frozenset(
    {
        Stage.EARLY_HELP,
        Stage.ASSESSMENT,
        Stage.S47,
        Stage.CIN_PLAN,
        Stage.CP_PLAN,
        Stage.LOOKED_AFTER,
        Stage.PRE_PROCEEDINGS,
        Stage.PROCEEDINGS,
    }
)

#: (child, family, stage, start, end, next stage) of one stage episode.
CaseRecord = tuple[int, int, str, float, float, str]

#: Stocks recorded at each month end: (record name, stages counted).
_STOCKS: Final[tuple[tuple[str, tuple[Stage, ...]], ...]] = (
    ("cin_open_end", tuple(s for s in Stage if s.is_child_in_need)),
    ("cp_plans_open_end", (Stage.CP_PLAN,)),
    ("cla_open_end", (Stage.LOOKED_AFTER,)),
    ("cin_plans_open_end", (Stage.CIN_PLAN,)),
    ("assessments_open_end", (Stage.ASSESSMENT,)),
    ("s47_open_end", (Stage.S47,)),
    ("early_help_open_end", (Stage.EARLY_HELP,)),
    ("front_door_open_end", (Stage.FRONT_DOOR,)),
    ("pre_proceedings_open_end", (Stage.PRE_PROCEEDINGS,)),
    ("proceedings_at_home_open_end", (Stage.PROCEEDINGS,)),
)


class Census:
    """Counts of children by stage, kept exact as children move; records and audits on request."""

    def __init__(self, recorder: Recorder, *, track_children: bool = False, records: bool = False) -> None:
        self.rec = recorder
        self.stage_counts = [0] * len(Stage)
        self.children_entered = 0
        #: every child, when tracked (tests, per-case analysis)
        self.children: list[Child] | None = [] if track_children or records else None
        #: one record per finished episode in a :data:`RECORDED_STAGES` stage, when records are kept
        self.case_records: list[CaseRecord] | None = [] if records else None
        #: children looked after now, by child id
        self.looked_after: dict[int, Child] = {}

    def enter(self, child: Child) -> None:
        """A new child known to the authority (in stage CLOSED until something opens)."""
        self.children_entered += 1
        self.stage_counts[Stage.CLOSED] += 1
        if self.children is not None:
            self.children.append(child)

    def move(self, children: list[Child], stage: Stage, now: float) -> None:
        """``children`` enter ``stage`` at time ``now``; a finished recorded episode is recorded."""
        counts = self.stage_counts
        records = self.case_records
        for c in children:
            old = c.stage
            counts[old] -= 1
            counts[stage] += 1
            c.stage = stage
            if records is not None and old is not stage and old in RECORDED_STAGES:
                records.append((c.id, c.family_id, old.name.lower(), c.since, now, stage.name.lower()))
            c.since = now

    def open_case_records(self) -> list[CaseRecord]:
        """Records of the episodes still open (end NaN), for per-case output at the end of a run."""
        if self.children is None:
            return []
        nan = float("nan")
        return [
            (c.id, c.family_id, c.stage.name.lower(), c.since, nan, "")
            for c in self.children
            if c.stage in RECORDED_STAGES
        ]

    def snapshot(self, month: int) -> None:
        """Record the month-end stocks (children in each stage; CIN counts every stage from referral)."""
        counts = self.stage_counts
        for name, stages in _STOCKS:
            self.rec.stock(name, month, sum(counts[s] for s in stages))

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
