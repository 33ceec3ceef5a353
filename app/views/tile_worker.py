"""Background computation for views: latest-request-wins jobs on a small thread pool.

Views ask for pictures of audio (a spectrogram overview, the visible region at
screen resolution, a spectrum) many times a second while the user zooms.  Only
the newest request of each *kind* matters: submitting a new one cancels the
previous one's :class:`core.jobs.CancelToken`, and a result that arrives with an
older request id is dropped.  These are not user-visible jobs, so they do not
go through the jobs panel's runner.

The callable runs on a pool thread and must not touch Qt widgets; its result is
delivered on the GUI thread through :attr:`TileWorker.finished`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import ResonoteError
from core.jobs import CancelToken, JobCancelled

log = logging.getLogger(__name__)

#: ``fn(cancel) -> result``; runs on a worker thread.
TileFunction = Callable[[CancelToken], Any]


class _Relay(QObject):
    """Lives on the GUI thread; worker threads emit on it (queued delivery)."""

    done = Signal(str, int, object)
    failed = Signal(str, int, str)


class _Task(QRunnable):
    def __init__(self, relay: _Relay, kind: str, request_id: int, fn: TileFunction,
                 cancel: CancelToken) -> None:
        super().__init__()
        self._relay, self._kind, self._id, self._fn, self._cancel = (
            relay, kind, request_id, fn, cancel)

    def run(self) -> None:
        if self._cancel.cancelled:
            return
        try:
            result = self._fn(self._cancel)
        except JobCancelled:
            return
        except ResonoteError as e:
            self._emit_failed(str(e))
            return
        except Exception as e:  # a view must report, never take the app down
            log.exception("background %s computation failed", self._kind)
            self._emit_failed(f"{type(e).__name__}: {e}")
            return
        if not self._cancel.cancelled:
            try:
                self._relay.done.emit(self._kind, self._id, result)
            except RuntimeError:  # the view was deleted meanwhile
                pass

    def _emit_failed(self, message: str) -> None:
        try:
            self._relay.failed.emit(self._kind, self._id, message)
        except RuntimeError:
            pass


class TileWorker(QObject):
    """Latest-request-wins background jobs for one view.

    Signals
    -------
    finished(kind: str, request_id: int, result: object)
        The newest request of ``kind`` completed (GUI thread).
    failed(kind: str, request_id: int, message: str)
        The newest request of ``kind`` raised; ``message`` is for the user.
    busyChanged(busy: bool)
        Whether any request is still pending.
    """

    finished = Signal(str, int, object)
    failed = Signal(str, int, str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, threads: int = 1) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, threads))
        self._relay = _Relay()  # no parent: owned here, outlives queued emissions
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)
        self._pending: dict[str, tuple[int, CancelToken]] = {}
        self._ids = itertools.count(1)
        self._busy = False
        # Cancel outstanding work before the pool (a child) waits for its threads.
        pending = self._pending
        self.destroyed.connect(lambda *_: [tok.cancel() for _, tok in list(pending.values())])

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def latest_id(self, kind: str) -> int | None:
        """Id of the pending request of ``kind``, or None."""
        entry = self._pending.get(kind)
        return entry[0] if entry else None

    def submit(self, kind: str, fn: TileFunction) -> int:
        """Run ``fn(cancel)`` in the background, cancelling the previous request of ``kind``."""
        self.cancel(kind, _notify=False)
        request_id = next(self._ids)
        token = CancelToken()
        self._pending[kind] = (request_id, token)
        self._pool.start(_Task(self._relay, kind, request_id, fn, token))
        self._update_busy()
        return request_id

    def cancel(self, kind: str | None = None, *, _notify: bool = True) -> None:
        """Cancel the pending request of ``kind`` (all kinds when None)."""
        kinds = list(self._pending) if kind is None else [kind]
        for k in kinds:
            entry = self._pending.pop(k, None)
            if entry:
                entry[1].cancel()
        if _notify:
            self._update_busy()

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Cancel everything and wait (bounded) for running work to notice."""
        self.cancel()
        self._pool.clear()
        self._pool.waitForDone(wait_ms)

    def _on_done(self, kind: str, request_id: int, result: object) -> None:
        entry = self._pending.get(kind)
        if entry is None or entry[0] != request_id:
            return  # stale: a newer request superseded it
        del self._pending[kind]
        self._update_busy()
        self.finished.emit(kind, request_id, result)

    def _on_failed(self, kind: str, request_id: int, message: str) -> None:
        entry = self._pending.get(kind)
        if entry is None or entry[0] != request_id:
            return
        del self._pending[kind]
        self._update_busy()
        self.failed.emit(kind, request_id, message)

    def _update_busy(self) -> None:
        busy = bool(self._pending)
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)
