"""Allocation policies: which eligible worker a team manager gives a waiting case to.

A policy is any object with ``choose(workers, case) -> Worker``; it only ever sees workers who are
below the applicable cap, so caps are enforced by the team, not the policy. Register your own with
:func:`register_policy` and name it in the scenario (``workforce.allocation_policy``).

A policy that picks "the eligible worker with the smallest ``key(worker)``" may say so by also
defining ``key``: the team then finds that worker in the same pass that checks the caps, without
building a list of eligible workers first. The choice is the same as ``choose`` would make (keys
must be unique, so include the worker id); only the work of finding it is less.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from caseflow.workforce.team import Case
    from caseflow.workforce.worker import Worker

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


def _smallest(workers: Sequence[Worker], key: Callable[[Worker], Any]) -> Worker:
    return min(workers, key=key)


class LeastLoaded:
    """The worker with the fewest children per FTE (ties: longest-serving first)."""

    @staticmethod
    def key(w: Worker) -> tuple[float, int]:
        return (w.caseload / w.fte, w.id)

    def choose(self, workers: Sequence[Worker], case: Case) -> Worker:
        return _smallest(workers, self.key)


class MostCapacity:
    """The worker with the least active work for their hours (ties: fewest children)."""

    @staticmethod
    def key(w: Worker) -> tuple[float, int, int]:
        return (w.load / max(w.base_rate, 1e-9), w.caseload, w.id)

    def choose(self, workers: Sequence[Worker], case: Case) -> Worker:
        return _smallest(workers, self.key)


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
