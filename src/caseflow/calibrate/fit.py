"""Calibration: move the unpublished parameters until the model reproduces an authority's own years.

The method, in three steps (docs/calibration.md):

1. **Twin fit.** The mean-field steady state (:mod:`caseflow.model.steady_state`, milliseconds per
   evaluation) is fitted to the published flows and stocks with ``scipy.optimize.least_squares``, on
   the levers it can see (all but re-referrals and repeat CP plans). This finds the region.
2. **Simulation fit.** The DES itself, run from the authority's opening stock over the fit years with
   ``replications`` replications on common random numbers (the same seeds at every iteration, so
   differences between iterations are the parameters' doing, not chance), is driven to the published
   figures by quasi-Newton steps: the twin's Jacobian to start with, improved by Broyden updates from
   what the DES actually did. A fixed budget of ``iterations``; the best iterate is kept.
3. **Confirmation.** The fitted scenario is run ``confirm_replications`` times and every fit measure is
   reported, published against modelled, with a 95% confidence interval.

Residuals are log ratios (modelled ÷ published, averaged over the fit years), so a 10% miss on a small
authority counts as much as on a large one. A lever whose figure is not published for the authority
(suppressed, missing) is not moved, and is reported as not identified.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from caseflow.calibrate.levers import LEVERS, Lever, apply_levers
from caseflow.calibrate.targets import BY_NAME, MEASURES, Targets
from caseflow.experiment.executors import ExecutorSpec
from caseflow.experiment.stats import t_interval
from caseflow.model.steady_state import steady_state
from caseflow.scenario.schema import Scenario

__all__ = ["Calibration", "calibrate", "fit_years_of", "modelled"]

#: Levers the twin cannot see (it has no per-child history and no conference timing): assumed
#: elasticities of their own target. Longer ICPC booking means fewer conferences within 15 days.
_ASSUMED_ELASTICITY = {"recontact": 0.8, "prior_cp_plan": 0.7, "icpc_booking": -0.5, "establishment": -0.9}

#: Levers whose figure only the workforce model produces.
_NEEDS_WORKFORCE = frozenset({"establishment"})

#: Unpublished parameters no figure in the published files moves: always reported as not identified.
UNIDENTIFIABLE = (
    (
        "workforce.hours",
        "hours each task takes a social worker",
        "no published figure in these files moves them (assessment timeliness, DfE C2, is not among "
        "them; ICPC timeliness is fitted through the booking instead): national values kept",
    ),
)
#: Longest step of any lever in one iteration (log or logit scale); halved after a step that did worse.
_MAX_STEP = 0.5


@dataclass
class Calibration:
    """What :func:`calibrate` found."""

    scenario: Scenario  # the calibrated scenario
    levers: dict[str, float]  # each lever's value (0 = as before)
    fit: pd.DataFrame  # measure, year, published, modelled, ci_low, ci_high, error_pct
    identification: pd.DataFrame  # lever, target, value, identified, reason
    iterations: list[dict[str, float]] = field(default_factory=list)
    runs: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for a terminal."""
        worst = self.fit.loc[self.fit["fitted"], "error_pct"].abs()
        n_id = int(self.identification["identified"].sum())
        return (
            f"calibrated {n_id} of {len(self.identification)} parameters in {self.runs} runs "
            f"({self.seconds:.0f} s); largest error on a fitted figure {worst.max():.1f}%"
        )


def fit_years_of(scenario: Scenario) -> tuple[int, ...]:
    """The years to 31 March that a run of ``scenario`` reports (after its warm-up)."""
    first = scenario.run.start_date.year + scenario.run.warmup_years + 1
    return tuple(range(first, first + scenario.run.years))


def modelled(kpis: pd.DataFrame, years: Sequence[int]) -> dict[str, np.ndarray]:
    """``{measure: array (replications × years)}`` of the fit measures from a run's KPI table."""
    fy = kpis[(kpis["period_type"] == "financial_year") & ~kpis["warmup"]]
    labels = {f"{y - 1}-{y % 100:02d}": i for i, y in enumerate(years)}
    fy = fy[fy["period"].isin(labels)]
    reps = sorted(fy["replication"].unique())
    out: dict[str, np.ndarray] = {}
    wide = fy.pivot_table(index=["replication", "period"], columns="kpi", values="value", aggfunc="first")
    for m in MEASURES:
        arr = np.full((len(reps), len(years)), math.nan)
        if m.kpi in wide.columns:
            for key, value in wide[m.kpi].items():
                rep, period = cast("tuple[int, str]", key)
                arr[reps.index(rep), labels[str(period)]] = float(value)
        out[m.name] = arr
    return out


def _log_residual(model: float, published: float) -> float:
    if not (math.isfinite(model) and math.isfinite(published)) or published <= 0:
        return math.nan
    return math.log(max(model, 1e-3) / published)


def _twin_measures(s: Scenario) -> dict[str, float]:
    ss = steady_state(s)
    f = ss.flows
    cla_years = ss.mean_years["looked_after"]
    return {
        "referrals": f["referrals"],
        "assessed_not_in_need": f["assessed_not_in_need"],
        "s47": f["s47"],
        "icpc": f["icpc"],
        "cp_started": f["cp_started"],
        "cp_at_31_march": ss.stocks["cp_plan"],
        "cin_at_31_march": ss.dfe_cin(),
        "cla_started": f["cla_started"],
        "cla_ceased": s.opening_stock.looked_after / cla_years if cla_years > 0 else math.nan,
        # a year on from the opening stock: starts in, the stock's share of a year's exits out
        "cla_at_31_march": s.opening_stock.looked_after * (1 - 1 / cla_years) + f["cla_started"]
        if cla_years > 1
        else f["cla_started"] * cla_years,
    }


def _published_mean(targets: Targets, measure: str, years: Sequence[int]) -> float:
    vals = [targets.get(measure, y) for y in years]
    vals = [v for v in vals if math.isfinite(v)]
    return float(np.mean(vals)) if vals else math.nan


def _twin_fit(base: Scenario, active: list[Lever], targets: Targets, years: Sequence[int]) -> np.ndarray:
    """Least-squares fit of the twin-visible levers; returns x for ``active`` (others 0)."""
    from scipy.optimize import least_squares

    visible = [i for i, lv in enumerate(active) if lv.name not in _ASSUMED_ELASTICITY]
    x0 = np.zeros(len(active))
    if not visible:
        return x0
    goal = {lv.target: _published_mean(targets, lv.target, years) for lv in active}

    def residuals(xv: np.ndarray) -> np.ndarray:
        x = x0.copy()
        x[visible] = xv
        twin = _twin_measures(
            apply_levers(base, {lv.name: float(v) for lv, v in zip(active, x, strict=True)})
        )
        return np.array([_log_residual(twin[active[i].target], goal[active[i].target]) for i in visible])

    lo = np.array([active[i].bounds[0] for i in visible])
    hi = np.array([active[i].bounds[1] for i in visible])
    sol = least_squares(residuals, np.zeros(len(visible)), bounds=(lo, hi), diff_step=1e-3, max_nfev=200)
    x0[visible] = sol.x
    return x0


def _twin_jacobian(base: Scenario, active: list[Lever], x: np.ndarray, step: float = 0.05) -> np.ndarray:
    """d log(measure of lever i's target) / d x_j by central differences on the twin."""
    n = len(active)
    jac = np.zeros((n, n))
    visible = [i for i, lv in enumerate(active) if lv.name not in _ASSUMED_ELASTICITY]
    for j in range(n):
        if active[j].name in _ASSUMED_ELASTICITY:
            jac[j, j] = _ASSUMED_ELASTICITY[active[j].name]
            continue
        up, down = x.copy(), x.copy()
        up[j] += step
        down[j] -= step
        m_up = _twin_measures(
            apply_levers(base, {lv.name: float(v) for lv, v in zip(active, up, strict=True)})
        )
        m_dn = _twin_measures(
            apply_levers(base, {lv.name: float(v) for lv, v in zip(active, down, strict=True)})
        )
        for i in visible:
            t = active[i].target
            jac[i, j] = (math.log(m_up[t]) - math.log(m_dn[t])) / (2 * step)
    return jac


def _des_residuals(
    scenario: Scenario,
    targets: Targets,
    years: Sequence[int],
    active: list[Lever],
    *,
    replications: int,
    seed: int,
    executor: ExecutorSpec,
    workers: int | None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from caseflow.experiment.runner import run

    res = run(scenario, replications=replications, seed=seed, executor=executor, workers=workers)
    got = modelled(res.kpis, years)
    r = np.zeros(len(active))
    for i, lv in enumerate(active):
        per_year = [
            _log_residual(float(np.nanmean(got[lv.target][:, k])), targets.get(lv.target, y))
            for k, y in enumerate(years)
        ]
        finite = [v for v in per_year if math.isfinite(v)]
        r[i] = float(np.mean(finite)) if finite else 0.0
    return r, got


def calibrate(
    scenario: Scenario,
    targets: Targets,
    *,
    replications: int = 2,
    iterations: int = 6,
    confirm_replications: int = 5,
    seed: int = 0,
    tolerance: float = 0.02,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    levers: Sequence[str] | None = None,
    progress: bool = False,
) -> Calibration:
    """Fit ``scenario``'s unpublished parameters to ``targets`` over the years the scenario reports.

    ``scenario`` must start from the authority's published stock at 31 March before the first fit year
    (:func:`caseflow.profile.profile` with ``fit_years``). ``iterations`` × ``replications`` runs of the
    simulation at most, then ``confirm_replications`` to report the fit; ``tolerance`` stops early when
    every fitted figure is within that relative error. ``levers`` restricts which levers move.
    """
    started = time.perf_counter()
    years = fit_years_of(scenario)
    chosen = [lv for lv in LEVERS if levers is None or lv.name in levers]
    workforce_on = scenario.workforce is not None and scenario.workforce.enabled
    active = [
        lv
        for lv in chosen
        if targets.available(lv.target, years) and (workforce_on or lv.name not in _NEEDS_WORKFORCE)
    ]
    inactive = [lv for lv in chosen if lv not in active]

    def say(msg: str) -> None:
        if progress:
            print(msg, flush=True)

    x = _twin_fit(scenario, active, targets, years)
    say(f"twin fit: {dict(zip([lv.name for lv in active], np.round(x, 3), strict=True))}")
    jac = _twin_jacobian(scenario, active, x)
    runs = 0
    history: list[dict[str, float]] = []
    best_x, best_score = x.copy(), math.inf
    best_r = np.zeros(len(active))
    radius = _MAX_STEP
    lo = np.array([lv.bounds[0] for lv in active])
    hi = np.array([lv.bounds[1] for lv in active])
    prev: tuple[np.ndarray, np.ndarray] | None = None
    for it in range(iterations):
        trial = apply_levers(scenario, {lv.name: float(v) for lv, v in zip(active, x, strict=True)})
        r, _ = _des_residuals(
            trial,
            targets,
            years,
            active,
            replications=replications,
            seed=seed,
            executor=executor,
            workers=workers,
        )
        runs += replications
        score = float(np.sqrt(np.mean(r**2))) if r.size else 0.0
        worst = float(np.max(np.abs(r))) if r.size else 0.0
        history.append(
            {
                "iteration": it,
                "rms_log_error": score,
                "max_abs_log_error": worst,
                "runs": runs,
                "radius": radius,
            }
        )
        say(
            f"iteration {it}: typical error {100 * (math.exp(score) - 1):.1f}%, "
            f"largest {100 * (math.exp(worst) - 1):.1f}%"
        )
        if prev is not None:  # Broyden: make the Jacobian agree with what the simulation did
            dx, dr = x - prev[0], r - prev[1]
            if float(dx @ dx) > 1e-12:
                jac = jac + np.outer(dr - jac @ dx, dx) / float(dx @ dx)
        prev = (x.copy(), r.copy())
        if score < best_score:  # accepted: step from here, and trust a longer step next time
            best_x, best_r, best_score = x.copy(), r.copy(), score
            radius = min(_MAX_STEP, 1.5 * radius)
        else:  # rejected: go back to the best point with a shorter step
            radius *= 0.5
        if worst < math.log1p(tolerance) or not r.size:
            break
        try:
            step = np.linalg.solve(jac, best_r)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(jac, best_r, rcond=None)[0]
        longest = float(np.max(np.abs(step))) if step.size else 0.0
        if longest > radius:  # a trust region: no wild jumps on a noisy response
            step *= radius / longest
        x = np.clip(best_x - step, lo, hi)

    values = {lv.name: float(v) for lv, v in zip(active, best_x, strict=True)}
    fitted = apply_levers(scenario, values, name=scenario.name)
    from caseflow.experiment.runner import run

    confirm = run(fitted, replications=confirm_replications, seed=seed, executor=executor, workers=workers)
    runs += confirm_replications
    got = modelled(confirm.kpis, years)
    fit_rows: list[dict[str, Any]] = []
    fitted_targets = {lv.target for lv in active}
    for m in MEASURES:
        for k, y in enumerate(years):
            mean, lo_ci, hi_ci = t_interval(got[m.name][:, k])
            pub = targets.get(m.name, y)
            err = 100.0 * (mean - pub) / pub if math.isfinite(pub) and pub else math.nan
            if m.pct and math.isfinite(pub):
                err = mean - pub  # percentage points
            fit_rows.append(
                {
                    "measure": m.name,
                    "label": m.label,
                    "year": y,
                    "published": pub,
                    "modelled": mean,
                    "ci_low": lo_ci,
                    "ci_high": hi_ci,
                    "error_pct": err,
                    "error_unit": "points" if m.pct else "%",
                    "fitted": m.name in fitted_targets,
                }
            )
    fit = pd.DataFrame(fit_rows)
    final_r = {lv.name: 0.0 for lv in active}
    for lv in active:
        rows = fit[(fit["measure"] == lv.target)]
        logs = [_log_residual(a, b) for a, b in zip(rows["modelled"], rows["published"], strict=True)]
        logs = [v for v in logs if math.isfinite(v)]
        final_r[lv.name] = float(np.mean(logs)) if logs else math.nan
    ident_rows = []
    for i, lv in enumerate(active):
        own = abs(float(jac[i, i]))
        miss = final_r[lv.name]
        if own < 0.1:
            ok, why = False, f"the data barely move it (sensitivity {own:.2f})"
        elif not math.isfinite(miss) or abs(miss) > math.log(1.15):
            off = 100 * (math.exp(miss) - 1) if math.isfinite(miss) else math.nan
            ok, why = False, f"could not match {BY_NAME[lv.target].label.lower()} (off by {off:.0f}%)"
        elif abs(best_x[i]) >= 0.999 * max(abs(lv.bounds[0]), abs(lv.bounds[1])):
            ok, why = False, "hit the edge of its allowed range"
        else:
            ok, why = True, f"fitted to {BY_NAME[lv.target].label.lower()}"
        ident_rows.append(
            {
                "lever": lv.name,
                "label": lv.label,
                "target": lv.target,
                "value": float(best_x[i]),
                "identified": ok,
                "reason": why,
            }
        )
    ident_rows.extend(
        {
            "lever": lv.name,
            "label": lv.label,
            "target": lv.target,
            "value": 0.0,
            "identified": False,
            "reason": "fitted only with the workforce on: profiled value kept"
            if lv.name in _NEEDS_WORKFORCE and not workforce_on
            else f"{BY_NAME[lv.target].label.lower()} not published for these years: national value",
        }
        for lv in inactive
    )
    ident_rows.extend(
        {"lever": path, "label": label, "target": "", "value": 0.0, "identified": False, "reason": why}
        for path, label, why in UNIDENTIFIABLE
    )
    return Calibration(
        scenario=fitted,
        levers=values,
        fit=fit,
        identification=pd.DataFrame(ident_rows),
        iterations=history,
        runs=runs,
        seconds=time.perf_counter() - started,
    )
