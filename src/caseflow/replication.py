"""One replication of a scenario, everything attached: the model plus the observers that cost it.

This is the top of the composition: :func:`simulate` runs :func:`caseflow.model.simulation.run_model`
with the cost ledger attached as a month-end observer when the scenario has a ``[costs]`` section
(the model itself knows nothing of money), and with any capacity, observers or stage groups the caller
passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from caseflow.costs import CostLedger
from caseflow.model.budget import Budget
from caseflow.model.capacity import Capacity
from caseflow.model.simulation import (
    CapacityFactory,
    ObserverFactory,
    Replication,
    ReplicationOutput,
    default_capacity,
    run_model,
)
from caseflow.model.stages import DEFAULT_STAGES, StageGroup
from caseflow.model.workforce.capacity import Workforce
from caseflow.scenario.schema import Scenario

__all__ = ["cost_ledger", "simulate"]


@dataclass(frozen=True)
class _Drivers:
    staff_days: Callable[[], Mapping[str, float]] | None
    key_worker_days: Callable[[], float]
    placement_days: Callable[[], Mapping[str, float]]


def _staff_days(capacity: Capacity) -> Callable[[], Mapping[str, float]] | None:
    if isinstance(capacity, Workforce):
        return capacity.take_fte_area
    take = getattr(capacity, "take_fte_area", None)
    return take if callable(take) else None


def cost_ledger(replication: Replication) -> CostLedger:
    """The cost ledger of ``replication``: staff from its capacity, early help and placements."""
    drivers = _Drivers(
        staff_days=_staff_days(replication.capacity),
        key_worker_days=replication.front_door.take_key_worker_days,
        placement_days=replication.looked_after.take_placement_days,
    )
    return CostLedger(replication.scenario, replication.calendar, replication.recorder, drivers)


def simulate(
    scenario: Scenario,
    *,
    seed: int = 0,
    replication: int = 0,
    years: int | None = None,
    track_children: bool = False,
    audit_every_month: bool = False,
    records: bool = False,
    capacity: CapacityFactory = default_capacity,
    observers: Sequence[ObserverFactory] = (),
    stages: Sequence[type[StageGroup]] = DEFAULT_STAGES,
    budget: Budget | None = None,
) -> ReplicationOutput:
    """Run one replication of ``scenario`` and return its records, costs included.

    ``years`` overrides the scenario's reported years. ``track_children`` keeps every child object
    (for tests and per-case analysis); ``audit_every_month`` checks conservation at each month end;
    ``records`` keeps one row per stage episode of every child (open ones included at the end).
    ``capacity`` builds what does the statutory work (default: the workforce model, or sampled
    durations without one); ``observers`` are told of every month end after the cost ledger;
    ``stages`` are the pathway's stage groups. See :mod:`caseflow.model.simulation`.

    ``budget`` (:class:`caseflow.Budget`): a replication estimated to need more events or memory than
    its ceilings is refused before its first event (:class:`caseflow.RunRefusedError`; without a budget the
    default ceilings apply); one given ``seconds`` or ``events`` stops when they are spent
    (:class:`caseflow.BudgetExceededError`). Within its budget a run's results are exactly those without one.
    """
    attached: list[ObserverFactory] = [cost_ledger] if scenario.costs is not None else []
    return run_model(
        scenario,
        seed=seed,
        replication=replication,
        years=years,
        track_children=track_children,
        audit_every_month=audit_every_month,
        records=records,
        capacity=capacity,
        observers=[*attached, *observers],
        stages=stages,
        budget=budget,
    )
