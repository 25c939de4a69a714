"""KPI definitions and their computation from a replication's records (DESIGN §6).

Every KPI is defined once, here, with how it is computed and the DfE measure it follows. KPI names are
a stable contract: add freely, rename none. Counts are of **children**, as DfE counts them; rates are
per 10,000 children aged 0–17; stocks are taken at the end of the period ("at 31 March" for a
financial year). Percentages and medians are over the events completed in the period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from caseflow.model.simulation import ReplicationOutput
from caseflow.records import Recorder

__all__ = ["KPI", "KPIS", "compute_kpis", "kpi_names"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class KPI:
    """One key performance indicator: its name, meaning, unit and how it is computed."""

    name: str
    description: str
    unit: str  # "children", "%", "per 10k", "working days"
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


def _k(*args: str | float, **kw: str | float) -> KPI:
    return KPI(*args, **kw)  # type: ignore[arg-type]


KPIS: tuple[KPI, ...] = (
    _k(
        "contacts",
        "Contacts received about children (each child in a family counts)",
        "children",
        "count",
        "contacts",
        dfe="ADCS Safeguarding Pressures: initial contacts",
    ),
    _k(
        "contact_decision_within_1wd_pct",
        "Share of contacts with a front-door decision within 1 working day of receipt",
        "%",
        "pct_within",
        "contact_decision_wd",
        threshold=1,
        dfe="Working Together: decision within one working day",
    ),
    _k(
        "contact_to_referral_pct",
        "Referrals as a share of contacts in the period",
        "%",
        "ratio",
        "referrals",
        denominator="contacts",
        dfe="ADCS: contact→referral conversion",
    ),
    _k(
        "early_help_starts",
        "Early-help episodes started (children)",
        "children",
        "count",
        "early_help_starts",
        dfe="ADCS: early help assessments",
    ),
    _k(
        "referrals",
        "Referrals to children's social care (children)",
        "children",
        "count",
        "referrals",
        dfe="DfE CIN census C1: referrals",
    ),
    _k(
        "referrals_per_10k",
        "Referrals per 10,000 children aged 0–17",
        "per 10k",
        "per10k",
        "referrals",
        dfe="DfE CIN census: referral rate",
    ),
    _k(
        "re_referrals_12m_pct",
        "Share of referrals within 12 months of a previous referral of the same child",
        "%",
        "pct_flag",
        "re_referral",
        dfe="DfE CIN census C1: re-referrals within 12 months",
    ),
    _k(
        "referral_nfa_pct",
        "Share of referrals closed with no further action before assessment",
        "%",
        "pct_flag",
        "referral_nfa",
        dfe="DfE CIN census C1: referrals NFA",
    ),
    _k(
        "assessments_completed",
        "Single assessments completed (children)",
        "children",
        "count",
        "assessments_completed",
        dfe="DfE CIN census C2: assessments completed",
    ),
    _k(
        "assessment_within_45wd_pct",
        "Share of assessments completed within 45 working days of referral",
        "%",
        "pct_within",
        "assessment_wd",
        threshold=45,
        dfe="DfE CIN census C2: assessments within 45 working days",
    ),
    _k(
        "assessment_median_wd",
        "Median working days from referral to completed assessment",
        "working days",
        "median",
        "assessment_wd",
        dfe="DfE CIN census C2: median duration",
    ),
    _k(
        "s47_enquiries",
        "Section 47 enquiries started (children)",
        "children",
        "count",
        "s47_enquiries",
        dfe="DfE CIN census C4: s47 enquiries",
    ),
    _k(
        "s47_per_10k",
        "Section 47 enquiries per 10,000 children",
        "per 10k",
        "per10k",
        "s47_enquiries",
        dfe="DfE CIN census C4: s47 rate",
    ),
    _k(
        "icpcs",
        "Initial child protection conferences held (children)",
        "children",
        "count",
        "icpcs",
        dfe="DfE CIN census C4: ICPCs",
    ),
    _k(
        "s47_to_icpc_pct",
        "ICPCs as a share of s47 enquiries in the period",
        "%",
        "ratio",
        "icpcs",
        denominator="s47_enquiries",
        dfe="DfE CIN census C4: ICPC per s47 (derived)",
    ),
    _k(
        "icpc_within_15wd_pct",
        "Share of ICPCs held within 15 working days of the strategy discussion",
        "%",
        "pct_within",
        "icpc_wd",
        threshold=15,
        dfe="DfE CIN census C4: ICPCs within 15 working days",
    ),
    _k(
        "cp_plans_started",
        "Child protection plans started (children)",
        "children",
        "count",
        "cp_plans_started",
        dfe="DfE CIN census D1: CP plans started",
    ),
    _k(
        "cp_plans_open_end",
        "Children on a CP plan at period end",
        "children",
        "stock",
        "cp_plans_open_end",
        dfe="DfE CIN census D1: CP plans at 31 March",
    ),
    _k(
        "cp_per_10k_end",
        "Children on a CP plan at period end per 10,000",
        "per 10k",
        "stock_per10k",
        "cp_plans_open_end",
        dfe="DfE CIN census: CP rate at 31 March",
    ),
    _k(
        "cp_second_or_subsequent_pct",
        "Share of CP plans started that are the child's second or later plan",
        "%",
        "pct_flag",
        "cp_second_or_subsequent",
        dfe="DfE CIN census D3: second or subsequent plans",
    ),
    _k(
        "cp_ended_2y_plus_pct",
        "Share of CP plans ending in the period that lasted 2 years or more",
        "%",
        "pct_flag",
        "cp_ended_2y_plus",
        dfe="DfE CIN census D7: plans ended 2y+",
    ),
    _k(
        "cin_open_end",
        "Children in need at period end: every child with an open episode (being "
        "assessed, s47, CIN plan, CP plan or looked after)",
        "children",
        "stock",
        "cin_open_end",
        dfe="DfE CIN census B1: CIN at 31 March",
    ),
    _k(
        "cin_per_10k_end",
        "Children in need at period end per 10,000",
        "per 10k",
        "stock_per10k",
        "cin_open_end",
        dfe="DfE CIN census: CIN rate at 31 March",
    ),
    _k(
        "cla_starts",
        "Children starting to be looked after",
        "children",
        "count",
        "cla_starts",
        dfe="DfE CLA (SSDA903): started",
    ),
    _k(
        "cla_ceased",
        "Children ceasing to be looked after",
        "children",
        "count",
        "cla_ceased",
        dfe="DfE CLA (SSDA903): ceased",
    ),
    _k(
        "cla_open_end",
        "Children looked after at period end",
        "children",
        "stock",
        "cla_open_end",
        dfe="DfE CLA: looked after at 31 March",
    ),
    _k(
        "cla_per_10k_end",
        "Children looked after at period end per 10,000",
        "per 10k",
        "stock_per10k",
        "cla_open_end",
        dfe="DfE CLA: rate per 10,000 at 31 March",
    ),
    # ---- workforce (need scenario.workforce enabled; NaN otherwise)
    _k(
        "cp_visits_on_time_pct",
        "Share of CP visits completed by their due date (every "
        "workforce.visits.cp_interval_wd working days after the previous visit)",
        "%",
        "pct_flag",
        "cp_visit_on_time",
        dfe="local standard; Ofsted inspections",
    ),
    _k(
        "cla_3plus_social_workers_pct",
        "Share of children looked after at period end who had 3 or "
        "more social workers in the 12 months to period end",
        "%",
        "stock",
        "cla_3plus_sw_pct",
        dfe="DfE CLA: children with 3+ social workers in the year (27% in 2024)",
    ),
    _k(
        "sw_fte_in_post",
        "Social worker FTE employed by the LA (permanent and ASYE) at period end",
        "FTE",
        "stock",
        "sw_fte_in_post",
        dfe="DfE CSWW: FTE in post",
    ),
    _k(
        "sw_vacancy_pct",
        "Vacant FTE ÷ (vacant + LA-employed FTE) at period end; vacancies covered by agency count as vacant",
        "%",
        "stock",
        "sw_vacancy_pct",
        dfe="DfE CSWW: vacancy rate",
    ),
    _k(
        "sw_agency_pct",
        "Agency FTE ÷ (agency + LA-employed FTE) at period end",
        "%",
        "stock",
        "sw_agency_pct",
        dfe="DfE CSWW: agency rate",
    ),
    _k(
        "sw_turnover_pct",
        "LA-employed FTE leaving in the period ÷ LA-employed FTE in post at "
        "period end (monthly values are not annualised)",
        "%",
        "turnover",
        "sw_leavers_fte",
        denominator="sw_fte_in_post",
        dfe="DfE CSWW: turnover rate",
    ),
    _k(
        "caseload_mean",
        "Children held ÷ case-holding FTE in post (incl. agency) at period end",
        "children per FTE",
        "stock",
        "caseload_mean",
        dfe="DfE CSWW: average caseload",
    ),
    _k(
        "caseload_p90",
        "90th percentile across case-holding workers of children per FTE at period end",
        "children per FTE",
        "stock",
        "caseload_p90",
    ),
    _k(
        "caseload_max",
        "Highest children per FTE of any case-holding worker at period end",
        "children per FTE",
        "stock",
        "caseload_max",
    ),
    _k(
        "unallocated_cases_mean",
        "Children waiting for a worker, time-weighted mean over the period",
        "children",
        "stock_mean",
        "unallocated_cases_month_mean",
    ),
    _k(
        "unallocated_cases_end",
        "Children waiting for a worker at period end",
        "children",
        "stock",
        "unallocated_cases_end",
    ),
    _k(
        "allocation_wait_median_wd",
        "Median working days from needing a worker to having one "
        "(allocations completed in the period, children)",
        "working days",
        "median",
        "allocation_wait_wd",
    ),
    _k(
        "allocation_wait_mean_wd",
        "Mean working days from needing a worker to having one",
        "working days",
        "mean",
        "allocation_wait_wd",
    ),
    _k(
        "cin_visits_on_time_pct",
        "Share of CIN visits completed by their due date",
        "%",
        "pct_flag",
        "cin_visit_on_time",
    ),
    _k(
        "cla_visits_on_time_pct",
        "Share of CLA visits completed by their due date",
        "%",
        "pct_flag",
        "cla_visit_on_time",
    ),
    _k("sw_agency_fte", "Agency social worker FTE at period end", "FTE", "stock", "sw_agency_fte"),
    _k(
        "sw_vacancies_fte",
        "Vacant FTE at period end (covered by agency or not)",
        "FTE",
        "stock",
        "sw_vacancies_fte",
    ),
    _k(
        "worker_changes",
        "Changes of social worker (children), when a case moves team or a worker leaves",
        "children",
        "count",
        "worker_changes",
    ),
    # ---- costs (need scenario.costs; NaN otherwise). Pounds in the period, at outturn prices.
    _k(
        "cost_staff_permanent",
        "Permanent and ASYE social workers: salary × on-costs, retention and recruitment payments",
        "£",
        "money",
        "cost_staff_permanent",
    ),
    _k(
        "cost_staff_agency",
        "Agency social workers: hourly charge × billed hours",
        "£",
        "money",
        "cost_staff_agency",
    ),
    _k("cost_early_help", "Early-help key workers", "£", "money", "cost_early_help"),
    _k("cost_placements", "Placements of children looked after, all types", "£", "money", "cost_placements"),
    _k("cost_total", "Staff, agency, early help and placements", "£", "money", "cost_total"),
    _k(
        "cost_recruitment_retention",
        "Recruitment and retention payments (included in cost_staff_permanent)",
        "£",
        "money",
        "cost_recruitment_retention",
    ),
    _k(
        "early_help_declined_full",
        "Children offered early help when no key worker had room",
        "children",
        "count",
        "early_help_declined_full",
    ),
    _k(
        "referrals_prevented_by_early_help",
        "Contacts that would have become referrals, met instead thanks to the family's earlier early help",
        "children",
        "count",
        "referrals_prevented_by_early_help",
    ),
    # ---- additional measures (not in the DESIGN contract, free to extend)
    _k(
        "cin_plans_open_end",
        "Children on a CIN plan (not CP or CLA) at period end",
        "children",
        "stock",
        "cin_plans_open_end",
    ),
    _k(
        "assessments_open_end",
        "Children referred and awaiting or in assessment at period end",
        "children",
        "stock",
        "assessments_open_end",
        dfe="DfE CIN census: awaiting assessment",
    ),
    _k(
        "early_help_open_end",
        "Children in an early-help episode at period end",
        "children",
        "stock",
        "early_help_open_end",
    ),
    _k(
        "cin_plans_started",
        "CIN plans started (children)",
        "children",
        "count",
        "cin_plans_started",
    ),
    _k("cp_plans_ended", "CP plans ended (children)", "children", "count", "cp_plans_ended"),
    _k(
        "cp_reviews",
        "CP review conferences held (children reviewed)",
        "children",
        "count",
        "cp_reviews",
    ),
    _k(
        "contacts_on_open_cases",
        "Contacts about families with an open case (passed to the allocated worker, not a new referral)",
        "children",
        "count",
        "contacts_on_open_cases",
    ),
    _k(
        "cla_ceased_age_18",
        "Children ceasing care at their 18th birthday",
        "children",
        "count",
        "cla_ceased_age_18",
        dfe="DfE CLA: ceased aged 18",
    ),
    _k(
        "cla_starts_uasc",
        "UASC starting to be looked after",
        "children",
        "count",
        "cla_starts_uasc",
        dfe="DfE CLA: UASC starts",
    ),
    _k(
        "assessed_not_in_need",
        "Children whose single assessment found them not in need",
        "children",
        "count",
        "assessed_not_in_need",
        dfe="DfE CIN census C1: assessed as not in need",
    ),
)

_BY_NAME = {k.name: k for k in KPIS}


def kpi_names() -> list[str]:
    return [k.name for k in KPIS]


def _cp_2y_flags(rec: Recorder) -> tuple[list[int], list[float]]:
    months, days = rec.tallies.get("cp_ended_duration_days", ([], []))
    return months, [1.0 if d >= 2 * 365.25 else 0.0 for d in days]


def _period_value(
    kpi: KPI,
    rec: Recorder,
    months: range,
    population: int,
    tally_cache: dict[str, tuple[npt.NDArray[np.int64], FloatArray]],
) -> float:
    lo, hi = months.start, months.stop

    def counter(name: str) -> float:
        c = rec.counts.get(name)
        return float(sum(c[lo:hi])) if c is not None else 0.0

    if kpi.kind == "count":
        return counter(kpi.source)
    if kpi.kind == "money":
        return counter(kpi.source) if kpi.source in rec.counts else float("nan")
    if kpi.kind == "per10k":
        return counter(kpi.source) / population * 1e4
    if kpi.kind in ("stock", "stock_per10k", "stock_mean"):
        stock = rec.stocks.get(kpi.source)
        if stock is None:
            return float("nan")
        if kpi.kind == "stock_mean":
            return float(np.mean(stock[lo:hi]))
        level = float(stock[hi - 1])
        return level if kpi.kind == "stock" else level / population * 1e4
    if kpi.kind == "turnover":
        stock = rec.stocks.get(kpi.denominator)
        if stock is None or not stock[hi - 1]:
            return float("nan")
        return 100.0 * counter(kpi.source) / float(stock[hi - 1])
    if kpi.kind == "ratio":
        den = counter(kpi.denominator)
        return 100.0 * counter(kpi.source) / den if den > 0 else float("nan")
    m, v = tally_cache[kpi.source]
    sel = v[(m >= lo) & (m < hi)]
    if sel.size == 0:
        return float("nan")
    if kpi.kind == "median":
        return float(np.median(sel))
    if kpi.kind == "mean":
        return float(np.mean(sel))
    if kpi.kind == "pct_within":
        return float(100.0 * np.mean(sel <= kpi.threshold))
    if kpi.kind == "pct_flag":
        return float(100.0 * np.mean(sel))
    raise ValueError(f"unknown KPI kind {kpi.kind!r}")


def compute_kpis(out: ReplicationOutput, kpis: tuple[KPI, ...] = KPIS) -> pd.DataFrame:
    """Tidy KPI table of one replication: one row per (period, KPI).

    Columns: ``replication``, ``period_type`` (``"financial_year"`` or ``"month"``), ``period``
    (``"2026-27"`` or ``"2026-04"``), ``warmup`` (True for periods in the warm-up), ``kpi``, ``value``.
    """
    rec = out.recorder
    pop = out.scenario.population
    cache: dict[str, tuple[npt.NDArray[np.int64], FloatArray]] = {}
    for name, (m, v) in rec.tallies.items():
        cache[name] = (np.asarray(m, dtype=np.int64), np.asarray(v, dtype=float))
    m2, f2 = _cp_2y_flags(rec)
    cache["cp_ended_2y_plus"] = (np.asarray(m2, dtype=np.int64), np.asarray(f2, dtype=float))
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0))
    for k in kpis:
        if k.kind in ("pct_within", "pct_flag", "median", "mean"):
            cache.setdefault(k.source, empty)

    extra = tuple(
        KPI(name, f"{kind} for team {name.split('_', 2)[-1]}", unit, "stock", name)
        for name in sorted(rec.stocks)
        for prefix, kind, unit in (
            ("caseload_mean_", "Children per case-holding FTE at period end", "children per FTE"),
            ("unallocated_end_", "Children waiting for a worker at period end", "children"),
        )
        if name.startswith(prefix)
    )
    kpis = kpis + extra
    periods: list[tuple[str, str, range, bool]] = []
    for i, label in enumerate(out.months):
        periods.append(("month", label, range(i, i + 1), i < out.warmup_months))
    n_years = len(out.months) // 12
    start_year = out.scenario.run.start_date.year
    for y in range(n_years):
        label = f"{start_year + y}-{(start_year + y + 1) % 100:02d}"
        periods.append(("financial_year", label, range(12 * y, 12 * y + 12), 12 * y < out.warmup_months))

    rows = [
        (out.replication, ptype, label, warm, k.name, _period_value(k, rec, months, pop, cache))
        for ptype, label, months, warm in periods
        for k in kpis
    ]
    return pd.DataFrame(rows, columns=["replication", "period_type", "period", "warmup", "kpi", "value"])


def describe(name: str) -> KPI:
    """The definition of KPI ``name``."""
    return _BY_NAME[name]
