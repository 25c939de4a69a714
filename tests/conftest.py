"""Shared fixtures: the baseline scenario, scenario variants, and one baseline experiment."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import caseflow
from caseflow.experiment import Results
from caseflow.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE_PATH = REPO / "scenarios" / "baseline.toml"

#: The experiment the validation-band tests check: 8 replications of 5 reported years (after the
#: scenario's 1-year warm-up), seeded as in docs.
BAND_SEED = 20261123
BAND_REPLICATIONS = 8
BAND_YEARS = 5


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return caseflow.load_scenario(BASELINE_PATH)


@contextmanager
def queue_form(compiled: bool) -> Iterator[None]:
    """Every :class:`~caseflow.model.environment.Environment` made inside keeps its events in one form of
    :func:`~caseflow.model.event_queue.new_event_queue`: compiled entries, or SimPy's tuples in heapq
    (the build chooses otherwise, so a test run as plain Python would never see the compiled form)."""
    import caseflow.model.environment as environment_module
    from caseflow.model.event_queue import new_event_queue

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            environment_module, "new_event_queue", lambda env, window: new_event_queue(env, window, compiled)
        )
        yield


@pytest.fixture(params=[True, False], ids=["compiled entries", "tuples"])
def queue_forms(request: pytest.FixtureRequest) -> Iterator[bool]:
    """The test runs once with each form of the event queue (:func:`queue_form`)."""
    with queue_form(request.param):
        yield request.param


def make_variant(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A validated copy of ``scenario`` with ``{"dotted.path": value}`` overrides."""
    return scenario.with_overrides(dict(overrides), name=f"{scenario.name} (test variant)")


@pytest.fixture(scope="session")
def small_baseline(baseline: Scenario) -> Scenario:
    """The baseline scaled to a fifth (12,000 children, the same rates and caseloads): for tests of
    properties that do not depend on size (seeds, executors), at a fifth of the cost."""
    from caseflow.scenario.scale import scaled

    return scaled(baseline, 0.2, name="baseline x0.2")


@pytest.fixture(scope="session")
def sampled_baseline(baseline: Scenario) -> Scenario:
    """The baseline with the workforce switched off: statutory work takes its sampled (published)
    durations and capacity is unlimited (:class:`caseflow.model.capacity.SampledDurations`).

    Tests of the pathway itself (Little's law, the opening caseload, routes and flags) use it: plan
    and care durations do not depend on the capacity model, and a replication runs ~4× faster.
    """
    if baseline.workforce is None:
        return baseline
    return make_variant(baseline, {"workforce.enabled": False})


@pytest.fixture(scope="session")
def variant(sampled_baseline: Scenario) -> Callable[[Mapping[str, Any]], Scenario]:
    """``variant({...})``: the sampled-durations baseline with overrides applied."""

    def make(overrides: Mapping[str, Any]) -> Scenario:
        return make_variant(sampled_baseline, overrides)

    return make


@pytest.fixture(scope="session")
def baseline_results(baseline: Scenario) -> Results:
    """The baseline over 5 reported years, 8 replications: computed once per test session."""
    return caseflow.run(baseline, years=BAND_YEARS, replications=BAND_REPLICATIONS, seed=BAND_SEED, workers=2)


def _tracing() -> list[Any]:
    """The coverage measurements running in this process, oldest first (none under ``--no-cov``).

    There can be two: in an xdist worker pytest-cov starts one as if it were the controller and then the
    worker's own on top of it, so pausing the worker's (what pytest-cov's ``no_cover`` marker does) only
    hands tracing back to the other, at the same cost.
    """
    import coverage

    return [c for c in coverage.Coverage._instances if c._started]


#: Markers whose tests run untraced (see :func:`_untraced`).
UNTRACED_MARKERS = ("slow", "untraced")


def _untraced_here(item: pytest.Item) -> bool:
    """Whether ``item`` runs untraced: it is marked ``slow`` or ``untraced``, unless the environment
    variable ``CASEFLOW_TRACE_ALL`` is set (``scripts/coverage_owners.py`` traces every test to see what
    each one alone covers)."""
    if os.environ.get("CASEFLOW_TRACE_ALL"):
        return False
    return any(item.get_closest_marker(name) is not None for name in UNTRACED_MARKERS)


@contextmanager
def _untraced(item: pytest.Item) -> Iterator[None]:
    """Run a ``slow`` or ``untraced`` test's phase (fixture set-up or the test itself) without coverage
    tracing.

    Coverage's tracer makes simulation-heavy code about three times slower on Python 3.11, and tracing
    every test would put ``.ci/run`` well over its 20-minute budget. ``slow`` tests (statistical checks,
    their module fixtures' simulations included) exercise code the rest of the suite already covers;
    ``untraced`` tests are the heaviest of the others, chosen so that traced tests also run nearly
    everything they run (when chosen, 30 of 24,148 arcs were theirs alone; ``python
    scripts/coverage_owners.py`` repeats the check, line by line). Both still run, and still fail the
    build if they fail.
    """
    running = _tracing() if _untraced_here(item) else []
    for cov in reversed(running):  # newest first: coverage keeps its measurements in a stack
        cov.stop()
    try:
        yield
    finally:
        for cov in running:
            cov.start()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _untraced(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _untraced(item):
        return (yield)
