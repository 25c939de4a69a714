"""The opening caseload is drawn from the equilibrium, so no artificial wave of closures follows (DESIGN §2).

For a stationary renewal process the open cases on a given day have length-biased total durations
(density ``d f(d) / E[D]``) and uniformly distributed elapsed time within them. Then the remaining time
has the equilibrium density ``S(r) / E[D]`` and exits per day start at the steady rate ``N / E[D]``.
A naive start gives a wave: with totals from ``f`` itself and uniform elapsed time, remaining times are
too short and early exits roughly double; with zero elapsed time, there is a drought and a later wave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
from scipy import stats

from caseflow.distributions import BandedSampler
from caseflow.model.entities import DAYS_PER_MONTH
from caseflow.model.opening_stock import length_biased
from caseflow.model.pathway import Pathway
from caseflow.model.simulation import ReplicationOutput, simulate
from caseflow.scenario import Scenario
from caseflow.scenario.schema import Banded
from caseflow.streams import Streams

Variant = Callable[[Mapping[str, Any]], Scenario]


# ================================================================== length_biased
def banded_moments(b: Banded, scale: float = 1.0) -> tuple[float, float]:
    """E[D] and E[D²] of a piecewise-uniform distribution."""
    e = np.asarray(b.edges) * scale
    p = np.asarray(b.probs)
    lo, hi = e[:-1], e[1:]
    return float(p @ (lo + hi) / 2), float(p @ (lo**2 + lo * hi + hi**2) / 3)


def test_length_biased_exponential() -> None:
    r = Streams(1, 0)["test.exponential"]
    pairs = np.array(length_biased(lambda: r.exponential(1.0), 20_000, r, pool=200_000))
    total, elapsed = pairs[:, 0], pairs[:, 1]
    # Length-biased Exp(1) is Gamma(2, 1): mean E[D²]/E[D] = 2, sd √2, so the SE of the mean of 20,000
    # is 0.01 (0.5%); the 200,000-draw pool adds about as much again. 3% is > 4 SE.
    assert total.mean() == pytest.approx(2.0, rel=0.03)
    assert stats.kstest(total, stats.gamma(2).cdf).pvalue > 0.001
    # Elapsed time is uniform within the total, so elapsed and remaining are both Exp(1) again.
    assert (elapsed >= 0).all()
    assert (elapsed < total).all()
    assert stats.kstest(elapsed / total, "uniform").pvalue > 0.001
    assert elapsed.mean() == pytest.approx(1.0, rel=0.03)
    assert (total - elapsed).mean() == pytest.approx(1.0, rel=0.03)


def test_length_biased_banded_cp_durations(baseline: Scenario) -> None:
    r = Streams(2, 0)["test.banded"]
    sampler = BandedSampler(baseline.cp_plan.duration_months, DAYS_PER_MONTH)
    pairs = np.array(length_biased(lambda: sampler.sample(r), 20_000, r, pool=200_000))
    total, elapsed = pairs[:, 0], pairs[:, 1]
    m1, m2 = banded_moments(baseline.cp_plan.duration_months, DAYS_PER_MONTH)
    assert sampler.mean == pytest.approx(m1)
    # E[D²]/E[D] ≈ 419 days against E[D] ≈ 316: the sample must be clearly length-biased.
    assert m2 / m1 > 1.25 * m1
    assert total.mean() == pytest.approx(m2 / m1, rel=0.02)
    assert (elapsed >= 0).all()
    assert (elapsed < total).all()
    assert elapsed.mean() == pytest.approx(m2 / m1 / 2, rel=0.03)
    assert total.max() <= baseline.cp_plan.duration_months.edges[-1] * DAYS_PER_MONTH


def test_length_biased_default_pool_and_empty() -> None:
    r = Streams(3, 0)["test.uniform"]
    pairs = np.array(length_biased(r.random, 5_000, r))  # default pool: 20 × n
    # Length-biased U(0, 1) has density 2x: mean 2/3 (not 1/2), SE ~0.003.
    assert pairs[:, 0].mean() == pytest.approx(2 / 3, rel=0.02)
    assert (pairs[:, 1] < pairs[:, 0]).all()
    assert length_biased(r.random, 0, r) == []


# ================================================================== the opening caseload alone
def equilibrium_exit_fraction(b: Banded, days: float) -> float:
    """Share of an equilibrium stock whose remaining time is ≤ ``days``: ∫₀^x S(s) ds / E[D]."""
    edges = np.asarray(b.edges) * DAYS_PER_MONTH
    cdf = np.concatenate([[0.0], np.cumsum(b.probs)])
    grid = np.union1d(np.linspace(0.0, days, 2001), edges[edges < days])
    survival = 1.0 - np.interp(grid, edges, cdf, left=0.0, right=1.0)
    mean = banded_moments(b, DAYS_PER_MONTH)[0]
    return float(np.sum((survival[1:] + survival[:-1]) / 2 * np.diff(grid)) / mean)


def naive_exit_fraction(b: Banded, days: float, rng: np.random.Generator) -> float:
    """The same share for a naive start: totals from f (not length-biased), elapsed uniform within."""
    s = BandedSampler(b, DAYS_PER_MONTH)
    total = np.array([s.from_uniform(u) for u in rng.random(200_000)])
    return float(np.mean(total * (1 - rng.random(total.size)) <= days))


def zero_elapsed_exit_fraction(b: Banded, days: float) -> float:
    edges = np.asarray(b.edges) * DAYS_PER_MONTH
    cdf = np.concatenate([[0.0], np.cumsum(b.probs)])
    return float(np.interp(days, edges, cdf, left=0.0, right=1.0))


#: Only the opening caseload: no new contacts (the schema needs a positive rate; 1e-6 a year is none),
#: no UASC, nobody coming back, and plans that end in closure, so each stage's stock can only fall
#: and the children leaving it in a period are ``stock before - stock after``.
OPENING_ONLY = {
    "demand.contacts_per_year": 1e-6,
    "looked_after.uasc_per_year": 0.0,
    "recontact.after_front_door": 0.0,
    "recontact.after_early_help": 0.0,
    "recontact.after_assessment": 0.0,
    "recontact.after_plan": 0.0,
    "cp_plan.end.cin_plan": 0.0,
    "cp_plan.end.closure": 1.0,
    "cp_plan.end.looked_after": 0.0,
    "cin_plan.end.closure": 1.0,
    "cin_plan.end.step_down": 0.0,
    "cin_plan.end.s47": 0.0,
    "cin_plan.end.looked_after": 0.0,
}
OPENING_REPS = 40
#: Windows from the start (1 April): April (30 days) and April-June (91 days), with the relative
#: tolerance on the children leaving in each. Standard errors of the mean over 40 replications: CP
#: ~23 of 245 children leave in April (SD ~6 per replication, sibling groups inflating the binomial
#: variance: SE ~4%) and ~65 by June (SE ~2%); CIN plans ~115 and ~310 of 955 (SE ~1.5% and ~1%).
#: The tolerances are > 3 SE; the naive starts are 35-100% away (checked, so the test has power).
WINDOWS = {30: 0.15, 91: 0.10}
WINDOW_MONTH = {30: 0, 91: 2}  # index of the month whose end closes the window


@pytest.fixture(scope="module")
def opening_only(variant: Variant, sampled_baseline: Scenario) -> tuple[Scenario, list[ReplicationOutput]]:
    stock = sampled_baseline.opening_stock
    s = variant(
        {
            **OPENING_ONLY,
            # No children in assessment (they would start new plans); the rest of the caseload as is.
            "opening_stock.in_assessment": 0,
            "opening_stock.children_in_need": stock.children_in_need - stock.in_assessment,
            # Nobody on a plan turns 18 within the year (they would leave on their birthday, an exit
            # that is not the plan ending): the plans' children are at most 16 on day one.
            "demand.child_age.age_10_15": 0.48,
            "demand.child_age.age_16_17": 0.0,
        }
    )
    return s, [simulate(s, seed=77, replication=r, years=1) for r in range(OPENING_REPS)]


@pytest.mark.parametrize(
    ("stage", "stock_name", "opening"),
    [("cp_plan", "cp_plans_open_end", "child_protection"), ("cin_plan", "cin_plans_open_end", "cin_plans")],
)
def test_opening_plans_end_at_the_equilibrium_rate(
    opening_only: tuple[Scenario, list[ReplicationOutput]], stage: str, stock_name: str, opening: str
) -> None:
    s, outs = opening_only
    n0 = getattr(s.opening_stock, opening)
    durations: Banded = getattr(s, stage).duration_months
    # Nothing enters: the stock only falls.
    for out in outs:
        level = np.array(out.recorder.stocks[stock_name])
        assert level[0] <= n0
        assert (np.diff(level) <= 0).all()
    rng = np.random.default_rng(0)
    miss = {"naive": 0.0, "zero elapsed": 0.0}
    for days, tolerance in WINDOWS.items():
        left = np.array([n0 - out.recorder.stocks[stock_name][WINDOW_MONTH[days]] for out in outs], float)
        expected = n0 * equilibrium_exit_fraction(durations, days)
        se = left.std(ddof=1) / np.sqrt(len(left))
        assert se < tolerance / 3 * expected
        assert left.mean() == pytest.approx(expected, rel=tolerance), days
        # How far off each naive way of seeding the stock would be, in units of the tolerance.
        miss["naive"] = max(
            miss["naive"],
            abs(n0 * naive_exit_fraction(durations, days, rng) - expected) / expected / tolerance,
        )
        miss["zero elapsed"] = max(
            miss["zero elapsed"],
            abs(n0 * zero_elapsed_exit_fraction(durations, days) - expected) / expected / tolerance,
        )
    assert min(miss.values()) > 2, miss


def test_opening_stock_elapsed_matches_remaining(
    opening_only: tuple[Scenario, list[ReplicationOutput]],
) -> None:
    """At equilibrium, elapsed and remaining times have the same distribution (CP plans and care)."""
    s, _ = opening_only
    seen: dict[str, list[tuple[float, float]]] = {"cp": [], "cla": []}
    cp_plan, looked_after = Pathway.cp_plan, Pathway.looked_after

    def spy_cp(self: Pathway, family: Any, kids: Any, *, started: Any = None, duration: Any = None) -> Any:
        if started is not None:
            seen["cp"].append((-started, started + duration))
        return cp_plan(self, family, kids, started=started, duration=duration)

    def spy_cla(
        self: Pathway, child: Any, family: Any, *, entry: str, episode: Any = None, started: Any = None
    ) -> Any:
        if entry == "opening":
            seen["cla"].append((-started, started + episode[2]))
        return looked_after(self, child, family, entry=entry, episode=episode, started=started)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Pathway, "cp_plan", spy_cp)
        mp.setattr(Pathway, "looked_after", spy_cla)
        for r in range(4):
            simulate(s, seed=5, replication=r, years=1)
    for kind, n in (("cp", 4 * 100), ("cla", 4 * s.opening_stock.looked_after)):
        pairs = np.array(seen[kind])
        assert len(pairs) >= n
        elapsed, remaining = pairs[:, 0], pairs[:, 1]
        assert (elapsed >= 0).all()
        assert (remaining > 0).all()
        assert stats.ks_2samp(elapsed, remaining).pvalue > 0.001, kind
        assert remaining.mean() == pytest.approx(elapsed.mean(), rel=0.15), kind


# ================================================================== the whole model
FULL_REPS = 8


@pytest.fixture(scope="module")
def full_runs(sampled_baseline: Scenario) -> list[ReplicationOutput]:
    """8 replications of 2 years (the warm-up and one reported year) of the whole pathway, with
    sampled durations (plan and care durations, hence exits, do not depend on the workforce)."""
    return [simulate(sampled_baseline, seed=99, replication=r, years=1) for r in range(FULL_REPS)]


@pytest.mark.parametrize("counter", ["cp_plans_ended", "cla_ceased", "cin_plans_ended"])
def test_no_wave_of_closures(full_runs: list[ReplicationOutput], counter: str) -> None:
    """Exits per month in months 1-3 ≈ months 13-24 (the steady state after the warm-up).

    A naive opening stock would roughly double early exits (or halve them, with zero elapsed time).
    The band [0.8, 1.25] allows for noise (first-quarter CP exits have SE ~6% over 8 replications)
    and for the warm-up itself: new CP and CIN plans start slowly in the first months because the
    opening caseload has nobody part-way through s47 or early help and no families due to come back,
    so the CP stock, and its exits, run a few % below the opening level in months 13-24.
    """
    counts = np.array([out.recorder.counts[counter] for out in full_runs], dtype=float)
    first = counts[:, :3].mean()
    steady = counts[:, 12:24].mean()
    assert steady > 10
    assert 0.8 < first / steady < 1.25, (first, steady)


@pytest.mark.parametrize(
    ("stock_name", "opening", "tolerance"),
    [
        # CP starts in April are about a third of the steady rate (the s47 → ICPC pipeline starts
        # empty), so the CP stock dips ~8% in month 1 while exits run at the steady rate.
        ("cp_plans_open_end", "child_protection", 0.12),
        ("cin_plans_open_end", "cin_plans", 0.05),
        ("cla_open_end", "looked_after", 0.05),
        ("cin_open_end", "children_in_need", 0.06),
    ],
)
def test_stocks_at_month_one_near_opening(
    full_runs: list[ReplicationOutput], baseline: Scenario, stock_name: str, opening: str, tolerance: float
) -> None:
    n0 = getattr(baseline.opening_stock, opening)
    level = np.mean([out.recorder.stocks[stock_name][0] for out in full_runs])
    assert level == pytest.approx(n0, rel=tolerance)
