"""What a run records: event counts and tallies by month, and stocks at each month end.

The model writes here; :mod:`caseflow.metrics` turns these records into KPIs. Memory is bounded by the
number of months and events that carry a value (durations, flags), not by simulated time in general.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

__all__ = ["Recorder"]


class Recorder:
    """Per-month counters, tallies and month-end stocks for one replication."""

    def __init__(self, n_months: int, month_of_day: Sequence[int]) -> None:
        """``month_of_day[d]`` maps each simulated day ``0 <= d < days`` to its month number."""
        self.n_months = n_months
        self._month_of_day = month_of_day
        self._days = len(month_of_day)
        self.counts: defaultdict[str, list[float]] = defaultdict(lambda: [0.0] * n_months)
        self.tallies: defaultdict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        self.stocks: defaultdict[str, list[float]] = defaultdict(lambda: [0.0] * n_months)
        self.events = 0

    def month(self, t: float) -> int:
        return self._month_of_day[int(t)]

    def count(self, name: str, t: float, n: float = 1) -> None:
        """Add ``n`` to counter ``name`` in the month containing ``t`` (ignored outside the run)."""
        if 0 <= t < self._days:
            self.counts[name][self._month_of_day[int(t)]] += n

    def add(self, name: str, month: int, value: float) -> None:
        """Add ``value`` to counter ``name`` for ``month`` directly (e.g. a month's accrued cost)."""
        self.counts[name][month] += value

    def tally(self, name: str, t: float, value: float) -> None:
        """Record one observation of ``name`` (a duration, a 0/1 flag) in the month containing ``t``."""
        if 0 <= t < self._days:
            months, values = self.tallies[name]
            months.append(self._month_of_day[int(t)])
            values.append(value)

    def stock(self, name: str, month: int, value: float) -> None:
        """Record the level of ``name`` at the end of ``month``."""
        self.stocks[name][month] = value
