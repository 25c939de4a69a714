"""When a change in demand takes effect: for the whole period, or from a date, at once or phased in.

The demand lever (``contacts_change`` in :mod:`caseflow.app.levers`) is a percentage change in contacts
about new concerns. By default it holds for the whole period: the option's
``demand.contacts_per_year`` is the baseline's times (1 + change). A :class:`DemandTiming` with a
``start`` makes it a time-phased change instead, a ``[[changes]]`` entry (docs/scenarios.md §4.1)
added to those the scenario already has:

- ``ramp_months = 0``: a step, the whole change from ``start``;
- ``ramp_months = n``: a ramp, ``n`` equal monthly steps, the first on ``start`` (1/n of the change)
  and the full change from ``n − 1`` months later, which is how the scenario's changes ramp.

The change is a ``factor`` on the contacts in force on ``start``, so it composes with the baseline's
own changes to contacts exactly as a whole-period change does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from caseflow.scenario.schema import Scenario

__all__ = ["DEMAND_FIELD", "MAX_RAMP_MONTHS", "WHERE", "DemandTiming", "LeverError", "too_early"]

#: The scenario field the demand lever changes.
DEMAND_FIELD = "demand.contacts_per_year"
#: The longest phasing-in the page offers: ten years, the longest run the app allows.
MAX_RAMP_MONTHS = 120
#: What a problem with the timing is called on the page.
WHERE = "Change in contacts: when"


def too_early(scenario: Scenario, day: dt.date, verb: str = "start") -> str | None:
    """What is wrong with ``day`` as the first day of a change in ``scenario``: before the simulation
    starts ("must start on or after 1 April 2025, …"; ``verb`` for "be"); None if nothing."""
    first = scenario.run.start_date
    return None if day >= first else f"must {verb} on or after {first:%-d %B %Y}, when the simulation starts"


class LeverError(ValueError):
    """A lever's value, or the demand change's timing, cannot be used. ``problems`` lists ``(lever
    label, what is wrong)``. (Defined here, below :mod:`caseflow.app.levers`, which raises it too.)"""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))


@dataclass(frozen=True)
class DemandTiming:
    """From ``start`` (None: the whole period), phased in over ``ramp_months`` equal monthly steps (0:
    all at once)."""

    start: dt.date | None = None
    ramp_months: int = 0

    @property
    def whole_period(self) -> bool:
        return self.start is None

    def check(self, scenario: Scenario) -> None:
        """:class:`LeverError` if the timing cannot be used in ``scenario``, saying what is allowed."""
        problems = []
        ramp = self.ramp_months
        if isinstance(ramp, bool) or not isinstance(ramp, int) or not 0 <= ramp <= MAX_RAMP_MONTHS:
            problems.append(
                (WHERE, f"months to phase the change in must be a whole number from 0 to {MAX_RAMP_MONTHS}")
            )
        if self.start is None:
            if ramp:
                problems.append((WHERE, "give the date the change starts from to phase it in"))
        elif (early := too_early(scenario, self.start)) is not None:
            problems.append((WHERE, early))
        if problems:
            raise LeverError(problems)

    def describe(self) -> str:
        """When, in words: "from 1 April 2026, in 6 equal monthly steps (the full change from 1 September
        2026)"."""
        if self.start is None:
            return "for the whole period"
        when = f"from {self.start:%-d %B %Y}"
        if self.ramp_months <= 1:
            return when
        return (
            f"{when}, in {self.ramp_months} equal monthly steps (the full change from "
            f"{self.full_from():%-d %B %Y})"
        )

    def full_from(self) -> dt.date | None:
        """The day the whole change is in force (None: from the start of the run)."""
        if self.start is None:
            return None
        # the last of the ramp's monthly steps, dated as caseflow.scenario.timeline dates them
        months = self.start.month - 1 + max(self.ramp_months - 1, 0)
        year, month = self.start.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(self.start.day, 28))

    def change(self, scenario: Scenario, change_pct: float) -> dict[str, Any]:
        """The ``[[changes]]`` entry for a change of ``change_pct`` per cent in contacts."""
        self.check(scenario)
        if self.start is None:
            raise LeverError([(WHERE, "a change for the whole period is not a dated change")])
        entry: dict[str, Any] = {
            "date": self.start,
            "field": DEMAND_FIELD,
            "factor": 1 + change_pct / 100,
        }
        if self.ramp_months > 1:
            entry["ramp_months"] = self.ramp_months
        return entry
