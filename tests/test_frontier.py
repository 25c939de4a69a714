"""Capacity and demand frontiers: the queueing closed form, then a small authority, the chart and the CLI.

* M/M/c, where the closed form applies: a team of ``c`` one-case workers (caseflow's own team and
  allocation) with Poisson arrivals and exponential holding times has a queue that grows without limit
  exactly when ``c ≤ λ/μ``. The smallest team whose queue does not grow, found by the same search the
  frontier uses on backlog growth measured the same way (a least-squares slope), is ``⌊λ/μ⌋ + 1``.
* The baseline at a tenth of its size: the curve has every level and measure, caseloads fall as the
  team grows, the backlog grows below the smallest stable establishment and not above it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from caseflow.cli import main
from caseflow.experiment.frontier import (
    GROWTH,
    backlog_growth,
    capacity_frontier,
    demand_frontier,
)
from caseflow.experiment.rootfind import FAILS, MEETS, Target, search
from caseflow.present.frontier import capacity_frontier_chart
from caseflow.scenario.scale import scaled
from caseflow.scenario.schema import Scenario
from caseflow.scenario.writer import write_scenario
from test_queueing_theory import run_mmc

# ===================================================================== M/M/c stability
MMC_LAM, MMC_MU, MMC_CUSTOMERS = 5.5, 1.0, 4_000


def queue_growth(c: int, replication: int) -> float:
    """Slope of the wait for allocation against arrival time, over the last two thirds of the run
    (time units of waiting per unit of time): about 1 − c·μ/λ when the queue is unstable, 0 when not."""
    run = run_mmc(c, MMC_LAM, MMC_MU, MMC_CUSTOMERS, replication)
    keep = slice(MMC_CUSTOMERS // 3, None)
    arrivals = np.arange(MMC_CUSTOMERS, dtype=float) / MMC_LAM  # expected arrival times
    return float(np.polyfit(arrivals[keep], run.waits[keep], 1)[0])


@pytest.mark.untraced
def test_smallest_stable_team_matches_the_mmc_stability_condition() -> None:
    expected = math.floor(MMC_LAM / MMC_MU) + 1  # 6: stable iff c > λ/μ = 5.5
    assert queue_growth(expected - 1, 0) > 0.05  # 5 workers: the wait grows by about 0.09 a unit of time

    def measure(c: float, reps: range) -> dict[str, list[float]]:
        return {GROWTH: [queue_growth(int(c), r) for r in reps]}

    found = search(measure, [Target(GROWTH, at_most=0.02)], 2.0, 10.0, step=1.0, confidence=0.95)
    assert found.status == "found"
    assert found.answer == expected
    assert found.failing == expected - 1
    assert found.probes[expected - 1].verdict == FAILS
    assert found.probes[expected].verdict == MEETS


# ===================================================================== a small authority
@pytest.fixture(scope="module")
def small(baseline: Scenario) -> Scenario:
    """A tenth of the baseline authority, with one warm-up year: 3 assessment FTE."""
    return scaled(baseline, 0.1).with_overrides({"run.warmup_years": 1})


@pytest.mark.slow
def test_capacity_frontier_of_a_small_assessment_team(small: Scenario) -> None:
    f = capacity_frontier(
        small,
        "assessment",
        levels=[1.0, 2.0, 4.0, 6.0],
        step=0.5,  # half an FTE, not the default tenth: the search is the same, with fewer levels to try
        years=2,
        replications=4,
        tolerance=6.0,
        executor="sequential",
    )
    curve = f.curve.pivot_table(index="level", columns="kpi", values="mean")
    assert {1.0, 2.0, 4.0, 6.0} <= set(curve.index)
    expected_kpis = {
        "caseload_mean_assessment",
        "unallocated_end_assessment",
        "assessment_within_45wd_pct",
        "icpc_within_15wd_pct",
        GROWTH,
    }
    assert set(curve.columns) == expected_kpis
    assert set(f.kpis) == expected_kpis - {GROWTH}
    caseload = curve["caseload_mean_assessment"]
    assert caseload.loc[1.0] > caseload.loc[2.0] > caseload.loc[4.0] > caseload.loc[6.0]
    assert curve[GROWTH].loc[1.0] > 50  # one worker for three workers' demand: the backlog runs away
    assert curve["assessment_within_45wd_pct"].loc[6.0] > curve["assessment_within_45wd_pct"].loc[1.0] + 30
    stable = f.stable
    assert stable is not None
    assert stable.status == "found"
    assert stable.answer is not None
    assert 1.0 < stable.answer <= 4.0
    assert stable.probes[stable.answer].verdict == MEETS
    assert f.replications >= 16
    record = f.to_json_dict()
    assert record["smallest_stable"] == stable.answer
    json.dumps(record)
    fig = capacity_frontier_chart(f)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    assert fig.axes[0].get_lines()  # the caseload curve is drawn


@pytest.mark.slow
def test_demand_frontier_of_a_small_authority(small: Scenario) -> None:
    # a front door large enough not to throttle contacts, so that the assessment team is what binds
    roomy = small.with_overrides({"workforce.teams.front_door.establishment": 20.0})
    d = demand_frontier(
        roomy,
        teams=["assessment"],
        targets=(),
        between=(1.0, 3.0),
        step=0.5,  # half today's contacts: the search is the same, with fewer levels to try
        years=2,
        replications=4,
        tolerance=6.0,
        executor="sequential",
    )
    assert d.search.status == "found"
    assert d.most is not None
    assert d.start <= d.most < 3.0 * d.start
    assert d.headroom_pct == pytest.approx(100 * (d.most / d.start - 1))
    # beyond the answer, the assessment team's backlog grows
    failing = d.search.failing
    assert failing is not None
    assert failing > d.most
    beyond = d.search.probes[failing]
    assert beyond.mean(f"{GROWTH}_assessment") > 6.0
    # the default also asks the front door to decide 90% of contacts within a working day: at a tenth
    # of the size, with 1.8 FTE, it decides fewer even at today's demand
    assert demand_frontier(
        small,
        between=(1.0, 1.5),
        step=0.25,
        years=1,
        replications=2,
        max_replications=2,
        executor="sequential",
    ).search.status in ("not_met", "undecided")
    json.dumps(d.to_json_dict())


def test_backlog_growth_reads_the_reported_months(small: Scenario) -> None:
    from caseflow import run

    results = run(small, years=1, replications=2, executor="sequential")
    growth = backlog_growth(results, "assessment", range(2))
    assert len(growth) == 2
    assert all(math.isfinite(g) for g in growth)
    # by hand for replication 0: the slope of the 12 reported month ends
    k = results.kpis
    y = k[
        (k.period_type == "month")
        & (~k.warmup)
        & (k.kpi == "unallocated_end_assessment")
        & (k.replication == 0)
    ]
    assert len(y) == 12
    assert growth[0] == pytest.approx(np.polyfit(np.arange(12) / 12.0, y["value"].to_numpy(float), 1)[0])
    assert math.isnan(backlog_growth(results, "no_such_team", range(1))[0])


def test_a_step_too_fine_is_refused_before_any_run(small: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("a replication ran before the request was checked")

    monkeypatch.setattr("caseflow.experiment.levels.LeverRuns.results", no_runs)
    with pytest.raises(ValueError, match="makes 1,000,000 levels"):
        capacity_frontier(small, "assessment", levels=[1.0, 2.0], step=1e-6, executor="sequential")


def test_frontier_refuses_bad_requests(small: Scenario) -> None:
    with pytest.raises(ValueError, match="has no team 'nope'"):
        capacity_frontier(small, "nope", executor="sequential")
    with pytest.raises(ValueError, match="does not hold cases"):
        capacity_frontier(small, "front_door", executor="sequential")
    with pytest.raises(ValueError, match="not a KPI"):
        capacity_frontier(small, "assessment", kpis=["nope"], executor="sequential")
    with pytest.raises(ValueError, match="tolerance"):
        capacity_frontier(small, "assessment", tolerance=-1.0, executor="sequential")
    with pytest.raises(ValueError, match="levels"):
        capacity_frontier(small, "assessment", levels=[-1.0, 2.0], executor="sequential")
    with pytest.raises(ValueError, match="teams must be among"):
        demand_frontier(small, teams=["nope"], executor="sequential")
    with pytest.raises(ValueError, match="multiples"):
        demand_frontier(small, between=(2.0, 1.0), executor="sequential")
    off = small.with_overrides({"workforce.enabled": False})
    with pytest.raises(ValueError, match="no enabled"):
        capacity_frontier(off, "assessment", executor="sequential")


# ===================================================================== the command line
def test_cli_frontier(small: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_scenario(tmp_path / "small.toml", small.model_dump(exclude={"provenance"}))
    chart, out = tmp_path / "frontier.png", tmp_path / "frontier.json"
    code = main(
        [
            "frontier", str(path), "--team", "assessment", "--levels", "1", "3", "6", "--no-search",
            "--years", "1", "--reps", "2", "--workers", "1", "--chart", str(chart), "--json", str(out),
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "Children per social worker" in text or "caseload" in text.lower()
    assert chart.stat().st_size > 10_000
    record = json.loads(out.read_text())
    assert record["team"] == "assessment"
    assert {r["level"] for r in record["curve"]} == {1.0, 3.0, 6.0}


def test_cli_frontier_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frontier", "scenarios/baseline.toml", "--team", "nope"]) == 2
    assert "has no team 'nope'" in capsys.readouterr().err
