"""The command line checks every argument before anything runs, and no failure prints a traceback
(issue 14, items 1 and 5; :mod:`caseflow.cli`).

Each bad argument is refused with exit code 2 and a message that names it, while a guard makes any
replication (or process pool) that starts fail the test. Failures while running end as a sentence and
an exit code: 1 for a file that cannot be written, 130 for Ctrl+C, 70 for a fault in caseflow.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import caseflow.experiment.frontier
import caseflow.experiment.runner
import caseflow.present.text
from caseflow.cli import main
from caseflow.metrics.names import reported_by
from caseflow.model.environment import Environment
from caseflow.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = str(REPO / "scenarios" / "baseline.toml")
VACANCIES = str(REPO / "scenarios" / "vacancies.toml")
BRIEFING = str(REPO / "briefings" / "what_1_3m_buys.toml")
TARGET = ["target", BASELINE, "--lever", "demand.contacts_per_year", "--workers", "1"]


@pytest.fixture
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What started that should not have: a replication (every one builds an Environment) or a pool of
    worker processes (which would run them out of sight of this guard)."""
    started: list[str] = []

    def simulation(*args: Any, **kwargs: Any) -> None:
        started.append("replication")
        raise AssertionError("a replication started before the arguments were checked")

    def pool(*args: Any, **kwargs: Any) -> None:
        started.append("process pool")
        raise AssertionError("a process pool started before the arguments were checked")

    monkeypatch.setattr(Environment, "__init__", simulation)
    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "__init__", pool)
    return started


def _a_file(tmp: Path) -> Path:
    f = tmp / "a_file.txt"
    f.write_text("a user's file", encoding="utf-8")
    return f


def _users_folder(tmp: Path) -> Path:
    folder = tmp / "my_results"
    folder.mkdir()
    (folder / "notes.md").write_text("the user's notes", encoding="utf-8")
    return folder


def _own_base(tmp: Path) -> str:
    """A copy of the baseline to give as --base (so that a test of refusing to overwrite it can never
    overwrite the repository's own, whatever the code under test does)."""
    copy = tmp / "base.toml"
    shutil.copyfile(BASELINE, copy)
    return str(copy)


def _same_name_as_baseline(tmp: Path) -> Path:
    copy = tmp / "copy.toml"
    copy.write_text(f'extends = "{BASELINE}"\n', encoding="utf-8")  # inherits name = "baseline"
    return copy


#: (command, argv from a temporary folder, text the message must hold: the argument first)
BAD: list[tuple[str, Callable[[Path], list[str]], tuple[str, ...]]] = [
    ("run", lambda t: ["run", BASELINE, "--json", str(t / "r.csv")], ("--json", "r.csv", "ends in .json")),
    ("run", lambda t: ["run", BASELINE, "--store", str(_a_file(t))], ("--store", "is a file, not a folder")),
    (
        "run",
        lambda t: ["run", BASELINE, "--out", str(_users_folder(t))],
        ("--out", "notes.md", "never deletes"),
    ),
    (
        "run",
        lambda t: ["run", BASELINE, "--out", str(t / "o"), "--store", str(t / "o" / "s")],
        ("--store", "inside the --out folder"),
    ),
    ("validate", lambda t: ["validate", str(t / "missing.toml")], ("missing.toml", "not found")),
    (
        "compare",
        lambda t: ["compare", BASELINE, VACANCIES, "--kpis", "assesment_within_45wd_pct"],
        ("--kpis", "'assesment_within_45wd_pct' is not a KPI", "did you mean assessment_within_45wd_pct"),
    ),
    (
        "compare",  # the catalogue accepts any team's name; this scenario has no such team
        lambda t: ["compare", BASELINE, VACANCIES, "--kpis", "caseload_mean,caseload_mean_asessment"],
        ("--kpis", "'caseload_mean_asessment' is not a KPI", "caseload_mean_assessment"),
    ),
    (
        "compare",
        lambda t: ["compare", BASELINE, str(_same_name_as_baseline(t))],
        ("both named 'baseline'", "copy.toml", 'name = "..."'),
    ),
    ("compare", lambda t: ["compare", BASELINE, BASELINE], ("baseline.toml is given twice",)),
    (
        "compare",
        lambda t: ["compare", BASELINE, VACANCIES, "--excel", str(t / "c.xls")],
        ("--excel", ".xlsx"),
    ),
    (
        "target",
        lambda t: [*TARGET, "--target", "caseload_mean_nope<=18"],
        ("--target", "'caseload_mean_nope'"),
    ),
    ("target", lambda t: [*TARGET, "--kpi", "nope", "--at-least", "3"], ("--kpi", "'nope' is not a KPI")),
    (
        "target",
        lambda t: [*TARGET, "--target", "caseload_mean<=18", "--json", str(t)],
        ("--json", "is a folder"),
    ),
    (
        "target",
        lambda t: ["target", BASELINE, "--lever", "demand.no_such_field", "--target", "caseload_mean<=18"],
        ("--lever", "no field 'no_such_field'"),
    ),
    (
        "frontier",
        lambda t: ["frontier", BASELINE, "--demand", "--chart", str(t / "f.png"), "--workers", "1"],
        ("--chart", "only with --team"),
    ),
    (
        "frontier",
        lambda t: ["frontier", BASELINE, "--team", "assessment", "--target", "caseload_mean<=18"],
        ("--target", "only with --demand"),
    ),
    (
        "frontier",
        lambda t: ["frontier", BASELINE, "--demand", "--target", "nope>=1", "--workers", "1"],
        ("--target", "'nope' is not a KPI"),
    ),
    ("frontier", lambda t: ["frontier", BASELINE, "--team", "asessment"], ("--team", "no team 'asessment'")),
    (
        "frontier",
        lambda t: ["frontier", BASELINE, "--team", "assessment", "--chart", str(t / "f.jpg")],
        ("--chart", ".png"),
    ),
    ("sensitivity", lambda t: ["sensitivity", BASELINE, "--kpis", "nope"], ("--kpis", "'nope' is not a KPI")),
    (
        "sensitivity",
        lambda t: ["sensitivity", BASELINE, "--charts", str(_a_file(t))],
        ("--charts", "is a file"),
    ),
    (
        "sensitivity",
        lambda t: ["sensitivity", BASELINE, "--fields", "demand.contacts_per_year,demand.nope"],
        ("--fields", "demand.nope"),
    ),
    ("report", lambda t: ["report", BRIEFING, "--out", str(t / "b.pdf")], ("--out", ".html or .htm")),
    ("report", lambda t: ["report", BRIEFING, "--out", str(t / "b.html"), "--title", "T"], ("--title T",)),
    (
        "report",
        lambda t: ["report", BASELINE, str(_same_name_as_baseline(t)), "--out", str(t / "b.html")],
        ("both named 'baseline'",),
    ),
    (
        "report",
        lambda t: ["report", BRIEFING, "--out", str(t / "b.html"), "--docx", str(t / "b.doc")],
        ("--docx",),
    ),
    (
        "profile",
        lambda t: ["profile", "Rutland", "--year", "2023", "--out", str(t / "p.json")],
        ("--out", ".toml"),
    ),
    (
        "profile",
        lambda t: [
            "profile",
            "Rutland",
            "--year",
            "2023",
            "--base",
            _own_base(t),
            "--out",
            str(t / "base.toml"),
        ],
        ("--out", "also the input --base", "give another name"),
    ),
    (
        "calibrate",
        lambda t: ["calibrate", "Rutland", "--fit-to", "2023", "--table", str(t / "f.xlsx")],
        ("--table", ".csv"),
    ),
    (
        "calibrate",
        lambda t: ["calibrate", "Rutland", "--fit-to", "2023", "--executor", "threads"],
        ("--executor", "sequential"),
    ),
    (
        "backtest",
        lambda t: ["backtest", "--train-to", "2022", "--out", str(_a_file(t))],
        ("--out", "is a file"),
    ),
    ("national", lambda t: ["national", "--year", "2023", "--out", str(t / "n.json")], ("--out", ".csv")),
    ("data", lambda t: ["data", "build", "--out", str(t / "published.csv")], ("--out", ".csv.gz")),
    ("app", lambda t: ["app", "--folder", str(_a_file(t))], ("--folder", "is a file, not a folder")),
]


def _contents(folder: Path) -> dict[Path, bytes | None]:
    return {p.relative_to(folder): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("command", "argv", "expected"), BAD, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)]
)
def test_a_bad_argument_is_refused_before_anything_runs(
    command: str,
    argv: Callable[[Path], list[str]],
    expected: tuple[str, ...],
    tmp_path: Path,
    nothing_runs: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = argv(tmp_path)
    assert args[0] == command
    before = _contents(tmp_path)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert nothing_runs == []
    assert err.startswith("caseflow: ")
    for text in expected:
        assert text in err
    assert "Traceback" not in err
    assert out == ""
    assert _contents(tmp_path) == before  # nothing written, nothing changed


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["compare", BASELINE, VACANCIES, "--kpis", "cost_total", "--all"], "not allowed with argument"),
        ([*TARGET, "--target", "caseload_mean<=18", "--step", "0"], "--step: expected a number above 0"),
        (
            ["frontier", BASELINE, "--team", "assessment", "--tolerance", "-1"],
            "--tolerance: expected a number",
        ),
        (["sensitivity", BASELINE, "--spread", "1.5"], "--spread: expected a share above 0 and below 1"),
    ],
)
def test_numbers_and_exclusive_flags_are_refused_as_they_are_read(
    argv: list[str], expected: str, nothing_runs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert expected in capsys.readouterr().err
    assert nothing_runs == []


def test_every_command_has_a_refused_argument() -> None:
    from caseflow.cli import _parser

    sub = next(a for a in _parser()._actions if a.dest == "command")
    assert set(sub.choices) == {c for c, _, _ in BAD}


def test_the_guard_catches_a_replication(nothing_runs: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The guard above can fail: a valid command's first replication trips it."""
    assert main(["run", BASELINE, "--years", "1", "--reps", "1", "--workers", "1"]) == 70
    assert nothing_runs == ["replication"]
    assert "internal error (AssertionError" in capsys.readouterr().err


def test_good_arguments_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks refuse nothing usable: a folder caseflow wrote is replaced, a missing folder is
    created, an existing file of the right kind is replaced, and the data snapshot's default is right."""
    from caseflow.cli import check_paths
    from caseflow.cli_authority import DATA_OUT
    from caseflow.data.__main__ import DEFAULT_OUT

    assert Path(DATA_OUT) == DEFAULT_OUT
    (tmp_path / "old.json").write_text("{}", encoding="utf-8")
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "kpis.csv").write_text("x", encoding="utf-8")
    (ours / ".caseflow-output").write_text("kpis.csv\n", encoding="utf-8")
    args = argparse.Namespace(
        scenario=BASELINE,
        out=str(ours),
        json=str(tmp_path / "old.json"),
        store=str(tmp_path / "new" / "deeper" / "store"),
        paths={"--out": "replaced folder", "--json": ".json", "--store": "folder"},
    )
    check_paths(args)
    assert not (tmp_path / "new").exists()  # checked, not created
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json", "ours"]  # no probe left behind


def test_reported_kpis_are_what_a_run_reports() -> None:
    """The names the checks accept are exactly the names a run reports, per-team and per-source ones
    included (one small, short replication: the names do not depend on the scale)."""
    from caseflow.experiment.runner import run

    scenario = load_scenario(BASELINE).with_overrides(
        {"population": 4000, "demand.contacts_per_year": 400, "run.warmup_years": 0}
    )
    names = reported_by(scenario)
    assert "caseload_mean_assessment" in names
    assert "caseload_mean_front_door" not in names  # the front door holds no cases
    assert set(run(scenario, years=1, replications=1, workers=1).kpis["kpi"]) == names


# ------------------------------------------------------------------------------ places not writable


def _unwritable_folder(tmp: Path) -> Path:
    """A folder no file can be created in: read-only, or (as root, whom permissions do not stop) a path
    under a file, which no one can create anything in."""
    if os.geteuid() != 0:
        folder = tmp / "read_only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    return _a_file(tmp) / "sub"


def test_an_unwritable_output_folder_is_refused_clearly(
    tmp_path: Path, nothing_runs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _unwritable_folder(tmp_path)
    try:
        for argv in (
            ["run", BASELINE, "--json", str(folder / "r.json")],
            ["run", BASELINE, "--out", str(folder / "report")],
            ["compare", BASELINE, VACANCIES, "--store", str(folder / "store")],
        ):
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"caseflow: {argv[-2]}: ")
            assert "cannot be written" in err
            assert "Traceback" not in err
    finally:
        if folder.parent == tmp_path:
            folder.chmod(0o755)
    assert nothing_runs == []


@pytest.mark.parametrize(
    ("blocked", "message"),
    [("mkstemp", "the disk is read-only"), ("access", "permission denied")],
)
def test_a_read_only_disk_or_folder_is_refused_clearly(
    blocked: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    nothing_runs: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What creating a file on a read-only disk raises, as the check's trial file meets it; and a folder
    whose permissions refuse (as root, what os.access would say to anyone else)."""

    def read_only(*args: Any, **kwargs: Any) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    if blocked == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", read_only)
    else:
        monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert main(["run", BASELINE, "--json", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"caseflow: --json: {tmp_path / 'r.json'} cannot be written: ")
    assert f"cannot create files in the folder {tmp_path}: {message}. Give a place you can write to" in err
    assert nothing_runs == []


# --------------------------------------------------------------------------- failures while running


def _run_raises(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def run(*args: Any, **kwargs: Any) -> Any:
        raise exc

    monkeypatch.setattr(caseflow.experiment.runner, "run", run)  # the CLI imports it when it runs


def test_a_full_disk_is_a_sentence_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_raises(monkeypatch, OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "kpis.csv")))
    store = tmp_path / "store"
    assert main(["run", BASELINE, "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"caseflow: could not read or write {tmp_path / 'kpis.csv'}: the disk is full.")
    assert f"saved in {store}: run the same command again" in err
    assert "Traceback" not in err


def test_ctrl_c_exits_130_and_says_whether_it_can_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_raises(monkeypatch, KeyboardInterrupt())
    assert main(["run", BASELINE]) == 130
    assert capsys.readouterr().err == "caseflow: stopped (Ctrl+C).\n"
    assert main(["run", BASELINE, "--store", str(tmp_path / "s")]) == 130
    err = capsys.readouterr().err
    assert "stopped (Ctrl+C)" in err
    assert f"saved in {tmp_path / 's'}: run the same command again to carry on" in err


@pytest.mark.parametrize("fault", [KeyError("boom"), ValueError("cannot reindex on an axis with duplicates")])
def test_a_fault_is_an_internal_error_without_traceback(
    fault: Exception, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ValueError from outside caseflow's code (here this test's, as if from pandas) is a fault too:
    only caseflow's own ValueErrors are messages for the user."""
    monkeypatch.delenv("CASEFLOW_DEBUG", raising=False)
    _run_raises(monkeypatch, fault)
    assert main(["run", BASELINE]) == 70
    err = capsys.readouterr().err
    assert err.startswith(f"caseflow: internal error ({type(fault).__name__}: ")
    assert "please report it" in err
    assert "CASEFLOW_DEBUG=1" in err
    assert "Traceback" not in err
    monkeypatch.setenv("CASEFLOW_DEBUG", "1")
    assert main(["run", BASELINE]) == 70
    err = capsys.readouterr().err
    assert err.startswith("Traceback")
    assert "internal error" in err


def test_caseflows_own_value_error_is_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A check in the library (here compare's own, for a scenario list it cannot take) exits 2."""
    from caseflow.experiment.compare import compare

    def run(*args: Any, **kwargs: Any) -> Any:
        return compare([BASELINE])  # raises "compare needs at least two scenarios" before running

    monkeypatch.setattr(caseflow.experiment.runner, "run", run)
    assert main(["run", BASELINE]) == 2
    assert capsys.readouterr().err == "caseflow: compare needs at least two scenarios\n"


# ------------------------------------------------------------------------------------ frontier --demand


def test_frontier_demand_takes_targets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``frontier --demand`` read a --target flag its parser did not have, and so always failed."""
    seen: dict[str, Any] = {}

    class Answer:
        def to_json_dict(self) -> dict[str, Any]:
            return {}

    def demand_frontier(scenario: Any, **kwargs: Any) -> Answer:
        seen.update(kwargs)
        return Answer()

    monkeypatch.setattr(caseflow.experiment.frontier, "demand_frontier", demand_frontier)
    monkeypatch.setattr(caseflow.present.text, "format_demand_frontier", lambda d: "frontier")
    assert main(["frontier", BASELINE, "--demand"]) == 0
    assert [(t.kpi, t.threshold) for t in seen["targets"]] == [("contact_decision_within_1wd_pct", 90)]
    argv = ["frontier", BASELINE, "--demand", "--target", "caseload_mean<=20", "--target", "cost_total<=9e7"]
    assert main(argv) == 0
    assert [(t.kpi, t.threshold) for t in seen["targets"]] == [("caseload_mean", 20), ("cost_total", 9e7)]
    assert capsys.readouterr().err == ""
