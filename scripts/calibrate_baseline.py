"""Calibrate the England-average baseline so that it is steady: national flows, stocks that stay put.

    python scripts/calibrate_baseline.py            # fit and print the fit table
    python scripts/calibrate_baseline.py --write    # also write the fitted values into baseline.toml

The targets are the England 2025 figures scaled to 60,000 children (reference figures §8, quoted
below), with every stock held at its opening value in every year and children ceasing care equal to
those starting: a "do nothing" forecast that neither grows nor shrinks unless a scenario says so.
The same machinery as ``caseflow calibrate`` (docs/calibration.md) fits the same levers; ``--write``
replaces only the fitted values in baseline.toml, keeping its comments, and marks them calibrated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import tomlkit

import caseflow
from caseflow.calibrate.fit import calibrate, fit_years_of
from caseflow.calibrate.levers import moved_values
from caseflow.calibrate.targets import Targets

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"

#: England 2025 per 60,000 children (england-figures §8), with the stocks held at the baseline's opening
#: values and CLA ceased = started (balance).
ENGLAND_60K = {
    "referrals": 3120.0,  # 519 per 10k
    "re_referral_pct": 22.6,
    "assessed_not_in_need": 961.0,  # 30.8% of referrals
    "s47": 1135.0,  # 189 per 10k
    "icpc": 355.0,  # 59 per 10k
    "cp_started": 305.0,  # 51 per 10k
    "cp_second_pct": 24.5,
    "cp_at_31_march": 245.0,  # 40.6 per 10k
    "cin_at_31_march": 1980.0,  # 330 per 10k
    "cla_started": 160.0,  # 26.5 per 10k
    "cla_ceased": 160.0,  # = started: a steady stock of 400 (67 per 10k)
    "cla_at_31_march": 400.0,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write the fitted values into baseline.toml")
    ap.add_argument("--years", type=int, default=3, help="reported years fitted (after the warm-up)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    base = caseflow.load_scenario(BASELINE)
    scenario = base.with_overrides({"run.years": args.years})
    years = fit_years_of(scenario)
    targets = Targets(
        "England (60,000 children)", "E92000001", {k: dict.fromkeys(years, v) for k, v in ENGLAND_60K.items()}
    )
    cal = calibrate(
        scenario,
        targets,
        replications=args.reps,
        iterations=args.iterations,
        confirm_replications=2 * args.reps,
        workers=args.workers,
        progress=True,
    )
    print(cal.summary())
    print(cal.fit.round(1).to_string(index=False))
    print(cal.identification[["lever", "value", "identified", "reason"]].to_string(index=False))
    if args.write:
        write_back(cal.scenario, cal.levers)
        print(f"wrote {BASELINE}")
    return 0


def write_back(fitted: caseflow.Scenario, levers: dict[str, float]) -> None:
    """Replace the moved levers' values in baseline.toml, keeping every comment."""
    doc = tomlkit.parse(BASELINE.read_text(encoding="utf-8"))
    moved = [name for name, x in levers.items() if x != 0.0]
    for path, value in moved_values(fitted.model_dump(mode="json"), moved).items():
        if isinstance(value, dict) and "edges" not in value:  # a branch: every outcome of it
            _set_table(doc, path, value)
        else:
            _set(doc, path, value)
    BASELINE.write_text(tomlkit.dumps(doc), encoding="utf-8")
    caseflow.load_scenario(BASELINE)  # still valid


def _node(tree: Any, path: str) -> Any:
    for part in path.split("."):
        tree = tree[part]
    return tree


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def _set(doc: Any, path: str, value: Any) -> None:
    parent_path, key = path.rsplit(".", 1)
    table = _node(doc, parent_path)
    old = table[key]
    comment = old.trivia.comment if hasattr(old, "trivia") else ""
    value = _round(value)
    if isinstance(value, dict):
        item: Any = tomlkit.inline_table()
        item.update(value)
    else:
        item = tomlkit.item(value)
    if comment:
        item.comment(comment.lstrip("# ").replace("[U]", "[U, calibrated: scripts/calibrate_baseline.py]", 1))
    table[key] = item


def _set_table(doc: Any, parent_path: str, value: Any) -> None:
    branch = _round(value)
    # rounding must keep the branch summing to 1: give the remainder to the largest outcome
    biggest = max(branch, key=lambda k: branch[k])
    branch[biggest] = round(1.0 - sum(v for k, v in branch.items() if k != biggest), 6)
    for key in branch:
        table = _node(doc, parent_path)
        old = table[key]
        comment = old.trivia.comment if hasattr(old, "trivia") else ""
        item = tomlkit.item(branch[key])
        if comment:
            item.comment(comment.lstrip("# "))
        table[key] = item


if __name__ == "__main__":
    sys.exit(main())
