"""The web app's engine, without a browser (:mod:`caseflow.app`): levers as data turned into validated
scenarios, runs off the page with progress, cancel and a cache, uploads checked like any scenario and
kept in the session's folder, council-style numbers, and the authorities.

``caseflow app`` itself is tested in ``tests/test_app_command.py``; the page is driven in a real browser
by ``tests/test_app_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import doctest
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.app_support import BASELINE, SMALL_NAME, write_small_scenarios

import caseflow
from caseflow.app import formatting
from caseflow.app.baselines import ENGLAND, Baselines
from caseflow.app.jobs import BusyError, JobRunner, JobState, RunRequest
from caseflow.app.levers import Campaign, LeverError, levers_for, option_overrides, option_scenario
from caseflow.app.needs import TargetRequest, answer_text, level_rows
from caseflow.app.results import cost_rows, headline_rows, published_rows
from caseflow.app.settings import AppSettings, RunLimitError
from caseflow.app.uploads import UPLOAD_NAME, SessionFolder, UploadError, accept_upload
from caseflow.metrics.catalogue import describe
from caseflow.scenario.schema import Scenario


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenarios")
    write_small_scenarios(folder)
    return folder


@pytest.fixture(scope="module")
def small(small_dir: Path) -> Scenario:
    return caseflow.load_scenario(small_dir / "baseline.toml")


@pytest.fixture(scope="module")
def england() -> Scenario:
    return caseflow.load_scenario(BASELINE)


# --------------------------------------------------------------------------------------- formatting


def test_numbers_are_written_as_a_council_report_writes_them() -> None:
    assert doctest.testmod(formatting).failed == 0
    pct, cost, count = describe("assessment_within_45wd_pct"), describe("cost_total"), describe("referrals")
    assert formatting.value(pct, 87.46) == "87.5%"
    assert formatting.value(cost, 1_234_567) == "£1.2m"
    assert formatting.value(cost, 143_620_913) == "£144m"
    assert formatting.value(cost, 450_400) == "£450,000"
    assert formatting.value(cost, -3_210.4) == "−£3,210"
    assert formatting.value(count, 14_338.2) == "14,338"
    assert formatting.value(count, float("nan")) == "not available"
    assert formatting.difference(pct, 2.46) == "+2.5 points"
    assert formatting.difference(pct, -0.04) == "0.0 points"  # no "-0.0"
    assert formatting.difference(cost, 1.5e6) == "+£1.5m"
    assert formatting.interval(pct, -3.14, -1.82, of_difference=True) == "−3.1 to −1.8 points"
    assert formatting.interval(pct, 84.1, None) == "not available"


# ------------------------------------------------------------------------------------------- levers


def test_levers_offer_each_team_of_the_scenario_in_plain_words(england: Scenario) -> None:
    levers = levers_for(england)
    keys = [lv.key for lv in levers]
    assert len(keys) == len(set(keys))
    assert all(k.isidentifier() for k in keys)
    assert england.workforce is not None
    for team, params in england.workforce.teams.items():
        est = next(lv for lv in levers if lv.field == f"workforce.teams.{team}.establishment")
        assert est.shown(england) == params.establishment
        assert est.unit == "FTE"
        assert est.help
        assert "_" not in est.label
        caps = [lv for lv in levers if lv.field == f"workforce.teams.{team}.hard_cap"]
        assert len(caps) == (1 if params.case_holding else 0)
    by_key = {lv.key: lv for lv in levers}
    assert by_key["establishment__cin_cp"].label == "Child in need and child protection team: funded posts"
    assert by_key["agency_backfill"].shown(england) == pytest.approx(73.6)  # a share shown as a percentage
    assert by_key["contacts_change"].shown(england) == 0.0  # a change from the baseline
    for lv in levers:
        assert lv.minimum <= lv.shown(england) <= lv.maximum, lv.key


def test_lever_values_become_a_validated_option(england: Scenario) -> None:
    option = option_scenario(
        england,
        {
            "establishment__assessment": 25,
            "held_vacant__assessment": 30,
            "agency_backfill": 50,
            "contacts_change": 10,
            "early_help_workers": 24,
            "agency_hourly_rate": 60,
        },
        name="Option",
    )
    assert option.name == "Option"
    assert option.workforce is not None
    assert england.workforce is not None
    assert option.workforce.teams["assessment"].establishment == 25
    assert option.workforce.teams["assessment"].held_vacant == pytest.approx(0.30)
    assert option.workforce.dynamics.agency_backfill == pytest.approx(0.50)
    assert option.demand.contacts_per_year == pytest.approx(england.demand.contacts_per_year * 1.1)
    assert option.early_help.key_workers == 24
    assert option.costs is not None
    assert option.costs.agency.hourly_rate == 60
    # what the user set is cited as theirs, not as the baseline's source for the value it replaced
    assert option.provenance is not None
    note = option.provenance.sources["workforce.teams.assessment.establishment"]
    assert note.method == "assumption"
    assert "web app" in (note.note or "")
    # everything else is the baseline's
    assert option.workforce.teams["cin_cp"] == england.workforce.teams["cin_cp"]


def test_an_untouched_page_changes_nothing(england: Scenario) -> None:
    values = {lv.key: lv.shown(england) for lv in levers_for(england)}
    assert option_overrides(england, values) == {}
    same = option_scenario(england, values, name=england.name)
    assert same.hash() == england.hash()


def test_values_out_of_range_are_refused_by_label(england: Scenario) -> None:
    with pytest.raises(LeverError) as err:
        option_scenario(
            england, {"establishment__assessment": -1, "held_vacant__cin_cp": 95, "agency_backfill": None}
        )
    labels = [label for label, _ in err.value.problems]
    assert labels == [
        "Assessment team: funded posts",
        "Child in need and child protection team: posts held vacant",
        "Vacancies covered by agency social workers",
    ]
    assert "from 0 to 90" in err.value.problems[1][1]
    with pytest.raises(LeverError, match="not a lever"):
        option_overrides(england, {"no_such_lever": 1})


def test_a_cap_below_the_soft_cap_lowers_it_too(england: Scenario) -> None:
    option = option_scenario(england, {"hard_cap__cin_cp": 18})
    assert option.workforce is not None
    team = option.workforce.teams["cin_cp"]
    assert (team.soft_cap, team.hard_cap) == (18, 18)


def test_a_recruitment_campaign_adds_posts_from_its_date(england: Scenario) -> None:
    campaign = Campaign("cin_cp", 6, dt.date(2026, 4, 1), fill_months=4)
    option = option_scenario(england, {}, campaigns=[campaign])
    assert option.workforce is not None
    (change,) = option.workforce.changes
    assert (change.team, change.establishment, change.fill_months) == ("cin_cp", 70.0, 4.0)
    assert (
        "6 more posts in the child in need and child protection team from 1 April 2026" in campaign.describe()
    )
    with pytest.raises(LeverError, match="no team"):
        option_scenario(england, {}, campaigns=[Campaign("nobody", 1, dt.date(2026, 4, 1))])
    # on top of the posts the option itself funds
    both = option_scenario(england, {"establishment__cin_cp": 60}, campaigns=[campaign])
    assert both.workforce is not None
    assert both.workforce.changes[0].establishment == 66.0
    with pytest.raises(LeverError) as err:
        option_scenario(england, {}, campaigns=[Campaign("cin_cp", -2, dt.date(2020, 4, 1), fill_months=0)])
    assert [what.split(" ")[0] for _, what in err.value.problems] == ["extra", "months", "must"]
    assert "1 April 2025, when the simulation starts" in err.value.problems[2][1]


def test_teams_with_odd_names_still_get_distinct_identifiers(england: Scenario) -> None:
    assert england.workforce is not None
    teams = england.workforce.model_dump()["teams"]
    odd = {"a-b": teams["assessment"], "a_b": teams["cin_cp"]}
    others = {k: v for k, v in teams.items() if k not in ("assessment", "cin_cp")}
    scenario = england.with_overrides({"workforce.teams": odd | others, "provenance.sources": {}})
    keys = [lv.key for lv in levers_for(scenario)]
    assert len(keys) == len(set(keys))
    assert all(k.isidentifier() for k in keys)


# ------------------------------------------------------------------------------------------ settings


def test_runs_larger_than_the_limits_are_refused_before_they_start() -> None:
    s = AppSettings(folder=Path("unused"), base=BASELINE)
    s.check_run(60_000, 1, 5, 20)
    with pytest.raises(RunLimitError, match="from 1 to 10"):
        s.check_run(60_000, 1, 11, 20)
    with pytest.raises(RunLimitError, match="from 2 to 50"):
        s.check_run(60_000, 1, 5, 1)
    with pytest.raises(RunLimitError, match="too large for the web app"):
        s.check_run(350_000, 0, 10, 50)  # Kent, at the most replications and years
    with pytest.raises(ValueError, match="replications"):
        AppSettings(replications=0)


# ------------------------------------------------------------------------------------------- uploads


def _upload(small_dir: Path, tmp_path: Path, text: str | bytes, name: str = "mine.toml") -> Scenario:
    data = text.encode() if isinstance(text, str) else text
    return accept_upload(data, name, SessionFolder(tmp_path), small_dir, max_bytes=50_000)


def test_an_upload_may_extend_a_bundled_scenario(small_dir: Path, tmp_path: Path) -> None:
    scenario = _upload(small_dir, tmp_path, 'extends = "variant.toml"\nname = "Mine"\n')
    assert scenario.name == "Mine"
    assert scenario.demand.contacts_per_year == 1500.0  # from variant.toml, which extends baseline.toml
    assert scenario.population == 6000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.toml", UPLOAD_NAME, "variant.toml"]


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ('name = "x"\n[demand]\ncontacts_per_yer = 3\n', "demand.contacts_per_yer", "unknown field"),
        (
            'extends = "baseline.toml"\n[demand]\ncontacts_per_year = -5\n',
            "demand.contacts_per_year",
            "must be >",
        ),
        ('extends = "../../etc/passwd"\n', "extends", "only one of the bundled scenarios"),
        ('extends = "/etc/passwd"\n', "extends", "only one of the bundled scenarios"),
        ("extends = [1]\n", "extends", "only one of the bundled scenarios"),
        ("this is not toml", "", "not valid TOML"),
        (b"\xff\xfe\x00", "", "not UTF-8"),
        ("   \n", "", "empty"),
    ],
)
def test_a_bad_upload_says_what_is_wrong(
    small_dir: Path, tmp_path: Path, text: str | bytes, where: str, what: str
) -> None:
    with pytest.raises(UploadError) as err:
        _upload(small_dir, tmp_path, text, name="../../my file<script>.toml")
    assert err.value.shown_name == ".._.._my file_script_.toml"  # shown, never used as a path
    assert any(w == where and what in m for w, m in err.value.problems), err.value.problems
    assert str(tmp_path) not in str(err.value)  # the server's folders are not shown
    assert not (tmp_path / UPLOAD_NAME).exists()
    assert [p for p in tmp_path.rglob("*") if p.suffix != ".toml"] == []


def test_an_upload_too_large_is_refused_by_its_size(small_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="at most 49 KB"):
        accept_upload(
            b"name = 'x'\n", "big.toml", SessionFolder(tmp_path), small_dir, max_bytes=50_000, size=2**20
        )
    assert list(tmp_path.iterdir()) == []


def test_session_folders_are_separate_and_removed(tmp_path: Path) -> None:
    a, b = SessionFolder.create(tmp_path / "sessions"), SessionFolder.create(tmp_path / "sessions")
    assert a.path != b.path
    assert a.path.parent == b.path.parent == tmp_path / "sessions"
    (a.path / "x").write_text("x")
    a.remove()
    assert not a.path.exists()
    assert b.path.exists()


# ---------------------------------------------------------------------------------------------- jobs


def _request(small: Scenario, establishment: float = 1.0, reps: int = 2) -> RunRequest:
    option = option_scenario(small, {"establishment__assessment": establishment}, name="Option")
    return RunRequest(small, option, years=1, replications=reps, seed=3)


def test_a_run_reports_progress_and_is_cached_for_every_session(small: Scenario, tmp_path: Path) -> None:
    runner = JobRunner("sequential", store=tmp_path / "store")
    try:
        job = runner.submit(_request(small))
        seen = []
        while not job.wait(0.02):
            seen.append(job.status().done)
        status = job.status()
        assert status.state is JobState.DONE
        assert (status.done, status.total) == (4, 4)
        assert seen == sorted(seen)
        assert seen[0] < 4
        assert job.result is not None
        assert set(job.result.names) == {SMALL_NAME, "Option"}
        again = runner.submit(_request(small))  # the same run from another session: no simulation
        assert again.status().from_cache
        assert again.result is job.result
        # a new option reuses the baseline's stored replications: half the run is done at once
        other = runner.submit(_request(small, establishment=2.0))
        other.wait(30)
        assert other.status().state is JobState.DONE
        assert len(list((tmp_path / "store").glob("*.pkl"))) == 6
    finally:
        runner.close()


def test_cancel_stops_a_run_at_once(small: Scenario) -> None:
    runner = JobRunner("sequential")
    try:
        job = runner.submit(_request(small, reps=30))
        while job.status().done < 1:
            time.sleep(0.02)
        started = time.monotonic()
        job.cancel()
        status = job.status()
        assert status.state is JobState.CANCELLED
        assert status.finished
        assert "Stopped" in status.message
        assert job.wait(0)
        assert job.result is None
        deadline = time.monotonic() + 10
        while runner._running and time.monotonic() < deadline:  # the coordinating thread lets go
            time.sleep(0.02)
        assert not runner._running
        assert time.monotonic() - started < 5
        assert job.status().done < 60
        assert runner.cached(job.request) is None  # nothing kept from a cancelled run
    finally:
        runner.close()


@pytest.mark.untraced
def test_runs_go_to_worker_processes_and_never_hold_up_the_caller(small: Scenario, tmp_path: Path) -> None:
    """On the default executor (local processes), ``submit`` returns at once and the results are the
    same as in this process (seeded by replication number)."""
    runner = JobRunner("processes", workers=2)
    try:
        started = time.monotonic()
        job = runner.submit(_request(small))
        assert time.monotonic() - started < 0.5
        assert job.status().state in (JobState.QUEUED, JobState.RUNNING)
        assert job.wait(120)
        assert job.status().state is JobState.DONE, job.status().message
        assert runner._pool is not None
        workers = list(runner._pool._processes.values())  # the pool's own processes
    finally:
        runner.close()
    assert workers
    assert not any(w.is_alive() for w in workers)  # closing the app ends its worker processes
    here = JobRunner("sequential")
    try:
        same = here.submit(_request(small))
        same.wait(60)
    finally:
        here.close()
    assert job.result is not None
    assert same.result is not None
    a, b = (c.results["Option"].kpis for c in (job.result, same.result))
    assert a.equals(b)


def test_a_worker_that_dies_fails_its_run_not_the_app(small: Scenario) -> None:
    runner = JobRunner("processes", workers=1)
    try:
        job = runner.submit(_request(small, reps=30))
        while job.status().done < 1:
            time.sleep(0.02)
        assert runner._pool is not None
        for process in list(runner._pool._processes.values()):  # the pool's own processes
            process.kill()  # as the system does when memory runs out
        assert job.wait(60)
        status = job.status()
        assert status.state is JobState.FAILED
        assert "worker process stopped" in status.message
        again = runner.submit(_request(small))  # a new pool
        assert again.wait(60)
        assert again.status().state is JobState.DONE, again.status().message
    finally:
        runner.close()


def test_runs_go_to_a_dask_cluster_when_one_is_configured(small: Scenario) -> None:
    """A scheduler address sends the replications to the cluster; progress and cancel work the same."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        runner = JobRunner(cluster.scheduler_address)
        try:
            job = runner.submit(_request(small))
            assert job.wait(60)
            assert job.status().state is JobState.DONE, job.status().message
            assert job.status().done == 4
            long = runner.submit(_request(small, establishment=2.0, reps=30))
            while long.status().done < 1:
                time.sleep(0.02)
            long.cancel()
            assert long.status().state is JobState.CANCELLED
        finally:
            runner.close()
    assert job.result is not None
    assert set(job.result.names) == {SMALL_NAME, "Option"}


def test_a_run_too_long_or_too_large_stops_with_a_message(small: Scenario) -> None:
    runner = JobRunner("sequential")
    try:
        slow = runner.submit(RunRequest(small, _request(small).option, years=1, replications=2, seconds=0.01))
        assert slow.wait(60)
        assert slow.status().state is JobState.FAILED
        assert "took longer than the app allows" in slow.status().message
        huge = small.with_overrides({"demand.contacts_per_year": 1_000_000.0})
        big = runner.submit(
            RunRequest(small, huge.with_overrides({}, name="Option"), years=50, replications=2)
        )
        assert big.wait(60)
        assert big.status().state is JobState.FAILED
        assert "too large to run" in big.status().message
        assert big.status().done == 0  # refused before the first replication
    finally:
        runner.close()


def test_too_many_runs_at_once_are_refused(small: Scenario) -> None:
    runner = JobRunner("sequential", max_jobs=1)
    try:
        first = runner.submit(_request(small, reps=30))
        with pytest.raises(BusyError, match="try again"):
            runner.submit(_request(small, establishment=2.0))
        first.cancel()
    finally:
        runner.close()


def test_a_failing_run_says_so_in_words(small: Scenario) -> None:
    runner = JobRunner("sequential")
    try:
        bad = RunRequest(small, small, years=1, replications=2)  # the same name twice: compare refuses
        job = runner.submit(bad)
        job.wait(30)
        status = job.status()
        assert status.state is JobState.FAILED
        assert status.message.startswith("The run failed")
    finally:
        runner.close()
    with pytest.raises(ValueError, match="executor"):
        JobRunner("threads")


# ------------------------------------------------------------------------------------ what is needed


@pytest.mark.untraced
def test_what_is_needed_is_found_off_the_page(small: Scenario) -> None:
    """The smallest funded posts meeting a target: a search job with progress but no total known."""
    request = TargetRequest(
        small,
        "assessment",
        "assessment_within_45wd_pct",
        80,
        confidence=0.8,
        years=1,
        seed=2,
        initial_replications=2,
        max_replications=4,
    )
    assert request.question().startswith("What is the smallest number of funded posts in the assessment team")
    assert "80.0% or more, with 80% confidence" in request.question()
    runner = JobRunner("processes", workers=2)  # the simulations untraced by coverage, in workers
    try:
        job = runner.submit(request)
        assert job.wait(120)
    finally:
        runner.close()
    status = job.status()
    assert status.state is JobState.DONE, status.message
    assert status.total == 0
    assert status.done >= 4
    result = job.result
    assert result.status in ("found", "met_throughout"), result.status
    text = answer_text(request, result)
    assert "FTE" in text
    assert "Today the assessment team has 3 FTE funded." in text
    rows = level_rows(request, result)
    posts = [float(r.level.split()[0]) for r in rows]
    assert posts == sorted(posts)
    assert any(r.verdict == "meets the target" for r in rows)
    assert all(r.means[0].endswith("%") for r in rows)
    other = TargetRequest(small, "assessment", "assessment_within_45wd_pct", 85)
    assert other.key() != request.key()
    with pytest.raises(ValueError, match="not a measure"):
        TargetRequest(small, "assessment", "cost_total", 1)
    with pytest.raises(ValueError, match="no team"):
        TargetRequest(small, "nobody", "caseload_mean", 18)


def test_a_search_larger_than_the_limits_is_refused() -> None:
    s = AppSettings(folder=Path("unused"), base=BASELINE)
    s.check_search(60_000, 1, 3, 20)
    with pytest.raises(RunLimitError, match="fewer years"):
        s.check_search(350_000, 0, 5, 20)


# ------------------------------------------------------------------------------------------- results


def test_results_read_as_a_council_report(small: Scenario) -> None:
    runner = JobRunner("sequential")
    try:
        job = runner.submit(_request(small, establishment=1.0))
        job.wait(60)
    finally:
        runner.close()
    assert job.result is not None
    rows = {r.kpi: r for r in headline_rows(job.result)}
    row = rows["assessment_within_45wd_pct"]
    assert row.label == "Assessments completed within 45 working days"
    assert row.baseline.endswith("%")
    assert row.difference.endswith(" points")
    assert " to " in row.baseline_ci
    assert row.verdict in ("clear", "within chance", "too few replications to tell: run more")
    assert row.option_mean < row.baseline_mean  # a third of the assessment team: slower assessments
    assert rows["cost_total"].baseline.startswith("£")
    costs = cost_rows(job.result)
    assert {c.period for c in costs} == {"2025-26"}
    assert {c.kpi for c in costs} >= {"cost_total", "cost_staff_agency"}


# ----------------------------------------------------------------------------------------- baselines


@pytest.fixture(scope="module")
def baselines() -> Baselines:
    return Baselines(BASELINE)


def test_every_authority_can_be_a_baseline(baselines: Baselines) -> None:
    assert baselines.scenario(ENGLAND).name == "baseline"
    authorities = baselines.authorities()
    assert len(authorities) > 140
    assert len({a.code for a in authorities}) == len(authorities)
    peterborough = next(a for a in authorities if a.name == "Peterborough")
    scenario = baselines.scenario(peterborough.code)
    assert scenario.provenance is not None
    assert scenario.provenance.la_code == peterborough.code
    assert scenario.provenance.profile_year == baselines.year()
    assert baselines.scenario(peterborough.code) is scenario  # built once
    assert baselines.published_figures(baselines.england()) is None  # not an authority's profile


@pytest.mark.untraced
def test_an_authority_baseline_is_shown_beside_its_published_figures(baselines: Baselines) -> None:
    """The profile's first simulated year beside the year it was built from: a steady authority stays
    steady, so its stocks at 31 March are close to the published ones."""
    from caseflow.experiment.compare import Comparison

    code = next(a.code for a in baselines.authorities() if a.name == "Peterborough")
    scenario = baselines.scenario(code)
    found = baselines.published_figures(scenario)
    assert found is not None
    targets, year = found
    assert year == baselines.year()
    results = caseflow.run(scenario, years=1, replications=2, seed=1, workers=2)  # in worker processes
    comparison = Comparison({scenario.name: results, "Option": results}, baseline=scenario.name)
    rows = {r.kpi: r for r in published_rows(comparison, targets, year)}
    assert {"cin_open_end", "cp_plans_open_end", "cla_open_end", "referrals"} <= set(rows)
    for kpi in ("cin_open_end", "cla_open_end"):
        row = rows[kpi]
        assert abs(row.modelled_value / row.published_value - 1) < 0.25, (kpi, row)
        assert row.gap.endswith("%")
    pct = next(r for r in rows.values() if r.kpi == "re_referrals_12m_pct")
    assert pct.gap.endswith(" points")


# ------------------------------------------------------------------------------------------- layers


def test_the_engine_loads_no_web_framework() -> None:
    """Levers, jobs, uploads, baselines and results work without Shiny: tested, and usable, on their own."""
    probe = (
        "import sys, json\n"
        "import caseflow.app, caseflow.app.levers, caseflow.app.jobs, caseflow.app.uploads\n"
        "import caseflow.app.results, caseflow.app.baselines, caseflow.app.formatting, caseflow.app.needs\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('shiny', 'uvicorn'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == []


def test_every_lever_is_documented(england: Scenario) -> None:
    """docs/app.md's table names every lever the page offers, and the field it sets."""
    text = (BASELINE.parents[1] / "docs" / "app.md").read_text(encoding="utf-8")
    for lever in levers_for(england):
        assert (lever.short or lever.label) in text, lever.key
        field = lever.field if lever.team is None else lever.field.replace(f".{lever.team}.", ".<team>.")
        assert f"`{field}" in text, field
        assert lever.unit in text, lever.unit
