"""The open caseload on day one, with elapsed durations that do not cause a wave of closures.

An LA is never empty. The run starts with the scenario's CIN, CP, CLA and in-assessment counts. Each
open case's *total* duration is drawn from the length-biased distribution of the stage's durations
(the chance of finding a case open on a given day is proportional to how long it lasts), and its
elapsed time is a uniform fraction of that total. For a stationary renewal process this is the exact
equilibrium distribution of (elapsed, remaining) time, so exits in the first months run at the steady
rate instead of the burst a zero-elapsed start would give.

When the scenario gives the opening CP plans' time on plan (``opening_stock.child_protection_time_on_plan``,
DfE's bands), each family's band is drawn first and its (total, elapsed) pair comes from the same
equilibrium restricted to elapsed times in that band (:func:`time_on_plan`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from caseflow.distributions import BandedSampler, BranchSampler
from caseflow.model.entities import DAYS_PER_MONTH, DAYS_PER_YEAR, Activity, CareEntry, Child, Family, Stage
from caseflow.model.families import draw_age
from caseflow.model.pathway import Pathway
from caseflow.model.stages.looked_after import LookedAfter
from caseflow.scenario.schema import TIME_ON_PLAN_MONTHS, TimeOnPlan
from caseflow.streams import Stream, Streams

__all__ = ["TOP_BAND_CAP_MONTHS", "length_biased", "seed_opening_stock", "time_on_plan"]

#: Upper end (months) of the open-ended top time-on-plan band (2 years+) when the plan lengths cannot
#: reach it and elapsed times are drawn uniformly within it.
TOP_BAND_CAP_MONTHS = 36.0


def length_biased(
    draw: Callable[[], float], n: int, stream: Stream, pool: int | None = None
) -> list[tuple[float, float]]:
    """``n`` pairs ``(total, elapsed)``: totals length-biased from ``draw``, elapsed uniform within."""
    return _length_biased(draw, n, stream, pool)[0]


def _length_biased(
    draw: Callable[[], float], n: int, stream: Stream, pool: int | None = None
) -> tuple[list[tuple[float, float]], np.ndarray]:
    """:func:`length_biased`'s pairs and the pool of (unbiased) totals they were chosen from."""
    if n <= 0:
        return [], np.empty(0)
    size = pool or max(20 * n, 2000)
    totals = np.array([draw() for _ in range(size)])
    weights = totals / totals.sum()
    gen = stream.generator
    chosen = totals[gen.choice(size, size=n, p=weights)]
    elapsed = chosen * gen.random(n)
    return list(zip(chosen.tolist(), elapsed.tolist(), strict=True)), totals


def time_on_plan(
    totals: np.ndarray, mix: TimeOnPlan, n: int, stream: Stream, month: float = DAYS_PER_MONTH
) -> list[tuple[float, float]]:
    """``n`` pairs ``(total, elapsed)`` of open plans whose elapsed times follow the band shares ``mix``.

    ``totals`` is a pool of plan lengths drawn from the plan-length distribution (unbiased). Each pair
    draws its band from ``mix``, then a total from the equilibrium restricted to elapsed times in the
    band ``[lo, hi)``: a total ``t`` has weight ``f(t) × |[lo, hi) ∩ [0, t)|`` (so the pool member's
    weight is the length of that overlap), and elapsed is uniform on ``[lo, min(hi, t))``. When no plan
    in the pool is long enough to reach the band, elapsed is uniform in it (the open top band capped at
    :data:`TOP_BAND_CAP_MONTHS`) and the remaining time is the equilibrium's residual time (a
    length-biased total times a uniform fraction). ``month`` is the length of a month in time units.
    """
    if n <= 0:
        return []
    gen = stream.generator
    probs = np.array([float(getattr(mix, name)) for name, _, _ in TIME_ON_PLAN_MONTHS])
    bands = gen.choice(probs.size, size=n, p=probs / probs.sum())
    total = np.empty(n)
    elapsed = np.empty(n)
    for k, (_, lo_months, hi_months) in enumerate(TIME_ON_PLAN_MONTHS):
        idx = np.flatnonzero(bands == k)
        if idx.size == 0:
            continue
        lo, hi = lo_months * month, hi_months * month
        overlap = np.clip(np.minimum(totals, hi) - lo, 0.0, None)
        if overlap.sum() > 0:
            chosen = totals[gen.choice(totals.size, size=idx.size, p=overlap / overlap.sum())]
            top = np.minimum(chosen, hi)
            elapsed[idx] = lo + (top - lo) * gen.random(idx.size)
            total[idx] = chosen
        else:
            top = min(hi, max(TOP_BAND_CAP_MONTHS * month, lo))
            e = lo + (top - lo) * gen.random(idx.size)
            biased = totals[gen.choice(totals.size, size=idx.size, p=totals / totals.sum())]
            elapsed[idx] = e
            total[idx] = e + biased * gen.random(idx.size)
    return list(zip(total.tolist(), elapsed.tolist(), strict=True))


def _families(pathway: Pathway, n_children: int, stream: Stream) -> list[Family]:
    """Families of sampled sibling-group sizes holding exactly ``n_children`` children."""
    out = []
    left = n_children
    sizes = pathway.families.sizes
    while left > 0:
        k = min(int(sizes.sample(stream)), left)
        ages = [draw_age(pathway.families.child_age, stream) for _ in range(k)]
        out.append(pathway.families.new_family(0.0, ages))
        left -= k
    return out


def seed_opening_stock(pathway: Pathway, streams: Streams) -> None:
    """Create the opening caseload and start a process for each open case."""
    s = pathway.s
    stock = s.opening_stock
    env = pathway.env
    r = streams["opening_stock"]

    cp_len = BandedSampler(s.cp_plan.duration_months, DAYS_PER_MONTH)
    fams = _families(pathway, stock.child_protection, r)
    cp_pairs, pool = _length_biased(lambda: cp_len.sample(r), len(fams), r)
    mix = stock.child_protection_time_on_plan
    if mix is not None:
        # Own stream, drawn after the usual draws, so the rest of the opening caseload is unchanged.
        cp_pairs = time_on_plan(pool, mix, len(fams), streams["opening_stock.cp_time_on_plan"])
    for fam, (total, elapsed) in zip(fams, cp_pairs, strict=True):
        for c in fam.children:
            c.cp_plans = 1
        env.process(pathway.route("cp_plan", fam, list(fam.children), started=-elapsed, duration=total))

    cin_len = BandedSampler(s.cin_plan.duration_months, DAYS_PER_MONTH)
    fams = _families(pathway, stock.cin_plans, r)
    for fam, (total, elapsed) in zip(
        fams, length_biased(lambda: cin_len.sample(r), len(fams), r), strict=True
    ):
        env.process(pathway.route("cin_plan", fam, list(fam.children), started=-elapsed, duration=total))

    wd = BandedSampler(s.assessment.duration_wd)
    fams = _families(pathway, stock.in_assessment, r)
    for fam, (total, elapsed) in zip(fams, length_biased(lambda: wd.sample(r), len(fams), r), strict=True):
        kids = list(fam.children)
        referred = -elapsed * 7.0 / 5.0  # elapsed working days back to calendar days
        pathway.move(kids, Stage.ASSESSMENT)
        for c in kids:
            c.last_referral = c.since = referred
        pathway.capacity.assign(kids, Activity.ASSESSMENT)
        pathway.age_out_before(kids, DAYS_PER_YEAR)
        env.process(pathway.route("assessment", fam, kids, referred, working_days=total))

    _seed_looked_after(pathway, stock.looked_after, streams["opening_stock.looked_after"])


def _seed_looked_after(pathway: Pathway, n: int, r: Stream) -> None:
    if n <= 0:
        return
    entry_age = BranchSampler(pathway.s.opening_stock.looked_after_age)
    care = pathway.stages["looked_after"]
    assert isinstance(care, LookedAfter)
    pool = []
    for _ in range(max(20 * n, 2000)):
        age = draw_age(entry_age, r)
        probe = Child(-1, dob=-age * DAYS_PER_YEAR)
        pool.append((age, care.care_episode(probe, 0.0, r)))
    totals = np.array([ep[2] for _, ep in pool])
    gen = r.generator
    picks = gen.choice(len(pool), size=n, p=totals / totals.sum())
    fractions = gen.random(n)
    for i, u in zip(picks.tolist(), fractions.tolist(), strict=True):
        age, episode = pool[i]
        elapsed = episode[2] * u
        fam = pathway.families.new_family(0.0, [age + elapsed / DAYS_PER_YEAR])
        pathway.env.process(
            care.episode(fam.children[0], fam, entry=CareEntry.OPENING, episode=episode, started=-elapsed)
        )
