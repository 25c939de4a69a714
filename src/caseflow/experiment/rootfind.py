"""The smallest (or largest) level of a lever that meets targets, when every measurement is noisy.

A *measure* gives, for one level of the lever and a range of replication numbers, each targeted KPI's
value in each replication. The search works on a grid of levels ``step`` apart between ``low`` and
``high`` and classifies a level by a one-sided test on its replications' mean:

- it **meets** a target ``KPI ≥ T`` when the lower one-sided confidence bound of the mean is at least
  ``T`` (``KPI ≤ T``: the upper bound is at most ``T``);
- it **fails** when the bound on the other side is beyond ``T``;
- otherwise it is **undecided**, and more replications are run (``batch`` at a time, up to
  ``max_replications``); a level still undecided then has a mean too close to the target to separate.

With several targets a level meets when it meets them all and fails when it fails any, each tested at
``1 − (1 − confidence) / k`` (Bonferroni), so that all hold together with the stated confidence.

Replication *r* of every level uses the same random numbers (common random numbers), so the means of
neighbouring levels differ by the lever's effect rather than by noise, and bisection is reliable. The
search assumes the KPIs respond monotonically to the lever over the range; it notes any level that
contradicts this.

Two bisections follow. The first finds the **answer**: the level nearest the failing end that is
confirmed to meet every target. The second finds the level nearest the answer that is confirmed to fail.
The level at which the expected KPI crosses the target lies between the two (each end is confirmed
with the stated confidence): that is the answer's own interval. The search stops when the two are one
``step`` apart, or when the levels between them are undecided after ``max_replications``. So
``step`` sets how precise the answer can be and ``max_replications`` how much may be spent to get it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from caseflow.experiment.stats import t_quantile

__all__ = ["FAILS", "MEETS", "UNDECIDED", "Measure", "Probe", "Search", "Target", "search"]

Verdict = Literal["meets", "fails", "undecided"]
MEETS: Verdict = "meets"
FAILS: Verdict = "fails"
UNDECIDED: Verdict = "undecided"

#: ``(level, replications) -> {kpi: one value per replication, in the order given}``
Measure = Callable[[float, range], Mapping[str, Sequence[float]]]

_TARGET = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Target:
    """A KPI that must be at least (or at most) a value.

    >>> Target("assessment_within_45wd_pct", at_least=90)
    Target(kpi='assessment_within_45wd_pct', at_least=90, at_most=None)
    """

    kpi: str
    at_least: float | None = None
    at_most: float | None = None

    def __post_init__(self) -> None:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError(f"target {self.kpi!r}: give exactly one of at_least and at_most")
        if not math.isfinite(self.threshold):
            raise ValueError(f"target {self.kpi!r}: the threshold must be a finite number")

    @classmethod
    def parse(cls, text: str) -> Target:
        """``"assessment_within_45wd_pct>=90"`` or ``"caseload_mean<=18"``."""
        m = _TARGET.match(text)
        if m is None:
            raise ValueError(f"target {text!r}: expected KPI>=VALUE or KPI<=VALUE, e.g. caseload_mean<=18")
        try:
            value = float(m.group(3))
        except ValueError:
            raise ValueError(f"target {text!r}: {m.group(3)!r} is not a number") from None
        return cls(m.group(1), at_least=value) if m.group(2) == ">=" else cls(m.group(1), at_most=value)

    @property
    def threshold(self) -> float:
        return self.at_least if self.at_least is not None else self.at_most  # type: ignore[return-value]

    @property
    def sense(self) -> str:
        return ">=" if self.at_least is not None else "<="

    def __str__(self) -> str:
        return f"{self.kpi}{self.sense}{self.threshold:g}"

    def verdict(self, values: Sequence[float], level: float) -> Verdict:
        """Whether the mean of ``values`` meets this target with one-sided confidence ``level``."""
        x = np.asarray(values, dtype=float)
        x = x[np.isfinite(x)]
        if x.size < 2:
            return UNDECIDED
        mean = float(x.mean())
        half = float(t_quantile(level, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
        low, high = mean - half, mean + half
        t = self.threshold
        if self.at_least is not None:
            return MEETS if low >= t else FAILS if high < t else UNDECIDED
        return MEETS if high <= t else FAILS if low > t else UNDECIDED


@dataclass
class Probe:
    """One level of the lever: its replications' values of each targeted KPI, and its verdict."""

    level: float
    values: dict[str, list[float]] = field(default_factory=dict)
    verdict: Verdict = UNDECIDED

    @property
    def replications(self) -> int:
        return len(next(iter(self.values.values()), []))

    def mean(self, kpi: str) -> float:
        x = np.asarray(self.values.get(kpi, []), dtype=float)
        x = x[np.isfinite(x)]
        return float(x.mean()) if x.size else math.nan


@dataclass
class Search:
    """What a search found (see the module): the answer, its interval and every level tried."""

    targets: tuple[Target, ...]
    want: str
    confidence: float
    step: float
    #: the level nearest the failing end confirmed to meet every target (None: none in the range)
    answer: float | None
    #: the confirmed-failing level nearest the answer (None: none confirmed)
    failing: float | None
    #: "found", "met_throughout" (even the failing end meets), "not_met" (even the far end fails) or
    #: "undecided" (the far end could not be confirmed either way)
    status: str
    probes: dict[float, Probe]
    low: float
    high: float
    notes: list[str] = field(default_factory=list)

    @property
    def replications(self) -> int:
        """Replications run over all levels."""
        return sum(p.replications for p in self.probes.values())

    @property
    def interval(self) -> tuple[float, float] | None:
        """Where the expected KPI crosses the target: between the confirmed-failing level and the answer."""
        if self.answer is None:
            return None
        other = self.failing
        if other is None:  # nothing confirmed to fail: the range's failing end bounds it
            other = self.low if self.want == "smallest" else self.high
        return (min(other, self.answer), max(other, self.answer))

    def estimate(self) -> float | None:
        """Where the mean of each target's KPI crosses its threshold, interpolated between levels tried
        (the most demanding target's crossing); None when no two levels straddle every threshold."""
        levels = sorted(self.probes)
        crossings = []
        for t in self.targets:
            found = None
            for a, b in itertools.pairwise(levels):
                ya, yb = self.probes[a].mean(t.kpi), self.probes[b].mean(t.kpi)
                if not (math.isfinite(ya) and math.isfinite(yb)) or ya == yb:
                    continue
                if min(ya, yb) <= t.threshold <= max(ya, yb):
                    x = a + (t.threshold - ya) * (b - a) / (yb - ya)
                    pick = min if self.want == "largest" else max
                    found = x if found is None else pick(found, x)
            if found is None:
                return None
            crossings.append(found)
        return max(crossings) if self.want == "smallest" else min(crossings)


def grid(low: float, high: float, step: float) -> list[float]:
    """Levels from ``low`` to ``high`` ``step`` apart (the last is ``high`` itself)."""
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(step)):
        raise ValueError("the range and step must be finite numbers")
    if step <= 0:
        raise ValueError(f"step must be positive, got {step:g}")
    if high <= low:
        raise ValueError(f"the range must run from a lower to a higher level, got {low:g} to {high:g}")
    k = math.ceil((high - low) / step - 1e-9)
    if k > 10_000:
        raise ValueError(
            f"a step of {step:g} makes {k:,} levels between {low:g} and {high:g}: use a larger step"
        )
    return [round(min(low + i * step, high), 10) for i in range(k + 1)]


class _Bisection:
    """The state of one search: the grid ordered from the failing end, and the levels measured."""

    def __init__(
        self,
        measure: Measure,
        targets: Sequence[Target],
        order: list[float],
        probes: dict[float, Probe],
        confidence: float,
        replications: tuple[int, int, int],
    ) -> None:
        self.measure = measure
        self.targets = targets
        self.order = order
        self.probes = probes
        self.per_target = 1 - (1 - confidence) / len(targets)  # Bonferroni
        self.initial, self.batch, self.most = replications

    def verdict(self, probe: Probe) -> Verdict:
        verdicts = [t.verdict(probe.values[t.kpi], self.per_target) for t in self.targets]
        if FAILS in verdicts:
            return FAILS
        return MEETS if all(v == MEETS for v in verdicts) else UNDECIDED

    def classify(self, i: int) -> Verdict:
        """The verdict on level ``order[i]``, measuring more replications while it is undecided."""
        level = self.order[i]
        probe = self.probes.setdefault(level, Probe(level, {t.kpi: [] for t in self.targets}))
        while True:
            n = probe.replications
            if n >= self.initial:
                probe.verdict = self.verdict(probe)
                if probe.verdict != UNDECIDED or n >= self.most:
                    return probe.verdict
            more = self.initial - n if n < self.initial else min(self.batch, self.most - n)
            got = self.measure(level, range(n, n + more))
            for t in self.targets:
                if t.kpi not in got:
                    raise KeyError(f"the measure gave no values of {t.kpi!r}")
                values = [float(v) for v in got[t.kpi]]
                if len(values) != more:
                    raise ValueError(
                        f"the measure gave {len(values)} values of {t.kpi!r} for {more} replications"
                    )
                probe.values[t.kpi] += values

    def first_meeting(self, a: int, b: int) -> int:
        """Bisect between a level that does not meet (``a``) and one that does (``b``)."""
        while b - a > 1:
            m = (a + b) // 2
            if self.classify(m) == MEETS:
                b = m
            else:
                a = m
        return b

    def nearest_failing(self, answer: int) -> int | None:
        """The confirmed-failing level nearest the answer on the failing side (None: none there)."""
        if self.classify(answer - 1) == FAILS:
            return answer - 1
        order, probes = self.order, self.probes
        seen = [i for i in range(answer - 1) if order[i] in probes and probes[order[i]].verdict == FAILS]
        lo = max(seen) if seen else 0
        if self.classify(lo) != FAILS:
            return None
        hi = answer - 1  # classify(lo) is FAILS, classify(hi) is not
        while hi - lo > 1:
            m = (lo + hi) // 2
            if self.classify(m) == FAILS:
                lo = m
            else:
                hi = m
        return lo

    def unmet(self) -> list[str]:
        """What the levels tried gave, for a search without an answer."""
        tried = sorted(self.probes.items())
        out = []
        for t in self.targets:
            means = [(level, p.mean(t.kpi)) for level, p in tried]
            finite = [m for _, m in means if math.isfinite(m)]
            said = ", ".join(f"{m:.4g} at {level:g}" for level, m in means)
            text = f"{t.kpi} (target {t.sense} {t.threshold:g}): {said}"
            if len(finite) > 1 and max(finite) - min(finite) <= 0.01 * max(abs(t.threshold), 1.0):
                text += "; the lever hardly moves it over this range: something else limits it"
            out.append(text)
        return out

    def notes(self, answer: int) -> list[str]:
        """Levels that contradict a monotone response."""
        out = []
        for level, p in sorted(self.probes.items()):
            if level not in self.order:
                continue
            i = self.order.index(level)
            if i < answer and p.verdict == MEETS:
                out.append(
                    f"{level:g} also meets the targets although {self.order[answer - 1]:g} does not: the "
                    "response is not monotone, and the answer is a level where the targets start to be "
                    "met, not necessarily the only one"
                )
            elif i > answer and p.verdict == FAILS:
                out.append(
                    f"{level:g} fails although {self.order[answer]:g} meets: the response is not monotone"
                )
        return out


def search(
    measure: Measure,
    targets: Sequence[Target],
    low: float,
    high: float,
    *,
    step: float,
    want: str = "smallest",
    confidence: float = 0.9,
    initial: int = 5,
    batch: int = 5,
    max_replications: int = 40,
    probes: dict[float, Probe] | None = None,
) -> Search:
    """Search ``[low, high]`` for the smallest (``want="smallest"``) or largest level meeting ``targets``.

    See the module for the method. ``initial`` replications are run at each level first, then ``batch``
    more while the level is undecided, up to ``max_replications``. ``probes`` (from an earlier
    :class:`Search` over the same targets) are reused, so widening a range re-measures nothing.
    """
    if want not in ("smallest", "largest"):
        raise ValueError(f"want must be 'smallest' or 'largest', got {want!r}")
    if not targets:
        raise ValueError("give at least one target")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be at least 0.5 and below 1, got {confidence:g}")
    if initial < 2 or batch < 1 or max_replications < initial:
        raise ValueError("need initial ≥ 2 replications, batch ≥ 1 and max_replications ≥ initial")
    levels = grid(low, high, step)
    order = levels if want == "smallest" else levels[::-1]  # from the end expected to fail
    probes = {} if probes is None else probes
    run = _Bisection(measure, targets, order, probes, confidence, (initial, batch, max_replications))

    def result(answer: int | None, failing: int | None, status: str) -> Search:
        return Search(
            tuple(targets),
            want,
            confidence,
            step,
            None if answer is None else order[answer],
            None if failing is None else order[failing],
            status,
            probes,
            levels[0],
            levels[-1],
            notes=run.unmet() if answer is None else run.notes(answer),
        )

    end = len(order) - 1
    at_end = run.classify(end)
    if at_end != MEETS:
        return result(None, end if at_end == FAILS else None, "not_met" if at_end == FAILS else "undecided")
    if run.classify(0) == MEETS:
        return result(0, None, "met_throughout")
    answer = run.first_meeting(0, end)
    return result(answer, run.nearest_failing(answer), "found")
