"""Run batch tasks on a Dask distributed cluster (``--cluster tcp://host:8786``).

Each file is one Dask task running :func:`core.batch.tasks.run_task` on a worker.
Workers are long-lived processes, so the engines' per-process model caches load
each model once per worker.  Results are written by the workers straight into the
output folder, which must be the same path on every machine (a shared
filesystem).  Dask is imported only here, only when a cluster is used.
"""

from __future__ import annotations

import uuid
from typing import Any

from core.batch.tasks import BatchTask, FileResult, run_task
from core.errors import ResonoteError


class ClusterError(ResonoteError):
    """The Dask scheduler cannot be reached or used."""


class DaskExecutor:
    """An :class:`~core.batch.runner.Executor` backed by a ``distributed.Client``.

    Parameters
    ----------
    address : str
        Scheduler address, e.g. ``tcp://10.0.0.5:8786``.
    timeout_s : float
        How long to wait for the scheduler to answer.
    """

    def __init__(self, address: str, *, timeout_s: float = 20.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError("Running on a cluster needs the package 'distributed' "
                               "(pip install distributed).") from None
        try:
            self.client = Client(address, timeout=timeout_s, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"Cannot reach the Dask scheduler at {address} ({exc}).") \
                from None
        self._tries = 0
        self._run_id = uuid.uuid4().hex[:12]  # keys are global to the scheduler
        self._live: list = []

    @property
    def worker_count(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def submit(self, task: BatchTask) -> Any:
        # Each try gets its own key: a failed file is resubmitted as a new task
        # (Dask would otherwise hand back the cached failed result).
        self._tries += 1
        fut = self.client.submit(run_task, task, pure=False,
                                 key=f"resonote-batch-{self._run_id}-{self._tries}-{task.rel}")
        self._live = [f for f in self._live if not f.done()] + [fut]
        return fut

    def wait(self, futures: list, timeout_s: float) -> list:
        from distributed import wait
        from distributed.client import FIRST_COMPLETED

        try:
            with self.client.as_current():
                done, _ = wait(futures, timeout=timeout_s, return_when=FIRST_COMPLETED)
        except TimeoutError:
            return []
        return list(done)

    def outcome(self, future: Any) -> FileResult:
        return future.result()

    def close(self, *, cancel: bool) -> None:
        try:
            if cancel:
                self.client.cancel([f for f in self._live if not f.done()])
        finally:
            self.client.close()
