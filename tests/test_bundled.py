"""The scenarios shipped with caseflow: found from a clone and carried inside a built package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from caseflow.scenario import load_scenario
from caseflow.scenario.bundled import BASELINE, BUNDLED_PACKAGE_FOLDER, bundled, bundled_folder

ROOT = Path(__file__).resolve().parents[1]


def test_a_clone_finds_its_own_scenarios_folder() -> None:
    assert bundled_folder() == ROOT / "scenarios"
    assert bundled() == ROOT / "scenarios" / BASELINE
    assert load_scenario(bundled()).name == "baseline"


def test_a_name_with_folders_is_refused() -> None:
    with pytest.raises(ValueError, match="file name, no folders"):
        bundled("../pyproject.toml")


def test_the_build_carries_every_scenario_into_the_package(tmp_path: Path) -> None:
    """setup.py's build step copies scenarios/*.toml into caseflow/bundled_scenarios, where an installed
    caseflow looks first: the copies load, extends and all, from outside the clone."""
    env = os.environ | {"CASEFLOW_COMPILE": "0"}
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    carried = tmp_path / "caseflow" / BUNDLED_PACKAGE_FOLDER
    shipped = sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))
    assert sorted(p.name for p in carried.glob("*.toml")) == shipped
    for name in shipped:
        assert (carried / name).read_bytes() == (ROOT / "scenarios" / name).read_bytes()
    # The built package's own lookup prefers its copy to any clone.
    code = "from caseflow.scenario.bundled import bundled; print(bundled())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(out) == carried / BASELINE
    assert load_scenario(carried / "vacancies.toml").name == "vacancies"


def test_profile_and_the_app_default_to_the_shipped_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a folder with no scenarios/ in it, the defaults still find the England-average baseline."""
    from caseflow.app.settings import AppSettings
    from caseflow.cli import _parser

    monkeypatch.chdir(tmp_path)
    assert AppSettings().base == bundled()
    args = _parser().parse_args(["profile", "Peterborough", "--year", "2024"])
    assert args.base is None  # resolved by main(), below
    from caseflow.cli import main

    assert main(["profile", "Peterborough", "--year", "2024", "--out", str(tmp_path / "p.toml")]) == 0
    assert load_scenario(tmp_path / "p.toml").name.lower().startswith("peterborough")
