"""Functional and verification tests of the pathway model (DESIGN §2, §6, §9).

Conservation of children, seed stability and executor equality, Little's law on the plan and care
stocks, ages, the behaviour of the history flags (re-referral, second CP plan, early help), demand
seasonality and the shape of the KPI table.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import gc
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import caseflow
import caseflow.model.simulation as simulation_module
from caseflow.calendar import Calendar
from caseflow.experiment.runner import run_replication
from caseflow.metrics import KPIS
from caseflow.model.arrivals import daily_rates, draw_arrivals, mean_family_size
from caseflow.model.entities import DAYS_PER_MONTH, Stage
from caseflow.model.simulation import GC_THRESHOLDS, MonthEnd, ReplicationOutput
from caseflow.replication import simulate
from caseflow.scenario import Scenario
from caseflow.streams import Streams

Variant = Callable[[Mapping[str, Any]], Scenario]


def reported_days(out: ReplicationOutput) -> int:
    """Number of simulated days after the warm-up."""
    month_of_day = out.calendar.month_index[: out.recorder._days]
    return sum(1 for m in month_of_day if m >= out.warmup_months)


@pytest.fixture(scope="module")
def baseline_run(baseline: Scenario) -> ReplicationOutput:
    """One untracked baseline replication (workforce as configured): 1 warm-up + 2 reported years."""
    return simulate(baseline, seed=11, years=2)


@pytest.fixture(scope="module")
def small_sampled(sampled_baseline: Scenario) -> Scenario:
    """The sampled-durations baseline at a fifth of its size, for checks that do not depend on size."""
    from caseflow.scenario.scale import scaled

    return scaled(sampled_baseline, 0.2, name=f"{sampled_baseline.name} x0.2")


# ================================================================== conservation of children
@pytest.fixture(scope="module", params=["baseline", "sampled"])
def tracked_run(request: pytest.FixtureRequest) -> ReplicationOutput:
    """A replication keeping every child object, with the conservation audit at each month end: the
    baseline as configured (workforce on) and with sampled durations, both at a fifth of the baseline's
    size (children are conserved, and each is in one stage, whatever the size)."""
    scenario = request.getfixturevalue("small_baseline" if request.param == "baseline" else "small_sampled")
    return simulate(scenario, seed=3, years=1, track_children=True, audit_every_month=True)


def test_month_end_audits_conserve_children(tracked_run: ReplicationOutput) -> None:
    out = tracked_run
    # One audit per month end plus the final one; simulate() would have raised if any had failed.
    assert len(out.audits) == len(out.months) + 1
    stage_keys = [s.name.lower() for s in Stage]
    entered = [a["entered"] for a in out.audits]
    assert entered == sorted(entered), "children entered must never decrease"
    assert entered[0] > 0
    for audit in out.audits:
        counts = [audit[k] for k in stage_keys]
        assert min(counts) >= 0
        assert sum(counts) == audit["entered"] == audit["accounted"]
    # The opening caseload is there at the first month end, and plans, care and assessment are all used.
    first = out.audits[0]
    for key in ("cp_plan", "cin_plan", "looked_after", "assessment"):
        assert first[key] > 0


def test_every_child_is_in_exactly_one_stage(tracked_run: ReplicationOutput) -> None:
    pathway = tracked_run.pathway
    assert pathway is not None
    assert pathway.census.children is not None
    children = pathway.census.children
    assert len(children) == pathway.census.children_entered
    assert len({c.id for c in children}) == len(children), "child ids must be unique"
    assert all(isinstance(c.stage, Stage) for c in children)
    recount = Counter(c.stage for c in children)
    assert [recount[s] for s in Stage] == pathway.census.stage_counts
    assert sum(pathway.census.stage_counts) == pathway.census.children_entered
    # People really do leave (18th birthdays, adoption, ...) and really do come and go.
    assert recount[Stage.LEFT] > 0
    assert recount[Stage.CLOSED] > 0
    # Every child belongs to a family, and families have consecutive ids from 0.
    families = {c.family_id for c in children}
    assert min(families) == 0
    assert families == set(range(max(families) + 1))


@pytest.mark.untraced
def test_cla_stock_changes_by_starts_minus_ceased(baseline_run: ReplicationOutput) -> None:
    """Stock-flow identity for children looked after, exact at every month end."""
    rec = baseline_run.recorder
    stock = np.array(rec.stocks["cla_open_end"])
    starts = np.array(rec.counts["cla_starts"])
    ceased = np.array(rec.counts["cla_ceased"])
    opening = baseline_run.scenario.opening_stock.looked_after
    assert stock[0] == opening + starts[0] - ceased[0]
    np.testing.assert_array_equal(np.diff(stock), starts[1:] - ceased[1:])


def test_cp_stock_changes_by_starts_minus_ends(baseline_run: ReplicationOutput) -> None:
    """CP stock change = plans started - plans ended - children who turned 18 during their plan.

    Children who reach 18 while on a plan leave the system at the plan's end without being counted
    as a plan ending (they are counted in ``children_left_at_18``, with leavers from other stages), so
    the gap ``started - ended - Δstock`` must lie between 0 and that month's ``children_left_at_18``.
    """
    rec = baseline_run.recorder
    stock = np.array(rec.stocks["cp_plans_open_end"])
    started = np.array(rec.counts["cp_plans_started"])
    ended = np.array(rec.counts["cp_plans_ended"])
    left_18 = np.array(rec.counts["children_left_at_18"])
    gap = started[1:] - ended[1:] - np.diff(stock)
    assert (gap >= 0).all()
    assert (gap <= left_18[1:]).all()


# ================================================================== seed stability and executors
@pytest.mark.untraced
def test_same_seed_gives_identical_kpis(small_baseline: Scenario) -> None:
    a = caseflow.compute_kpis(simulate(small_baseline, seed=42, years=1))
    b = caseflow.compute_kpis(simulate(small_baseline, seed=42, years=1))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.untraced
def test_contacts_arrive_exactly_as_the_process_they_replaced(
    small_baseline: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled contact arrivals (an action the queue fires) give the run, event for event, that the
    SimPy process they replaced gave: the same events scheduled, contacts, KPIs and per-case records,
    through a time-phased change of the share of contacts passed to MASH."""
    changed = small_baseline.with_overrides(
        {"changes": [{"date": dt.date(2025, 10, 1), "field": "demand.sources.police.to_mash", "value": 0.2}]},
        name="changed",
    )

    def as_a_process(pathway: Any, times: list[float], sources: list[int], names: Any) -> Any:
        env, families = pathway.env, pathway.families
        in_force = None
        to_mash: list[float] = []
        for t, i in zip(times, sources, strict=True):
            yield env.timeout(t - env.now)
            family = families.sample_family(t)
            if pathway.s is not in_force:
                in_force = pathway.s
                to_mash = [in_force.demand.sources[name].to_mash for name in names]
            pathway.begin(pathway.route("contact", family, to_mash[i], source=names[i]))

    class ContactProcess:
        def __init__(self, *args: Any) -> None:
            self.args = args

        def start(self) -> None:
            self.args[0].env.process(as_a_process(*self.args))

    def run() -> tuple[int, pd.DataFrame, pd.DataFrame | None]:
        out = simulate(changed, seed=3, years=1, records=True)
        assert sum(out.recorder.counts["scenario_changes_applied"]) == 1
        return out.events, caseflow.compute_kpis(out), out.case_records

    events, kpis, records = run()
    monkeypatch.setattr(simulation_module, "ContactArrivals", ContactProcess)
    events_before, kpis_before, records_before = run()
    assert events == events_before
    pd.testing.assert_frame_equal(kpis, kpis_before)
    assert records is not None
    assert records_before is not None
    pd.testing.assert_frame_equal(records, records_before)


def test_simulate_tunes_the_garbage_collector_only_while_it_runs(
    small_sampled: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fewer collections during a run; the caller's thresholds are back afterwards, even after an error."""
    seen: list[tuple[int, int, int]] = []

    class Spy:
        def month_end(self, event: MonthEnd) -> None:
            seen.append(gc.get_threshold())

    class Boom:
        def month_end(self, event: MonthEnd) -> None:
            raise RuntimeError("boom")

    before = gc.get_threshold()
    simulate(small_sampled, seed=1, years=1, observers=[lambda _: Spy()])
    assert seen
    assert all(t == GC_THRESHOLDS for t in seen)
    assert gc.get_threshold() == before

    with pytest.raises(RuntimeError, match="boom"):
        simulate(small_sampled, seed=1, years=1, observers=[lambda _: Boom()])
    assert gc.get_threshold() == before
    assert simulation_module._gc_depth == 0


@pytest.mark.untraced
def test_different_seeds_or_replications_differ(small_baseline: Scenario) -> None:
    a = caseflow.compute_kpis(simulate(small_baseline, seed=42, years=1)).set_index(["period", "kpi"])
    b = caseflow.compute_kpis(simulate(small_baseline, seed=43, years=1)).set_index(["period", "kpi"])
    c = caseflow.compute_kpis(simulate(small_baseline, seed=42, replication=1, years=1)).set_index(
        ["period", "kpi"]
    )
    assert (a.index == b.index).all()
    for other in (b, c):
        differs = ~np.isclose(a["value"], other["value"], equal_nan=True)
        # Essentially every stochastic KPI moves with the seed, not just one or two.
        assert differs.mean() > 0.5
        assert a.loc[("2026-27", "contacts"), "value"] != other.loc[("2026-27", "contacts"), "value"]


@pytest.mark.untraced
def test_executors_give_identical_results(baseline: Scenario) -> None:
    """At a tenth of the baseline's size (6,000 children): what runs where does not depend on size."""
    from caseflow.scenario.scale import scaled

    small = scaled(baseline, 0.1, name="baseline x0.1")
    kwargs: dict[str, Any] = {"years": 1, "replications": 2, "seed": 5}
    seq = caseflow.run(small, executor="sequential", **kwargs)
    procs = caseflow.run(small, executor="processes", workers=2, **kwargs)
    # Threads share one interpreter: any global or shared mutable state would show up here.
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        threads = caseflow.run(small, executor=pool, **kwargs)
    pd.testing.assert_frame_equal(seq.kpis, procs.kpis)
    pd.testing.assert_frame_equal(seq.kpis, threads.kpis)
    assert sorted(seq.kpis["replication"].unique()) == [0, 1]
    # Replication r does not depend on which replications run alongside it, or in what order.
    alone = run_replication(small, 5, 1, 1)
    pd.testing.assert_frame_equal(seq.kpis[seq.kpis["replication"] == 1].reset_index(drop=True), alone)


# ================================================================== Little's law
@dataclass
class StockFlow:
    """Pooled over replications: mean month-end stock after warm-up, entry rate per day, mean stay."""

    stock: float
    rate: float
    stay: float

    @property
    def ratio(self) -> float:
        """L / (λ W): 1 when Little's law holds."""
        return self.stock / (self.rate * self.stay)


LITTLE_REPS = 3
LITTLE_YEARS = 8


@pytest.fixture(scope="module")
def little(sampled_baseline: Scenario) -> dict[str, StockFlow]:
    """Little's law inputs for each stock, from 3 replications of 8 reported years."""
    baseline = sampled_baseline
    cin_stay = baseline.cin_plan.duration_months.mean() * DAYS_PER_MONTH
    eh_stay = baseline.early_help.duration_months.mean() * DAYS_PER_MONTH
    spec = {
        # name: (stock, entry counter, tally of completed stays or a known mean stay in days)
        "cp_plan": ("cp_plans_open_end", "cp_plans_started", "cp_ended_duration_days"),
        "looked_after": ("cla_open_end", "cla_starts", "cla_episode_days"),
        "cin_plan": ("cin_plans_open_end", "cin_plans_started", cin_stay),
        "early_help": ("early_help_open_end", "early_help_starts", eh_stay),
    }
    stocks: dict[str, list[float]] = {k: [] for k in spec}
    entries: dict[str, int] = dict.fromkeys(spec, 0)
    stays: dict[str, list[float]] = {k: [] for k in spec}
    days = 0
    for r in range(LITTLE_REPS):
        out = simulate(baseline, seed=2024, replication=r, years=LITTLE_YEARS)
        rec, w = out.recorder, out.warmup_months
        days += reported_days(out)
        for name, (stock, entry, stay) in spec.items():
            stocks[name].append(float(np.mean(rec.stocks[stock][w:])))
            entries[name] += sum(rec.counts[entry][w:])
            if isinstance(stay, str):
                months, values = rec.tallies[stay]
                stays[name] += [v for m, v in zip(months, values, strict=True) if m >= w]
    return {
        name: StockFlow(
            stock=float(np.mean(stocks[name])),
            rate=entries[name] / days,
            stay=float(np.mean(stays[name])) if isinstance(stay, str) else stay,
        )
        for name, (_, _, stay) in spec.items()
    }


# Bounds on L / (λW), pooled over 3 replications × 8 reported years.
# * Noise: month-end stocks are autocorrelated over about one mean stay, so 8 years hold ~T/(2W)
#   independent looks at each stock. CP plans (W ≈ 10 months, stock ~240, SD ~20 with sibling groups)
#   give ~2% per replication, ~1.2% pooled; CLA (W ≈ 2.5 years, stock ~400) ~4% per replication,
#   ~2.3% pooled; early help (W ≈ 5 months, ~1,500 starts a year) <1%. Across 12 single replications the
#   observed ratios were CP 0.98-1.04 and CLA 0.96-1.08.
# * Known biases, one-sided: children leave CP and CIN plans on their 18th birthday. For CIN plans W is
#   the scenario's mean planned duration, so those cut-short stays (measured: 4.6% of CIN-plan time)
#   and the CIN stock still rising through reported years 1-2 after a 1-year warm-up (plans last up to
#   4 years; ~1-2%) both pull the ratio down (observed ~0.95), and nothing can push it above 1 but
#   noise. The CP tally of completed plans leaves out the children who aged out, a ~2% effect either
#   way. So CP, CLA and early help get symmetric bounds of ≥ 3-4 SE, CIN a one-sided one.
# * Under 5 seeds, 3 × 8 years gave CP 0.975-0.986, CLA 0.977-1.012, CIN 0.934-0.941 and early help
#   0.992-1.003 (4 × 8 years on the same seeds: 0.977-0.987, 0.978-1.023, 0.930-0.943, 0.995-1.002).
LITTLE_BOUNDS = {
    "cp_plan": (0.93, 1.07),
    "cin_plan": (0.90, 1.02),
    "looked_after": (0.92, 1.08),
    "early_help": (0.96, 1.04),
}


@pytest.mark.slow  # a statistical check: runs untraced by coverage (tests/conftest.py)
@pytest.mark.parametrize("stock", list(LITTLE_BOUNDS))
def test_littles_law(little: dict[str, StockFlow], stock: str) -> None:
    sf = little[stock]
    assert sf.stock > 100
    assert sf.rate > 0
    assert sf.stay > 30
    low, high = LITTLE_BOUNDS[stock]
    assert low < sf.ratio < high, (
        f"{stock}: L = {sf.stock:.1f}, λ = {sf.rate:.4f}/day, W = {sf.stay:.1f} days, "
        f"λW = {sf.rate * sf.stay:.1f}, ratio {sf.ratio:.3f}"
    )


@pytest.mark.slow  # a statistical check: runs untraced by coverage (tests/conftest.py)
def test_cp_plan_durations_follow_the_scenario(little: dict[str, StockFlow], baseline: Scenario) -> None:
    """Completed CP plans' mean duration ≈ the scenario's banded mean.

    ~4,500 children's plans pooled, but siblings share a plan (design effect ~2.2), so ~2,000
    independent durations with SD ~6.5 months: SE ~1.4%. Children who turn 18 during a plan leave
    on their birthday and are not in the tally; long plans are over-represented among them (~-2%).
    6% is the bias plus ~3 SE: under 5 seeds the pooled mean was 0.2-4.6% off (1.2-4.2% with 4
    replications of the same seeds).
    """
    expected = baseline.cp_plan.duration_months.mean() * DAYS_PER_MONTH
    assert little["cp_plan"].stay == pytest.approx(expected, rel=0.06)


# ================================================================== ages
@dataclass
class AgeCheck:
    months: int
    looked_after_18_plus: int
    looked_after_seen: int
    in_need_18_plus: Counter[str]


@pytest.fixture(scope="module")
def age_check(sampled_baseline: Scenario) -> tuple[AgeCheck, ReplicationOutput]:
    """Ages of every child in each stage at every month end of a tracked 3-year run."""
    check = AgeCheck(0, 0, 0, Counter())

    class Ages:
        """A month-end observer that looks at every child's age."""

        def month_end(self, event: MonthEnd) -> None:
            t = event.time
            assert event.census.children is not None
            check.months += 1
            for c in event.census.children:
                if c.stage is Stage.LOOKED_AFTER:
                    check.looked_after_seen += 1
                    check.looked_after_18_plus += c.age(t) >= 18
                if c.stage.is_child_in_need and c.age(t) >= 18:
                    check.in_need_18_plus[c.stage.name] += 1

    out = simulate(sampled_baseline, seed=8, years=2, track_children=True, observers=[lambda _: Ages()])
    return check, out


def test_children_in_need_are_counted_from_referral_to_the_end_of_the_episode() -> None:
    """DfE's children in need: referred (in assessment or s47), on a plan, in care, or in pre-proceedings
    or proceedings; not a contact, early help, a closed case or a child who has left."""
    from caseflow.model.entities import Stage

    in_need = {s for s in Stage if s.is_child_in_need}
    assert in_need == {
        Stage.ASSESSMENT,
        Stage.S47,
        Stage.CIN_PLAN,
        Stage.CP_PLAN,
        Stage.LOOKED_AFTER,
        Stage.PRE_PROCEEDINGS,
        Stage.PROCEEDINGS,
    }


@pytest.mark.untraced
def test_looked_after_children_are_under_18(age_check: tuple[AgeCheck, ReplicationOutput]) -> None:
    check, out = age_check
    assert check.months == len(out.months) == 36
    assert check.looked_after_seen > 36 * 300
    assert check.looked_after_18_plus == 0


def test_care_leavers_leave_at_18(age_check: tuple[AgeCheck, ReplicationOutput]) -> None:
    _, out = age_check
    counts = out.recorder.counts
    leaving = sum(counts["cla_ceased_age_18"])
    # ~68 a year in the baseline (figures: 18+ leavers are ~35-40% of exits).
    assert 100 < leaving < 300
    destinations = sum(sum(v) for k, v in counts.items() if k.startswith("cla_ceased_age_18_"))
    assert destinations == leaving
    assert 0.25 < leaving / sum(counts["cla_ceased"]) < 0.6


def test_children_leave_plans_on_their_18th_birthday(age_check: tuple[AgeCheck, ReplicationOutput]) -> None:
    """No one aged 18 or over is on a CP or CIN plan at a month end (stocks are of children 0-17)."""
    check, out = age_check
    assert check.in_need_18_plus["CP_PLAN"] == 0
    assert check.in_need_18_plus["CIN_PLAN"] == 0
    assert sum(out.recorder.counts["children_left_at_18"]) > 50


def test_no_adults_in_assessment_or_s47(age_check: tuple[AgeCheck, ReplicationOutput]) -> None:
    check, _ = age_check
    assert check.in_need_18_plus["ASSESSMENT"] + check.in_need_18_plus["S47"] == 0, dict(
        check.in_need_18_plus
    )


# ================================================================== history flags and routes
RECONTACT_OFF = {
    "recontact.after_front_door": 0.0,
    "recontact.after_early_help": 0.0,
    "recontact.after_assessment": 0.0,
    "recontact.after_plan": 0.0,
    "demand.prior_cp_plan": 0.0,
}


def flag_total(out: ReplicationOutput, name: str) -> tuple[float, int]:
    """(sum of the 0/1 flags, number of flags) of tally ``name`` after the warm-up."""
    months, values = out.recorder.tallies[name]
    sel = [v for m, v in zip(months, values, strict=True) if m >= out.warmup_months]
    return float(sum(sel)), len(sel)


@pytest.mark.untraced
def test_no_returning_families_means_no_re_referrals(variant: Variant) -> None:
    out = simulate(variant(RECONTACT_OFF), seed=1, years=1)
    re_referrals, referrals = flag_total(out, "re_referral")
    assert referrals > 2000
    assert re_referrals == 0
    assert sum(out.recorder.counts["contacts_from_returning"]) == 0
    # Second CP plans can still come from a CIN plan escalating back to s47 after a CP plan: rare.
    second, plans = flag_total(out, "cp_second_or_subsequent")
    assert plans > 150
    assert second / plans < 0.05


@pytest.mark.untraced
def test_no_repeat_routes_means_no_second_cp_plans(variant: Variant) -> None:
    end = variant({}).cin_plan.end
    out = simulate(
        variant({**RECONTACT_OFF, "cin_plan.end.s47": 0.0, "cin_plan.end.closure": end.closure + end.s47}),
        seed=1,
        years=1,
    )
    second, plans = flag_total(out, "cp_second_or_subsequent")
    assert plans > 150
    assert second == 0


@pytest.mark.untraced
def test_prior_cp_history_makes_plans_repeat(variant: Variant, baseline_run: ReplicationOutput) -> None:
    out = simulate(variant({"demand.prior_cp_plan": 1.0}), seed=1, years=1)
    second, plans = flag_total(out, "cp_second_or_subsequent")
    # Every new-concern child now has a prior plan; first plans can only come from the opening
    # caseload (CIN plans escalating to s47, children in care returning home and coming back), which
    # thins out over the run: 94% in the first reported year here, 97% in the second.
    assert second / plans > 0.9
    base_second, base_plans = flag_total(baseline_run, "cp_second_or_subsequent")
    assert 0.15 < base_second / base_plans < 0.35


@pytest.mark.untraced
def test_more_returning_families_means_more_re_referrals(
    variant: Variant, baseline_run: ReplicationOutput
) -> None:
    out = simulate(
        variant({"recontact.after_assessment": 1.0, "recontact.after_plan": 0.5}), seed=11, years=2
    )
    high, n_high = flag_total(out, "re_referral")
    base, n_base = flag_total(baseline_run, "re_referral")
    assert high / n_high > base / n_base + 0.03


@pytest.mark.untraced
def test_no_mash_referrals_means_no_referrals(variant: Variant) -> None:
    out = simulate(
        variant(
            {
                "mash.outcome.referral": 0.0,
                "mash.outcome.early_help": 0.40,
                "mash.outcome.no_further_action": 0.60,
            }
        ),
        seed=1,
        years=1,
    )
    counts = out.recorder.counts
    assert sum(counts["contacts"]) > 20000
    assert sum(counts["referrals"]) == 0
    assert flag_total(out, "re_referral") == (0.0, 0)
    assert sum(counts["early_help_starts"]) > 0


@pytest.mark.untraced
def test_nfa_at_referral_stops_assessments(variant: Variant) -> None:
    out = simulate(variant({"referral.no_further_action": 1.0}), seed=1, years=1)
    done = out.recorder.counts["assessments_completed"]
    # The opening caseload's assessments (≤ 90 working days, ≈ 4.3 months) finish in the first months;
    # after that every referral is closed before assessment.
    assert sum(done[:5]) >= out.scenario.opening_stock.in_assessment * 0.9
    assert sum(done[5:]) == 0
    nfa, referrals = flag_total(out, "referral_nfa")
    assert referrals > 2000
    assert nfa == referrals
    # No assessments, no urgent strategy discussions: new s47s only from the opening plans' escalations.
    assert sum(out.recorder.counts["urgent_referrals"]) == 0


def test_early_help_off_means_no_early_help(variant: Variant, baseline_run: ReplicationOutput) -> None:
    """With every route into early help closed no one starts it (checked at a fifth of the baseline's
    size: a count of zero does not depend on size); the full-size baseline run shows the routes in use."""
    from caseflow.scenario.scale import scaled

    base = variant({})
    off = variant(
        {
            "front_door.early_help_if_not_mash": 0.0,
            "mash.outcome.early_help": 0.0,
            "mash.outcome.no_further_action": base.mash.outcome.no_further_action
            + base.mash.outcome.early_help,
            "assessment.not_in_need_step_down": 0.0,
            "cin_plan.end.step_down": 0.0,
            "cin_plan.end.closure": base.cin_plan.end.closure + base.cin_plan.end.step_down,
        }
    )
    out = simulate(scaled(off, 0.2), seed=1, years=1)
    assert sum(out.recorder.counts["early_help_starts"]) == 0
    assert max(out.recorder.stocks["early_help_open_end"]) == 0
    # Baseline: ~1,500 children a year start early help (~250 per 10k, ADCS).
    per_year = sum(baseline_run.recorder.counts["early_help_starts"][12:]) / 2
    assert 1200 < per_year < 1900


# ================================================================== seasonality of demand
@pytest.fixture(scope="module")
def rates(baseline: Scenario) -> tuple[dict[str, np.ndarray], list[dt.date], Calendar]:
    days = 3 * 365 + 1  # three whole years from 1 April 2025, including 29 February 2028
    cal = Calendar(baseline.run.start_date, days + 10, lead_days=10)
    dates = [baseline.run.start_date + dt.timedelta(days=i) for i in range(days)]
    return daily_rates(baseline, cal, days), dates, cal


def test_august_dip(rates: tuple[dict[str, np.ndarray], list[dt.date], Calendar]) -> None:
    r, dates, _ = rates
    month = np.array([d.month for d in dates])
    total = sum(r.values())
    assert total[month == 8].mean() < 0.9 * total.mean()
    assert r["schools"][month == 8].mean() < 0.15 * r["schools"].mean()
    # Police contacts do not dip in summer.
    assert r["police"][month == 8].mean() > r["police"].mean()


def test_weekdays_busier_than_weekends(rates: tuple[dict[str, np.ndarray], list[dt.date], Calendar]) -> None:
    r, dates, cal = rates
    total = sum(r.values())
    weekday = np.array([d.weekday() < 5 for d in dates])
    working = np.array([cal.is_working_day(float(i)) for i in range(len(dates))])
    assert total[weekday & working].mean() > 2 * total[~weekday].mean()
    # Bank holidays (weekdays that are not working days) are as quiet as weekends.
    holiday = weekday & ~working
    assert holiday.sum() >= 20
    assert total[holiday].mean() == pytest.approx(total[~weekday].mean(), rel=0.1)


def test_patterns_keep_the_annual_volume(
    baseline: Scenario, rates: tuple[dict[str, np.ndarray], list[dt.date], Calendar]
) -> None:
    r, _, _ = rates
    total = sum(r.values()) * mean_family_size(baseline)
    for year in range(3):
        assert total[365 * year : 365 * (year + 1)].sum() == pytest.approx(
            baseline.demand.contacts_per_year, rel=0.01
        )
    shares = {name: v.sum() / sum(x.sum() for x in r.values()) for name, v in r.items()}
    for name, src in baseline.demand.sources.items():
        assert shares[name] == pytest.approx(src.share, rel=0.01)


def test_a_source_volume_scales_that_source_alone(baseline: Scenario) -> None:
    """Police contacts down 30% (``volume = 0.7``): police rates are 0.7 times, the other sources' rates
    and, under common random numbers, their arrival times are exactly as they were."""
    days = 400
    cal = Calendar(baseline.run.start_date, days + 10, lead_days=10)
    fewer = baseline.with_overrides({"demand.sources.police.volume": 0.7})
    before, after = daily_rates(baseline, cal, days), daily_rates(fewer, cal, days)
    np.testing.assert_allclose(after["police"], 0.7 * before["police"])
    for name in before:
        if name != "police":
            np.testing.assert_array_equal(after[name], before[name])
    t0, s0, names = draw_arrivals(baseline, cal, Streams(3, 0), days)
    t1, s1, _ = draw_arrivals(fewer, cal, Streams(3, 0), days)
    police = names.index("police")
    np.testing.assert_array_equal(t0[s0 != police], t1[s1 != police])
    assert 0.6 < (s1 == police).sum() / (s0 == police).sum() < 0.8


def test_simulated_school_contacts_dip_in_august(baseline_run: ReplicationOutput) -> None:
    schools = np.array(baseline_run.recorder.counts["contacts_from_schools"], dtype=float)
    august = [i for i, m in enumerate(baseline_run.months) if m.endswith("-08")]
    assert len(august) == 3
    assert schools[august].mean() < 0.2 * schools.mean()
    contacts = np.array(baseline_run.recorder.counts["contacts"], dtype=float)
    assert contacts[august].mean() < contacts.mean()


def test_contacts_and_referrals_by_source_add_up(baseline_run: ReplicationOutput) -> None:
    counts = baseline_run.recorder.counts
    sources = [n.removeprefix("contacts_from_") for n in counts if n.startswith("contacts_from_")]
    assert {"police", "schools", "returning"} <= set(sources)
    assert sum(sum(counts[f"contacts_from_{s}"]) for s in sources) == sum(counts["contacts"])
    by_source = sum(sum(counts.get(f"referrals_from_{s}", [])) for s in sources)
    assert 0 < by_source <= sum(counts["referrals"])
    frame = caseflow.compute_kpis(baseline_run)
    years = frame[(frame.period_type == "financial_year") & ~frame.warmup].set_index(["period", "kpi"])[
        "value"
    ]
    period = years.index[0][0]
    for s in sources:
        assert 0 <= years[(period, f"contact_to_referral_pct_{s}")] <= 100
    # police contacts convert least (the scenario's to_mash), schools more
    assert (
        years[(period, "contact_to_referral_pct_police")] < years[(period, "contact_to_referral_pct_schools")]
    )
    # a screening time for every child screened: at least one per child referred from a contact
    _months, days = baseline_run.recorder.tallies["mash_screening_wd"]
    assert len(days) >= by_source
    assert min(days) >= 0
    assert 0 < years[(period, "mash_screening_within_3wd_pct")] <= 100


def test_team_workforce_records_add_up_to_the_authority(baseline_run: ReplicationOutput) -> None:
    rec = baseline_run.recorder
    teams = [n.removeprefix("sw_fte_in_post_") for n in rec.stocks if n.startswith("sw_fte_in_post_")]
    assert set(teams) == {"front_door", "assessment", "cin_cp", "children_in_care", "care_leavers"}
    total = np.sum([rec.stocks[f"sw_fte_in_post_{t}"] for t in teams], axis=0)
    np.testing.assert_allclose(total, rec.stocks["sw_fte_in_post"])
    leavers = sum(sum(rec.counts.get(f"sw_leavers_fte_{t}", [])) for t in teams)
    assert leavers == pytest.approx(sum(rec.counts["sw_leavers_fte"]))
    frame = caseflow.compute_kpis(baseline_run)
    names = set(frame["kpi"])
    for t in teams:
        assert {f"sw_vacancy_pct_{t}", f"sw_agency_pct_{t}", f"sw_turnover_pct_{t}"} <= names
    values = frame[frame["kpi"].str.startswith(("sw_vacancy_pct_", "sw_agency_pct_"))]["value"].dropna()
    assert ((values >= 0) & (values <= 100)).all()


# ================================================================== KPI table
def test_kpi_frame_shape(baseline_run: ReplicationOutput) -> None:
    out = baseline_run
    frame = caseflow.compute_kpis(out)
    assert list(frame.columns) == ["replication", "period_type", "period", "warmup", "kpi", "value"]
    names = [k.name for k in KPIS]
    assert len(set(names)) == len(names)
    per_period = frame.groupby(["period_type", "period"])["kpi"]
    first = set(frame["kpi"])
    # Every contract KPI in every period, each once; per-team extras (the same in every period) allowed.
    assert set(names) <= first
    for (ptype, period), kpis in per_period:
        assert kpis.is_unique, (ptype, period)
        assert set(kpis) == first, (ptype, period)
    assert frame.groupby(["period_type", "period"])["warmup"].nunique().eq(1).all()

    fy = frame[frame["period_type"] == "financial_year"]
    labels = list(dict.fromkeys(fy["period"]))
    assert labels == ["2025-26", "2026-27", "2027-28"]
    for label in labels:
        m = re.fullmatch(r"(\d{4})-(\d{2})", label)
        assert m is not None
        assert int(m[2]) == (int(m[1]) + 1) % 100
    warm = fy.groupby("period")["warmup"].first()
    assert warm.to_dict() == {"2025-26": True, "2026-27": False, "2027-28": False}

    months = frame[frame["period_type"] == "month"]
    month_labels = list(dict.fromkeys(months["period"]))
    assert len(month_labels) == 36
    assert month_labels[0] == "2025-04"
    assert month_labels[-1] == "2028-03"
    assert months.groupby("period", sort=False)["warmup"].first().tolist() == [True] * 12 + [False] * 24


def test_kpi_periods_add_up(baseline_run: ReplicationOutput) -> None:
    """A year's counts are the sum of its months; its stocks are the March values; rates per 10k."""
    frame = caseflow.compute_kpis(baseline_run)
    value = frame.set_index(["period", "kpi"])["value"]
    months = [f"2026-{m:02d}" for m in range(4, 13)] + [f"2027-{m:02d}" for m in range(1, 4)]
    for kpi in ("contacts", "referrals", "s47_enquiries", "cp_plans_started", "cla_starts"):
        assert value[("2026-27", kpi)] == sum(value[(m, kpi)] for m in months)
    for kpi in ("cp_plans_open_end", "cla_open_end", "cin_open_end"):
        assert value[("2026-27", kpi)] == value[("2027-03", kpi)]
    pop = baseline_run.scenario.population
    assert value[("2026-27", "referrals_per_10k")] == pytest.approx(
        value[("2026-27", "referrals")] / pop * 1e4
    )
    assert value[("2026-27", "cla_per_10k_end")] == pytest.approx(
        value[("2026-27", "cla_open_end")] / pop * 1e4
    )
    # DfE CIN includes CP and CLA.
    assert (
        value[("2026-27", "cin_open_end")]
        > value[("2026-27", "cp_plans_open_end")] + value[("2026-27", "cla_open_end")]
    )
    for kpi in ("assessment_within_45wd_pct", "re_referrals_12m_pct", "contact_to_referral_pct"):
        assert 0 < value[("2026-27", kpi)] < 100


# ================================================================== scenario variants
def test_with_overrides_applies_an_override(baseline: Scenario) -> None:
    s2 = baseline.with_overrides({"referral.no_further_action": 0.1})
    assert s2.referral.no_further_action == 0.1
    assert baseline.referral.no_further_action == 0.065  # the original is unchanged
    assert s2.run.start_date == baseline.run.start_date
    assert s2.hash() != baseline.hash()
    assert baseline.with_overrides({}).hash() == baseline.hash()
