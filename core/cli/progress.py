"""A terminal progress line for CLI jobs (stderr, only when it is a terminal)."""

from __future__ import annotations

import sys
import time

from core.jobs import Progress


class TerminalProgress:
    """Callable progress sink drawing ``stage  42%  message`` on one stderr line."""

    def __init__(self, stream=None, *, rate_hz: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._interval = 1.0 / rate_hz
        self._last = 0.0
        self._dirty = False

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self._interval and not (p.total and p.done >= p.total):
            return
        self._last = now
        frac = p.fraction
        pct = f"{frac * 100:5.1f}%" if frac is not None else "  ... "
        self.stream.write(f"\r{p.stage:<12} {pct}  {p.message[:60]:<60}")
        self.stream.flush()
        self._dirty = True

    def close(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False
