"""The KPI catalogue: every KPI defined once, with what it means, how it is computed and how it is shown.

Each :class:`KPI` entry carries

- its **name**, a stable contract (add freely, rename none);
- how it is **computed** (``kind``, ``source``, ``denominator``, ``threshold``: see
  :mod:`caseflow.metrics.compute`);
- a plain **label** for tables a council officer reads ("Children on a child protection plan per
  10,000 children, 31 March"), a **short** label for chart legends, its **unit** and **section**;
- its **benchmark** where there is one (the England figure for 2025), and the **DfE** measure it
  follows;
- how it is **shown** (:class:`Display`: percentage to 1 decimal place, count to 0, money in £ …);
- its **bounds** (``lower``, ``upper``): a percentage of events lies in 0–100, counts, stocks,
  durations and costs are at least 0. Confidence intervals respect them
  (:func:`caseflow.experiment.stats.bounded_interval`).

The charts, the Excel workbook, the command line's tables and the report folder all read this module,
so adding a KPI is one entry in :data:`KPIS` (and its computation if it needs a new ``kind``). A KPI
defined outside the package is shown with its own label once it is known to a :class:`Catalogue`
(``Catalogue(extra=(my_kpi,))``, or ``Results.kpi_definitions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "KPI",
    "KPIS",
    "SECTIONS",
    "UNIT_LABELS",
    "Benchmark",
    "Catalogue",
    "Display",
    "cost_kpis",
    "describe",
    "dynamic_kpis",
    "headline_kpis",
    "kpi_names",
    "source_kpi",
    "team_kpi",
]


class Display(StrEnum):
    """How a KPI's value is shown: the number of decimal places and the symbol that goes with it."""

    PERCENT = "percent"  #: 86.6% (1 decimal place); stored in Excel as a fraction with a % format
    COUNT = "count"  #: 14,338 (whole numbers)
    RATE = "rate"  #: 522.0 per 10,000 (1 decimal place)
    DAYS = "days"  #: 30.9 working days (1 decimal place)
    DECIMAL = "decimal"  #: 16.2 (1 decimal place: FTE, children per FTE, small averages)
    MONEY = "money"  #: £43,620,913 (whole pounds)

    @property
    def decimals(self) -> int:
        return 0 if self in (Display.COUNT, Display.MONEY) else 1


#: Plain words for each unit, for axis labels and table headers.
UNIT_LABELS: dict[str, str] = {
    "%": "%",
    "per 10k": "per 10,000 children aged 0–17",
    "£": "£",
    "children": "children",
    "working days": "working days",
    "FTE": "FTE",
    "children per FTE": "children per FTE",
    "weeks": "weeks",
}

#: Sections of the Summary sheet and the command line's tables, in order.
SECTIONS: tuple[str, ...] = (
    "Demand",
    "Timeliness",
    "Assessments, enquiries and plans",
    "Children at 31 March",
    "Court work",
    "Caseloads and unallocated work",
    "Workforce",
    "Costs (£ a year)",
    "Other measures",
)

#: kinds whose value is a share of events, so between 0 and 100 by construction
_PERCENT_KINDS = frozenset({"pct_within", "pct_flag"})
_DISPLAY_BY_UNIT = {
    "%": Display.PERCENT,
    "£": Display.MONEY,
    "children": Display.COUNT,
    "per 10k": Display.RATE,
    "working days": Display.DAYS,
}


@dataclass(frozen=True)
class Benchmark:
    """A published figure to compare a KPI with (drawn as a target line, shown beside the KPI)."""

    value: float
    label: str = "England 2025"
    source: str = ""


@dataclass(frozen=True)
class KPI:
    """One key performance indicator: its name, meaning, computation, presentation and bounds.

    The first eight fields say what the KPI is and how it is computed; the rest say how it is shown.
    Left empty, ``label`` is the description, ``short`` the label, ``display`` follows the unit and
    ``upper`` is 100 for a share of events (``pct_within``, ``pct_flag``).
    """

    name: str
    description: str
    unit: str  # "children", "%", "per 10k", "working days", "weeks", "FTE", "children per FTE", "£"
    #: how it is computed: "count" (sum over the period), "per10k" (count per 10,000 children),
    #: "stock" / "stock_per10k" (level at period end), "ratio" (100 × source ÷ denominator),
    #: "pct_within" (100 × share of tallied values ≤ threshold), "pct_flag" (100 × mean of 0/1
    #: flags), "median" / "mean" (of tallied values), "stock_mean" (mean of monthly levels),
    #: "turnover" (100 × count ÷ stock at period end), "money" (sum; NaN without a cost model)
    kind: str
    source: str  # the record it is computed from (counter, tally or stock name)
    denominator: str = ""  # for ratios
    threshold: float = 0.0  # for pct_within
    dfe: str = ""  # the published measure it corresponds to
    #: plain label for tables ("Children on a child protection plan per 10,000 children, 31 March")
    label: str = ""
    #: short label for chart legends and titles ("Children on CP plans per 10,000")
    short: str = ""
    section: str = "Other measures"
    #: on the Summary sheet of the workbook
    headline: bool = False
    benchmark: Benchmark | None = None
    display: Display | None = None
    #: the smallest and largest values the KPI can take (None: no bound)
    lower: float | None = 0.0
    upper: float | None = None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.description)
        if not self.short:
            object.__setattr__(self, "short", self.label)
        if self.display is None:
            object.__setattr__(self, "display", _DISPLAY_BY_UNIT.get(self.unit, Display.DECIMAL))
        if self.upper is None and self.kind in _PERCENT_KINDS:
            object.__setattr__(self, "upper", 100.0)

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        return self.lower, self.upper

    @property
    def unit_label(self) -> str:
        """The unit in plain words ("per 10,000 children aged 0–17")."""
        return UNIT_LABELS.get(self.unit, self.unit)

    @property
    def shown_as(self) -> Display:
        assert self.display is not None  # set in __post_init__
        return self.display


_CHILDREN_AT_31_MARCH = "Children at 31 March"
_ACTIVITY = "Assessments, enquiries and plans"
_CASELOADS = "Caseloads and unallocated work"
_COSTS = "Costs (£ a year)"
_COURT = "Court work"


def _england(value: float, source: str = "") -> Benchmark:
    return Benchmark(value, "England 2025", source)


#: Care and supervision proceedings: the Ministry of Justice's quarterly court statistics.
_FCSQ = "MoJ Family Court Statistics Quarterly, April to June 2024"


KPIS: tuple[KPI, ...] = (
    KPI(
        "contacts",
        "Contacts received about children (each child in a family counts)",
        "children",
        "count",
        "contacts",
        dfe="ADCS Safeguarding Pressures: initial contacts",
        label="Contacts received (children)",
        short="Contacts",
        section="Demand",
        headline=True,
    ),
    KPI(
        "contact_decision_within_1wd_pct",
        "Share of contacts with a front-door decision within 1 working day of receipt",
        "%",
        "pct_within",
        "contact_decision_wd",
        threshold=1,
        dfe="Working Together: decision within one working day",
        label="Contacts decided within 1 working day",
        short="Contact decisions within 1 working day",
        section="Timeliness",
        headline=True,
    ),
    KPI(
        "mash_screening_within_3wd_pct",
        "Share of contacts passed to MASH whose screening was completed within 3 working days of the "
        "front-door decision",
        "%",
        "pct_within",
        "mash_screening_wd",
        threshold=3,
        dfe="local MASH standards (1-3 working days); no national measure",
        label="MASH screenings completed within 3 working days",
        short="MASH screening within 3 working days",
        section="Timeliness",
    ),
    KPI(
        "mash_screening_median_wd",
        "Median working days from the front-door decision to the end of MASH screening",
        "working days",
        "median",
        "mash_screening_wd",
        label="MASH screening: median working days",
        short="MASH screening (median)",
        section="Timeliness",
    ),
    KPI(
        "contact_to_referral_pct",
        "Referrals as a share of contacts in the period",
        "%",
        "ratio",
        "referrals",
        denominator="contacts",
        dfe="ADCS: contact→referral conversion",
        label="Referrals as a share of contacts",
        short="Contacts becoming referrals",
        section="Demand",
    ),
    KPI(
        "early_help_starts",
        "Early-help episodes started (children)",
        "children",
        "count",
        "early_help_starts",
        dfe="ADCS: early help assessments",
        label="Children starting early help",
        short="Early help starts",
        section="Demand",
    ),
    KPI(
        "referrals",
        "Referrals to children's social care (children)",
        "children",
        "count",
        "referrals",
        dfe="DfE CIN census C1: referrals",
        label="Referrals to children's social care (children)",
        short="Referrals",
        section="Demand",
    ),
    KPI(
        "referrals_per_10k",
        "Referrals per 10,000 children aged 0–17",
        "per 10k",
        "per10k",
        "referrals",
        dfe="DfE CIN census: referral rate",
        label="Referrals per 10,000 children",
        short="Referrals per 10,000",
        section="Demand",
        headline=True,
    ),
    KPI(
        "re_referrals_12m_pct",
        "Share of referrals within 12 months of a previous referral of the same child",
        "%",
        "pct_flag",
        "re_referral",
        dfe="DfE CIN census C1: re-referrals within 12 months",
        label="Re-referrals within 12 months of a previous referral",
        short="Re-referrals within 12 months",
        section="Demand",
        headline=True,
        benchmark=_england(22.6, "DfE CIN census C1, year to 31 March 2025"),
    ),
    KPI(
        "referral_nfa_pct",
        "Share of referrals closed with no further action before assessment",
        "%",
        "pct_flag",
        "referral_nfa",
        dfe="DfE CIN census C1: referrals NFA",
        label="Referrals closed with no further action",
        short="Referrals with no further action",
        section="Demand",
        benchmark=_england(6.5, "DfE CIN census C1, year to 31 March 2025"),
    ),
    KPI(
        "assessments_completed",
        "Single assessments completed (children)",
        "children",
        "count",
        "assessments_completed",
        dfe="DfE CIN census C2: assessments completed",
        label="Assessments completed (children)",
        short="Assessments completed",
        section=_ACTIVITY,
    ),
    KPI(
        "assessment_within_45wd_pct",
        "Share of assessments completed within 45 working days of referral",
        "%",
        "pct_within",
        "assessment_wd",
        threshold=45,
        dfe="DfE CIN census C2: assessments within 45 working days",
        label="Assessments completed within 45 working days",
        short="Assessments within 45 working days",
        section="Timeliness",
        headline=True,
        benchmark=_england(85.7, "DfE CIN census C2, year to 31 March 2025"),
    ),
    KPI(
        "assessment_median_wd",
        "Median working days from referral to completed assessment",
        "working days",
        "median",
        "assessment_wd",
        dfe="DfE CIN census C2: median duration",
        label="Median time from referral to completed assessment",
        short="Median assessment duration",
        section="Timeliness",
        headline=True,
    ),
    KPI(
        "s47_enquiries",
        "Section 47 enquiries started (children)",
        "children",
        "count",
        "s47_enquiries",
        dfe="DfE CIN census C4: s47 enquiries",
        label="Section 47 enquiries started (children)",
        short="Section 47 enquiries",
        section=_ACTIVITY,
    ),
    KPI(
        "s47_per_10k",
        "Section 47 enquiries per 10,000 children",
        "per 10k",
        "per10k",
        "s47_enquiries",
        dfe="DfE CIN census C4: s47 rate",
        label="Section 47 enquiries per 10,000 children",
        short="Section 47 enquiries per 10,000",
        section=_ACTIVITY,
    ),
    KPI(
        "icpcs",
        "Initial child protection conferences held (children)",
        "children",
        "count",
        "icpcs",
        dfe="DfE CIN census C4: ICPCs",
        label="Initial child protection conferences (children)",
        short="Initial CP conferences",
        section=_ACTIVITY,
    ),
    KPI(
        "s47_to_icpc_pct",
        "ICPCs as a share of s47 enquiries in the period",
        "%",
        "ratio",
        "icpcs",
        denominator="s47_enquiries",
        dfe="DfE CIN census C4: ICPC per s47 (derived)",
        label="Initial conferences as a share of section 47 enquiries",
        short="Section 47 enquiries leading to a conference",
        section=_ACTIVITY,
    ),
    KPI(
        "icpc_within_15wd_pct",
        "Share of ICPCs held within 15 working days of the strategy discussion",
        "%",
        "pct_within",
        "icpc_wd",
        threshold=15,
        dfe="DfE CIN census C4: ICPCs within 15 working days",
        label="Initial conferences within 15 working days of the strategy discussion",
        short="ICPCs within 15 working days",
        section="Timeliness",
        headline=True,
        benchmark=_england(81.4, "DfE CIN census C4, year to 31 March 2025"),
    ),
    KPI(
        "cp_plans_started",
        "Child protection plans started (children)",
        "children",
        "count",
        "cp_plans_started",
        dfe="DfE CIN census D1: CP plans started",
        label="Child protection plans started (children)",
        short="CP plans started",
        section=_ACTIVITY,
    ),
    KPI(
        "cp_plans_open_end",
        "Children on a CP plan at period end",
        "children",
        "stock",
        "cp_plans_open_end",
        dfe="DfE CIN census D1: CP plans at 31 March",
        label="Children on a child protection plan, 31 March",
        short="Children on CP plans",
        section=_CHILDREN_AT_31_MARCH,
    ),
    KPI(
        "cp_per_10k_end",
        "Children on a CP plan at period end per 10,000",
        "per 10k",
        "stock_per10k",
        "cp_plans_open_end",
        dfe="DfE CIN census: CP rate at 31 March",
        label="Child protection plans per 10,000 children, 31 March",
        short="Children on CP plans per 10,000",
        section=_CHILDREN_AT_31_MARCH,
        headline=True,
    ),
    KPI(
        "cp_second_or_subsequent_pct",
        "Share of CP plans started that are the child's second or later plan",
        "%",
        "pct_flag",
        "cp_second_or_subsequent",
        dfe="DfE CIN census D3: second or subsequent plans",
        label="Child protection plans that are the child's second or later",
        short="Second or later CP plans",
        section=_ACTIVITY,
    ),
    KPI(
        "cp_ended_2y_plus_pct",
        "Share of CP plans ending in the period that lasted 2 years or more",
        "%",
        "pct_flag",
        "cp_ended_2y_plus",
        dfe="DfE CIN census D7: plans ended 2y+",
        label="Child protection plans ending after 2 years or more",
        short="CP plans lasting 2 years or more",
        section=_ACTIVITY,
    ),
    KPI(
        "cin_open_end",
        "Children in need at period end: every child with an open episode (being "
        "assessed, s47, CIN plan, CP plan or looked after)",
        "children",
        "stock",
        "cin_open_end",
        dfe="DfE CIN census B1: CIN at 31 March",
        label="Children in need, 31 March",
        short="Children in need",
        section=_CHILDREN_AT_31_MARCH,
    ),
    KPI(
        "cin_per_10k_end",
        "Children in need at period end per 10,000",
        "per 10k",
        "stock_per10k",
        "cin_open_end",
        dfe="DfE CIN census: CIN rate at 31 March",
        label="Children in need per 10,000 children, 31 March",
        short="Children in need per 10,000",
        section=_CHILDREN_AT_31_MARCH,
        headline=True,
    ),
    KPI(
        "cla_starts",
        "Children starting to be looked after",
        "children",
        "count",
        "cla_starts",
        dfe="DfE CLA (SSDA903): started",
        label="Children starting to be looked after",
        short="Children starting care",
        section=_ACTIVITY,
    ),
    KPI(
        "cla_ceased",
        "Children ceasing to be looked after",
        "children",
        "count",
        "cla_ceased",
        dfe="DfE CLA (SSDA903): ceased",
        label="Children ceasing to be looked after",
        short="Children leaving care",
        section=_ACTIVITY,
    ),
    KPI(
        "cla_open_end",
        "Children looked after at period end",
        "children",
        "stock",
        "cla_open_end",
        dfe="DfE CLA: looked after at 31 March",
        label="Children looked after, 31 March",
        short="Children looked after",
        section=_CHILDREN_AT_31_MARCH,
        headline=True,
    ),
    KPI(
        "cla_per_10k_end",
        "Children looked after at period end per 10,000",
        "per 10k",
        "stock_per10k",
        "cla_open_end",
        dfe="DfE CLA: rate per 10,000 at 31 March",
        label="Children looked after per 10,000 children, 31 March",
        short="Children looked after per 10,000",
        section=_CHILDREN_AT_31_MARCH,
        headline=True,
    ),
    # ---- workforce (need scenario.workforce enabled; NaN otherwise)
    KPI(
        "cp_visits_on_time_pct",
        "Share of CP visits completed by their due date (every "
        "workforce.visits.cp_interval_wd working days after the previous visit)",
        "%",
        "pct_flag",
        "cp_visit_on_time",
        dfe="local standard; Ofsted inspections",
        label="Child protection visits made by their due date",
        short="CP visits on time",
        section="Timeliness",
        headline=True,
    ),
    KPI(
        "cla_3plus_social_workers_pct",
        "Share of children looked after at period end who had 3 or "
        "more social workers in the 12 months to period end",
        "%",
        "stock",
        "cla_3plus_sw_pct",
        dfe="DfE CLA: children with 3+ social workers in the year (27% in 2024)",
        label="Children looked after with 3 or more social workers in the year, 31 March",
        short="Children looked after with 3+ social workers",
        section=_CASELOADS,
        upper=100.0,
    ),
    KPI(
        "sw_fte_in_post",
        "Social worker FTE employed by the LA (permanent and ASYE) at period end",
        "FTE",
        "stock",
        "sw_fte_in_post",
        dfe="DfE CSWW: FTE in post",
        label="Social workers employed by the council (FTE), 31 March",
        short="Social workers in post",
        section="Workforce",
        headline=True,
    ),
    KPI(
        "sw_vacancy_pct",
        "Vacant FTE ÷ (vacant + LA-employed FTE) at period end; vacancies covered by agency count as vacant",
        "%",
        "stock",
        "sw_vacancy_pct",
        dfe="DfE CSWW: vacancy rate",
        label="Social worker vacancy rate, 31 March",
        short="Vacancy rate",
        section="Workforce",
        headline=True,
        benchmark=_england(14.2, "DfE children's social work workforce, 30 September 2025"),
        upper=100.0,
    ),
    KPI(
        "sw_agency_pct",
        "Agency FTE ÷ (agency + LA-employed FTE) at period end",
        "%",
        "stock",
        "sw_agency_pct",
        dfe="DfE CSWW: agency rate",
        label="Agency social worker rate, 31 March",
        short="Agency rate",
        section="Workforce",
        headline=True,
        benchmark=_england(13.0, "DfE children's social work workforce, 30 September 2025"),
        upper=100.0,
    ),
    KPI(
        "sw_extra_hours_pct",
        "Extra hours LA-employed social workers work under workload pressure, as a share of their "
        "contracted hours (FTE-weighted; mean of the month ends in the period). Only with workload "
        "feedback on (workforce.feedback.enabled); undefined otherwise",
        "%",
        "stock_mean",
        "sw_extra_hours_pct",
        label="Extra hours worked under workload pressure",
        short="Extra hours",
        section="Workforce",
        upper=100.0,
    ),
    KPI(
        "sw_turnover_pct",
        "LA-employed FTE leaving in the period ÷ LA-employed FTE in post at "
        "period end (monthly values are not annualised)",
        "%",
        "turnover",
        "sw_leavers_fte",
        denominator="sw_fte_in_post",
        dfe="DfE CSWW: turnover rate",
        label="Social worker turnover rate",
        short="Turnover",
        section="Workforce",
        headline=True,
        benchmark=_england(11.8, "DfE children's social work workforce, 30 September 2025"),
    ),
    KPI(
        "caseload_mean",
        "Children held ÷ case-holding FTE in post (incl. agency) at period end",
        "children per FTE",
        "stock",
        "caseload_mean",
        dfe="DfE CSWW: average caseload",
        label="Average caseload: children per case-holding social worker (FTE), 31 March",
        short="Caseload per FTE (all teams)",
        section=_CASELOADS,
        headline=True,
        benchmark=_england(15.2, "DfE children's social work workforce, 30 September 2025"),
    ),
    KPI(
        "caseload_p90",
        "90th percentile across case-holding workers of children per FTE at period end",
        "children per FTE",
        "stock",
        "caseload_p90",
        label="Caseload of the busiest tenth of social workers (90th percentile), 31 March",
        short="Caseload per FTE, 90th percentile",
        section=_CASELOADS,
        headline=True,
    ),
    KPI(
        "caseload_max",
        "Highest children per FTE of any case-holding worker at period end",
        "children per FTE",
        "stock",
        "caseload_max",
        label="Highest caseload of any social worker, 31 March",
        short="Highest caseload per FTE",
        section=_CASELOADS,
    ),
    KPI(
        "unallocated_cases_mean",
        "Children waiting for a worker, time-weighted mean over the period",
        "children",
        "stock_mean",
        "unallocated_cases_month_mean",
        label="Children waiting for a social worker (average over the year)",
        short="Unallocated (mean over the month)",
        section=_CASELOADS,
        headline=True,
        display=Display.DECIMAL,
    ),
    KPI(
        "unallocated_cases_end",
        "Children waiting for a worker at period end",
        "children",
        "stock",
        "unallocated_cases_end",
        label="Children waiting for a social worker, 31 March",
        short="Unallocated (at month end)",
        section=_CASELOADS,
        headline=True,
        display=Display.DECIMAL,
    ),
    KPI(
        "allocation_wait_median_wd",
        "Median working days from needing a worker to having one "
        "(allocations completed in the period, children)",
        "working days",
        "median",
        "allocation_wait_wd",
        label="Median wait for a social worker",
        short="Median wait for a worker",
        section=_CASELOADS,
        headline=True,
    ),
    KPI(
        "allocation_wait_mean_wd",
        "Mean working days from needing a worker to having one",
        "working days",
        "mean",
        "allocation_wait_wd",
        label="Average wait for a social worker",
        short="Mean wait for a worker",
        section=_CASELOADS,
    ),
    KPI(
        "cin_visits_on_time_pct",
        "Share of CIN visits completed by their due date",
        "%",
        "pct_flag",
        "cin_visit_on_time",
        label="Child in need visits made by their due date",
        short="CIN visits on time",
        section="Timeliness",
    ),
    KPI(
        "cla_visits_on_time_pct",
        "Share of CLA visits completed by their due date",
        "%",
        "pct_flag",
        "cla_visit_on_time",
        label="Visits to children looked after made by their due date",
        short="CLA visits on time",
        section="Timeliness",
    ),
    KPI(
        "sw_agency_fte",
        "Agency social worker FTE at period end",
        "FTE",
        "stock",
        "sw_agency_fte",
        label="Agency social workers (FTE), 31 March",
        short="Agency social workers",
        section="Workforce",
        headline=True,
    ),
    KPI(
        "sw_vacancies_fte",
        "Vacant FTE at period end (covered by agency or not)",
        "FTE",
        "stock",
        "sw_vacancies_fte",
        label="Vacant social worker posts (FTE), 31 March",
        short="Vacant posts",
        section="Workforce",
    ),
    KPI(
        "worker_changes",
        "Changes of social worker (children), when a case moves team or a worker leaves",
        "children",
        "count",
        "worker_changes",
        label="Changes of social worker (children)",
        short="Changes of social worker",
        section=_CASELOADS,
    ),
    # ---- costs (need scenario.costs; NaN otherwise). Pounds in the period, at outturn prices.
    KPI(
        "cost_staff_permanent",
        "Permanent and ASYE social workers: salary × on-costs, retention and recruitment payments",
        "£",
        "money",
        "cost_staff_permanent",
        label="Permanent staff (incl. recruitment & retention)",
        short="Permanent staff",
        section=_COSTS,
        headline=True,
    ),
    KPI(
        "cost_staff_agency",
        "Agency social workers: hourly charge × billed hours",
        "£",
        "money",
        "cost_staff_agency",
        label="Agency staff",
        section=_COSTS,
        headline=True,
    ),
    KPI(
        "cost_agency_premium",
        "The part of the agency cost paid on top of the agency charge (workforce.dynamics."
        "agency_pay_premium): what repricing every agency worker costs; included in cost_staff_agency",
        "£",
        "money",
        "cost_agency_premium",
        label="Agency pay premium (part of agency staff)",
        short="Agency premium",
        section=_COSTS,
        headline=True,
    ),
    KPI(
        "cost_early_help",
        "Early-help key workers",
        "£",
        "money",
        "cost_early_help",
        label="Early help",
        section=_COSTS,
        headline=True,
    ),
    KPI(
        "cost_placements",
        "Placements of children looked after, all types",
        "£",
        "money",
        "cost_placements",
        label="Placements",
        section=_COSTS,
        headline=True,
    ),
    KPI(
        "cost_total",
        "Staff, agency, early help and placements",
        "£",
        "money",
        "cost_total",
        label="Total cost",
        section=_COSTS,
        headline=True,
    ),
    KPI(
        "cost_recruitment_retention",
        "Recruitment and retention payments (included in cost_staff_permanent)",
        "£",
        "money",
        "cost_recruitment_retention",
        label="Recruitment & retention payments (part of permanent staff)",
        short="Recruitment and retention",
        section=_COSTS,
        headline=True,
    ),
    KPI(
        "early_help_declined_full",
        "Children offered early help when no key worker had room",
        "children",
        "count",
        "early_help_declined_full",
        label="Children turned away from early help because it was full",
        short="Early help declined (full)",
        section="Demand",
    ),
    KPI(
        "referrals_prevented_by_early_help",
        "Contacts that would have become referrals, met instead thanks to the family's earlier early help",
        "children",
        "count",
        "referrals_prevented_by_early_help",
        label="Referrals prevented by earlier early help (children)",
        short="Referrals prevented by early help",
        section="Demand",
    ),
    # ---- additional measures (not in the DESIGN contract, free to extend)
    KPI(
        "cin_plans_open_end",
        "Children on a CIN plan (not CP or CLA) at period end",
        "children",
        "stock",
        "cin_plans_open_end",
        label="Children on a child in need plan, 31 March",
        short="Children on CIN plans",
        section=_CHILDREN_AT_31_MARCH,
    ),
    KPI(
        "assessments_open_end",
        "Children referred and awaiting or in assessment at period end",
        "children",
        "stock",
        "assessments_open_end",
        dfe="DfE CIN census: awaiting assessment",
        label="Children awaiting or in assessment, 31 March",
        short="Children in assessment",
        section=_CHILDREN_AT_31_MARCH,
    ),
    KPI(
        "early_help_open_end",
        "Children in an early-help episode at period end",
        "children",
        "stock",
        "early_help_open_end",
        label="Children in early help, 31 March",
        short="Children in early help",
        section=_CHILDREN_AT_31_MARCH,
    ),
    KPI(
        "cin_plans_started",
        "CIN plans started (children)",
        "children",
        "count",
        "cin_plans_started",
        label="Child in need plans started (children)",
        short="CIN plans started",
        section=_ACTIVITY,
    ),
    KPI(
        "cp_plans_ended",
        "CP plans ended (children)",
        "children",
        "count",
        "cp_plans_ended",
        label="Child protection plans ended (children)",
        short="CP plans ended",
        section=_ACTIVITY,
    ),
    KPI(
        "cp_reviews",
        "CP review conferences held (children reviewed)",
        "children",
        "count",
        "cp_reviews",
        label="Child protection review conferences (children reviewed)",
        short="CP reviews",
        section=_ACTIVITY,
    ),
    KPI(
        "contacts_on_open_cases",
        "Contacts about families with an open case (passed to the allocated worker, not a new referral)",
        "children",
        "count",
        "contacts_on_open_cases",
        label="Contacts about children whose family already has an open case",
        short="Contacts on open cases",
        section="Demand",
    ),
    KPI(
        "cla_ceased_age_18",
        "Children ceasing care at their 18th birthday",
        "children",
        "count",
        "cla_ceased_age_18",
        dfe="DfE CLA: ceased aged 18",
        label="Children leaving care at 18",
        short="Leaving care at 18",
        section=_ACTIVITY,
    ),
    KPI(
        "cla_starts_uasc",
        "UASC starting to be looked after",
        "children",
        "count",
        "cla_starts_uasc",
        dfe="DfE CLA: UASC starts",
        label="Unaccompanied asylum-seeking children starting to be looked after",
        short="UASC starting care",
        section=_ACTIVITY,
    ),
    KPI(
        "assessed_not_in_need",
        "Children whose single assessment found them not in need",
        "children",
        "count",
        "assessed_not_in_need",
        dfe="DfE CIN census C1: assessed as not in need",
        label="Children assessed as not in need",
        short="Assessed not in need",
        section=_ACTIVITY,
    ),
    # ---- court work and the pre-birth route (docs/court.md): 0 (counts, stocks, shares of care starts)
    # or undefined (proceedings' length, with no final order) in scenarios without [court] / [pre_birth]
    KPI(
        "pre_proceedings_started",
        "Children whose family entered pre-proceedings under the Public Law Outline (letter before "
        "proceedings), from the end of a CP or CIN plan",
        "children",
        "count",
        "pre_proceedings_started",
        dfe="no national statistic (Public Law Outline pre-proceedings)",
        label="Children entering pre-proceedings (Public Law Outline)",
        short="Pre-proceedings started",
        section=_COURT,
    ),
    KPI(
        "proceedings_issued",
        "Children subject to care proceedings issued in the period (Children Act 1989 s31), from "
        "pre-proceedings, an emergency removal or removal at birth",
        "children",
        "count",
        "proceedings_issued",
        dfe="Cafcass: care applications; MoJ Family Court Statistics Quarterly: children in public law "
        "applications",
        label="Children in care proceedings issued (children)",
        short="Care proceedings issued",
        section=_COURT,
    ),
    KPI(
        "proceedings_within_26w_pct",
        "Share of children whose care proceedings reached a final order in the period within 26 weeks "
        "of issue",
        "%",
        "pct_within",
        "proceedings_weeks",
        threshold=26,
        dfe="MoJ Family Court Statistics Quarterly: care and supervision cases disposed of within 26 "
        "weeks (Children and Families Act 2014 s14)",
        label="Care proceedings concluded within 26 weeks",
        short="Proceedings within 26 weeks",
        section=_COURT,
        benchmark=Benchmark(
            32.0,
            "England and Wales, April–June 2024",
            f"{_FCSQ}: care and supervision cases disposed of within 26 weeks",
        ),
    ),
    KPI(
        "proceedings_median_weeks",
        "Median weeks from issue to final order, over the children whose care proceedings ended in the "
        "period",
        "weeks",
        "median",
        "proceedings_weeks",
        dfe=f"{_FCSQ}: mean 41 weeks to first disposal (care and supervision cases)",
        label="Median length of care proceedings",
        short="Median weeks to final order",
        section=_COURT,
    ),
    KPI(
        "pre_proceedings_open_end",
        "Children whose family is in pre-proceedings at period end",
        "children",
        "stock",
        "pre_proceedings_open_end",
        label="Children in pre-proceedings, 31 March",
        short="Children in pre-proceedings",
        section=_COURT,
    ),
    KPI(
        "proceedings_at_home_open_end",
        "Children in care proceedings and living at home (no interim care order) at period end",
        "children",
        "stock",
        "proceedings_at_home_open_end",
        label="Children at home during care proceedings, 31 March",
        short="Children at home in proceedings",
        section=_COURT,
    ),
    KPI(
        "cla_starts_interim_care_order_pct",
        "Children starting to be looked after on an interim care order, as a share of all children "
        "starting to be looked after in the period",
        "%",
        "ratio",
        "cla_starts_interim_care_order",
        denominator="cla_starts",
        dfe="DfE CLA (SSDA903): legal status on starting, interim care order",
        label="Children starting care on an interim care order",
        short="Care starts on an interim care order",
        section=_COURT,
        benchmark=_england(31.0, "DfE CLA, year to 31 March 2025: legal status on starting"),
        upper=100.0,
    ),
    KPI(
        "cla_starts_under_1_pct",
        "Share of children starting to be looked after who were under one year old when they started",
        "%",
        "pct_flag",
        "cla_start_under_1",
        dfe="DfE CLA (SSDA903): started to be looked after, by age",
        label="Children starting care who were under one",
        short="Care starts under one",
        section=_ACTIVITY,
        benchmark=_england(16.0, "DfE CLA, year to 31 March 2025: age on starting"),
    ),
    KPI(
        "pre_birth_referrals",
        "Referrals about unborn babies (the pre-birth route; also counted in referrals)",
        "children",
        "count",
        "pre_birth_referrals",
        dfe="no national statistic (DfE CIN census referrals include unborn children)",
        label="Referrals about unborn babies",
        short="Pre-birth referrals",
        section=_COURT,
    ),
    KPI(
        "removed_at_birth",
        "Babies on an unborn CP plan removed from their parents at birth",
        "children",
        "count",
        "removed_at_birth",
        dfe="no national statistic",
        label="Babies removed at birth",
        short="Removed at birth",
        section=_COURT,
    ),
    KPI(
        "unborn_cp_plans_end",
        "Unborn children on a CP plan at period end (also counted among the children on a CP plan)",
        "children",
        "stock",
        "unborn_cp_plans_end",
        label="Unborn children on a child protection plan, 31 March",
        short="Unborn children on CP plans",
        section=_COURT,
    ),
)

_BY_NAME = {k.name: k for k in KPIS}

#: Per-team KPIs that :func:`caseflow.metrics.compute_kpis` adds for each case-holding team:
#: ``(prefix, description, unit, label, short label, display)``.
_TEAM_KPIS: tuple[tuple[str, str, str, str, str, Display, str, str], ...] = (
    # (prefix, description, unit, label, short, display, kind, denominator prefix)
    (
        "caseload_mean_",
        "Children per case-holding FTE at period end",
        "children per FTE",
        "Average caseload, {team} team: children per social worker (FTE), 31 March",
        "{Team} team",
        Display.DECIMAL,
        "stock",
        "",
    ),
    (
        "unallocated_end_",
        "Children waiting for a worker at period end",
        "children",
        "Children waiting for a social worker, {team} team, 31 March",
        "{Team} team, unallocated",
        Display.DECIMAL,
        "stock",
        "",
    ),
    (
        "sw_vacancy_pct_",
        "Vacant posts ÷ (vacant posts + LA-employed FTE in post) at period end",
        "%",
        "Vacancy rate, {team} team",
        "{Team} team vacancies",
        Display.PERCENT,
        "stock",
        "",
    ),
    (
        "sw_agency_pct_",
        "Agency FTE ÷ (agency + LA-employed FTE) at period end",
        "%",
        "Agency rate, {team} team",
        "{Team} team agency",
        Display.PERCENT,
        "stock",
        "",
    ),
    (
        "sw_turnover_pct_",
        "LA-employed FTE leaving the team in the period ÷ its LA-employed FTE in post at period end",
        "%",
        "Turnover rate, {team} team",
        "{Team} team turnover",
        Display.PERCENT,
        "turnover",
        "sw_fte_in_post_",
    ),
)

#: The records a per-team KPI family is computed from (its ``source``): the turnover family counts leavers.
_TEAM_SOURCES = {"sw_turnover_pct_": "sw_leavers_fte_"}

_TEAM_NAMES = {
    "front_door": "front door",
    "assessment": "assessment",
    "cin_cp": "CIN/CP",
    "children_in_care": "children in care",
    "care_leavers": "care leavers",
}


def team_kpi(name: str) -> KPI | None:
    """The definition of a per-team KPI (``caseload_mean_<team>`` or ``unallocated_end_<team>``), or None."""
    for prefix, what, unit, label, short, display, kind, denominator in _TEAM_KPIS:
        if name.startswith(prefix) and len(name) > len(prefix):
            team = name.removeprefix(prefix)
            words = _TEAM_NAMES.get(team, team.replace("_", " "))
            return KPI(
                name,
                f"{what} for team {team}",
                unit,
                kind,
                _TEAM_SOURCES.get(prefix, prefix) + team,
                denominator=denominator + team if denominator else "",
                label=label.format(team=words, Team=words[:1].upper() + words[1:]),
                short=short.format(team=words, Team=words[:1].upper() + words[1:]),
                section=_CASELOADS if kind == "stock" and unit != "%" else "Workforce",
                display=display,
                upper=100.0 if unit == "%" and kind == "stock" else None,
            )
    return None


#: Per-source KPIs (one per contact source a scenario has): (prefix, kind, unit, label, short, source,
#: denominator); ``{src}`` is the source's key, ``{words}`` its name in words.
_SOURCE_KPIS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "contacts_from_",
        "count",
        "children",
        "Contacts from {words}",
        "{Words} contacts",
        "contacts_from_{src}",
        "",
    ),
    (
        "contact_to_referral_pct_",
        "ratio",
        "%",
        "Contacts from {words} that led to a referral",
        "{Words}: contacts becoming referrals",
        "referrals_from_{src}",
        "contacts_from_{src}",
    ),
)

_SOURCE_NAMES = {"la_services": "local authority services", "la": "the local authority"}


def source_kpi(name: str) -> KPI | None:
    """The definition of a per-source KPI: ``contacts_from_<source>`` or
    ``contact_to_referral_pct_<source>``; None for any other name."""
    for prefix, kind, unit, label, short, source, denominator in _SOURCE_KPIS:
        if name.startswith(prefix) and len(name) > len(prefix):
            src = name.removeprefix(prefix)
            words = _SOURCE_NAMES.get(src, src.replace("_", " "))
            fill = {"src": src, "words": words, "Words": words[:1].upper() + words[1:]}
            return KPI(
                name,
                label.format(**fill) + " in the period",
                unit,
                kind,
                source.format(**fill),
                denominator=denominator.format(**fill),
                label=label.format(**fill),
                short=short.format(**fill),
                section="Demand",
                # no upper bound: like contact_to_referral_pct, a ratio of two flows in a period can pass
                # 100% (a month's referrals include those from the previous month's contacts)
                upper=None,
            )
    return None


def dynamic_kpis(counts: Iterable[str], stocks: Iterable[str]) -> tuple[KPI, ...]:
    """The per-team and per-source KPIs a replication's records support: a team KPI for each team stock
    (caseload, unallocated, vacancy and agency rates), a team's turnover for each team's FTE in post, and
    both source KPIs for each ``contacts_from_<source>`` counter."""
    stocks = set(stocks)
    out: list[KPI] = []
    for name in sorted(stocks):
        for prefix in team_kpi_prefixes():
            kpi = team_kpi(name) if name.startswith(prefix) else None
            if kpi is not None and kpi.kind == "stock":
                out.append(kpi)
        if name.startswith("sw_fte_in_post_") and len(name) > len("sw_fte_in_post_"):
            turnover = team_kpi("sw_turnover_pct_" + name.removeprefix("sw_fte_in_post_"))
            if turnover is not None:
                out.append(turnover)
    for name in sorted(counts):
        if name.startswith("contacts_from_"):
            src = name.removeprefix("contacts_from_")
            out += [k for p, *_ in _SOURCE_KPIS if (k := source_kpi(p + src)) is not None]
    return tuple(out)


def team_kpi_prefixes() -> tuple[str, ...]:
    return tuple(p for p, *_ in _TEAM_KPIS)


def kpi_names() -> list[str]:
    return [k.name for k in KPIS]


def describe(name: str) -> KPI:
    """The definition of KPI ``name`` (per-team and per-source KPIs included); KeyError if there is none."""
    kpi = _BY_NAME.get(name) or team_kpi(name) or source_kpi(name)
    if kpi is None:
        raise KeyError(name)
    return kpi


def cost_kpis() -> tuple[str, ...]:
    """The cost KPIs (pounds in the period), in catalogue order."""
    return tuple(k.name for k in KPIS if k.kind == "money")


def headline_kpis() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The Summary sheet's KPIs, ``(section, names)`` in section order."""
    return tuple(
        (section, names)
        for section in SECTIONS
        if (names := tuple(k.name for k in KPIS if k.headline and k.section == section))
    )


def _unknown(name: str) -> KPI:
    """A stand-in for a KPI nobody defined: labelled from its name, no unit, no bounds."""
    return KPI(
        name,
        "",
        "",
        "unknown",
        name,
        label=name.replace("_", " ").capitalize(),
        lower=None,
        upper=None,
    )


class Catalogue:
    """The built-in KPIs plus any defined outside the package (``extra``, which win on a name clash).

    ``catalogue[name]`` always gives a definition: built-in, extra, per-team, per-source, or for a name nobody
    defined a stand-in labelled from the name, with no unit and no bounds.
    """

    def __init__(self, extra: Iterable[KPI] = ()) -> None:
        self.extra: tuple[KPI, ...] = tuple(extra)

    def __getitem__(self, name: str) -> KPI:
        for k in self.extra:
            if k.name == name:
                return k
        kpi = _BY_NAME.get(name) or team_kpi(name) or source_kpi(name)
        return kpi if kpi is not None else _unknown(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (
            any(k.name == name for k in self.extra)
            or name in _BY_NAME
            or team_kpi(name) is not None
            or source_kpi(name) is not None
        )

    def __iter__(self) -> Iterator[KPI]:
        """Every KPI defined: built-ins (unless replaced by an extra one), then the extra ones."""
        own = {k.name for k in self.extra}
        yield from (k for k in KPIS if k.name not in own)
        yield from self.extra

    def bounds(self, name: str) -> tuple[float | None, float | None]:
        return self[name].bounds

    def label(self, name: str) -> str:
        return self[name].label

    def ordered(self, names: Iterable[str]) -> list[str]:
        """``names`` grouped by section (in :data:`SECTIONS` order), keeping their order within one."""
        names = list(dict.fromkeys(names))
        rank = {s: i for i, s in enumerate(SECTIONS)}
        return sorted(names, key=lambda n: rank.get(self[n].section, len(SECTIONS)))
