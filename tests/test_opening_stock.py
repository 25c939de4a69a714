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
import simpy
from scipy import stats

from caseflow.calendar import Calendar
from caseflow.distributions import BandedSampler
from caseflow.model.capacity import SampledDurations
from caseflow.model.entities import DAYS_PER_MONTH
from caseflow.model.opening_stock import (
    TOP_BAND_CAP_MONTHS,
    _families,
    length_biased,
    seed_opening_stock,
    time_on_plan,
)
from caseflow.model.pathway import Pathway
from caseflow.model.simulation import ReplicationOutput, horizon_days
from caseflow.model.stages.child_protection import ChildProtection
from caseflow.model.stages.looked_after import LookedAfter
from caseflow.records import Recorder
from caseflow.replication import simulate
from caseflow.scenario import Scenario, ScenarioError
from caseflow.scenario.schema import TIME_ON_PLAN_MONTHS, Banded, TimeOnPlan
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
            # One year from the opening caseload and no warm-up: the windows end in June, and the
            # warm-up only delays reporting (the first 12 months are the same run either way).
            "run.warmup_years": 0,
        }
    )
    return s, [simulate(s, seed=77, replication=r, years=1) for r in range(OPENING_REPS)]


@pytest.mark.slow  # a statistical check: runs untraced by coverage (tests/conftest.py)
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


@pytest.mark.untraced
def test_opening_stock_elapsed_matches_remaining(
    opening_only: tuple[Scenario, list[ReplicationOutput]],
) -> None:
    """At equilibrium, elapsed and remaining times have the same distribution (CP plans and care)."""
    s, _ = opening_only
    seen: dict[str, list[tuple[float, float]]] = {"cp": [], "cla": []}
    cp_plan, looked_after = ChildProtection.cp_plan, LookedAfter.episode

    def spy_cp(
        self: ChildProtection, family: Any, kids: Any, *, started: Any = None, duration: Any = None
    ) -> Any:
        if started is not None:
            seen["cp"].append((-started, started + duration))
        return cp_plan(self, family, kids, started=started, duration=duration)

    def spy_cla(
        self: LookedAfter, child: Any, family: Any, *, entry: Any, episode: Any = None, started: Any = None
    ) -> Any:
        if entry == "opening":
            seen["cla"].append((-started, started + episode[2]))
        return looked_after(self, child, family, entry=entry, episode=episode, started=started)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ChildProtection, "cp_plan", spy_cp)
        mp.setattr(LookedAfter, "episode", spy_cla)
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


@pytest.mark.slow  # a statistical check: runs untraced by coverage (tests/conftest.py)
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


@pytest.mark.untraced
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


# ================================================================== time on plan (DfE bands)
#: The CP time-on-plan bands in days (the last is open-ended).
BANDS_DAYS = [(lo * DAYS_PER_MONTH, hi * DAYS_PER_MONTH) for _, lo, hi in TIME_ON_PLAN_MONTHS]
BAND_NAMES = [name for name, _, _ in TIME_ON_PLAN_MONTHS]
#: Enough CP families for band shares to within ~1 percentage point (binomial SE ≤ 1.1%).
TOP_FAMILIES = 2000


def seeded_caseload(s: Scenario, seed: int = 3) -> dict[str, list[tuple[int, int, float, float]]]:
    """The opening caseload of ``s`` as ``{kind: [(family id, children, elapsed, total)]}``, without
    running it: the pathway's plan and care processes are intercepted as they are created."""
    env = simpy.Environment()
    days, _ = horizon_days(s, 1)
    cal = Calendar(s.run.start_date, days + 3 * 366, lead_days=400)
    streams = Streams(seed, 0)
    recorder = Recorder(len([t for t in cal.month_ends if t <= days]), cal.month_index[:days])
    pathway = Pathway(env, cal, s, streams, recorder, SampledDurations(env, cal, s, streams))
    seen: dict[str, list[tuple[int, int, float, float]]] = {"cp": [], "cin": [], "assessment": [], "cla": []}
    care = pathway.stages["looked_after"]
    assert isinstance(care, LookedAfter)
    cp_plan, cin_plan, assess, looked_after = (
        pathway.stages["child_protection"].routes()["cp_plan"],
        pathway.stages["child_in_need"].routes()["cin_plan"],
        pathway.stages["assessment"].routes()["assessment"],
        care.episode,
    )

    def spy_cp(family: Any, kids: Any, *, started: float, duration: float) -> Any:
        seen["cp"].append((family.id, len(kids), -started, duration))
        return cp_plan(family, kids, started=started, duration=duration)

    def spy_cin(family: Any, kids: Any, *, started: float, duration: float) -> Any:
        seen["cin"].append((family.id, len(kids), -started, duration))
        return cin_plan(family, kids, started=started, duration=duration)

    def spy_assess(family: Any, kids: Any, referred: float, *, working_days: float) -> Any:
        seen["assessment"].append((family.id, len(kids), -referred, working_days))
        return assess(family, kids, referred, working_days=working_days)

    def spy_cla(child: Any, family: Any, *, entry: str, episode: Any, started: float) -> Any:
        seen["cla"].append((family.id, 1, -started, episode[2]))
        return looked_after(child, family, entry=entry, episode=episode, started=started)

    pathway.register("cp_plan", spy_cp, replace=True)
    pathway.register("cin_plan", spy_cin, replace=True)
    pathway.register("assessment", spy_assess, replace=True)
    care.episode = spy_cla  # type: ignore[method-assign]
    seed_opening_stock(pathway, streams)
    return seen


def many_cp_families(variant: Variant, extra: Mapping[str, Any]) -> Scenario:
    """The baseline with ``TOP_FAMILIES`` opening CP plans of one child each, plus ``extra`` overrides."""
    return variant(
        {
            "opening_stock.child_protection": TOP_FAMILIES,
            "opening_stock.children_in_need": TOP_FAMILIES + 400 + 340 + 995,
            "demand.sibling_groups": {"one": 1.0, "two": 0.0, "three": 0.0, "four": 0.0},
            **extra,
        }
    )


def band_of(elapsed: float) -> int:
    return next(i for i, (lo, hi) in enumerate(BANDS_DAYS) if lo <= elapsed < hi)


def test_time_on_plan_bands_in_proportion(variant: Variant) -> None:
    """Given DfE's time-on-plan mix, the opening CP plans' elapsed times fall in the bands in proportion."""
    mix = dict(zip(BAND_NAMES, (0.10, 0.15, 0.30, 0.35, 0.10), strict=True))
    s = many_cp_families(variant, {"opening_stock.child_protection_time_on_plan": mix})
    cp = np.array([(e, t) for _, _, e, t in seeded_caseload(s)["cp"]])
    assert len(cp) == TOP_FAMILIES
    elapsed, total = cp[:, 0], cp[:, 1]
    assert (elapsed >= 0).all()
    assert (elapsed < total).all()  # every band is reachable: plans run to 30 months
    counts = np.bincount([band_of(e) for e in elapsed], minlength=len(BAND_NAMES))
    for name, k in zip(BAND_NAMES, counts, strict=True):
        p = mix[name]
        # 4 binomial standard errors (≤ 4.3 percentage points of 2,000): a miss is a real miss.
        assert abs(k - p * TOP_FAMILIES) <= 4 * np.sqrt(TOP_FAMILIES * p * (1 - p)), (name, k)
    # A plan 2 years+ in can only be one of the 24-30-month plans (the baseline's longest band).
    top = elapsed >= 24 * DAYS_PER_MONTH
    assert (total[top] > 24 * DAYS_PER_MONTH).all()
    assert (total <= 30 * DAYS_PER_MONTH + 1e-9).all()


def test_time_on_plan_at_equilibrium_changes_nothing_in_distribution(
    variant: Variant, baseline: Scenario
) -> None:
    """A mix equal to the plans' own equilibrium band shares gives the equilibrium again: remaining
    times leave at the steady rate (Little's law), and elapsed times match the unconditioned draw."""
    durations = baseline.cp_plan.duration_months
    cdf = [0.0, *(equilibrium_exit_fraction(durations, hi) for _, hi in BANDS_DAYS[:-1]), 1.0]
    mix = {name: cdf[i + 1] - cdf[i] for i, name in enumerate(BAND_NAMES)}
    with_mix = seeded_caseload(
        many_cp_families(variant, {"opening_stock.child_protection_time_on_plan": mix}), seed=4
    )["cp"]
    without = seeded_caseload(many_cp_families(variant, {}), seed=4)["cp"]
    pairs = np.array([(e, t) for _, _, e, t in with_mix])
    remaining = pairs[:, 1] - pairs[:, 0]
    for days in (30.0, 91.0):
        p = equilibrium_exit_fraction(durations, days)
        observed = float(np.mean(remaining <= days))
        assert abs(observed - p) <= 4 * np.sqrt(p * (1 - p) / TOP_FAMILIES), days
    plain = np.array([e for _, _, e, _ in without])
    assert stats.ks_2samp(pairs[:, 0], plain).pvalue > 0.001
    assert stats.ks_2samp(remaining, pairs[:, 0]).pvalue > 0.001


def test_time_on_plan_band_beyond_the_longest_plan(variant: Variant) -> None:
    """A band the plan lengths cannot reach (2 years+ when plans end by 2 years): elapsed uniform in
    24-36 months, and the remaining time the equilibrium's residual time."""
    durations = {"edges": [0.0, 3.0, 6.0, 12.0, 24.0], "probs": [0.2, 0.2, 0.3, 0.3]}
    mix = dict(zip(BAND_NAMES, (0.1, 0.1, 0.1, 0.2, 0.5), strict=True))
    s = many_cp_families(
        variant,
        {"cp_plan.duration_months": durations, "opening_stock.child_protection_time_on_plan": mix},
    )
    pairs = np.array([(e, t) for _, _, e, t in seeded_caseload(s)["cp"]])
    top = pairs[pairs[:, 0] >= 24 * DAYS_PER_MONTH]
    k = len(top)
    assert abs(k - 0.5 * TOP_FAMILIES) <= 4 * np.sqrt(TOP_FAMILIES * 0.25)
    lo, hi = 24 * DAYS_PER_MONTH, TOP_BAND_CAP_MONTHS * DAYS_PER_MONTH
    assert (top[:, 0] < hi).all()
    assert stats.kstest((top[:, 0] - lo) / (hi - lo), "uniform").pvalue > 0.001
    remaining = top[:, 1] - top[:, 0]
    assert (remaining >= 0).all()
    m1, m2 = banded_moments(s.cp_plan.duration_months, DAYS_PER_MONTH)
    # Equilibrium residual time: mean E[D²] / (2 E[D]) ≈ 208 days, SD ≈ 170: SE of the mean of ~1,000 ≈ 5.4.
    assert remaining.mean() == pytest.approx(m2 / (2 * m1), rel=0.1)
    # The reachable bands are drawn from the pool as usual: their totals never exceed 24 months.
    rest = pairs[pairs[:, 0] < lo]
    assert (rest[:, 0] < rest[:, 1]).all()
    assert (rest[:, 1] <= lo + 1e-9).all()


def test_time_on_plan_leaves_the_rest_of_the_caseload_unchanged(variant: Variant, baseline: Scenario) -> None:
    """Without the mix the CP plans are drawn as before; with it, only their (elapsed, total) change:
    the families, the CIN plans, the assessments and the children in care are the same draws."""
    mix = dict(zip(BAND_NAMES, (0.2, 0.2, 0.2, 0.2, 0.2), strict=True))
    plain = seeded_caseload(variant({}), seed=8)
    mixed = seeded_caseload(variant({"opening_stock.child_protection_time_on_plan": mix}), seed=8)
    for kind in ("cin", "assessment", "cla"):
        assert mixed[kind] == plain[kind], kind
    assert [f[:2] for f in mixed["cp"]] == [f[:2] for f in plain["cp"]]
    assert [f[2:] for f in mixed["cp"]] != [f[2:] for f in plain["cp"]]
    assert sum(n for _, n, _, _ in plain["cp"]) == baseline.opening_stock.child_protection
    # Without the mix the CP plans are exactly length_biased's draws from the opening-stock stream,
    # after the families (rebuilt here from the same stream).
    s = variant({})
    env = simpy.Environment()
    days, _ = horizon_days(s, 1)
    cal = Calendar(s.run.start_date, days + 3 * 366, lead_days=400)
    streams = Streams(8, 0)
    recorder = Recorder(1, cal.month_index[:days])
    pathway = Pathway(env, cal, s, streams, recorder, SampledDurations(env, cal, s, streams))
    r = streams["opening_stock"]
    fams = _families(pathway, s.opening_stock.child_protection, r)
    sampler = BandedSampler(s.cp_plan.duration_months, DAYS_PER_MONTH)
    expected = length_biased(lambda: sampler.sample(r), len(fams), r)
    assert [(e, t) for _, _, e, t in plain["cp"]] == [(e, t) for t, e in expected]


def test_time_on_plan_validation(baseline: Scenario) -> None:
    good = dict(zip(BAND_NAMES, (0.2, 0.2, 0.2, 0.2, 0.2), strict=True))
    s = baseline.with_overrides({"opening_stock.child_protection_time_on_plan": good})
    assert s.opening_stock.child_protection_time_on_plan is not None
    assert baseline.opening_stock.child_protection_time_on_plan is None
    with pytest.raises(ScenarioError, match=r"child_protection_time_on_plan: branch probabilities must sum"):
        baseline.with_overrides({"opening_stock.child_protection_time_on_plan": {**good, "months_0_3": 0.5}})
    with pytest.raises(ScenarioError, match=r"child_protection_time_on_plan.months_24_plus: required"):
        baseline.with_overrides(
            {"opening_stock.child_protection_time_on_plan": dict.fromkeys(BAND_NAMES[:-1], 0.25)}
        )
    with pytest.raises(ScenarioError, match=r"child_protection_time_on_plan.months_1_2: unknown field"):
        baseline.with_overrides({"opening_stock.child_protection_time_on_plan": {**good, "months_1_2": 0.0}})


def test_time_on_plan_function_empty_and_stream() -> None:
    r = Streams(1, 0)["test.time_on_plan"]
    mix = TimeOnPlan(**dict(zip(BAND_NAMES, (0.2, 0.2, 0.2, 0.2, 0.2), strict=True)))
    assert time_on_plan(np.array([1.0, 2.0]), mix, 0, r) == []
    pool = np.full(100, 10.0)  # every plan 10 months long: the 12-24 and 24+ bands are out of reach
    pairs = np.array(time_on_plan(pool * DAYS_PER_MONTH, mix, 500, r)) / DAYS_PER_MONTH
    total, elapsed = pairs[:, 0], pairs[:, 1]  # (total, elapsed), as length_biased gives them
    assert ((elapsed >= 0) & (elapsed < TOP_BAND_CAP_MONTHS)).all()
    reachable = elapsed < 10.0
    assert (total[reachable] == 10.0).all()
    assert ((elapsed >= 12) & (elapsed < 24)).any()
    assert ((elapsed >= 24) & (elapsed < 36)).any()
    remaining = total - elapsed
    assert ((remaining >= 0) & (remaining < 10.0 + 1e-9)).all()
