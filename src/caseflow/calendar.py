"""Simulation clock ↔ calendar: working days, months and financial years.

Simulation time is measured in **calendar days** as a float; ``t = 0.0`` is midnight at the start of
the scenario's ``start_date``. Day ``d`` is the interval ``[d, d + 1)``.

Statutory clocks (assessments within 45 working days, ICPCs within 15) run in **working days**:
Monday to Friday, excluding England and Wales bank holidays taken from the maintained
`holidays <https://pypi.org/project/holidays/>`_ package (``country_holidays("GB", subdiv="ENG")``),
never from a hand-typed list. The package's answer for 1980 to 2100 (the last year it knows) is kept
in a table generated from it (``england_bank_holidays.txt``, written by ``scripts/bank_holidays.py``
and checked against the installed package by the tests), because finding the package's United Kingdom
rules loads its whole registry of countries; other years are asked of the package (:func:`bank_holidays`).

Working days *between* two times are counted as DfE counts assessment durations: the number of working
days after the start day up to and including the end day, so an assessment started and completed on the
same day took 0 working days and one completed the next working day took 1.

Reporting is by **financial year** (1 April to 31 March, labelled by the calendar year in which it ends,
as DfE labels "2025" for April 2024 to March 2025) and by calendar month; stocks are taken at period end.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BANK_HOLIDAY_YEARS",
    "Calendar",
    "ContinuousClock",
    "bank_holiday_table_text",
    "bank_holiday_table_version",
    "bank_holidays",
    "financial_year_of",
    "package_bank_holidays",
    "quarter_label",
    "read_bank_holiday_table",
]

#: The years the bank-holiday table covers, first and last (a run's calendar, lead days and the years
#: after its end included, stays within them unless its dates are near the limits of docs/limits.md).
BANK_HOLIDAY_YEARS: Final = (1980, 2100)
#: The table, in the caseflow package: one bank holiday a line, ``YYYY-MM-DD name``; ``#`` lines are
#: comments.
BANK_HOLIDAY_FILE: Final = "england_bank_holidays.txt"

#: How the table's header names the package version it was generated from.
_GENERATED: Final = "# Generated from the holidays package "

_table: dict[int, list[dt.date]] | None = None  # the table by year, read when first needed


def bank_holidays(first_year: int, last_year: int) -> set[dt.date]:
    """England and Wales bank holidays (substitute days included) of the years ``first_year`` to
    ``last_year``: from the table where it covers them, otherwise from the ``holidays`` package."""
    lo, hi = BANK_HOLIDAY_YEARS
    if first_year < lo or last_year > hi:
        return set(package_bank_holidays(first_year, last_year))
    global _table
    if _table is None:
        _table = _read_table(_table_text())
    out: set[dt.date] = set()
    for year in range(first_year, last_year + 1):
        out.update(_table.get(year, ()))
    return out


def bank_holiday_table_version() -> str:
    """The version of the ``holidays`` package the table was generated from, as its header says."""
    for line in _table_text().splitlines():
        if line.startswith(_GENERATED):
            return line[len(_GENERATED) :].split(",", 1)[0]
    return "unknown"


def _table_text() -> str:
    return files("caseflow").joinpath(BANK_HOLIDAY_FILE).read_text(encoding="utf-8")


def package_bank_holidays(first_year: int, last_year: int) -> dict[dt.date, str]:
    """The ``holidays`` package's England and Wales bank holidays (date → name) of those years."""
    import holidays

    return dict(holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1)))


def read_bank_holiday_table(text: str) -> list[dt.date]:
    """The dates of a bank-holiday table's text, in its order (comments and names left out)."""
    return [
        dt.date.fromisoformat(line[:10]) for line in text.splitlines() if line and not line.startswith("#")
    ]


def _read_table(text: str) -> dict[int, list[dt.date]]:
    by_year: dict[int, list[dt.date]] = {}
    for day in read_bank_holiday_table(text):
        by_year.setdefault(day.year, []).append(day)
    return by_year


def bank_holiday_table_text(bank: Mapping[dt.date, str], version: str) -> str:
    """The table's text for ``bank`` (date → name), made by version ``version`` of the package."""
    first, last = BANK_HOLIDAY_YEARS
    lines = [
        f"# England and Wales bank holidays, {first} to {last}: one a line, its date and its name.",
        f'{_GENERATED}{version}, country_holidays("GB", subdiv="ENG"),',
        "# substitute days included, by scripts/bank_holidays.py. Do not edit by hand: run the script.",
    ]
    lines += [f"{day.isoformat()} {bank[day]}" for day in sorted(bank)]
    return "\n".join(lines) + "\n"


def financial_year_of(date: dt.date) -> int:
    """The financial year containing ``date``, labelled by the year in which it ends (31 March)."""
    return date.year + 1 if date.month >= 4 else date.year


def quarter_label(month: str) -> tuple[str, str]:
    """``"2026-05"`` → ``("2026-27", "2026-27 Q1")``: financial year and quarter (Q1 = April–June)."""
    year, mon = int(month[:4]), int(month[5:7])
    start = year if mon >= 4 else year - 1
    fy = f"{start}-{(start + 1) % 100:02d}"
    return fy, f"{fy} Q{(mon - 4) % 12 // 3 + 1}"


@dataclass(frozen=True)
class Calendar:
    """Working-day and reporting calendar for one run.

    ``days`` is the number of days covered from ``start_date``; lookups beyond it raise ``IndexError``
    so a clock can never silently run off the end of the calendar. Build it a few years longer than the
    run so that due dates after the end of the run can still be computed. ``lead_days`` adds history
    before ``start_date`` (negative times) for the opening caseload's elapsed clocks.
    """

    start_date: dt.date
    days: int
    lead_days: int = 0
    _working: npt.NDArray[np.bool_] = field(init=False, repr=False, compare=False)
    _cum: npt.NDArray[np.int64] = field(init=False, repr=False, compare=False)
    _wd_index: npt.NDArray[np.int64] = field(init=False, repr=False, compare=False)
    _w: list[bool] = field(init=False, repr=False, compare=False)
    _c: list[int] = field(init=False, repr=False, compare=False)
    _wi: list[int] = field(init=False, repr=False, compare=False)  # working days as simulation days

    def __post_init__(self) -> None:
        if self.days <= 0 or self.lead_days < 0:
            raise ValueError("a calendar needs at least one day and non-negative lead_days")
        first = self.start_date - dt.timedelta(days=self.lead_days)
        n = self.days + self.lead_days
        end = first + dt.timedelta(days=n)
        bank_days = bank_holidays(first.year, end.year)
        dates = [first + dt.timedelta(days=i) for i in range(n)]
        working = np.fromiter((d.weekday() < 5 and d not in bank_days for d in dates), dtype=bool, count=n)
        # _cum[d] = number of working days among days 0..d inclusive.
        cum = np.cumsum(working, dtype=np.int64)
        object.__setattr__(self, "_working", working)
        object.__setattr__(self, "_cum", cum)
        object.__setattr__(self, "_wd_index", np.flatnonzero(working).astype(np.int64))
        # Plain-list mirrors for fast scalar lookups on the simulation's hot path.
        object.__setattr__(self, "_w", working.tolist())
        object.__setattr__(self, "_c", cum.tolist())
        object.__setattr__(self, "_wi", (np.flatnonzero(working) - self.lead_days).tolist())

    # ---------------------------------------------------------------- dates
    def _day(self, t: float) -> int:
        """Array index of the day containing time ``t``."""
        i = math.floor(t) + self.lead_days  # floor first: t + lead_days could round up to the next day
        if i < 0:
            raise IndexError(f"time {t} is before the calendar starts")
        return i

    def date(self, t: float) -> dt.date:
        """Calendar date of simulation time ``t``."""
        return self.start_date + dt.timedelta(days=math.floor(t))

    def time(self, date: dt.date) -> float:
        """Simulation time at the start (midnight) of ``date``."""
        return float((date - self.start_date).days)

    def is_working_day(self, t: float) -> bool:
        return self._w[self._day(t)]

    @property
    def working_mask(self) -> npt.NDArray[np.bool_]:
        """Boolean array, one entry per day: is it a working day?"""
        return self._working

    # --------------------------------------------------------- working days
    def working_days_between(self, t0: float, t1: float) -> int:
        """Working days after the day of ``t0`` up to and including the day of ``t1``."""
        return self._c[self._day(t1)] - self._c[self._day(t0)]

    def add_working_days(self, t: float, n: int) -> float:
        """Start (midnight) of the ``n``-th working day after the day of ``t``.

        ``n = 0`` gives the start of the day of ``t`` itself. A deadline "within 15 working days" of ``t``
        is met by anything done before ``add_working_days(t, 15) + 1``.
        """
        if n < 0:
            raise ValueError("n must be non-negative")
        if n == 0:
            return float(math.floor(t))
        return float(self._wi[self.working_days_to(t) + n - 1])

    def working_days_to(self, t: float) -> int:
        """Working days from the calendar's first day up to and including the day of ``t``.

        ``add_working_days(t, n) == working_day_start(working_days_to(t) + n - 1)`` for ``n >= 1``: take
        this once to find several deadlines from the same day.
        """
        return self._c[self._day(t)]

    def working_day_start(self, k: int) -> float:
        """Start (midnight) of the calendar's ``k``-th working day (0-based)."""
        return float(self._wi[k])

    def complete_after(self, t: float, working_days: float) -> float:
        """Completion time of work clocked from ``t`` that takes ``working_days`` (a DfE-style count).

        The whole part says on which working day the work completes (0 = the day of ``t``, 1 = the
        next working day, …) and the fraction is the time of day, never before ``t``. So
        ``working_days_between(t, complete_after(t, x)) == floor(x)`` when ``t`` is on a working day,
        which is how durations published in DfE's working-day bands are reproduced exactly.
        """
        if working_days < 0:
            raise ValueError("working_days must be non-negative")
        n = int(working_days)
        day = self.add_working_days(t, n)
        done = day + (working_days - n)
        if done >= day + 1.0:  # a fraction within an ulp of 1 must not roll over into the next day
            done = math.nextafter(day + 1.0, day)
        return max(done, t)

    def next_working_day_start(self, t: float) -> float:
        """Start of the first working day at or after time ``t`` (``t`` itself if already in one)."""
        d = self._day(t)
        if self._w[d]:
            return t
        k = self._c[d]  # d is not working, so this counts working days before d: the next one
        return float(self._wi[k])

    def advance_working_time(self, t: float, working_days: float) -> float:
        """Time reached by doing ``working_days`` of work starting at ``t``, pausing on non-working days.

        Fractional working days are spread over the working day, so 0.5 from the start of a Monday
        ends at Monday noon, and 1.5 from Friday noon ends at Monday midnight + 1 day (end of Monday).
        """
        if working_days < 0:
            raise ValueError("working_days must be non-negative")
        t = self.next_working_day_start(t)
        d = self._day(t)
        day_start = math.floor(t)
        whole_plus_frac = (t - day_start) + working_days
        steps = int(whole_plus_frac)
        rem = whole_plus_frac - steps
        if steps == 0:
            return day_start + rem
        k = self._c[d] - 1 + steps  # working-day index of the day reached
        return float(self._wi[k]) + rem

    # ------------------------------------------------------------ reporting
    @cached_property
    def month_ends(self) -> list[float]:
        """Simulation times of each month end (midnight after the last day of the month) in range."""
        out: list[float] = []
        y, m = self.start_date.year, self.start_date.month
        while True:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            t = self.time(dt.date(y, m, 1))
            if t > self.days:
                return out
            out.append(t)

    def month_label(self, t: float) -> str:
        """``"YYYY-MM"`` of the month containing time ``t``."""
        d = self.date(t)
        return f"{d.year:04d}-{d.month:02d}"

    def financial_year(self, t: float) -> int:
        """Financial year (labelled by its ending year) containing time ``t``."""
        return financial_year_of(self.date(t))

    @cached_property
    def month_index(self) -> list[int]:
        """``month_index[d]`` is the month number (0 = the start month) of day ``d >= 0``."""
        y0, m0 = self.start_date.year, self.start_date.month
        out: list[int] = []
        for i in range(self.days):
            d = self.start_date + dt.timedelta(days=i)
            out.append((d.year - y0) * 12 + d.month - m0)
        return out

    def month_start(self, k: int) -> dt.date:
        """First day of month ``k`` after the start month."""
        y, m = divmod(self.start_date.month - 1 + k, 12)
        return dt.date(self.start_date.year + y, m + 1, 1)

    # ------------------------------------------------------------ working time
    def working_time(self, t: float) -> float:
        """Working days elapsed since the calendar's first day, as a continuous clock.

        It advances one unit per working day (linearly through the day) and stands still on weekends
        and bank holidays. Workers' hours are spent on this clock.
        """
        day = math.floor(t)
        d = day + self.lead_days  # as _day(t), inlined: this is on the simulation's hottest path
        if d < 0:
            raise IndexError(f"time {t} is before the calendar starts")
        if self._w[d]:
            return self._c[d] - 1 + (t - day)
        return float(self._c[d])

    def real_time(self, wt: float) -> float:
        """Inverse of :meth:`working_time`: the simulation time at which working time ``wt`` is reached."""
        k = int(wt)
        return self._wi[k] + (wt - k)


class ContinuousClock:
    """A clock on which every moment is working time (for queueing-theory checks and tests)."""

    def working_time(self, t: float) -> float:
        return t

    def real_time(self, wt: float) -> float:
        return wt
