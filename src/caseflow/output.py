"""Writing results to disk, atomically: a crash never leaves a half-written file or folder."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, cast

from caseflow.excel import write_workbook
from caseflow.experiment.compare import Comparison
from caseflow.experiment.results import Results
from caseflow.metrics import KPIS
from caseflow.plots import save_all

__all__ = [
    "atomic_write_text",
    "format_headline",
    "headline_markdown",
    "write_json",
    "write_report",
]

_UNITS = {k.name: k.unit for k in KPIS}
_PREFIX_UNITS = {"caseload_mean_": "children per FTE", "unallocated_end_": "children"}


def _unit(name: str) -> str:
    if name in _UNITS:
        return _UNITS[name]
    return next((u for p, u in _PREFIX_UNITS.items() if name.startswith(p)), "")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _readable(path: str | Path, directory: bool = False) -> None:
    """Give a temporary file or folder the permissions a normally created one would have."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _readable(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def _fmt(x: float) -> str:
    if x != x:  # NaN
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.1f}"


def format_headline(results: Results) -> str:
    """Plain-text table: each KPI's mean over the reported years with its 95% CI."""
    head = cast("dict[str, dict[str, float]]", results.headline().to_dict(orient="index"))
    lines = [
        f"{results.scenario.name}: {results.replications} replications × {results.years} financial "
        f"years after {results.scenario.run.warmup_years} warm-up (seed {results.seed})",
        f"{'KPI':34s} {'mean':>10s}   {'95% CI':>23s}  unit",
    ]
    for name, r in head.items():
        ci = f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
        lines.append(f"{name!s:34s} {_fmt(r['mean']):>10s}   {ci:>23s}  {_unit(str(name))}")
    return "\n".join(lines)


def format_effects(comparison: Comparison, kpis: list[str]) -> str:
    """Plain-text table: each scenario's effect on each KPI against the baseline, with 95% CIs."""
    eff: dict[tuple[str, str], dict[str, float]] = {
        (str(r["scenario"]), str(r["kpi"])): cast("dict[str, float]", r)
        for r in comparison.effects().to_dict(orient="records")
    }
    base = comparison.baseline
    first = comparison.results[base]
    lines = [
        f"Effects against {base} under common random numbers: {first.replications} replications × "
        f"{first.years} financial years (seed {first.seed}); paired differences with 95% CIs",
    ]
    for name in comparison.names:
        if name == base:
            continue
        lines.append("")
        lines.append(f"{name} vs {base}")
        lines.append(
            f"{'KPI':34s} {base[:12]:>12s} {name[:12]:>12s} {'difference':>12s}   {'95% CI':>23s}  unit"
        )
        for k in kpis:
            if (name, k) not in eff:
                continue
            r = eff[(name, k)]
            ci = f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
            diff = r["difference"]
            sign = "+" if diff == diff and diff > 0 else ""
            lines.append(
                f"{k:34s} {_fmt(r['baseline_mean']):>12s} {_fmt(r['scenario_mean']):>12s} "
                f"{sign + _fmt(diff):>12s}   {ci:>23s}  {_unit(k)}"
            )
    return "\n".join(lines)


def headline_markdown(results: Results) -> str:
    head = cast("dict[str, dict[str, float]]", results.headline().to_dict(orient="index"))
    out = ["| KPI | mean | 95% CI | unit |", "|---|---:|---|---|"]
    for name, r in head.items():
        out.append(
            f"| `{name}` | {_fmt(r['mean'])} | {_fmt(r['ci_low'])} – {_fmt(r['ci_high'])} | "
            f"{_unit(str(name))} |"
        )
    return "\n".join(out) + "\n"


def write_report(results: Results, out_dir: str | Path) -> Path:
    """Write the run's outputs to ``out_dir`` (built in a temporary folder, then renamed into place).

    Files: ``kpis.csv`` (every replication, period and KPI), ``summary_financial_year.csv`` and
    ``summary_month.csv`` (means and CIs), ``headline.csv`` / ``headline.md`` (KPIs averaged over the
    reported years), ``results.json`` (the CLI JSON shape), ``scenario.json`` (the scenario as run),
    ``workbook.xlsx`` (the Excel workbook for finance officers, :func:`caseflow.excel.write_workbook`),
    and the charts as PNG (:func:`caseflow.plots.save_all`).
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    _readable(tmp, directory=True)
    try:
        results.kpis.to_csv(tmp / "kpis.csv", index=False)
        results.summary("financial_year").to_csv(tmp / "summary_financial_year.csv", index=False)
        results.summary("month").to_csv(tmp / "summary_month.csv", index=False)
        results.headline().to_csv(tmp / "headline.csv")
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
