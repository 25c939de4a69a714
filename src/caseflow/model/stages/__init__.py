"""The stage modules of the statutory pathway, one per stage group (see :mod:`.base`).

:data:`DEFAULT_STAGES` is the pathway :func:`caseflow.simulate` builds; pass your own list (for
example with an extra stage group) as ``stages=`` to :class:`caseflow.model.pathway.Pathway`.
"""

from caseflow.model.stages.assessment import ReferralAndAssessment
from caseflow.model.stages.base import Entry, StageGroup
from caseflow.model.stages.care_leavers import CareLeavers
from caseflow.model.stages.child_in_need import ChildInNeed
from caseflow.model.stages.child_protection import ChildProtection
from caseflow.model.stages.court import CourtWork
from caseflow.model.stages.front_door import FrontDoor
from caseflow.model.stages.looked_after import LookedAfter
from caseflow.model.stages.pre_birth import PreBirth

__all__ = [
    "DEFAULT_STAGES",
    "CareLeavers",
    "ChildInNeed",
    "ChildProtection",
    "CourtWork",
    "Entry",
    "FrontDoor",
    "LookedAfter",
    "PreBirth",
    "ReferralAndAssessment",
    "StageGroup",
]

#: The stage groups of the pathway, in the order they are built.
DEFAULT_STAGES: tuple[type[StageGroup], ...] = (
    FrontDoor,
    ReferralAndAssessment,
    ChildProtection,
    ChildInNeed,
    LookedAfter,
    CareLeavers,
    CourtWork,
    PreBirth,
)
