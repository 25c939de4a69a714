"""Whether caseflow's simulation kernel runs compiled (a kernel module itself, compiled with the rest).

A regular install compiles every module of :data:`caseflow.kernel.KERNEL` with mypyc into one
extension, or none of them (``setup.py``), so what holds for this module holds for the whole kernel.
Code on the hot path reads :data:`COMPILED` to choose between two forms of the same algorithm where
the fast one differs: compiled code is fastest on its own machine numbers, plain Python on the
standard library's C (:mod:`heapq`, :mod:`bisect`). Both forms give identical results.
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMPILED"]


def _probe() -> None:
    """A function whose compiled form has no ``__code__``: how this module knows it is compiled."""


#: Whether the kernel runs compiled (a regular install with a C compiler) or as plain Python.
COMPILED: Final = not hasattr(_probe, "__code__")
