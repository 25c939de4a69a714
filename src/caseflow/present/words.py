"""Counts in words, as a report writes them: ``1 financial year``, ``2,000 children``."""

from __future__ import annotations

__all__ = ["counted", "warm_up"]


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for exactly one (``plural`` defaults to the singular and ``s``).

    >>> counted(1, "financial year"), counted(3, "financial year"), counted(2000, "child", "children")
    ('1 financial year', '3 financial years', '2,000 children')
    """
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def warm_up(years: int) -> str:
    """The warm-up as a phrase after "after": ``a 1-year warm-up``, ``a 2-year warm-up``, ``no warm-up``.

    >>> warm_up(1), warm_up(0)
    ('a 1-year warm-up', 'no warm-up')
    """
    return f"a {years}-year warm-up" if years > 0 else "no warm-up"
