"""The open caseload on day one, with elapsed durations that do not cause a wave of closures.

An LA is never empty. The run starts with the scenario's CIN, CP, CLA and in-assessment counts. Each
open case's *total* duration is drawn from the length-biased distribution of the stage's durations
(the chance of finding a case open on a given day is proportional to how long it lasts), and its
elapsed time is a uniform fraction of that total. For a stationary renewal process this is the exact
equilibrium distribution of (elapsed, remaining) time, so exits in the first months run at the steady
rate instead of the burst a zero-elapsed start would give.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from caseflow.distributions import BandedSampler, BranchSampler
from caseflow.model.entities import DAYS_PER_MONTH, DAYS_PER_YEAR, Child, Family, Stage
from caseflow.model.pathway import Pathway, draw_age
from caseflow.streams import Stream, Streams

__all__ = ["length_biased", "seed_opening_stock"]


def length_biased(
    draw: Callable[[], float], n: int, stream: Stream, pool: int | None = None
) -> list[tuple[float, float]]:
    """``n`` pairs ``(total, elapsed)``: totals length-biased from ``draw``, elapsed uniform within."""
    if n <= 0:
        return []
    size = pool or max(20 * n, 2000)
    totals = np.array([draw() for _ in range(size)])
    weights = totals / totals.sum()
    gen = stream.generator
    chosen = totals[gen.choice(size, size=n, p=weights)]
    elapsed = chosen * gen.random(n)
    return list(zip(chosen.tolist(), elapsed.tolist(), strict=True))


def _families(pathway: Pathway, n_children: int, stream: Stream) -> list[Family]:
    """Families of sampled sibling-group sizes holding exactly ``n_children`` children."""
    out = []
    left = n_children
    sizes = pathway._sibling_sizes
    while left > 0:
        k = min(int(sizes.sample(stream)), left)
        ages = [draw_age(pathway._child_age, stream) for _ in range(k)]
        out.append(pathway.new_family(0.0, ages))
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
    for fam, (total, elapsed) in zip(
        fams, length_biased(lambda: cp_len.sample(r), len(fams), r), strict=True
    ):
        for c in fam.children:
            c.cp_plans = 1
        env.process(pathway.cp_plan(fam, list(fam.children), started=-elapsed, duration=total))

    cin_len = BandedSampler(s.cin_plan.duration_months, DAYS_PER_MONTH)
    fams = _families(pathway, stock.cin_plans, r)
    for fam, (total, elapsed) in zip(
        fams, length_biased(lambda: cin_len.sample(r), len(fams), r), strict=True
    ):
        env.process(pathway.cin_plan(fam, list(fam.children), started=-elapsed, duration=total))

    wd = BandedSampler(s.assessment.duration_wd)
    fams = _families(pathway, stock.in_assessment, r)
    for fam, (total, elapsed) in zip(fams, length_biased(lambda: wd.sample(r), len(fams), r), strict=True):
        kids = list(fam.children)
        referred = -elapsed * 7.0 / 5.0  # elapsed working days back to calendar days
        pathway.move(kids, Stage.ASSESSMENT)
        for c in kids:
            c.last_referral = c.since = referred
        pathway.capacity.assign(kids, "assessment")
        pathway._age_out_before(kids, DAYS_PER_YEAR)
        env.process(pathway.assess_and_decide(fam, kids, referred, working_days=total))

    _seed_looked_after(pathway, stock.looked_after, streams["opening_stock.looked_after"])


def _seed_looked_after(pathway: Pathway, n: int, r: Stream) -> None:
    if n <= 0:
        return
    entry_age = BranchSampler(pathway.s.opening_stock.looked_after_age)
    pool = []
    for _ in range(max(20 * n, 2000)):
        age = draw_age(entry_age, r)
        probe = Child(-1, dob=-age * DAYS_PER_YEAR)
        pool.append((age, pathway.care_episode(probe, 0.0, r)))
    totals = np.array([ep[2] for _, ep in pool])
    gen = r.generator
    picks = gen.choice(len(pool), size=n, p=totals / totals.sum())
    fractions = gen.random(n)
    for i, u in zip(picks.tolist(), fractions.tolist(), strict=True):
        age, episode = pool[i]
        elapsed = episode[2] * u
        fam = pathway.new_family(0.0, [age + elapsed / DAYS_PER_YEAR])
        pathway.env.process(
            pathway.looked_after(fam.children[0], fam, entry="opening", episode=episode, started=-elapsed)
        )
