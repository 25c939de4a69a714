"""The report folder of a run, written atomically: a crash never leaves a half-written file or folder.

The folder is built beside its target under a temporary name, then renamed into place. Replacing an
earlier report takes two renames (the old folder aside to ``.<name>.caseflow-old``, the new one in); a
process killed between them leaves the old report there, and the next :func:`write_report` to the same
folder puts it back before anything else. A temporary folder left by a killed process is removed by the
next :func:`write_report` beside it once it is an hour old (:func:`caseflow.files.remove_stale_temporaries`).

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
from caseflow.files import (
    atomic_write_text,
    inert_text,
    readable,
    remove_stale_temporaries,
    replaceable_folder,
    temporary_prefix,
    write_json,
    write_manifest,
)
from caseflow.metrics.catalogue import Catalogue
from caseflow.present.charts import save_all
from caseflow.present.excel import write_workbook
from caseflow.present.text import format_value, unit_text
from caseflow.present.words import counted, warm_up

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
    old = out.with_name(f".{out.name}.caseflow-old")
    _put_back(old, out)
    replaceable_folder(out)  # never delete what caseflow did not write
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out.parent, out.name)
    tmp = Path(tempfile.mkdtemp(prefix=temporary_prefix(out.name), dir=out.parent))
    try:
        readable(tmp, directory=True)
        _write_tables(results, tmp)
        write_workbook(results, tmp / "workbook.xlsx")
        save_all(results, tmp)
        write_manifest(tmp)
        if out.exists():
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)  # the new one is in place; any rest goes next time
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _put_back(old, out)  # failed between the two renames: the earlier report stays
        raise
    return out


def _write_tables(results: Results, folder: Path) -> None:
    """The report's CSV, Markdown and JSON files, each written and flushed to disk (caseflow.files)."""
    catalogue = results.catalogue()
    head = results.headline()
    csvs = (
        ("kpis.csv", results.kpis, False),
        ("summary_financial_year.csv", labelled(results.summary("financial_year"), catalogue), False),
        ("summary_month.csv", labelled(results.summary("month"), catalogue), False),
        ("headline.csv", labelled(head, catalogue), True),
        ("kpi_definitions.csv", definitions_table(catalogue, [str(n) for n in head.index]), False),
    )
    for name, frame, index in csvs:
        atomic_write_text(folder / name, _inert(frame).to_csv(index=index))
    atomic_write_text(
        folder / "headline.md",
        f"# {results.scenario.name}\n\n{results.scenario.description}\n\n"
        f"{counted(results.replications, 'replication')}, {counted(results.years, 'financial year')} "
        f"after {warm_up(results.scenario.run.warmup_years)}, "
        f"seed {results.seed}. Means over the reported years with 95% confidence intervals.\n\n"
        + headline_markdown(results),
    )
    write_json(folder / "results.json", results.to_json_dict())
    atomic_write_text(folder / "scenario.json", json.dumps(results.scenario.to_dict(), indent=2) + "\n")


def _put_back(old: Path, out: Path) -> None:
    """A :func:`write_report` killed between its two renames left the report it was replacing at
    ``old`` and none at ``out``: put it back, so that it is never lost."""
    if old.is_dir() and not out.exists() and not out.is_symlink():
        old.rename(out)
