"""Numbers as a council report writes them: ``87.5%``, ``£1.2m``, ``14,338``, ``+2.5 points``.

Each KPI's display (percentage, count, rate, days, money…) comes from the KPI catalogue
(:class:`caseflow.metrics.catalogue.Display`); this module only decides how a reader sees it. Money of
a million pounds or more is in millions to one decimal place (``£43.6m``); from £10,000 to a million it
is rounded to the nearest thousand (``£450,000``); below that, to the pound. A negative number has a
true minus sign (``−``), which screen readers say as "minus". A missing value is "not available".
"""

from __future__ import annotations

import math

from caseflow.metrics.catalogue import KPI, Display

__all__ = ["MINUS", "NOT_AVAILABLE", "difference", "interval", "money", "value"]

MINUS = "\u2212"
NOT_AVAILABLE = "not available"


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def money(x: float, *, sign: bool = False) -> str:
    """``£1.2m``, ``£450,000``, ``£3,210``; ``+`` before a positive value with ``sign``.

    >>> money(1_234_567), money(-450_400, sign=True), money(3210.4)
    ('£1.2m', '−£450,000', '£3,210')
    """
    a = abs(x)
    if round(a / 1e6, 1) >= 1:
        body = f"£{a / 1e6:,.{0 if a >= 1e8 else 1}f}m"
    elif a >= 10_000:
        body = f"£{round(a, -3):,.0f}"
    else:
        body = f"£{a:,.0f}"
    return _signed(body, x, sign, zero=body in ("£0", "£0.0m"))


def _signed(body: str, x: float, sign: bool, *, zero: bool) -> str:
    if zero:
        return body
    if x < 0:
        return MINUS + body
    return ("+" + body) if sign else body


def value(kpi: KPI, x: float | None, *, sign: bool = False) -> str:
    """``x`` as the report shows ``kpi``: ``87.5%``, ``£1.2m``, ``14,338``, ``522.0``, ``30.9``.

    >>> from caseflow.metrics.catalogue import describe
    >>> value(describe("assessment_within_45wd_pct"), 87.46), value(describe("cost_total"), 43_620_913)
    ('87.5%', '£43.6m')
    """
    if x is None or not _finite(x):
        return NOT_AVAILABLE
    display = kpi.shown_as
    if display is Display.MONEY:
        return money(x, sign=sign)
    rounded = round(float(x), display.decimals) + 0.0  # no "-0.0"
    body = f"{abs(rounded):,.{display.decimals}f}"
    if display is Display.PERCENT:
        body += "%"
    return _signed(body, rounded, sign, zero=rounded == 0)


def difference(kpi: KPI, d: float | None) -> str:
    """A difference as a reader says it: percentage points for a percentage, signed.

    >>> from caseflow.metrics.catalogue import describe
    >>> difference(describe("assessment_within_45wd_pct"), -2.46)
    '−2.5 points'
    """
    if d is None or not _finite(d):
        return NOT_AVAILABLE
    if kpi.shown_as is Display.PERCENT:
        text = value(kpi, d, sign=True).removesuffix("%")
        return f"{text} points"
    return value(kpi, d, sign=True)


def interval(kpi: KPI, low: float | None, high: float | None, *, of_difference: bool = False) -> str:
    """A 95% confidence interval: ``84.1% to 90.2%``, or ``−3.1 to −1.8 points`` for a difference.

    >>> from caseflow.metrics.catalogue import describe
    >>> interval(describe("cost_total"), 1.21e6, 1.38e6)
    '£1.2m to £1.4m'
    """
    if low is None or high is None or not (_finite(low) and _finite(high)):
        return NOT_AVAILABLE
    if of_difference:
        lo, hi = difference(kpi, low), difference(kpi, high)
        if kpi.shown_as is Display.PERCENT:
            return f"{lo.removesuffix(' points')} to {hi}"
        return f"{lo} to {hi}"
    return f"{value(kpi, low)} to {value(kpi, high)}"
