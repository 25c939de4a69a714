"""caseflow's SimPy environment holds far-off events outside the event queue; events must still happen
in exactly the order SimPy would give them, so results are identical (caseflow.model.environment)."""

from __future__ import annotations

from collections.abc import Generator

import pandas as pd
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import queue_form

import caseflow.model.simulation as simulation_module
from caseflow import compute_kpis
from caseflow.model.environment import Environment
from caseflow.replication import simulate
from caseflow.scenario import Scenario

WINDOW = 28.0


def _trace(env: simpy.Environment, plan: list[list[float]]) -> list[tuple[float, int, int]]:
    """Each process waits its delays in turn; returns (time, process, step) in the order they happen."""
    seen: list[tuple[float, int, int]] = []

    def proc(i: int, delays: list[float]) -> Generator[simpy.Event, None, None]:
        for k, d in enumerate(delays):
            yield env.timeout(d)
            seen.append((env.now, i, k))

    for i, delays in enumerate(plan):
        env.process(proc(i, delays))
    env.run(until=10_000)
    return seen


# delays on a coarse grid so that many events fall due at the same instant, near and far
delays = st.lists(st.integers(0, 40).map(lambda x: x * 2.5), min_size=1, max_size=6)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled entries", "tuples"])
@settings(max_examples=200, deadline=None)
@given(plan=st.lists(delays, min_size=1, max_size=12))
def test_events_happen_in_simpys_order(compiled: bool, plan: list[list[float]]) -> None:
    """Near and far events, held or not, in either form of the queue: SimPy's order exactly."""
    expected = _trace(simpy.Environment(), plan)
    with queue_form(compiled):
        assert _trace(Environment(window=WINDOW), plan) == expected
        assert _trace(Environment(window=3.0), plan) == expected  # almost everything held


def test_far_events_wait_outside_the_queue_until_their_period(queue_forms: bool) -> None:
    env = Environment(window=WINDOW)
    env.timeout(5.0)
    env.timeout(100.0)
    env.timeout(101.0)
    env.timeout(300.0)
    assert env.held == 3
    env.run(until=90.0)
    assert env.held == 1  # 100 and 101 (the period 84-112) released at 84; 300 still held
    env.run(until=301.0)
    assert env.held == 0


def test_now_reads_simpys_clock() -> None:
    """``now`` is read by a C getter here (the model reads it hundreds of thousands of times a run), and
    is still SimPy's clock: the time of the event being processed, and not settable."""
    env = Environment(initial_time=3.5)
    assert env.now == 3.5
    env.run(until=10.0)
    assert env.now == env._now == 10.0
    with pytest.raises(AttributeError):
        env.now = 1.0


def test_timeout_is_bound_to_the_instance() -> None:
    """SimPy binds timeout, event and process to the instance only for its own class's attributes."""
    env = Environment()
    assert "timeout" in vars(env)
    assert "process" in vars(env)


@pytest.mark.untraced
def test_a_replication_is_identical_with_simpys_environment(
    sampled_baseline: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = simulate(sampled_baseline, seed=7, years=1, records=True)
    monkeypatch.setattr(simulation_module, "Environment", simpy.Environment)
    plain = simulate(sampled_baseline, seed=7, years=1, records=True)
    pd.testing.assert_frame_equal(compute_kpis(held), compute_kpis(plain))
    assert held.case_records is not None
    assert plain.case_records is not None
    pd.testing.assert_frame_equal(held.case_records, plain.case_records)
    assert held.events > plain.events  # the releases: one event per period with held events


def test_schedule_is_the_event_queue_and_the_method_does_the_same() -> None:
    """SimPy calls ``env.schedule``: the instance's EventQueue (compiled in a regular install), which the
    class's documented method also calls; near events go to SimPy's queue, far ones are held."""
    env = Environment(window=10.0)
    assert env.schedule is env._events
    near, far = simpy.Event(env), simpy.Event(env)
    for event in (near, far):
        event._ok, event._value = True, None
    Environment.schedule(env, near, simpy.events.NORMAL, 4.0)
    env.schedule(far, simpy.events.NORMAL, 25.0)
    assert [entry[3] for entry in env._events.entries() if entry[3] is near] == [near]
    assert env.held == 1  # the far one, waiting for its period (20-30) to begin
    seen: list[tuple[str, float]] = []
    near.callbacks.append(lambda _e: seen.append(("near", env.now)))
    far.callbacks.append(lambda _e: seen.append(("far", env.now)))
    env.run()
    assert seen == [("near", 4.0), ("far", 25.0)]
    assert env.held == 0
