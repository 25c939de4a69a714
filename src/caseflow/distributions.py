"""Samplers compiled from scenario parameters, fed by a :class:`~caseflow.streams.Stream`."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from caseflow.scenario.base import Branch
from caseflow.scenario.schema import Banded
from caseflow.streams import RandomSource, bisect_right

__all__ = ["BandedSampler", "BranchSampler"]


class BandedSampler:
    """Draws from a piecewise-uniform (banded) distribution with one uniform per draw."""

    __slots__ = ("_cum", "_edges", "_probs", "mean")

    def __init__(self, banded: Banded, scale: float = 1.0) -> None:
        self._edges = [e * scale for e in banded.edges]
        self._probs = list(banded.probs)
        self._cum = list(accumulate(self._probs))
        self.mean = banded.mean() * scale

    def sample(self, stream: RandomSource) -> float:
        return self.from_uniform(stream.random())

    def from_uniform(self, u: float) -> float:
        cum = self._cum
        x = u * cum[-1]
        i = min(bisect_right(cum, x), len(cum) - 1)
        lo = cum[i - 1] if i else 0.0
        p = self._probs[i]
        frac = (x - lo) / p if p > 0 else 0.0
        a, b = self._edges[i], self._edges[i + 1]
        return a + (b - a) * min(max(frac, 0.0), 1.0)


class BranchSampler:
    """Picks one outcome of a :class:`~caseflow.scenario.schema.Branch` (outcome names as strings)."""

    __slots__ = ("_cum", "outcomes", "probs")

    def __init__(self, branch: Branch | dict[str, float]) -> None:
        items = (
            list(branch.items())
            if isinstance(branch, dict)
            else [(k, float(getattr(branch, k))) for k in type(branch).model_fields]
        )
        self.outcomes: tuple[str, ...] = tuple(k for k, _ in items)
        self.probs: tuple[float, ...] = tuple(v for _, v in items)
        self._cum = list(accumulate(self.probs))

    def sample(self, stream: RandomSource) -> str:
        return self.outcomes[stream.choice(self._cum)]

    def prob(self, outcome: str) -> float:
        return self.probs[self.outcomes.index(outcome)]


def cumulative(probs: Sequence[float]) -> list[float]:
    return list(accumulate(probs))
