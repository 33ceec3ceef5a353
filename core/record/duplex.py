"""The output side of :class:`core.record.Recorder`: monitoring, clicks, a backing track.

Split from recorder.py.  When the recorder is made with ``playout=True`` (or
``monitor=True``) an output is opened with the input:

* ``duplex=True``: one *full-duplex* stream where the input and output device
  allow it (one callback captures the input block and renders the output
  block, so output frame ``n`` and input frame ``n`` are locked together, and
  monitoring has the least delay);
* otherwise (the default, and when duplex is refused) the input stream is
  exactly the input-only one and a separate output stream is fed from a
  second ring buffer.  Monitoring switched on later opens that output
  without touching the input stream.

Separate streams are the default because a duplex stream ties the take to
the output: on PulseAudio's ALSA plugin a duplex stream opened soon after
another was seen to fail its input poll (``ContinuePoll``), which stops the
take; with separate streams an output failure only ends monitoring.

The output can never stop or damage the take: :meth:`Playout.render` never
raises, a separate output stream that fails is only reported
(:attr:`output_problem`), and the input half of the duplex callback runs
first, exactly as in the input-only callback.

Scheduled starts (count-in, backing track) are placed in output frames.  The
take's first input frame is the one that holds what a musician played along
with the start frame:

* full duplex: input and output frames are locked, so it is the start frame
  plus the measured round trip (:func:`core.record.latency.measure_latency`,
  ``round_trip_s``; without a measurement, the latency PortAudio reports).
  Not the timestamps: those of a freshly started duplex stream are 20 ms short
  on PulseAudio's ALSA plugin (measured).  PulseAudio also grows its buffering
  after underruns, per stream and while it runs (output-to-input timestamps
  33 ms for the first 0.2 s, then 43-50 ms; measured round trips 34-53 ms on
  one null sink), so on that host a duplex take can be off by 10-20 ms — one
  more reason duplex is opt-in;
* separate streams: from PortAudio's capture (ADC) and playback (DAC)
  timestamps, the input frame captured when the start frame was heard, plus
  the measured latency the driver does not report (``extra_s``).

A manual ``offset_s`` is added in both cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import AudioDeviceError
from core.record.playout import Playout


class OutputMixin:
    """Output half of :class:`~core.record.Recorder` (see the module docstring)."""

    def _init_output(self, *, playout: bool, output_device: int | str | None, monitor: bool,
                     monitor_gain_db: float, duplex: bool) -> None:
        self._playout_wanted = bool(playout or monitor)
        self._duplex_wanted = bool(duplex)
        self._output_arg = output_device
        self.playout: Playout | None = None
        self._out_stream: Any = None
        self._mon_ring = None  # the playout's ring while a separate output stream runs
        self.duplex = False
        self.output_name: str | None = None
        #: Why the output side is not available ("" when it is, or was never asked for).
        self.output_problem = ""
        self._monitor = bool(monitor)
        self._monitor_gain = 10 ** (float(monitor_gain_db) / 20)
        self._dac_time = 0.0
        self._dac_frame = 0
        self._out_done = False
        self._start_out: int | None = None  # output frame where a scheduled take starts
        self._start_in: int | None = None  # its input frame, once the timestamps tell
        self._start_latency: Any = None
        self._start_offset_s = 0.0

    # -- public ------------------------------------------------------------------------
    @property
    def monitor(self) -> bool:
        """Whether the input is heard on the output (switch any time: :meth:`set_monitor`)."""
        return self._monitor

    def set_monitor(self, on: bool, *, gain_db: float | None = None) -> bool:
        """Hear the input on the output (or stop).  Returns whether monitoring is possible.

        With the input open and no output yet, a separate output stream is opened
        now; the input stream (and the take) is not touched.  A failure is kept in
        :attr:`output_problem`.
        """
        with self._lock:
            self._monitor = bool(on)
            if on:
                self._playout_wanted = True  # re-opened with the input after a stop
            if gain_db is not None:
                self._monitor_gain = 10 ** (float(gain_db) / 20)
            if self.playout is None and on and self._stream is not None:
                try:
                    self._open_separate_output_locked()
                except AudioDeviceError as exc:
                    self.output_problem = str(exc)
                    return False
            if self.playout is not None:
                self.playout.monitor_gain = self._monitor_gain
                self.playout.monitor = self._monitor
            return self.playout is not None or not on

    @property
    def counting_in(self) -> bool:
        """A take was started with a count-in (or a backing track) and has not begun yet."""
        return self._start_out is not None

    def output_clock(self) -> tuple[int, float]:
        """``(output frame, DAC time)`` of the last output block (0, 0.0 without output)."""
        return self._dac_frame, self._dac_time

    # -- opening and closing (lock held) -----------------------------------------------------
    def _resolve_output_locked(self) -> Any:
        from core.playback.devices import resolve_output

        arg = self._output_arg
        if arg is None:
            try:  # the input's own device, when it can play (full duplex)
                return resolve_output(self._device_index)
            except AudioDeviceError:
                arg = None
        return resolve_output(arg)

    def _new_playout(self, out_channels: int) -> Playout:
        pl = Playout(self.sr, self.channels, out_channels, self.blocksize)
        pl.monitor = self._monitor
        pl.monitor_gain = self._monitor_gain
        return pl

    def _open_duplex_locked(self) -> bool:
        """Try one full-duplex stream; False (nothing open) if the devices do not allow it."""
        try:
            out = self._resolve_output_locked()
        except AudioDeviceError as exc:
            self.output_problem = str(exc)
            return False
        out_ch = min(2, out.channels)
        playout = self._new_playout(out_ch)
        self.playout = playout
        try:
            stream = self._sd.Stream(
                device=(self._device_index, out.index), samplerate=self.sr,
                channels=(self.channels, out_ch), dtype="float32", blocksize=self.blocksize,
                latency=self.latency, callback=self._duplex_callback,
                finished_callback=self._finished)
            self._stream = stream
            stream.start()
        except Exception as exc:
            self.output_problem = f"Full-duplex audio is not possible here ({exc})."
            stream, self._stream = self._stream, None
            if stream is not None:
                stream.close(ignore_errors=True)
            self.playout = None
            return False
        self.duplex, self.output_name, self.output_problem = True, out.name, ""
        return True

    def _open_separate_output_locked(self) -> None:
        """An output stream of its own, fed with the monitor from a ring (input already open)."""
        try:
            out = self._resolve_output_locked()
            out_ch = min(2, out.channels)
            playout = self._new_playout(out_ch)
            stream = self._sd.OutputStream(
                device=out.index, samplerate=self.sr, channels=out_ch, dtype="float32",
                blocksize=self.blocksize, latency=self.latency, callback=self._out_callback,
                finished_callback=self._out_finished)
        except AudioDeviceError:
            raise
        except Exception as exc:
            raise AudioDeviceError(f"The output cannot play the monitored input ({exc}).") from exc
        self.playout = playout
        self._out_done = False
        try:
            stream.start()
        except Exception as exc:
            stream.close(ignore_errors=True)
            self.playout = None
            raise AudioDeviceError(f"The output cannot play the monitored input ({exc}).") from exc
        self._out_stream = stream
        self._mon_ring = playout.ring
        self.duplex, self.output_name, self.output_problem = False, out.name, ""

    def _open_with_output_locked(self) -> None:
        """Open the input with an output side: duplex if asked and possible, else input +
        separate output."""
        if self._duplex_wanted and self._open_duplex_locked():
            return
        self._open_input_only_locked()
        reason = self.output_problem
        try:
            self._open_separate_output_locked()
        except AudioDeviceError as exc:
            self.output_problem = f"{reason} {exc}".strip()

    def _close_output_locked(self) -> None:
        self._mon_ring = None
        stream, self._out_stream = self._out_stream, None
        if stream is not None:
            try:
                stream.abort(ignore_errors=True)
            finally:
                stream.close(ignore_errors=True)
        self.playout = None
        self.duplex = False
        self._start_out = self._start_in = None

    # -- scheduled starts (count-in, backing) --------------------------------------------------
    def _schedule_locked(self, *, count_in: int, tempo_bpm: float, beats_per_bar: int,
                         metronome: bool, backing: np.ndarray | None, latency: Any,
                         offset_s: float, click_gain_db: float) -> None:
        pl = self.playout
        if pl is None:
            raise AudioDeviceError(
                "No audio output is open for the count-in, metronome or backing track"
                + (f": {self.output_problem}" if self.output_problem else "."))
        lead = 2 * self.blocksize + round(0.05 * self.sr)  # past what the callback may be rendering
        beat = 60.0 * self.sr / tempo_bpm
        start = pl.frame + lead + round(max(0, count_in) * beat)
        pl.schedule_clicks(start, tempo_bpm=tempo_bpm, count_in=count_in,
                           beats_per_bar=beats_per_bar, metronome=metronome,
                           click_gain_db=click_gain_db)
        pl.set_backing(backing, start)
        self._start_out, self._start_in = start, None
        self._start_latency, self._start_offset_s = latency, float(offset_s)

    def _frames_before_start(self, first: int, n: int) -> int:
        """How many of the ``n`` input frames from input frame ``first`` come before the
        scheduled start (writer thread).  All of them while the start is not placed yet."""
        if self._start_out is None:
            return 0
        if self._start_in is None:
            if self._cb_count == 0 or self.playout is None or self.playout.frame == 0:
                return n
            lat = self._start_latency
            if self.duplex or self._dac_time <= 0.0 or self._adc_time <= 0.0:
                # frames locked (or no timestamps from this host API): the round trip
                rt = lat.round_trip_s if lat is not None else self._reported_round_trip()
                self._start_in = self._start_out + round((rt + self._start_offset_s) * self.sr)
            else:
                heard = self._dac_time + (self._start_out - self._dac_frame) / self.sr
                at = heard + (lat.extra_s if lat is not None else 0.0) + self._start_offset_s
                self._start_in = self._adc_frame + round((at - self._adc_time) * self.sr)
        skip = max(0, min(n, self._start_in - first))
        if skip < n:
            self._start_out = None  # the take begins inside this block
        return skip

    def _reported_round_trip(self) -> float:
        try:
            lat = self._stream.latency
            return float(sum(lat)) if isinstance(lat, tuple) else float(lat)
        except Exception:
            return 0.0

    # -- realtime callbacks (PortAudio's thread: no locks, no allocation, no I/O) --------------
    def _duplex_callback(self, indata: np.ndarray, outdata: np.ndarray, frames: int,
                         time_info: Any, status: Any) -> None:
        self._callback(indata, frames, time_info, status)
        pl = self.playout
        if pl is None:
            outdata.fill(0.0)
            return
        self._dac_frame = pl.frame
        self._dac_time = time_info.outputBufferDacTime
        pl.render(outdata, frames, indata, self._gain)

    def _out_callback(self, outdata: np.ndarray, frames: int, time_info: Any,
                      status: Any) -> None:
        pl = self.playout
        if pl is None:
            outdata.fill(0.0)
            return
        self._dac_frame = pl.frame
        self._dac_time = time_info.outputBufferDacTime
        pl.render(outdata, frames, None, self._gain)

    def _out_finished(self) -> None:
        self._out_done = True

    def _output_health_locked(self) -> None:
        """A separate output that died is reported, never passed on to the take."""
        if self._out_stream is not None and self._out_done and not self._closing:
            self.output_problem = (f"The output \u201c{self.output_name}\u201d stopped; "
                                   "monitoring is off. The recording goes on.")
            stream, self._out_stream = self._out_stream, None
            self._mon_ring = None
            self.playout = None
            try:
                stream.close(ignore_errors=True)
            except Exception:
                pass
