"""What do we need? The smallest (or largest) value of one scenario field that meets KPI targets.

>>> answer = find_target("scenarios/baseline.toml", "workforce.teams.assessment.establishment",
...                      ["assessment_within_45wd_pct>=90"], confidence=0.9, years=3)  # doctest: +SKIP
>>> answer.value, answer.interval  # doctest: +SKIP
(34.0, (33.0, 34.0))

The *lever* is any numeric scenario field, named by its dotted path (a team's establishment or caseload
caps, agency cover, early help, demand…). Each level of the lever is the scenario with that one field
changed, run on common random numbers (replication *r* of every level uses the same random streams),
and each KPI is averaged over the reported financial years within a replication, as in
:meth:`caseflow.Results.headline`. The search itself is :func:`caseflow.experiment.rootfind.search`:
bisection on a grid ``step`` apart, classifying each level by one-sided tests on its replications'
mean, with more replications where a level is too close to call.

The answer comes with its interval (the expected KPI crosses the target between the confirmed-failing
level and the answer), every KPI at the answer with its confidence interval, and the paired difference
from the starting scenario in each targeted KPI and in total cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.levels import Lever, LeverRuns, as_lever, lever_label, lever_value, per_replication
from caseflow.experiment.rootfind import Probe, Search, Target, search
from caseflow.experiment.runner import _check, as_scenario
from caseflow.experiment.stats import summarise, t_interval
from caseflow.metrics.catalogue import KPI, Catalogue, describe
from caseflow.metrics.names import check_names, reported_by
from caseflow.model.budget import Budget
from caseflow.scenario.loader import ScenarioError
from caseflow.scenario.schema import Scenario

__all__ = ["Target", "TargetResult", "find_target", "lever_label", "lever_value"]

#: The cost KPI whose difference from the starting scenario is reported.
COST_KPI = "cost_total"


@dataclass
class TargetResult:
    """The answer to "what level of ``lever`` meets these targets?" (see :func:`find_target`)."""

    scenario: Scenario
    lever: str  # the lever's name: a field's dotted path, or budget:<team>
    start: float  # the lever's value in the starting scenario
    search: Search
    years: int
    seed: int
    #: every KPI at the answer: mean and CI over its replications (empty when there is no answer)
    at_answer: pd.DataFrame
    #: targeted KPIs and total cost, answer against start: paired differences with CIs
    effect: pd.DataFrame
    level: float = 0.95
    wall_seconds: float = 0.0
    kpi_definitions: tuple[KPI, ...] = field(default_factory=tuple)
    #: replications run: every level, and the starting scenario where it was not a level tried
    replications: int = 0

    @property
    def value(self) -> float | None:
        """The answer: the level nearest the failing end confirmed to meet every target."""
        return self.search.answer

    @property
    def interval(self) -> tuple[float, float] | None:
        """Where the expected KPI crosses the target (see :attr:`.rootfind.Search.interval`)."""
        return self.search.interval

    @property
    def status(self) -> str:
        return self.search.status

    @property
    def targets(self) -> tuple[Target, ...]:
        return self.search.targets

    lever_label: str = ""

    @property
    def label(self) -> str:
        return self.lever_label or lever_label(self.lever)

    def catalogue(self) -> Catalogue:
        return Catalogue(self.kpi_definitions)

    def levels(self) -> pd.DataFrame:
        """Every level tried: replications, verdict and each targeted KPI's mean, in level order."""
        rows = []
        for level, probe in sorted(self.search.probes.items()):
            row: dict[str, Any] = {
                "level": level,
                "replications": probe.replications,
                "verdict": probe.verdict,
            }
            for t in self.targets:
                row[t.kpi] = probe.mean(t.kpi)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_json_dict(self) -> dict[str, Any]:
        def num(x: Any) -> Any:
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x

        interval = self.interval
        return {
            "scenario": self.scenario.name,
            "lever": self.lever,
            "want": self.search.want,
            "start": self.start,
            "targets": [{"kpi": t.kpi, "sense": t.sense, "value": t.threshold} for t in self.targets],
            "confidence": self.search.confidence,
            "status": self.status,
            "answer": self.value,
            "interval": None if interval is None else list(interval),
            "estimate": num(self.search.estimate()),
            "step": self.search.step,
            "range": [self.search.low, self.search.high],
            "replications_run": self.replications,
            "years": self.years,
            "seed": self.seed,
            "levels": [{k: num(v) for k, v in r.items()} for r in self.levels().to_dict(orient="records")],
            "effect": [{k: num(v) for k, v in r.items()} for r in self.effect.to_dict(orient="records")],
            "notes": list(self.search.notes),
            "wall_seconds": round(self.wall_seconds, 3),
        }


def _as_target(t: Target | str) -> Target:
    return t if isinstance(t, Target) else Target.parse(t)


def _allowed(base: Scenario, lever: Lever, start: float, value: float) -> float:
    """``value``, or a point up to 64 times nearer ``start`` that the scenario accepts (a share cannot
    pass 1); ``ValueError`` when there is none (a branch's probabilities must move together)."""
    first: ScenarioError | None = None
    for _ in range(7):
        try:
            lever.apply(base, value)
        except ScenarioError as exc:
            first = first or exc
            value = (start + value) / 2
            continue
        return value
    raise ValueError(f"lever {lever.name!r} cannot be moved from {start:g} on its own: {first}")


def _check_level(base: Scenario, lever: Lever, value: float) -> None:
    try:
        lever.apply(base, value)
    except ScenarioError as exc:
        raise ValueError(f"lever {lever.name!r} cannot be {value:g}: {exc}") from None


def _default_step(start: float, low: float, high: float) -> float:
    """1 for whole-number levers over a range of 16 to 100 (FTE, caps); otherwise a round step (1, 2
    or 5 times a power of ten) giving 16 to 40 levels."""
    span = high - low
    if all(float(v).is_integer() for v in (start, low, high)) and 16 <= span <= 100:
        return 1.0
    raw = span / 16
    power = 10.0 ** math.floor(math.log10(raw))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= raw)


def find_target(
    scenario: Scenario | str | Path,
    lever: str | Lever,
    targets: Sequence[Target | str],
    *,
    confidence: float = 0.9,
    between: tuple[float, float] | None = None,
    step: float | None = None,
    want: str = "smallest",
    years: int | None = None,
    seed: int = 0,
    initial_replications: int = 5,
    batch: int = 5,
    max_replications: int = 40,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    store: str | Path | None = None,
    progress: bool = False,
    level: float = 0.95,
    budget: Budget | None = None,
) -> TargetResult:
    """Find the smallest (``want="smallest"``) or largest value of ``lever`` that meets every target.

    ``targets``: :class:`Target` objects or strings such as ``"assessment_within_45wd_pct>=90"`` and
    ``"caseload_mean<=18"``, each met with one-sided ``confidence`` on the mean over replications
    (together, by Bonferroni). ``between``: the range searched (default: half to twice the current
    value, widened twice by doubling the far end if it does not meet the targets). ``step``: the
    answer's precision (default 1 for whole-number levers such as establishments, else 1/32 of the
    range). Replications at each level start at ``initial_replications`` and grow by ``batch`` while
    the level is too close to call, up to ``max_replications``. ``years``, ``seed``, ``executor``,
    ``workers``, ``store``, ``progress`` and ``budget`` are as for :func:`caseflow.run` (each level is
    checked against the budget before it runs); ``level`` is the confidence level of the intervals
    reported at the answer.
    """
    started = time.time()
    base = as_scenario(scenario)
    _check(initial_replications, seed, years)
    goals = tuple(_as_target(t) for t in targets)
    if not goals:
        raise ValueError("give at least one target")
    check_names([t.kpi for t in goals], reported_by(base), what="targets")
    definitions = [describe(t.kpi) for t in goals]
    lever = as_lever(lever)
    start = lever.current(base)
    low, high, step, widen = _search_range(base, lever, start, between, step)

    runs = LeverRuns(
        base,
        lever,
        years=years,
        seed=seed,
        executor=executor,
        workers=workers,
        store=store,
        progress=progress,
        budget=budget,
    )
    kpis = [t.kpi for t in goals]

    def measure(value: float, reps: range) -> dict[str, list[float]]:
        return per_replication(runs.run(value, reps), kpis, reps)

    probes: dict[float, Probe] = {}
    while True:
        found = search(
            measure,
            goals,
            low,
            high,
            step=step,
            want=want,
            confidence=confidence,
            initial=initial_replications,
            batch=batch,
            max_replications=max_replications,
            probes=probes,
        )
        if found.status != "not_met" or widen == 0:
            break
        widen -= 1
        far, beyond = (
            (high, low + 2 * (high - low)) if want == "smallest" else (low, max(2 * low - high, 0.0))
        )
        try:
            wider = _allowed(base, lever, far, beyond)
        except ValueError:  # the scenario accepts nothing further out
            break
        if wider == far:
            break
        low, high = (low, wider) if want == "smallest" else (wider, high)
    at_answer, effect = _at_answer(found, runs, goals, definitions, level)
    return TargetResult(
        scenario=base,
        lever=lever.name,
        lever_label=lever.label,
        start=start,
        search=found,
        years=years if years is not None else base.run.years,
        seed=seed,
        at_answer=at_answer,
        effect=effect,
        level=level,
        wall_seconds=time.time() - started,
        kpi_definitions=tuple(definitions),
        replications=runs.replications,
    )


def _search_range(
    base: Scenario, lever: Lever, start: float, between: tuple[float, float] | None, step: float | None
) -> tuple[float, float, float, int]:
    """``(low, high, step, times the far end may be widened)``: the range given, or half to twice the
    lever's value (within what the scenario accepts), which may be widened twice."""
    widen = 0
    own_range = getattr(lever, "default_range", None)
    if between is None and callable(own_range):
        between = own_range(base)
    if between is None:
        if start <= 0:
            raise ValueError(f"lever {lever.name!r} is {start:g} in {base.name}: give the range to search")
        low, high = start / 2, start * 2
        if float(start).is_integer():
            low, high = float(math.floor(low)), float(math.ceil(high))
        low, high = _allowed(base, lever, start, low), _allowed(base, lever, start, high)
        widen = 2
    else:
        low, high = float(between[0]), float(between[1])
        _check_level(base, lever, low)
        _check_level(base, lever, high)
    if step is None:
        step = _default_step(start, low, high)
        if between is None:  # levels on round numbers
            rounded = math.floor(low / step) * step
            low = _allowed(base, lever, start, max(rounded, 0.0) if low >= 0 else rounded)
            high = _allowed(base, lever, start, math.ceil(high / step) * step)
    return low, high, step, widen


def _at_answer(
    found: Search, runs: LeverRuns, goals: Sequence[Target], definitions: Sequence[KPI], level: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every KPI at the answer with its CI, and the paired effect against the starting scenario (run on
    the answer's replications where it was not a level tried)."""
    at_answer = pd.DataFrame(columns=["kpi", "mean", "std", "ci_low", "ci_high", "n"])
    effect = pd.DataFrame(
        columns=["kpi", "start_mean", "answer_mean", "difference", "ci_low", "ci_high", "n"]
    )
    if found.answer is None:
        return at_answer, effect
    n = runs.have(found.answer)
    answer_means = runs.results(found.answer).per_replication_mean()
    at_answer = summarise(answer_means, ["kpi"], level, Catalogue(definitions).bounds)
    start_means = runs.results(runs.start, n).per_replication_mean()
    return at_answer, _paired(start_means, answer_means, [t.kpi for t in goals] + [COST_KPI], n, level)


def _paired(
    start: pd.DataFrame, answer: pd.DataFrame, kpis: Sequence[str], n: int, level: float
) -> pd.DataFrame:
    """Answer minus start, replication by replication (common random numbers), for each of ``kpis``."""
    rows = []
    for kpi in dict.fromkeys(kpis):
        a = answer[(answer["kpi"] == kpi) & (answer["replication"] < n)].set_index("replication")["value"]
        s = start[(start["kpi"] == kpi) & (start["replication"] < n)].set_index("replication")["value"]
        if a.empty or s.empty:
            continue
        s = s.reindex(a.index)
        diff, lo, hi = t_interval(np.asarray(a - s, dtype=float), level)
        rows.append((kpi, float(s.mean()), float(a.mean()), diff, lo, hi, int(a.notna().sum())))
    return pd.DataFrame(
        rows, columns=["kpi", "start_mean", "answer_mean", "difference", "ci_low", "ci_high", "n"]
    )
