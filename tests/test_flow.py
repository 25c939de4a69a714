"""A flow runs a stage generator as a SimPy process would, without the start and end events."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Generator
from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.model.flow import Flow

Gen = Generator[simpy.Event, Any, None]


def test_the_first_step_runs_at_once_in_the_caller() -> None:
    env = simpy.Environment()
    seen: list[str] = []

    def journey() -> Gen:
        seen.append("started")
        yield env.timeout(1)
        seen.append("resumed")

    Flow(journey())
    assert seen == ["started"]  # before any event is processed
    env.run()
    assert seen == ["started", "resumed"]
    assert env.now == 1


def test_a_flow_that_ends_at_once_schedules_nothing() -> None:
    env = simpy.Environment()

    def journey() -> Gen:
        yield from ()

    Flow(journey())
    assert env.peek() == float("inf")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(0.0, 5.0), min_size=1, max_size=6), min_size=1, max_size=8))
def test_waits_and_values_are_those_of_a_process(delays: list[list[float]]) -> None:
    """Each journey waits its timeouts and receives their values; what each sees, and when, is what it
    sees as a SimPy process."""

    def run(start: str) -> list[tuple[int, float, object]]:
        env = simpy.Environment()
        log: list[tuple[int, float, object]] = []

        def journey(k: int, waits: list[float]) -> Gen:
            for j, d in enumerate(waits):
                got = yield env.timeout(d, value=(k, j))
                log.append((k, env.now, got))

        for k, waits in enumerate(delays):
            if start == "flow":
                Flow(journey(k, waits))
            else:
                env.process(journey(k, waits))
        env.run()
        return sorted(log, key=lambda e: (e[0], e[1]))

    assert run("flow") == run("process")


def test_an_event_already_processed_is_passed_on_at_once() -> None:
    env = simpy.Environment()
    done = env.event()
    done.succeed("ready")
    env.run()  # processes it
    got: list[object] = []

    def journey() -> Gen:
        value = yield done
        got.append((env.now, value))

    Flow(journey())
    assert got == [(0, "ready")]


def test_a_failed_event_is_thrown_into_the_journey() -> None:
    env = simpy.Environment()
    bad = env.event()
    caught: list[str] = []

    def journey() -> Gen:
        try:
            yield bad
        except ValueError as e:
            caught.append(str(e))
        yield env.timeout(1)

    Flow(journey())
    bad.fail(ValueError("no worker"))
    env.run()
    assert caught == ["no worker"]
    assert env.now == 1


def test_a_failed_event_already_processed_is_thrown_at_once() -> None:
    env = simpy.Environment()
    bad = env.event()
    bad.fail(KeyError("gone"))
    bad.defused = True
    env.run()
    caught: list[object] = []

    def journey() -> Gen:
        try:
            yield bad
        except KeyError as e:
            caught.append(e.args[0])

    Flow(journey())
    assert caught == ["gone"]


def test_an_error_in_a_journey_stops_the_run() -> None:
    env = simpy.Environment()

    def journey() -> Gen:
        yield env.timeout(2)
        raise ZeroDivisionError("broken stage")

    Flow(journey())
    with pytest.raises(ZeroDivisionError, match="broken stage"):
        env.run()
    assert env.now == 2


def test_yielding_something_other_than_an_event_is_an_error() -> None:
    def journey() -> Generator[Any, Any, None]:
        yield 5

    with pytest.raises(RuntimeError, match="not a SimPy event"):
        Flow(journey())


def test_a_journey_that_ends_is_finished_and_its_value_dropped() -> None:
    """A journey's end (its ``finally``, a returned value) happens when it ends, not when the flow goes."""
    env = simpy.Environment()
    seen: list[object] = []

    def journey() -> Generator[simpy.Event, Any, Any]:
        try:
            yield env.timeout(1)
        finally:
            seen.append(("closed at", env.now))
        return "ignored"

    gen = journey()
    flow = Flow(gen)
    env.run()
    assert seen == [("closed at", 1)]
    assert inspect.getgeneratorstate(gen) == inspect.GEN_CLOSED
    del flow  # nothing more happens when the flow goes
    assert seen == [("closed at", 1)]


@pytest.mark.untraced  # (it sets a trace function of its own)
def test_a_journey_ends_without_an_exception_at_the_flow() -> None:
    """The flow learns that a journey has ended without ``StopIteration`` being raised at it: compiled, an
    exception raised at a call costs a traceback entry, and most journeys end in a flow
    (docs/performance.md). Seen here as plain Python: no exception passes through the flow's own code.
    (As plain Python, the driver let go at its last ``yield`` is then closed by the interpreter, which
    throws ``GeneratorExit`` into the driver; a compiled generator is simply freed.)"""
    env = simpy.Environment()
    raised: list[str] = []

    def trace(frame: Any, event: str, arg: Any) -> Any:
        if event == "exception" and frame.f_code.co_name in ("_run", "__call__", "__init__"):
            raised.append(f"{frame.f_code.co_name}: {arg[0].__name__}")
        return trace

    def journey(n: int) -> Gen:
        for _ in range(n):
            yield env.timeout(1)

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        for n in range(3):  # ends at once, after one wait, after two
            Flow(journey(n))
        env.run()
    finally:
        sys.settrace(before)
    assert env.now == 2
    assert raised == []


def test_an_exception_a_journey_catches_and_returns_after_ends_it() -> None:
    env = simpy.Environment()
    bad = env.event()
    ended: list[float] = []

    def journey() -> Gen:
        try:
            yield bad
        except ValueError:
            ended.append(env.now)
            return

    Flow(journey())
    bad.fail(ValueError("closed"))
    env.run()
    assert ended == [0]
    assert env.peek() == float("inf")


def test_the_flow_itself_is_the_callback_of_the_event_it_waits_for() -> None:
    """No new object per wait: the flow is called with the event when it is processed."""
    env = simpy.Environment()
    first, second = env.event(), env.event()
    got: list[object] = []

    def journey() -> Gen:
        got.append((yield first))
        got.append((yield second))

    flow = Flow(journey())
    assert first.callbacks == [flow]
    first.succeed("a")
    env.run()
    assert second.callbacks == [flow]
    second.succeed("b")
    env.run()
    assert got == ["a", "b"]
