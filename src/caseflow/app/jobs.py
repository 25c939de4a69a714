"""Long runs off the page: a worker pool, progress, cancelling, and a cache of finished comparisons.

The page never waits for a simulation. :meth:`JobRunner.submit` returns a :class:`Job` at once; a
coordinating thread runs the comparison (:func:`caseflow.compare`) with its replications on a pool of
local worker processes, or on a Dask cluster when one is configured, while the page reads
:meth:`Job.status` a few times a second for its progress bar. :meth:`Job.cancel` stops a run at once:
replications not yet started are dropped, and the page is free; a replication already running in a
worker finishes there and is thrown away.

Finished comparisons are kept in memory by (scenario hashes, seed, years, replications), so asking
again for the same run, from any session, answers at once; each finished replication is also saved in
the app's folder (:class:`caseflow.experiment.store.ReplicationStore`), so changing the option reruns
only the option: the baseline's replications are reused. Results do not depend on where a replication
ran (common random numbers, seeded by replication number), so sharing them between sessions shows no
one anything but what their own inputs give.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import multiprocessing
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from caseflow.experiment.compare import Comparison, compare
from caseflow.experiment.executors import local_workers
from caseflow.model.budget import Budget, BudgetExceededError, RunRefusedError
from caseflow.scenario.schema import Scenario

__all__ = ["BusyError", "Job", "JobRunner", "JobState", "JobStatus", "Request", "RunRequest"]


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BusyError(RuntimeError):
    """Too many runs are waiting or running already (over every session)."""


class Request(Protocol):
    """What a job runs: a comparison (:class:`RunRequest`) or a search for what is needed
    (:class:`caseflow.app.needs.TargetRequest`)."""

    def key(self) -> str:
        """What identifies the result: two requests with the same key give the same result."""
        ...

    @property
    def total(self) -> int:
        """Replications to run (0: not known in advance, as in a search)."""
        ...

    def stored(self, store: Path | None) -> int:
        """How many of its replications the store holds already."""
        ...

    def execute(self, executor: cf.Executor, store: Path | None) -> Any:
        """Run it, handing every replication to ``executor``."""
        ...


@dataclass(frozen=True)
class RunRequest:
    """A comparison of an option with its baseline, on common random numbers."""

    baseline: Scenario
    option: Scenario
    years: int
    replications: int
    seed: int = 0
    #: wall-clock seconds a replication may take before it is stopped (None: no limit). It does not
    #: change what a replication gives, so it is not part of the key
    seconds: float | None = None

    def key(self) -> str:
        """What identifies the run's results: both scenarios' hashes, the seed, years and replications."""
        text = "|".join(
            (
                self.baseline.hash(),
                self.option.hash(),
                str(self.seed),
                str(self.years),
                str(self.replications),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def total(self) -> int:
        """Replications to run: the baseline's and the option's."""
        return 2 * self.replications

    def stored(self, store: Path | None) -> int:
        return _stored(self, store)

    def execute(self, executor: cf.Executor, store: Path | None) -> Comparison:
        if self.baseline.name == self.option.name:
            raise ValueError(f"the baseline and the option are both named {self.option.name!r}")
        return compare(
            {self.baseline.name: self.baseline, self.option.name: self.option},
            baseline=self.baseline.name,
            years=self.years,
            replications=self.replications,
            seed=self.seed,
            executor=executor,
            store=store,
            budget=None if self.seconds is None else Budget(seconds=self.seconds),
        )


@dataclass(frozen=True)
class JobStatus:
    """A job's state at one moment: what the page shows."""

    state: JobState
    done: int
    total: int
    message: str = ""
    from_cache: bool = False

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

    @property
    def fraction(self) -> float:
        """Share done (0 while running when the total is not known in advance)."""
        return 1.0 if self.state is JobState.DONE else (self.done / self.total if self.total else 0.0)


class Job:
    """One run, as the page sees it: status, cancel, and the comparison when done."""

    def __init__(self, request: Request) -> None:
        self.id = uuid.uuid4().hex
        self.request = request
        self._lock = threading.Lock()
        self._state = JobState.QUEUED
        self._stored = 0
        self._completed = 0
        self._message = ""
        self._from_cache = False
        self._finished = threading.Event()
        self._cancelled = threading.Event()
        self._futures: list[cf.Future[Any]] = []
        #: a Comparison for a RunRequest, a TargetResult for a TargetRequest
        self.result: Any = None
        self.started: float | None = None
        self.ended: float | None = None

    # ---------------------------------------------------------------------------------- for the page
    def status(self) -> JobStatus:
        with self._lock:
            total = self.request.total
            # replications found in the store are not run again: they count as done
            done = self._stored + self._completed
            done = min(done, total) if total else done
            return JobStatus(self._state, done, total, self._message, self._from_cache)

    def cancel(self) -> None:
        """Stop the run: nothing more is started, and the job ends as cancelled at once."""
        with self._lock:
            if self._state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED):
                return
            self._cancelled.set()
            futures = list(self._futures)
        for f in futures:
            _cancel(f)
        self._end(JobState.CANCELLED, "Stopped. Nothing from this run is shown.")

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (for tests and scripts, never the page)."""
        return self._finished.wait(timeout)

    # ------------------------------------------------------------------------------ for the runner
    def _start(self) -> bool:
        with self._lock:
            if self._state is not JobState.QUEUED:
                return False
            self._state = JobState.RUNNING
            self.started = time.time()
            return True

    def _end(self, state: JobState, message: str = "", result: Any = None) -> None:
        with self._lock:
            if self._state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED):
                return
            self._state = state
            self._message = message
            self.result = result
            self.ended = time.time()
        self._finished.set()

    def _finish_cached(self, result: Any) -> None:
        with self._lock:
            self._from_cache = True
            self._completed = self.request.total
        self._end(JobState.DONE, "", result)

    def _track(self, future: cf.Future[Any]) -> None:
        with self._lock:
            self._futures.append(future)

    def _set_stored(self, n: int) -> None:
        with self._lock:
            self._stored = n

    def _one_done(self) -> None:
        with self._lock:
            self._completed += 1


def _cancel(future: cf.Future[Any]) -> None:
    """Cancel a future no executor runs, and wake whoever waits on it (``as_completed`` learns of a
    cancellation only through ``set_running_or_notify_cancel``)."""
    with contextlib.suppress(RuntimeError, cf.InvalidStateError):  # finished, or cancelled already
        if future.cancel():
            future.set_running_or_notify_cancel()


class _Tracked(cf.Executor):
    """An executor for one job: hands tasks to the shared pool, counts them as they finish, and gives
    back futures of its own, which :meth:`Job.cancel` cancels at once whatever the pool is doing."""

    def __init__(self, inner: cf.Executor | None, job: Job) -> None:
        self.inner = inner  # None: run each task here, as it is submitted
        self.job = job

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        outer: cf.Future[Any] = cf.Future()
        self.job._track(outer)
        if self.job.cancelled:
            _cancel(outer)
            return outer
        if self.inner is None:
            try:
                outer.set_result(fn(*args, **kwargs))
                self.job._one_done()
            except BaseException as exc:
                outer.set_exception(exc)
            return outer
        inner = self.inner.submit(fn, *args, **kwargs)

        def handed_back(f: cf.Future[Any]) -> None:
            if outer.done():  # cancelled by the job
                return
            with contextlib.suppress(cf.InvalidStateError):  # cancelled meanwhile
                if f.cancelled():
                    _cancel(outer)
                elif f.exception() is not None:
                    outer.set_exception(f.exception())
                else:
                    outer.set_result(f.result())
                    self.job._one_done()

        def cancelled(f: cf.Future[Any]) -> None:
            if f.cancelled():
                inner.cancel()  # frees the pool if it has not started

        outer.add_done_callback(cancelled)
        inner.add_done_callback(handed_back)
        return outer

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """The pool is shared: nothing to shut down."""


def _pool_context() -> Any:
    """Worker processes are started fresh ("forkserver" on Linux, "spawn" elsewhere): forking a web
    server's process, with its threads, is not safe."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


class JobRunner:
    """Runs jobs off the page's event loop, on local processes or a Dask cluster.

    ``executor``: ``"processes"``, ``"sequential"`` (in this process; for tests) or a Dask scheduler
    address. ``workers``: local processes (default: every core). ``store``: a folder for finished
    replications (None: none kept on disk). ``max_jobs``: runs waiting or running at once.
    """

    def __init__(
        self,
        executor: str = "processes",
        workers: int | None = None,
        *,
        store: Path | None = None,
        max_jobs: int = 4,
        cache_size: int = 32,
        max_stored: int = 5000,
    ) -> None:
        if executor not in ("processes", "sequential") and "://" not in executor:
            raise ValueError(
                f"executor must be 'processes', 'sequential' or a Dask scheduler address, got {executor!r}"
            )
        self.executor = executor
        self.workers = workers
        self.store = store
        self.max_jobs = max_jobs
        self.max_stored = max_stored
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._running: dict[str, Job] = {}  # waiting or running, by id
        # one coordinating thread per job that may run at once; each mostly waits on the pool
        self._threads = cf.ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="caseflow-job")
        self._pool: cf.Executor | None = None
        self._client: Any = None

    # ------------------------------------------------------------------------------------ public
    def submit(self, request: Request) -> Job:
        """Start a run and return its job at once (done already if the same run is cached).

        Raises :class:`BusyError` when ``max_jobs`` runs are waiting or running.
        """
        job = Job(request)
        with self._lock:
            cached = self._cache.get(request.key())
            if cached is not None:
                self._cache.move_to_end(request.key())
            elif len(self._running) >= self.max_jobs:
                raise BusyError(
                    f"The app is running {len(self._running)} other runs; please try again in a minute."
                )
            else:
                self._running[job.id] = job
        if cached is not None:
            job._finish_cached(cached)
            return job
        self._threads.submit(self._run, job)
        return job

    def cached(self, request: Request) -> Any:
        with self._lock:
            return self._cache.get(request.key())

    def close(self) -> None:
        """Stop the worker pool: running jobs are cancelled, and the worker processes end (after the
        replications they are running, at most one each) rather than outlive the app."""
        with self._lock:
            running = list(self._running.values())
        for job in running:
            job.cancel()
        self._threads.shutdown(wait=False, cancel_futures=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()

    # ----------------------------------------------------------------------------------- private
    def _inner(self) -> cf.Executor | None:
        with self._lock:
            if self.executor == "sequential":
                return None
            if self.executor == "processes":
                if self._pool is None:
                    self._pool = cf.ProcessPoolExecutor(
                        max_workers=local_workers(self.workers), mp_context=_pool_context()
                    )
                return self._pool
            if self._client is None:
                from caseflow.experiment.executors import _import_distributed

                distributed = _import_distributed()
                self._client = distributed.Client(self.executor, set_as_default=False)
            executor: cf.Executor = self._client.get_executor(pure=False)
            return executor

    def _run(self, job: Job) -> None:
        try:
            if not job._start():
                return  # cancelled while waiting
            request = job.request
            job._set_stored(request.stored(self.store))
            result = request.execute(_Tracked(self._inner(), job), self.store)
            if job.cancelled:
                return
            with self._lock:
                self._cache[request.key()] = result
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            job._end(JobState.DONE, "", result)
        except cf.CancelledError:
            job._end(JobState.CANCELLED, "Stopped. Nothing from this run is shown.")
        except Exception as exc:  # shown on the page in words; the app carries on
            if isinstance(exc, BrokenExecutor):
                self._discard_pool()  # a worker died (out of memory?): the next run starts a new pool
            job._end(JobState.FAILED, _failure(exc))
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            self._prune_store()

    def _discard_pool(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _prune_store(self) -> None:
        """Keep at most ``max_stored`` replications on disk, removing the oldest first."""
        if self.store is None or not self.store.is_dir():
            return
        files = sorted(self.store.glob("*.pkl"), key=_mtime)
        for old in files[: max(0, len(files) - self.max_stored)]:
            old.unlink(missing_ok=True)


def _stored(request: RunRequest, store: Path | None) -> int:
    """How many of the run's replications the store holds already (they are loaded, not run)."""
    if store is None:
        return 0
    from caseflow.experiment.runner import Job as Replication

    keys = [
        Replication(s, request.seed, r, request.years).key()
        for s in (request.baseline, request.option)
        for r in range(request.replications)
    ]
    return sum((store / f"{k}.pkl").is_file() for k in keys)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _failure(exc: BaseException) -> str:
    if isinstance(exc, BudgetExceededError):
        return (
            "A replication took longer than the app allows, and the run was stopped. Simulate fewer years, "
            "or run it with the caseflow command."
        )
    if isinstance(exc, RunRefusedError):
        first = (str(exc).splitlines() or [""])[0].rstrip(".")
        return f"This run is too large to run here, and was not started: {first[:400]}."
    if isinstance(exc, BrokenExecutor):
        return "A worker process stopped (the computer may have run out of memory). Try a smaller run."
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory. Try fewer replications or years."
    text = str(exc).strip() or type(exc).__name__
    return f"The run failed: {text[:500]}"
