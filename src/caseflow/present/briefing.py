"""A committee briefing: a comparison turned into the short, printable document councillors get.

A *briefing file* (TOML) states the question and the options::

    title = "Fewer police contacts, or more MASH staff?"
    question = "Should we work with the police to cut contacts that need no action, or add staff?"
    context = "Herefordshire scrutiny committee, 2 June 2020"   # optional: where the question came from
    years = 3               # optional: reported years (default: the scenarios')
    replications = 10       # optional (default 10)
    kpis = ["contact_decision_within_1wd_pct", "cost_total"]   # optional: the measures shown

    [[options]]
    name = "As now"                      # the first option is what the others are compared with
    scenario = "../scenarios/baseline.toml"

    [[options]]
    name = "Police contacts down 30%"
    scenario = "police_contacts_down_30.toml"

Paths are relative to the briefing file. :func:`briefing_html` writes one self-contained HTML page
(charts embedded, laid out for A4 when printed or saved as PDF from a browser), and
:func:`write_docx` a Word document with the same content (needs the ``report`` extra, python-docx):
the question; the options side by side with their effect on timeliness, caseloads, unallocated
children and cost, each with a 95% confidence interval; the charts; the values each option changes and
the key assumptions, with their sources; and a plain-language paragraph on the uncertainty.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from pathlib import Path
from typing import Any, cast

from matplotlib.figure import Figure

from caseflow.experiment.compare import Comparison
from caseflow.files import atomic_path
from caseflow.metrics.catalogue import KPI, Catalogue
from caseflow.present.briefing_file import BRIEFING_KPIS, Briefing, is_briefing, load_briefing
from caseflow.present.charts import comparison_effects, costs_by_year
from caseflow.present.text import format_value
from caseflow.present.words import counted
from caseflow.scenario.sources import parameter_sources, parameter_values

__all__ = [
    "BRIEFING_KPIS",
    "KEY_ASSUMPTIONS",
    "Briefing",
    "briefing_html",
    "is_briefing",
    "load_briefing",
    "write_docx",
    "write_html",
]

#: Assumptions every briefing lists (when the scenario has them): what its answers most rest on.
KEY_ASSUMPTIONS = (
    "workforce.time.non_case_time",
    "workforce.visits.cp_hours",
    "workforce.visits.cin_hours",
    "workforce.visits.cla_hours",
    "workforce.teams.assessment.soft_cap",
    "workforce.teams.cin_cp.soft_cap",
    "workforce.dynamics.turnover_rate",
    "early_help.referral_reduction",
)


# ------------------------------------------------------------------------------------------ content
def _difference(kpi: KPI, d: float) -> str:
    """A difference as a reader says it: percentage points for a percentage."""
    if kpi.unit == "%":
        return f"{format_value(kpi, d, sign=True)} points"
    return format_value(kpi, d, sign=True, symbol=True)


def _interval(kpi: KPI, lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "–"
    if kpi.unit == "%":
        return f"{format_value(kpi, lo, sign=True)} to {format_value(kpi, hi, sign=True)} points"
    return (
        f"{format_value(kpi, lo, sign=True, symbol=True)} to {format_value(kpi, hi, sign=True, symbol=True)}"
    )


def _effects(comparison: Comparison) -> dict[tuple[str, str], dict[str, float]]:
    return {
        (str(r["scenario"]), str(r["kpi"])): cast("dict[str, float]", r)
        for r in comparison.effects().to_dict(orient="records")
    }


def _rows(briefing: Briefing, comparison: Comparison) -> list[dict[str, Any]]:
    """One row per KPI: label, the comparison point's value, then each option's value, difference and CI."""
    effects = _effects(comparison)
    head = cast("dict[str, dict[str, float]]", comparison.headline().to_dict(orient="index"))
    catalogue = Catalogue()
    rows = []
    for k in briefing.kpis:
        if k not in head:
            continue
        kpi = catalogue[k]
        row: dict[str, Any] = {
            "kpi": k,
            "label": kpi.label,
            "unit": kpi.unit_label,
            "base": format_value(kpi, head[k][briefing.baseline], symbol=True),
        }
        for name in list(briefing.options)[1:]:
            if (name, k) not in effects:
                continue
            e = effects[(name, k)]
            row[name] = (
                format_value(kpi, e["scenario_mean"], symbol=True),
                _difference(kpi, e["difference"]),
                _interval(kpi, e["ci_low"], e["ci_high"]),
            )
        rows.append(row)
    return rows


def _sentences(briefing: Briefing, comparison: Comparison) -> list[str]:
    """Plain words for each option's clearest effects, and what cannot be told apart."""
    effects = _effects(comparison)
    catalogue = Catalogue()
    out = []
    for name in list(briefing.options)[1:]:
        clear, unclear, too_few = [], [], []
        for k in briefing.kpis:
            if (name, k) not in effects:
                continue
            e, kpi = effects[(name, k)], catalogue[k]
            lo, hi, d = e["ci_low"], e["ci_high"], e["difference"]
            if not (math.isfinite(lo) and math.isfinite(hi)):
                continue
            what = kpi.short if kpi.short[1:2].isupper() else kpi.short[:1].lower() + kpi.short[1:]
            if lo > 0 or hi < 0:
                verb = "raises" if d > 0 else "lowers"
                amount = _difference(kpi, abs(d)).lstrip("+")
                clear.append(f"{verb} {what} by about {amount} ({_interval(kpi, lo, hi)})")
            elif e["ci_cut"]:  # its interval reached past what the measure can be
                too_few.append(what)
            else:
                unclear.append(what)
        text = f"Against “{briefing.baseline}”, “{name}” " + (
            "; ".join(clear) if clear else "changes none of the measures shown by more than chance would"
        )
        text += "."
        if unclear:
            text += " Its effect on " + ", ".join(unclear) + " cannot be told from no change."
        if too_few:
            text += (
                " There were too few replications to tell its effect on " + ", ".join(too_few) + ": run more."
            )
        out.append(text)
    return out


def uncertainty_paragraph(briefing: Briefing, comparison: Comparison) -> str:
    """The plain-language statement of what the figures are and how far to trust them."""
    first = comparison.results[briefing.baseline]
    return (
        f"These figures come from a simulation of the authority's children's social care, run "
        f"{first.replications} times for each option over {first.years} financial year"
        f"{'s' if first.years != 1 else ''} (after a settling-in year). Each option was run on the same "
        "simulated sequence of families and events, so the differences between options come from the "
        "options themselves, not from chance. Each figure is the average over those runs; the range after "
        "it is a 95% confidence interval: if the model's assumptions hold, the true average effect lies in "
        "that range 19 times out of 20. Where a range includes zero, the model cannot tell the option from "
        "no change. The ranges say nothing about the assumptions themselves: the values the options "
        "change, and the key assumptions listed below, are the model's inputs, and a different assumption "
        "would give a different answer. These are predictions to compare options with, not forecasts to "
        "hold a service to."
    )


def _changed(briefing: Briefing) -> list[tuple[str, str, str, str, str]]:
    """Values each option sets differently from the comparison point: (option, field, from, to, source)."""
    base = parameter_values(briefing.options[briefing.baseline])
    out = []
    for name, scenario in list(briefing.options.items())[1:]:
        values, sources = parameter_values(scenario), parameter_sources(scenario)
        for path, value in values.items():
            if path.startswith("changes") or path in ("name", "description"):
                continue
            if base.get(path) != value:
                src = sources.get(path)
                out.append((name, path, _plain(base.get(path)), _plain(value), src.describe() if src else ""))
        for ch in scenario.changes:
            how = f"× {ch.factor:g}" if ch.factor is not None else f"= {ch.value}"
            ramp = f", over {ch.ramp_months} months" if ch.ramp_months else ""
            out.append((name, ch.field, "", f"{how} from {ch.date:%-d %B %Y}{ramp}", "time-phased change"))
    return out


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    return "–" if value is None else str(value)


def _assumptions(briefing: Briefing) -> list[tuple[str, str, str]]:
    scenario = briefing.options[briefing.baseline]
    values, sources = parameter_values(scenario), parameter_sources(scenario)
    out = []
    for path in KEY_ASSUMPTIONS:
        if path in values:
            src = sources.get(path)
            out.append((path, _plain(values[path]), src.describe() if src else "no source recorded"))
    return out


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _charts(briefing: Briefing, comparison: Comparison) -> list[tuple[str, Figure]]:
    shown = [k for k in briefing.kpis if k != "cost_total" and not k.startswith("cost_")][:6]
    return [
        ("Effect of each option, with its 95% confidence interval", comparison_effects(comparison, shown)),
        ("Cost by year", costs_by_year(comparison)),
    ]


_CSS = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #111;
       max-width: 60em; margin: auto; }
h1 { font-size: 17pt; margin-bottom: 0.2em; }
h2 { font-size: 12.5pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
.meta { color: #555; font-size: 9pt; }
.question { font-size: 11.5pt; background: #f2f2f2; padding: 0.6em 0.8em; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin: 0.5em 0;
        page-break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 3px 5px; vertical-align: top; }
th { background: #e8e8e8; text-align: left; }
td.num { text-align: right; white-space: nowrap; } .ci { color: #555; font-size: 8pt; }
img { max-width: 100%; page-break-inside: avoid; } figure { margin: 0.6em 0; }
figcaption { font-size: 9pt; color: #444; }
"""


def briefing_html(briefing: Briefing, comparison: Comparison, *, generated: dt.date | None = None) -> str:
    """The briefing as one self-contained HTML page (charts embedded), printable on A4."""
    e = html.escape
    day = generated or dt.date.today()
    names = list(briefing.options)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(briefing.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(briefing.title)}</h1>",
        f'<p class="meta">Prepared {day:%-d %B %Y} with caseflow'
        + (f" · {e(briefing.context)}" if briefing.context else "")
        + "</p>",
        f'<p class="question"><strong>The question.</strong> {e(briefing.question)}</p>',
        "<h2>The options</h2><ul>",
    ]
    for name, scenario in briefing.options.items():
        what = scenario.description or scenario.name
        parts.append(f"<li><strong>{e(name)}</strong>: {e(what)}</li>")
    parts.append("</ul><h2>What each option does</h2>")
    parts += [f"<p>{e(s)}</p>" for s in _sentences(briefing, comparison)]
    parts.append("<table><tr><th>Measure</th>" + f"<th>{e(names[0])}</th>")
    parts += [f"<th>{e(n)}</th><th>Difference (95% CI)</th>" for n in names[1:]]
    parts.append("</tr>")
    for row in _rows(briefing, comparison):
        cells = [f"<td>{e(row['label'])}</td>", f'<td class="num">{e(row["base"])}</td>']
        for n in names[1:]:
            value, diff, ci = row.get(n, ("–", "–", "–"))
            cells.append(f'<td class="num">{e(value)}</td>')
            cells.append(f'<td class="num">{e(diff)}<br><span class="ci">{e(ci)}</span></td>')
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    parts.append("<h2>Charts</h2>")
    for caption, fig in _charts(briefing, comparison):
        parts.append(
            f'<figure><img alt="{e(caption)}" src="data:image/png;base64,{_png(fig)}">'
            f"<figcaption>{e(caption)}</figcaption></figure>"
        )
    parts.append("<h2>How sure can we be?</h2>")
    parts.append(f"<p>{e(uncertainty_paragraph(briefing, comparison))}</p>")
    parts.append("<h2>What each option changes, and the key assumptions</h2>")
    parts.append("<table><tr><th>Option</th><th>Value</th><th>From</th><th>To</th><th>Source</th></tr>")
    for name, path, old, new, src in _changed(briefing):
        parts.append(
            f"<tr><td>{e(name)}</td><td>{e(path)}</td><td>{e(old)}</td><td>{e(new)}</td><td>{e(src)}</td></tr>"
        )
    parts.append("</table><table><tr><th>Key assumption</th><th>Value</th><th>Source</th></tr>")
    for path, value, src in _assumptions(briefing):
        parts.append(f"<tr><td>{e(path)}</td><td>{e(value)}</td><td>{e(src)}</td></tr>")
    first = comparison.results[briefing.baseline]
    parts.append(
        "</table>"
        f'<p class="meta">{counted(first.replications, "replication")} × '
        f"{counted(first.years, 'financial year')}, seed "
        f"{first.seed}, common random numbers. Every value's source is in each scenario's "
        "[provenance] section; the model is described in caseflow's docs/model.md.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(briefing: Briefing, comparison: Comparison, path: str | Path) -> Path:
    """Write :func:`briefing_html` to ``path``, atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(briefing_html(briefing, comparison), encoding="utf-8")
    return target


def write_docx(briefing: Briefing, comparison: Comparison, path: str | Path) -> Path:
    """The briefing as a Word document (needs python-docx: the ``report`` extra), written atomically."""
    try:
        import docx  # type: ignore[import-not-found,unused-ignore]
        from docx.shared import Cm, Pt  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "a Word briefing needs python-docx: pip install -e '.[report]' from the caseflow clone"
        ) from None
    doc = docx.Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(briefing.title, level=1)
    if briefing.context:
        doc.add_paragraph(briefing.context)
    doc.add_paragraph().add_run("The question. ").bold = True
    doc.paragraphs[-1].add_run(briefing.question)
    doc.add_heading("The options", level=2)
    for name, scenario in briefing.options.items():
        para = doc.add_paragraph(style="List Bullet")
        para.add_run(f"{name}: ").bold = True
        para.add_run(scenario.description or scenario.name)
    doc.add_heading("What each option does", level=2)
    for s in _sentences(briefing, comparison):
        doc.add_paragraph(s)
    names = list(briefing.options)
    table = doc.add_table(rows=1, cols=2 + 2 * (len(names) - 1))
    table.style = "Table Grid"
    heads = ["Measure", names[0]] + [h for n in names[1:] for h in (n, "Difference (95% CI)")]
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        cell.text = text
    for row in _rows(briefing, comparison):
        cells = table.add_row().cells
        values = [row["label"], row["base"]]
        for n in names[1:]:
            value, diff, ci = row.get(n, ("–", "–", "–"))
            values += [value, f"{diff}\n{ci}"]
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    doc.add_heading("Charts", level=2)
    for caption, fig in _charts(briefing, comparison):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        buf.seek(0)
        doc.add_picture(buf, width=Cm(16))
        doc.add_paragraph(caption)
    doc.add_heading("How sure can we be?", level=2)
    doc.add_paragraph(uncertainty_paragraph(briefing, comparison))
    doc.add_heading("What each option changes, and the key assumptions", level=2)
    for name, fld, old, new, src in _changed(briefing):
        doc.add_paragraph(
            f"{name}: {fld} from {old} to {new}" + (f" ({src})" if src else ""), style="List Bullet"
        )
    for fld, value, src in _assumptions(briefing):
        doc.add_paragraph(f"{fld} = {value}: {src}", style="List Bullet")
    target = Path(path)
    with atomic_path(target, suffix=".docx") as tmp:
        doc.save(str(tmp))
    return target
