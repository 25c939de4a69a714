"""Allocation policies: which eligible worker a team manager gives a waiting case to.

A policy is any object with ``choose(workers, case) -> Worker``; it only ever sees workers who are
below the applicable cap, so caps are enforced by the team, not the policy. Register your own with
:func:`register_policy` and name it in the scenario (``workforce.allocation_policy``).

The default, :class:`LeastLoaded`, is also computed by the team in the same pass that checks the caps
(``Team._least_loaded``), because it runs at every allocation; the choice is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from caseflow.model.workforce.team import Case
    from caseflow.model.workforce.worker import Worker

__all__ = [
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


_POLICIES: dict[str, AllocationPolicy] = {
    "least_loaded": LeastLoaded(),
    "most_capacity": MostCapacity(),
    "first_available": FirstAvailable(),
}


def register_policy(name: str, policy: AllocationPolicy) -> None:
    """Make ``policy`` available under ``name`` (it must also be allowed by the scenario schema)."""
    _POLICIES[name] = policy


def get_policy(name: str) -> AllocationPolicy:
    try:
        return _POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown allocation policy {name!r}; known: {', '.join(_POLICIES)}") from None
