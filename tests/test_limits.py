"""The bounds of :mod:`caseflow.scenario.limits` are enforced with clear errors (issue 14, item 1).

Each test gives a value the model cannot run (a non-finite number, a huge count, a long text, a date the
calendar cannot hold, a file too big or nested too deep) and checks that loading refuses it with a
:class:`ScenarioError` naming the field and what is allowed, and nothing else.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

from caseflow.scenario import Scenario, ScenarioError, limits, load_scenario, validate
from caseflow.scenario.loader import apply_overrides

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def _refused(baseline: Scenario, overrides: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        baseline.with_overrides(overrides)
    return info.value


def _problem(err: ScenarioError, field: str) -> str:
    found = [msg for path, msg in err.problems if path == field]
    assert found, f"no problem reported for {field}: {err.problems}"
    return found[0]


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize(
    "field",
    ["demand.contacts_per_year", "workforce.teams.assessment.establishment", "mash.urgent_referral"],
)
def test_non_finite_numbers_are_refused(baseline: Scenario, field: str, bad: float) -> None:
    msg = _problem(_refused(baseline, {field: bad}), field)
    assert "finite" in msg or "must be" in msg


def test_non_finite_number_inside_an_array_is_refused_with_its_index(baseline: Scenario) -> None:
    weekday = list(baseline.demand.weekday)
    weekday[3] = math.nan
    msg = _problem(_refused(baseline, {"demand.weekday": weekday}), "demand.weekday[3]")
    assert msg.startswith("must be a finite number")


@pytest.mark.parametrize(
    ("field", "value", "bound"),
    [
        ("population", limits.MAX_CHILDREN + 1, f"{limits.MAX_CHILDREN}"),
        ("demand.contacts_per_year", 1e12, f"{limits.MAX_CONTACTS_PER_YEAR}"),
        ("workforce.teams.assessment.establishment", 1e7, "10000"),
        ("workforce.teams.assessment.soft_cap", 5000.0, "1000"),
        ("workforce.time.non_case_time", 1.0, "0.9"),
        ("workforce.time.contracted_hours", 0.001, "1"),
        ("workforce.weights.visit", 1e-9, "0.01"),
        ("workforce.hours.assessment", 1e9, "2000"),
        ("recontact.delay_shape", 1e-12, "0.01"),
        ("cp_plan.review_interval_months", 1e6, "600"),
        ("cp_plan.review_interval_months", 1e-9, "0.25"),
        ("recontact.mean_delay_months", 0.01, "0.25"),
        ("workforce.dynamics.agency_assignment_months", 0.001, "0.25"),
        ("opening_stock.looked_after", 10**9, f"{limits.MAX_CHILDREN}"),
    ],
)
def test_values_beyond_what_the_model_can_run_are_refused(
    baseline: Scenario, field: str, value: float, bound: str
) -> None:
    msg = _problem(_refused(baseline, {field: value}), field)
    stated = re.match(r"must be [≤≥<>] ([0-9.,e+]+),", msg)
    assert stated is not None, msg
    assert float(stated.group(1).replace(",", "")) == float(bound)


def test_band_edges_are_bounded(baseline: Scenario) -> None:
    err = _refused(baseline, {"assessment.duration_wd.edges": [0.0, 10.0, 1e15]})
    assert any(path.startswith("assessment.duration_wd.edges") for path, _ in err.problems)


def test_opening_stock_cannot_exceed_population(baseline: Scenario) -> None:
    err = _refused(baseline, {"population": 100})
    assert "cannot exceed population" in str(err)


@pytest.mark.parametrize("year", [1, 1899, 2101, 9999])
def test_dates_the_calendar_cannot_hold_are_refused(baseline: Scenario, year: int) -> None:
    err = _refused(baseline, {"run.start_date": dt.date(year, 4, 1)})
    msg = _problem(err, "run.start_date")
    assert "1990-01-01" in msg
    assert "2100-12-31" in msg


def test_change_dates_are_bounded(baseline: Scenario) -> None:
    change = {
        "date": dt.date(9999, 1, 1),
        "field": "demand.contacts_per_year",
        "factor": 1.1,
        "ramp_months": 24,
    }
    err = _refused(baseline, {"changes": [change]})
    assert _problem(err, "changes[0].date").startswith("must be a date from")


def test_too_many_change_moments_are_refused_before_validating_each(baseline: Scenario) -> None:
    start = baseline.run.start_date
    changes = [
        {
            "date": dt.date(start.year + i // 12, 1 + i % 12, 1),
            "field": "demand.contacts_per_year",
            "factor": 1.0,
        }
        for i in range(limits.MAX_CHANGES)
    ]
    fields = ["demand.contacts_per_year", "early_help.key_workers", "looked_after.uasc_per_year"]
    ramped = [
        {"date": dt.date(start.year, 5, 1 + i), "field": f, "factor": 1.1, "ramp_months": 600}
        for i, f in enumerate(fields)
    ]
    err = _refused(baseline, {"changes": ramped})
    assert "1,800 different moments" in str(err)
    assert "at most 1,200 are allowed" in str(err)
    too_many = [*changes, changes[0]]
    err = _refused(baseline, {"changes": too_many})
    assert any(path == "changes" and "at most 200" in msg for path, msg in err.problems)


def test_a_huge_factor_is_refused(baseline: Scenario) -> None:
    change = {"date": dt.date(2026, 1, 1), "field": "population", "factor": 1e300}
    err = _refused(baseline, {"changes": [change]})
    assert _problem(err, "changes[0].factor").startswith("must be ≤ 1,000")


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("name", "x" * (limits.MAX_NAME + 1), "text too long: at most 200 characters"),
        ("name", "two\nlines", "one line"),
        ("name", " padded", "spaces"),
        ("description", "y" * (limits.MAX_TEXT + 1), "text too long: at most 10,000 characters"),
    ],
)
def test_text_is_bounded(baseline: Scenario, field: str, value: str, expect: str) -> None:
    assert expect in _problem(_refused(baseline, {field: value}), field)


def test_team_names_are_names(baseline: Scenario) -> None:
    data = baseline.model_dump()
    teams = data["workforce"]["teams"]
    teams["bad\tname"] = teams.pop("assessment")
    with pytest.raises(ScenarioError) as info:
        validate(data)
    assert "control characters" in str(info.value) or "one line" in str(info.value)


def test_a_file_too_large_is_refused_without_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text('name = "' + "x" * limits.MAX_FILE_BYTES + '"\n')
    with pytest.raises(ScenarioError, match="larger than 1,024 KB"):
        load_scenario(big)


def test_tables_nested_too_deep_are_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text(f'extends = "{BASELINE}"\n' + ".".join(["a"] * 5000) + " = 1\n")
    with pytest.raises(ScenarioError, match="nested more than 16 deep"):
        load_scenario(deep)


def test_overrides_nested_too_deep_are_refused() -> None:
    value: dict[str, Any] = {}
    node = value
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ScenarioError, match="nested more than"):
        apply_overrides({}, {"demand": value})


def test_an_override_path_must_be_text() -> None:
    with pytest.raises(ScenarioError, match="dotted path"):
        apply_overrides({}, {"x" * 1000: 1})


def test_a_folder_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a file"):
        load_scenario(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX-only")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    with pytest.raises(ScenarioError, match="not a file"):
        load_scenario(pipe)


def test_every_bundled_scenario_is_inside_the_bounds() -> None:
    files = [*REPO.glob("scenarios/*.toml"), *REPO.glob("briefings/options/*.toml")]
    assert len(files) >= 10
    for f in files:
        assert f.stat().st_size < limits.MAX_FILE_BYTES
        load_scenario(f)  # raises if any bundled value is out of bounds


def test_within_keeps_every_file_of_a_chain_inside_a_folder(tmp_path: Path) -> None:
    """load_scenario(within=...) reads nothing outside the folder, by path, by .. or by a link."""
    inside = tmp_path / "uploads"
    inside.mkdir()
    for target in (str(BASELINE), "../outside.toml", "link.toml"):
        (tmp_path / "outside.toml").write_text(f'extends = "{BASELINE}"\n', encoding="utf-8")
        (inside / "link.toml").unlink(missing_ok=True)
        (inside / "link.toml").symlink_to(tmp_path / "outside.toml")
        upload = inside / "upload.toml"
        upload.write_text(f'extends = "{target}"\nname = "mine"\n', encoding="utf-8")
        with pytest.raises(ScenarioError) as info:
            load_scenario(upload, within=inside)
        assert info.value.problems[0][0] == "extends"
        assert "must be a file inside" in info.value.problems[0][1]
    with pytest.raises(ScenarioError, match="must be a file inside"):
        load_scenario(BASELINE, within=inside)
    local = inside / "base.toml"
    local.write_bytes(BASELINE.read_bytes())
    upload.write_text('extends = "base.toml"\nname = "mine"\n', encoding="utf-8")
    assert load_scenario(upload, within=inside).name == "mine"
