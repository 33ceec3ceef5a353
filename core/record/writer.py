"""What the writer thread does with the audio it drains from the ring.

* :class:`History` keeps the last seconds for the live waveform/spectrogram
  views (:meth:`core.record.Recorder.latest`).
* :class:`TakeSink` streams a take to disk and keeps it recoverable: the WAV
  header is made valid every ``header_interval_s`` (0.5 s), the data is
  flushed to the storage device every ``sync_interval_s`` (1 s), and the
  sidecar is rewritten when the overflow count changes (at most once a second)
  and every few seconds otherwise.

Memory is fixed at construction: nothing here grows with the take's length.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from core.record.takes import Take
from core.record.wavfile import WavWriter


class AudioWriter(Protocol):
    """What :class:`TakeSink` needs from a file writer (:class:`WavWriter` is one)."""

    path: Path
    frames: int

    def write(self, x: np.ndarray) -> None: ...
    def update_header(self) -> None: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...


#: ``factory(path, sr=, channels=, subtype=)`` → an :class:`AudioWriter`.
WriterFactory = Callable[..., AudioWriter]


class History:
    """The most recent ``capacity`` frames, for display (thread-safe)."""

    def __init__(self, capacity: int, channels: int) -> None:
        self.capacity = int(capacity)
        self._buf = np.zeros((self.capacity, channels), dtype=np.float32)
        self._total = 0
        self._lock = threading.Lock()

    def push(self, x: np.ndarray) -> None:
        """Append ``x`` (frames, channels)."""
        n = total = x.shape[0]
        if n >= self.capacity:
            x, n = x[-self.capacity :], self.capacity
        with self._lock:
            i = (self._total + total - n) % self.capacity
            k = min(n, self.capacity - i)
            self._buf[i : i + k] = x[:k]
            self._buf[: n - k] = x[k:]
            self._total += total

    def clear(self) -> None:
        with self._lock:
            self._total = 0

    def latest(self, n: int) -> np.ndarray:
        """The last ``min(n, recorded, capacity)`` frames as (channels, frames) float32."""
        with self._lock:
            n = max(0, min(int(n), self._total, self.capacity))
            end = self._total % self.capacity
            if n <= end:
                out = self._buf[end - n : end].T.copy()
            else:
                out = np.concatenate([self._buf[self.capacity - (n - end) :], self._buf[:end]]).T
        return np.ascontiguousarray(out)


class TakeSink:
    """A take being written: the file, its sidecar, and when each was last refreshed."""

    def __init__(
        self,
        take: Take,
        writer: AudioWriter,
        *,
        header_interval_s: float = 0.5,
        sync_interval_s: float = 1.0,
        sidecar_interval_s: float = 5.0,
    ) -> None:
        self.take = take
        self.writer = writer
        self.header_interval_s = header_interval_s
        self.sync_interval_s = sync_interval_s
        self.sidecar_interval_s = sidecar_interval_s
        now = time.monotonic()
        self._t_header = self._t_sync = self._t_sidecar = now
        self._saved_overflows = 0
        self.closed = False
        take.save_sidecar()

    @classmethod
    def create(
        cls,
        take: Take,
        *,
        factory: WriterFactory | None = None,
        **intervals: float,
    ) -> TakeSink:
        """Create the audio file (never overwriting) and the sidecar for ``take``."""
        make = factory or WavWriter
        writer = make(take.path, sr=take.sr, channels=take.channels, subtype=take.subtype)
        try:
            return cls(take, writer, **intervals)
        except Exception:
            writer.close()
            take.path.unlink(missing_ok=True)
            raise

    @property
    def frames(self) -> int:
        return self.writer.frames

    def write(self, x: np.ndarray) -> None:
        """Append ``x`` (frames, channels); raises DiskFullError/OSError on failure."""
        self.writer.write(x)

    def tick(self, *, overflows: int, input_overflows: int, dropped_frames: int,
             gaps: list[tuple[int, int]]) -> None:
        """Refresh the header / sync / sidecar when their interval has passed."""
        now = time.monotonic()
        if now - self._t_header >= self.header_interval_s:
            self.writer.update_header()
            self._t_header = now
        if now - self._t_sync >= self.sync_interval_s:
            self.writer.sync()
            self._t_sync = now
        changed = overflows != self._saved_overflows
        due = now - self._t_sidecar >= (1.0 if changed else self.sidecar_interval_s)
        if due:
            t = self.take
            t.frames, t.overflows, t.input_overflows = self.frames, overflows, input_overflows
            t.dropped_frames, t.gaps = dropped_frames, gaps
            try:
                t.save_sidecar()
            except OSError:
                return  # the file matters more; try again next time
            self._t_sidecar = now
            self._saved_overflows = overflows

    def finish(self, *, state: str, error: str | None, overflows: int, input_overflows: int,
               dropped_frames: int, gaps: list[tuple[int, int]]) -> Take:
        """Close the file (valid header) and write the final sidecar; return the take."""
        if self.closed:
            return self.take
        self.closed = True
        t = self.take
        try:
            self.writer.close()
        finally:
            t.frames = self.writer.frames
            t.state, t.error = state, error
            t.overflows, t.input_overflows = overflows, input_overflows
            t.dropped_frames, t.gaps = dropped_frames, gaps
            try:
                t.save_sidecar()
            except OSError:
                pass  # the take stays "recording"; recover_takes() repairs it later
        return t
