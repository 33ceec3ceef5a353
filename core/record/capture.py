"""The writer thread's per-block work for :class:`core.record.Recorder`.

Split from recorder.py: this mixin drains the ring (putting silence where the
callback had to drop a block), applies the gain trim, feeds the meters, the
display history and the take file, and watches the device for a stall or an
unexpected end.  Every method runs in the writer thread with the recorder's
lock held.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core.errors import AudioDeviceError, AudioFileError, ResonoteError
from core.record.wavfile import DiskFullError


def _clock(frames: int, sr: int) -> str:
    s = frames / sr
    return f"{int(s // 60)}:{s % 60:04.1f}"


class CaptureMixin:
    """Writer-thread half of :class:`~core.record.Recorder` (see its docstring)."""

    # -- state helpers (caller's thread, lock held for _set_mode_locked) --------------------
    def _emit(self, state: str) -> None:
        cb = self.on_state
        if cb is not None:
            try:
                cb(state)
            except Exception:  # a faulty listener must not stop a recording
                import traceback

                traceback.print_exc()

    def _set_mode_locked(self, mode: str, *, wait: bool = False) -> None:
        self._mode = mode
        self._mode_gen += 1
        self._lock.notify_all()
        if wait and self._thread is not None:
            gen = self._mode_gen
            self._lock.wait_for(lambda: self._ack_gen >= gen or self._thread is None, 1.0)

    # -- writer thread --------------------------------------------------------------------
    def _writer_loop(self) -> None:
        while True:
            with self._lock:
                if self._quit:
                    return
                self._lock.wait(self._poll_s if self._mode != "idle" else 0.25)
                if self._quit:
                    return
                failure = None
                try:
                    self._drain_locked()
                    if self._sink is not None:
                        self._sink.tick(**self._counts())
                except DiskFullError:
                    failure = (self._disk_full_message(), DiskFullError)
                except OSError as exc:
                    failure = (f"Writing the take failed ({exc.strerror or exc})", AudioFileError)
                if failure is None:
                    self._output_health_locked()
                    lost = self._device_failure_locked()
                    failure = None if lost is None else (lost, AudioDeviceError)
                self._ack_gen = self._mode_gen
                self._lock.notify_all()
                event = None
                if failure is not None:
                    self._fail_locked(*failure)
                    event = "error"
                elif self._sink is not None and self._room(1) == 0:
                    self._close_stream_locked()  # duration_s reached
                    self._drain_and_finish_locked(state="complete", error=None)
                    self._state = event = "stopped"
            if event is not None:
                self._emit(event)

    def _counts(self) -> dict[str, Any]:
        return {
            "overflows": self.overflows,
            "input_overflows": self._input_overflows - self._inov_start,
            "dropped_frames": self._dropped_in_take,
            "gaps": list(self._gaps),
        }

    def _drain_locked(self) -> None:
        """Move what the callback captured through gain, meters, history and file."""
        ring = self._ring
        end = ring.written  # read before gap_n: every gap below `end` is then visible
        gap_n = ring.gap_n
        while True:
            gp = int(ring.gap_pos[self._gi]) if self._gi < gap_n else None
            if gp is not None and gp <= ring.read:
                self._process_silence(int(ring.gap_len[self._gi]))
                self._gi += 1
                continue
            limit = end if gp is None else min(end, gp)
            n = limit - ring.read
            if n <= 0:
                return
            pos = ring.read
            got = ring.pop_into(self._scratch, n)
            x = self._scratch[:got]
            first = pos + ring.dropped_frames  # input frame index of x[0]
            if self._start_out is not None and self._mode == "recording":
                skip = self._frames_before_start(first, got)  # count-in: metered, not written
                if skip:
                    self._meter_only(x[:skip])
                    x, first = x[skip:], first + skip
            if self.take_start_adc_time is None and self._mode == "recording" and x.shape[0]:
                self.take_start_adc_time = self._adc_time + (first - self._adc_frame) / self.sr
            self._process(x)

    def _room(self, n: int) -> int:
        """How many of ``n`` frames the take still accepts (``duration_s`` limit)."""
        if self._max_frames is None or self._sink is None:
            return n
        return max(0, min(n, self._max_frames - self._sink.frames))

    def _meter_only(self, x: np.ndarray) -> None:
        if self._gain != 1.0:
            np.multiply(x, self._gain, out=x)
        self._meters.update(x)

    def _process(self, x: np.ndarray) -> None:
        if self._mode == "idle" or x.shape[0] == 0:
            return
        if self._gain != 1.0:
            np.multiply(x, self._gain, out=x)
        self._meters.update(x)
        if self._mode == "recording" and self._sink is not None:
            x = x[: self._room(x.shape[0])]
            self._history.push(x)
            self._sink.write(x)
            tap = self.tap
            if tap is not None:
                tap.push(x)  # a listener that falls behind loses audio, the take never does

    def _process_silence(self, n: int) -> None:
        self._meters.skip(n)
        if self._mode != "recording" or self._sink is None:
            return
        n = self._room(n)
        self._gaps.append((self._sink.frames, n))
        self._dropped_in_take += n
        while n > 0:
            k = min(n, self._zeros.shape[0])
            self._history.push(self._zeros[:k])
            self._sink.write(self._zeros[:k])
            if self.tap is not None:
                self.tap.push(self._zeros[:k])
            n -= k

    def _device_failure_locked(self) -> str | None:
        if self._stream is None or self._mode == "idle":
            return None
        if self._cb_done and not self._closing:
            return (f"The input \u201c{self.device_name}\u201d stopped unexpectedly "
                    "(was it unplugged or taken by another program?)")
        count, since = self._watch
        now = time.monotonic()
        if self._cb_count != count:
            self._watch = (self._cb_count, now)
        elif now - since > self.stall_timeout_s:
            return (f"The input \u201c{self.device_name}\u201d delivered no sound for "
                    f"{self.stall_timeout_s:g} seconds (was it unplugged, suspended or "
                    "taken by another program?)")
        return None

    def _disk_full_message(self) -> str:
        where = self._sink.take.path if self._sink is not None else self.directory
        return f"The disk is full ({where.parent if where.suffix else where})"

    def _fail_locked(self, reason: str, kind: type[ResonoteError]) -> None:
        """Stop the take because of ``reason``, keeping everything captured."""
        self._close_stream_locked()
        sink = self._sink
        if sink is not None:
            path = sink.take.path
            saved = _clock(sink.frames, self.sr)
            message = (f"{reason}. Recording stopped; everything up to {saved} is saved "
                       f"in {path.name}.")
        else:
            message = f"{reason}."
        self._drain_and_finish_locked(state="error", error=message)
        self.last_error = kind(message)
        self._state = "error"

    def _drain_and_finish_locked(self, *, state: str, error: str | None) -> None:
        sink = self._sink
        if sink is not None:
            try:
                self._drain_locked()
            except OSError as exc:  # disk full during the last drain: keep what fits
                if state == "complete":
                    state = "error"
                    error = (f"The disk is full: the last moments of the take could not be "
                             f"saved ({exc}).")
                    self.last_error = DiskFullError(error, path=str(sink.take.path))
            counts = self._counts()
            self._sink = None
            self.take = sink.finish(state=state, error=error, **counts)
        self._set_mode_locked("idle")
