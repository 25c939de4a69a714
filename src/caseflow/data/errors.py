"""The one error type of :mod:`caseflow.data`."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """Published data that cannot be read as expected: a missing file or column, an unknown authority
    or measure. The message names the file or directory, the column and what was expected."""
