"""Excel workbooks for finance officers: one workbook per run or comparison, readable without Python.

:func:`write_workbook` writes (atomically) a workbook with these sheets:

- **Summary**: the scenario(s), replications, years, seed, run date and caseflow version, and a table of
  headline KPIs (mean over the reported financial years with a 95% CI); for a comparison one block per
  scenario side by side, plus each scenario's paired difference from the baseline with its CI.
- **KPIs by year**: every KPI, mean and 95% CI per reported financial year, per scenario.
- **Costs**: £ by financial year and by quarter (Q1 = April–June) for each cost KPI, mean over
  replications with a 95% CI, per scenario; for a comparison also the paired difference from the baseline.
- **Assumptions**: every parameter of each scenario as run, with how its value was obtained (the method:
  published, derived, calibrated, national default or assumption), its citation and the file that set
  it. Both come from the scenario's ``[provenance.sources]``, as data
  (:func:`caseflow.scenario.sources.parameter_sources`); a parameter without a source says so.
- **About**: what the workbook contains and how its figures are defined.

Every KPI is named by its plain label with its unit (and its name in the last column), grouped and shown
as the KPI catalogue (:mod:`caseflow.metrics.catalogue`) says. Percentages are stored as fractions and
shown as percentages (86.6%), so they calculate correctly in Excel.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.comments import Comment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]

from caseflow.calendar import quarter_label
from caseflow.experiment.compare import INTERVAL_CUT_NOTE, Comparison
from caseflow.experiment.results import Results
from caseflow.experiment.stats import bounded_interval, t_interval
from caseflow.files import atomic_path, inert_text
from caseflow.metrics.catalogue import KPI, KPIS, SECTIONS, Catalogue, Display, cost_kpis, headline_kpis
from caseflow.scenario.schema import Scenario
from caseflow.scenario.sources import Source, is_national_default, parameter_sources

__all__ = [
    "COST_COLUMNS",
    "HEADLINE_KPIS",
    "NO_SOURCE",
    "build_workbook",
    "cost_periods",
    "flatten_parameters",
    "parameter_source",
    "write_workbook",
]

#: The built-in KPIs on the Summary sheet, in sections (from the catalogue: ``KPI.headline``).
HEADLINE_KPIS: tuple[tuple[str, tuple[str, ...]], ...] = headline_kpis()

#: Cost KPIs on the Costs sheet, in column order, with their column labels (from the catalogue).
COST_COLUMNS: tuple[tuple[str, str], ...] = tuple((k.name, k.label) for k in KPIS if k.name in cost_kpis())

# ---- formats and styles
MONEY = '"£"#,##0;-"£"#,##0'
PERCENT = "0.0%"
NUMBER = "#,##0.0"
INTEGER = "#,##0"
_FORMATS = {Display.PERCENT: PERCENT, Display.MONEY: MONEY, Display.COUNT: INTEGER}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADING = Font(bold=True, size=12)
ITALIC = Font(italic=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
YEAR_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)

Sheet = Any  # openpyxl worksheets are untyped


# ======================================================================================================
# Parameters


def flatten_parameters(scenario: Scenario) -> list[tuple[str, Any]]:
    """Every parameter as ``(dotted path, value)``: tables flattened, arrays of numbers kept whole.

    ``provenance`` is not a parameter (it documents them) and is left out.
    """
    out: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            if not value:
                out.append((prefix, "{}"))
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
            for i, v in enumerate(value):
                walk(f"{prefix}.{i}", v)
        elif isinstance(value, list | tuple):
            out.append((prefix, "[" + ", ".join(_scalar_text(v) for v in value) + "]"))
        else:
            out.append((prefix, value))

    data = scenario.model_dump(mode="json")
    data.pop("provenance", None)
    walk("", data)
    return out


#: The Source column of a parameter whose scenario records no source for it.
NO_SOURCE = "no source given"


def _citation(src: Source) -> str:
    """Where a value came from, without the method: file, measure, column, year, LA code, value, note."""
    return src.model_copy(update={"method": None}).describe()


def _method(scenario: Scenario, key: str, src: Source | None) -> str:
    """How the value at ``key`` was obtained, in words ("published", "national default; derived")."""
    words = src.method.replace("_", " ") if src is not None and src.method else ""
    if is_national_default(scenario, key) and words != "national default":
        return f"national default; {words}" if words else "national default"
    return words


#: Parameters that name or describe the scenario rather than give a figure: nothing to cite.
_NOT_FIGURES = frozenset({"name", "description"})


def _source_cells(scenario: Scenario, key: str, src: Source | None, value: Any = 0) -> tuple[str, str]:
    """``(method, citation)`` of the parameter at ``key`` whose source is ``src`` (None: none recorded).

    Without a source the citation is :data:`NO_SOURCE`, except for the scenario's name and description
    and for values left empty (``court`` when there is no court section, an empty list), which hold
    no figure to cite.
    """
    citation = _citation(src) if src is not None else ""
    if not citation and (key in _NOT_FIGURES or value is None or value in ("", "[]", "{}")):
        return _method(scenario, key, src), ""
    return _method(scenario, key, src), citation or NO_SOURCE


def parameter_source(scenario: Scenario, key: str) -> tuple[str, str]:
    """``(method, citation)`` of parameter ``key``, from the scenario's ``[provenance.sources]``.

    The method is how the value was obtained ("published", "calibrated", …), preceded by "national
    default" for a value a profile left at the baseline's England figure (``provenance.national_defaults``);
    the citation is the file, measure, column, year, LA code, value and note of the source covering
    ``key`` (its own entry or its table's), or :data:`NO_SOURCE` when the scenario records none.
    """
    return _source_cells(scenario, key, parameter_sources(scenario).get(key))


def _scalar_text(v: Any) -> str:
    return f'"{v}"' if isinstance(v, str) else repr(v)


# ======================================================================================================
# Numbers


def _num(x: Any) -> float | None:
    """A finite float, or None (an empty cell) for NaN and missing values."""
    if x is None:
        return None
    f = float(x)
    return None if math.isnan(f) or math.isinf(f) else f


def _scaled(x: Any, kpi: KPI) -> float | None:
    """Cell value of a KPI: percentages become fractions (shown with a % format)."""
    v = _num(x)
    return None if v is None else (v / 100.0 if kpi.shown_as is Display.PERCENT else v)


def _format(kpi: KPI) -> str:
    """The Excel number format of a KPI: 86.6%, £1,234, 14,338 or 16.2."""
    return _FORMATS.get(kpi.shown_as, NUMBER)


def _fy_labels(res: Results) -> list[str]:
    return list(dict.fromkeys(res.reported("financial_year")["period"].astype(str)))


def _warmup_labels(res: Results) -> list[str]:
    k = res.kpis
    return list(dict.fromkeys(k[(k["period_type"] == "financial_year") & k["warmup"]]["period"].astype(str)))


_quarter_label = quarter_label


def _sum_keep_nan(values: pd.Series) -> float:
    return float(np.sum(values.to_numpy(dtype=float)))


def cost_periods(res: Results) -> tuple[pd.DataFrame, list[str]]:
    """Per-replication cost KPIs by financial year and quarter, and the periods in display order.

    Financial-year values are the FY rows of ``res.kpis``; quarters are sums of the reported monthly
    rows. Columns: ``replication``, ``period``, ``kpi``, ``value``.
    """
    cost = list(cost_kpis())
    fy = res.reported("financial_year")
    fy = fy[fy["kpi"].isin(cost)][["replication", "period", "kpi", "value"]]
    months = res.reported("month")
    months = months[months["kpi"].isin(cost)]
    labels = [_quarter_label(str(m)) for m in months["period"]]
    quarters = (
        months.assign(period=[q for _, q in labels])
        .groupby(["replication", "period", "kpi"], sort=False)["value"]
        .agg(_sum_keep_nan)
        .reset_index()
    )
    order: list[str] = []
    quarter_names = set(quarters["period"])
    for year in _fy_labels(res):
        order.append(year)
        order += [f"{year} Q{q}" for q in range(1, 5) if f"{year} Q{q}" in quarter_names]
    frame = pd.concat([fy.astype({"period": str}), quarters], ignore_index=True)
    return frame, order


def _by_period(frame: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    """``{(period, kpi): values indexed by replication}``."""
    return {
        (str(p), str(k)): g.set_index("replication")["value"]
        for (p, k), g in frame.groupby(["period", "kpi"], sort=False)
    }


# ======================================================================================================
# Writing helpers


def _put(ws: Sheet, row: int, col: int, value: Any, fmt: str | None = None, font: Any = None) -> Any:
    if isinstance(value, float | np.floating):
        value = _num(value)
    elif isinstance(value, np.integer):
        value = int(value)
    elif isinstance(value, str) and not value:
        value = None  # an empty cell, not an empty string
    elif isinstance(value, str):
        value = inert_text(value)  # text never becomes a live formula
    cell = ws.cell(row=row, column=col, value=value)
    if fmt is not None:
        cell.number_format = fmt
    if font is not None:
        cell.font = font
    return cell


def _header_row(ws: Sheet, row: int, labels: Sequence[str], start: int = 1) -> None:
    for i, label in enumerate(labels):
        cell = _put(ws, row, start + i, label, font=BOLD)
        cell.fill = HEADER_FILL
        cell.alignment = CENTRE


def _group_row(ws: Sheet, row: int, groups: Iterable[tuple[int, int, str]]) -> None:
    """Merged, bold group labels over ``(first column, width, label)`` spans."""
    for first, width, label in groups:
        cell = _put(ws, row, first, label, font=BOLD)
        cell.fill = HEADER_FILL
        cell.alignment = CENTRE
        for c in range(first + 1, first + width):
            ws.cell(row=row, column=c).fill = HEADER_FILL
        if width > 1:
            ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=first + width - 1)


def _widths(ws: Sheet, widths: Mapping[int, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


# ======================================================================================================
# Sheets


@dataclass
class _Book:
    runs: dict[str, Results]
    baseline: str | None  # None for a single run
    crn: bool = True

    @property
    def first(self) -> Results:
        return next(iter(self.runs.values()))

    @property
    def others(self) -> list[str]:
        return [n for n in self.runs if n != self.baseline] if self.baseline else []

    @property
    def catalogue(self) -> Catalogue:
        """Every run's KPI definitions: the built-in catalogue and any user-defined KPIs."""
        return Catalogue(k for res in self.runs.values() for k in res.kpi_definitions)


def _money_text(s: Scenario) -> str:
    if s.costs is None:
        return "no cost model (cost KPIs are empty)"
    return (
        f"outturn prices: {s.costs.price_date.isoformat()} prices uplifted by "
        f"{s.costs.annual_inflation:.1%} a year"
    )


def _run_date(res: Results) -> str:
    started = str(res.provenance.get("started_utc", ""))
    return started.replace("T", " ").replace("Z", " UTC") if started else "unknown"


def _summary(ws: Sheet, book: _Book) -> None:
    first = book.first
    years = _fy_labels(first)
    warm = _warmup_labels(first)
    if book.baseline is None:
        title = f"caseflow results: {first.scenario.name}"
    else:
        title = f"caseflow comparison: {', '.join(book.others)} against {book.baseline}"
    _put(ws, 1, 1, title, font=TITLE)
    _put(ws, 2, 1, "Means over replications with 95% confidence intervals. See the About sheet.", font=ITALIC)
    period = f"{years[0]} to {years[-1]}" if len(years) > 1 else (years[0] if years else "none")
    meta: list[tuple[str, Any]] = [
        ("Replications", first.replications),
        ("Financial years reported", f"{first.years} ({period})"),
        ("Warm-up, not reported", ", ".join(warm) if warm else "none"),
        ("Random seed", first.seed),
        ("Run date", _run_date(first)),
        ("caseflow version", str(first.provenance.get("caseflow_version", "unknown"))),
    ]
    money = {name: _money_text(res.scenario) for name, res in book.runs.items()}
    if len(set(money.values())) == 1:
        meta.append(("Money", next(iter(money.values()))))
    else:
        meta += [(f"Money ({name})", text) for name, text in money.items()]
    if book.baseline is not None:
        meta.insert(0, ("Baseline", book.baseline))
        meta.append(
            (
                "Random numbers",
                "common random numbers: replication r of every scenario uses the same streams, so "
                "differences are paired"
                if book.crn
                else "independent streams per scenario",
            )
        )
    row = 4
    for label, value in meta:
        _put(ws, row, 1, label, font=BOLD)
        _put(ws, row, 2, value)
        ws.cell(row=row, column=2).alignment = Alignment(horizontal="left")
        row += 1

    row += 1
    _put(ws, row, 1, "Scenarios", font=HEADING)
    row += 1
    _header_row(ws, row, ["Scenario", "Role", "Description"])
    row += 1
    for name, res in book.runs.items():
        role = "run" if book.baseline is None else ("baseline" if name == book.baseline else "compared")
        _put(ws, row, 1, name, font=BOLD)
        _put(ws, row, 2, role)
        _put(ws, row, 3, res.scenario.description)  # not wrapped: runs on over the empty cells
        row += 1

    row += 1
    _put(ws, row, 1, "Headline KPIs: mean over the reported financial years", font=HEADING)
    row += 1
    heads = {name: res.headline() for name, res in book.runs.items()}
    effects: dict[tuple[str, str], Mapping[str, Any]] = {}
    if book.baseline is not None:
        eff = _effects(book)
        effects = {
            (str(e["scenario"]), str(e["kpi"])): {str(k): v for k, v in e.items()}
            for e in eff.to_dict(orient="records")
        }
    # columns: KPI (label), Unit, then per scenario Mean/low/high (+ Difference/low/high), then
    # Benchmark, Definition and the KPI's name
    groups: list[tuple[int, int, str]] = []
    sub = ["KPI", "Unit"]
    col = 3
    for name in book.runs:
        width = 3 if name == book.baseline or book.baseline is None else 6
        groups.append((col, width, name))
        sub += ["Mean", "95% CI low", "95% CI high"]
        if width == 6:
            sub += [f"Difference from {book.baseline}", "95% CI low", "95% CI high"]
        col += width
    sub += ["Benchmark", "Definition", "Name"]
    _group_row(ws, row, groups)
    _header_row(ws, row + 1, sub)
    row += 2
    catalogue = book.catalogue
    present = set.intersection(*(set(h.index.astype(str)) for h in heads.values()))
    for section in SECTIONS:
        shown = [k.name for k in catalogue if k.headline and k.section == section and k.name in present]
        if not shown:
            continue
        _put(ws, row, 1, section, font=Font(bold=True, italic=True))
        row += 1
        for kpi_name in shown:
            kpi = catalogue[kpi_name]
            fmt = _format(kpi)
            _put(ws, row, 1, kpi.label).alignment = WRAP
            _put(ws, row, 2, kpi.unit_label)
            c = 3
            for name, head in heads.items():
                h = head.loc[kpi_name]
                for x in (h["mean"], h["ci_low"], h["ci_high"]):
                    _put(ws, row, c, _scaled(x, kpi), fmt)
                    c += 1
                if book.baseline is not None and name != book.baseline:
                    e = effects.get((name, kpi_name), {})
                    for key in ("difference", "ci_low", "ci_high"):
                        cell = _put(
                            ws,
                            row,
                            c,
                            _scaled(e.get(key), kpi),
                            fmt,
                            font=BOLD if key == "difference" else None,
                        )
                        if key != "difference" and e.get("ci_cut"):
                            cell.comment = Comment(INTERVAL_CUT_NOTE, "caseflow")
                        c += 1
            if kpi.benchmark is not None:
                _put(ws, row, c, _scaled(kpi.benchmark.value, kpi), fmt)
            _put(ws, row, c + 1, kpi.description).alignment = WRAP
            _put(ws, row, c + 2, kpi_name, font=ITALIC)
            row += 1
    benchmarks = sorted({k.benchmark.label for k in catalogue if k.benchmark is not None})
    if benchmarks:
        _put(ws, row + 1, 1, f"Benchmark: {', '.join(benchmarks)} (see the About sheet).", font=ITALIC)
    _widths(ws, {1: 48, 2: 18})
    for c in range(3, col + 1):
        ws.column_dimensions[get_column_letter(c)].width = 14
    ws.column_dimensions[get_column_letter(col + 1)].width = 70
    ws.column_dimensions[get_column_letter(col + 2)].width = 32


def _effects(book: _Book) -> pd.DataFrame:
    assert book.baseline is not None
    return Comparison(results=book.runs, baseline=book.baseline, common_random_numbers=book.crn).effects()


def _kpis_by_year(ws: Sheet, book: _Book) -> None:
    years = list(dict.fromkeys(y for res in book.runs.values() for y in _fy_labels(res)))
    groups = [(4 + 3 * i, 3, f"{y}") for i, y in enumerate(years)]
    _group_row(ws, 1, [(1, 3, "Mean over replications and 95% CI, per financial year"), *groups])
    sub = ["Scenario", "KPI", "Unit"] + ["Mean", "95% CI low", "95% CI high"] * len(years)
    sub += ["Section", "Definition", "Name"]
    _header_row(ws, 2, sub)
    row = 3
    catalogue = book.catalogue
    last = 4 + 3 * len(years)
    for name, res in book.runs.items():
        summ = res.summary("financial_year")
        table = {(str(r["kpi"]), str(r["period"])): r for r in summ.to_dict(orient="records")}
        for kpi_name in catalogue.ordered(summ["kpi"].astype(str)):
            kpi = catalogue[kpi_name]
            fmt = _format(kpi)
            _put(ws, row, 1, name)
            _put(ws, row, 2, kpi.label)
            _put(ws, row, 3, kpi.unit_label)
            for i, y in enumerate(years):
                r = table.get((kpi_name, y), {})
                for j, key in enumerate(("mean", "ci_low", "ci_high")):
                    _put(ws, row, 4 + 3 * i + j, _scaled(r.get(key), kpi), fmt)
            _put(ws, row, last, kpi.section)
            _put(ws, row, last + 1, kpi.description)
            _put(ws, row, last + 2, kpi_name, font=ITALIC)
            row += 1
    ws.freeze_panes = "D3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(sub))}{max(row - 1, 2)}"
    _widths(ws, {1: 22, 2: 56, 3: 18})
    for c in range(4, last):
        ws.column_dimensions[get_column_letter(c)].width = 13
    _widths(ws, {last: 26, last + 1: 90, last + 2: 32})


def _costs(ws: Sheet, book: _Book) -> None:
    base = book.baseline
    per = {name: cost_periods(res) for name, res in book.runs.items()}
    groups = [(4 + 3 * i, 3, label) for i, (_, label) in enumerate(COST_COLUMNS)]
    _group_row(ws, 1, [(1, 3, "£ in the period, mean over replications and 95% CI"), *groups])
    sub = ["Scenario", "Figures", "Period"] + ["Mean", "95% CI low", "95% CI high"] * len(COST_COLUMNS)
    _header_row(ws, 2, sub)
    row = 3

    def line(name: str, what: str, period: str, cells: list[float | None]) -> None:
        nonlocal row
        is_year = " Q" not in period
        font = BOLD if is_year else None
        _put(ws, row, 1, name, font=font)
        _put(ws, row, 2, what, font=font)
        _put(ws, row, 3, period, font=font)
        for i, v in enumerate(cells):
            cell = _put(ws, row, 4 + i, v, MONEY, font=font)
            if is_year:
                cell.fill = YEAR_FILL
        if is_year:
            for c in (1, 2, 3):
                ws.cell(row=row, column=c).fill = YEAR_FILL
        row += 1

    for name, (frame, order) in per.items():
        values = _by_period(frame)
        for period in order:
            cells: list[float | None] = []
            for kpi, _ in COST_COLUMNS:
                v = values.get((period, kpi))
                bounds = book.catalogue.bounds(kpi)
                m, lo, hi = bounded_interval(v.to_numpy(), *bounds) if v is not None else (math.nan,) * 3
                cells += [_num(m), _num(lo), _num(hi)]
            line(name, "cost", period, cells)
    if base is not None:
        base_values = _by_period(per[base][0])
        for name in book.others:
            frame, order = per[name]
            values = _by_period(frame)
            for period in order:
                cells = []
                for kpi, _ in COST_COLUMNS:
                    a, b = values.get((period, kpi)), base_values.get((period, kpi))
                    if a is None or b is None:
                        cells += [None, None, None]
                        continue
                    d = (a - b).dropna().to_numpy()
                    cells += [_num(x) for x in t_interval(d)]
                line(name, f"difference from {base}", period, cells)
    last = row
    note = (
        "Quarters: Q1 = April–June, Q2 = July–September, Q3 = October–December, Q4 = January–March. "
        "A financial year is the sum of its quarters. Recruitment & retention is part of permanent staff; "
        "Total = permanent staff + agency + early help + placements. Money at outturn prices (Summary)."
    )
    _put(ws, last + 1, 1, note, font=ITALIC)
    ws.freeze_panes = "D3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(sub))}{max(last - 1, 2)}"
    _widths(ws, {1: 22, 2: 26, 3: 13})
    for c in range(4, 4 + 3 * len(COST_COLUMNS)):
        ws.column_dimensions[get_column_letter(c)].width = 15


def _as_run(res: Results) -> list[tuple[str, Any, str | None]]:
    """``(parameter, value as run, why it differs from the scenario file or None)``."""
    out: list[tuple[str, Any, str | None]] = []
    for key, value in flatten_parameters(res.scenario):
        if key == "run.years" and value != res.years:
            out.append((key, res.years, f"this run (the scenario says {value})"))
        else:
            out.append((key, value, None))
    return out


def _set_paths(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the values a TOML file sets: tables walked, arrays (of tables too) taken whole."""
    for key, value in data.items():
        if not prefix and key in ("extends", "provenance"):
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _set_paths(value, f"{path}.")
        else:
            yield path


def _files_setting(source: str | None) -> list[tuple[str, frozenset[str]]]:
    """``(file name, dotted paths it sets)`` for a scenario file and the files it ``extends``, the
    scenario's own file first (read with the TOML library). Empty if the file cannot be read."""
    out: list[tuple[str, frozenset[str]]] = []
    if not source:
        return out
    seen: set[Path] = set()
    path: Path | None = Path(source).resolve()
    try:
        while path is not None and path not in seen and path.is_file():
            seen.add(path)
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            out.append((path.name, frozenset(_set_paths(data))))
            parent = data.get("extends")
            path = (path.parent / parent).resolve() if isinstance(parent, str) and parent else None
    except (OSError, ValueError, UnicodeDecodeError):  # tomllib.TOMLDecodeError is a ValueError
        return []
    return out


def _set_in(files: Sequence[tuple[str, frozenset[str]]], key: str) -> str:
    """The first file (the scenario's own first) that sets ``key`` or a table or array holding it;
    "schema default" if none does; "" if the files are unknown."""
    if not files:
        return ""
    parts = key.split(".")
    prefixes = {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
    return next((name for name, paths in files if prefixes & paths), "schema default")


def _assumptions(ws: Sheet, book: _Book) -> None:
    head = ["Scenario", "Parameter", "Value", "Method", "Source", "Set in"]
    comparing = book.baseline is not None
    if comparing:
        head.append("Differs from baseline")
    _header_row(ws, 1, head)
    base_values = {k: v for k, v, _ in _as_run(book.runs[book.baseline])} if book.baseline else {}
    row = 2
    for name, res in book.runs.items():
        s = res.scenario
        sources = parameter_sources(s)
        files = _files_setting(s.source)
        for key, value, overridden in _as_run(res):
            method, citation = _source_cells(s, key, sources.get(key), value)
            _put(ws, row, 1, name)
            _put(ws, row, 2, key)
            _put(ws, row, 3, "none" if value is None else value).alignment = Alignment(horizontal="left")
            _put(ws, row, 4, method)
            _put(ws, row, 5, citation, font=ITALIC if citation == NO_SOURCE else None).alignment = WRAP
            _put(ws, row, 6, overridden or _set_in(files, key))
            if comparing and name != book.baseline:
                differs = key not in base_values or base_values[key] != value
                _put(ws, row, 7, "yes" if differs else "", font=BOLD if differs else None)
            row += 1
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{max(row - 1, 1)}"
    _widths(ws, {1: 22, 2: 52, 3: 26, 4: 24, 5: 100, 6: 24, 7: 12})


def _about(ws: Sheet, book: _Book) -> None:
    first = book.first
    n = first.replications
    lines: list[tuple[str, Any]] = [
        ("About this workbook", TITLE),
        (
            f"Written by caseflow {first.provenance.get('caseflow_version', '')}, a discrete-event "
            "simulation of children's social care in an English local authority: children's cases flow "
            "through the statutory pathway and compete for finite social-worker time.",
            None,
        ),
        ("", None),
        ("Sheets", HEADING),
        (
            "Summary: the scenario(s), how the run was made, and headline KPIs averaged over the reported "
            "financial years. For a comparison, each scenario's block also gives its difference from the "
            "baseline.",
            None,
        ),
        ("KPIs by year: every KPI for every reported financial year.", None),
        (
            "Costs: money by financial year and by quarter (Q1 = April–June … Q4 = January–March) for each "
            "cost line; for a comparison also the difference from the baseline.",
            None,
        ),
        (
            "Assumptions: every parameter of each scenario as run, with how its value was obtained "
            "(Method: published, derived, calibrated, assumption, or national default for a value an "
            "authority's profile left at the England baseline), where it came from (Source: the "
            "publication, file, measure, year and LA code, or why it was assumed), the file that set it "
            "('schema default' when no file did) and, for a comparison, whether it differs from the "
            "baseline. Method and source are the scenario's own record, [provenance.sources]; a "
            f"parameter without one says '{NO_SOURCE}'.",
            None,
        ),
        ("", None),
        ("How the figures are made", HEADING),
        (
            f"Every value is the mean of {n} independent replications (simulated runs with different random "
            "numbers). The 95% confidence interval is t-based: mean ± t(0.975, N−1) × standard deviation ÷ "
            "√N over the replications, built on a scale that keeps it within what the KPI can take: the "
            "logit scale for a percentage of events (so never below 0% or above 100%), the log scale for "
            "counts, durations and money (never below 0). Far from those limits it is the usual symmetric "
            "interval; near them it is longer on the side away from the limit; when every replication "
            "gives the same value it is that value. It measures simulation noise only, not uncertainty in "
            "the assumptions. An empty cell means not defined (a CI from one replication, a percentage "
            "with no events, or no cost model).",
            None,
        ),
        (
            "The first financial year(s) are a warm-up that settles queues; they are not reported. "
            "Financial years run April to March; stocks (children, FTE) are at period end, i.e. at "
            "31 March for a year.",
            None,
        ),
        (
            "Comparisons use common random numbers: replication r of every scenario uses the same random "
            "streams, so the difference is the mean of per-replication (paired) differences, with its own "
            "t-based CI (a difference can be negative, so no scale is applied). A CI that excludes zero "
            "suggests an effect beyond simulation noise.",
            None,
        ),
        ("", None),
        ("KPIs", HEADING),
        (
            "Definitions follow the DfE statistics: counts are of children; rates are per 10,000 children "
            "aged 0–17; percentages are over the events completed in the period; workforce rates follow the "
            "DfE children's social work workforce census. Each KPI is named by its plain label, with its "
            "unit, its definition and (in the last column) the name caseflow gives it. Benchmarks are "
            "England figures for the year to 31 March 2025 (workforce: 30 September 2025). Percentages "
            "are stored as fractions and shown as %; a difference of percentages is in percentage points.",
            None,
        ),
        ("", None),
        ("Costs", HEADING),
        (
            "Costs accrue month by month from what the simulation did: permanent and newly qualified social "
            "workers (FTE in post × salary × on-cost multiplier, plus retention and recruitment payments), "
            "agency social workers (FTE × hourly charge × billed hours), early-help key workers "
            "(FTE × loaded cost) and placements of children looked after (child-days × weekly cost by "
            "placement type). "
            "Quarters and financial years are sums of months. Recruitment and retention is included in "
            "permanent staff; the total is permanent staff + agency + early help + placements.",
            None,
        ),
    ]
    for name, res in book.runs.items():
        money = _money_text(res.scenario)
        lines.append((f"Money in {name}: {money} to the month in which it is spent.", None))
    lines += [("", None), ("Provenance", HEADING)]
    for name, res in book.runs.items():
        p = res.provenance
        lines.append(
            (
                f"{name}: scenario file {res.scenario.source or '(not from a file)'}, scenario hash "
                f"{res.scenario.hash()}, seed {res.seed}, replications {res.replications}, started "
                f"{_run_date(res)}, caseflow {p.get('caseflow_version', '?')}, Python "
                f"{p.get('python', '?')} on {p.get('platform', '?')}"
                + "".join(f", {k} {v}" for k, v in p.get("packages", {}).items())
                + (f"; bank holidays: {p['bank_holidays']}" if "bank_holidays" in p else "")
                + ".",
                None,
            )
        )
    for name, res in book.runs.items():
        lines += _provenance_lines(name, res.scenario)
    for row, (text, font) in enumerate(lines, start=1):
        cell = _put(ws, row, 1, text, font=font)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, {1: 120})


_CELL_TEXT = 30_000  # Excel holds at most 32,767 characters in a cell


def _listing(items: Sequence[str]) -> str:
    """``items`` joined with commas, cut short (saying how many more) to fit in a cell."""
    shown: list[str] = []
    size = 0
    for item in items:
        size += len(item) + 2
        if size > _CELL_TEXT:
            break
        shown.append(item)
    rest = len(items) - len(shown)
    return ", ".join(shown) + (f" … ({rest} more)" if rest else "")


def _provenance_lines(name: str, scenario: Scenario) -> list[tuple[str, Any]]:
    """About-sheet lines saying where a scenario's figures came from (none without ``[provenance]``)."""
    p = scenario.provenance
    if p is None:
        return []
    who = p.authority or "(authority not given)"
    facts = [
        f"LA code {p.la_code}" if p.la_code else "",
        f"data to 31 March {p.profile_year}" if p.profile_year is not None else "",
        f"built by {p.built_by}" if p.built_by else "",
        f"{len(p.sources)} parameter sources recorded (Assumptions sheet)",
    ]
    lines: list[tuple[str, Any]] = [
        ("", None),
        (f"Where the figures of {name} came from", HEADING),
        (f"{who}: " + "; ".join(f for f in facts if f) + ".", None),
    ]
    if p.national_defaults:
        lines.append(
            (
                f"Left at the national (baseline) value ({len(p.national_defaults)}): "
                f"{_listing(p.national_defaults)}.",
                None,
            )
        )
    lines += [(f"Warning: {w}", None) for w in p.warnings]
    return lines


# ======================================================================================================


def _book(results_or_comparison: Results | Comparison) -> _Book:
    if isinstance(results_or_comparison, Comparison):
        c = results_or_comparison
        return _Book(dict(c.results), c.baseline, c.common_random_numbers)
    if isinstance(results_or_comparison, Results):
        return _Book({results_or_comparison.scenario.name: results_or_comparison}, None)
    raise TypeError(f"expected Results or Comparison, got {type(results_or_comparison).__name__}")


def build_workbook(results_or_comparison: Results | Comparison) -> Any:
    """The workbook (an ``openpyxl.Workbook``) for a run or comparison, not yet saved."""
    book = _book(results_or_comparison)
    wb = Workbook()
    _summary(wb.active, book)
    wb.active.title = "Summary"
    _kpis_by_year(wb.create_sheet("KPIs by year"), book)
    _costs(wb.create_sheet("Costs"), book)
    _assumptions(wb.create_sheet("Assumptions"), book)
    _about(wb.create_sheet("About"), book)
    wb.properties.title = "caseflow results"
    wb.properties.creator = "caseflow"
    return wb


def write_workbook(results_or_comparison: Results | Comparison, path: str | Path) -> Path:
    """Write the Excel workbook of a run (:class:`Results`) or a :class:`Comparison` to ``path``.

    The workbook is built in memory, saved to a temporary file in the same folder and renamed into
    place, so ``path`` is never half-written and a failure leaves any previous file untouched.
    """
    wb = build_workbook(results_or_comparison)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)
