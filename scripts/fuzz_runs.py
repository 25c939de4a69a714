"""Fuzz *running*: scenarios the fuzzer makes that validate are simulated, and must run or be refused.

``scripts/fuzz_scenarios.py`` shows that loading any file gives a valid scenario or a ScenarioError.
This takes the next step for the cases that validate: each is scaled to 5% of its size (3,000 children
for the baseline; ``caseflow.scenario.scaled``), run for one reported year without a warm-up with a
budget of ``--seconds`` (``caseflow.Budget``), and checked with the suite's own invariants
(``tests/test_extremes.assert_invariants``: every child accounted for at every month end, no negative
stock, every KPI within its bounds, no infinity, NaN only where a KPI has nothing to measure). The
strategies are the suite's (``tests/scenario_fuzz.py``: hostile values and time-phased changes that
happen to validate, such as a huge demand, a team of 0.1 FTE, a review every day).

Each case ends as one of:

- **ran**: the run finished and every invariant held;
- **refused**: refused before its first event as too large (``RunRefusedError``), saying why;
- **stopped**: stopped by the budget (``BudgetExceededError``), saying how far it got;
- anything else, which is a fault: an invariant broken (``AssertionError``) or another exception.

    .venv/bin/python scripts/fuzz_runs.py                   # 8,000 cases generated (the valid ones run)
    .venv/bin/python scripts/fuzz_runs.py --cases 500 --seed 2

It exits 1 if any case ended in a fault, with the first example of each kind. Figures go in
docs/validation.md.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))


from hypothesis import strategies as st  # noqa: E402
from tests.test_extremes import assert_invariants  # noqa: E402

from caseflow.model.budget import Budget, BudgetExceededError, RunRefusedError  # noqa: E402
from caseflow.replication import simulate  # noqa: E402
from caseflow.scenario import ScenarioError, scaled, validate  # noqa: E402
from scenario_fuzz import generate, hostile_changes, mutated_values  # noqa: E402

#: Share of the generated cases given to each kind.
KINDS = {"values": 0.6, "changes": 0.4}


def _simulate(case: dict[str, Any], seconds: float, run_seed: int) -> str:
    """``ran``, ``refused`` or ``stopped``; raises on a fault."""
    scenario = validate(case, source="<fuzz>")
    small = scaled(scenario, 0.05).with_overrides({"run.warmup_years": 0, "run.years": 1})
    try:
        out = simulate(
            small, seed=run_seed, track_children=True, audit_every_month=True, budget=Budget(seconds=seconds)
        )
    except RunRefusedError:
        return "refused"
    except BudgetExceededError:
        return "stopped"
    assert_invariants(out)
    return "ran"


def _run(kind: str, cases: int, seed_value: int, seconds: float) -> dict[str, Any]:
    outcomes: collections.Counter[str] = collections.Counter()
    times: list[float] = []
    examples: dict[str, str] = {}
    strategy: st.SearchStrategy[Any] = {"values": mutated_values(), "changes": hostile_changes()}[kind]

    def one(case: Any) -> None:
        try:
            validate(case, source="<fuzz>")
        except ScenarioError:
            outcomes["not valid"] += 1
            return
        start = time.perf_counter()
        try:
            outcome = _simulate(case, seconds, run_seed=len(times) + 1)
        except Exception as exc:  # what the fuzzer is looking for
            outcome = type(exc).__name__
            if outcome not in examples:
                examples[outcome] = "".join(traceback.format_exception(exc))[-1500:]
        outcomes[outcome] += 1
        times.append(time.perf_counter() - start)

    generate(strategy, cases, seed_value, one)
    return {"outcomes": outcomes, "times": times, "examples": examples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=8_000, help="cases generated in all (default 8,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=30.0, help="budget of each run (default 30 s)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    faults = 0
    print(
        f"fuzzing runs: {args.cases:,} cases generated, seed {args.seed}, each run within {args.seconds:g} s"
    )
    print(
        f"{'kind':8} {'cases':>6} {'valid':>6} {'ran':>6} {'refused':>8} {'stopped':>8} {'fault':>6} "
        f"{'median s':>9} {'max s':>7}"
    )
    for kind, share in KINDS.items():
        res = _run(kind, round(args.cases * share), args.seed, args.seconds)
        out, times = res["outcomes"], res["times"]
        fault = sum(v for k, v in out.items() if k not in ("not valid", "ran", "refused", "stopped"))
        faults += fault
        print(
            f"{kind:8} {sum(out.values()):>6,} {len(times):>6,} {out['ran']:>6,} {out['refused']:>8,} "
            f"{out['stopped']:>8,} {fault:>6,} {statistics.median(times) if times else 0:>9.2f} "
            f"{max(times, default=0):>7.2f}"
        )
        for outcome, detail in res["examples"].items():
            print(f"\n    {outcome} ({out[outcome]:,}):\n{detail}")
    print(f"wall time {time.perf_counter() - started:.0f} s; runs that ended in a fault: {faults:,}")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
