"""Killed experiments resume, and nothing caseflow writes is ever half-written (issue 14, item 4).

A sweep and a ``caseflow run`` are started in a child process with a store, killed with SIGKILL (the
whole process group: the parent and its worker processes) once part of their replications are stored,
and resumed here: the final table is an uninterrupted run's, the replications stored before the kill are
not run again, and every replication is stored exactly once. Every file caseflow writes goes through a
temporary file and a rename (:mod:`caseflow.files`), which an audit of the source checks.
"""

from __future__ import annotations

import ast
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import caseflow
import caseflow.files
import caseflow.present.report
from caseflow.cli import main
from caseflow.experiment.runner import Job
from caseflow.experiment.store import ReplicationStore
from caseflow.experiment.sweep import sweep_jobs
from caseflow.files import is_temporary, remove_stale_temporaries, temporary_prefix, write_manifest
from caseflow.present.charts import save_all
from caseflow.present.report import write_report
from caseflow.scenario.scale import scaled
from caseflow.scenario.writer import write_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SEED = 11
GRID = {"workforce.teams.cin_cp.soft_cap": [16.0, 20.0]}
REPS = 3  # a sweep's replications per point; 6 in all
#: Seconds the child waits after storing each replication, so that the test sees a part-finished store
#: (its worker processes keep simulating meanwhile): the kill still lands at no chosen point.
PAUSE = 0.3
#: A safety net for a child that hangs, not a limit on how fast anything must run.
PATIENCE = 600.0
HOUR = 3600.0

CHILD = """
import json, sys, time
from caseflow.experiment.store import ReplicationStore

args = json.loads(sys.argv[1])
save = ReplicationStore.save

def save_then_pause(self, key, value):
    save(self, key, value)
    time.sleep(args["pause"])

ReplicationStore.save = save_then_pause
if args["command"] == "sweep":
    import caseflow
    caseflow.sweep(args["scenario"], args["grid"], years=1, replications=args["reps"], seed=args["seed"],
                   executor="processes", workers=2, store=args["store"])
else:
    from caseflow.cli import main
    sys.exit(main(args["argv"]))
"""


def _changed(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``after``'s values that differ from ``before``'s, as dotted overrides."""
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict) and isinstance(before.get(key), dict):
            out |= _changed(before[key], value, f"{prefix}{key}.")
        elif before.get(key) != value:
            out[f"{prefix}{key}"] = value
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scenario file for an authority a twentieth of the baseline's size, one warm-up year: a
    replication takes a fraction of a second, and the child process and this one load the same file."""
    base = caseflow.load_scenario(BASELINE)
    small = scaled(base, 0.05, name="tiny")
    overrides = {**_changed(base.to_dict(), small.to_dict()), "run.warmup_years": 1}
    return write_scenario(tmp_path_factory.mktemp("scenario") / "tiny.toml", overrides, extends=BASELINE)


def _kill_part_way(args: dict[str, Any], store: Path, log: Path) -> None:
    """Start the child, wait until it has stored at least one replication, then SIGKILL its whole
    process group (the experiment and its worker processes)."""
    with log.open("wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps({"pause": PAUSE, **args})],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group, which the kill takes whole
        )
    deadline = time.monotonic() + PATIENCE
    try:
        while not list(store.glob("*.pkl")):
            assert child.poll() is None, f"the child ended before storing anything:\n{log.read_text()}"
            assert time.monotonic() < deadline, "the child stored nothing (hung?)"
            time.sleep(0.01)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=PATIENCE)
    assert child.returncode == -signal.SIGKILL, log.read_text()


def _identities(store: Path, keys: list[str]) -> dict[str, tuple[int, int]]:
    """Each key's file as (inode, modification time): a file written again is a new file."""
    out = {}
    for key in keys:
        st = (store / f"{key}.pkl").stat()
        out[key] = (st.st_ino, st.st_mtime_ns)
    return out


def _check_killed_store(store: Path, expected: list[str]) -> list[str]:
    """What a kill leaves: some, not all, replications, each whole; at most a temporary file besides."""
    stored = ReplicationStore(store).keys()
    assert 1 <= len(stored) < len(expected)
    assert set(stored) <= set(expected)
    assert all(ReplicationStore(store).load(key) is not None for key in stored)  # none half-written
    others = [p.name for p in store.iterdir() if p.suffix != ".pkl"]
    assert all(is_temporary(name) for name in others), others
    return stored


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_killed_sweep_resumes_with_nothing_lost_or_run_twice(tiny: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    args = {"command": "sweep", "scenario": str(tiny), "grid": GRID, "reps": REPS, "seed": SEED}
    _kill_part_way({**args, "store": str(store)}, store, tmp_path / "child.log")
    expected = sorted(job.key() for job in sweep_jobs(tiny, GRID, years=1, replications=REPS, seed=SEED))
    assert len(expected) == len(set(expected)) == 2 * REPS
    stored = _check_killed_store(store, expected)
    before = _identities(store, stored)

    # What else a crash can leave: a temporary file cut short by a kill mid-write (never read, whatever
    # it holds), and a replication file cut short (a copied store, a file system that lost its end).
    missing = sorted(set(expected) - set(stored))
    whole = (store / f"{stored[0]}.pkl").read_bytes()
    cut = store / f"{temporary_prefix(missing[-1] + '.pkl')}k1ll3d00.tmp"
    cut.write_bytes(whole)
    (store / f"{missing[0]}.pkl").write_bytes(whole[: len(whole) // 2])

    kw: dict[str, Any] = {"years": 1, "replications": REPS, "seed": SEED, "executor": "sequential"}
    resumed = caseflow.sweep(tiny, GRID, store=store, **kw)
    pd.testing.assert_frame_equal(resumed, caseflow.sweep(tiny, GRID, **kw))  # (a) an uninterrupted sweep's
    assert _identities(store, stored) == before  # (b) what was stored before the kill was not run again
    assert ReplicationStore(store).keys() == expected  # (c) every replication, once
    assert sorted(p.name for p in store.iterdir()) == sorted([f"{k}.pkl" for k in expected] + [cut.name])
    assert ReplicationStore(store).load(missing[0]) is not None  # the cut-short file was run again

    # the kill's temporary file is removed once nothing has touched it for an hour
    ReplicationStore(store)
    assert cut.exists()  # it could be another process's write in progress
    _age(cut, HOUR + 60)
    ReplicationStore(store)
    assert not cut.exists()


@pytest.mark.untraced
def test_a_killed_cli_run_resumes_with_nothing_lost_or_run_twice(tiny: Path, tmp_path: Path) -> None:
    store, reps = tmp_path / "store", 4
    argv = ["run", str(tiny), "--years", "1", "--reps", str(reps), "--seed", str(SEED), "--store", str(store)]
    _kill_part_way({"command": "run", "argv": [*argv, "--workers", "2"]}, store, tmp_path / "child.log")
    scenario = caseflow.load_scenario(tiny)
    expected = sorted(Job(scenario, SEED, r, 1).key() for r in range(reps))
    stored = _check_killed_store(store, expected)
    before = _identities(store, stored)

    assert main([*argv, "--workers", "1", "--no-progress"]) == 0  # resumed from the command line
    assert _identities(store, stored) == before
    assert ReplicationStore(store).keys() == expected
    assert sorted(p.name for p in store.iterdir()) == [f"{k}.pkl" for k in expected]
    everything = _identities(store, expected)
    kw: dict[str, Any] = {"years": 1, "replications": reps, "seed": SEED, "executor": "sequential"}
    resumed = caseflow.run(scenario, store=store, **kw)  # all stored: nothing runs, nothing is written
    assert _identities(store, expected) == everything
    pd.testing.assert_frame_equal(resumed.kpis, caseflow.run(scenario, **kw).kpis)


# ---------------------------------------------------------------------------------- the store itself


def test_the_store_trusts_only_whole_files_of_its_own_key_and_version(tmp_path: Path) -> None:
    store = ReplicationStore(tmp_path)
    store.save("a", ("frame", None))
    assert store.load("a") == ("frame", None)
    whole = (tmp_path / "a.pkl").read_bytes()
    for n in range(len(whole)):  # cut short anywhere: never loaded
        (tmp_path / "b.pkl").write_bytes(whole[:n])
        assert store.load("b") is None
    (tmp_path / "b.pkl").write_bytes(whole)  # a whole file under another key
    assert store.load("b") is None
    (tmp_path / "c.pkl").write_bytes(pickle.dumps(("frame", None)))  # an earlier format
    assert store.load("c") is None
    saved = pickle.loads(whole)
    (tmp_path / "a.pkl").write_bytes(pickle.dumps({**saved, "caseflow": "0.0.0-another"}))
    assert store.load("a") is None  # another version's result is run again
    assert store.load("missing") is None
    for i in range(len(whole)):  # a byte changed anywhere: never an error, never a changed replication
        (tmp_path / "a.pkl").write_bytes(whole[:i] + bytes([whole[i] ^ 0xFF]) + whole[i + 1 :])
        assert store.load("a") in (None, ("frame", None))  # (some bytes only frame the pickle)


def test_writers_beside_each_other_never_share_a_temporary_file(tmp_path: Path) -> None:
    store = ReplicationStore(tmp_path)
    values = [("x" * 200_000 * (i + 1), i) for i in range(8)]
    threads = [threading.Thread(target=store.save, args=("same", v)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.load("same") in values  # one writer's whole value, never a mixture
    assert [p.name for p in tmp_path.iterdir()] == ["same.pkl"]


def test_only_stale_temporary_files_are_tidied(tmp_path: Path) -> None:
    fresh = tmp_path / f"{temporary_prefix('a.pkl')}abcdefgh.tmp"
    stale = tmp_path / f"{temporary_prefix('b.pkl')}stale123.tmp"
    folder = tmp_path / f"{temporary_prefix('report')}0_folder"
    mine = tmp_path / ".notes.old.tmp"  # a user's hidden file: not caseflow's
    for p in (fresh, stale, mine):
        p.write_text("x", encoding="utf-8")
    folder.mkdir()
    (folder / "kpis.csv").write_text("x", encoding="utf-8")
    for p in (stale, folder, mine):
        _age(p, 2 * HOUR)
    assert not is_temporary(mine.name)
    assert remove_stale_temporaries(tmp_path, "report") == [folder]
    assert sorted(remove_stale_temporaries(tmp_path)) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, mine.name])


# ------------------------------------------------------------------------------------ report files


@pytest.fixture(scope="module")
def results(tiny: Path) -> caseflow.Results:
    return caseflow.run(tiny, years=1, replications=2, seed=SEED, executor="sequential")


def test_a_report_interrupted_between_its_renames_is_put_back(
    results: caseflow.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"  # an earlier report caseflow wrote (its files listed in the manifest)
    out.mkdir()
    (out / "kpis.csv").write_text("the earlier report", encoding="utf-8")
    write_manifest(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # the workbook and the charts stand in small: what is tested is how the folder replaces another
    monkeypatch.setattr(caseflow.present.report, "write_workbook", lambda r, path: path.write_bytes(b"xlsx"))
    monkeypatch.setattr(caseflow.present.report, "save_all", lambda r, folder: [])
    real = Path.rename

    def fail_second(self: Path, target: Any) -> Path:
        if is_temporary(self.name):  # the new folder into place, after the old one was moved aside
            raise OSError("simulated failure")
        return real(self, target)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "rename", fail_second)
        with pytest.raises(OSError, match="simulated failure"):
            write_report(results, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]

    # a process killed at that point leaves the old folder aside, and its new one half-built
    old = tmp_path / ".report.caseflow-old"
    out.rename(old)
    half = tmp_path / f"{temporary_prefix('report')}k1ll3d00"
    half.mkdir()
    (half / "kpis.csv").write_text("cut", encoding="utf-8")
    _age(half, 2 * HOUR)

    write_report(results, out)  # the next report puts the earlier one back, then replaces it
    assert (out / "kpis.csv").read_bytes() != before["kpis.csv"]
    assert (out / "workbook.xlsx").read_bytes() == b"xlsx"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # nothing aside, the half-built one gone


def test_a_chart_that_fails_to_be_renamed_leaves_the_earlier_one(
    results: caseflow.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = tmp_path / "pathway_flow.png"
    chart.write_bytes(b"the earlier chart")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError("simulated failure")

    monkeypatch.setattr(caseflow.files.os, "replace", fail)
    with pytest.raises(OSError, match="simulated failure"):
        save_all(results, tmp_path)
    assert chart.read_bytes() == b"the earlier chart"
    assert [p.name for p in tmp_path.iterdir()] == ["pathway_flow.png"]


# ---------------------------------------------------------------------- every file is written atomically

#: Calls that write a file: the method's name, and where its target is (None: the object called).
WRITES = {"write_text": None, "write_bytes": None, "to_csv": 0, "to_excel": 0, "to_parquet": 0, "savefig": 0}
WRITES |= {"to_pickle": 0, "to_json": 0, "save": 0, "dump": 1}
#: The writes that are not to a temporary path, each with why it is safe.
EXEMPT = {
    ("experiment/runner.py", "saved.save(jobs[i].key(), fr)"): "ReplicationStore.save writes atomically",
}


def _binding(node: ast.AST) -> tuple[str, str] | None:
    """A name bound by ``node`` to a safe place to write: 'atomic' (``with atomic_path(...) as name``)
    or 'memory' (``io.BytesIO()``, ``io.StringIO()``)."""
    if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
        if "atomic_path(" in ast.unparse(node.context_expr):
            return node.optional_vars.id, "atomic"
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        value = ast.unparse(node.value)
        if value in ("io.BytesIO()", "io.StringIO()"):
            return node.targets[0].id, "memory"
    return None


def _mode(call: ast.Call, position: int) -> str:
    given = call.args[position] if len(call.args) > position else None
    given = next((k.value for k in call.keywords if k.arg == "mode"), given)
    return str(given.value) if isinstance(given, ast.Constant) else "r"


def _written(call: ast.Call) -> ast.expr | None:
    """The file ``call`` writes to (None: it writes no file, as ``to_csv()``, which returns text)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else ast.unparse(func)
    if name == "open":
        if isinstance(func, ast.Attribute) and (not call.args or isinstance(call.args[0], ast.Constant)):
            target, mode = func.value, _mode(call, 0)  # path.open("w")
        else:
            target, mode = (call.args[0] if call.args else None), _mode(call, 1)  # open(path, "w")
        return target if any(c in mode for c in "wax+") else None
    if name not in WRITES:
        return None
    where = WRITES[name]
    if where is None:
        assert isinstance(func, ast.Attribute)
        return func.value
    return call.args[where] if len(call.args) > where else None


def _safe(target: ast.expr, bound: dict[str, str]) -> bool:
    if isinstance(target, ast.Call) and ast.unparse(target.func) == "str" and target.args:
        target = target.args[0]
    return isinstance(target, ast.Name) and bound.get(target.id) in ("atomic", "memory")


def _outermost_functions(node: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    out = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(child)
        else:
            out += _outermost_functions(child)
    return out


def _unsafe_writes(source: str) -> list[str]:
    """The calls in ``source`` that write a file in place (a nested function sees its outer one's names)."""
    found = []
    for function in _outermost_functions(ast.parse(source)):
        bound: dict[str, str] = {}
        writes: list[tuple[ast.Call, ast.expr]] = []
        for node in ast.walk(function):
            if (binding := _binding(node)) is not None:
                bound[binding[0]] = binding[1]
            elif isinstance(node, ast.Call) and (target := _written(node)) is not None:
                writes.append((node, target))
        found += [ast.unparse(call) for call, target in writes if not _safe(target, bound)]
    return found


def test_every_file_is_written_through_a_temporary_path() -> None:
    """Each write in caseflow's source goes to memory or to a path from :func:`caseflow.files.atomic_path`,
    flushed and renamed over its target only when whole (the files of a report folder too, which is
    itself built under a temporary name). caseflow.files itself is tested in tests/test_cli.py and above."""
    package = ROOT / "src" / "caseflow"
    unsafe = []
    for module in sorted(package.rglob("*.py")):
        where = module.relative_to(package).as_posix()
        text = module.read_text(encoding="utf-8")
        if where != "files.py" and any(f"{name}(" in text for name in [*WRITES, "open"]):
            found = _unsafe_writes(text)
            unsafe += [(where, call) for call in found if (where, call) not in EXEMPT]
    assert unsafe == []


def test_the_audit_finds_writes_in_place() -> None:
    source = """
def in_place(path, frame, fig, buf):
    path.write_text("x")
    open(path, "w")
    frame.to_csv(path)
    fig.savefig(path)
    path.open("a")
    open(path, mode="wb")
    with open(path, "rb") as fh, path.open() as gh, gzip.open(fh, "rt"):  # reading
        fh.read()
    frame.to_csv()  # text, not a file
    buffer = io.StringIO()
    frame.to_csv(buffer)
    with atomic_path(path) as tmp:
        tmp.write_text("x")
        wb.save(str(tmp))
    folder = Path(tempfile.mkdtemp())
    frame.to_csv(folder / "kpis.csv")  # a temporary folder: still a file written in place
"""
    assert _unsafe_writes(source) == [
        "path.write_text('x')",
        "open(path, 'w')",
        "frame.to_csv(path)",
        "fig.savefig(path)",
        "path.open('a')",
        "open(path, mode='wb')",
        "frame.to_csv(folder / 'kpis.csv')",
    ]
