"""Tests for the Excel workbook (:mod:`caseflow.present.excel`): written, then read back with openpyxl."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import caseflow
import caseflow.cli
from caseflow.costs import COST_KPIS
from caseflow.experiment.compare import Comparison
from caseflow.experiment.results import Results
from caseflow.metrics import KPIS, Catalogue
from caseflow.present.excel import (
    COST_COLUMNS,
    NO_SOURCE,
    _quarter_label,
    flatten_parameters,
    parameter_source,
    write_workbook,
)
from caseflow.present.report import write_report
from caseflow.scenario.scale import scaled
from caseflow.scenario.sources import parameter_sources

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
AGENCY = REPO / "scenarios" / "agency_backfill.toml"
SHEETS = ["Summary", "KPIs by year", "Costs", "Assumptions", "About"]
REPORTED_FY = "2026-27"  # the baseline starts on 1 April 2025; its first year is the warm-up


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    """Baseline and agency backfill on common random numbers: 2 replications of 1 reported year, each
    scaled to a fifth of its size (same rates and caseloads, same files and sources): what the workbook
    shows does not depend on the authority's size."""
    return caseflow.compare(
        {
            "baseline": scaled(caseflow.load_scenario(BASELINE), 0.2, name="baseline"),
            "agency_backfill": scaled(caseflow.load_scenario(AGENCY), 0.2, name="agency_backfill"),
        },
        years=1,
        replications=2,
        seed=1,
        executor="sequential",
    )


@pytest.fixture(scope="module")
def results(comparison: Comparison) -> Results:
    """The baseline run of the comparison: exactly what ``caseflow.run`` returns for the scaled baseline
    with ``years=1, replications=2, seed=1`` (same streams), without simulating it twice."""
    return comparison.results["baseline"]


@pytest.fixture(scope="module")
def run_book(results: Results, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = write_workbook(results, tmp_path_factory.mktemp("run") / "run.xlsx")
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def compare_book(comparison: Comparison, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = write_workbook(comparison, tmp_path_factory.mktemp("cmp") / "comparison.xlsx")
    return openpyxl.load_workbook(path)


# ---- reading tables back


def _find_row(ws: Any, first: str, col: int = 1) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=col).value == first:
            return row
    raise AssertionError(f"no row starting {first!r} in {ws.title}")


def _kpi_row(ws: Any, name: str) -> int:
    """The row of KPI ``name`` (in the "Name" column)."""
    header = _find_row(ws, "KPI") if ws.title == "Summary" else 2
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=header, column=c).value == "Name")
    return _find_row(ws, name, col)


def _columns(ws: Any, header_row: int, group_row: int | None) -> list[tuple[str | None, str]]:
    """``(group label, column label)`` per column; merged group labels forward-filled."""
    cols: list[tuple[str | None, str]] = []
    group: str | None = None
    for c in range(1, ws.max_column + 1):
        if group_row is not None and ws.cell(row=group_row, column=c).value is not None:
            group = str(ws.cell(row=group_row, column=c).value)
        cols.append((group, str(ws.cell(row=header_row, column=c).value)))
    return cols


def _records(ws: Any, header_row: int, group_row: int | None) -> list[dict[Any, Any]]:
    """Rows below ``header_row`` until the first empty row, keyed by column label and
    ``(group, label)``."""
    cols = _columns(ws, header_row, group_row)
    out = []
    for row in range(header_row + 1, ws.max_row + 1):
        values = [ws.cell(row=row, column=c).value for c in range(1, len(cols) + 1)]
        if all(v is None for v in values):
            break
        rec: dict[Any, Any] = {}
        for (group, label), v in zip(cols, values, strict=True):
            rec.setdefault(label, v)
            rec[(group, label)] = v
        out.append(rec)
    return out


def _scaled(kpi: str, value: float) -> float:
    """The value a workbook cell holds for a KPI value: percentages are stored as fractions."""
    return value / 100 if Catalogue()[kpi].unit == "%" else value


def _close(cell: Any, expected: float) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return cell is None
    return cell == pytest.approx(expected, rel=1e-9, abs=1e-9)


# ---- the workbook of a run


def test_sheet_names(run_book: Any, compare_book: Any) -> None:
    assert run_book.sheetnames == SHEETS
    assert compare_book.sheetnames == SHEETS


def test_summary_describes_the_run(run_book: Any, results: Results) -> None:
    ws = run_book["Summary"]
    assert "baseline" in ws["A1"].value
    meta = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(3, 15)}
    assert meta["Replications"] == 2
    assert meta["Random seed"] == 1
    assert meta["Financial years reported"] == f"1 ({REPORTED_FY})"
    assert meta["caseflow version"] == results.provenance["caseflow_version"]
    assert meta["Run date"].startswith(results.provenance["started_utc"][:10])
    scenarios = _records(ws, _find_row(ws, "Scenario"), None)
    assert [s["Scenario"] for s in scenarios] == ["baseline"]
    assert scenarios[0]["Description"] == results.scenario.description
    assert "3.0% a year" in meta["Money"]


def test_summary_values_equal_headline(run_book: Any, results: Results) -> None:
    ws = run_book["Summary"]
    rows = [r for r in _records(ws, _find_row(ws, "KPI"), None) if r["Unit"] is not None]
    head = results.headline()
    catalogue = Catalogue()
    assert len(rows) >= 25
    for r in rows:
        kpi = r["Name"]
        assert r["KPI"] == catalogue[kpi].label  # the plain label, not the variable name
        assert r["Unit"] == catalogue[kpi].unit_label
        for label, col in (("Mean", "mean"), ("95% CI low", "ci_low"), ("95% CI high", "ci_high")):
            assert _close(r[label], _scaled(kpi, head.loc[kpi, col])), (kpi, label)
        assert r["Definition"] == next(k.description for k in KPIS if k.name == kpi)
        benchmark = catalogue[kpi].benchmark
        assert _close(r["Benchmark"], _scaled(kpi, benchmark.value) if benchmark else None), kpi
    shown = {r["Name"] for r in rows}
    assert {"assessment_within_45wd_pct", "caseload_mean", "unallocated_cases_mean"} <= shown
    assert {"sw_vacancy_pct", "cp_per_10k_end", "cla_per_10k_end", *COST_KPIS} <= shown


def test_number_formats_and_frozen_headers(run_book: Any) -> None:
    ws = run_book["Summary"]
    pct = _kpi_row(ws, "assessment_within_45wd_pct")
    money = _kpi_row(ws, "cost_total")
    count = _kpi_row(ws, "contacts")
    assert ws.cell(row=count, column=3).number_format == "#,##0"
    assert ws.cell(row=pct, column=1).value == "Assessments completed within 45 working days"
    assert ws.cell(row=pct, column=3).number_format == "0.0%"
    assert "£" in ws.cell(row=money, column=3).number_format
    assert "#,##0" in ws.cell(row=money, column=3).number_format
    assert ws.cell(row=_find_row(ws, "KPI"), column=1).font.bold
    assert run_book["Costs"].freeze_panes == "D3"
    assert run_book["KPIs by year"].freeze_panes == "D3"
    assert run_book["Assumptions"].freeze_panes == "C2"
    assert run_book["Assumptions"].column_dimensions["E"].width >= 60  # the source


def test_kpis_by_year_equal_summary(run_book: Any, results: Results) -> None:
    ws = run_book["KPIs by year"]
    rows = _records(ws, 2, 1)
    summary = results.summary("financial_year").set_index(["kpi", "period"])
    assert {r["Name"] for r in rows} == set(results.kpis["kpi"])  # every KPI, per-team ones included
    catalogue = Catalogue()
    for r in rows:
        name = r["Name"]
        assert r["KPI"] == catalogue[name].label
        assert r["Section"] == catalogue[name].section
        s = summary.loc[(name, REPORTED_FY)]
        assert _close(r[(REPORTED_FY, "Mean")], _scaled(name, s["mean"])), name
        assert _close(r[(REPORTED_FY, "95% CI high")], _scaled(name, s["ci_high"])), name
        lower, upper = catalogue.bounds(name)
        if r[(REPORTED_FY, "95% CI low")] is not None:
            assert r[(REPORTED_FY, "95% CI low")] >= _scaled(name, lower or 0.0), name
        if r[(REPORTED_FY, "95% CI high")] is not None and upper is not None:
            assert r[(REPORTED_FY, "95% CI high")] <= _scaled(name, upper), name
    assert _kpi_row(run_book["KPIs by year"], "caseload_mean_cin_cp") > 2
    labels = [r["KPI"] for r in rows]
    assert "Average caseload, CIN/CP team: children per social worker (FTE), 31 March" in labels


def _cost_rows(book: Any) -> list[dict[Any, Any]]:
    return _records(book["Costs"], 2, 1)


def test_costs_year_is_sum_of_quarters_and_equals_kpis(run_book: Any, results: Results) -> None:
    rows = {(r["Scenario"], r["Figures"], r["Period"]): r for r in _cost_rows(run_book)}
    quarters = [f"{REPORTED_FY} Q{q}" for q in range(1, 5)]
    assert [p for (_, _, p) in rows] == [REPORTED_FY, *quarters]
    fy = results.reported("financial_year")
    for kpi, label in COST_COLUMNS:
        year = rows[("baseline", "cost", REPORTED_FY)][(label, "Mean")]
        parts = [rows[("baseline", "cost", q)][(label, "Mean")] for q in quarters]
        assert year == pytest.approx(sum(parts), rel=1e-9), kpi
        expected = fy[fy["kpi"] == kpi]["value"]
        assert len(expected) == 2
        assert year == pytest.approx(expected.mean(), rel=1e-12), kpi
        assert rows[("baseline", "cost", REPORTED_FY)][(label, "95% CI low")] <= year
    # Q1 is April to June: the sum of those monthly rows, averaged over replications
    months = results.reported("month")
    q1 = months[(months["kpi"] == "cost_total") & months["period"].isin(["2026-04", "2026-05", "2026-06"])]
    assert q1.groupby("replication")["value"].sum().size == 2
    total = dict(COST_COLUMNS)["cost_total"]
    assert rows[("baseline", "cost", quarters[0])][(total, "Mean")] == pytest.approx(
        q1.groupby("replication")["value"].sum().mean(), rel=1e-12
    )


def test_quarter_labels() -> None:
    assert _quarter_label("2026-04") == ("2026-27", "2026-27 Q1")
    assert _quarter_label("2026-09") == ("2026-27", "2026-27 Q2")
    assert _quarter_label("2026-12") == ("2026-27", "2026-27 Q3")
    assert _quarter_label("2027-03") == ("2026-27", "2026-27 Q4")


def test_assumptions_have_values_and_sources(run_book: Any, results: Results) -> None:
    rows = _records(run_book["Assumptions"], 1, None)
    by_key = {r["Parameter"]: r for r in rows}
    assert len(rows) == len(flatten_parameters(results.scenario))
    turnover = by_key["workforce.dynamics.turnover_rate"]
    assert turnover["Value"] == 0.118
    assert turnover["Method"] == "published"
    assert turnover["Source"] == "leavers ÷ FTE, DfE CSWW 2025"
    assert turnover["Set in"] == "baseline.toml"
    # a parameter of an inline table (a distribution) takes its table's source
    duration = by_key["assessment.duration_wd.probs"]
    assert duration["Method"] == "published"
    assert "DfE 2025 distribution" in duration["Source"]
    # the scenario says 5 years; this run reported 1: the sheet shows the run
    assert by_key["run.years"]["Value"] == 1
    assert "5" in by_key["run.years"]["Set in"]
    # defaults the file does not set say so
    assert by_key["workforce.teams.assessment.held_vacant"]["Set in"] == "schema default"
    # every baseline value has a source, and the sheet shows each one's method and citation
    sources = parameter_sources(results.scenario)
    assert all(r["Source"] != NO_SOURCE for r in rows)
    # (the scenario's name and description, and values left empty, have nothing to cite)
    assert by_key["name"]["Source"] is None
    assert by_key["court"]["Value"] == "none"
    assert by_key["court"]["Source"] is None
    for r in rows:
        src = sources.get(r["Parameter"])
        if src is None:
            assert (r["Method"], r["Source"]) == (None, None), r["Parameter"]
            continue
        assert r["Method"] == ((src.method or "").replace("_", " ") or None)
        assert src.note is None or src.note in r["Source"]


def test_about_sheet_explains(run_book: Any, results: Results) -> None:
    text = " ".join(str(c.value) for c in run_book["About"]["A"] if c.value)
    assert "mean of 2 independent replications" in text
    assert "t-based" in text
    assert "outturn prices" in text
    assert "3.0% a year" in text
    assert results.scenario.hash() in text  # provenance
    assert f"bank holidays: {results.provenance['bank_holidays']}" in text


# ---- the workbook of a comparison


def test_comparison_summary_side_by_side(compare_book: Any, comparison: Comparison) -> None:
    ws = compare_book["Summary"]
    header = _find_row(ws, "KPI")
    rows = {r["Name"]: r for r in _records(ws, header, header - 1) if r["Unit"] is not None}
    scenarios = _records(ws, _find_row(ws, "Scenario"), None)
    assert [(s["Scenario"], s["Role"]) for s in scenarios] == [
        ("baseline", "baseline"),
        ("agency_backfill", "compared"),
    ]
    effects = comparison.effects().set_index(["scenario", "kpi"])
    heads = {n: r.headline() for n, r in comparison.results.items()}
    diff_label = "Difference from baseline"
    for kpi, r in rows.items():
        for name, head in heads.items():
            assert _close(r[(name, "Mean")], _scaled(kpi, head.loc[kpi, "mean"])), (name, kpi)
        e = effects.loc[("agency_backfill", kpi)]
        assert _close(r[("agency_backfill", diff_label)], _scaled(kpi, e["difference"])), kpi
        if r[("baseline", "Mean")] is not None:
            expected = r[("agency_backfill", "Mean")] - r[("baseline", "Mean")]
            assert r[("agency_backfill", diff_label)] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # agency cover costs money: the agency bill difference is positive
    assert rows["cost_staff_agency"][("agency_backfill", diff_label)] > 0


def test_comparison_cost_differences(compare_book: Any) -> None:
    rows = {(r["Scenario"], r["Figures"], r["Period"]): r for r in _cost_rows(compare_book)}
    periods = [REPORTED_FY, *(f"{REPORTED_FY} Q{q}" for q in range(1, 5))]
    diff = "difference from baseline"
    assert {(s, f) for (s, f, _) in rows} == {
        ("baseline", "cost"),
        ("agency_backfill", "cost"),
        ("agency_backfill", diff),
    }
    for period in periods:
        for _, label in COST_COLUMNS:
            d = rows[("agency_backfill", diff, period)]
            expected = (
                rows[("agency_backfill", "cost", period)][(label, "Mean")]
                - rows[("baseline", "cost", period)][(label, "Mean")]
            )
            assert d[(label, "Mean")] == pytest.approx(expected, rel=1e-9, abs=1e-6), (period, label)
            assert d[(label, "95% CI low")] <= d[(label, "Mean")] <= d[(label, "95% CI high")]
    year = rows[("agency_backfill", diff, REPORTED_FY)][("Agency staff", "Mean")]
    quarters = [rows[("agency_backfill", diff, p)][("Agency staff", "Mean")] for p in periods[1:]]
    assert year == pytest.approx(sum(quarters), rel=1e-9)


def test_comparison_assumptions(compare_book: Any) -> None:
    rows = _records(compare_book["Assumptions"], 1, None)
    by = {(r["Scenario"], r["Parameter"]): r for r in rows}
    held = by[("agency_backfill", "workforce.teams.assessment.held_vacant")]
    assert held["Value"] == 0.3
    assert held["Set in"] == "agency_backfill.toml"
    assert held["Differs from baseline"] == "yes"
    assert held["Method"] == "assumption"
    assert held["Source"].startswith("scenario: 30% of assessment-team posts held vacant")
    assert by[("baseline", "workforce.teams.assessment.held_vacant")]["Method"] == "assumption"
    inherited = by[("agency_backfill", "workforce.dynamics.turnover_rate")]
    assert "DfE CSWW" in inherited["Source"]
    assert inherited["Set in"] == "baseline.toml"
    assert inherited["Differs from baseline"] is None
    differing = {p for (s, p), r in by.items() if s == "agency_backfill" and r["Differs from baseline"]}
    assert differing == {
        "name",
        "description",
        "workforce.teams.assessment.held_vacant",
        "workforce.teams.assessment.held_vacant_agency",
    }


# ---- provenance: the source of each parameter, as data

PROFILE = """
extends = "{baseline}"
name = "profile"

[provenance]
authority = "Peterborough"
la_code = "E06000031"
profile_year = 2024
built_by = "caseflow profile 0.1.0"
national_defaults = ["recontact.after_assessment"]
warnings = ["cla_ceased 2024 suppressed: national default used"]

[provenance.sources."opening_stock.looked_after"]
method = "published"
file = "cla_number_and_rate_per_10k_children.csv"
measure = "cla_at_31_march"
column = "children_count"
year = 2024
la_code = "E06000031"
value = 402.0

[provenance.sources."cp_plan.duration_months"]
method = "derived"
file = "cp_plans_ended.csv"
year = 2024
"""


def test_assumptions_from_provenance(results: Results, tmp_path: Path) -> None:
    """A profile's own sources (method, file, measure, year, LA code) replace the baseline's for the
    values it sets; a table's source covers its values; its national defaults are marked and keep the
    baseline's citation; provenance itself is not a parameter row; About says where the figures came
    from."""
    path = tmp_path / "profile.toml"
    path.write_text(PROFILE.format(baseline=BASELINE.as_posix()), encoding="utf-8")
    profile = caseflow.load_scenario(path)
    # the same numbers as the baseline run, relabelled with the profile (provenance never changes a run)
    book = openpyxl.load_workbook(
        write_workbook(dataclasses.replace(results, scenario=profile), tmp_path / "profile.xlsx")
    )
    rows = _records(book["Assumptions"], 1, None)
    by_key = {r["Parameter"]: r for r in rows}
    assert len(rows) == len(flatten_parameters(profile))
    assert not [k for k in by_key if k.startswith("provenance")]
    cla = by_key["opening_stock.looked_after"]
    assert cla["Method"] == "published"
    for part in (
        "cla_number_and_rate_per_10k_children.csv",
        "measure cla_at_31_march",
        "column children_count",
        "year 2024",
        "E06000031",
        "value 402",
    ):
        assert part in cla["Source"]
    assert "published" not in cla["Source"]  # the method has its own column
    assert cla["Set in"] == "baseline.toml"  # the profile gives the source, not the value
    # a source for a table covers its values, replacing the baseline's entry for that table
    durations = by_key["cp_plan.duration_months.probs"]
    assert (durations["Method"], durations["Source"]) == ("derived", "cp_plans_ended.csv, year 2024")
    # values the profile says nothing about keep the baseline's source
    assert by_key["workforce.dynamics.turnover_rate"]["Source"] == "leavers ÷ FTE, DfE CSWW 2025"
    # a national default says so, before the method, and keeps the baseline's citation
    recontact = by_key["recontact.after_assessment"]
    assert recontact["Method"] == "national default; calibrated"
    assert "re-referrals within 12 months 22.6%" in recontact["Source"]
    assert parameter_source(profile, "recontact.after_assessment") == (
        recontact["Method"],
        recontact["Source"],
    )
    about = " ".join(str(c.value) for c in book["About"]["A"] if c.value)
    assert "Peterborough: LA code E06000031; data to 31 March 2024; built by caseflow profile 0.1.0" in about
    assert "recontact.after_assessment" in about
    assert "Warning: cla_ceased 2024 suppressed" in about


VARIANT = """
extends = "{baseline}"
name = "variant"
population = 70000
demand.contacts_per_year = 15000.0

[provenance.sources]
"demand.contacts_per_year" = {{ method = "assumption", note = "scenario: a quarter more contacts" }}
"""


def test_assumptions_without_a_source(results: Results, tmp_path: Path) -> None:
    """A value a variant sets without a source of its own says "no source given": the parent's source
    described the parent's value, not this one. A variant's own source wins over its parent's."""
    path = tmp_path / "variant.toml"
    path.write_text(VARIANT.format(baseline=BASELINE.as_posix()), encoding="utf-8")
    variant = caseflow.load_scenario(path)
    assert parameter_source(variant, "population") == ("", NO_SOURCE)
    assert parameter_source(variant, "demand.contacts_per_year") == (
        "assumption",
        "scenario: a quarter more contacts",
    )
    assert parameter_source(results.scenario, "population")[0] == "derived"
    book = openpyxl.load_workbook(
        write_workbook(dataclasses.replace(results, scenario=variant), tmp_path / "variant.xlsx")
    )
    by_key = {r["Parameter"]: r for r in _records(book["Assumptions"], 1, None)}
    population = by_key["population"]
    assert (population["Value"], population["Method"], population["Source"]) == (70000, None, NO_SOURCE)
    assert population["Set in"] == "variant.toml"
    contacts = by_key["demand.contacts_per_year"]
    assert (contacts["Method"], contacts["Set in"]) == ("assumption", "variant.toml")
    # values the variant does not set keep the baseline's source and file
    weekday = by_key["demand.weekday"]
    assert (weekday["Method"], weekday["Set in"]) == ("assumption", "baseline.toml")
    # a scenario not read from a file has no "Set in", but still its sources
    unsaved = type(variant).model_validate(variant.model_dump())
    assert unsaved.source is None
    book = openpyxl.load_workbook(
        write_workbook(dataclasses.replace(results, scenario=unsaved), tmp_path / "unsaved.xlsx")
    )
    by_key = {r["Parameter"]: r for r in _records(book["Assumptions"], 1, None)}
    assert by_key["demand.weekday"]["Set in"] is None
    assert by_key["demand.weekday"]["Method"] == "assumption"


def test_no_comment_parsing_left() -> None:
    """Sources are data: nothing in the presentation package reads the scenario files' comments."""
    present = REPO / "src" / "caseflow" / "present"
    assert not (present / "_comment_sources.py").exists()
    for module in present.glob("*.py"):
        assert "_comment_sources" not in module.read_text(encoding="utf-8"), module.name


# ---- writing


def test_atomic_write_leaves_no_temp_file(results: Results, tmp_path: Path) -> None:
    target = tmp_path / "out" / "book.xlsx"
    assert write_workbook(results, target) == target
    assert [p.name for p in target.parent.iterdir()] == ["book.xlsx"]
    assert openpyxl.load_workbook(target).sheetnames == SHEETS


def test_failed_write_keeps_previous_file(
    results: Results, comparison: Comparison, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "book.xlsx"
    write_workbook(results, target)
    before = target.read_bytes()

    def broken_save(self: Any, filename: str) -> None:
        Path(filename).write_bytes(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_workbook(comparison, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]
    monkeypatch.undo()
    assert "baseline" in openpyxl.load_workbook(target)["Summary"]["A1"].value


def test_rejects_other_objects(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="Results or Comparison"):
        write_workbook(pd.DataFrame(), tmp_path / "x.xlsx")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.untraced
def test_write_report_includes_workbook(results: Results, tmp_path: Path) -> None:
    out = write_report(results, tmp_path / "report")
    book = openpyxl.load_workbook(out / "workbook.xlsx")
    assert book.sheetnames == SHEETS
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_cli_compare_excel(comparison: Comparison, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_compare(scenarios: Any, **kwargs: Any) -> Comparison:
        calls.append(kwargs)
        return comparison

    # the command imports compare when it runs (caseflow.cli loads the experiment only when needed)
    monkeypatch.setattr(sys.modules["caseflow.experiment.compare"], "compare", fake_compare)
    target = tmp_path / "effects.xlsx"
    with contextlib.redirect_stdout(io.StringIO()):
        code = caseflow.cli.main(
            ["compare", str(BASELINE), str(AGENCY), "--years", "1", "--reps", "2", "--excel", str(target)]
        )
    assert code == 0
    assert len(calls) == 1
    assert calls[0]["replications"] == 2
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == SHEETS
    assert "agency_backfill against baseline" in book["Summary"]["A1"].value
