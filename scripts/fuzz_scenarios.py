"""Fuzz scenario loading at scale (issue 14, item 3): 10,000 malformed and extreme scenarios by default.

The strategies are the suite's own (``tests/scenario_fuzz.py``); the suite runs a few hundred cases,
this runs many more and reports what happened to each kind of case: valid, refused with a
ScenarioError, or anything else (an exception of another type, or no answer within --hang seconds),
with the slowest and median time per case. Figures go in docs/validation.md.

    .venv/bin/python scripts/fuzz_scenarios.py                 # 10,000 cases
    .venv/bin/python scripts/fuzz_scenarios.py --cases 1000 --seed 2

It exits 1 if any case crashed or hung, so it can gate a release.
"""

from __future__ import annotations

import argparse
import collections
import signal
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


from hypothesis import strategies as st  # noqa: E402

from caseflow.scenario import ScenarioError, load_scenario, validate  # noqa: E402
from scenario_fuzz import generate, hostile_changes, mutated_files, mutated_values  # noqa: E402

#: Share of the cases given to each kind.
KINDS = {"values": 0.4, "changes": 0.2, "files": 0.4}


class HungError(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise HungError


def _classify(load: Any, hang: int) -> tuple[str, float, str]:
    """(outcome, seconds, detail): outcome is valid, refused, hung or the exception's type."""
    signal.signal(signal.SIGALRM, _alarm)
    start = time.perf_counter()
    signal.alarm(hang)
    try:
        load()
        outcome, detail = "valid", ""
    except ScenarioError:
        outcome, detail = "refused", ""
    except HungError:
        outcome, detail = "hung", f"no answer within {hang} s"
    except Exception as exc:  # what the fuzzer is looking for
        outcome = type(exc).__name__
        detail = "".join(traceback.format_exception_only(exc)).strip()[:300]
    finally:
        signal.alarm(0)
    return outcome, time.perf_counter() - start, detail


def _run(kind: str, cases: int, seed_value: int, hang: int, tmp: Path) -> dict[str, Any]:
    outcomes: collections.Counter[str] = collections.Counter()
    times: list[float] = []
    examples: dict[str, str] = {}
    strategy: st.SearchStrategy[Any] = {
        "values": mutated_values(),
        "changes": hostile_changes(),
        "files": mutated_files(),
    }[kind]

    def one(case: Any) -> None:
        if kind == "files":
            path = tmp / "fuzzed.toml"
            path.write_bytes(case)
            outcome, secs, detail = _classify(lambda: load_scenario(path), hang)
        else:
            outcome, secs, detail = _classify(lambda: validate(case, source="<fuzz>"), hang)
        outcomes[outcome] += 1
        times.append(secs)
        if detail and outcome not in examples:
            examples[outcome] = detail

    generate(strategy, cases, seed_value, one)
    return {"outcomes": outcomes, "times": times, "examples": examples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=10_000, help="cases in all (default 10,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hang", type=int, default=10, help="seconds after which a case counts as hung")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    failed = 0
    print(f"fuzzing scenario loading: {args.cases:,} cases, seed {args.seed}, hang after {args.hang} s")
    print(f"{'kind':8} {'cases':>6} {'valid':>6} {'refused':>8} {'other':>6} {'median ms':>10} {'max s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, share in KINDS.items():
            n = round(args.cases * share)
            res = _run(kind, n, args.seed, args.hang, Path(tmp))
            out, times = res["outcomes"], res["times"]
            other = sum(v for k, v in out.items() if k not in ("valid", "refused"))
            failed += other
            print(
                f"{kind:8} {sum(out.values()):>6,} {out['valid']:>6,} {out['refused']:>8,} {other:>6,} "
                f"{statistics.median(times) * 1000:>10.1f} {max(times):>7.2f}"
            )
            for outcome, detail in res["examples"].items():
                print(f"    {outcome} ({out[outcome]:,}): {detail}")
    print(f"wall time {time.perf_counter() - started:.0f} s; cases that crashed or hung: {failed:,}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
