"""Executors: run independent tasks in this process, in local processes, or on a Dask cluster.

:func:`map_tasks` is the one place caseflow fans work out. It calls ``fn(*task)`` for every task and
returns the results **in task order**, whatever order they finish in, so an experiment's output does
not depend on where or in what order its replications ran. Replication seeds are derived from the
replication number alone (:mod:`caseflow.streams`), which is what makes every executor and every
worker count give identical results.

The executor is one of:

``"sequential"``
    Run every task here, one after another.
``"processes"`` (the default; ``None`` means the same)
    A local :class:`concurrent.futures.ProcessPoolExecutor` with ``workers`` processes (default: every
    core this process may use, :func:`usable_cores`). More workers than that are not started: a
    replication keeps a core busy, so extra processes run no faster and each holds its own copy of the
    model in memory; :class:`WorkersCapped` warns when ``workers`` is cut. With one task or one worker
    the tasks run here instead, with no pool to start. On Linux a worker dies with the process that
    started it, so killing a run (even with SIGKILL) leaves no orphaned workers computing and holding
    memory.
any :class:`concurrent.futures.Executor`
    Used through ``submit``; the caller owns it and it is not shut down.
a ``dask.distributed.Client``
    Tasks are submitted to its cluster; the client is not closed.
a scheduler address such as ``"tcp://10.0.0.5:8786"``
    A client is connected to that scheduler for the call and closed afterwards.

Dask is optional (``pip install "caseflow-csc[dask]"``, or ``pip install ".[dask]"`` from a clone) and
imported only when a scheduler address is used.

``fn`` must be a top-level function (importable by name) and every task's arguments picklable, so
that process pools started with "spawn" (macOS, Windows) and Dask workers can run them.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

if TYPE_CHECKING:  # dask is optional: only its type is needed here
    from distributed import Client as DaskClient  # type: ignore[import-not-found, unused-ignore]

__all__ = ["ExecutorSpec", "WorkersCapped", "batched", "local_workers", "map_tasks", "usable_cores"]

T = TypeVar("T")
U = TypeVar("U")

#: What :func:`map_tasks` accepts as ``executor`` (see the module docstring).
ExecutorSpec: TypeAlias = "str | cf.Executor | DaskClient | None"

_NAMED = ("sequential", "processes")
_ADDRESS_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")
_ALLOWED = (
    "'sequential', 'processes', a concurrent.futures.Executor, a dask.distributed.Client, "
    "or a Dask scheduler address such as 'tcp://127.0.0.1:8786'"
)
_DASK_MISSING = (
    "Running on a Dask cluster needs dask.distributed, which is not installed. "
    'Install it with: pip install "caseflow-csc[dask]" (or pip install ".[dask]" from a clone of caseflow)'
)


class WorkersCapped(UserWarning):
    """More local worker processes were asked for than there are cores to run them: fewer are started.

    Results never depend on the number of workers (module docstring), so this changes only how the work
    is spread."""


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system reports it (Linux: a
    container or ``taskset`` may allow fewer than the machine has), otherwise :func:`os.cpu_count`."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def local_workers(workers: int | None, tasks: int | None = None) -> int:
    """How many local processes to start for ``tasks`` tasks when ``workers`` are asked for.

    Every usable core by default (:func:`usable_cores`); never more than there are cores (with a
    :class:`WorkersCapped` warning when ``workers`` asked for more) or tasks to run.

    >>> local_workers(1, tasks=10)
    1
    >>> local_workers(None, tasks=1)
    1
    """
    cores = usable_cores()
    if workers is not None and workers > cores:
        warnings.warn(
            WorkersCapped(
                f"{workers} workers asked for, but this computer lets caseflow use {cores} "
                f"core{'s' if cores != 1 else ''}: using {cores}. Each replication keeps a core busy, so "
                "more processes than cores run no faster and each holds its own copy of the model in "
                "memory. Results do not depend on the number of workers."
            ),
            stacklevel=3,
        )
    n = min(workers or cores, cores)
    return n if tasks is None else min(n, tasks)


#: Linux's prctl option that sends a signal to a process when its parent dies.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a pool worker: be killed when ``parent`` (the process that started the pool) dies.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere, and if the call fails, nothing changes. If the parent
    has already gone by the time this runs, the worker exits at once.
    """
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def batched(items: Sequence[U], size: int) -> list[list[U]]:
    """``items`` split into consecutive lists of ``size`` (the last may be shorter).

    >>> batched(range(7), 3)
    [[0, 1, 2], [3, 4, 5], [6]]
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"batch size must be a positive integer, got {size!r}")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def map_tasks(
    fn: Callable[..., T],
    tasks: Sequence[tuple[Any, ...]],
    executor: ExecutorSpec = "processes",
    workers: int | None = None,
    *,
    on_result: Callable[[int, T], None] | None = None,
) -> list[T]:
    """``[fn(*task) for task in tasks]``, run on ``executor``, in task order.

    ``on_result(index, result)`` is called in this process as each task finishes (in completion
    order, which need not be task order); use it for progress bars or to save finished work.
    ``workers`` is the number of local processes for ``"processes"`` (default and most: the cores this
    process may use, :func:`local_workers`); other executors bring their own workers and ignore it.

    An exception raised by a task (or by ``on_result``) propagates to the caller; tasks not yet
    started are cancelled where the executor allows.

    >>> map_tasks(pow, [(2, 3), (3, 2)], "sequential")
    [8, 9]
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
    tasks = list(tasks)

    if executor is None or isinstance(executor, str):
        name = "processes" if executor is None else executor
        if name == "sequential":
            return _run_sequential(fn, tasks, on_result)
        if name == "processes":
            n = local_workers(workers, len(tasks))
            if n <= 1:
                return _run_sequential(fn, tasks, on_result)
            pool = cf.ProcessPoolExecutor(max_workers=n, initializer=die_with_parent, initargs=(os.getpid(),))
            try:
                return _run_futures(pool, fn, tasks, on_result)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        if name.startswith(_ADDRESS_SCHEMES):
            distributed = _import_distributed()
            if not tasks:
                return []
            client = distributed.Client(name, set_as_default=False)
            try:
                return _run_dask(distributed, client, fn, tasks, on_result)
            finally:
                client.close()
        raise ValueError(f"executor must be {_ALLOWED}; got {executor!r}")

    if isinstance(executor, cf.Executor):
        return _run_futures(executor, fn, tasks, on_result)

    # A Client can only exist if distributed has been imported, so there is no need to import it here.
    loaded = sys.modules.get("distributed")
    if loaded is not None and isinstance(executor, loaded.Client):
        return _run_dask(loaded, executor, fn, tasks, on_result)

    raise ValueError(f"executor must be {_ALLOWED}; got {executor!r}")


def _run_sequential(
    fn: Callable[..., T], tasks: list[tuple[Any, ...]], on_result: Callable[[int, T], None] | None
) -> list[T]:
    results: list[T] = []
    for i, task in enumerate(tasks):
        result = fn(*task)
        results.append(result)
        if on_result is not None:
            on_result(i, result)
    return results


def _run_futures(
    executor: cf.Executor,
    fn: Callable[..., T],
    tasks: list[tuple[Any, ...]],
    on_result: Callable[[int, T], None] | None,
) -> list[T]:
    futures = {executor.submit(fn, *task): i for i, task in enumerate(tasks)}
    done: dict[int, T] = {}
    try:
        for future in cf.as_completed(futures):
            i = futures[future]
            done[i] = future.result()
            if on_result is not None:
                on_result(i, done[i])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [done[i] for i in range(len(tasks))]


def _run_dask(
    distributed: ModuleType,
    client: Any,
    fn: Callable[..., T],
    tasks: list[tuple[Any, ...]],
    on_result: Callable[[int, T], None] | None,
) -> list[T]:
    futures = [client.submit(fn, *task, pure=False) for task in tasks]
    index = {future.key: i for i, future in enumerate(futures)}
    done: dict[int, T] = {}
    try:
        for future in distributed.as_completed(futures, loop=client.loop):
            i = index[future.key]
            done[i] = future.result()
            if on_result is not None:
                on_result(i, done[i])
    except BaseException:
        client.cancel(futures)
        raise
    return [done[i] for i in range(len(tasks))]


def _import_distributed() -> ModuleType:
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(_DASK_MISSING) from exc
    return distributed
