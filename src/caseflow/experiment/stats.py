"""Confidence intervals over replications.

:func:`t_interval` is the usual interval for the mean of independent replications:
mean ± t(1 − α/2, n − 1) · s / √n. It can reach beyond what a quantity can take: with few
replications a share of 98% can get an upper end above 100%, and a count of waiting children that is
mostly zero a lower end below 0.

:func:`bounded_interval` keeps the interval inside a KPI's bounds by building the same t interval on a
scale on which the bounds are out of reach, and mapping it back (the delta method):

- a quantity between ``lower`` and ``upper`` (a percentage, 0–100): the logit scale
  g(x) = log((x − lower) / (upper − x));
- a quantity at least ``lower`` (a count, stock, duration or cost, ≥ 0): the log scale
  g(x) = log(x − lower) (and log(upper − x) for a quantity with only an upper bound);
- no bound: the t interval itself.

The interval is g⁻¹(g(m) ± t · s / √n · g′(m)), where m is the mean of the replications and s their
standard deviation. It always contains the mean (the point estimate is the plain mean, unchanged), it
lies strictly inside the bounds unless the mean is on one, and for a mean far from the bounds it is
the t interval to first order; near a bound it is asymmetric, longer on the side away from the bound.
When every replication gives the same value (zero variance), and in particular when all are at a
bound (no unallocated children in any replication), the interval is that value. Values outside the
bounds (which a KPI should never have) fall back to the plain t interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = [
    "Bounds",
    "bounded_interval",
    "feasible_difference",
    "summarise",
    "t_interval",
    "t_quantile",
]

#: ``(lower, upper)``: the smallest and largest values a quantity can take (None: no bound).
Bounds = tuple[float | None, float | None]

_MAX_EXP = 700.0  # math.exp overflows a little above 709


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t distribution with ``df`` degrees of freedom.

    SciPy is imported here, when an interval is first needed, not with this module: the processes that
    only run replications (an experiment's workers, the web app's) never load it, which saves each of
    them about 1.2 s of CPU and 58 MiB at start-up (docs/performance.md).
    """
    from scipy import stats

    return float(stats.t.ppf(p, df))


def t_interval(values: np.ndarray | list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-based confidence interval of independent replication values (NaNs dropped).

    With fewer than two values the interval is undefined and returned as NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(t_quantile(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def bounded_interval(
    values: np.ndarray | list[float],
    lower: float | None = None,
    upper: float | None = None,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Mean and confidence interval of replication values that respects ``lower`` and ``upper``.

    The t interval on the logit scale (both bounds) or the log scale (one bound), mapped back; the
    plain t interval without bounds. See the module's description. NaNs are dropped; with fewer than
    two values the interval is NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if (lower is None and upper is None) or n < 2:
        return t_interval(x, level)
    if (lower is not None and bool((x < lower).any())) or (upper is not None and bool((x > upper).any())):
        return t_interval(x, level)  # not a quantity with these bounds: no transformation applies
    mean = float(x.mean())
    se = float(x.std(ddof=1)) / math.sqrt(n)
    if not math.isfinite(se):
        return t_interval(x, level)
    z = t_quantile(0.5 + level / 2, n - 1) * se
    if se == 0.0 or (lower is not None and mean <= lower) or (upper is not None and mean >= upper):
        return mean, mean, mean
    if lower is not None and upper is not None:
        width = upper - lower
        p = (mean - lower) / width
        spread = z / (width * p * (1.0 - p))  # t · se · g′(m) on the logit scale
        g = math.log(p / (1.0 - p))
        lo = lower + width * _expit(g - spread)
        hi = lower + width * _expit(g + spread)
    elif lower is not None:
        d = mean - lower
        lo, hi = lower + d * math.exp(-z / d), lower + d * math.exp(min(z / d, _MAX_EXP))
    else:
        assert upper is not None
        d = upper - mean
        lo, hi = upper - d * math.exp(min(z / d, _MAX_EXP)), upper - d * math.exp(-z / d)
    # rounding at the far ends of the scale cannot move an end past the mean or a bound
    lo, hi = min(lo, mean), max(hi, mean)
    if lower is not None:
        lo = max(lo, lower)
    if upper is not None:
        hi = min(hi, upper)
    return mean, lo, hi


def feasible_difference(
    low: float, high: float, baseline: float, lower: float | None = None, upper: float | None = None
) -> tuple[float, float, bool]:
    """A paired difference's interval (option − baseline) cut to what the quantity allows, and whether
    it had to be cut.

    The option lies within ``[lower, upper]``, so its difference from a baseline of ``baseline`` (the
    baseline's mean over replications) lies within ``[lower − baseline, upper − baseline]``: with a
    baseline of 95% a difference of percentages lies within −95 and +5 points, and a count of 200
    cannot fall by more than 200. The t interval of a difference knows nothing of this, and with few
    replications it reaches past it (−154.7 to +50.4 points). A missing bound or baseline cuts
    nothing; NaNs are returned as they are.

    >>> feasible_difference(-154.7, 50.4, 95.0, 0.0, 100.0)
    (-95.0, 5.0, True)
    >>> feasible_difference(-3.0, 1.0, 87.0, 0.0, 100.0)
    (-3.0, 1.0, False)
    """
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(baseline)):
        return low, high, False
    least = lower - baseline if lower is not None else -math.inf
    most = upper - baseline if upper is not None else math.inf
    cut_low, cut_high = max(low, least), min(high, most)
    return cut_low, cut_high, (cut_low, cut_high) != (low, high)


def _expit(v: float) -> float:
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def summarise(
    frame: pd.DataFrame,
    by: list[str],
    level: float = 0.95,
    bounds: Callable[[str], Bounds] | None = None,
) -> pd.DataFrame:
    """Mean, standard deviation, CI and count of ``value`` over replications within ``by`` groups.

    With ``bounds`` (a KPI name → ``(lower, upper)``, for example
    :meth:`caseflow.metrics.Catalogue.bounds`) and ``"kpi"`` among ``by``, each KPI's interval respects
    its bounds (:func:`bounded_interval`); otherwise it is the t interval.
    """
    rows = []
    kpi_at = by.index("kpi") if bounds is not None and "kpi" in by else None
    for key, grp in frame.groupby(by, sort=False):
        keys = key if isinstance(key, tuple) else (key,)
        values = grp["value"].to_numpy()
        if kpi_at is not None and bounds is not None:
            mean, lo, hi = bounded_interval(values, *bounds(str(keys[kpi_at])), level=level)
        else:
            mean, lo, hi = t_interval(values, level)
        vals = grp["value"].dropna()
        rows.append((*keys, mean, float(vals.std(ddof=1)) if len(vals) > 1 else math.nan, lo, hi, len(vals)))
    return pd.DataFrame(rows, columns=[*by, "mean", "std", "ci_low", "ci_high", "n"])
