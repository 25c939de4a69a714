"""Sensitivity screening: which assumptions are screened, and results that hold by construction.

Under common random numbers, an assumption that only prices things (a cost) cannot move timeliness at
all: its Morris effect on timeliness must be exactly zero, and its effect on cost must not. The staff
time an assumption takes away from casework (non-case time) must move timeliness in the small
authority where staff are stretched. The Morris indices themselves are SALib's; the test of our use of
them is a response whose effects are known (a linear function of the ranges).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from caseflow.cli import main
from caseflow.experiment.sensitivity import Assumption, _analyse, _sample, assumptions, sensitivity
from caseflow.present.sensitivity import save_tornados, tornado
from caseflow.scenario.scale import scaled
from caseflow.scenario.schema import Scenario
from caseflow.scenario.writer import write_scenario


@pytest.fixture(scope="module")
def small(baseline: Scenario) -> Scenario:
    return scaled(baseline, 0.1).with_overrides({"run.warmup_years": 1})


@pytest.fixture(scope="module")
def baseline_assumptions(baseline: Scenario) -> dict[str, Assumption]:
    """The baseline's assumptions by field, found once for the module: narrowing every range to what
    the scenario accepts validates a scenario per trial value, the slowest step here."""
    return {a.field: a for a in assumptions(baseline)}


def test_assumptions_are_the_values_marked_assumption_that_can_move_alone(
    baseline: Scenario, baseline_assumptions: dict[str, Assumption]
) -> None:
    found = baseline_assumptions
    assert "workforce.time.non_case_time" in found
    assert "costs.placements_weekly.secure" in found
    for a in found.values():
        source = baseline.source_of(a.field)
        assert source is not None
        assert source.method == "assumption"
        assert a.low < a.value < a.high or a.low <= a.value <= a.high
        assert not a.field.startswith("run.")
    # published or calibrated values are not screened; nor are a branch's probabilities (they move together)
    assert "demand.contacts_per_year" not in found
    assert not any(f.startswith("mash.outcome.") for f in found)
    a = found["workforce.time.non_case_time"]
    assert (a.low, a.high) == pytest.approx((0.35 * 0.75, 0.35 * 1.25))


@pytest.mark.untraced
def test_caps_move_together_and_every_sampled_point_of_the_baseline_is_a_valid_scenario(
    baseline: Scenario, baseline_assumptions: dict[str, Assumption]
) -> None:
    found = baseline_assumptions
    soft = found["workforce.teams.assessment.soft_cap"]
    assert "workforce.teams.assessment.hard_cap" not in found  # moved with the soft cap
    assert soft.linked == (("workforce.teams.assessment.hard_cap", 25.0),)
    assert soft.overrides(16.0) == {
        "workforce.teams.assessment.soft_cap": 16.0,
        "workforce.teams.assessment.hard_cap": pytest.approx(20.0),
    }
    params = list(found.values())
    problem = {"num_vars": len(params), "names": list(found), "bounds": [[p.low, p.high] for p in params]}
    for row in _sample("morris", problem, 4, 4, 0):
        changes: dict[str, float] = {}
        for p, v in zip(params, row, strict=True):
            changes |= p.overrides(v)
        baseline.with_overrides(changes)  # raises if a combination is not a scenario


def test_assumption_ranges_are_narrowed_to_what_the_scenario_accepts(baseline: Scenario) -> None:
    # a share of 0.9 cannot go 25% up: its range stops below 1
    high_share = baseline.with_overrides({"workforce.time.nqsw_caseload_factor": 0.9})
    (a,) = assumptions(high_share, fields=["workforce.time.nqsw_caseload_factor"])
    assert a.high < 1.0 < 0.9 * 1.25
    # and a share bounded at 0.5 (annual leave) stops below its own bound
    leave = baseline.with_overrides({"workforce.time.annual_leave": 0.45})
    (b,) = assumptions(leave, fields=["workforce.time.annual_leave"])
    assert b.high <= 0.5 < 0.45 * 1.25
    with pytest.raises(ValueError, match="not numeric scenario fields"):
        assumptions(baseline, fields=["nope.nothing"])
    with pytest.raises(ValueError, match="spread"):
        assumptions(baseline, spread=1.5)


def test_morris_indices_of_a_known_linear_response() -> None:
    """y = 3·a − 2·b + 0·c over ranges of width 1, 2 and 1: mu* = |3|·1, |−2|·2 and 0 exactly."""
    params = [Assumption("a", 0.5, 0.0, 1.0), Assumption("b", 1.0, 0.0, 2.0), Assumption("c", 0.5, 0.0, 1.0)]
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[p.low, p.high] for p in params]}
    x = _sample("morris", problem, 20, 4, 1)
    y = 3 * x[:, 0] - 2 * x[:, 1]
    result = _analyse("morris", problem, x, y, 4, 1)
    assert list(result["mu_star"]) == pytest.approx([3.0, 4.0, 0.0])
    assert list(result["sigma"]) == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


@pytest.mark.slow
def test_screening_a_small_authority(small: Scenario, tmp_path: Path) -> None:
    chosen = assumptions(
        small,
        fields=[
            "workforce.time.non_case_time",
            "costs.placements_weekly.secure",
            "workforce.visits.cp_hours",
        ],
    )
    result = sensitivity(
        small,
        parameters=chosen,
        trajectories=3,
        kpis=["assessment_within_45wd_pct", "cost_total"],
        years=1,
        executor="sequential",
    )
    assert len(result.runs) == 3 * (3 + 1)
    timeliness = result.ranking("assessment_within_45wd_pct").set_index("field")
    cost = result.ranking("cost_total").set_index("field")
    # a price moves cost only: exactly nothing else, under common random numbers
    assert timeliness.loc["costs.placements_weekly.secure", "mu_star"] == 0.0
    assert timeliness.loc["workforce.time.non_case_time", "mu_star"] > 5.0  # points of timeliness
    assert result.ranking("assessment_within_45wd_pct").iloc[0]["field"] == "workforce.time.non_case_time"
    assert cost.loc["workforce.time.non_case_time", "mu_star"] > 0
    record = result.to_json_dict()
    assert record["method"] == "morris"
    assert len(record["indices"]) == 2 * 3
    json.dumps(record)
    fig = tornado(result, "assessment_within_45wd_pct")
    assert isinstance(fig, Figure)
    assert len(fig.axes[0].patches) == 3  # one bar per assumption
    paths = save_tornados(result, tmp_path / "charts")
    assert [p.name for p in paths] == ["tornado_assessment_within_45wd_pct.png", "tornado_cost_total.png"]
    assert all(p.stat().st_size > 5_000 for p in paths)


def test_sensitivity_refuses_bad_requests(small: Scenario) -> None:
    two = assumptions(small, fields=["workforce.time.non_case_time", "workforce.visits.cp_hours"])
    with pytest.raises(ValueError, match="method"):
        sensitivity(small, parameters=two, method="fast", executor="sequential")
    with pytest.raises(ValueError, match="not a KPI"):
        sensitivity(small, parameters=two, kpis=["nope"], executor="sequential")
    with pytest.raises(ValueError, match="at least two"):
        sensitivity(small, parameters=two[:1], executor="sequential")
    with pytest.raises(ValueError, match="trajectories"):
        sensitivity(small, parameters=two, trajectories=1, executor="sequential")


def test_sobol_runs_and_gives_shares(small: Scenario) -> None:
    two = assumptions(small, fields=["workforce.time.non_case_time", "costs.placements_weekly.secure"])
    result = sensitivity(
        small, method="sobol", parameters=two, trajectories=2, kpis=["assessment_within_45wd_pct"], years=1,
        executor="sequential",
    )  # fmt: skip
    assert len(result.runs) == 2 * (2 + 2)
    rows = result.indices.set_index("field")
    assert rows.loc["costs.placements_weekly.secure", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(rows.loc["workforce.time.non_case_time", "ST"])


def test_cli_sensitivity(small: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_scenario(tmp_path / "small.toml", small.model_dump(exclude={"provenance"}))
    # without provenance nothing is marked an assumption: --list says so, and --fields chooses
    assert main(["sensitivity", str(path), "--list"]) == 0
    assert "0 assumptions" in capsys.readouterr().out
    out = tmp_path / "s.json"
    code = main(
        [
            "sensitivity", str(path), "--fields", "workforce.time.non_case_time,workforce.visits.cp_hours",
            "--trajectories", "2", "--kpis", "assessment_within_45wd_pct", "--years", "1", "--workers", "1",
            "--json", str(out), "--charts", str(tmp_path / "charts"),
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "Morris screening of 2 assumptions" in text
    assert "workforce.time.non_case_time" in text
    assert json.loads(out.read_text())["runs"] == 6
    assert (tmp_path / "charts" / "tornado_assessment_within_45wd_pct.png").exists()
    assert main(["sensitivity", str(path)]) == 2
    assert "at least two assumptions" in capsys.readouterr().err
