"""The KPI catalogue (:mod:`caseflow.metrics.catalogue`): each KPI defined once, read by every table and
chart, and a user's own KPI shown with its own label."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import caseflow
from caseflow.costs import COST_KPIS
from caseflow.experiment.results import Results
from caseflow.metrics import KPI, KPIS, SECTIONS, Benchmark, Catalogue, Display, compute_kpis, describe
from caseflow.metrics.catalogue import cost_kpis, headline_kpis
from caseflow.present import charts, excel, text
from caseflow.present.report import write_report

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"

#: A KPI defined outside the package, as a user would.
CP_STARTS_RATE = KPI(
    "cp_started_per_10k",
    "Child protection plans started in the period per 10,000 children aged 0–17",
    "per 10k",
    "per10k",
    "cp_plans_started",
    label="Child protection plans started per 10,000 children",
    short="CP plans started per 10,000",
    section="Assessments, enquiries and plans",
    headline=True,
    benchmark=Benchmark(51.0, "Statistical neighbours"),
)


# ---------------------------------------------------------------------------------------------- entries


def test_names_and_labels_are_unique() -> None:
    names = [k.name for k in KPIS]
    assert len(names) == len(set(names))
    labels = [k.label for k in KPIS]
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize("kpi", KPIS, ids=[k.name for k in KPIS])
def test_every_kpi_is_fully_described(kpi: KPI) -> None:
    assert kpi.label
    assert kpi.label != kpi.name
    assert "_" not in kpi.label  # plain words, not a variable name
    assert kpi.short
    assert kpi.section in SECTIONS
    assert kpi.section != "Other measures"
    assert isinstance(kpi.display, Display)
    assert kpi.unit_label
    assert kpi.lower == 0.0
    if kpi.unit == "%":
        assert kpi.display is Display.PERCENT
    if kpi.unit == "£":
        assert kpi.display is Display.MONEY


def test_defaults_follow_the_unit_and_kind() -> None:
    k = KPI("x", "A share of something", "%", "pct_flag", "x")
    assert (k.label, k.short, k.display, k.bounds) == (
        "A share of something",
        "A share of something",
        Display.PERCENT,
        (0.0, 100.0),
    )
    assert KPI("y", "d", "children", "count", "y").bounds == (0.0, None)
    assert KPI("z", "d", "children", "count", "z").display is Display.COUNT
    assert KPI("w", "d", "things", "mean", "w", lower=None).bounds == (None, None)


def test_the_copies_are_gone() -> None:
    """Benchmarks, the Summary sheet's sections, cost columns and labels all come from the catalogue."""
    assert {k.name: k.benchmark.value for k in KPIS if k.benchmark is not None} == charts.ENGLAND_2025
    assert charts.ENGLAND_2025["assessment_within_45wd_pct"] == 85.7
    assert headline_kpis() == excel.HEADLINE_KPIS
    assert [s for s, _ in excel.HEADLINE_KPIS] == [
        "Demand",
        "Timeliness",
        "Children at 31 March",
        "Caseloads and unallocated work",
        "Workforce",
        "Costs (£ a year)",
    ]
    assert {k for k, _ in excel.COST_COLUMNS} == set(cost_kpis()) == set(COST_KPIS)
    assert charts.kpi_label("assessment_within_45wd_pct") == describe("assessment_within_45wd_pct").short
    assert charts.kpi_unit("caseload_mean_cin_cp") == "children per FTE"


def test_per_team_kpis() -> None:
    k = describe("caseload_mean_cin_cp")
    assert k.label == "Average caseload, CIN/CP team: children per social worker (FTE), 31 March"
    assert k.short == "CIN/CP team"
    label = describe("unallocated_end_my_team").label
    assert label.startswith("Children waiting for a social worker, my team")
    with pytest.raises(KeyError):
        describe("no_such_kpi")


def test_per_team_workforce_kpis() -> None:
    vacancy = describe("sw_vacancy_pct_assessment")
    assert (vacancy.kind, vacancy.source, vacancy.unit, vacancy.bounds) == (
        "stock", "sw_vacancy_pct_assessment", "%", (0.0, 100.0),
    )  # fmt: skip
    assert vacancy.label == "Vacancy rate, assessment team"
    turnover = describe("sw_turnover_pct_cin_cp")
    assert (turnover.kind, turnover.source, turnover.denominator) == (
        "turnover", "sw_leavers_fte_cin_cp", "sw_fte_in_post_cin_cp",
    )  # fmt: skip
    assert turnover.section == "Workforce"


def test_per_source_kpis() -> None:
    contacts = describe("contacts_from_police")
    assert (contacts.kind, contacts.source, contacts.unit) == ("count", "contacts_from_police", "children")
    assert contacts.label == "Contacts from police"
    conversion = describe("contact_to_referral_pct_la_services")
    assert conversion.kind == "ratio"
    assert (conversion.source, conversion.denominator) == (
        "referrals_from_la_services",
        "contacts_from_la_services",
    )
    assert conversion.label == "Contacts from local authority services that led to a referral"
    assert conversion.bounds == (0.0, None)  # a ratio of flows in a period can pass 100%, as the total can
    assert "contacts_from_schools" in Catalogue()
    with pytest.raises(KeyError):
        describe("contacts_from_")


def test_catalogue_lookups() -> None:
    cat = Catalogue([CP_STARTS_RATE])
    assert cat["cp_started_per_10k"] is CP_STARTS_RATE
    assert "cp_started_per_10k" in cat
    assert "cp_started_per_10k" not in Catalogue()
    assert list(cat)[-1] is CP_STARTS_RATE
    assert len(list(cat)) == len(KPIS) + 1
    unknown = cat["made_up_kpi"]
    assert (unknown.label, unknown.unit, unknown.bounds) == ("Made up kpi", "", (None, None))
    assert unknown.section == "Other measures"
    replaced = KPI("contacts", "mine", "children", "count", "contacts", label="My contacts")
    assert Catalogue([replaced])["contacts"].label == "My contacts"
    assert [k.name for k in Catalogue([replaced])].count("contacts") == 1
    order = Catalogue().ordered(["cost_total", "contacts", "made_up", "sw_agency_pct", "referrals"])
    assert order == ["contacts", "referrals", "sw_agency_pct", "cost_total", "made_up"]


def test_text_formats_follow_the_display() -> None:
    assert text.format_value(describe("contacts"), 14337.6) == "14,338"
    assert text.format_value(describe("assessment_within_45wd_pct"), 86.64, symbol=True) == "86.6%"
    assert text.format_value(describe("cost_total"), 1234.4, symbol=True) == "£1,234"
    assert text.format_value(describe("cost_total"), -1234.4, symbol=True) == "-£1,234"
    assert text.format_value(describe("referrals_per_10k"), 2.0, sign=True) == "+2.0"
    assert text.format_value(describe("referrals_per_10k"), -0.01) == "0.0"
    assert text.format_value(describe("contacts"), float("nan")) == "–"


# ---------------------------------------------------------------------------------------------- a user's KPI


@pytest.fixture(scope="module")
def custom_results() -> Results:
    """Two replications of one year, computed with the built-in KPIs and a user's own."""
    scenario = caseflow.load_scenario(BASELINE)
    kpis = (*KPIS, CP_STARTS_RATE)
    frames = [
        compute_kpis(caseflow.simulate(scenario, seed=5, replication=r, years=1), kpis=kpis) for r in range(2)
    ]
    return Results(
        scenario=scenario,
        kpis=pd.concat(frames, ignore_index=True),
        seed=5,
        replications=2,
        years=1,
        provenance={"caseflow_version": "test"},
        kpi_definitions=(CP_STARTS_RATE,),
    )


@pytest.mark.untraced
def test_user_kpi_is_computed(custom_results: Results) -> None:
    head = custom_results.headline()
    assert head.loc["cp_started_per_10k", "mean"] == pytest.approx(
        head.loc["cp_plans_started", "mean"] / custom_results.scenario.population * 1e4
    )
    assert head.loc["cp_started_per_10k", "ci_low"] >= 0


def test_user_kpi_in_the_text_table(custom_results: Results) -> None:
    out = text.format_headline(custom_results)
    (line,) = [ln for ln in out.splitlines() if ln.endswith(" cp_started_per_10k")]
    assert line.strip().startswith("Child protection plans started per 10,000 children")
    assert "per 10,000 children aged 0–17" in line


def test_user_kpi_in_the_workbook(custom_results: Results, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(excel.write_workbook(custom_results, tmp_path / "custom.xlsx"))
    summary = book["Summary"]
    cells = {c.value: c.row for row in summary.iter_rows() for c in row if isinstance(c.value, str)}
    row = cells["Child protection plans started per 10,000 children"]
    values = [summary.cell(row=row, column=c).value for c in range(1, summary.max_column + 1)]
    assert "cp_started_per_10k" in values  # its name beside its label
    assert 51.0 in values  # its benchmark
    assert "Statistical neighbours" in " ".join(str(v) for v in values if v) + str(
        [c.value for c in summary["A"]]
    )
    by_year = [c.value for c in book["KPIs by year"]["B"]]
    assert "Child protection plans started per 10,000 children" in by_year


@pytest.mark.untraced
def test_user_kpi_in_charts_and_report(custom_results: Results, tmp_path: Path) -> None:
    fig = charts.kpi_timeseries(custom_results, ["cp_started_per_10k"], period_type="financial_year")
    (ax,) = fig.axes
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "kpi:cp_started_per_10k"]
    assert line.get_label() == "CP plans started per 10,000"
    assert ax.get_ylabel() == "per 10,000 children aged 0–17"
    out = write_report(custom_results, tmp_path / "report")
    md = (out / "headline.md").read_text(encoding="utf-8")
    assert "| Child protection plans started per 10,000 children |" in md
    definitions = pd.read_csv(out / "kpi_definitions.csv", index_col="kpi")
    assert definitions.loc["cp_started_per_10k", "benchmark_label"] == "Statistical neighbours"


# ---------------------------------------------------------------------------------------------- court work

COURT_WORK = REPO / "scenarios" / "court_work.toml"
#: The KPIs of court work and the pre-birth route (docs/court.md), with their value in a scenario
#: without them: 0 for what is simply not happening, NaN for proceedings' length (no final orders).
COURT_KPIS: dict[str, float] = {
    "pre_proceedings_started": 0.0,
    "proceedings_issued": 0.0,
    "proceedings_within_26w_pct": float("nan"),
    "proceedings_median_weeks": float("nan"),
    "pre_proceedings_open_end": 0.0,
    "proceedings_at_home_open_end": 0.0,
    "cla_starts_interim_care_order_pct": 0.0,
    "pre_birth_referrals": 0.0,
    "removed_at_birth": 0.0,
    "unborn_cp_plans_end": 0.0,
}


def _court_year(path: Path) -> dict[str, float]:
    """The court KPIs and the under-one share of care starts in one reported year (workforce off)."""
    scenario = caseflow.load_scenario(path).with_overrides({"workforce.enabled": False})
    k = compute_kpis(caseflow.simulate(scenario, seed=3, replication=1, years=1))
    year = k[(k["period_type"] == "financial_year") & ~k["warmup"]]
    names = {*COURT_KPIS, "cla_starts_under_1_pct"}
    return {str(r.kpi): float(r.value) for r in year.itertuples() if r.kpi in names}


def test_court_kpis_in_the_catalogue() -> None:
    for name in [*COURT_KPIS, "cla_starts_under_1_pct"]:
        k = describe(name)
        assert k.section in ("Court work", "Assessments, enquiries and plans"), name
    assert describe("proceedings_within_26w_pct").benchmark == Benchmark(
        32.0,
        "England and Wales, April–June 2024",
        "MoJ Family Court Statistics Quarterly, April to June 2024: care and supervision cases disposed "
        "of within 26 weeks",
    )
    assert describe("proceedings_within_26w_pct").threshold == 26
    under_1 = describe("cla_starts_under_1_pct").benchmark
    assert under_1 is not None
    assert under_1.value == 16.0
    assert describe("cla_starts_interim_care_order_pct").bounds == (0.0, 100.0)
    assert describe("proceedings_median_weeks").unit_label == "weeks"


@pytest.mark.untraced
def test_court_kpis_without_court_work() -> None:
    """Without [court] and [pre_birth] the counts, stocks and the share of care starts on an interim
    order are 0, and the length of proceedings is undefined; the under-one share is still measured."""
    got = _court_year(BASELINE)
    for name, expected in COURT_KPIS.items():
        assert got[name] == pytest.approx(expected, nan_ok=True), name
    assert 0 <= got["cla_starts_under_1_pct"] < 10


def test_court_kpis_with_court_work() -> None:
    got = _court_year(COURT_WORK)
    assert got["proceedings_issued"] > 0
    assert got["pre_proceedings_started"] > 0
    assert got["pre_birth_referrals"] > 0
    assert 0 < got["proceedings_within_26w_pct"] < 100
    assert 10 < got["proceedings_median_weeks"] < 80
    assert 15 < got["cla_starts_interim_care_order_pct"] < 50  # target 31%
    assert 5 < got["cla_starts_under_1_pct"] < 30  # target 16%


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(st.integers(min_value=-3, max_value=15), max_size=60),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=12),
    st.booleans(),
)
def test_a_tally_gives_a_period_its_values_in_the_order_recorded(
    months: list[int], lo: int, hi: int, in_order: bool
) -> None:
    """A period's values of a tally, whether its months are in order (a slice) or not (a mask): those
    recorded in the period, in the order recorded, including none, whatever lies outside the run."""
    from caseflow.metrics.compute import _Tally

    if in_order:
        months = sorted(months)
    values = [float(i) for i in range(len(months))]
    tally = _Tally.of(months, values, 12)
    assert (tally.starts is not None) == (months == sorted(months))
    lo, hi = min(lo, hi), max(lo, hi)
    expected = [v for m, v in zip(months, values, strict=True) if lo <= m < hi]
    assert tally.within(lo, hi).tolist() == expected
