"""Allocation policies: which eligible worker a team manager gives a waiting case to.

A policy is any object with ``choose(workers, case) -> Worker``; it only ever sees workers who are
below the applicable cap, so caps are enforced by the team, not the policy. Register your own with
:func:`register_policy` and name it in the scenario (``workforce.allocation_policy``): the names live in
:data:`caseflow.registry.ALLOCATION_POLICIES`, which the scenario schema checks, so a registered name is
accepted by validation and an unknown one is refused with the list of known names.

The default, :class:`LeastLoaded`, is also computed by the team in the same pass that checks the caps
(``Team._least_loaded``), because it runs at every allocation; the choice is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast

from caseflow.registry import ALLOCATION_POLICIES

if TYPE_CHECKING:
    from caseflow.model.workforce.team import Case
    from caseflow.model.workforce.worker import Worker

__all__ = [
    "FIRST_AVAILABLE",
    "LEAST_LOADED",
    "MOST_CAPACITY",
    "AllocationPolicy",
    "FirstAvailable",
    "LeastLoaded",
    "MostCapacity",
    "get_policy",
    "register_policy",
]


class AllocationPolicy(Protocol):
    def choose(self, workers: Sequence[Worker], case: Case) -> Worker: ...


class LeastLoaded:
    """The worker with the fewest children per FTE (ties: longest-serving first)."""

    @staticmethod
    def key(w: Worker) -> tuple[float, int]:
        return (w.caseload / w.fte, w.id)

    def choose(self, workers: Sequence[Worker], case: Case) -> Worker:
        return min(workers, key=self.key)


class MostCapacity:
    """The worker with the least active work for their hours (ties: fewest children)."""

    @staticmethod
    def key(w: Worker) -> tuple[float, int, int]:
        return (w.load / max(w.base_rate, 1e-9), w.caseload, w.id)

    def choose(self, workers: Sequence[Worker], case: Case) -> Worker:
        return min(workers, key=self.key)


class FirstAvailable:
    """The first worker on the team list who is below cap (fills workers one at a time)."""

    def choose(self, workers: Sequence[Worker], case: Case) -> Worker:
        return workers[0]


#: The built-in policies, registered by name in :data:`caseflow.registry.ALLOCATION_POLICIES`.
LEAST_LOADED = LeastLoaded()
MOST_CAPACITY = MostCapacity()
FIRST_AVAILABLE = FirstAvailable()


def register_policy(name: str, policy: AllocationPolicy) -> None:
    """Make ``policy`` available under ``name``: scenarios may then name it (validation accepts it)."""
    if not callable(getattr(policy, "choose", None)):
        raise TypeError(f"an allocation policy needs a choose(workers, case) method, got {policy!r}")
    ALLOCATION_POLICIES.register(name, policy)


def get_policy(name: str) -> AllocationPolicy:
    """The policy registered as ``name`` (:class:`ValueError` listing the known names if none)."""
    return cast("AllocationPolicy", ALLOCATION_POLICIES.get(name))
