"""The registry of published measures caseflow uses: where each comes from and what it means.

Each :class:`Measure` names its file (by the stem prefix of the published file name), its column,
any filter on the file's filter columns, a plain-English label, a unit and the period it covers.
``year`` is always the published ``time_period``; how that pairs with the DfE reporting year (the
year to 31 March) depends on the release (:data:`RELEASES`):

- CIN and CLA: ``time_period`` Y is the year to 31 March Y (or the position at 31 March Y);
- CSWW: ``time_period`` Y is the position at 30 September Y;
- ONS: mid-year Y (30 June Y) pairs with the year ending 31 March Y+1 (the DfE's rates for 2024
  divide by the ONS mid-2023 estimate).

:func:`reporting_year_source` gives the ``time_period`` to read for a profile "as at 31 March Y"
that uses only figures published by then: CIN/CLA -> Y, CSWW -> Y-1, ONS -> Y-1.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from caseflow.data.errors import DataError

__all__ = [
    "MEASURES",
    "RELEASES",
    "Measure",
    "Release",
    "get_measure",
    "measure_names",
    "reporting_year",
    "reporting_year_source",
]

ReleaseId = Literal["cin", "cla", "csww", "ons"]
FilterValue = str | tuple[str, ...]


@dataclass(frozen=True)
class Release:
    """A published statistical release and how its ``time_period`` pairs with the reporting year."""

    id: ReleaseId
    title: str
    publisher: str
    #: For a profile "as at 31 March Y", read ``time_period`` Y - ``lag``.
    lag: int
    pairing: str


RELEASES: dict[str, Release] = {
    "cin": Release(
        "cin",
        "Children in need",
        "Department for Education",
        0,
        "time_period Y is the year to 31 March Y (or the position at 31 March Y)",
    ),
    "cla": Release(
        "cla",
        "Children looked after in England including adoptions",
        "Department for Education",
        0,
        "time_period Y is the year to 31 March Y (or the position at 31 March Y)",
    ),
    "csww": Release(
        "csww",
        "Children's social work workforce",
        "Department for Education",
        1,
        "time_period Y is the position at 30 September Y (flows: the year to 30 September Y); "
        "a profile at 31 March Y uses 30 September Y-1",
    ),
    "ons": Release(
        "ons",
        "Mid-year population estimates",
        "Office for National Statistics",
        1,
        "mid-year Y (30 June Y) pairs with the year ending 31 March Y+1: the DfE's rates for 2024 use "
        "mid-2023",
    ),
}


@dataclass(frozen=True)
class Measure:
    """One published measure.

    ``filter`` selects rows of a long-format file: ``(("breakdown", "Total new placements"),)``; a
    tuple of values sums those rows (NaN, with the first part's code, if any part is not a number).
    ``additive`` is False for percentages, rates, averages and medians: they are never scaled or
    summed across authorities (see :mod:`caseflow.data.geography`).
    """

    name: str
    release: ReleaseId
    file: str
    column: str
    label: str
    unit: str
    period: str
    filter: tuple[tuple[str, FilterValue], ...] = ()
    additive: bool = True

    @property
    def filters(self) -> dict[str, FilterValue]:
        """The filter as ``{column: value}``."""
        return dict(self.filter)

    @property
    def lag(self) -> int:
        """Years back from a profile's 31 March to the ``time_period`` to read."""
        return RELEASES[self.release].lag

    @property
    def pairing(self) -> str:
        """How ``time_period`` pairs with the DfE reporting year (the year to 31 March)."""
        return RELEASES[self.release].pairing


_C1 = "c1_children_in_need_referrals_and_rereferrals"
_B1 = "b1_children_in_need"
_C3 = "c3_factors_identified_at_end_of_assessment"
_C4 = "c4_children_in_need_section_47s_and_icpcs"
_D3 = "d3_cpps_subsequent_plan"
_D5 = "d5_cpps_at31march_by_duration"
_CLA = "cla_number_and_rate_per_10k_children"
_PLACEMENTS = "la_cla_during_year_new_placements"
_SWCOUNT = "la_cla_swcount"
_CSWW = "csww_indicators"
_ONS = "ons_mid-year_population"

_YEAR = "year to 31 March"
_MARCH = "at 31 March"
_SEPT = "at 30 September"
_SEPT_YEAR = "year to 30 September"

_LOCATION = ("characteristic", "Location of new placements during the year")
_CLA_GROUP = ("cla_group", "CLA on 31 March")


def _cin(
    name: str, file: str, column: str, label: str, unit: str, period: str = _YEAR, *, additive: bool = True
) -> Measure:
    return Measure(name, "cin", file, column, label, unit, period, additive=additive)


def _csww(
    name: str, column: str, label: str, unit: str, period: str = _SEPT, *, additive: bool = True
) -> Measure:
    return Measure(name, "csww", _CSWW, column, label, unit, period, additive=additive)


#: Every measure caseflow uses, in a stable order.
MEASURES: tuple[Measure, ...] = (
    # Children in need census, C1: referrals.
    _cin("referrals", _C1, "referral_count", "Referrals to children's social care in the year", "referrals"),
    _cin(
        "re_referrals",
        _C1,
        "rereferral_count",
        "Referrals within 12 months of a previous referral of the same child",
        "referrals",
    ),
    _cin(
        "re_referral_pct",
        _C1,
        "rereferral_percent",
        "Re-referrals as a percentage of all referrals",
        "%",
        additive=False,
    ),
    _cin(
        "referral_nfa", _C1, "no_further_action_count", "Referrals closed with no further action", "referrals"
    ),
    _cin(
        "assessed_not_in_need",
        _C1,
        "not_in_need_count",
        "Referrals where the child was assessed as not in need",
        "referrals",
    ),
    _cin("referral_children", _C1, "referral_child_count", "Children referred in the year", "children"),
    # Children in need census, B1: episodes of need.
    _cin(
        "cin_at_31_march",
        _B1,
        "At31_episodes",
        "Children in need at 31 March (episodes of need open)",
        "episodes",
        _MARCH,
    ),
    _cin("cin_started", _B1, "Started_episodes", "Episodes of need started in the year", "episodes"),
    _cin("cin_ended", _B1, "Ended_episodes", "Episodes of need ended in the year", "episodes"),
    _cin(
        "cin_any_point",
        _B1,
        "Anypoint_episodes",
        "Episodes of need open at any point in the year",
        "episodes",
    ),
    _cin(
        "awaiting_assessment",
        _B1,
        "awaiting_assessment",
        "Children in need at 31 March awaiting the outcome of an assessment",
        "episodes",
        _MARCH,
    ),
    # Children in need census, C3: the only per-authority count of unaccompanied asylum-seeking children.
    _cin(
        "uasc_at_assessment",
        _C3,
        "Unaccompanied_asylum_seeker",
        "Assessments where being an unaccompanied asylum-seeking child was a factor identified at the "
        "end of assessment (episodes; the only per-authority count of UASC in these files)",
        "episodes",
    ),
    # Children in need census, C4: section 47 enquiries and initial child protection conferences.
    _cin("s47", _C4, "Section47", "Section 47 enquiries started in the year", "enquiries"),
    _cin(
        "s47_children",
        _C4,
        "Section47_child",
        "Children subject to a section 47 enquiry in the year",
        "children",
    ),
    _cin("icpc", _C4, "ICPC", "Initial child protection conferences in the year", "conferences"),
    _cin(
        "icpc_children",
        _C4,
        "ICPC_child",
        "Children subject to an initial child protection conference",
        "children",
    ),
    _cin(
        "icpc_0_10wd",
        _C4,
        "Duration_0-10_days",
        "Initial conferences held 0 to 10 working days after the strategy discussion",
        "conferences",
    ),
    _cin(
        "icpc_11_15wd",
        _C4,
        "Duration_11-15_days",
        "Initial conferences held 11 to 15 working days after the strategy discussion",
        "conferences",
    ),
    _cin(
        "icpc_16_20wd",
        _C4,
        "Duration_16-20_days",
        "Initial conferences held 16 to 20 working days after the strategy discussion",
        "conferences",
    ),
    _cin(
        "icpc_21plus_wd",
        _C4,
        "Duration_21+_days",
        "Initial conferences held 21 or more working days after the strategy discussion",
        "conferences",
    ),
    _cin(
        "icpc_median_wd",
        _C4,
        "Duration_median",
        "Median working days from strategy discussion to initial conference",
        "working days",
        additive=False,
    ),
    # Children in need census, D3 and D5: child protection plans.
    _cin("cp_started", _D3, "CPP_start", "Child protection plans started in the year", "plans"),
    _cin(
        "cp_second_or_subsequent",
        _D3,
        "CPP_subsequent",
        "Child protection plans started in the year that were a second or subsequent plan",
        "plans",
    ),
    _cin(
        "cp_second_or_subsequent_pct",
        _D3,
        "CPP_subsequent_percent",
        "Second or subsequent plans as a percentage of plans started",
        "%",
        additive=False,
    ),
    _cin(
        "cp_at_31_march",
        _D5,
        "CPP_At31",
        "Children on a child protection plan at 31 March",
        "children",
        _MARCH,
    ),
    _cin(
        "cp_at_31_march_0_3m",
        _D5,
        "3_months_or_less",
        "Children on a plan at 31 March for 3 months or less",
        "children",
        _MARCH,
    ),
    _cin(
        "cp_at_31_march_3_6m",
        _D5,
        "more_than_3_months_6_months",
        "Children on a plan at 31 March for more than 3 months, up to 6 months",
        "children",
        _MARCH,
    ),
    _cin(
        "cp_at_31_march_6_12m",
        _D5,
        "more_than_6_months_less_than_1_year",
        "Children on a plan at 31 March for more than 6 months, less than 1 year",
        "children",
        _MARCH,
    ),
    _cin(
        "cp_at_31_march_1_2y",
        _D5,
        "1_year_less_than_2_years",
        "Children on a plan at 31 March for 1 year, less than 2 years",
        "children",
        _MARCH,
    ),
    _cin(
        "cp_at_31_march_2y_plus",
        _D5,
        "2_years_or_more",
        "Children on a plan at 31 March for 2 years or more",
        "children",
        _MARCH,
    ),
    # Children looked after (SSDA903).
    Measure(
        "cla_at_31_march",
        "cla",
        _CLA,
        "children_count",
        "Children looked after at 31 March",
        "children",
        _MARCH,
        (("population_type", "Children looked after on 31 March each year"),),
    ),
    Measure(
        "cla_rate_per_10k",
        "cla",
        _CLA,
        "rate_per_10000",
        "Children looked after at 31 March per 10,000 children aged under 18",
        "per 10,000 children",
        _MARCH,
        (("population_type", "Children looked after on 31 March each year"),),
        additive=False,
    ),
    Measure(
        "cla_started",
        "cla",
        _CLA,
        "children_count",
        "Children who started to be looked after in the year",
        "children",
        _YEAR,
        (("population_type", "Children starting to be looked after each year"),),
    ),
    Measure(
        "cla_ceased",
        "cla",
        _CLA,
        "children_count",
        "Children who ceased to be looked after in the year",
        "children",
        _YEAR,
        (("population_type", "Children ceasing to be looked after each year"),),
    ),
    Measure(
        "cla_new_placements",
        "cla",
        _PLACEMENTS,
        "children_count",
        "New placements of looked-after children in the year",
        "placements",
        _YEAR,
        (_LOCATION, ("breakdown", "Total new placements")),
    ),
    Measure(
        "cla_new_placements_over_20_miles",
        "cla",
        _PLACEMENTS,
        "children_count",
        "New placements in the year more than 20 miles from home (inside or outside the authority)",
        "placements",
        _YEAR,
        (
            _LOCATION,
            (
                "breakdown",
                (
                    "Placed inside LA boundary more than 20 miles from home",
                    "Placed outside LA boundary more than 20 miles from home",
                ),
            ),
        ),
    ),
    Measure(
        "cla_sw_total",
        "cla",
        _SWCOUNT,
        "number",
        "Children looked after at 31 March (counted for social worker changes)",
        "children",
        _MARCH,
        (_CLA_GROUP, ("sw_stability", "Total children")),
    ),
    Measure(
        "cla_3plus_sw",
        "cla",
        _SWCOUNT,
        "number",
        "Children looked after at 31 March who had 3 or more social workers during the year",
        "children",
        _MARCH,
        (_CLA_GROUP, ("sw_stability", "3 or more social workers during the year")),
    ),
    # Children's social work workforce (at 30 September).
    _csww("sw_fte", "inpost_fte", "Children and family social workers in post (full-time equivalent)", "FTE"),
    _csww(
        "sw_starters_fte", "starters_fte", "Social workers who started in the year (FTE)", "FTE", _SEPT_YEAR
    ),
    _csww("sw_leavers_fte", "leavers_fte", "Social workers who left in the year (FTE)", "FTE", _SEPT_YEAR),
    _csww(
        "sw_turnover_pct",
        "turnover_rate_fte",
        "Turnover: leavers as a percentage of social workers in post",
        "%",
        _SEPT_YEAR,
        additive=False,
    ),
    _csww("sw_agency_fte", "agency_fte", "Agency social workers (FTE)", "FTE"),
    _csww(
        "sw_agency_pct",
        "agency_rate_fte",
        "Agency social workers as a percentage of all social workers",
        "%",
        additive=False,
    ),
    _csww("sw_vacancy_fte", "vacancy_fte", "Vacant social worker posts (FTE)", "FTE"),
    _csww(
        "sw_vacancy_pct",
        "vacancy_rate_fte",
        "Vacancies as a percentage of established posts",
        "%",
        additive=False,
    ),
    _csww(
        "sw_vacancy_agency_cover_pct",
        "vacancy_agency_cover_rate_fte",
        "Vacancies covered by agency workers (percentage)",
        "%",
        additive=False,
    ),
    _csww("sw_case_holders_fte", "case_holders_fte", "Social workers holding cases (FTE)", "FTE"),
    _csww("sw_cases", "cases", "Cases held by social workers", "cases"),
    _csww(
        "sw_caseload",
        "caseload_fte",
        "Average caseload per case-holding social worker (FTE)",
        "cases per FTE",
        additive=False,
    ),
    _csww(
        "sw_absence_pct",
        "absence_rate_fte",
        "Sickness absence: working days lost as a percentage of working days available",
        "%",
        _SEPT_YEAR,
        additive=False,
    ),
    # ONS mid-year population estimates.
    Measure(
        "population_0_17",
        "ons",
        _ONS,
        "population_estimate",
        "Children aged 0 to 17 (ONS mid-year estimate)",
        "children",
        "mid-year",
        (("age_group", "Children aged 0 to 17 years"),),
    ),
)

_BY_NAME = {m.name: m for m in MEASURES}
if len(_BY_NAME) != len(MEASURES):  # pragma: no cover - a registry edit gone wrong
    raise AssertionError("duplicate measure names in MEASURES")


def measure_names() -> tuple[str, ...]:
    """The registry's measure names, in order."""
    return tuple(_BY_NAME)


def get_measure(name: str | Measure) -> Measure:
    """The registry entry for ``name``; :class:`DataError` (with close names) if there is none."""
    if isinstance(name, Measure):
        return name
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_BY_NAME), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see caseflow.data.MEASURES"
        raise DataError(f"unknown measure {name!r}{hint}") from None


def reporting_year_source(measure: str | Measure, year: int) -> int:
    """The ``time_period`` to read for a profile "as at 31 March ``year``" using only figures
    published by then: CIN/CLA -> ``year``, CSWW -> ``year - 1`` (30 September), ONS -> ``year - 1``
    (mid-year)."""
    return year - get_measure(measure).lag


def reporting_year(measure: str | Measure, time_period: int) -> int:
    """The DfE reporting year (the year to 31 March) a ``time_period`` pairs with: the inverse of
    :func:`reporting_year_source`."""
    return time_period + get_measure(measure).lag
