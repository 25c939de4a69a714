"""Check the compiled kernel: it builds, it gives results identical to the pure-Python source, and a
build without a working C compiler falls back to pure Python. Also times both.

    python scripts/check_kernel.py              # about 5 minutes on 2 cores
    python scripts/check_kernel.py --no-fallback --repeat 1

Steps:

1. ``pip wheel .``, run by a new, empty virtual environment, builds the package as a regular install
   on a fresh machine would (``setup.py`` compiles :data:`caseflow.kernel.KERNEL` with mypyc); the
   wheel must hold a compiled module for each.
2. ``scripts/fingerprint.py`` (KPIs, per-case records and SimPy events of every bundled scenario, seed 3,
   2 years) runs on the pure-Python source and on the compiled wheel: the outputs must be identical.
3. The tests of the extension points (users' own stage groups, capacities and workforce parts, which
   subclass compiled classes) run against the compiled wheel.
4. One 5-year baseline replication (seed 1) is timed in CPU seconds, alternating pure and compiled.
5. Unless ``--no-fallback``: the wheel is built again with ``CC=false`` (a compiler that always fails):
   it must install and run as pure Python, with identical fingerprints.

Exit status 0 when every check passes. The figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from caseflow.kernel import KERNEL, module_name

ROOT = Path(__file__).resolve().parents[1]

TIME_ONE = """
import json, time, caseflow, caseflow.kernel
from caseflow.replication import simulate
s = caseflow.load_scenario({baseline!r})
t = time.process_time()
out = simulate(s, seed=1, years=5)
cpu = time.process_time() - t
print(json.dumps({{"cpu_s": cpu, "events": out.events, "compiled": caseflow.kernel.compiled()}}))
"""


#: Tests that subclass or plug into compiled classes (stage groups, the workforce, the router).
EXTENSION_TESTS = ("test_extension_points.py", "test_workforce_parts.py", "test_flow.py")


def build_wheel(dest: Path, env: dict[str, str]) -> Path:
    """Build from a clean copy of the source (pip builds in place, and would reuse ``build/``), with the
    pip of a new, empty virtual environment, as on a fresh machine: there pip's isolated build holds
    only setuptools and mypy, so mypy sees none of caseflow's dependencies (built with this
    environment's pip, it would see them, and a kernel that compiles only then would pass)."""
    source = dest / "source"
    junk = shutil.ignore_patterns(".git", ".venv", "build", "runs", "*.so", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, source, ignore=junk)
    fresh = dest / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, env=env)
    python = fresh / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run(
        [str(python), "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(dest)],
        check=True,
        env=env,
    )
    (wheel,) = dest.glob("caseflow_csc-*.whl")
    return wheel


def install(wheel: Path, target: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
    )


def compiled_in(wheel: Path) -> set[str]:
    names = zipfile.ZipFile(wheel).namelist()
    modules = {module_name(n.split(".cpython")[0] + ".py") for n in names if n.endswith(".so")}
    return {m for m in modules if not m.endswith("__mypyc")}  # not the shared runtime library


def run(path: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(path)}
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def fingerprint(path: Path) -> str:
    return run(path, str(ROOT / "scripts" / "fingerprint.py"))


def timed(path: Path) -> dict[str, object]:
    code = TIME_ONE.format(baseline=str(ROOT / "scenarios" / "baseline.toml"))
    result: dict[str, object] = json.loads(run(path, "-c", code).strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (alternating)")
    ap.add_argument("--no-fallback", action="store_true", help="skip the build with a failing compiler")
    args = ap.parse_args()
    expected = {module_name(p) for p in KERNEL}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        pure = ROOT / "src"
        print("1. building the wheel as on a fresh machine (compiles the kernel)…", flush=True)
        wheel = build_wheel(tmp_path / "wheel", dict(os.environ))
        built = compiled_in(wheel)
        print(f"   compiled modules in {wheel.name}: {sorted(built)}")
        if built != expected:
            print(f"   FAIL: expected {sorted(expected)}")
            ok = False
        site = tmp_path / "compiled"
        install(wheel, site)

        print("2. fingerprints, pure Python and compiled…", flush=True)
        same = fingerprint(pure) == fingerprint(site)
        print(f"   identical: {same}")
        ok &= same

        print("3. the extension points' tests on the compiled kernel (users' subclasses of it)…", flush=True)
        pytest = [sys.executable, "-m", "pytest", "-q", "--no-cov", "-n", "0", "-p", "no:cacheprovider"]
        tests = subprocess.run(
            [*pytest, *(str(ROOT / "tests" / t) for t in EXTENSION_TESTS)],
            env={**os.environ, "PYTHONPATH": str(site)},
            cwd=ROOT,
        )
        print(f"   passed: {tests.returncode == 0}")
        ok &= tests.returncode == 0

        print(f"4. one 5-year baseline replication, seed 1, CPU seconds ({args.repeat} each, alternating)")
        runs: dict[str, list[float]] = {"pure": [], "compiled": []}
        for _ in range(args.repeat):
            for label, path in (("pure", pure), ("compiled", site)):
                r = timed(path)
                flags = r["compiled"]
                assert isinstance(flags, dict)
                if any(flags.values()) != (label == "compiled"):
                    print(f"   FAIL: {label} run reports compiled modules {flags}")
                    ok = False
                cpu = r["cpu_s"]
                assert isinstance(cpu, float)
                runs[label].append(cpu)
                print(f"   {label:9s} {cpu:.2f} s CPU, {r['events']:,} events", flush=True)
        best = {k: min(v) for k, v in runs.items()}
        print(
            f"   fastest: pure {best['pure']:.2f} s, compiled {best['compiled']:.2f} s "
            f"(compiled ÷ pure {best['compiled'] / best['pure']:.2f})"
        )

        if not args.no_fallback:
            print("5. building with a failing C compiler (CC=false): falls back to pure Python?", flush=True)
            env = {**os.environ, "CC": "false", "LDSHARED": "false"}
            fallback = build_wheel(tmp_path / "fallback", env)
            leftover = compiled_in(fallback)
            print(f"   compiled modules in the fallback wheel: {sorted(leftover) or 'none'}")
            ok &= not leftover
            site2 = tmp_path / "fallback-site"
            install(fallback, site2)
            same2 = fingerprint(site2) == fingerprint(pure)
            print(f"   runs, identical fingerprints: {same2}")
            ok &= same2
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
