"""Contact arrivals: a non-homogeneous Poisson process per source, varying by month and weekday.

The expected number of families contacting from source *i* on day *d* is

    λ_i(d) = contacts_per_year × share_i × volume_i / 365.25 / mean sibling-group size
             × monthly_i[month(d)] / m̄_i × weekday[d] / w̄

where ``m̄_i`` and ``w̄`` normalise the multipliers to average 1 over the year, so the seasonal and weekly
patterns move contacts around the calendar without changing the annual volume. ``volume_i`` (1 by
default) scales one source alone: 0.7 is 30% fewer police contacts, the other sources unchanged.
Bank holidays take the ``bank_holiday`` multiplier. Each day's count is Poisson; times are uniform
within the day. Schedules are drawn up front, vectorised, from one stream per source (``arrivals.<source>``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from caseflow.calendar import Calendar
from caseflow.scenario.schema import Scenario
from caseflow.streams import Streams

__all__ = ["daily_rates", "draw_arrivals", "mean_family_size"]


def mean_family_size(scenario: Scenario) -> float:
    sib = scenario.demand.sibling_groups
    return 1 * sib.one + 2 * sib.two + 3 * sib.three + 4 * sib.four


def daily_rates(scenario: Scenario, calendar: Calendar, days: int) -> dict[str, npt.NDArray[np.float64]]:
    """Expected families contacting per day, per source, for days ``0..days-1``."""
    d = scenario.demand
    dates = [calendar.start_date + dt.timedelta(days=i) for i in range(days)]
    months = np.array([x.month - 1 for x in dates])
    weekday = np.array(d.weekday)[[x.weekday() for x in dates]]
    working = calendar.working_mask[calendar.lead_days : calendar.lead_days + days]
    is_weekday = np.array([x.weekday() < 5 for x in dates])
    weekday = np.where(is_weekday & ~working, d.bank_holiday, weekday)
    weekday = weekday / weekday.mean()
    # Days per calendar month in an average year, to normalise the monthly pattern.
    month_days = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    per_family = d.contacts_per_year / 365.25 / mean_family_size(scenario)
    out = {}
    for name, src in d.sources.items():
        monthly = np.array(src.monthly, dtype=float)
        monthly = monthly / (monthly @ month_days / month_days.sum())
        out[name] = per_family * src.share * src.volume * monthly[months] * weekday
    return out


def draw_arrivals(
    scenario: Scenario,
    calendar: Calendar,
    streams: Streams,
    days: int,
    segments: list[tuple[int, Scenario]] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], list[str]]:
    """Arrival times (sorted) and source index of every family contact in ``[0, days)``.

    ``segments`` lists ``(first day, scenario in force)`` for time-phased changes: each day's rates
    come from the scenario in force that day.
    """
    rates = daily_rates(scenario, calendar, days)
    for start, variant in segments or []:
        if start >= days:
            continue
        later = daily_rates(variant, calendar, days)
        for name in rates:
            rates[name][start:] = later[name][start:]
    names = list(rates)
    times_all = []
    src_all = []
    for i, name in enumerate(names):
        counts = streams[f"arrivals.{name}"].generator.poisson(rates[name])
        day_of = np.repeat(np.arange(days, dtype=float), counts)
        # Times within the day come from their own stream, so a change of rate from some date leaves
        # every earlier arrival exactly where it was (common random numbers before the change).
        times_all.append(day_of + streams[f"arrivals.{name}.times"].generator.random(day_of.size))
        src_all.append(np.full(day_of.size, i, dtype=np.int64))
    times = np.concatenate(times_all)
    srcs = np.concatenate(src_all)
    order = np.argsort(times, kind="stable")
    return times[order], srcs[order], names
