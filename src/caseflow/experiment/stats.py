"""Confidence intervals over replications."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["summarise", "t_interval"]


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
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def summarise(frame: pd.DataFrame, by: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean, standard deviation, CI and count of ``value`` over replications within ``by`` groups."""
    rows = []
    for key, grp in frame.groupby(by, sort=False):
        mean, lo, hi = t_interval(grp["value"].to_numpy(), level)
        vals = grp["value"].dropna()
        keys = key if isinstance(key, tuple) else (key,)
        rows.append((*keys, mean, float(vals.std(ddof=1)) if len(vals) > 1 else math.nan, lo, hi, len(vals)))
    return pd.DataFrame(rows, columns=[*by, "mean", "std", "ci_low", "ci_high", "n"])
