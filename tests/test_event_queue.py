"""The environment's event queue (caseflow.model.event_queue): a heap of its own in place of SimPy's list
of tuples, which must pop events in exactly SimPy's order and step exactly as SimPy steps."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from simpy.core import EmptySchedule
from simpy.events import NORMAL, URGENT
from tests.conftest import queue_form

from caseflow.model.budget import events_scheduled
from caseflow.model.environment import Environment
from caseflow.model.event_queue import Action, new_event_queue
from caseflow.native import COMPILED

# (time on a coarse grid, so that many entries tie on time; priority as SimPy uses them: -1 for an event
# put back by StopSimulation, URGENT and NORMAL), or None for a pop
operations = st.lists(
    st.one_of(
        st.tuples(st.integers(0, 12).map(lambda x: x * 0.5), st.sampled_from([-1, URGENT, NORMAL])),
        st.none(),
    ),
    max_size=200,
)


def test_the_form_follows_the_build() -> None:
    """Compiled entries when the kernel is compiled, SimPy's tuples in heapq when it runs as Python."""
    queue = Environment()._events
    assert type(queue) is type(new_event_queue(simpy.Environment(), 1.0, COMPILED))
    assert type(new_event_queue(simpy.Environment(), 1.0, True)) is not type(
        new_event_queue(simpy.Environment(), 1.0, False)
    )


@pytest.mark.untraced
@pytest.mark.parametrize("compiled", [True, False])
@settings(max_examples=300, deadline=None)
@given(ops=operations)
def test_the_heap_pops_in_simpys_order(compiled: bool, ops: list[tuple[float, int] | None]) -> None:
    """Pushes and pops interleaved, in both forms of the queue: the same entries come out, in the same
    order, as from heapq over SimPy's (time, priority, id, event) tuples; peek agrees throughout."""
    env = simpy.Environment()
    queue = new_event_queue(env, float("inf"), compiled)  # nothing held: the heap alone
    reference: list[tuple[float, int, int, simpy.Event]] = []
    eid = 0
    for op in ops:
        if op is None:
            if not reference:
                with pytest.raises(EmptySchedule):
                    queue.step()
                continue
            expected = heapq.heappop(reference)
            assert queue.next_event() is expected[3]
            queue.step()
            assert env.now == expected[0]
        else:
            at, priority = op
            event = simpy.Event(env)
            event._ok, event._value = True, None
            queue(event, priority, at)  # at now = 0 … then relative to the current time
            heapq.heappush(reference, (env.now + at, priority, eid, event))
            eid += 1
        assert queue.peek() == (reference[0][0] if reference else float("inf"))
        assert sorted(e[:3] for e in queue.entries()) == sorted(e[:3] for e in reference)


def test_an_empty_queue_says_so_as_simpy_does(queue_forms: bool) -> None:
    env = Environment()
    assert env.peek() == float("inf")
    with pytest.raises(EmptySchedule):
        env.step()
    assert env.run() is None


def _program(env: simpy.Environment, log: list[Any]) -> Callable[[], Any]:
    """Processes that wait, fail, are interrupted and wait for conditions; returns a run of it."""

    def failing(delay: float) -> Generator[simpy.Event, None, None]:
        yield env.timeout(delay)
        raise ValueError(f"failed at {env.now}")

    def watcher() -> Generator[simpy.Event, Any, None]:
        try:
            yield env.process(failing(2.0))
        except ValueError as exc:  # a failure someone waits for is handled
            log.append(("caught", env.now, str(exc)))
        a, b = env.timeout(1.0, value="a"), env.timeout(3.0, value="b")
        got = yield a | b
        log.append(("any", env.now, sorted(got.values())))
        got = yield env.all_of([env.timeout(1.0, "c"), env.timeout(0.5, "d")])
        log.append(("all", env.now, sorted(got.values())))

    def sleeper() -> Generator[simpy.Event, None, None]:
        try:
            yield env.timeout(100.0)
        except simpy.Interrupt as interrupt:
            log.append(("interrupted", env.now, interrupt.cause))

    def interrupter(target: simpy.Process) -> Generator[simpy.Event, None, None]:
        yield env.timeout(4.0)
        target.interrupt("reorganised")

    def run() -> Any:
        env.process(watcher())
        env.process(interrupter(env.process(sleeper())))
        done = env.timeout(5.0, value="five")
        value = env.run(until=done)  # stops mid-way, with the event's value
        log.append(("stopped", env.now, value))
        env.run(until=6.0)
        log.append(("until", env.now, env.peek()))
        env.process(failing(1.0))  # nobody waits for it: the run crashes with its exception
        with pytest.raises(ValueError, match="failed at 7") as raised:
            env.run()
        log.append(("crashed", env.now, type(raised.value.__cause__).__name__))
        return log

    return run


def test_a_program_runs_exactly_as_under_simpy(queue_forms: bool) -> None:
    """Failures, interruptions, conditions, run(until=event) and run(until=time), an undefused failure:
    the same log, times and values as SimPy's own environment."""
    expected = _program(simpy.Environment(), [])()
    got = _program(Environment(), [])()
    assert got == expected
    assert ("crashed", 7.0, "ValueError") in got


def test_stop_simulation_puts_the_remaining_callbacks_back(queue_forms: bool) -> None:
    """A callback that stops the run: the event's later callbacks run when the run resumes, as SimPy's."""

    def trace(env: simpy.Environment) -> list[tuple[str, float]]:
        seen: list[tuple[str, float]] = []
        event = env.timeout(2.0)
        event.callbacks.append(lambda _e: seen.append(("first", env.now)))
        event.callbacks.append(simpy.core.StopSimulation.callback)
        event.callbacks.append(lambda _e: seen.append(("after the stop", env.now)))
        env.timeout(3.0).callbacks.append(lambda _e: seen.append(("later", env.now)))
        env.run()
        seen.append(("stopped", env.now))
        env.run()
        return seen

    expected = trace(simpy.Environment())
    assert trace(Environment()) == expected
    assert expected == [("first", 2.0), ("stopped", 2.0), ("after the stop", 2.0), ("later", 3.0)]


def test_simpys_own_queue_stays_empty_and_step_is_the_queues(queue_forms: bool) -> None:
    env = Environment()
    env.timeout(1.0)
    assert env._queue == []
    assert len(env._events.entries()) == 1
    assert env.peek() == 1.0
    Environment.step(env)  # the class's method, documented, does what the installed one does
    assert env.now == 1.0
    assert env.peek() == float("inf")


def test_events_scheduled_counts_as_simpys_counter(queue_forms: bool) -> None:
    """The queue counts the events it schedules (its next id), as SimPy's ``_eid`` counts them."""

    def count(env: simpy.Environment) -> int:
        _program(env, [])()
        return events_scheduled(env)

    plain = count(simpy.Environment())
    assert plain > 10
    assert count(Environment(window=float("inf"))) == plain  # nothing held: no release events
    env = Environment()
    assert events_scheduled(env) == 0
    env.timeout(1.0)
    assert events_scheduled(env) == env._events.scheduled == 1


class _Logged(Action):
    """An action that notes its name and the time it fired."""

    def __init__(self, env: simpy.Environment, name: str, log: list[tuple[str, float]]) -> None:
        super().__init__()
        self.env, self.name, self.log = env, name, log

    def fire(self) -> None:
        self.log.append((self.name, self.env.now))


@pytest.mark.parametrize("window", [float("inf"), 1.5])
@settings(max_examples=100, deadline=None)
@given(delays=st.lists(st.tuples(st.integers(0, 8).map(lambda x: x * 0.5), st.booleans()), max_size=40))
def test_an_action_fires_where_a_timeout_would_be_processed(
    window: float, delays: list[tuple[float, bool]]
) -> None:
    """Actions and timeouts in any mix, many tied on time, some held for a later period: each action
    fires exactly where a timeout scheduled in its place would have been processed, under SimPy, in both
    forms of the queue, and takes an event id as that timeout would."""

    def under_simpy() -> tuple[list[tuple[str, float]], int]:
        env, log = simpy.Environment(), []
        for i, (delay, _) in enumerate(delays):
            name = f"#{i}"
            env.timeout(delay).callbacks.append(lambda _e, name=name: log.append((name, env.now)))
        env.run()
        return log, events_scheduled(env)

    def with_actions() -> tuple[list[tuple[str, float]], int]:
        env, log = Environment(window=window), []
        queue = env._events
        for i, (delay, as_action) in enumerate(delays):
            name = f"#{i}"
            if as_action:
                queue.act(_Logged(env, name, log), delay)
            else:
                env.timeout(delay).callbacks.append(lambda _e, name=name: log.append((name, env.now)))
        if delays and delays[0][1]:
            assert queue.next_event() is not None
        env.run()
        return log, events_scheduled(env) - _releases(delays, window)

    expected = under_simpy()
    for compiled in (True, False):
        with queue_form(compiled):
            assert with_actions() == expected


def _releases(delays: list[tuple[float, bool]], window: float) -> int:
    """Release events the queue scheduled for held periods (each takes an event id)."""
    return len({int(d // window) for d, _ in delays if d > window})


class _Again(Action):
    """An action that acts itself again after each firing, ``gaps`` apart, noting when it fired and the
    heap entry it fired from."""

    def __init__(self, env: Environment, gaps: list[float], log: list[tuple[str, float]]) -> None:
        super().__init__()
        self.env, self.gaps, self.log = env, list(gaps), log
        self.entries: list[object] = []

    def fire(self) -> None:
        self.log.append(("again", self.env.now))
        self.entries.append(self.entry)
        if self.gaps:
            self.env._events.act(self, self.gaps.pop(0))


@pytest.mark.parametrize("window", [float("inf"), 1.5])
@settings(max_examples=100, deadline=None)
@given(
    gaps=st.lists(st.integers(0, 6).map(lambda x: x * 0.5), min_size=1, max_size=15),
    others=st.lists(st.integers(0, 16).map(lambda x: x * 0.5), max_size=15),
)
def test_an_action_set_again_fires_where_a_chain_of_timeouts_would(
    window: float, gaps: list[float], others: list[float]
) -> None:
    """An action that schedules itself again each time it fires (as a worker's timer does) fires exactly
    where a chain of timeouts, each scheduled by the last one's callback, would be processed under SimPy,
    among other timeouts tied on time with it, in both forms of the queue. In the compiled form it does
    so from one heap entry, set again each time, unless it falls beyond the window (held, as an event)."""

    def under_simpy() -> list[tuple[str, float]]:
        env, log = simpy.Environment(), []
        left = list(gaps[1:])

        def again(_e: simpy.Event) -> None:
            log.append(("again", env.now))
            if left:
                env.timeout(left.pop(0)).callbacks.append(again)

        env.timeout(gaps[0]).callbacks.append(again)
        for i, delay in enumerate(others):
            env.timeout(delay).callbacks.append(lambda _e, name=f"#{i}": log.append((name, env.now)))
        env.run()
        return log

    def with_action() -> tuple[list[tuple[str, float]], _Again]:
        env, log = Environment(window=window), []
        action = _Again(env, gaps[1:], log)
        env._events.act(action, gaps[0])
        for i, delay in enumerate(others):
            env.timeout(delay).callbacks.append(lambda _e, name=f"#{i}": log.append((name, env.now)))
        env.run()
        return log, action

    expected = under_simpy()
    for compiled in (True, False):
        with queue_form(compiled):
            log, action = with_action()
        assert log == expected
        if compiled:
            held = [g > window for g in gaps]
            # one entry for every firing scheduled within the window, made at the first such
            within = [e for e, h in zip(action.entries, held, strict=True) if not h]
            assert all(e is not None for e in within)
            assert len({id(e) for e in within}) <= 1
            assert action.entry is None or action.entry.event is None  # no reference back once fired


@pytest.mark.parametrize("compiled", [True, False])
def test_an_action_acted_while_waiting_fires_twice(compiled: bool) -> None:
    """Acting an action that is already waiting schedules it again, as a second timeout would be: it fires
    at both times (its own entry is not taken out of the heap to be set again)."""
    with queue_form(compiled):
        env, log = Environment(), []
        action = _Logged(env, "a", log)
        env._events.act(action, 1.0)
        env._events.act(action, 2.0)
        env.run()
    assert log == [("a", 1.0), ("a", 2.0)]
