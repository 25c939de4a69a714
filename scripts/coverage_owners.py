"""Which tests may run untraced by coverage: what each test alone covers (the ``untraced`` marker's check).

Coverage's tracer makes simulation-heavy tests about three times slower, so the heaviest tests whose
every line some other traced test also runs are marked ``@pytest.mark.untraced`` (tests/conftest.py):
they still run and still fail the build, but the suite's coverage does not count them. This script
checks that choice, and finds the next candidates:

    python scripts/coverage_owners.py                 # runs the suite's non-slow tests, all traced
    python scripts/coverage_owners.py --threshold 3   # candidates down to 3 s
    python scripts/coverage_owners.py tests/test_model.py tests/test_cli.py   # some files only

It runs ``pytest -m "not slow"`` with ``CASEFLOW_TRACE_ALL=1`` (every test traced, ``untraced`` ones
included) and ``--cov-context=test`` (coverage records which test ran each line), about 15 minutes on 2
cores, then prints:

1. each ``untraced`` test that alone covers some line (with the lines): such a test should be traced
   again, or a lighter traced test should cover those lines;
2. traced tests taking at least ``--threshold`` seconds whose lines other traced tests all cover,
   slowest first: candidates for the marker. Chosen together, they must not share a line that only
   they cover, so each is checked against the traced tests left after the ones above it.

Lines, not branches: a test that alone takes a branch both ways is not reported. Figures depend on the
run (hypothesis draws, timing), so look at what is reported rather than trusting one number.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from coverage import CoverageData

ROOT = Path(__file__).resolve().parents[1]
DURATION = re.compile(r"^([0-9.]+)s (?:setup|call|teardown)\s+(\S+)")


def function_of(context: str) -> str:
    """``tests/test_x.py::test_y[param]|run`` → ``tests/test_x.py::test_y`` (markers are per function)."""
    return context.split("|")[0].split("[")[0]


def collect(marker: str, paths: list[str]) -> set[str]:
    """The test functions carrying ``marker``."""
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", marker, "-p", "no:cacheprovider"]
    out = subprocess.run([*cmd, "-n", "0", *paths], cwd=ROOT, capture_output=True, text=True, check=True)
    return {function_of(line) for line in out.stdout.splitlines() if "::" in line}


def run_traced(data_file: Path, paths: list[str]) -> dict[str, float]:
    """Run the non-slow tests, every one traced with its context; seconds per test function."""
    env = dict(os.environ, CASEFLOW_TRACE_ALL="1", COVERAGE_FILE=str(data_file))
    cmd = [sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider"]
    cmd += [
        "--cov-context=test",
        "--cov-fail-under=0",
        "--durations=0",
        f"--cov-config={ROOT / 'pyproject.toml'}",
        *paths,
    ]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if res.returncode not in (0, 1):
        sys.exit(
            f"pytest could not run the suite (exit {res.returncode}):\n"
            f"{res.stdout[-3000:]}{res.stderr[-3000:]}"
        )
    seconds: dict[str, float] = defaultdict(float)
    for line in res.stdout.splitlines():
        m = DURATION.match(line)
        if m:
            seconds[function_of(m.group(2))] += float(m.group(1))
    return seconds


def owners(data: CoverageData) -> dict[tuple[str, int], set[str]]:
    """Each measured (file, line) and the test functions that ran it."""
    out: dict[tuple[str, int], set[str]] = defaultdict(set)
    for path in data.measured_files():
        for line, contexts in data.contexts_by_lineno(path).items():
            tests = {function_of(c) for c in contexts if c}
            out[(os.path.relpath(path, ROOT), line)] |= tests
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threshold", type=float, default=5.0, help="seconds: smallest candidate (default 5)")
    ap.add_argument("paths", nargs="*", help="test files or folders (default: the whole suite)")
    args = ap.parse_args()

    marked = collect("untraced", args.paths)
    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp) / "coverage"
        seconds = run_traced(data_file, args.paths)
        data = CoverageData(basename=str(data_file))  # pytest-cov has combined the two workers' data
        data.read()
        who = owners(data)

    print(f"{len(marked)} test functions marked untraced; {len(who)} lines measured")
    print("\n1. Lines only an untraced test covers (should be none):")
    alone = defaultdict(list)
    for (path, line), tests in who.items():
        if tests and tests <= marked:
            alone[", ".join(sorted(tests))].append(f"{path}:{line}")
    for tests, lines in sorted(alone.items()):
        print(f"   {tests}: {len(lines)} line(s): {' '.join(lines[:12])}{' …' if len(lines) > 12 else ''}")
    if not alone:
        print("   none")

    print(f"\n2. Traced tests of at least {args.threshold:g} s that cover no line alone (candidates):")
    chosen = set(marked)
    for test in sorted(seconds, key=lambda t: -seconds[t]):
        if seconds[test] < args.threshold:
            break
        if test in chosen:
            continue
        if not any(test in tests and tests <= chosen | {test} for tests in who.values()):
            chosen.add(test)
            print(f"   {seconds[test]:6.1f} s  {test}")


if __name__ == "__main__":
    main()
