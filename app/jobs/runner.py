"""The one generic job runner: any core callable, on a worker thread, reported by signals.

A job is ``fn(*args, progress=cb, cancel=token, **kwargs)``.  A worker QObject
(no parent) is moved to its own QThread and calls it there; the worker emits
progress (throttled to ~20 Hz with :class:`core.jobs.ThrottledProgress`), then
exactly one of finished / failed / cancelled.  Cancelling sets the job's
:class:`core.jobs.CancelToken`; the engine raises ``JobCancelled`` at its next
chunk boundary.  Threads are never terminated, only waited for.
"""

from __future__ import annotations

import copy
import enum
import itertools
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from core.errors import ResonoteError
from core.jobs import CancelToken, JobCancelled, Progress, ThrottledProgress


class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        return self in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED)


_ids = itertools.count(1)


@dataclass
class Job:
    """One unit of background work as the UI sees it."""

    name: str
    options: dict = field(default_factory=dict)
    id: int = field(default_factory=lambda: next(_ids))
    status: JobStatus = JobStatus.QUEUED
    started_at: float = field(default_factory=time.time)
    finished_at: Optional[float] = None
    fraction: Optional[float] = None
    message: str = ""
    error: str = ""
    details: str = ""
    quiet: bool = False
    result: Any = None

    @property
    def elapsed_s(self) -> float:
        return (self.finished_at or time.time()) - self.started_at

    @property
    def eta_s(self) -> Optional[float]:
        """Seconds left, extrapolated from progress so far; None when unknown."""
        f = self.fraction
        if self.status is not JobStatus.RUNNING or not f or f <= 0.02:
            return None
        return self.elapsed_s * (1.0 - f) / f


class _Worker(QObject):
    """Runs one callable on its thread.  Created without a parent, moved to the thread."""

    progressed = Signal(object)  # Progress
    finished = Signal(object)
    failed = Signal(str, str)  # message, details
    cancelled = Signal()

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, token: CancelToken) -> None:
        super().__init__()
        self._fn, self._args, self._kwargs, self._token = fn, args, kwargs, token

    @Slot()
    def run(self) -> None:
        progress = ThrottledProgress(self.progressed.emit, rate_hz=20.0)
        try:
            result = self._fn(*self._args, progress=progress, cancel=self._token, **self._kwargs)
        except JobCancelled:
            self.cancelled.emit()
        except ResonoteError as exc:
            if self._token.cancelled:
                self.cancelled.emit()
            else:
                self.failed.emit(str(exc), "")
        except MemoryError:
            self.failed.emit("Not enough memory for this job.", traceback.format_exc())
        except Exception as exc:  # programming error: short message, full details
            if self._token.cancelled:
                self.cancelled.emit()
            else:
                self.failed.emit(f"Unexpected error: {type(exc).__name__}: {exc}",
                                 traceback.format_exc())
        else:
            if self._token.cancelled:
                self.cancelled.emit()
            else:
                self.finished.emit(result)


@dataclass
class _Running:
    job: Job
    thread: QThread
    worker: _Worker
    token: CancelToken
    on_result: Optional[Callable[[Any], None]]
    on_error: Optional[Callable[[str], None]]
    on_cancel: Optional[Callable[[], None]]
    relay: Optional[_Relay] = None


class _Relay(QObject):
    """UI-thread receiver of one worker's signals."""

    def __init__(self, runner: JobRunner, job: Job) -> None:
        super().__init__(runner)
        self._runner, self._job = runner, job

    @Slot(object)
    def on_progress(self, p: Progress) -> None:
        self._runner._on_progress(self._job, p)

    @Slot(object)
    def on_finished(self, result: Any) -> None:
        self._runner._on_done(self._job, JobStatus.FINISHED, result=result)

    @Slot(str, str)
    def on_failed(self, message: str, details: str) -> None:
        self._runner._on_done(self._job, JobStatus.FAILED, message, details)

    @Slot()
    def on_cancelled(self) -> None:
        self._runner._on_done(self._job, JobStatus.CANCELLED)


class JobRunner(QObject):
    """Starts jobs and keeps every job (running or done) for the jobs panel.

    Signals
    -------
    jobAdded(Job), jobChanged(Job)
        A job was submitted / its progress or status changed.
    jobDone(Job)
        The job reached FINISHED, FAILED or CANCELLED (after its callbacks ran).
    """

    jobAdded = Signal(object)
    jobChanged = Signal(object)
    jobDone = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._running: dict[int, _Running] = {}
        self._retired: list[_Running] = []

    # -- queries ---------------------------------------------------------------------
    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def job(self, job_id: int) -> Job | None:
        return next((j for j in self._jobs if j.id == job_id), None)

    def running_jobs(self, *, include_quiet: bool = True) -> list[Job]:
        return [r.job for r in self._running.values() if include_quiet or not r.job.quiet]

    # -- submitting ------------------------------------------------------------------
    def submit(
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Optional[Callable[[Any], None]] = None,
        on_error: Optional[Callable[[str], None]] = None,
        on_cancel: Optional[Callable[[], None]] = None,
        options: Optional[dict] = None,
        quiet: bool = False,
        **kwargs: Any,
    ) -> Job:
        """Run ``fn(*args, progress=, cancel=, **kwargs)`` on a new worker thread.

        ``on_result`` / ``on_error`` / ``on_cancel`` run on the UI thread.
        ``options`` (a description of the settings used, shown and kept with the
        job) is deep-copied now, so later UI changes cannot alter it.  ``quiet``
        jobs (autosave) stay out of the jobs panel.
        """
        job = Job(name=name, options=copy.deepcopy(options or {}), quiet=quiet)
        token = CancelToken()
        thread = QThread()
        thread.setObjectName(f"job-{job.id}")
        worker = _Worker(fn, args, kwargs, token)
        worker.moveToThread(thread)
        run = _Running(job, thread, worker, token, on_result, on_error, on_cancel)
        self._running[job.id] = run
        self._jobs.append(job)
        # The relay lives on this (the UI) thread, so the worker's signals reach
        # it through queued connections and every handler runs on the UI thread.
        relay = _Relay(self, job)
        run.relay = relay
        worker.progressed.connect(relay.on_progress)
        worker.finished.connect(relay.on_finished)
        worker.failed.connect(relay.on_failed)
        worker.cancelled.connect(relay.on_cancelled)
        # The thread's event loop ends as soon as the worker returns (a direct call
        # from the worker thread; QThread.quit is thread-safe), so waiting for the
        # thread never needs this thread to process events.
        for sig in (worker.finished, worker.failed, worker.cancelled):
            sig.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.started.connect(worker.run)
        job.status = JobStatus.RUNNING
        job.started_at = time.time()
        self.jobAdded.emit(job)
        thread.start()
        return job

    # -- cancelling ------------------------------------------------------------------
    def cancel(self, job_id: int) -> None:
        run = self._running.get(job_id)
        if run is None or run.token.cancelled:
            return
        run.token.cancel()
        run.job.status = JobStatus.CANCELLING
        run.job.message = "Cancelling…"
        self.jobChanged.emit(run.job)

    def cancel_all(self) -> None:
        for job_id in list(self._running):
            self.cancel(job_id)

    def wait_all(self, timeout_s: float = 10.0) -> bool:
        """Block until every worker thread has returned (after :meth:`cancel_all`).

        Pending result signals are delivered as the threads end.  Returns False
        if a job ignored its cancel token for ``timeout_s``.
        """
        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout_s
        while self._running:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                break
            for run in list(self._running.values()):
                run.thread.wait(max(1, left_ms))
            # Deliver the workers' queued final signals (runs the callbacks).
            QCoreApplication.sendPostedEvents()
        return not self._running

    # -- worker signals (UI thread) ------------------------------------------------
    def _on_progress(self, job: Job, p: Progress) -> None:
        if job.status is not JobStatus.RUNNING:
            return
        job.fraction = p.fraction
        job.message = p.message or p.stage
        self.jobChanged.emit(job)

    def _on_done(self, job: Job, status: JobStatus, message: str = "", details: str = "",
                 result: Any = None) -> None:
        run = self._running.pop(job.id, None)
        job.status = status
        job.finished_at = time.time()
        if status is JobStatus.FINISHED:
            job.fraction = 1.0
            job.message = "Done"
        elif status is JobStatus.FAILED:
            job.error, job.details = message, details
            job.message = "Failed"
        else:
            job.message = "Cancelled"
        if run is not None:
            # The worker has returned; the thread only runs its idle event loop.
            # Python owns both (no Qt parent) and frees them once ``run`` is dropped.
            run.thread.quit()
            run.thread.wait()
            # Freed from a later event, never inside the relay's own slot.
            self._retired.append(run)
            QTimer.singleShot(0, self._retired.clear)
        callback_error = ""
        try:
            if run is not None:
                if status is JobStatus.FINISHED and run.on_result is not None:
                    run.on_result(result)
                elif status is JobStatus.FAILED and run.on_error is not None:
                    run.on_error(message)
                elif status is JobStatus.CANCELLED and run.on_cancel is not None:
                    run.on_cancel()
        except ResonoteError as exc:
            callback_error = str(exc)
        except Exception as exc:  # a bug in a result handler must not kill the UI
            callback_error = f"Unexpected error: {type(exc).__name__}: {exc}"
            job.details = traceback.format_exc()
        if callback_error:
            job.status = JobStatus.FAILED
            job.error = callback_error
            job.message = "Failed"
        self.jobChanged.emit(job)
        self.jobDone.emit(job)
