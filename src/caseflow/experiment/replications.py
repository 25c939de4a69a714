"""How many replications? Pick the number that gives a target CI half-width on chosen KPIs.

Method (the sequential "replications algorithm" of Hoad, Robinson & Davies 2010, simplified): run an
initial batch, compute for each target KPI the t-based half-width
``h(n) = t(0.975, n−1) · s / √n`` of its per-replication value (averaged over the reported years),
and keep adding replications until every KPI's half-width is within its target (absolute, or relative
to the mean), or ``max_replications`` is reached. :func:`replications_needed` gives the one-shot
estimate from a pilot run: the smallest ``n`` with ``t(0.975, n−1) · s / √n ≤ target`` using the pilot's
standard deviation ``s``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from caseflow.experiment.results import Results
from caseflow.experiment.runner import as_scenario, run
from caseflow.experiment.stats import t_quantile
from caseflow.scenario.schema import Scenario

__all__ = ["precision", "replications_for", "replications_needed"]


def precision(results: Results, kpis: Mapping[str, float], *, relative: bool = False) -> dict[str, float]:
    """Current half-width of each KPI's 95% CI (relative to the mean if ``relative``)."""
    head = cast("dict[str, dict[str, float]]", results.headline().to_dict(orient="index"))
    out: dict[str, float] = {}
    for kpi in kpis:
        r = head[kpi]
        half = (r["ci_high"] - r["ci_low"]) / 2
        out[kpi] = half / abs(r["mean"]) if relative and r["mean"] else half
    return out


def replications_needed(
    results: Results, kpis: Mapping[str, float], *, relative: bool = False, level: float = 0.95
) -> int:
    """Smallest ``n`` whose t-based half-width is within every target, given the pilot's spread."""
    head = cast("dict[str, dict[str, float]]", results.headline().to_dict(orient="index"))
    need = 2
    for kpi, target in kpis.items():
        s, mean = float(head[kpi]["std"]), float(head[kpi]["mean"])
        h = target * abs(mean) if relative else target
        if h <= 0:
            raise ValueError(f"target half-width for {kpi} must be positive")
        if not s or math.isnan(s):
            continue
        n = 2
        while t_quantile(0.5 + level / 2, n - 1) * s / math.sqrt(n) > h:
            n += 1
            if n > 100_000:
                break
        need = max(need, n)
    return need


def replications_for(
    scenario: Scenario | str | Path,
    kpis: Mapping[str, float],
    *,
    relative: bool = False,
    initial: int = 5,
    step: int = 5,
    max_replications: int = 200,
    **run_kwargs: Any,
) -> tuple[int, Results]:
    """Run until every KPI's 95% CI half-width is within target; return ``(n, results)``.

    Replications already run are reused (pass ``store=`` to persist them between calls too).
    """
    scenario = as_scenario(scenario)
    n = max(initial, 2)
    while True:
        results = run(scenario, replications=n, **run_kwargs)
        widths = precision(results, kpis, relative=relative)
        if all(widths[k] <= kpis[k] for k in kpis) or n >= max_replications:
            return n, results
        n = min(max(n + step, replications_needed(results, kpis, relative=relative)), max_replications)
