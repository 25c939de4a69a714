"""Does a change of modelled behaviour leave every KPI where it was? Two versions, one experiment each.

An optimisation that is not bit-identical (one that changes the order of simultaneous events, say) must
show that its effect on every KPI is within the replications' confidence intervals (issue 12). This runs
the same experiment (default: the baseline, 20 replications of 5 years, seed 20261129) on two versions of
the source and compares each KPI's mean and 95% CI.

    python scripts/equivalence.py --before 57224c3                 # that commit against the working tree
    python scripts/equivalence.py --before main --after HEAD --reps 20 --years 5

A KPI *differs* when neither version's mean lies inside the other's 95% CI. With 100-odd KPIs a few
differ by chance even between identical models with different seeds; each one is listed, with the
difference in units of the before version's CI half-width, to be read and explained, not waved through.
Exit status 0 when no KPI differs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def source_of(rev: str | None, into: Path) -> Path:
    """A copy of the ``src`` folder of ``rev`` (a git revision), or of the working tree if ``None``, taken
    now: editing the tree (or ``git stash``) while the experiments run cannot change what they run."""
    into.mkdir(parents=True)
    if rev is None:
        shutil.copytree(ROOT / "src", into / "src", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        return into / "src"
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def experiment(src: Path, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    code = "import sys; from caseflow.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [
        sys.executable, "-c", code, "run", str(args.scenario),
        "--reps", str(args.reps), "--years", str(args.years), "--seed", str(args.seed), "--json", str(out),
    ]  # fmt: skip
    subprocess.run(command, env={**os.environ, "PYTHONPATH": str(src)}, check=True, capture_output=True)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def _inside(x: float, lo: float, hi: float) -> bool:
    return lo <= x <= hi


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, float, float, float, bool]]:
    """(kpi, before mean, after mean, difference in before half-widths, differs) for each shared KPI."""
    rows = []
    for kpi, b in before["kpis"].items():
        a = after["kpis"].get(kpi)
        if a is None or b["mean"] is None or a["mean"] is None:
            continue
        b_lo, b_hi = b["ci_low"], b["ci_high"]
        a_lo, a_hi = a["ci_low"], a["ci_high"]
        if None in (b_lo, b_hi, a_lo, a_hi):
            differs = a["mean"] != b["mean"]
            half = math.nan
        else:
            differs = not _inside(a["mean"], b_lo, b_hi) and not _inside(b["mean"], a_lo, a_hi)
            half = (b_hi - b_lo) / 2
        scaled = (a["mean"] - b["mean"]) / half if half and not math.isnan(half) else math.nan
        rows.append((kpi, b["mean"], a["mean"], scaled, differs))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision of the reference version")
    ap.add_argument("--after", default=None, help="git revision of the new version (default: working tree)")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261129)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        sources = {
            label: source_of(rev, t / label)
            for label, rev in (("before", args.before), ("after", args.after))
        }
        results = {}
        for label, rev in (("before", args.before), ("after", args.after)):
            what = f"{args.reps} replications × {args.years} years"
            print(f"{label}: {rev or 'working tree'}, {what}…", flush=True)
            results[label] = experiment(sources[label], args, t / f"{label}.json")
    rows = compare(results["before"], results["after"])
    differing = [r for r in rows if r[4]]
    print(f"\n{len(rows)} KPIs compared; {len(differing)} differ (neither mean inside the other's 95% CI)")
    print("the 15 largest moves, in units of the before version's 95% CI half-width:")
    for kpi, b, a, scaled, differs in sorted(rows, key=lambda r: 0 if math.isnan(r[3]) else -abs(r[3]))[:15]:
        mark = "DIFFERS" if differs else ""
        print(f"  {kpi:45s} before {b:14.4g}  after {a:14.4g}  Δ = {scaled:+6.2f} {mark}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
