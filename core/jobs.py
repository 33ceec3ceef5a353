"""Progress reporting and cooperative cancellation for long engine work.

Every long engine function takes ``progress=`` (a callable receiving
:class:`Progress`) and ``cancel=`` (a :class:`CancelToken`).  It calls
:meth:`CancelToken.raise_if_cancelled` at chunk boundaries, so cancelling
raises :class:`JobCancelled` within one chunk (well under a second for our
chunk sizes).  Nothing here imports Qt: the GUI's job runner adapts these to
signals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional


class JobCancelled(Exception):
    """Raised by engine code when its :class:`CancelToken` was cancelled.

    Deliberately not a :class:`~core.errors.ResonoteError`: cancelling is a
    user's choice, not an error.
    """


@dataclass(frozen=True)
class Progress:
    """One progress report.

    Attributes
    ----------
    stage : str
        Short machine-stable name of the current stage (``"decode"``, ``"stft"``).
    done, total : float
        Work done so far and total work, in any unit (frames, chunks, bytes).
        ``total`` is 0 when unknown.
    message : str
        Human-readable text for the jobs panel.
    """

    stage: str
    done: float
    total: float
    message: str = ""

    @property
    def fraction(self) -> Optional[float]:
        """``done / total`` clipped to [0, 1], or None when the total is unknown."""
        if self.total <= 0:
            return None
        return min(1.0, max(0.0, self.done / self.total))


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """Default progress callback: ignores reports."""


class CancelToken:
    """Thread-safe cancellation flag checked by engine code at chunk boundaries."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop; it raises :class:`JobCancelled` at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if :meth:`cancel` was called."""
        if self._event.is_set():
            raise JobCancelled()

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to ``timeout_s`` seconds, waking early on cancel.  Returns ``cancelled``."""
        return self._event.wait(timeout_s)


def check(cancel: Optional[CancelToken]) -> None:
    """``cancel.raise_if_cancelled()`` that accepts ``None`` (no cancellation)."""
    if cancel is not None and cancel._event.is_set():
        raise JobCancelled()


class ThrottledProgress:
    """Wrap a progress callback so it fires at most ``rate_hz`` times a second.

    The first and the final report (``done >= total``) always pass, so a
    consumer always sees completion.
    """

    def __init__(self, callback: ProgressCallback, rate_hz: float = 20.0) -> None:
        self._callback = callback
        self._interval = 1.0 / rate_hz
        self._last = -float("inf")

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        final = p.total > 0 and p.done >= p.total
        if final or now - self._last >= self._interval:
            self._last = now
            self._callback(p)
