"""The national experiment: every current authority profiled and run, and the results added up.

>>> from caseflow.national import national
>>> totals = national(2024, replications=2)  # every authority; minutes on 2 cores  # doctest: +SKIP

Each authority is profiled at 31 March ``year`` from its own published figures
(:func:`caseflow.profile.build_profile`) and run for ``years`` years. Replication ``r`` of every
authority is summed into England's replication ``r``; the national totals are the means over
replications with 95% confidence intervals, next to the published England figures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caseflow.calibrate.targets import BY_NAME
from caseflow.data import Published
from caseflow.experiment.executors import ExecutorSpec, batched, map_tasks
from caseflow.scenario.bundled import bundled
from caseflow.scenario.schema import Scenario

__all__ = ["KPIS", "national"]

#: The KPIs added up over authorities, with the fit measure (and published figure) each is compared to.
KPIS: dict[str, str] = {
    "referrals": "referrals",
    "s47_enquiries": "s47",
    "cp_plans_started": "cp_started",
    "cla_starts": "cla_started",
    "cp_plans_open_end": "cp_at_31_march",
    "cin_open_end": "cin_at_31_march",
    "cla_open_end": "cla_at_31_march",
}


def _national_task(
    code: str, scenario: Scenario, seed: int, reps: list[int], years: int
) -> tuple[str, list[int], dict[str, list[list[float]]]]:
    """Run replications ``reps`` of one authority; ``{kpi: [[value per year] per replication]}``."""
    from caseflow.calibrate.fit import modelled
    from caseflow.experiment.runner import Job, run_job_batch

    frames = run_job_batch([Job(scenario, seed, r, years) for r in reps])
    kpis = pd.concat([f[0] for f in frames], ignore_index=True)
    first = scenario.run.start_date.year + scenario.run.warmup_years + 1
    got = modelled(kpis, tuple(range(first, first + years)))
    return code, reps, {kpi: got[measure].tolist() for kpi, measure in KPIS.items()}


def national(
    year: int,
    *,
    replications: int = 2,
    data: str | os.PathLike[str] | Published | None = None,
    base: str | os.PathLike[str] | Scenario | None = None,
    seed: int = 0,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    years: int = 1,
    progress: bool = False,
    authorities: Sequence[str] | None = None,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """England's totals from every current authority (or ``authorities``) profiled at 31 March
    ``year`` and run ``years`` years, ``replications`` times each.

    One row per KPI × year to 31 March: ``model`` (mean over replications of the sum over
    authorities), ``ci_low``/``ci_high`` (95%), ``published`` (England's published figure for that
    year, NaN if not yet published) and ``published_base_year`` (England's figure for ``year``).
    ``batch_size``: replications per task (default: all of an authority's in one task).

    ``attrs``: ``warnings`` (authorities skipped and why), ``authorities`` (codes run),
    ``per_authority`` (a long table: la_code, replication, year, kpi, value), ``seconds``.
    """
    from caseflow import data as data_mod
    from caseflow.experiment.stats import t_interval
    from caseflow.profile import build_profile
    from caseflow.scenario.loader import load_scenario

    if replications < 1 or years < 1:
        raise ValueError("replications and years must be at least 1")
    started = time.perf_counter()
    pub = data if isinstance(data, Published) else data_mod.load(None if data is None else Path(data))
    base_scenario = base if isinstance(base, Scenario) else load_scenario(Path(base or bundled()))
    codes = (
        list(pub.authorities(year)["code"])
        if authorities is None
        else [pub.find(a).code for a in authorities]
    )
    warnings: list[str] = []
    scenarios: dict[str, Scenario] = {}
    for code in codes:
        try:
            prof = build_profile(pub, base_scenario, code, year)
            scenarios[code] = prof.scenario(base_scenario)
        except Exception as exc:  # an authority that cannot be profiled is skipped, and said so
            warnings.append(f"{pub.find(code).name} ({code}) skipped: {type(exc).__name__}: {exc}")
    reps = list(range(replications))
    tasks = [
        (code, scen, seed, batch, years)
        for code, scen in scenarios.items()
        for batch in batched(reps, batch_size or replications)
    ]
    bar = None
    if progress:
        import sys

        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), unit="task", desc="national", file=sys.stderr)
    try:
        results = map_tasks(
            _national_task,
            tasks,
            executor,
            workers,
            on_result=(lambda _i, _r: bar.update(1)) if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()

    predicted = list(range(year + 1, year + years + 1))
    totals = {kpi: np.zeros((replications, years)) for kpi in KPIS}
    long_rows: list[dict[str, Any]] = []
    for code, batch, values in results:
        for kpi, per_rep in values.items():
            for r, row in zip(batch, per_rep, strict=True):
                totals[kpi][r] += np.asarray(row, dtype=float)
                long_rows.extend(
                    {"la_code": code, "replication": r, "year": y, "kpi": kpi, "value": float(v)}
                    for y, v in zip(predicted, row, strict=True)
                )
    rows = []
    for kpi, measure in KPIS.items():
        for k, y in enumerate(predicted):
            mean, lo, hi = t_interval(totals[kpi][:, k])
            published = pub.national(measure, y)
            rows.append(
                {
                    "kpi": kpi,
                    "measure": measure,
                    "label": BY_NAME[measure].label,
                    "year": y,
                    "model": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "published": published,
                    "error_pct": 100.0 * (mean - published) / published if published else np.nan,
                    "published_base_year": pub.national(measure, year),
                    "authorities": len(scenarios),
                    "replications": replications,
                }
            )
    out = pd.DataFrame(rows)
    out.attrs["warnings"] = warnings
    out.attrs["authorities"] = list(scenarios)
    out.attrs["per_authority"] = pd.DataFrame(
        long_rows, columns=["la_code", "replication", "year", "kpi", "value"]
    )
    out.attrs["seconds"] = time.perf_counter() - started
    return out
