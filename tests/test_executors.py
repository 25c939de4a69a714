"""The executor layer: every executor returns results in task order, reports each result once, propagates
task errors, and gives bit-identical replications (sequential = local processes = a Dask cluster).

The Dask tests start a real scheduler and two single-threaded workers as separate processes on
127.0.0.1, so they exercise serialisation, the network and workers importing caseflow.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import distributed
import pandas as pd
import pytest

from caseflow.experiment.executors import WorkersCapped, batched, local_workers, map_tasks, usable_cores
from caseflow.experiment.runner import run_replication
from caseflow.scenario import Scenario

TESTS = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------------
# Task functions. They are top level so that process pools and Dask workers can import them by name
# (the Dask workers get this folder on PYTHONPATH).


def slow_first(x: int, delay: float) -> int:
    """``x * x`` after sleeping ``delay`` seconds: task 0 sleeps, so it finishes last."""
    time.sleep(delay)
    return x * x


def fail_on(x: int, bad: int) -> int:
    if x == bad:
        raise ValueError(f"boom {x}")
    return x


def connected_clients(dask_scheduler: Any) -> int:
    """Run on the scheduler: how many clients are connected."""
    return len(dask_scheduler.clients)


N_TASKS = 6
EXPECTED = [x * x for x in range(N_TASKS)]


def order_tasks() -> list[tuple[int, float]]:
    """Task 0 sleeps long enough that, run in parallel, other tasks complete before it."""
    return [(x, 1.0 if x == 0 else 0.0) for x in range(N_TASKS)]


def check_ordered(run: Callable[..., list[int]], *, parallel: bool) -> None:
    calls: list[tuple[int, int]] = []
    results = run(slow_first, order_tasks(), on_result=lambda i, r: calls.append((i, r)))
    assert results == EXPECTED  # task order, not completion order
    assert sorted(calls) == list(enumerate(EXPECTED))  # once per task, with its own index
    assert len(calls) == N_TASKS
    if parallel:
        # the reordering was exercised: something finished before task 0
        assert calls[0][0] != 0, calls
    else:
        assert [i for i, _ in calls] == list(range(N_TASKS))


# --------------------------------------------------------------------------------------------------
# batched


def test_batched_splits_in_order_with_a_short_last_batch() -> None:
    assert batched(range(7), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batched(["a", "b"], 5) == [["a", "b"]]
    assert batched([], 4) == []
    items = list(range(23))
    assert [x for batch in batched(items, 4) for x in batch] == items


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_batched_rejects_bad_sizes(size: Any) -> None:
    with pytest.raises(ValueError, match="batch size"):
        batched([1, 2, 3], size)


# --------------------------------------------------------------------------------------------------
# Local executors


def test_sequential_in_order() -> None:
    check_ordered(lambda fn, tasks, **kw: map_tasks(fn, tasks, "sequential", **kw), parallel=False)


def test_processes_in_order() -> None:
    check_ordered(lambda fn, tasks, **kw: map_tasks(fn, tasks, "processes", workers=2, **kw), parallel=True)


def test_none_means_processes() -> None:
    check_ordered(lambda fn, tasks, **kw: map_tasks(fn, tasks, None, workers=2, **kw), parallel=True)


def test_processes_with_one_worker_or_one_task_runs_here() -> None:
    # A lambda cannot be pickled to a process pool, so these only pass if no pool is used.
    calls: list[tuple[int, int]] = []
    assert map_tasks(lambda x: x + 1, [(1,), (2,)], "processes", workers=1) == [2, 3]
    assert map_tasks(lambda x: x + 1, [(1,)], "processes", on_result=lambda i, r: calls.append((i, r))) == [2]
    assert calls == [(0, 2)]
    assert map_tasks(lambda x: x, [], "processes") == []


def pid_after(delay: float) -> int:
    """This process's id, after ``delay`` seconds (so that tasks spread over the pool's workers)."""
    time.sleep(delay)
    return os.getpid()


def test_no_more_workers_than_cores() -> None:
    """Asking for more workers than cores starts one process per core, with a warning; results as asked."""
    cores = usable_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    assert local_workers(None) == cores
    assert local_workers(None, tasks=1) == 1
    assert local_workers(cores, tasks=10 * cores) == cores
    too_many = cores + 3
    with pytest.warns(WorkersCapped, match=f"{too_many} workers asked for.*using {cores}"):
        assert local_workers(too_many) == cores
    with pytest.warns(WorkersCapped):
        pids = map_tasks(pid_after, [(0.2,)] * (2 * too_many), "processes", workers=too_many)
    assert len(pids) == 2 * too_many
    assert len(set(pids)) <= cores
    if cores > 1:
        assert os.getpid() not in pids  # a pool ran them (with one core they run here)


def test_thread_pool_in_order_and_left_open() -> None:
    with cf.ThreadPoolExecutor(max_workers=N_TASKS) as pool:
        check_ordered(lambda fn, tasks, **kw: map_tasks(fn, tasks, pool, **kw), parallel=True)
        # the caller owns the executor: still usable afterwards
        assert pool.submit(int, "5").result() == 5


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_task_exception_propagates(executor: str) -> None:
    with pytest.raises(ValueError, match="boom 3"):
        map_tasks(fail_on, [(x, 3) for x in range(6)], executor, workers=2)


def test_task_exception_propagates_from_an_executor_and_cancels_the_rest() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def task(x: int) -> int:
        with lock:
            started.append(x)
        if x == 0:
            raise ValueError("boom 0")
        time.sleep(0.05)
        return x

    with cf.ThreadPoolExecutor(max_workers=1) as pool:
        with pytest.raises(ValueError, match="boom 0"):
            map_tasks(task, [(x,) for x in range(20)], pool)
        pool.shutdown(wait=True)
    assert len(started) < 20, "tasks queued behind the failure should have been cancelled"


class Stop(BaseException):
    """Like KeyboardInterrupt: not an Exception."""


def test_on_result_exception_propagates() -> None:
    def stop(i: int, r: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        map_tasks(slow_first, [(1, 0.0), (2, 0.0)], "processes", workers=2, on_result=stop)


@pytest.mark.parametrize(
    "executor",
    ["threads", "", "dask", "127.0.0.1:8786", 2, object(), cf.Future()],
    # stable ids (not the objects' addresses), so that parallel test workers collect the same tests
    ids=lambda e: repr(e) if isinstance(e, str | int) else type(e).__name__,
)
def test_bad_executor_is_a_value_error_naming_the_options(executor: Any) -> None:
    with pytest.raises(ValueError, match="'sequential', 'processes'") as info:
        map_tasks(slow_first, [(1, 0.0)], executor)
    assert "tcp://" in str(info.value)
    assert "dask.distributed.Client" in str(info.value)


@pytest.mark.parametrize("workers", [0, -2, 1.5])
def test_bad_workers(workers: Any) -> None:
    with pytest.raises(ValueError, match="workers"):
        map_tasks(slow_first, [(1, 0.0)], "processes", workers=workers)


def test_missing_dask_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(ImportError, match=r'pip install "caseflow-csc\[dask\]"'):
        map_tasks(slow_first, [(1, 0.0)], "tcp://127.0.0.1:1")


# --------------------------------------------------------------------------------------------------
# A real Dask cluster: a scheduler and two workers, each its own process (group) on 127.0.0.1.


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, and everything it started (a worker's nanny starts
    the worker proper as a child): SIGTERM to the process group, SIGKILL if it does not exit in time."""
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)
            break
    with contextlib.suppress(ProcessLookupError):  # any child left in the group
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def dask_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a running scheduler with two connected single-threaded workers.

    Each process runs in its own session so that teardown can stop it and its children even if a test
    fails. As a backstop should pytest itself be killed, the scheduler closes after 5 idle minutes and
    the workers 60 s after losing it.
    """
    workdir = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    python_path = [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path)}
    scheduler = ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]
    scheduler += ["--no-dashboard", "--idle-timeout", "300"]
    commands = [scheduler]
    for k in range(2):
        worker = ["distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1"]
        worker += ["--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "60"]
        worker += ["--local-directory", str(workdir / f"worker{k}")]
        commands.append(worker)

    procs: list[subprocess.Popen[bytes]] = []
    try:
        for k, args in enumerate(commands):
            with (workdir / f"process{k}.log").open("wb") as log:  # the child keeps its own handle
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", *args],
                        cwd=workdir,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        with distributed.Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for proc in reversed(procs):  # workers first, then the scheduler
            _stop(proc)
        assert all(proc.poll() is not None for proc in procs)


@pytest.fixture
def dask_client(dask_address: str) -> Iterator[distributed.Client]:
    with distributed.Client(dask_address, set_as_default=False) as client:
        yield client


@pytest.mark.untraced
def test_dask_client_in_order_on_two_workers(dask_client: distributed.Client) -> None:
    check_ordered(lambda fn, tasks, **kw: map_tasks(fn, tasks, dask_client, **kw), parallel=True)
    # the tasks really ran in the worker processes, on both of them
    who = dask_client.run(os.getpid)
    assert len(who) == 2
    assert os.getpid() not in who.values()
    assert dask_client.status == "running"  # the caller's client is left open


def test_dask_address_connects_runs_and_disconnects(
    dask_client: distributed.Client, dask_address: str
) -> None:
    before = dask_client.run_on_scheduler(connected_clients)
    check_ordered(lambda fn, tasks, **kw: map_tasks(fn, tasks, dask_address, **kw), parallel=True)
    deadline = time.monotonic() + 10
    while dask_client.run_on_scheduler(connected_clients) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dask_client.run_on_scheduler(connected_clients) == before, (
        "the client map_tasks opened was not closed"
    )


@pytest.mark.parametrize("how", ["client", "address"])
def test_dask_task_exception_propagates(how: str, dask_client: distributed.Client, dask_address: str) -> None:
    executor = dask_client if how == "client" else dask_address
    with pytest.raises(ValueError, match="boom 3"):
        map_tasks(fail_on, [(x, 3) for x in range(6)], executor)


# --------------------------------------------------------------------------------------------------
# End to end: replications of a small scenario are identical whatever runs them.


@pytest.fixture(scope="module")
def small_scenario() -> Scenario:
    """The baseline scaled to a quarter (15,000 children): a one-year replication takes ~0.5 s."""
    import caseflow

    base = caseflow.load_scenario(TESTS.parent / "scenarios" / "baseline.toml")
    overrides: dict[str, Any] = {
        "population": 15000,
        "demand.contacts_per_year": 3050,
        "looked_after.uasc_per_year": 8.5,
    }
    for name in ("children_in_need", "child_protection", "looked_after", "in_assessment"):
        overrides[f"opening_stock.{name}"] = getattr(base.opening_stock, name) // 4
    assert base.workforce is not None
    for team, spec in base.workforce.teams.items():
        overrides[f"workforce.teams.{team}.establishment"] = spec.establishment / 4
    return base.with_overrides(overrides, name="quarter-size baseline")


@pytest.mark.untraced
def test_replications_identical_sequential_processes_and_dask(
    small_scenario: Scenario, request: pytest.FixtureRequest
) -> None:
    seed = 20261123
    tasks = [(small_scenario, seed, r, 1) for r in range(4)]
    sequential = map_tasks(run_replication, tasks, "sequential")
    processes = map_tasks(run_replication, tasks, "processes", workers=2)
    # connect to the cluster only now: forking the process pool while a client's threads run is unsafe
    dask_client: distributed.Client = request.getfixturevalue("dask_client")
    dask = map_tasks(run_replication, tasks, dask_client)

    assert [set(f["replication"]) for f in sequential] == [{r} for r in range(4)]
    assert len(sequential[0]) > 100
    # replications differ from each other, so equality below is not trivial
    assert not sequential[0]["value"].equals(sequential[1]["value"])
    for r in range(4):
        pd.testing.assert_frame_equal(processes[r], sequential[r])
        pd.testing.assert_frame_equal(dask[r], sequential[r])


_ORPHAN_SCRIPT = """
import os, sys, time
from caseflow.experiment.executors import map_tasks

def work(i, folder):
    with open(os.path.join(folder, f"{os.getpid()}.pid"), "w") as fh:
        fh.write(str(i))
    time.sleep(600)
    return i

if __name__ == "__main__":
    map_tasks(work, [(0, sys.argv[1]), (1, sys.argv[1])], executor="processes", workers=2)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals are a Linux feature")
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    """SIGKILL to a run's own process leaves no pool worker computing (and holding memory) behind."""
    script = tmp_path / "orphans.py"
    script.write_text(_ORPHAN_SCRIPT, encoding="utf-8")
    folder = tmp_path / "pids"
    folder.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(folder)], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120  # a liveness guard, not a speed test
        while len(list(folder.glob("*.pid"))) < 2:
            assert time.monotonic() < deadline, "the pool's workers never started"
            assert parent.poll() is None, "the run ended before its workers started"
            time.sleep(0.05)
        workers = [int(p.stem) for p in folder.glob("*.pid")]
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 60
        while any(Path(f"/proc/{w}").exists() and _alive(w) for w in workers):
            assert time.monotonic() < deadline, f"workers {workers} outlived their killed parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    """Is ``pid`` a running process (not a zombie waiting to be reaped)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
