"""The regularised incomplete gamma functions and the inverse of the lower one.

The model needs two of them:

- the inverse, to draw a gamma-distributed time from one of a family's uniforms
  (:meth:`caseflow.streams.DrawBlock.gamma`);
- the lower function, for the share of care episodes that end before the 18th birthday in the steady
  state a run starts from (:mod:`caseflow.model.steady_state`).

SciPy has both (``scipy.special.gammainc`` and ``gammaincinv``), and the model used them until
2026-12-01. But importing ``scipy.special`` cost about 0.1 s of CPU in the first replication of every
process. It also loads SciPy's own copy of OpenBLAS, whose thread spins for about another 0.13 s of
CPU before it sleeps. That was about 8% of a cold 5-year replication, for 683 draws. These functions
are short, need only :mod:`math`, and agree with SciPy to within a few units in the last place for
every shape a scenario allows (0.01 to 1,000). ``tests/test_incomplete_gamma.py`` checks them against
SciPy; docs/performance.md has the measurements.

Methods, as in the standard references (Abramowitz and Stegun 6.5; Press et al., *Numerical
Recipes*, §6.2):

- ``P(a, x)`` by its power series when ``x < a + 1``;
- ``Q(a, x) = 1 - P(a, x)`` by its continued fraction, evaluated by the modified Lentz method,
  otherwise;
- both scaled by ``x**a * exp(-x) / Gamma(a)``, which for ``a >= 10`` is computed from Stirling's
  series so that it keeps its precision for large shapes;
- the inverse by Halley's method from the Wilson-Hilferty approximation (or a tail approximation),
  kept inside a bracket so that it always converges.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["gammainc", "gammaincc", "gammaincinv"]

_EPS: Final = 2.220446049250313e-16  # the spacing of floats at 1.0
_TINY: Final = 1e-300
_MAX_TERMS: Final = 100_000
_MAX_STEPS: Final = 200
_HALF_LOG_TWO_PI: Final = 0.9189385332046728

# Stirling's series for log Gamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2): B(2k) / (2k (2k - 1))
_STIRLING: Final = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
    -3617.0 / 122400.0,
)


def _stirling_error(a: float) -> float:
    """``log Gamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2)``, for ``a >= 10`` (error under 1e-17)."""
    inv = 1.0 / a
    inv2 = inv * inv
    total = 0.0
    for c in reversed(_STIRLING):
        total = total * inv2 + c
    return total * inv


def _log_scale(a: float, x: float) -> float:
    """``log(x**a * exp(-x) / Gamma(a))``, for ``x > 0``."""
    if a < 10.0:
        return a * math.log(x) - x - math.lgamma(a)
    # a log x - x - log Gamma(a) = a (log(x / a) - (x / a - 1)) + log(a) / 2 - log(2 pi) / 2 - error(a),
    # where the first term is computed without the cancellation of its large parts.
    u = (x - a) / a
    return a * (math.log1p(u) - u) + 0.5 * math.log(a) - _HALF_LOG_TWO_PI - _stirling_error(a)


def _series(a: float, x: float) -> float:
    """``P(a, x)`` by its power series (for ``x < a + 1``)."""
    term = 1.0 / a
    total = term
    n = a
    for _ in range(_MAX_TERMS):
        n += 1.0
        term *= x / n
        total += term
        if term < total * _EPS:
            break
    return total * math.exp(_log_scale(a, x))


def _continued_fraction(a: float, x: float) -> float:
    """``Q(a, x)`` by its continued fraction, by the modified Lentz method (for ``x >= a + 1``)."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return math.exp(_log_scale(a, x)) * h


def _check_shape(a: float) -> None:
    if not a > 0.0 or math.isinf(a):
        raise ValueError(f"the shape of a gamma distribution must be a positive number, not {a!r}")


def _lower_and_upper(a: float, x: float) -> tuple[float, float]:
    """``(P(a, x), Q(a, x))`` for a checked shape: the series gives P below ``x = a + 1``, the continued
    fraction Q above."""
    if math.isnan(x):
        return math.nan, math.nan
    if x <= 0.0:
        return 0.0, 1.0
    if math.isinf(x):
        return 1.0, 0.0
    if x < a + 1.0:
        lower = _series(a, x)
        return lower, 1.0 - lower
    upper = _continued_fraction(a, x)
    return 1.0 - upper, upper


def gammainc(a: float, x: float) -> float:
    """The regularised lower incomplete gamma function ``P(a, x)``: P(X <= x) for X ~ Gamma(a, 1)."""
    _check_shape(a)
    return _lower_and_upper(a, x)[0]


def gammaincc(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    _check_shape(a)
    return _lower_and_upper(a, x)[1]


def _normal_quantile(p: float) -> float:
    """The standard normal quantile, to about 4.5e-4 (Abramowitz and Stegun 26.2.23): a first guess."""
    pp = p if p < 0.5 else 1.0 - p
    t = math.sqrt(-2.0 * math.log(pp))
    numerator = 2.515517 + t * (0.802853 + t * 0.010328)
    z = t - numerator / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)))
    return -z if p < 0.5 else z


def _first_guess(a: float, p: float, q: float) -> float:
    """A starting point for the inverse: Wilson-Hilferty, or a tail approximation where it fails."""
    # Lower tail: P(a, x) ~ x**a / Gamma(a + 1) for small x.
    lower = math.exp((math.log(p) + math.lgamma(a + 1.0)) / a) if p > 0.0 else 0.0
    if a > 1.0:
        z = _normal_quantile(p)
        c = 1.0 - 1.0 / (9.0 * a) + z / (3.0 * math.sqrt(a))
        # The tail approximation is a lower bound (P(a, x) <= x**a / Gamma(a + 1)), so the larger guess
        # is the better one where Wilson-Hilferty fails, in the far lower tail.
        return max(a * c * c * c, lower) if c > 0.0 else lower
    if p < 0.5 and lower < 1.0:
        return lower
    # Upper tail: Q(a, x) ~ x**(a - 1) * exp(-x) / Gamma(a) for large x.
    x = -math.log(q) - math.lgamma(a)
    if x > 1.0:
        x += (a - 1.0) * math.log(x)
    return max(x, _TINY)


def gammaincinv(a: float, p: float) -> float:
    """The inverse of :func:`gammainc` in ``x``: the ``p`` quantile of Gamma(a, 1).

    ``p`` of 0 gives 0 and ``p`` of 1 gives infinity, as SciPy's ``gammaincinv`` does.
    """
    _check_shape(a)
    if math.isnan(p) or p < 0.0 or p > 1.0:
        raise ValueError(f"a probability must be between 0 and 1, not {p!r}")
    if p == 0.0:
        return 0.0
    if p == 1.0:
        return math.inf
    q = 1.0 - p
    lower_side = p <= 0.5  # solve P(a, x) = p below the median, Q(a, x) = 1 - p above: no cancellation
    log_gamma = math.lgamma(a)
    x = _first_guess(a, p, q)
    if x <= 0.0:
        return 0.0  # the quantile is below the smallest positive float
    lo, hi = 0.0, math.inf  # the root lies in (lo, hi)
    for _ in range(_MAX_STEPS):
        # f(x) increases with x and is zero at the root.
        lower, upper = _lower_and_upper(a, x)  # (the shape is checked once, above)
        f = lower - p if lower_side else q - upper
        if f == 0.0:
            return x
        if f < 0.0:
            lo = x
        else:
            hi = x
        log_density = (a - 1.0) * math.log(x) - x - log_gamma
        new = math.nan
        if log_density > -700.0:  # else the density underflows: bisect
            step = f * math.exp(-log_density)  # Newton's step f / density; Halley's corrects it by
            # the density's slope when near
            correction = 0.5 * step * ((a - 1.0) / x - 1.0)
            if abs(correction) < 0.5:
                step /= 1.0 - correction
            new = x - step
        if not lo < new < hi:  # (also when the step is not a number) fall back to the bracket
            new = 0.5 * (lo + hi) if hi < math.inf else 2.0 * x
            if not lo < new < hi:  # the bracket is as narrow as floats allow
                return hi
        if abs(new - x) <= 2.0 * _EPS * new:
            return new
        x = new
    return x
