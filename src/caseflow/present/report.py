"""The report folder of a run, written atomically: a crash never leaves a half-written file or folder.

Tables meant for a council officer (``headline.md``, the workbook) name each KPI by its plain label and
unit; the CSV files meant for analysts keep the KPI's name (``kpi``) with its ``label``, ``unit`` and
``section`` in the columns beside it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import cast

import pandas as pd

from caseflow.experiment.results import Results
from caseflow.files import inert_text, readable, replaceable_folder, write_manifest
from caseflow.metrics.catalogue import Catalogue
from caseflow.present.charts import save_all
from caseflow.present.excel import write_workbook
from caseflow.present.text import format_value, unit_text

__all__ = ["definitions_table", "headline_markdown", "labelled", "write_report"]


def labelled(frame: pd.DataFrame, catalogue: Catalogue, kpi_column: str = "kpi") -> pd.DataFrame:
    """``frame`` with ``label``, ``unit`` and ``section`` columns beside its KPI names."""
    names = frame.index if kpi_column == frame.index.name else frame[kpi_column]
    where = 0 if kpi_column == frame.index.name else list(frame.columns).index(kpi_column) + 1
    out = frame.copy()
    for offset, (column, values) in enumerate(
        (
            ("label", [catalogue[str(n)].label for n in names]),
            ("unit", [catalogue[str(n)].unit_label for n in names]),
            ("section", [catalogue[str(n)].section for n in names]),
        )
    ):
        out.insert(where + offset, column, values)
    return out


def definitions_table(catalogue: Catalogue, names: list[str]) -> pd.DataFrame:
    """One row per KPI: name, label, unit, section, benchmark, bounds, DfE measure and definition."""
    rows = []
    for name in catalogue.ordered(names):
        k = catalogue[name]
        rows.append(
            {
                "kpi": name,
                "label": k.label,
                "unit": k.unit_label,
                "section": k.section,
                "benchmark": k.benchmark.value if k.benchmark else None,
                "benchmark_label": k.benchmark.label if k.benchmark else "",
                "lower_bound": k.lower,
                "upper_bound": k.upper,
                "dfe_measure": k.dfe,
                "definition": k.description,
            }
        )
    return pd.DataFrame(rows)


def headline_markdown(results: Results) -> str:
    """The headline as a Markdown table: KPIs by plain label in sections, with unit and 95% CI."""
    head = cast("dict[str, dict[str, float]]", results.headline().to_dict(orient="index"))
    catalogue = results.catalogue()
    out: list[str] = []
    section = None
    for name in catalogue.ordered([str(n) for n in head]):
        k, r = catalogue[name], head[name]
        if k.section != section:
            section = k.section
            out += ["", f"## {section}", "", "| KPI | mean | 95% CI | unit |", "|---|---:|---|---|"]
        ci = f"{format_value(k, r['ci_low'])} to {format_value(k, r['ci_high'])}"
        out.append(f"| {k.label} | {format_value(k, r['mean'])} | {ci} | {unit_text(k)} |")
    return "\n".join(out).lstrip("\n") + "\n"


def _inert(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell (and a text index) made safe for a spreadsheet
    (:func:`caseflow.files.inert_text`): a CSV opened in Excel never runs a user's text as a formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: inert_text(v) if isinstance(v, str) else v)
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(lambda v: inert_text(v) if isinstance(v, str) else v)
    return out


def write_report(results: Results, out_dir: str | Path) -> Path:
    """Write the run's outputs to ``out_dir`` (built in a temporary folder, then renamed into place).

    Files: ``kpis.csv`` (every replication, period and KPI), ``summary_financial_year.csv`` and
    ``summary_month.csv`` (means and CIs), ``headline.csv`` / ``headline.md`` (KPIs averaged over the
    reported years), ``kpi_definitions.csv`` (each KPI's label, unit, section, benchmark, bounds and
    definition), ``results.json`` (the CLI JSON shape), ``scenario.json`` (the scenario as run),
    ``workbook.xlsx`` (the Excel workbook for finance officers,
    :func:`caseflow.present.excel.write_workbook`), and the charts as PNG
    (:func:`caseflow.present.charts.save_all`), with a list of them (``.caseflow-output``). An existing
    ``out_dir`` is replaced only if every file in it is one caseflow wrote there; otherwise
    :class:`caseflow.files.OutputFolderError` and nothing is touched. The summaries and the headline
    CSV have ``label``, ``unit`` and ``section`` columns beside each KPI's name.
    """
    out = Path(out_dir)
    replaceable_folder(out)  # never delete what caseflow did not write
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    readable(tmp, directory=True)
    catalogue = results.catalogue()
    try:
        _inert(results.kpis).to_csv(tmp / "kpis.csv", index=False)
        _inert(labelled(results.summary("financial_year"), catalogue)).to_csv(
            tmp / "summary_financial_year.csv", index=False
        )
        _inert(labelled(results.summary("month"), catalogue)).to_csv(tmp / "summary_month.csv", index=False)
        head = results.headline()
        _inert(labelled(head, catalogue)).to_csv(tmp / "headline.csv")
        _inert(definitions_table(catalogue, [str(n) for n in head.index])).to_csv(
            tmp / "kpi_definitions.csv", index=False
        )
        (tmp / "headline.md").write_text(
            f"# {results.scenario.name}\n\n{results.scenario.description}\n\n"
            f"{results.replications} replications, {results.years} financial years after warm-up, "
            f"seed {results.seed}. Means over the reported years with 95% confidence intervals.\n\n"
            + headline_markdown(results),
            encoding="utf-8",
        )
        (tmp / "results.json").write_text(
            json.dumps(results.to_json_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        (tmp / "scenario.json").write_text(
            json.dumps(results.scenario.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
        write_workbook(results, tmp / "workbook.xlsx")
        save_all(results, tmp)
        write_manifest(tmp)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
