"""Tests for the command line (:mod:`caseflow.cli`, DESIGN §8), the report folder
(:mod:`caseflow.present.report`) and atomic writing (:mod:`caseflow.files`)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import caseflow.cli
import caseflow.experiment.runner
import caseflow.files
import caseflow.present.report
from caseflow.cli import main
from caseflow.experiment.results import Results
from caseflow.files import OutputFolderError, atomic_write_text, write_json
from caseflow.metrics import KPIS, Catalogue
from caseflow.present.report import write_report
from caseflow.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"

# write_report's documented files (see caseflow.present.report.write_report).
REPORT_FILES = {
    "kpis.csv",
    "kpi_definitions.csv",
    "summary_financial_year.csv",
    "summary_month.csv",
    "headline.csv",
    "headline.md",
    "results.json",
    "scenario.json",
    "workbook.xlsx",
    "pathway_flow.png",
    "timeliness.png",
    "caseload_by_team.png",
    "unallocated.png",
    "costs_by_year.png",
    ".caseflow-output",  # the list of the files caseflow wrote (so that a later run may replace them)
}
JSON_KEYS = {"scenario", "seed", "replications", "years", "kpis"}
# Pathway KPIs named in the DESIGN §6 stable contract.
CONTRACT_KPIS = {
    "contacts",
    "contact_decision_within_1wd_pct",
    "contact_to_referral_pct",
    "early_help_starts",
    "referrals",
    "referrals_per_10k",
    "re_referrals_12m_pct",
    "referral_nfa_pct",
    "assessments_completed",
    "assessment_within_45wd_pct",
    "assessment_median_wd",
    "s47_enquiries",
    "s47_per_10k",
    "icpcs",
    "s47_to_icpc_pct",
    "icpc_within_15wd_pct",
    "cp_plans_started",
    "cp_plans_open_end",
    "cp_per_10k_end",
    "cp_second_or_subsequent_pct",
    "cp_ended_2y_plus_pct",
    "cin_open_end",
    "cin_per_10k_end",
    "cla_starts",
    "cla_ceased",
    "cla_open_end",
    "cla_per_10k_end",
}


def _strict_json(path: Path) -> Any:
    """Parse JSON, refusing NaN/Infinity (which are not JSON)."""

    def bad(token: str) -> None:
        raise AssertionError(f"non-JSON constant {token} in {path}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=bad)


def _invalid_scenario(tmp_path: Path) -> Path:
    p = tmp_path / "invalid.toml"
    p.write_text(f"extends = {json.dumps(str(BASELINE))}\n[mash]\nurgent_referral = 1.7\n", encoding="utf-8")
    return p


def _reported_fy_label() -> str:
    """Label of the one financial year reported after the warm-up (e.g. "2026-27")."""
    run = load_scenario(BASELINE).run
    y = run.start_date.year + run.warmup_years
    return f"{y}-{(y + 1) % 100:02d}"


# ------------------------------------------------------------------------------ validate


def test_validate_baseline_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BASELINE)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"OK: {BASELINE}")
    assert load_scenario(BASELINE).hash()[:12] in out
    assert err == ""


def test_validate_invalid_file_exits_2_with_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _invalid_scenario(tmp_path)
    assert main(["validate", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"caseflow: invalid scenario {bad}:")
    assert "mash.urgent_referral" in err
    assert "[0, 1]" in err
    assert "Traceback" not in err


def test_validate_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.toml"
    assert main(["validate", str(missing)]) == 2
    _, err = capsys.readouterr()
    assert str(missing) in err
    assert "not found" in err


def test_validate_bad_toml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "broken.toml"
    p.write_text("name = \n", encoding="utf-8")
    assert main(["validate", str(p)]) == 2
    _, err = capsys.readouterr()
    assert "not valid TOML" in err
    assert "Traceback" not in err


def test_run_on_invalid_scenario_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _invalid_scenario(tmp_path)
    out_dir, json_file = tmp_path / "out", tmp_path / "r.json"
    rc = main(
        ["run", str(bad), "--years", "1", "--reps", "1", "--json", str(json_file), "--out", str(out_dir)]
    )
    assert rc == 2
    _, err = capsys.readouterr()
    assert "mash.urgent_referral" in err
    assert not out_dir.exists()
    assert not json_file.exists()


def test_subprocess_validate_exit_codes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    ok = subprocess.run(
        [sys.executable, "-m", "caseflow.cli", "validate", str(BASELINE)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK:")

    bad = _invalid_scenario(tmp_path)
    res = subprocess.run(
        [sys.executable, "-m", "caseflow.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert res.returncode == 2
    assert f"invalid scenario {bad}" in res.stderr
    assert "mash.urgent_referral" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


#: What answering ``--help`` or ``validate`` must not load: each takes a large part of a second or more
#: (issue 12 asks both to answer in under a second; docs/performance.md measures them).
HEAVY = (
    "matplotlib",
    "pandas",
    "scipy.stats",
    "openpyxl",
    "caseflow.model.simulation",
    "caseflow.experiment",
)


@pytest.mark.parametrize(
    ("command", "allowed"),
    [
        (["--help"], ()),
        (["validate", str(BASELINE)], ()),
        # checking a briefing's KPI names reads the catalogue, not the KPIs' computation
        (["validate", str(REPO / "briefings" / "police_contacts_or_front_door_staff.toml")], ()),
    ],
)
def test_help_and_validate_load_nothing_heavy(command: list[str], allowed: tuple[str, ...]) -> None:
    """The quick commands import only what they use (a scenario's checks, not the model or the charts)."""
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['caseflow', *{command!r}]\n"
        "try:\n"
        "    runpy.run_module('caseflow.cli', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"loaded = sorted(m for m in {HEAVY!r} if m in sys.modules and m not in {allowed!r})\n"
        "print('LOADED', loaded)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 0, res.stderr
    assert "LOADED []" in res.stdout, res.stdout[-500:]


# ------------------------------------------------------------------------------ bad flags


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--reps", "0"], "must be at least 1"),
        (["--seed", "-1"], "must be 0 or more"),
        (["--years", "0"], "must be at least 1"),
        (["--workers", "0"], "must be at least 1"),
        (["--reps", "two"], "expected a whole number"),
        (["--seed", "1.5"], "expected a whole number"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_bad_flags_exit_2(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    json_file = tmp_path / "r.json"
    with pytest.raises(SystemExit) as info:
        main(["run", str(BASELINE), *flags, "--json", str(json_file)])
    assert info.value.code == 2
    _, err = capsys.readouterr()
    assert expected in err
    assert not json_file.exists()


def test_missing_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ run


@dataclass
class CliRun:
    rc: int
    stdout: str
    stderr: str
    json_file: Path
    out_dir: Path
    results: Results


def _ran(cli_run: CliRun) -> Path:
    """The scenario file the fixture's ``caseflow run`` ran."""
    return cli_run.out_dir.parent / "baseline_fifth.toml"


def _fifth_file(folder: Path) -> Path:
    """The baseline at a fifth of its size (same rates and caseloads), as a scenario file extending it."""
    from caseflow.scenario.scale import scaled
    from caseflow.scenario.writer import write_scenario

    base = load_scenario(BASELINE)
    small = scaled(base, 0.2, name=base.name)
    changed = {
        "population": small.population,
        "demand.contacts_per_year": small.demand.contacts_per_year,
        "looked_after.uasc_per_year": small.looked_after.uasc_per_year,
        "early_help.key_workers": small.early_help.key_workers,
        **{
            f"opening_stock.{k}": getattr(small.opening_stock, k)
            for k in ("children_in_need", "child_protection", "looked_after", "in_assessment")
        },
    }
    assert small.workforce is not None
    changed |= {
        f"workforce.teams.{t}.establishment": p.establishment for t, p in small.workforce.teams.items()
    }
    path = folder / "baseline_fifth.toml"
    write_scenario(path, changed, extends=BASELINE)
    return path


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """One real ``caseflow run`` in-process; the Results object is kept (by wrapping the real run)."""
    base = tmp_path_factory.mktemp("cli")
    json_file = base / "nested" / "headline.json"  # parent folder does not exist yet
    out_dir = base / "results"
    captured: list[Results] = []
    real_run = caseflow.experiment.runner.run

    def spy(*args: Any, **kwargs: Any) -> Results:
        res = real_run(*args, **kwargs)
        captured.append(res)
        return res

    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(caseflow.experiment.runner, "run", spy)  # the CLI imports it when it runs
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = main(
                [
                    "run",
                    str(_fifth_file(base)),
                    "--years",
                    "1",
                    "--reps",
                    "2",
                    "--seed",
                    "3",
                    "--workers",
                    "1",
                    "--json",
                    str(json_file),
                    "--out",
                    str(out_dir),
                ]
            )
    assert len(captured) == 1, (rc, stderr.getvalue())
    return CliRun(rc, stdout.getvalue(), stderr.getvalue(), json_file, out_dir, captured[0])


def test_run_exits_0_and_prints_table(cli_run: CliRun) -> None:
    assert cli_run.rc == 0, cli_run.stderr
    assert cli_run.stderr == ""
    out = cli_run.stdout
    warmup = load_scenario(BASELINE).run.warmup_years
    assert warmup == 1
    assert "baseline: 2 replications × 1 financial year after a 1-year warm-up (seed 3)" in out
    assert "95% CI" in out
    (contacts,) = [line for line in out.splitlines() if line.endswith(" contacts")]
    assert contacts.strip().startswith("Contacts received (children)")
    assert " children " in contacts
    assert f"wrote {cli_run.json_file}" in out
    assert f"wrote {cli_run.out_dir}/" in out


def test_more_workers_than_cores_is_a_plain_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--workers`` above the cores runs one process per core and says so in a sentence, not a warning's
    file, line and class name."""
    from caseflow.experiment.executors import usable_cores

    many = usable_cores() + 5
    rc = main(["run", str(_fifth_file(tmp_path)), "--years", "1", "--reps", "2", "--workers", str(many)])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert err.startswith(f"caseflow: note: {many} workers asked for, but this computer lets caseflow use ")
    assert "Results do not depend on the number of workers." in err
    assert "Warning" not in err
    assert ".py:" not in err


def test_run_table_names_every_kpi_by_its_label_and_unit(cli_run: CliRun) -> None:
    """A council officer reads labels and units; the name is only a last column, for ``--kpis``."""
    catalogue = Catalogue()
    rows = [line.split() for line in cli_run.stdout.splitlines() if line.startswith("  ")]
    named = {r[-1] for r in rows if r[-1] in set(cli_run.results.kpis["kpi"])}
    assert named == set(cli_run.results.kpis["kpi"])
    for line in cli_run.stdout.splitlines():
        words = line.split()
        if words and words[-1] in named:
            kpi = catalogue[words[-1]]
            assert line.strip().startswith(kpi.label[:30]), line
            assert kpi.unit_label in line, line
    sections = [s for s in ("Demand", "Timeliness", "Workforce", "Costs (£ a year)") if s in cli_run.stdout]
    assert len(sections) == 4


def test_run_intervals_respect_bounds(cli_run: CliRun) -> None:
    data = _strict_json(cli_run.json_file)["kpis"]
    catalogue = Catalogue()
    for name, k in data.items():
        lower, upper = catalogue.bounds(name)
        if k["ci_low"] is not None and lower is not None:
            assert k["ci_low"] >= lower, name
        if k["ci_high"] is not None and upper is not None:
            assert k["ci_high"] <= upper, name


def test_run_passes_flags_through(cli_run: CliRun) -> None:
    r = cli_run.results
    assert (r.seed, r.replications, r.years) == (3, 2, 1)
    assert sorted(r.kpis["replication"].unique()) == [0, 1]
    assert r.scenario.hash() == load_scenario(_ran(cli_run)).hash()


def test_run_json_shape(cli_run: CliRun) -> None:
    data = _strict_json(cli_run.json_file)
    assert set(data) - {"provenance"} == JSON_KEYS
    assert set(data) <= JSON_KEYS | {"provenance"}
    assert data["scenario"] == "baseline"
    assert data["seed"] == 3
    assert data["replications"] == 2
    assert data["years"] == 1
    assert isinstance(data["kpis"], dict)
    assert data["kpis"]
    for name, k in data["kpis"].items():
        assert set(k) == {"mean", "ci_low", "ci_high"}, name
        for v in k.values():
            assert v is None or isinstance(v, int | float), (name, k)
        if None not in k.values():
            assert k["ci_low"] <= k["mean"] + 1e-9, name
            assert k["mean"] <= k["ci_high"] + 1e-9, name


def test_run_json_has_every_declared_and_contract_kpi(cli_run: CliRun) -> None:
    kpis = _strict_json(cli_run.json_file)["kpis"]
    assert set(kpis) >= {k.name for k in KPIS}  # (breakdowns such as per-team KPIs may be added)
    assert set(kpis) >= CONTRACT_KPIS
    # a populated run has real numbers for the basic counts
    assert kpis["contacts"]["mean"] > 0
    assert kpis["referrals"]["mean"] > 0


def test_run_json_mean_is_mean_over_replications(cli_run: CliRun) -> None:
    kpis = _strict_json(cli_run.json_file)["kpis"]
    fy = cli_run.results.reported("financial_year")
    assert set(fy["period"].unique()) == {_reported_fy_label()}
    contacts = fy[fy["kpi"] == "contacts"]["value"]
    assert len(contacts) == 2
    assert kpis["contacts"]["mean"] == pytest.approx(contacts.mean())


def test_run_json_provenance(cli_run: CliRun) -> None:
    prov = _strict_json(cli_run.json_file)["provenance"]
    assert prov["seed"] == 3
    assert prov["replications"] == [0, 1]
    assert prov["scenario_hash"] == load_scenario(_ran(cli_run)).hash()
    assert prov["scenario_source"] == str(_ran(cli_run))


def test_run_out_folder_has_documented_files(cli_run: CliRun) -> None:
    out = cli_run.out_dir
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    # nothing temporary left beside it
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_run_out_folder_contents(cli_run: CliRun) -> None:
    out = cli_run.out_dir
    assert _strict_json(out / "results.json") == _strict_json(cli_run.json_file)
    scenario = _strict_json(out / "scenario.json")
    assert scenario == cli_run.results.scenario.to_dict()
    blob = json.dumps(scenario, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(blob.encode()).hexdigest() == load_scenario(_ran(cli_run)).hash()

    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["replication", "period_type", "period", "warmup", "kpi", "value"]
    assert set(kpis["period_type"]) == {"financial_year", "month"}
    assert len(kpis) == len(cli_run.results.kpis)

    fy = pd.read_csv(out / "summary_financial_year.csv")
    assert {"period", "kpi", "mean", "ci_low", "ci_high"} <= set(fy.columns)
    assert set(fy["period"]) == {_reported_fy_label()}
    month = pd.read_csv(out / "summary_month.csv")
    assert month["period"].nunique() == 12  # the warm-up year's months are excluded

    head = pd.read_csv(out / "headline.csv", index_col=0)
    assert set(head.index) == set(_strict_json(cli_run.json_file)["kpis"])
    assert list(head.columns[:3]) == ["label", "unit", "section"]
    assert head.loc["cp_per_10k_end", "label"] == "Child protection plans per 10,000 children, 31 March"
    assert head.loc["cp_per_10k_end", "unit"] == "per 10,000 children aged 0–17"
    assert {"label", "unit", "section"} <= set(fy.columns)
    md = (out / "headline.md").read_text(encoding="utf-8")
    assert md.startswith("# baseline")
    assert "| Contacts received (children) | " in md
    assert "## Timeliness" in md
    assert "`contacts`" not in md
    definitions = pd.read_csv(out / "kpi_definitions.csv", index_col="kpi")
    assert set(definitions.index) == set(head.index)
    assert definitions.loc["assessment_within_45wd_pct", "benchmark"] == 85.7
    assert definitions.loc["assessment_within_45wd_pct", "upper_bound"] == 100


@pytest.mark.untraced
def test_write_report_replaces_a_folder_it_wrote(cli_run: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "report"
    write_report(cli_run.results, out)
    (out / "kpis.csv").write_text("stale", encoding="utf-8")
    write_report(cli_run.results, out)
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    assert (out / "kpis.csv").read_text(encoding="utf-8") != "stale"
    listed = set((out / ".caseflow-output").read_text(encoding="utf-8").split())
    assert listed == REPORT_FILES - {".caseflow-output"}
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_report(cli_run.results, empty)  # an empty folder holds nothing to lose
    assert {p.name for p in empty.iterdir()} == REPORT_FILES


def test_a_missing_or_empty_folder_may_be_written_and_a_file_may_not(tmp_path: Path) -> None:
    caseflow.files.replaceable_folder(tmp_path / "missing")  # nothing there to lose
    assert not (tmp_path / "missing").exists()  # and nothing made by checking
    (tmp_path / "empty").mkdir()
    caseflow.files.replaceable_folder(tmp_path / "empty")
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="not a folder"):
        caseflow.files.replaceable_folder(tmp_path / "a_file")


@pytest.mark.untraced
def test_write_report_never_deletes_files_it_did_not_write(cli_run: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "my notes.txt").write_text("a user's notes", encoding="utf-8")
    with pytest.raises(OutputFolderError, match=r"my notes\.txt"):
        write_report(cli_run.results, out)
    assert [p.name for p in out.iterdir()] == ["my notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    # a folder caseflow wrote, with the user's file added since: refused too
    mine = tmp_path / "mine"
    write_report(cli_run.results, mine)
    (mine / "extra.docx").write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match=r"extra\.docx"):
        write_report(cli_run.results, mine)
    assert (mine / "extra.docx").exists()
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="not a folder"):
        write_report(cli_run.results, a_file)


def test_cli_refuses_an_out_folder_with_other_files_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    (out / "notes.md").write_text("mine", encoding="utf-8")

    def no_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no replication may run before the arguments are checked")

    monkeypatch.setattr(caseflow.experiment.runner, "run", no_run)
    assert main(["run", str(BASELINE), "--out", str(out), "--reps", "2"]) == 2
    assert "notes.md" in capsys.readouterr().err
    assert (out / "notes.md").read_text(encoding="utf-8") == "mine"


@pytest.mark.untraced
def test_write_report_failure_keeps_previous_folder(
    cli_run: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"
    write_report(cli_run.results, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("disk on fire")

    # fails after kpis.csv and the summaries have been written into the temporary folder
    monkeypatch.setattr(caseflow.present.report, "headline_markdown", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_report(cli_run.results, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


# ------------------------------------------------------------------------ atomic writing


def test_atomic_write_text_writes_exactly_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "dir" / "file.txt"  # parents created
    text = "line one\r\nline two\nünïcødé £\n"
    atomic_write_text(target, text)
    assert target.read_bytes() == text.encode("utf-8")  # no newline translation
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]
    atomic_write_text(str(target), "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_atomic_write_text_failure_keeps_previous_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "results.json"
    target.write_text("previous content", encoding="utf-8")

    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError("simulated failure")

    monkeypatch.setattr(caseflow.files.os, failing, boom)
    with pytest.raises(OSError, match="simulated failure"):
        atomic_write_text(target, "new content that must not appear")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_atomic_write_text_encoding_failure_midway_keeps_previous_content(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("previous", encoding="utf-8")
    # a lone surrogate cannot be encoded: the write fails part-way through the text
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "x" * 10_000 + "\ud800" + "y")
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_text_failure_without_previous_file_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(caseflow.files.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(tmp_path / "new.txt", "content")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_write_json_refuses_nan_and_keeps_previous(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    write_json(target, {"a": 1.5})
    assert _strict_json(target) == {"a": 1.5}
    with pytest.raises(ValueError):
        write_json(target, {"a": float("nan")})
    assert _strict_json(target) == {"a": 1.5}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


# ------------------------------------------------------------------------ install instructions
def test_install_lines_name_this_project() -> None:
    """ "caseflow" on the public package index is an unrelated project: every install line in the docs,
    notebooks, README, errors and scripts names this one's distribution (caseflow-csc) or a clone."""
    import re

    wrong = re.compile(r"""pip install\s+(-U\s+)?["']?caseflow(?![-_\w])""")
    places = [REPO / "README.md", REPO / "CONTRIBUTING.md"]
    for folder, pattern in (("docs", "*.md"), ("notebooks", "*.ipynb"), ("src", "*.py"), ("scripts", "*.py")):
        places += sorted((REPO / folder).rglob(pattern))
    offenders = [
        f"{p.relative_to(REPO)}: {m.group(0)}"
        for p in places
        if p.exists()
        for m in wrong.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert caseflow.DISTRIBUTION == "caseflow-csc"
    assert 'name = "caseflow-csc"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


# ------------------------------------------------------------------------ text that cannot hurt
def test_inert_text() -> None:
    from caseflow.files import inert_text

    for bad in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert inert_text(bad) == "'" + bad
    for fine in ("baseline", "a = b", "", "—", "1-2"):
        assert inert_text(fine) == fine


@pytest.mark.untraced
def test_scenario_text_never_becomes_a_formula(cli_run: CliRun, tmp_path: Path) -> None:
    """A scenario named and described like formulas, with a user's KPI labelled like one: the workbook
    stores text, not formulas, and the CSVs start no cell with =, +, - or @."""
    import dataclasses

    import openpyxl

    from caseflow.metrics import KPI
    from caseflow.present.excel import write_workbook

    results = cli_run.results
    hostile = results.scenario.with_overrides({}, name='=HYPERLINK("http://evil","click")').model_copy(
        update={"description": "+cmd|' /C calc'!A0"}
    )
    own = KPI("my_kpi", "@SUM(1+1)", "children", "count", "contacts", label="=1+1")
    kpis = pd.concat(
        [results.kpis, results.kpis[results.kpis["kpi"] == "contacts"].assign(kpi="my_kpi")],
        ignore_index=True,
    )
    evil = dataclasses.replace(results, scenario=hostile, kpis=kpis, kpi_definitions=(own,))
    book_path = write_workbook(evil, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(book_path)
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    texts = [str(c.value) for c in cells if isinstance(c.value, str)]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    assert not any(t.startswith(("=", "+", "@")) for t in texts)
    out = write_report(evil, tmp_path / "report")
    for csv in out.glob("*.csv"):
        for line in csv.read_text(encoding="utf-8").splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "+", "@")), (csv.name, cell)


def _tiny(tmp_path: Path) -> Path:
    """A small authority's scenario file: a fifth of the baseline, one year, no warm-up."""
    from caseflow.scenario.scale import scaled
    from caseflow.scenario.writer import write_scenario

    small = scaled(load_scenario(BASELINE), 0.2)
    path = tmp_path / "tiny.toml"
    overrides = {
        "population": small.population,
        "demand.contacts_per_year": small.demand.contacts_per_year,
        "run.warmup_years": 0,
        "run.years": 1,
    }
    write_scenario(path, overrides, extends=BASELINE)
    return path


def test_event_limit_stops_a_run_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--event-limit stops each replication at its limit with a message saying so (issue 14, item 2)."""
    code = main(["run", str(_tiny(tmp_path)), "--reps", "1", "--event-limit", "2000", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "the event budget of 2,000 events was spent" in err
    assert "--event-limit N" in err
    assert "Traceback" not in err


def test_limits_that_are_not_positive_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for flag, value in (("--time-limit", "0"), ("--time-limit", "nan"), ("--event-limit", "-3")):
        with pytest.raises(SystemExit) as info:
            main(["run", str(BASELINE), flag, value])
        assert info.value.code == 2
        assert flag in capsys.readouterr().err


def test_a_generous_time_limit_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny = _tiny(tmp_path)
    args = ["run", str(tiny), "--reps", "1", "--workers", "1", "--json"]
    assert main([*args, str(tmp_path / "a.json")]) == 0
    assert main([*args, str(tmp_path / "b.json"), "--time-limit", "600", "--event-limit", "100000000"]) == 0
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    a.pop("provenance", None)
    b.pop("provenance", None)
    assert a == b
