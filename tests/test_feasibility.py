"""Runs fail early, not deep inside (issue 14, item 2).

A replication estimated to need more events or memory than its budget's ceilings is refused before its
first event, with a message naming what was estimated, the limit and what to change; a run given a
wall-clock or event budget stops cleanly when it is spent, saying where it got to. Within its budget a
run's results are exactly those without one.
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import pytest

import caseflow
import caseflow.experiment.runner as runner_module
from caseflow import Budget, BudgetError, BudgetExceededError, RunRefusedError
from caseflow.metrics import compute_kpis
from caseflow.model.budget import CHECK_EVERY, DEFAULT_MAX_EVENTS, DEFAULT_MAX_MEMORY_MB, check, estimate
from caseflow.model.simulation import SampledDurations, Setting
from caseflow.replication import simulate
from caseflow.scenario import Scenario, ScenarioError
from caseflow.scenario.scale import scaled


@pytest.fixture(scope="module")
def small(baseline: Scenario) -> Scenario:
    """The baseline at 1/20 of its size (3,000 children), one year, no warm-up."""
    return scaled(baseline, 0.05).with_overrides({"run.warmup_years": 0, "run.years": 1})


class Untouchable:
    """A capacity factory that fails the test if the replication gets as far as building its capacity."""

    def __init__(self) -> None:
        self.built = False

    def __call__(self, setting: Setting) -> Any:
        self.built = True
        return SampledDurations(setting.env, setting.calendar, setting.scenario, setting.streams)


# ========================================================================================== estimate
def test_estimate_is_close_for_a_run_whose_staff_keep_up(small: Scenario) -> None:
    out = simulate(small, seed=1)
    est = out.estimate
    assert est is not None
    assert est == estimate(small)
    assert 0.9 * out.events <= est.events <= 2.0 * out.events
    contacts = sum(out.recorder.counts["contacts"])
    assert 0.8 * contacts <= est.contacts <= 1.3 * contacts
    assert est.waiting_contacts == 0
    assert est.unallocated == 0
    assert not est.recontact_runaway
    assert 20 < est.memory_mb < 100


def test_estimate_grows_with_demand_and_years(small: Scenario) -> None:
    one = estimate(small)
    twice = estimate(small.with_overrides({"demand.contacts_per_year": 2 * small.demand.contacts_per_year}))
    longer = estimate(small, years=4)
    assert twice.contacts == pytest.approx(2 * one.contacts, rel=0.01)
    assert twice.events > one.events
    assert longer.contacts == pytest.approx(4 * one.contacts, rel=0.01)
    assert longer.years == 4


def test_the_largest_authority_passes_the_default_ceilings(baseline: Scenario) -> None:
    """About 330,000 children with five times the baseline's contacts, over 10 years after a warm-up."""
    largest = scaled(baseline, 5.5).with_overrides({"run.years": 10})
    est = check(largest)
    assert est.events < DEFAULT_MAX_EVENTS / 5
    assert est.memory_mb < DEFAULT_MAX_MEMORY_MB / 5


def test_a_front_door_without_the_hours_is_estimated_to_hold_its_contacts(small: Scenario) -> None:
    est = estimate(small.with_overrides({"workforce.teams.front_door.establishment": 0.0}))
    assert est.waiting_contacts == pytest.approx(est.contacts)
    assert "front door has too few hours" in est.describe()


# =========================================================================================== refusal
def test_absurd_demand_is_refused_before_the_first_event(baseline: Scenario) -> None:
    absurd = baseline.with_overrides({"demand.contacts_per_year": 1_000_000.0, "run.years": 50})
    factory = Untouchable()
    with pytest.raises(RunRefusedError) as refused:
        simulate(absurd, capacity=factory)
    assert not factory.built  # nothing was built: no calendar, no arrivals, no event
    message = str(refused.value)
    assert "'baseline' was not run" in message
    assert "the limit is 50.0 million" in message
    assert "demand.contacts_per_year" in message
    assert "caseflow.Budget(max_estimated_events=" in message
    assert isinstance(refused.value, BudgetError)
    assert isinstance(refused.value, ValueError)
    assert refused.value.estimate.contacts > 1e7
    assert refused.value.budget == Budget()


@pytest.mark.parametrize(
    "overrides",
    [
        # a review conference every thousandth of a second
        {"cp_plan.review_interval_months": 1e-9, "cp_plan.first_review_months": 1e-9},
        # agency workers replaced every moment, at once
        {
            "workforce.dynamics.agency_lead_weeks": 0.0,
            "workforce.dynamics.agency_assignment_months": 1e-9,
            "workforce.dynamics.agency_backfill": 1.0,
        },
        # every family comes straight back, for ever
        {
            "recontact.after_front_door": 1.0,
            "recontact.after_early_help": 1.0,
            "recontact.after_assessment": 1.0,
            "recontact.after_plan": 1.0,
            "recontact.mean_delay_months": 1e-9,
        },
    ],
    ids=["reviews", "agency", "recontact"],
)
def test_runs_that_would_never_end_are_refused_early(small: Scenario, overrides: dict[str, Any]) -> None:
    """Each of these used to run for ever. The schema may refuse them; if not, the estimate does."""
    factory = Untouchable()
    with pytest.raises((ScenarioError, RunRefusedError)):
        simulate(small.with_overrides(overrides), capacity=factory)
    assert not factory.built


def test_ceilings_can_be_raised(baseline: Scenario) -> None:
    absurd = baseline.with_overrides({"demand.contacts_per_year": 1_000_000.0, "run.years": 50})
    lifted = Budget(max_estimated_events=math.inf, max_estimated_memory_mb=math.inf)
    est = check(absurd, budget=lifted)
    assert est.events > DEFAULT_MAX_EVENTS
    with pytest.raises(RunRefusedError):
        check(absurd, budget=Budget(max_estimated_events=math.inf))  # memory still over


def test_caseflow_run_refuses_before_any_replication(
    baseline: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("replications were started")

    monkeypatch.setattr(runner_module, "execute", never)
    absurd = baseline.with_overrides({"demand.contacts_per_year": 1_000_000.0, "run.years": 50})
    with pytest.raises(RunRefusedError):
        caseflow.run(absurd, replications=3, executor="sequential")
    with pytest.raises(RunRefusedError):  # a tighter budget of one's own
        caseflow.run(
            baseline, replications=3, executor="sequential", budget=Budget(max_estimated_events=1000)
        )


# ============================================================================================ budget
def test_event_budget_stops_the_run_cleanly(small: Scenario) -> None:
    with pytest.raises(BudgetExceededError) as stopped:
        simulate(small, seed=1, budget=Budget(events=2_000))
    e = stopped.value
    assert e.limit == "events"
    assert 2_000 < e.events < 2_000 + CHECK_EVERY
    assert 0 < e.day < e.days
    message = str(e)
    assert f"the run stopped at {e.date}" in message
    assert "the event budget of 2,000 events was spent" in message
    assert "Budget(events=...)" in message
    # the same run stops at the same point
    with pytest.raises(BudgetExceededError) as again:
        simulate(small, seed=1, budget=Budget(events=2_000))
    assert (again.value.events, again.value.date) == (e.events, e.date)


def test_wall_clock_budget_stops_the_run_cleanly(small: Scenario) -> None:
    with pytest.raises(BudgetExceededError) as stopped:
        simulate(small, seed=1, budget=Budget(seconds=1e-9))
    assert stopped.value.limit == "seconds"
    assert "the wall-clock budget of 1e-09 seconds was spent" in str(stopped.value)
    assert "Budget(seconds=...)" in str(stopped.value)


def test_a_run_within_its_budget_gives_exactly_the_results_without_one(small: Scenario) -> None:
    free = simulate(small, seed=4, records=True)
    limited = simulate(small, seed=4, records=True, budget=Budget(seconds=1e6, events=10**9))
    assert limited.events == free.events
    assert compute_kpis(limited).equals(compute_kpis(free))
    assert limited.case_records is not None
    assert limited.case_records.equals(free.case_records)


def test_run_passes_the_budget_to_every_replication(small: Scenario) -> None:
    with pytest.raises(BudgetExceededError):
        caseflow.run(small, replications=2, executor="sequential", budget=Budget(events=2_000))
    results = caseflow.run(small, replications=2, executor="sequential", budget=Budget(seconds=1e6))
    assert results.replications == 2


def test_job_key_does_not_depend_on_the_budget(small: Scenario) -> None:
    plain = runner_module.Job(small, 1, 0, None)
    budgeted = runner_module.Job(small, 1, 0, None, budget=Budget(seconds=60))
    assert plain.key() == budgeted.key()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seconds": 0},
        {"seconds": -1.0},
        {"seconds": math.nan},
        {"events": 0},
        {"events": 2.5},
        {"events": True},
        {"max_estimated_events": 0},
        {"max_estimated_memory_mb": math.nan},
    ],
)
def test_a_budget_must_make_sense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Budget"):
        Budget(**kwargs)


def test_budget_errors_survive_a_trip_to_a_worker_process(small: Scenario) -> None:
    with pytest.raises(BudgetExceededError) as stopped:
        simulate(small, seed=1, budget=Budget(events=2_000))
    back = pickle.loads(pickle.dumps(stopped.value))
    assert (type(back), str(back), back.limit, back.events, back.date) == (
        BudgetExceededError,
        str(stopped.value),
        "events",
        stopped.value.events,
        stopped.value.date,
    )
    absurd = small.with_overrides({"demand.contacts_per_year": 1_000_000.0, "run.years": 50})
    with pytest.raises(RunRefusedError) as refused:
        check(absurd)
    again = pickle.loads(pickle.dumps(refused.value))
    assert str(again) == str(refused.value)
    assert again.estimate == refused.value.estimate


# ================================================================== the planning functions take a budget
_CONTACTS, _POSTS = "demand.contacts_per_year", "workforce.teams.assessment.establishment"


def _planning_calls(small: Scenario, budget: Budget) -> dict[str, Any]:
    """Each planning function on the small scenario with ``budget``: a name and a call."""
    from caseflow.experiment.frontier import capacity_frontier, demand_frontier
    from caseflow.experiment.sensitivity import assumptions, sensitivity
    from caseflow.experiment.target import find_target

    run = {"executor": "sequential", "budget": budget}
    return {
        "find_target": lambda: find_target(
            small,
            _POSTS,
            ["assessment_within_45wd_pct>=50"],
            initial_replications=2,
            max_replications=2,
            **run,
        ),
        "capacity_frontier": lambda: capacity_frontier(
            small, "assessment", levels=[1.0, 2.0], replications=2, stable=False, **run
        ),
        "demand_frontier": lambda: demand_frontier(
            small, between=(1.0, 1.2), step=0.1, replications=2, max_replications=2, **run
        ),
        "sensitivity": lambda: sensitivity(
            small, parameters=assumptions(small, fields=[_CONTACTS, _POSTS]), trajectories=2, **run
        ),
    }


@pytest.mark.parametrize("name", ["find_target", "capacity_frontier", "demand_frontier", "sensitivity"])
def test_planning_functions_refuse_a_level_over_budget_before_it_runs(
    small: Scenario, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A budget whose estimate ceiling no replication can meet: refused before a replication starts."""
    import caseflow.experiment.levels as levels_module
    import caseflow.experiment.sensitivity as sensitivity_module

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("replications were started")

    monkeypatch.setattr(levels_module, "execute", never)
    monkeypatch.setattr(sensitivity_module, "execute", never)
    with pytest.raises(RunRefusedError):
        _planning_calls(small, Budget(max_estimated_events=1_000))[name]()


@pytest.mark.parametrize("name", ["find_target", "capacity_frontier"])
def test_planning_functions_pass_the_budget_to_every_replication(small: Scenario, name: str) -> None:
    with pytest.raises(BudgetExceededError):
        _planning_calls(small, Budget(events=2_000))[name]()
