"""The built-in backtest: calibrate each authority on the years to 31 March ``train_to``, predict the
years after it, and score the predictions against what was later published.

>>> from caseflow.backtest import backtest
>>> bt = backtest(2022, horizons=(1, 2))  # every current authority; hours on 2 cores  # doctest: +SKIP
>>> bt.summary()  # doctest: +SKIP
>>> bt.targets()  # doctest: +SKIP
>>> bt.write("runs/backtest")  # doctest: +SKIP

Each authority is one task (:func:`caseflow.experiment.executors.map_tasks`), so the backtest runs on
local processes or a Dask cluster with identical results. Within a task everything runs sequentially.

Two naive forecasts are scored alongside the model: **persistence** (next year equals the last
published year, ``train_to``) and **linear trend** (a least-squares line through the published values
of the last three years up to ``train_to``, those available, extrapolated and not below 0).

Errors are absolute percentage errors (APE, in %) of the published figure; for ICPC timeliness (a
percentage) they are absolute errors in percentage points.
"""

from __future__ import annotations

import functools
import math
import os
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caseflow.calibrate.targets import BY_NAME
from caseflow.data import Published
from caseflow.experiment.executors import ExecutorSpec, map_tasks
from caseflow.files import atomic_path, atomic_write_text
from caseflow.scenario.bundled import bundled
from caseflow.scenario.schema import Scenario

__all__ = ["SCORED", "STOCKS", "Backtest", "backtest", "linear_trend", "markdown_table"]

#: The fit measures a backtest scores (names of :data:`caseflow.calibrate.targets.MEASURES`).
SCORED: tuple[str, ...] = (
    "cp_at_31_march",
    "cin_at_31_march",
    "cla_at_31_march",
    "referrals",
    "s47",
    "cp_started",
    "cla_started",
    "icpc_within_15wd_pct",
)
STOCKS: tuple[str, ...] = ("cp_at_31_march", "cin_at_31_march", "cla_at_31_march")
POINTS = "icpc_within_15wd_pct"  # scored in percentage points
TREND_YEARS = 3

DataRef = str | Published | None
BaseRef = str | Scenario

COLUMNS = [
    "authority",
    "la_code",
    "population",
    "measure",
    "label",
    "horizon",
    "year",
    "actual",
    "model",
    "model_ci_low",
    "model_ci_high",
    "persistence",
    "trend",
    "model_ape",
    "persistence_ape",
    "trend_ape",
    "error_unit",
]


# -- loading inside a task (cached per process) --------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _load_published(folder: str | None) -> Published:
    from caseflow import data as data_mod

    return data_mod.load(folder)


@functools.lru_cache(maxsize=4)
def _load_base(path: str) -> Scenario:
    from caseflow.scenario.loader import load_scenario

    return load_scenario(path)


def _published(data: DataRef) -> Published:
    return data if isinstance(data, Published) else _load_published(None if data is None else str(data))


def _base(base: BaseRef) -> Scenario:
    return base if isinstance(base, Scenario) else _load_base(str(base))


def _data_ref(data: str | os.PathLike[str] | Published | None) -> DataRef:
    """What a task is given: a folder path (loaded and cached in the worker), None, or the object."""
    if data is None or isinstance(data, Published):
        return data
    return str(Path(data).resolve())


def _base_ref(base: str | os.PathLike[str] | Scenario) -> BaseRef:
    return base if isinstance(base, Scenario) else str(Path(base).resolve())


# -- the naive forecasts -------------------------------------------------------------------------------------


def linear_trend(points: dict[int, float], year: int, floor: float = 0.0) -> float:
    """The least-squares line through ``{year: value}`` (finite values only) evaluated at ``year``,
    not below ``floor``. One point gives that value; none gives NaN."""
    pts = [(y, v) for y, v in sorted(points.items()) if math.isfinite(v)]
    if not pts:
        return math.nan
    if len(pts) == 1:
        return max(floor, pts[0][1])
    xs = np.array([p[0] for p in pts], dtype=float)
    ys = np.array([p[1] for p in pts], dtype=float)
    slope, intercept = np.polyfit(xs, ys, 1)
    return max(floor, float(slope * year + intercept))


def _error(pred: float, actual: float, points: bool) -> float:
    if not (math.isfinite(pred) and math.isfinite(actual)):
        return math.nan
    if points:
        return abs(pred - actual)
    if actual <= 0:
        return math.nan
    return 100.0 * abs(pred - actual) / actual


# -- one authority -------------------------------------------------------------------------------------------


def _backtest_authority(
    code: str,
    train_to: int,
    horizons: tuple[int, ...],
    data: DataRef,
    base: BaseRef,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """Calibrate, predict and score one authority (a top-level function: runs in any worker).

    Returns ``{"rows": [...], "warnings": [...], "seconds": s}`` or ``{"error": message, ...}``.
    """
    started = time.perf_counter()
    name = code
    try:
        from caseflow.calibrate.authority import calibrate_authority
        from caseflow.calibrate.fit import modelled
        from caseflow.calibrate.targets import targets_from_data
        from caseflow.experiment.runner import run
        from caseflow.experiment.stats import t_interval

        pub = _published(data)
        name = pub.find(code).name
        scenario = _base(base)
        fit = calibrate_authority(
            pub,
            scenario,
            code,
            train_to,
            fit_years=settings["fit_years"],
            replications=settings["calibration_replications"],
            iterations=settings["iterations"],
            confirm_replications=settings["confirm_replications"],
            seed=settings["seed"],
            executor="sequential",
            workforce=settings["workforce"],
        )
        horizon = max(horizons)
        years = tuple(range(train_to + 1, train_to + horizon + 1))
        res = run(
            fit.forward,
            years=horizon,
            replications=settings["replications"],
            seed=settings["seed"],
            executor="sequential",
        )
        got = modelled(res.kpis, years)
        history = range(train_to - TREND_YEARS + 1, train_to + 1)
        published = targets_from_data(pub, code, (*history, *(train_to + h for h in horizons)))
        rows: list[dict[str, Any]] = []
        for measure in SCORED:
            fm = BY_NAME[measure]
            last = published.get(measure, train_to)
            past = {y: published.get(measure, y) for y in history}
            for h in sorted(horizons):
                y = train_to + h
                k = years.index(y)
                mean, lo, hi = t_interval(got[measure][:, k])
                actual = published.get(measure, y)
                trend = linear_trend(past, y)
                if fm.pct and math.isfinite(trend):
                    trend = min(trend, 100.0)
                points = measure == POINTS
                rows.append(
                    {
                        "authority": published.authority,
                        "la_code": published.la_code,
                        "population": int(fit.forward.population),
                        "measure": measure,
                        "label": fm.label,
                        "horizon": h,
                        "year": y,
                        "actual": actual,
                        "model": mean,
                        "model_ci_low": lo,
                        "model_ci_high": hi,
                        "persistence": last,
                        "trend": trend,
                        "model_ape": _error(mean, actual, points),
                        "persistence_ape": _error(last, actual, points),
                        "trend_ape": _error(trend, actual, points),
                        "error_unit": "points" if points else "%",
                    }
                )
        return {
            "code": code,
            "authority": name,
            "rows": rows,
            "warnings": list(fit.warnings),
            "fit_years": fit.fit_years,
            "seconds": time.perf_counter() - started,
        }
    except Exception as exc:  # one authority's failure must not sink the backtest
        return {
            "code": code,
            "authority": name,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=6),
            "seconds": time.perf_counter() - started,
        }


# -- the result ----------------------------------------------------------------------------------------------


def _spearman(a: pd.Series, b: pd.Series) -> float:
    from scipy.stats import spearmanr

    ok = a.notna() & b.notna()
    if ok.sum() < 3:
        return math.nan
    rho = spearmanr(a[ok].to_numpy(), b[ok].to_numpy()).statistic
    return float(rho)


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3g") -> str:
    """A GitHub markdown table (pandas' ``to_markdown`` needs tabulate, which is optional)."""

    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if math.isnan(v) else format(float(v), floatfmt)
        return str(v).replace("|", "\\|")

    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


@dataclass
class Backtest:
    """What :func:`backtest` found: one row per authority × measure × horizon, and the failures."""

    table: pd.DataFrame
    failures: pd.DataFrame  # authority, la_code, error
    train_to: int
    horizons: tuple[int, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> pd.DataFrame:
        """Per measure × horizon: how many authorities, median errors of the model and the naive
        forecasts, the model's share within ±10% and ±15%, and rank correlation with the actual."""
        rows = []
        t = self.table
        for measure in SCORED:
            for h in self.horizons:
                g = t[(t["measure"] == measure) & (t["horizon"] == h)]
                ok = g[g["actual"].notna() & g["model"].notna()]
                points = measure == POINTS
                ape = ok["model_ape"]
                rows.append(
                    {
                        "measure": measure,
                        "label": BY_NAME[measure].label,
                        "horizon": h,
                        "year": self.train_to + h,
                        "n": len(ok),
                        "error_unit": "points" if points else "%",
                        "model_mdape": float(ape.median()) if len(ok) else math.nan,
                        "persistence_mdape": float(ok["persistence_ape"].median()) if len(ok) else math.nan,
                        "trend_mdape": float(ok["trend_ape"].median()) if len(ok) else math.nan,
                        "within_10pct": math.nan if points or not len(ok) else float((ape <= 10).mean()),
                        "within_15pct": math.nan if points or not len(ok) else float((ape <= 15).mean()),
                        "mdae_points": float(ape.median()) if points and len(ok) else math.nan,
                        "spearman": _spearman(ok["model"], ok["actual"]),
                    }
                )
        return pd.DataFrame(rows)

    def targets(self) -> pd.DataFrame:
        """The accuracy targets, each met or not (``met`` is False when it could not be assessed)."""
        s = self.summary().set_index(["measure", "horizon"])

        def get(measure: str, h: int, col: str) -> float:
            try:
                return float(s.at[(measure, h), col])  # type: ignore[arg-type]
            except KeyError:
                return math.nan

        rows: list[dict[str, Any]] = []

        def add(target: str, measure: str, h: int, value: float, threshold: float, met: bool) -> None:
            rows.append(
                {
                    "target": target,
                    "measure": measure,
                    "horizon": h,
                    "value": value,
                    "threshold": threshold,
                    "met": bool(met) if math.isfinite(value) else False,
                    "assessed": math.isfinite(value),
                }
            )

        for m, label in (("cla_at_31_march", "CLA"), ("cin_at_31_march", "CIN")):
            v = get(m, 1, "within_10pct")
            add(
                f"{label} at 31 March one year ahead within ±10% for ≥80% of authorities",
                m,
                1,
                v,
                0.8,
                v >= 0.8,
            )
        v = get("cp_at_31_march", 1, "within_15pct")
        add(
            "CP plans at 31 March one year ahead within ±15% for ≥75% of authorities",
            "cp_at_31_march",
            1,
            v,
            0.75,
            v >= 0.75,
        )
        for m in STOCKS:
            model, pers = get(m, 1, "model_mdape"), get(m, 1, "persistence_mdape")
            add(
                f"{BY_NAME[m].label}: model median error ≤ persistence one year ahead",
                m,
                1,
                model,
                pers,
                model <= pers,
            )
        for m in STOCKS:
            model, pers = get(m, 2, "model_mdape"), get(m, 2, "persistence_mdape")
            add(
                f"{BY_NAME[m].label}: model median error < persistence two years ahead",
                m,
                2,
                model,
                pers,
                model < pers,
            )
        v = get(POINTS, 1, "mdae_points")
        add(
            "ICPCs within 15 working days: median absolute error ≤ 8 points one year ahead",
            POINTS,
            1,
            v,
            8.0,
            v <= 8.0,
        )
        v = get(POINTS, 1, "spearman")
        add(
            "ICPCs within 15 working days: rank correlation with actual ≥ 0.4 one year ahead",
            POINTS,
            1,
            v,
            0.4,
            v >= 0.4,
        )
        return pd.DataFrame(rows)

    def write(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write ``backtest_table.csv``, ``backtest_summary.csv``, ``backtest_targets.csv``,
        ``backtest_failures.csv``, ``backtest_warnings.csv`` (what profiling and fitting each authority
        had to fall back on) and one chart per horizon (``backtest_horizon_<h>.png``)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in (
            ("backtest_table.csv", self.table),
            ("backtest_summary.csv", self.summary()),
            ("backtest_targets.csv", self.targets()),
            ("backtest_failures.csv", self.failures),
            (
                "backtest_warnings.csv",
                pd.DataFrame(
                    [(a, w) for a, ws in self.warnings.items() for w in ws], columns=["authority", "warning"]
                ),
            ),
        ):
            path = out / name
            atomic_write_text(path, frame.to_csv(index=False))
            written.append(path)
        for h in self.horizons:
            path = out / f"backtest_horizon_{h}.png"
            self._chart(h, path)
            written.append(path)
        return written

    def _chart(self, h: int, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        year = self.train_to + h
        ahead = "one year ahead" if h == 1 else f"{h} years ahead"
        ncols = 4
        nrows = math.ceil(len(SCORED) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 4.2 * nrows), squeeze=False)
        for ax, measure in zip(axes.flat, SCORED, strict=False):
            g = self.table[(self.table["measure"] == measure) & (self.table["horizon"] == h)]
            g = g[g["actual"].notna() & g["model"].notna()]
            pct = BY_NAME[measure].pct
            if not pct:
                g = g[(g["actual"] > 0) & (g["model"] > 0)]
            ax.scatter(g["actual"], g["model"], s=14, alpha=0.7, color="#1f77b4", edgecolor="none")
            if len(g):
                lo = float(min(g["actual"].min(), g["model"].min()))
                hi = float(max(g["actual"].max(), g["model"].max()))
                if pct:
                    lo, hi = max(0.0, lo - 5), min(100.0, hi + 5)
                else:
                    lo, hi = lo / 1.2, hi * 1.2
                ax.plot([lo, hi], [lo, hi], color="grey", linewidth=1, label="prediction = actual")
                ax.set_xlim(lo, hi)
                ax.set_ylim(lo, hi)
                ax.legend(loc="upper left", fontsize=8, frameon=False)
            if not pct:
                ax.set_xscale("log")
                ax.set_yscale("log")
                for axis in (ax.xaxis, ax.yaxis):
                    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
                    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
                    axis.set_minor_formatter(NullFormatter())
            ax.set_title(BY_NAME[measure].label, fontsize=10)
            ax.set_xlabel(f"Published, year to 31 March {year}", fontsize=8)
            ax.set_ylabel("Predicted by the model", fontsize=8)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[len(SCORED) :]:
            ax.axis("off")
        fig.suptitle(
            f"Predicted against published figures, {ahead} (year to 31 March {year}). "
            f"One dot per council; the model was fitted to the years up to 31 March {self.train_to}. "
            "Dots on the grey line were predicted exactly; counts are on log scales.",
            fontsize=10,
        )
        fig.tight_layout()
        try:
            with atomic_path(path, suffix=".png") as tmp:
                fig.savefig(tmp, dpi=110, format="png")
        finally:
            plt.close(fig)


# -- the backtest --------------------------------------------------------------------------------------------


def backtest(
    train_to: int,
    horizons: Sequence[int] = (1, 2),
    *,
    authorities: Sequence[str] | None = None,
    data: str | os.PathLike[str] | Published | None = None,
    base: str | os.PathLike[str] | Scenario | None = None,
    replications: int = 3,
    calibration_replications: int = 2,
    iterations: int = 6,
    confirm_replications: int | None = None,
    fit_years: int = 2,
    seed: int = 0,
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    workforce: bool = False,
    progress: bool = False,
) -> Backtest:
    """Calibrate every authority (or ``authorities``: names or codes) to the years up to 31 March
    ``train_to``, predict ``horizons`` years ahead and score against the published figures.

    ``data``: a folder of published files, a snapshot file or a loaded :class:`Published` (default:
    the snapshot shipped with caseflow). ``base``: the England-average scenario (file or Scenario;
    default: the one shipped with caseflow).
    ``replications``: runs of each calibrated forward scenario; ``calibration_replications``,
    ``iterations``, ``confirm_replications`` (default: ``calibration_replications``) and ``fit_years``
    are passed to :func:`caseflow.calibrate.authority.calibrate_authority`. One task per authority
    runs on ``executor`` (``"processes"``, ``"sequential"``, a Dask client or scheduler address).
    An authority that fails is recorded in :attr:`Backtest.failures`, not raised.
    """
    hs = tuple(sorted({int(h) for h in horizons}))
    if not hs or hs[0] < 1:
        raise ValueError(f"horizons must be positive whole years, got {tuple(horizons)!r}")
    if replications < 1 or calibration_replications < 1 or iterations < 1:
        raise ValueError("replications, calibration_replications and iterations must be at least 1")
    started = time.perf_counter()
    data_ref = _data_ref(data)
    pub = _published(data_ref)
    if authorities is None:
        codes = list(pub.authorities(train_to)["code"])
    else:
        codes = [pub.find(a).code for a in authorities]
    settings: dict[str, Any] = {
        "replications": replications,
        "calibration_replications": calibration_replications,
        "iterations": iterations,
        "confirm_replications": confirm_replications or calibration_replications,
        "fit_years": fit_years,
        "seed": seed,
        "workforce": workforce,
    }
    base_ref = _base_ref(bundled() if base is None else base)
    tasks = [(code, train_to, hs, data_ref, base_ref, settings) for code in codes]
    bar = None
    if progress:
        import sys

        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), unit="authority", desc="backtest", file=sys.stderr)

    def done(_: int, result: dict[str, Any]) -> None:
        if bar is not None:
            bar.update(1)
            if "error" in result:
                bar.write(f"{result['authority']}: failed: {result['error']}")

    try:
        results = map_tasks(_backtest_authority, tasks, executor, workers, on_result=done)
    finally:
        if bar is not None:
            bar.close()
    rows = [row for r in results if "rows" in r for row in r["rows"]]
    table = pd.DataFrame(rows, columns=COLUMNS)
    failures = pd.DataFrame(
        [
            {"authority": r["authority"], "la_code": r["code"], "error": r["error"]}
            for r in results
            if "error" in r
        ],
        columns=["authority", "la_code", "error"],
    )
    warnings = {r["authority"]: r["warnings"] for r in results if r.get("warnings")}
    return Backtest(
        table=table,
        failures=failures,
        train_to=train_to,
        horizons=hs,
        settings=settings | {"authorities": len(codes)},
        warnings=warnings,
        seconds=time.perf_counter() - started,
    )
