"""Run batch tasks in this process, in local worker processes, or on a cluster.

The loop is the same for every executor: skip finished outputs, submit the rest,
collect results as they complete, resubmit a failed file up to ``retries`` times,
report ``Progress("batch", files_done, files_total, ...)`` and stop at a cancel.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Sequence
from typing import Any, Optional, Protocol

from core.batch.tasks import FAILED, OK, SKIPPED, BatchTask, FileResult, is_done, run_task
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled, Progress, ProgressCallback, no_progress


class Executor(Protocol):
    """What the batch loop needs from a way of running tasks."""

    def submit(self, task: BatchTask) -> Any: ...

    def wait(self, futures: list, timeout_s: float) -> list:
        """The futures among ``futures`` that are done (waiting at most ``timeout_s``)."""

    def outcome(self, future: Any) -> FileResult:
        """The task's result; raises when its worker died."""

    def close(self, *, cancel: bool) -> None: ...


class _Deferred:
    def __init__(self, task: BatchTask) -> None:
        self.task, self.result = task, None


class InProcess:
    """Runs one task at a time in this process, when it is waited for."""

    def submit(self, task: BatchTask) -> _Deferred:
        return _Deferred(task)

    def wait(self, futures: list, timeout_s: float) -> list:
        first = futures[0]
        first.result = run_task(first.task)
        return [first]

    def outcome(self, future: _Deferred) -> FileResult:
        return future.result

    def close(self, *, cancel: bool) -> None:
        pass


class LocalPool:
    """``jobs`` worker processes (spawned: safe beside Qt and torch threads).

    A worker keeps its loaded models between files.  If a worker process dies
    (a crash in a native decoder), the pool is rebuilt on the next submit and
    the files it held count one failed attempt each.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._ctx = multiprocessing.get_context("spawn")
        self._pool = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.jobs, mp_context=self._ctx)

    def submit(self, task: BatchTask) -> cf.Future:
        try:
            return self._pool.submit(run_task, task)
        except cf.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new()
            return self._pool.submit(run_task, task)

    def wait(self, futures: list, timeout_s: float) -> list:
        done, _ = cf.wait(futures, timeout=timeout_s, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def outcome(self, future: cf.Future) -> FileResult:
        return future.result()

    def close(self, *, cancel: bool) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)


def run_tasks(tasks: Sequence[BatchTask], *, executor: Optional[Executor] = None,
              retries: int = 0, progress: ProgressCallback = no_progress,
              cancel: Optional[CancelToken] = None) -> list[FileResult]:
    """Run every task; return one :class:`FileResult` per task, in the tasks' order.

    Parameters
    ----------
    tasks : sequence of BatchTask
        From :func:`core.batch.tasks.plan`.
    executor : Executor, optional
        :class:`InProcess` (default), :class:`LocalPool` or a cluster executor.
        It is closed when the batch ends.
    retries : int
        How many more times a failed file is tried (0: once only).
    progress : callable
        Receives ``Progress("batch", files_done, files_total, "3/50 <file>: <status>")``.
    cancel : CancelToken, optional
        Checked between files; cancelling stops submitting, cancels queued files
        and raises :class:`~core.jobs.JobCancelled`.
    """
    if retries < 0:
        raise InvalidParameterError("--retries must be 0 or more.")
    executor = executor or InProcess()
    total = len(tasks)
    results: dict[int, FileResult] = {}
    pending: dict[Any, int] = {}
    attempts = [0] * total

    def finish(i: int, r: FileResult) -> None:
        results[i] = r
        progress(Progress("batch", len(results), total,
                          f"{len(results)}/{total} {tasks[i].rel}: {r.status}"))

    cancelled = False
    try:
        progress(Progress("batch", 0, total, f"{total} files"))
        for i, t in enumerate(tasks):
            if not t.force and is_done(t):
                finish(i, FileResult(t.rel, t.dst, SKIPPED))
            else:
                pending[executor.submit(t)] = i
        while pending:
            if cancel is not None and cancel.cancelled:
                cancelled = True
                raise JobCancelled()
            for fut in executor.wait(list(pending), 0.2):
                i = pending.pop(fut)
                attempts[i] += 1
                try:
                    r = executor.outcome(fut)
                except Exception as exc:  # the worker died or the cluster lost it
                    r = FileResult(tasks[i].rel, tasks[i].dst, FAILED,
                                   error=f"The worker processing this file stopped "
                                   f"unexpectedly ({type(exc).__name__}: {exc}).")
                if r.status == FAILED and attempts[i] <= retries \
                        and not (cancel is not None and cancel.cancelled):
                    pending[executor.submit(tasks[i])] = i
                    continue
                if r.status == SKIPPED and attempts[i] > 1:
                    # An earlier attempt wrote the output (outputs appear only complete)
                    # but its result was lost with a worker that died: this batch did it.
                    r.status = OK
                r.attempts = attempts[i]
                finish(i, r)
    finally:
        executor.close(cancel=cancelled or bool(pending))
    return [results[i] for i in range(total)]
