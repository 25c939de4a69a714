"""What a run records: event counts and tallies by month, stocks at each month end, and levels
integrated over time.

The model writes here; :mod:`caseflow.metrics` turns these records into KPIs. Memory is bounded by the
number of months and events that carry a value (durations, flags), not by simulated time in general.
:class:`TimeWeighted` is the one time-weighted accumulator: FTE in post, children in each placement,
early-help key workers and children waiting for allocation are integrated over time with it (FTE-days,
child-days), for costs and average levels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

__all__ = ["Names", "Recorder", "TimeWeighted"]


class Recorder:
    """Per-month counters, tallies and month-end stocks for one replication."""

    def __init__(self, n_months: int, month_of_day: Sequence[int]) -> None:
        """``month_of_day[d]`` maps each simulated day ``0 <= d < days`` to its month number."""
        self.n_months = n_months
        # a list, typed so: compiled, a day's month is then read without a generic lookup and without making
        # an integer object for the day (bit-identical; docs/performance.md)
        self._month_of_day: list[int] = list(month_of_day)
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


class Names(dict[str, str]):
    """Record names made from a key, each built once: ``Names("contacts_from_")["police"]`` is
    ``"contacts_from_police"``. Naming a counter or tally on the hot path by formatting a string would
    build and hash a new string every time."""

    def __init__(self, prefix: str = "", suffix: str = "") -> None:
        super().__init__()
        self.prefix = prefix
        self.suffix = suffix

    def __missing__(self, key: str) -> str:
        name = self[key] = self.prefix + key + self.suffix
        return name


class TimeWeighted:
    """Levels (by key) that change at instants, and their integrals over time since last taken.

    ``add``/``set`` first bring every key's integral up to ``now`` (level × days since the last change
    of any key), then change one level; :meth:`take` returns the integrals (e.g. FTE-days by pay
    category) and starts them again from zero. Times must not go backwards.
    """

    __slots__ = ("_area", "_last", "level")

    def __init__(self, start: float = 0.0) -> None:
        #: the current level of each key
        self.level: defaultdict[str, float] = defaultdict(float)
        self._area: defaultdict[str, float] = defaultdict(float)
        self._last = start

    def tick(self, now: float) -> None:
        """Integrate every level up to ``now``."""
        dt = now - self._last
        if dt > 0:
            area = self._area
            for k, v in self.level.items():
                area[k] += v * dt
        self._last = now

    def add(self, key: str, delta: float, now: float) -> None:
        """Change ``key``'s level by ``delta`` at time ``now``."""
        self.tick(now)
        self.level[key] += delta

    def set(self, key: str, value: float, now: float) -> None:
        """Set ``key``'s level to ``value`` at time ``now``."""
        self.tick(now)
        self.level[key] = value

    def take(self, now: float) -> dict[str, float]:
        """Each key's level × days since the last call (keys in the order they first had a level)."""
        self.tick(now)
        out = dict(self._area)
        self._area.clear()
        return out
