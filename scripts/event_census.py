"""Which SimPy events a replication pops, and how many of the workers' timers find nothing to finish.

    python scripts/event_census.py                    # the baseline, seed 1, 5 years
    python scripts/event_census.py --years 1 --top 30

Each popped event is classed by what it wakes: a worker's processor-sharing timer, a process starting or
ending, a process resumed by a timeout or by a finished work item (named by its outermost generator), or
a plain callback. Then the workers' timers are split into those that finished work, those that fired
early and found nothing due (work added after they were set postponed every completion), and stale ones
(superseded by an earlier timer). The figures explain docs/performance.md's "floor".
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path
from typing import Any

import simpy

import caseflow
from caseflow.model import simulation as simulation_module
from caseflow.model.environment import Environment
from caseflow.model.event_queue import Action
from caseflow.model.workforce import worker as worker_module
from caseflow.replication import simulate

ROOT = Path(__file__).resolve().parents[1]


def kind_of(event: Any) -> str:
    if isinstance(event, worker_module._Timer):  # an action the queue fires itself, not a SimPy event
        return "a worker's processor-sharing timer"
    if isinstance(event, Action):
        return f"action {type(event).__name__}"
    if isinstance(event, simpy.Process):
        return "process ends"
    if isinstance(event, simpy.events.Initialize):
        return "process starts"
    callbacks = event.callbacks or []
    if not callbacks:
        return f"nothing waiting ({type(event).__name__})"
    first = callbacks[0]
    name = getattr(first, "__qualname__", type(first).__name__)
    if name.endswith("_resume"):
        generator = getattr(getattr(first, "__self__", None), "_generator", None)
        what = getattr(generator, "__qualname__", "?")
        return f"resumes {what}" + (" (a work item finished)" if type(event) is simpy.Event else "")
    if name.endswith(("_on_timer", "counting_timer")):
        return "a worker's processor-sharing timer"
    return f"callback {name}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()

    kinds: collections.Counter[str] = collections.Counter()
    timers = {"fired": 0, "finished nothing": 0, "stale": 0}
    finished_now: list[int | None] = [None]
    on_timer, finish_now = worker_module.Worker._on_timer, worker_module.WorkItem.finish_now

    class CountingEnvironment(Environment):
        """The run's environment, classing each event before its queue's step processes it."""

        def __init__(self) -> None:
            super().__init__()
            queue = self._events
            step = queue.step

            def counting_step() -> None:
                kinds[kind_of(queue.next_event())] += 1
                step()

            setattr(self, "step", counting_step)  # noqa: B010

    def counting_timer(w: worker_module.Worker, event: simpy.Event) -> None:
        timers["fired"] += 1
        timers["stale"] += event is not w._timer
        finished_now[0] = 0
        on_timer(w, event)
        timers["finished nothing"] += finished_now[0] == 0
        finished_now[0] = None

    def counting_finish(item: worker_module.WorkItem, at: float) -> None:
        if finished_now[0] is not None:
            finished_now[0] += 1
        finish_now(item, at)

    wrappers = (
        (simulation_module, "Environment", CountingEnvironment),
        (worker_module.Worker, "_on_timer", counting_timer),
        (worker_module.WorkItem, "finish_now", counting_finish),
    )
    for owner, name, wrapper in wrappers:  # counting wrappers, in this process only
        setattr(owner, name, wrapper)
    out = simulate(caseflow.load_scenario(args.scenario), seed=args.seed, years=args.years)
    total = sum(kinds.values())
    print(f"{args.scenario.name}, seed {args.seed}, {args.years} years:")
    print(f"{out.events:,} events scheduled, {total:,} popped")
    for kind, n in kinds.most_common(args.top):
        print(f"  {n:9,d}  {100 * n / total:5.1f}%  {kind}")
    fired = timers["fired"]
    print(
        f"workers' timers: {fired:,} fired; {timers['finished nothing']:,} "
        f"({100 * timers['finished nothing'] / max(fired, 1):.1f}%) finished nothing, of which "
        f"{timers['stale']:,} were stale"
    )


if __name__ == "__main__":
    main()
