"""Comparing scenarios under common random numbers: paired differences with confidence intervals.

Every scenario runs replication ``r`` on the same random streams (same seed, same replication number,
same stream names), so the difference between two scenarios in replication ``r`` is mostly the effect of
the change, not noise. Effects are the mean of per-replication paired differences with a t-based CI.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.results import Results
from caseflow.experiment.runner import Job, _check, as_scenario, assemble, execute, own_kpis, refuse_early
from caseflow.experiment.stats import feasible_difference, t_interval
from caseflow.metrics import KPI
from caseflow.metrics.catalogue import Catalogue
from caseflow.model.budget import Budget
from caseflow.scenario.schema import Scenario

__all__ = ["INTERVAL_CUT_NOTE", "Comparison", "compare", "named_scenarios"]

#: What an effect's ``ci_cut`` means, in words for a reader of any view of it.
INTERVAL_CUT_NOTE = (
    "The interval reached past what the measure can be and was cut to it: too few replications to "
    "tell how large the difference is. Run more replications."
)

#: Seed offset per scenario when common random numbers are switched off (independent streams).
_INDEPENDENT_SEED_STRIDE = 1_000_003


@dataclass
class Comparison:
    """Results of several scenarios run on common random numbers, and their paired effects."""

    results: dict[str, Results]
    baseline: str
    common_random_numbers: bool = True

    @property
    def names(self) -> list[str]:
        return list(self.results)

    def headline(self) -> pd.DataFrame:
        """Mean of each KPI (averaged over reported years) per scenario: rows KPIs, columns scenarios."""
        return pd.DataFrame({name: r.headline()["mean"] for name, r in self.results.items()})

    def effects(self, level: float = 0.95) -> pd.DataFrame:
        """Paired difference (scenario − baseline) of each KPI with its t-based CI, per scenario.

        Each KPI is averaged over the reported financial years within a replication first. Columns:
        scenario, kpi, baseline_mean, scenario_mean, difference, ci_low, ci_high, n, ci_cut.

        The CI is cut to what the KPI can be: a scenario's percentage lies between 0 and 100, so its
        difference from a baseline of 95% lies between −95 and +5 points, and a count cannot fall by
        more than the baseline's mean (:func:`~caseflow.experiment.stats.feasible_difference`). A t
        interval knows nothing of this and with few replications reaches past it. ``ci_cut`` says the
        interval was cut: it was wider than the measure allows, so there were too few replications to
        tell how large the difference is.
        """
        frames = {name: r.per_replication_mean() for name, r in self.results.items()}
        return self._paired(frames, [], level)

    def effects_by_year(self, level: float = 0.95) -> pd.DataFrame:
        """The same paired differences for each reported financial year separately.

        Columns: scenario, period (``"2026-27"``), kpi, baseline_mean, scenario_mean, difference,
        ci_low, ci_high, n, ci_cut (each CI cut as :meth:`effects` cuts it). A change that starts
        mid-run shows when its effect begins and how it builds.
        """
        frames = {name: r.reported("financial_year") for name, r in self.results.items()}
        return self._paired(frames, ["period"], level)

    def _paired(self, frames: dict[str, pd.DataFrame], by: list[str], level: float) -> pd.DataFrame:
        def wide(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.pivot_table(index=["replication", *by], columns="kpi", values="value", dropna=False)

        base = wide(frames[self.baseline])
        catalogue = Catalogue(k for r in self.results.values() for k in r.kpi_definitions)
        rows = []
        for name, frame in frames.items():
            if name == self.baseline:
                continue
            other = wide(frame)
            groups = [((), other.index)] if not by else list(other.groupby(level=by).groups.items())
            for key, index in groups:
                keys = key if isinstance(key, tuple) else (key,)
                o = other.loc[index]
                b = base.reindex(o.index)
                for kpi in other.columns:
                    if kpi not in base.columns:
                        continue
                    d = (o[kpi] - b[kpi]).dropna().to_numpy()
                    mean, lo, hi = t_interval(d, level)
                    base_mean = float(b[kpi].mean())
                    lo, hi, cut = feasible_difference(lo, hi, base_mean, *catalogue.bounds(kpi))
                    rows.append(
                        (name, *keys, kpi, base_mean, float(o[kpi].mean()), mean, lo, hi, len(d), cut)
                    )
        columns = [
            "scenario",
            *by,
            "kpi",
            "baseline_mean",
            "scenario_mean",
            "difference",
            "ci_low",
            "ci_high",
            "n",
            "ci_cut",
        ]
        return pd.DataFrame(rows, columns=columns)


def named_scenarios(
    scenarios: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path],
) -> dict[str, Scenario]:
    """``{name: scenario}`` as given, or a list named by each scenario's ``name`` (``_2``, ``_3``… for
    repeats), each loaded and validated."""
    if isinstance(scenarios, Mapping):
        return {name: as_scenario(s) for name, s in scenarios.items()}
    named: dict[str, Scenario] = {}
    for s in (as_scenario(x) for x in scenarios):
        name, i = s.name, 2
        while name in named:
            name, i = f"{s.name}_{i}", i + 1
        named[name] = s
    return named


def compare(
    scenarios: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path],
    *,
    baseline: str | None = None,
    years: int | None = None,
    replications: int = 10,
    seed: int = 0,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    progress: bool = False,
    store: str | Path | None = None,
    common_random_numbers: bool = True,
    kpis: Sequence[KPI] | None = None,
    budget: Budget | None = None,
) -> Comparison:
    """Run several scenarios on common random numbers and report paired effects against ``baseline``.

    ``scenarios`` is ``{name: scenario or path}`` or a list (named by each scenario's ``name``).
    The baseline is ``baseline`` or the first scenario. ``common_random_numbers=False`` gives each
    scenario independent streams instead (to show what CRN buys). ``kpis``: the KPIs to compute
    (default: the built-in catalogue; see :func:`caseflow.run`). ``budget``: what each replication may
    cost, as for :func:`caseflow.run`; every scenario is checked against it before any replication.
    """
    named = named_scenarios(scenarios)
    if len(named) < 2:
        raise ValueError("compare needs at least two scenarios")
    base = baseline if baseline is not None else next(iter(named))
    if base not in named:
        raise ValueError(f"baseline {base!r} is not one of {', '.join(named)}")
    _check(replications, seed, years)
    chosen = own_kpis(kpis)
    refuse_early(list(named.values()), years, budget)
    started = time.time()
    seeds = {
        name: seed if common_random_numbers else seed + i * _INDEPENDENT_SEED_STRIDE
        for i, name in enumerate(named)
    }
    jobs = [
        Job(s, seeds[name], r, years, kpis=chosen, budget=budget)
        for name, s in named.items()
        for r in range(replications)
    ]
    frames = execute(jobs, executor=executor, workers=workers, progress=progress, store=store)
    results = {}
    for k, (name, s) in enumerate(named.items()):
        part = frames[k * replications : (k + 1) * replications]
        results[name] = assemble(s, part, seeds[name], years, started, chosen)
    return Comparison(results=results, baseline=base, common_random_numbers=common_random_numbers)
