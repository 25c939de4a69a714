"""Children and families, and where each child is in the system.

A contact concerns a *family* of one or more children (a sibling group); decisions up to the plan are
taken for the family, and everything is *counted* per child, as DfE counts. Each child keeps a short,
cheap history (last referral, number of CP plans) for re-referral and repeat-plan measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum, StrEnum
from typing import Final

from caseflow.streams import DrawBlock

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "Activity",
    "CareEntry",
    "Child",
    "ClosureKind",
    "Family",
    "Stage",
]

DAYS_PER_YEAR: Final = 365.25
DAYS_PER_MONTH: Final = DAYS_PER_YEAR / 12


class Stage(IntEnum):
    """Where a child is. Every child is in exactly one stage at any moment."""

    FRONT_DOOR = 0  # contact being decided or screened in MASH
    EARLY_HELP = 1  # non-statutory early-help episode
    ASSESSMENT = 2  # referred: awaiting or in single assessment
    S47 = 3  # strategy discussion / s47 enquiry / awaiting ICPC
    CIN_PLAN = 4  # child in need plan (s17)
    CP_PLAN = 5  # child protection plan
    LOOKED_AFTER = 6  # child looked after (in care)
    CLOSED = 7  # known to the LA, nothing open (may come back)
    LEFT = 8  # left the system: 18th birthday, adopted, moved away
    PRE_PROCEEDINGS = 9  # pre-proceedings under the Public Law Outline (after a plan)
    PROCEEDINGS = 10  # care proceedings issued, child at home until the final order

    @property
    def is_child_in_need(self) -> bool:
        """DfE counts a child as in need from referral until the episode closes (CP, CLA and children
        in pre-proceedings or proceedings included)."""
        return _IN_NEED[self]


class Activity(StrEnum):
    """What a team holds a child's case for: it decides the team, the queue priority and the visits."""

    ASSESSMENT = "assessment"
    CIN_PLAN = "cin_plan"
    CP_PLAN = "cp_plan"
    LOOKED_AFTER = "looked_after"
    CARE_LEAVER = "care_leaver"


class ClosureKind(StrEnum):
    """The point at which a family's involvement closed; each has its own chance of coming back."""

    FRONT_DOOR = "front_door"
    EARLY_HELP = "early_help"
    ASSESSMENT = "assessment"
    PLAN = "plan"


class CareEntry(StrEnum):
    """How a child came into care (counted as ``cla_starts_<entry>``)."""

    FROM_CP_PLAN = "from_cp_plan"
    FROM_CIN_PLAN = "from_cin_plan"
    EMERGENCY = "emergency"
    UASC = "uasc"
    INTERIM_CARE_ORDER = "interim_care_order"  # at the issue of care proceedings
    CARE_ORDER = "care_order"  # at the final order (care or placement order) of a child at home
    AT_BIRTH = "at_birth"  # a baby on an unborn CP plan removed at birth (without court work modelled)
    OPENING = "opening"  # in care when the run starts (not counted as a start)


#: Stages that make a family "open": a new contact goes to the allocated worker, not a new referral.
OPEN_STAGES: Final = frozenset(
    {
        Stage.FRONT_DOOR,
        Stage.ASSESSMENT,
        Stage.S47,
        Stage.CIN_PLAN,
        Stage.CP_PLAN,
        Stage.LOOKED_AFTER,
        Stage.PRE_PROCEEDINGS,
        Stage.PROCEEDINGS,
    }
)


class Child:
    """A child known to children's social care: their stage, history and family.

    A plain class rather than a dataclass: compiled (:mod:`caseflow.kernel`), a dataclass's generated
    ``__init__`` would still run as Python, once for every child of the run.
    """

    __slots__ = (
        "cp_plans",
        "dob",
        "family_id",
        "id",
        "last_referral",
        "since",
        "stage",
        "worker",
        "worker_starts",
    )

    def __init__(
        self,
        id: int,
        dob: float,
        stage: Stage = Stage.CLOSED,
        last_referral: float = float("-inf"),
        cp_plans: int = 0,
        family_id: int = -1,
        since: float = 0.0,
    ) -> None:
        self.id = id
        self.dob = dob  # simulation time of birth (days; negative for children born before the run)
        self.stage = stage
        self.last_referral = last_referral
        self.cp_plans = cp_plans
        #: the family's id. A child does not refer to its Family object: the family lists its
        #: children, and a back-reference would make every family a reference cycle that only
        #: Python's cyclic garbage collector can free (a measurable cost, docs/performance.md).
        #: Processes that need the family (a child in care who may return home) carry it themselves.
        self.family_id = family_id
        self.since = since  # when the child entered their current stage
        #: the id of the child's most recent social worker (-1: none yet), and the times a new worker
        #: started with them (the last twelve months and the one start before; None: none yet). Kept on
        #: the child, not in dictionaries by child id, so they go when the child can no longer return.
        self.worker = -1
        self.worker_starts: list[float] | None = None

    def __repr__(self) -> str:
        return f"Child(id={self.id}, dob={self.dob!r}, stage={self.stage!s}, family_id={self.family_id})"

    def age(self, t: float) -> float:
        """Age in years at time ``t``."""
        return (t - self.dob) / DAYS_PER_YEAR

    def birthday(self, years: int) -> float:
        """Simulation time of the child's ``years``-th birthday."""
        return self.dob + years * DAYS_PER_YEAR


class Family:
    """A sibling group, with its own random draws.

    Every decision about a family (and its children) takes the family's next uniform from ``rng``, a
    block drawn when the family first appears, in arrival order. So the same family meets the same
    fortunes in every scenario of a comparison, whatever the timing of events around it: common random
    numbers hold at the level of the family, not just the stream. (A plain class, as :class:`Child`.)
    """

    __slots__ = ("children", "id", "protected_from", "protected_to", "rng")

    def __init__(
        self,
        id: int,
        children: list[Child] | None = None,
        protected_from: float = float("inf"),
        protected_to: float = float("-inf"),
        rng: DrawBlock | None = None,
    ) -> None:
        self.id = id
        self.children: list[Child] = [] if children is None else children
        #: window in which early help the family received lowers its chances of coming back or escalating
        self.protected_from = protected_from
        self.protected_to = protected_to
        # the family's own draws; typed, so that compiled code calls them directly rather than looking up a
        # method on an object of any type (bit-identical; docs/performance.md)
        self.rng = rng

    def __repr__(self) -> str:
        return f"Family(id={self.id}, children={[c.id for c in self.children]})"

    # -- the RandomSource interface the samplers use, delegated to the family's draws
    def _draws(self) -> DrawBlock:
        rng = self.rng
        if rng is None:
            raise ValueError(f"family {self.id} was made without its own draws (rng)")
        return rng

    def random(self) -> float:
        return self._draws().random()

    def choice(self, cumulative: Sequence[float]) -> int:
        return self._draws().choice(cumulative)

    def exponential(self, mean: float) -> float:
        return self._draws().exponential(mean)

    def gamma(self, shape: float, mean: float) -> float:
        return self._draws().gamma(shape, mean)

    def under_18(self, t: float) -> list[Child]:
        adult = 18 * DAYS_PER_YEAR
        return [c for c in self.children if t - c.dob < adult and c.stage is not Stage.LEFT]

    def is_open(self) -> bool:
        open_ = _OPEN
        return any(open_[c.stage] for c in self.children)


#: ``_IN_NEED[stage]``: is a child in this stage a child in need (DfE)?
_IN_NEED: Final[tuple[bool, ...]] = tuple(
    Stage.ASSESSMENT <= s <= Stage.LOOKED_AFTER or s in (Stage.PRE_PROCEEDINGS, Stage.PROCEEDINGS)
    for s in Stage
)

#: ``_OPEN[stage]``: is a child in this stage part of an open case? (Indexing is faster than hashing an
#: enum member on this hot path.)
_OPEN: Final[tuple[bool, ...]] = tuple(s in OPEN_STAGES for s in Stage)
