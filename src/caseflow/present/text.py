"""Plain-text tables of results for the command line: each KPI by its plain label, grouped in sections,
with its unit, and its name (for ``--kpis``) at the end of the line.

Values are shown as the KPI catalogue says (:class:`caseflow.metrics.Display`): percentages and rates
to one decimal place, counts and money to whole numbers.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import cast

from caseflow.experiment.compare import INTERVAL_CUT_NOTE, Comparison
from caseflow.experiment.frontier import GROWTH, DemandFrontier, Frontier
from caseflow.experiment.results import Results
from caseflow.experiment.sensitivity import Assumption, Sensitivity
from caseflow.experiment.target import TargetResult
from caseflow.metrics.catalogue import KPI, Catalogue, Display
from caseflow.present.words import counted, warm_up

__all__ = [
    "format_assumptions",
    "format_demand_frontier",
    "format_effects",
    "format_effects_by_year",
    "format_frontier",
    "format_headline",
    "format_sensitivity",
    "format_target",
    "format_value",
    "unit_text",
]

_LABEL = 58  # label column width; longer labels wrap onto the next lines
_NA = "–"


def format_value(kpi: KPI, x: float | None, *, sign: bool = False, symbol: bool = False) -> str:
    """``x`` as the catalogue shows ``kpi``: ``14,338``, ``86.6`` (``86.6%`` with ``symbol``), ``£1,234``.

    ``sign`` puts ``+`` before a positive value (for differences). NaN and None are shown as a dash.
    """
    if x is None or not math.isfinite(x):
        return _NA
    display = kpi.shown_as
    rounded = round(float(x), display.decimals) + 0.0  # no "-0.0"
    body = f"{abs(rounded):,.{display.decimals}f}"
    if display is Display.MONEY and symbol:
        body = "£" + body
    if display is Display.PERCENT and symbol:
        body += "%"
    if rounded < 0:
        return "-" + body
    return ("+" + body) if sign and rounded > 0 else body


def unit_text(kpi: KPI, difference: bool = False) -> str:
    """The unit for a table column: plain words; percentage points for a difference of percentages."""
    if difference and kpi.unit == "%":
        return "% (difference: points)"
    return kpi.unit_label


def _interval(kpi: KPI, lo: float, hi: float, sign: bool = False, cut: bool = False) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return _NA
    mark = f" {_CUT_MARK}" if cut else ""
    return f"{format_value(kpi, lo, sign=sign)} to {format_value(kpi, hi, sign=sign)}{mark}"


#: Marks an interval of a difference cut to what the measure can be; a footnote gives INTERVAL_CUT_NOTE.
_CUT_MARK = "*"
_CUT_FOOTNOTE = f"{_CUT_MARK} {INTERVAL_CUT_NOTE}"


def _label_lines(label: str, width: int) -> list[str]:
    return textwrap.wrap(label, width) or [""]


def _rows(
    catalogue: Catalogue,
    names: Sequence[str],
    cells: dict[str, list[str]],
    header: list[tuple[str, int]],
    difference: bool = False,
) -> list[str]:
    """Lines of a table: a section heading, then each KPI's label, its cells, unit and name."""
    lines: list[str] = []
    section = None
    ordered = catalogue.ordered(names)
    unit_width = max((len(unit_text(catalogue[n], difference)) for n in ordered), default=4)
    for name in ordered:
        kpi = catalogue[name]
        if kpi.section != section:
            section = kpi.section
            lines.append("")
            head = "".join(f" {h:>{w}s}" for h, w in header)
            lines.append(f"{section:{_LABEL + 2}s}{head}  {'unit':{unit_width}s}  name")
        label = _label_lines(kpi.label, _LABEL)
        values = "".join(f" {c:>{w}s}" for c, (_, w) in zip(cells[name], header, strict=True))
        unit = unit_text(kpi, difference)
        lines.append(f"  {label[0]:{_LABEL}s}{values}  {unit:{unit_width}s}  {name}")
        lines += [f"  {more}" for more in label[1:]]
    return lines


def format_headline(results: Results) -> str:
    """Plain-text table: each KPI's mean over the reported years with its 95% CI, by section."""
    head = cast("dict[str, dict[str, float]]", results.headline().to_dict(orient="index"))
    catalogue = results.catalogue()
    cells = {
        str(name): [
            format_value(catalogue[str(name)], r["mean"]),
            _interval(catalogue[str(name)], r["ci_low"], r["ci_high"]),
        ]
        for name, r in head.items()
    }
    lines = [
        f"{results.scenario.name}: {counted(results.replications, 'replication')} × "
        f"{counted(results.years, 'financial year')} after {warm_up(results.scenario.run.warmup_years)} "
        f"(seed {results.seed})",
        "Means over the reported financial years, with 95% confidence intervals over replications",
    ]
    lines += _rows(catalogue, list(cells), cells, [("mean", 12), ("95% CI", 26)])
    return "\n".join(lines)


def format_effects(comparison: Comparison, kpis: list[str]) -> str:
    """Plain-text table: each scenario's effect on each KPI against the baseline, with 95% CIs."""
    eff: dict[tuple[str, str], dict[str, float]] = {
        (str(r["scenario"]), str(r["kpi"])): cast("dict[str, float]", r)
        for r in comparison.effects().to_dict(orient="records")
    }
    base = comparison.baseline
    first = comparison.results[base]
    catalogue = Catalogue(k for r in comparison.results.values() for k in r.kpi_definitions)
    lines = [
        f"Effects against {base} under common random numbers: {counted(first.replications, 'replication')} × "
        f"{counted(first.years, 'financial year')} (seed {first.seed}); paired differences with 95% CIs",
    ]
    any_cut = False
    for name in comparison.names:
        if name == base:
            continue
        lines.append("")
        lines.append(f"{name} vs {base}")
        cells: dict[str, list[str]] = {}
        for k in kpis:
            if (name, k) not in eff:
                continue
            r, kpi = eff[(name, k)], catalogue[k]
            cut = bool(r["ci_cut"])
            any_cut = any_cut or cut
            cells[k] = [
                format_value(kpi, r["baseline_mean"]),
                format_value(kpi, r["scenario_mean"]),
                format_value(kpi, r["difference"], sign=True),
                _interval(kpi, r["ci_low"], r["ci_high"], sign=True, cut=cut),
            ]
        header = [(base[:12], 12), (name[:12], 12), ("difference", 12), ("95% CI", 28)]
        lines += _rows(catalogue, list(cells), cells, header, difference=True)
    if any_cut:
        lines += ["", _CUT_FOOTNOTE]
    return "\n".join(lines)


def _level(x: float | None) -> str:
    return _NA if x is None or not math.isfinite(x) else f"{x:,.6g}"


def _estimate(x: float | None) -> str:
    return _NA if x is None or not math.isfinite(x) else f"{x:,.2f}"


def format_target(result: TargetResult) -> str:
    """Plain text: the question, the answer and its interval, the effect at the answer, the levels tried."""
    s = result.search
    catalogue = result.catalogue()
    word = "smallest" if s.want == "smallest" else "largest"
    lines = [
        f'The {word} value of "{result.label}" ({result.lever}) in {result.scenario.name} that meets, '
        f"with {s.confidence:.0%} confidence:",
    ]
    for t in result.targets:
        kpi = catalogue[t.kpi]
        sense = "at least" if t.at_least is not None else "at most"
        lines.append(f"  {kpi.label}: {sense} {format_value(kpi, t.threshold, symbol=True)}  ({t.kpi})")
    lines.append(
        f"Each KPI averaged over {result.years} financial year{'s' if result.years != 1 else ''} after "
        f"the warm-up; levels {_level(s.step)} apart between {_level(s.low)} and {_level(s.high)}; "
        f"seed {result.seed}."
    )
    lines.append("")
    interval = result.interval
    if s.status == "found" and interval is not None:
        lines.append(f"Answer: {_level(result.value)}  (starting value {_level(result.start)})")
        confirmed = (
            ""
            if s.failing is not None
            else " (the lower end is the range's end: nothing was confirmed to fail)"
        )
        lines.append(
            f"The targets are crossed between {_level(interval[0])} and {_level(interval[1])}{confirmed}; "
            f"interpolated, at about {_estimate(s.estimate())}."
        )
    elif s.status == "met_throughout":
        end = "lowest" if s.want == "smallest" else "highest"
        lines.append(
            f"Answer: {_level(result.value)} or beyond: even the {end} value searched meets every target. "
            "Search a wider range (between) to find where the targets stop being met."
        )
    elif s.status == "not_met":
        end = "highest" if s.want == "smallest" else "lowest"
        lines.append(
            f"No answer: even the {end} value searched ({_level(s.high if s.want == 'smallest' else s.low)}) "
            "fails a target. Search a wider range, or another lever."
        )
    else:
        lines.append(
            "No answer: the far end of the range could not be confirmed to meet the targets with the "
            "replications allowed (max_replications). Allow more, or search a wider range."
        )
    lines.append(
        f"Runs: {len(s.probes)} levels, {result.replications} replications, {result.wall_seconds:,.0f} s."
    )
    if not result.effect.empty:
        lines.append("")
        lines.append(
            f"At the answer against the starting value, replication by replication "
            f"({int(result.effect['n'].max())} replications, {result.level:.0%} CI of the difference):"
        )
        cells: dict[str, list[str]] = {}
        for r in cast("list[dict[str, float]]", result.effect.to_dict(orient="records")):
            name = str(r["kpi"])
            kpi = catalogue[name]
            cells[name] = [
                format_value(kpi, r["start_mean"]),
                format_value(kpi, r["answer_mean"]),
                format_value(kpi, r["difference"], sign=True),
                _interval(kpi, r["ci_low"], r["ci_high"], sign=True),
            ]
        header = [("start", 12), ("answer", 12), ("difference", 12), (f"{result.level:.0%} CI", 26)]
        lines += _rows(catalogue, list(cells), cells, header, difference=True)
    lines.append("")
    lines.append("Levels tried (mean of each targeted KPI over its replications):")
    table = result.levels()
    widths = [max(len(t.kpi), 10) for t in result.targets]
    head = f"  {'level':>10s} {'replications':>12s} {'verdict':>10s}" + "".join(
        f" {t.kpi:>{w}s}" for t, w in zip(result.targets, widths, strict=True)
    )
    lines.append(head)
    for row in cast("list[dict[str, float]]", table.to_dict(orient="records")):
        cols = "".join(
            f" {format_value(catalogue[t.kpi], row[t.kpi]):>{w}s}"
            for t, w in zip(result.targets, widths, strict=True)
        )
        lines.append(
            f"  {_level(row['level']):>10s} {int(row['replications']):>12d} {row['verdict']!s:>10s}{cols}"
        )
    for note in s.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def format_effects_by_year(comparison: Comparison, kpis: list[str]) -> str:
    """Plain text: each scenario's paired effect on each KPI, financial year by financial year."""
    effects = comparison.effects_by_year()
    base = comparison.baseline
    first = comparison.results[base]
    catalogue = Catalogue(k for r in comparison.results.values() for k in r.kpi_definitions)
    lines = [
        f"Effects against {base} by financial year, under common random numbers: {first.replications} "
        f"replications (seed {first.seed}); paired differences with 95% CIs",
    ]
    any_cut = False
    for name in comparison.names:
        if name == base:
            continue
        lines += ["", f"{name} vs {base}"]
        mine = effects[effects["scenario"] == name]
        for k in catalogue.ordered([k for k in kpis if k in set(mine["kpi"])]):
            kpi = catalogue[k]
            lines.append(f"  {kpi.label} ({unit_text(kpi, difference=True)})  [{k}]")
            lines.append(
                f"    {'year':8s} {base[:12]:>12s} {name[:12]:>12s} {'difference':>12s} {'95% CI':>28s}"
            )
            for r in cast("list[dict[str, float]]", mine[mine["kpi"] == k].to_dict(orient="records")):
                cut = bool(r["ci_cut"])
                any_cut = any_cut or cut
                interval = _interval(kpi, r["ci_low"], r["ci_high"], sign=True, cut=cut)
                lines.append(
                    f"    {r['period']!s:8s} {format_value(kpi, r['baseline_mean']):>12s} "
                    f"{format_value(kpi, r['scenario_mean']):>12s} "
                    f"{format_value(kpi, r['difference'], sign=True):>12s} {interval:>28s}"
                )
    if any_cut:
        lines += ["", _CUT_FOOTNOTE]
    return "\n".join(lines)


def _stable_text(search_interval: tuple[float, float] | None, answer: float | None, status: str) -> str:
    if status == "found" and answer is not None and search_interval is not None:
        lo, hi = search_interval
        return f"{answer:g} (the backlog stops growing between {lo:g} and {hi:g})"
    if status == "met_throughout":
        return f"{answer:g} or fewer: even the smallest level searched has no growing backlog"
    if status == "not_met":
        return "none in the range: even the largest level searched has a growing backlog"
    return "undecided: the backlog's growth could not be told from zero with the replications allowed"


def format_frontier(frontier: Frontier) -> str:
    """Plain text: each measure by establishment (mean and 95% CI), and the smallest stable establishment."""
    catalogue = Catalogue()
    team = frontier.team.replace("_", " ")
    lines = [
        f"Capacity frontier of the {team} team in {frontier.scenario.name}: {frontier.years} reported "
        f"year{'s' if frontier.years != 1 else ''} after the warm-up, seed {frontier.seed}, common random "
        f"numbers; establishment in the scenario: {frontier.start:g} FTE",
    ]
    stable = frontier.stable
    if stable is not None:
        lines.append(
            f"Smallest establishment with no growing backlog (growth at most {frontier.tolerance:g} "
            f"children a year, {stable.confidence:.0%} confidence): "
            + _stable_text(stable.interval, stable.answer, stable.status)
        )
    lines.append(f"Runs: {frontier.replications} replications, {frontier.wall_seconds:,.0f} s.")
    curve = frontier.curve
    for kpi in [*frontier.kpis, GROWTH]:
        rows = curve[curve["kpi"] == kpi].sort_values("level")
        if rows.empty:
            continue
        lines.append("")
        if kpi == GROWTH:
            lines.append("Growth of the backlog of children waiting for a worker (children a year)")
            shown = KPI(
                GROWTH, "backlog growth", "children", "count", GROWTH, display=Display.DECIMAL, lower=None
            )
        else:
            shown = catalogue[kpi]
            lines.append(f"{shown.label} ({shown.unit_label})  [{kpi}]")
        lines.append(f"  {'FTE':>8s} {'mean':>10s} {'95% CI':>24s} {'reps':>5s}")
        lines += [
            f"  {r['level']:>8g} {format_value(shown, r['mean']):>10s} "
            f"{_interval(shown, r['ci_low'], r['ci_high']):>24s} {int(r['n']):>5d}"
            for r in cast("list[dict[str, float]]", rows.to_dict(orient="records"))
        ]
    return "\n".join(lines)


def format_demand_frontier(frontier: DemandFrontier) -> str:
    """Plain text: the most contacts a year the establishment absorbs, and the levels tried."""
    s = frontier.search
    teams = ", ".join(t.replace("_", " ") for t in frontier.teams)
    lines = [
        f"The most demand the establishment of {frontier.scenario.name} absorbs with no growing backlog "
        f"in the {teams} team{'s' if len(frontier.teams) != 1 else ''}"
        + "".join(f", with {t}" for t in frontier.targets)
        + f" ({s.confidence:.0%} confidence; "
        f"{frontier.years} reported year{'s' if frontier.years != 1 else ''}, seed {frontier.seed})",
        f"Contacts a year in the scenario: {frontier.start:,.0f}",
    ]
    if s.status == "found" and frontier.most is not None and s.interval is not None:
        lo, hi = s.interval
        lines.append(
            f"Answer: {frontier.most:,.0f} contacts a year, {frontier.headroom_pct:+.0f}% on today "
            f"(backlogs start to grow between {lo:,.0f} and {hi:,.0f})"
        )
    elif s.status == "met_throughout":
        lines.append(f"Answer: at least {s.high:,.0f} contacts a year: no backlog grows even there")
    elif s.status == "not_met":
        lines.append("No answer: at today's demand a backlog already grows or a target is missed (below)")
    else:
        lines.append(
            "No answer: today's backlogs could not be told from growing with the replications allowed"
        )
    lines.append(f"Runs: {frontier.replications} replications, {frontier.wall_seconds:,.0f} s.")
    lines.append("")
    lines.append(
        f"  {'contacts a year':>16s} {'reps':>5s} {'verdict':>10s}  "
        "growth of each team's backlog (children a year); targeted KPIs"
    )
    for level, p in sorted(s.probes.items()):
        growth = ", ".join(f"{t} {p.mean(f'{GROWTH}_{t}'):+.1f}" for t in frontier.teams)
        growth += "".join(f"; {t.kpi} {p.mean(t.kpi):.1f}" for t in frontier.targets)
        lines.append(f"  {level:>16,.0f} {p.replications:>5d} {p.verdict:>10s}  {growth}")
    lines += [f"Note: {note}" for note in s.notes]
    return "\n".join(lines)


def format_assumptions(params: Sequence[Assumption]) -> str:
    """Plain text: the assumptions a screening moves, with their values and ranges."""
    lines = [f"{len(params)} assumptions that can move on their own (field: value, range screened; note)"]
    for p in params:
        moved = "".join(f" (with {other} in proportion)" for other, _ in p.linked)
        lines.append(f"  {p.field}{moved}: {p.value:.4g}, {p.low:.4g} to {p.high:.4g}; {p.note}")
    return "\n".join(lines)


def format_sensitivity(result: Sensitivity, top: int = 8) -> str:
    """Plain text: for each KPI, the assumptions that move it most."""
    catalogue = Catalogue()
    lines = [
        f"{result.method.title()} screening of {len(result.parameters)} assumptions in "
        f"{result.scenario.name}: {len(result.runs)} runs of {result.replications} "
        f"replication{'s' if result.replications != 1 else ''}, "
        f"{result.years} reported year{'s' if result.years != 1 else ''}, seed {result.seed}, common random "
        f"numbers; {result.wall_seconds:,.0f} s",
    ]
    if result.method == "morris":
        lines.append(
            "mu*: how far the KPI moves, on average, when the assumption goes from the low to the high end "
            "of its range (± its 95% interval); sigma large against mu*: the effect depends on the others"
        )
    else:
        lines.append(
            "ST: share of the KPI's variance due to the assumption, with its interactions; S1: alone"
        )
    for kpi in result.kpis:
        rows = result.ranking(kpi, top)
        if rows.empty:
            continue
        shown = catalogue[kpi]
        lines.append("")
        lines.append(f"{shown.label} ({shown.unit_label})  [{kpi}]")
        for r in cast("list[dict[str, float]]", rows.to_dict(orient="records")):
            if result.method == "morris":
                stats_text = (
                    f"mu* {format_value(shown, r['mu_star'])} ± {format_value(shown, r['mu_star_conf'])}, "
                    f"sigma {format_value(shown, r['sigma'])}"
                )
            else:
                stats_text = f"ST {r['ST']:.2f} ± {r['ST_conf']:.2f}, S1 {r['S1']:.2f} ± {r['S1_conf']:.2f}"
            lines.append(f"  {r['field']!s:48s} {stats_text}  (range {r['low']:.4g} to {r['high']:.4g})")
    return "\n".join(lines)
