"""Unit tests for :mod:`caseflow.calendar`: working-day clocks, months and financial years.

Bank-holiday dates hard-coded here are facts (gov.uk "UK bank holidays", England and Wales), not model
results: the calendar must agree with both them and the maintained ``holidays`` package.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import subprocess
import sys
from pathlib import Path

import holidays
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow import calendar as calendar_module
from caseflow.calendar import (
    BANK_HOLIDAY_FILE,
    BANK_HOLIDAY_YEARS,
    Calendar,
    bank_holiday_table_text,
    bank_holiday_table_version,
    bank_holidays,
    financial_year_of,
    package_bank_holidays,
    read_bank_holiday_table,
)

START = dt.date(2025, 4, 1)
LEAD = 400  # history before the start, as the model uses for the opening caseload
DAYS = 3 * 366  # 2025-04-01 .. 2028-04-02


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar(START, DAYS, lead_days=LEAD)


def T(cal: Calendar, y: int, m: int, d: int) -> float:  # noqa: N802 - reads like a date constructor
    return cal.time(dt.date(y, m, d))


# England and Wales bank holidays (gov.uk) inside the calendar's range, including lead days.
KNOWN_BANK_HOLIDAYS = [
    dt.date(2024, 12, 25),  # Christmas Day (Wed) - before the start: negative times
    dt.date(2024, 12, 26),  # Boxing Day (Thu)
    dt.date(2025, 1, 1),  # New Year's Day (Wed)
    dt.date(2025, 4, 18),  # Good Friday
    dt.date(2025, 4, 21),  # Easter Monday
    dt.date(2025, 5, 5),  # Early May bank holiday
    dt.date(2025, 5, 26),  # Spring bank holiday
    dt.date(2025, 8, 25),  # Summer bank holiday
    dt.date(2025, 12, 25),  # Christmas Day (Thu)
    dt.date(2025, 12, 26),  # Boxing Day (Fri)
    dt.date(2026, 1, 1),  # New Year's Day (Thu)
    dt.date(2026, 4, 3),  # Good Friday
    dt.date(2026, 4, 6),  # Easter Monday
    dt.date(2026, 5, 4),  # Early May bank holiday
    dt.date(2026, 5, 25),  # Spring bank holiday
    dt.date(2026, 8, 31),  # Summer bank holiday
    dt.date(2026, 12, 25),  # Christmas Day (Fri)
    dt.date(2026, 12, 28),  # Boxing Day, substitute day (26th is a Saturday)
    dt.date(2027, 1, 1),  # New Year's Day (Fri)
    dt.date(2027, 3, 26),  # Good Friday
    dt.date(2027, 3, 29),  # Easter Monday
    dt.date(2027, 12, 27),  # Christmas Day, substitute day (25th is a Saturday)
    dt.date(2027, 12, 28),  # Boxing Day, substitute day (26th is a Sunday)
    dt.date(2028, 1, 3),  # New Year's Day, substitute day (1st is a Saturday)
]

# Ordinary weekdays next to holidays, which must be working days.
KNOWN_WORKING_DAYS = [
    dt.date(2024, 12, 24),
    dt.date(2024, 12, 27),
    dt.date(2025, 1, 2),
    dt.date(2025, 4, 17),
    dt.date(2025, 4, 22),
    dt.date(2025, 12, 24),
    dt.date(2025, 12, 29),
    dt.date(2025, 12, 31),
    dt.date(2026, 1, 2),
    dt.date(2026, 4, 2),
    dt.date(2026, 4, 7),
    dt.date(2026, 12, 24),
    dt.date(2026, 12, 29),
    dt.date(2027, 3, 25),
    dt.date(2027, 3, 30),
]


# ------------------------------------------------------------------------------ construction


def test_rejects_empty_or_negative_lead() -> None:
    with pytest.raises(ValueError):
        Calendar(START, 0)
    with pytest.raises(ValueError):
        Calendar(START, 10, lead_days=-1)


def test_working_mask_covers_lead_and_days(cal: Calendar) -> None:
    assert cal.working_mask.shape == (DAYS + LEAD,)
    assert cal.working_mask.dtype == np.bool_


# ------------------------------------------------------------------------------ bank holidays


@pytest.mark.parametrize("day", KNOWN_BANK_HOLIDAYS, ids=str)
def test_known_bank_holidays_are_not_working_days(cal: Calendar, day: dt.date) -> None:
    assert day.weekday() < 5, "fixture sanity: every listed holiday falls on a weekday"
    assert not cal.is_working_day(cal.time(day))
    # the hard-coded fact agrees with the maintained package too
    assert day in holidays.country_holidays("GB", subdiv="ENG", years=day.year)


@pytest.mark.parametrize("day", KNOWN_WORKING_DAYS, ids=str)
def test_ordinary_weekdays_are_working_days(cal: Calendar, day: dt.date) -> None:
    assert day.weekday() < 5
    assert cal.is_working_day(cal.time(day))


def test_weekends_are_never_working_days(cal: Calendar) -> None:
    for i in range(-LEAD, DAYS):
        d = cal.date(i)
        if d.weekday() >= 5:
            assert not cal.is_working_day(i), d


def test_mask_matches_holidays_package_over_whole_range(cal: Calendar) -> None:
    first = START - dt.timedelta(days=LEAD)
    last = START + dt.timedelta(days=DAYS - 1)
    bank = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    expected = np.array(
        [
            (first + dt.timedelta(days=i)).weekday() < 5 and (first + dt.timedelta(days=i)) not in bank
            for i in range(DAYS + LEAD)
        ]
    )
    np.testing.assert_array_equal(cal.working_mask, expected)
    # the calendar knows exactly the package's weekday holidays, no more, no fewer
    weekday_holidays = sorted(d for d in bank if first <= d <= last and d.weekday() < 5)
    non_working_weekdays = sorted(
        first + dt.timedelta(days=i)
        for i in range(DAYS + LEAD)
        if (first + dt.timedelta(days=i)).weekday() < 5 and not cal.working_mask[i]
    )
    assert non_working_weekdays == weekday_holidays
    assert set(KNOWN_BANK_HOLIDAYS) <= set(weekday_holidays)


# ---------------------------------------------------------------- the bank-holiday table


def test_bank_holiday_table_equals_the_holidays_package() -> None:
    # A newer release of the package with a new bank holiday fails here: run scripts/bank_holidays.py.
    lo, hi = BANK_HOLIDAY_YEARS
    assert bank_holidays(lo, hi) == set(package_bank_holidays(lo, hi))


def test_bank_holiday_table_covers_every_year_it_names() -> None:
    from importlib.resources import files

    lo, hi = BANK_HOLIDAY_YEARS
    text = files("caseflow").joinpath(BANK_HOLIDAY_FILE).read_text(encoding="utf-8")
    assert text.startswith(f"# England and Wales bank holidays, {lo} to {hi}:")
    days = read_bank_holiday_table(text)
    assert days == sorted(set(days))
    per_year = {year: sum(1 for d in days if d.year == year) for year in range(lo, hi + 1)}
    assert min(per_year.values()) >= 8  # New Year, Easter (2), May (2), August, Christmas, Boxing Day
    assert {d.year for d in days} == set(per_year)


def test_the_script_writes_the_table_and_says_when_it_is_stale(tmp_path: Path) -> None:
    from importlib.resources import files

    script = Path(__file__).resolve().parents[1] / "scripts" / "bank_holidays.py"
    table = tmp_path / "table.txt"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(script), "--table", str(table), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert run().returncode == 0
    shipped = files("caseflow").joinpath(BANK_HOLIDAY_FILE).read_text(encoding="utf-8")
    written = read_bank_holiday_table(table.read_text(encoding="utf-8"))
    assert written == read_bank_holiday_table(shipped)  # the shipped table is its output
    assert run("--check").returncode == 0
    table.write_text(shipped.replace("2023-05-08 Coronation of Charles III\n", ""), encoding="utf-8")
    stale = run("--check")
    assert stale.returncode == 1
    assert "differs from" in stale.stdout


def test_the_table_names_the_holidays_version_it_was_generated_from() -> None:
    from importlib.resources import files

    header = files("caseflow").joinpath(BANK_HOLIDAY_FILE).read_text(encoding="utf-8").splitlines()[1]
    assert header.startswith("# Generated from the holidays package ")
    version = bank_holiday_table_version()
    assert re.fullmatch(r"\d+(\.\d+)+", version)
    assert f" {version}, " in header
    # the writer's header is the one the reader parses
    assert "holidays package 9.99, " in bank_holiday_table_text({dt.date(2030, 1, 1): "x"}, "9.99")


@pytest.mark.parametrize(
    ("first", "last"),
    [(2024, 2028), (2022, 2023), (2050, 2050), (1980, 1981), (2099, 2100), (1975, 1983), (2098, 2104)],
)
def test_bank_holidays_of_any_years_are_the_packages(first: int, last: int) -> None:
    # inside the table, at its edges, and beyond them (asked of the package)
    assert bank_holidays(first, last) == set(package_bank_holidays(first, last))


def test_a_calendar_beyond_the_table_asks_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, int]] = []

    def package(first: int, last: int) -> dict[dt.date, str]:
        asked.append((first, last))
        return package_bank_holidays(first, last)

    monkeypatch.setattr(calendar_module, "package_bank_holidays", package)
    start = dt.date(2099, 4, 1)
    late = Calendar(start, 3 * 366)
    assert asked == [(2099, 2102)]
    bank = package_bank_holidays(2099, 2102)
    assert dt.date(2100, 12, 25) in bank
    for i in range(3 * 366):
        day = start + dt.timedelta(days=i)
        assert late.working_mask[i] == (day.weekday() < 5 and day not in bank)
    asked.clear()
    Calendar(START, DAYS, lead_days=LEAD)
    assert asked == []  # inside the table: the package is not asked


def test_scotland_only_holiday_is_a_working_day_in_england(cal: Calendar) -> None:
    # 2 January is a bank holiday in Scotland, not in England: 2026-01-02 is a Friday.
    assert dt.date(2026, 1, 2) in holidays.country_holidays("GB", subdiv="SCT", years=2026)
    assert cal.is_working_day(T(cal, 2026, 1, 2))


# -------------------------------------------------------------------- Christmas and New Year


def test_working_days_between_over_christmas_2025(cal: Calendar) -> None:
    t24 = T(cal, 2025, 12, 24)
    # after Wed 24th: Thu 25 (hol), Fri 26 (hol), weekend, Mon 29, Tue 30, Wed 31, Thu 1 Jan (hol), Fri 2
    assert cal.working_days_between(t24, T(cal, 2025, 12, 25)) == 0
    assert cal.working_days_between(t24, T(cal, 2025, 12, 28)) == 0
    assert cal.working_days_between(t24, T(cal, 2025, 12, 29)) == 1
    assert cal.working_days_between(t24, T(cal, 2025, 12, 31)) == 3
    assert cal.working_days_between(t24, T(cal, 2026, 1, 1)) == 3
    assert cal.working_days_between(t24, T(cal, 2026, 1, 2)) == 4
    # time of day does not matter, only the day
    assert cal.working_days_between(t24 + 0.9, T(cal, 2026, 1, 2) + 0.01) == 4
    # same day is 0 working days
    assert cal.working_days_between(t24 + 0.1, t24 + 0.8) == 0


def test_add_working_days_over_christmas_2025(cal: Calendar) -> None:
    t24 = T(cal, 2025, 12, 24)
    assert cal.add_working_days(t24 + 0.7, 0) == t24
    assert cal.add_working_days(t24 + 0.7, 1) == T(cal, 2025, 12, 29)
    assert cal.add_working_days(t24, 3) == T(cal, 2025, 12, 31)
    assert cal.add_working_days(t24, 4) == T(cal, 2026, 1, 2)
    assert cal.add_working_days(t24, 5) == T(cal, 2026, 1, 5)
    # from a bank holiday, the first working day after is the next working day
    assert cal.add_working_days(T(cal, 2025, 12, 25) + 0.5, 1) == T(cal, 2025, 12, 29)
    assert cal.add_working_days(T(cal, 2025, 12, 26), 0) == T(cal, 2025, 12, 26)
    with pytest.raises(ValueError):
        cal.add_working_days(t24, -1)


def test_complete_after_over_christmas_2025(cal: Calendar) -> None:
    t24 = T(cal, 2025, 12, 24)
    # 1.5 working days from Wed 24th morning: completes at noon on Mon 29th
    assert cal.complete_after(t24 + 0.1, 1.5) == pytest.approx(T(cal, 2025, 12, 29) + 0.5)
    assert cal.complete_after(t24, 4.25) == pytest.approx(T(cal, 2026, 1, 2) + 0.25)
    # 0 working days: done the same day, never before t
    assert cal.complete_after(t24 + 0.6, 0.2) == t24 + 0.6
    assert cal.complete_after(t24 + 0.1, 0.2) == pytest.approx(t24 + 0.2)
    assert cal.complete_after(t24 + 0.3, 0.0) == t24 + 0.3
    with pytest.raises(ValueError):
        cal.complete_after(t24, -0.5)


def test_next_working_day_start_over_christmas_2025(cal: Calendar) -> None:
    t24 = T(cal, 2025, 12, 24)
    assert cal.next_working_day_start(t24 + 0.4) == t24 + 0.4  # already in a working day
    for d in (25, 26, 27, 28):
        assert cal.next_working_day_start(T(cal, 2025, 12, d) + 0.3) == T(cal, 2025, 12, 29)
    assert cal.next_working_day_start(T(cal, 2026, 1, 1)) == T(cal, 2026, 1, 2)


def test_advance_working_time_over_christmas_2025(cal: Calendar) -> None:
    t24 = T(cal, 2025, 12, 24)
    assert cal.advance_working_time(t24, 0.5) == pytest.approx(t24 + 0.5)
    # finishing a whole day's work lands on the start of the next working day
    assert cal.advance_working_time(t24, 1.0) == T(cal, 2025, 12, 29)
    assert cal.advance_working_time(t24 + 0.5, 1.0) == pytest.approx(T(cal, 2025, 12, 29) + 0.5)
    assert cal.advance_working_time(t24, 2.5) == pytest.approx(T(cal, 2025, 12, 30) + 0.5)
    # starting on a bank holiday waits for the next working day
    assert cal.advance_working_time(T(cal, 2025, 12, 25) + 0.3, 0.5) == pytest.approx(
        T(cal, 2025, 12, 29) + 0.5
    )
    # across New Year's Day
    assert cal.advance_working_time(T(cal, 2025, 12, 31) + 0.5, 1.0) == pytest.approx(
        T(cal, 2026, 1, 2) + 0.5
    )
    assert cal.advance_working_time(t24 + 0.25, 0.0) == t24 + 0.25
    with pytest.raises(ValueError):
        cal.advance_working_time(t24, -1.0)


def test_advance_working_time_docstring_friday_example(cal: Calendar) -> None:
    fri = T(cal, 2025, 6, 6)  # an ordinary Friday
    assert cal.date(fri).weekday() == 4
    assert cal.advance_working_time(fri + 0.5, 1.5) == T(cal, 2025, 6, 10)  # end of Monday
    assert cal.advance_working_time(T(cal, 2025, 6, 9), 0.5) == pytest.approx(T(cal, 2025, 6, 9) + 0.5)


def test_substitute_boxing_day_2026(cal: Calendar) -> None:
    t24 = T(cal, 2026, 12, 24)  # Thursday
    assert not cal.is_working_day(T(cal, 2026, 12, 28))  # Boxing Day (observed)
    # after Thu 24: Fri 25 (hol), weekend, Mon 28 (substitute), Tue 29, Wed 30, Thu 31
    assert cal.working_days_between(t24, T(cal, 2026, 12, 28)) == 0
    assert cal.working_days_between(t24, T(cal, 2026, 12, 31)) == 3
    assert cal.add_working_days(t24, 1) == T(cal, 2026, 12, 29)
    assert cal.next_working_day_start(T(cal, 2026, 12, 28) + 0.5) == T(cal, 2026, 12, 29)


def test_double_substitute_days_2027(cal: Calendar) -> None:
    # 25 and 26 Dec 2027 fall on a weekend: Mon 27 and Tue 28 are the substitute days.
    t24 = T(cal, 2027, 12, 24)
    assert cal.add_working_days(t24, 1) == T(cal, 2027, 12, 29)
    assert cal.working_days_between(t24, T(cal, 2027, 12, 31)) == 3


# ------------------------------------------------------------------------------------- Easter


def test_easter_2026(cal: Calendar) -> None:
    thu = T(cal, 2026, 4, 2)
    assert cal.is_working_day(thu)
    assert not cal.is_working_day(T(cal, 2026, 4, 3))  # Good Friday
    assert not cal.is_working_day(T(cal, 2026, 4, 6))  # Easter Monday
    assert cal.working_days_between(thu, T(cal, 2026, 4, 6)) == 0
    assert cal.working_days_between(thu, T(cal, 2026, 4, 7)) == 1
    assert cal.add_working_days(thu, 1) == T(cal, 2026, 4, 7)
    assert cal.complete_after(thu + 0.25, 1.5) == pytest.approx(T(cal, 2026, 4, 7) + 0.5)
    assert cal.next_working_day_start(T(cal, 2026, 4, 3) + 0.7) == T(cal, 2026, 4, 7)
    assert cal.advance_working_time(thu + 0.5, 1.0) == pytest.approx(T(cal, 2026, 4, 7) + 0.5)


def test_easter_2027(cal: Calendar) -> None:
    thu = T(cal, 2027, 3, 25)
    assert not cal.is_working_day(T(cal, 2027, 3, 26))  # Good Friday
    assert not cal.is_working_day(T(cal, 2027, 3, 29))  # Easter Monday
    assert cal.working_days_between(thu, T(cal, 2027, 3, 30)) == 1
    assert cal.working_days_between(thu, T(cal, 2027, 4, 1)) == 3
    assert cal.add_working_days(thu, 2) == T(cal, 2027, 3, 31)
    assert cal.next_working_day_start(T(cal, 2027, 3, 27)) == T(cal, 2027, 3, 30)


def test_fifteen_working_days_from_before_easter_2026(cal: Calendar) -> None:
    # An ICPC clock started Wed 1 April 2026: 15 working days skip Good Friday and Easter Monday.
    t = T(cal, 2026, 4, 1)
    due = cal.add_working_days(t, 15)
    expected = np.busday_count(
        dt.date(2026, 4, 2),
        cal.date(due) + dt.timedelta(days=1),
        holidays=[dt.date(2026, 4, 3), dt.date(2026, 4, 6), dt.date(2026, 5, 4)],
    )
    assert expected == 15
    assert cal.date(due) == dt.date(2026, 4, 24)


# ---------------------------------------------------------------------- negative times (lead)


def test_negative_times_use_lead_days(cal: Calendar) -> None:
    t = T(cal, 2024, 12, 24)
    assert t < 0
    assert cal.date(t) == dt.date(2024, 12, 24)
    assert cal.date(-1.0) == dt.date(2025, 3, 31)
    assert cal.date(-0.5) == dt.date(2025, 3, 31)  # floor, not truncation towards zero
    assert cal.is_working_day(-0.5)  # Monday 31 March 2025
    assert not cal.is_working_day(T(cal, 2024, 12, 25) + 0.5)
    # Christmas 2024 - New Year 2025: after Tue 24 Dec, working days are 27, 30, 31 Dec, 2 Jan
    assert cal.working_days_between(t, T(cal, 2025, 1, 2)) == 4
    assert cal.add_working_days(t + 0.5, 1) == T(cal, 2024, 12, 27)
    assert cal.add_working_days(-0.5, 0) == -1.0
    assert cal.next_working_day_start(T(cal, 2024, 12, 25) + 0.2) == T(cal, 2024, 12, 27)
    assert cal.complete_after(t, 2.5) == pytest.approx(T(cal, 2024, 12, 30) + 0.5)
    assert cal.advance_working_time(T(cal, 2024, 12, 31) + 0.5, 1.0) == pytest.approx(
        T(cal, 2025, 1, 2) + 0.5
    )
    # a clock that started before day 0 and runs past it (Easter 2025 is after the start)
    assert cal.working_days_between(T(cal, 2025, 3, 28), T(cal, 2025, 4, 22)) == 15
    # very first day of the calendar is usable; the day before is not
    first = float(-LEAD)
    assert cal.working_days_between(first, first + 7) == 5
    with pytest.raises(IndexError):
        cal.is_working_day(first - 0.5)
    with pytest.raises(IndexError):
        cal.working_days_between(first - 1, 0.0)


def test_without_lead_days_negative_time_is_out_of_range() -> None:
    c = Calendar(START, 30)
    with pytest.raises(IndexError):
        c.is_working_day(-0.25)
    with pytest.raises(IndexError):
        c.working_days_between(-1.0, 5.0)


# --------------------------------------------------------------------------- end of calendar


def test_index_error_past_the_end() -> None:
    c = Calendar(START, 30)
    assert c.is_working_day(29.5) is True  # Wed 30 April 2025, the last day
    with pytest.raises(IndexError):
        c.is_working_day(30.0)
    with pytest.raises(IndexError):
        c.working_days_between(0.0, 31.0)
    with pytest.raises(IndexError):
        c.add_working_days(0.0, 100)
    with pytest.raises(IndexError):
        c.complete_after(0.0, 100.0)
    with pytest.raises(IndexError):
        c.advance_working_time(0.0, 100.0)
    with pytest.raises(IndexError):
        c.next_working_day_start(45.0)


# -------------------------------------------------------------------------------- reporting


def test_financial_year_of() -> None:
    assert financial_year_of(dt.date(2025, 3, 31)) == 2025
    assert financial_year_of(dt.date(2025, 4, 1)) == 2026
    assert financial_year_of(dt.date(2025, 12, 31)) == 2026
    assert financial_year_of(dt.date(2026, 1, 1)) == 2026
    assert financial_year_of(dt.date(2026, 3, 31)) == 2026
    assert financial_year_of(dt.date(2026, 4, 1)) == 2027


def test_calendar_financial_year(cal: Calendar) -> None:
    assert cal.financial_year(0.0) == 2026  # April 2025 - March 2026 is "2026"
    assert cal.financial_year(-0.01) == 2025
    assert cal.financial_year(364.99) == 2026  # 31 March 2026
    assert cal.financial_year(365.0) == 2027  # 1 April 2026
    assert cal.financial_year(T(cal, 2027, 3, 26)) == 2027  # Good Friday 2027 is in FY 2027


def test_month_label(cal: Calendar) -> None:
    assert cal.month_label(0.0) == "2025-04"
    assert cal.month_label(29.99) == "2025-04"
    assert cal.month_label(30.0) == "2025-05"
    assert cal.month_label(-0.5) == "2025-03"
    assert cal.month_label(T(cal, 2026, 1, 1)) == "2026-01"


def test_month_ends_one_year() -> None:
    c = Calendar(START, 365)
    ends = c.month_ends
    assert len(ends) == 12
    assert ends[0] == 30.0  # midnight after 30 April
    assert ends[-1] == 365.0  # midnight after 31 March 2026, the last day covered
    assert [c.date(t) for t in ends] == [dt.date(2025 + (m > 12), (m - 1) % 12 + 1, 1) for m in range(5, 17)]
    assert all(b > a for a, b in itertools.pairwise(ends))
    # labels of the months that end there (month containing the last instant)
    assert [c.month_label(t - 1) for t in ends][:3] == ["2025-04", "2025-05", "2025-06"]
    assert c.month_label(ends[-1] - 1) == "2026-03"


def test_month_ends_excludes_incomplete_month() -> None:
    assert len(Calendar(START, 364).month_ends) == 11
    assert len(Calendar(START, 29).month_ends) == 0
    assert Calendar(START, 30).month_ends == [30.0]


def test_month_index() -> None:
    c = Calendar(START, 365, lead_days=10)
    mi = c.month_index
    assert len(mi) == 365  # day 0 onwards only, not lead days
    assert mi[0] == 0
    assert mi[29] == 0  # 30 April
    assert mi[30] == 1  # 1 May
    assert mi[int(c.time(dt.date(2026, 1, 1)))] == 9
    assert mi[364] == 11
    assert all(0 <= b - a <= 1 for a, b in itertools.pairwise(mi))
    for d in range(365):
        assert c.month_label(d) == c.month_start(mi[d]).strftime("%Y-%m")


def test_month_start() -> None:
    c = Calendar(START, 10)
    assert c.month_start(0) == dt.date(2025, 4, 1)
    assert c.month_start(8) == dt.date(2025, 12, 1)
    assert c.month_start(9) == dt.date(2026, 1, 1)
    assert c.month_start(12) == dt.date(2026, 4, 1)
    assert c.month_start(33) == dt.date(2028, 1, 1)


def test_time_and_date_round_trip(cal: Calendar) -> None:
    for d in (dt.date(2024, 2, 29), dt.date(2025, 4, 1), dt.date(2026, 12, 28), dt.date(2028, 2, 29)):
        assert cal.date(cal.time(d)) == d
        assert cal.date(cal.time(d) + 0.999) == d


# ------------------------------------------------------------------------------- properties

# Working-day indices of the module calendar, for drawing times on working days.
_PROPS_CAL = Calendar(START, DAYS, lead_days=LEAD)
_WORKING_T = [float(i - LEAD) for i in np.flatnonzero(_PROPS_CAL.working_mask)]
# The last ~250 working days are kept clear so that results stay inside the calendar.
_SAFE_WORKING_T = [t for t in _WORKING_T if t < DAYS - 400]

# Fractions of a day kept clear of 1.0 by far more than float rounding at these magnitudes (times up to
# ~1,100 days have a resolution near 2e-13); the rounding edge itself is pinned by a separate test.
_fraction = st.floats(min_value=0.0, max_value=1.0 - 2.0**-30, allow_nan=False)


def _times(lo: int, hi: int) -> st.SearchStrategy[float]:
    """Times in [lo, hi): a day plus a time of day (see ``_fraction`` for why not any float)."""
    return st.builds(lambda d, f: d + f, st.integers(lo, hi - 1), _fraction)


@settings(max_examples=300, deadline=None)
@given(t0=st.sampled_from(_SAFE_WORKING_T), tod=_fraction, whole=st.integers(0, 150), frac=_fraction)
def test_complete_after_counts_floor_working_days(t0: float, tod: float, whole: int, frac: float) -> None:
    cal = _PROPS_CAL
    t = t0 + tod
    x = whole + frac
    done = cal.complete_after(t, x)
    assert done >= t
    assert cal.working_days_between(t, done) == math.floor(x)
    assert cal.is_working_day(done)


@settings(max_examples=300, deadline=None)
@given(
    t=_times(-LEAD, DAYS - 400),
    n=st.integers(0, 150),
)
def test_add_working_days_is_inverse_of_counting(t: float, n: int) -> None:
    cal = _PROPS_CAL
    due = cal.add_working_days(t, n)
    assert due == math.floor(due)  # a midnight
    assert cal.working_days_between(t, due) == n
    if n > 0:
        assert cal.is_working_day(due)
        assert due > t
        # and it is the first such day: the day before has only n - 1
        assert cal.working_days_between(t, due - 1) == n - 1


@settings(max_examples=300, deadline=None)
@given(t=_times(-LEAD, DAYS - 400), n=st.integers(1, 150))
def test_working_day_index_gives_the_same_deadlines(t: float, n: int) -> None:
    """Looking the day up once and counting on from it gives add_working_days' answer."""
    cal = _PROPS_CAL
    k = cal.working_days_to(t)
    assert cal.working_day_start(k + n - 1) == cal.add_working_days(t, n)
    assert cal.working_days_to(t + 1) - k == cal.working_days_between(t, t + 1)


@settings(max_examples=300, deadline=None)
@given(t=_times(-LEAD, DAYS - 400))
def test_working_time_is_continuous_and_round_trips(t: float) -> None:
    cal = _PROPS_CAL
    wt = cal.working_time(t)
    assert wt >= 0
    if cal.is_working_day(t):
        assert cal.real_time(wt) == pytest.approx(t, abs=1e-9)
    else:  # the clock stands still until the next working day starts
        assert wt == cal.working_time(cal.next_working_day_start(t))


@settings(max_examples=300, deadline=None)
@given(ts=st.lists(_times(-LEAD, DAYS), min_size=3, max_size=3))
def test_working_days_between_is_additive(ts: list[float]) -> None:
    cal = _PROPS_CAL
    a, b, c = sorted(ts)
    ab = cal.working_days_between(a, b)
    bc = cal.working_days_between(b, c)
    assert ab >= 0
    assert bc >= 0
    assert cal.working_days_between(a, c) == ab + bc
    assert cal.working_days_between(c, a) == -(ab + bc)


def _working_time(cal: Calendar, a: float, b: float) -> float:
    """Working time (in working days) elapsed between a and b >= a, computed day by day."""
    total = 0.0
    d = math.floor(a)
    while d < b:
        if cal.is_working_day(d):
            total += min(b, d + 1) - max(a, d)
        d += 1
    return total


@settings(max_examples=200, deadline=None)
@given(
    t=_times(-LEAD, DAYS - 400),
    x=st.floats(min_value=0.0, max_value=60.0, allow_nan=False),
)
def test_advance_working_time_does_exactly_that_much_work(t: float, x: float) -> None:
    cal = _PROPS_CAL
    end = cal.advance_working_time(t, x)
    assert end >= t
    assert _working_time(cal, t, end) == pytest.approx(x, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(t=_times(-LEAD, DAYS - 400))
def test_next_working_day_start_properties(t: float) -> None:
    cal = _PROPS_CAL
    s = cal.next_working_day_start(t)
    assert s >= t
    assert cal.is_working_day(s)
    # no working day was skipped between t and s
    assert cal.working_days_between(t, s) == (0 if cal.is_working_day(t) else 1)


def test_complete_after_fraction_just_below_one_stays_on_the_same_working_day(cal: Calendar) -> None:
    t = T(cal, 2025, 12, 22)  # Monday; Tuesday 23rd is also a working day
    x = 0.9999999999999999  # largest double below 1: floor(x) == 0
    assert math.floor(x) == 0
    done = cal.complete_after(t, x)
    assert cal.working_days_between(t, done) == 0


def test_time_just_before_midnight_belongs_to_the_earlier_day(cal: Calendar) -> None:
    fri = T(cal, 2025, 4, 4)  # Friday (a working day); Saturday 5 April follows
    t = math.nextafter(fri + 1, 0.0)  # the last representable instant of Friday
    assert math.floor(t) == fri
    assert cal.date(t) == dt.date(2025, 4, 4)
    assert cal.is_working_day(t)  # actual: False (it looks at Saturday)
    # and doing no work from a time on day 0 must not take a whole day
    tiny = -1e-160
    assert cal.advance_working_time(tiny, 0.0) == pytest.approx(tiny)  # actual: 1.0
