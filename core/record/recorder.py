"""Recording takes from an audio input through PortAudio.

Threads
-------
* The caller (GUI thread, CLI) arms, starts, pauses, resumes and stops.
* PortAudio's input callback only copies each block into a preallocated
  :class:`~core.record.ringbuffer.FrameRing` and counts overflows: no lock,
  no array allocation, no file I/O.
* One writer thread wakes every few milliseconds, drains the ring, applies
  the gain trim, updates the meters and the display history, streams the
  take to disk (:class:`~core.record.writer.TakeSink`) and watches the device.

A full disk or a lost device stops the take cleanly from the writer thread:
everything captured so far stays in a valid file, the sidecar says
``"error"`` and why, and ``on_state("error")`` is reported.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import AudioDeviceError, InvalidParameterError, ResonoteError
from core.record.capture import CaptureMixin
from core.record.devices import resolve_input, sounddevice_module
from core.record.duplex import OutputMixin
from core.record.meters import Meters, MeterState
from core.record.ringbuffer import FrameRing
from core.record.takes import (
    Take,
    default_takes_dir,
    new_take_path,
    process_start_time,
    sidecar_path,
)
from core.record.wavfile import SUBTYPES
from core.record.writer import History, TakeSink, WriterFactory

#: Recorder states passed to ``on_state``.
STATES = ("idle", "armed", "recording", "paused", "stopped", "error")


class Recorder(CaptureMixin, OutputMixin):
    """Records takes from one audio input.

    Parameters
    ----------
    device : int, str or None
        PortAudio input index, name (or unique part of it), or None for the default input.
    sr : int
        Sample rate, Hz.
    channels : int
        Channels to record (at most what the device has).
    gain_db : float
        Input gain trim in dB, applied before metering and writing (settable live).
    directory : Path or None
        Folder for takes (``take-YYYYmmdd-HHMMSS.wav``); None: :func:`default_takes_dir`.
    path : Path or None
        Record the next take to exactly this file instead (must not exist).
    format : {"wav", "flac"}
        File format.  WAV becomes RF64 past 4 GiB; FLAC is written block by
        block (lossless, about half the size; float is stored as 24-bit).
    subtype : {"FLOAT", "PCM_24", "PCM_16"}
        Sample format of the file (float keeps overs above 0 dBFS).
    playout : bool
        Open an output side with the input (full duplex where possible): needed
        for a count-in, metronome or backing track (:meth:`start`); monitoring
        (:meth:`set_monitor`) opens one by itself when switched on.
    output_device : int, str or None
        Output for monitoring, clicks and backing; None: the input's own device
        when it can play, else the system's default output.
    monitor, monitor_gain_db : bool, float
        Hear the input (after the gain trim) on the output, at this level (dB).
    duplex : bool
        Run input and output as one full-duplex stream where the devices allow
        (frame-locked, least monitoring delay); default: separate streams, so
        the output can never stop the take (see :mod:`core.record.duplex`).
    blocksize : int
        Frames per audio callback.
    latency : str or float
        PortAudio input latency (``"low"``, ``"high"`` or seconds).
    ring_s : float
        Ring buffer length, seconds: how long the writer may fall behind
        (e.g. a slow disk) before input is dropped.
    history_s : float
        Seconds kept for :meth:`latest`.
    stall_timeout_s : float
        A device that delivers nothing for this long is treated as lost.
    on_state : callable(str) or None
        Called with each new state (:data:`STATES`); ``"error"`` comes from the
        writer thread, the others from the caller's thread.
    writer_factory : callable or None
        ``factory(path, sr=, channels=, subtype=)`` making the file writer
        (default :class:`~core.record.wavfile.WavWriter`).

    Raises
    ------
    AudioDeviceError
        No input exists, the device is unknown, or it refuses the settings.
    InvalidParameterError
        A parameter is out of range.
    """

    def __init__(
        self,
        *,
        device: int | str | None = None,
        sr: int = 48000,
        channels: int = 2,
        gain_db: float = 0.0,
        directory: Path | None = None,
        path: Path | None = None,
        format: str = "wav",
        subtype: str = "FLOAT",
        blocksize: int = 512,
        latency: str | float = "low",
        ring_s: float = 2.0,
        history_s: float = 10.0,
        stall_timeout_s: float = 2.0,
        on_state: Callable[[str], None] | None = None,
        writer_factory: WriterFactory | None = None,
        playout: bool = False,
        output_device: int | str | None = None,
        monitor: bool = False,
        monitor_gain_db: float = 0.0,
        duplex: bool = False,
    ) -> None:
        if format not in ("wav", "flac"):
            raise InvalidParameterError(f"Takes are recorded as WAV or FLAC; not {format!r}.")
        if subtype not in SUBTYPES:
            raise InvalidParameterError(f"Sample format must be one of {', '.join(SUBTYPES)}.")
        if not 8000 <= int(sr) <= 384000:
            raise InvalidParameterError(f"Sample rate must be 8000–384000 Hz; got {sr}.")
        if not 1 <= int(channels) <= 64:
            raise InvalidParameterError(f"Channels must be 1–64; got {channels}.")
        if not 32 <= int(blocksize) <= 16384:
            raise InvalidParameterError(f"Block size must be 32–16384 frames; got {blocksize}.")
        self._sd = sounddevice_module()
        dev = resolve_input(device)
        self.device_name: str = dev.name
        self._device_index = dev.index
        self.sr, self.channels, self.blocksize = int(sr), int(channels), int(blocksize)
        if self.channels > dev.channels:
            raise AudioDeviceError(
                f"The input \u201c{dev.name}\u201d has {dev.channels} channel(s); "
                f"{self.channels} were asked for."
            )
        try:
            self._sd.check_input_settings(device=dev.index, channels=self.channels,
                                          dtype="float32", samplerate=self.sr)
        except Exception as exc:
            raise AudioDeviceError(
                f"The input \u201c{dev.name}\u201d cannot record {self.channels}-channel audio "
                f"at {self.sr} Hz ({exc})."
            ) from exc
        self.directory = Path(directory) if directory is not None else default_takes_dir()
        self.path = Path(path) if path is not None else None
        self.format = format
        self.subtype = subtype if format == "wav" or subtype != "FLOAT" else "PCM_24"
        if format == "flac" and self.channels > 8:
            raise InvalidParameterError("FLAC takes can have at most 8 channels; use WAV.")
        if writer_factory is None and format == "flac":
            from core.record.flacfile import FlacWriter

            writer_factory = FlacWriter
        self.latency = latency
        self.stall_timeout_s = float(stall_timeout_s)
        self.on_state = on_state
        self._writer_factory = writer_factory
        self.gain_db = float(gain_db)

        ring_frames = max(4 * self.blocksize, round(ring_s * self.sr))
        self._ring = FrameRing(ring_frames, self.channels)
        self._scratch = np.zeros((ring_frames, self.channels), dtype=np.float32)
        self._zeros = np.zeros((self.blocksize, self.channels), dtype=np.float32)
        self._history = History(max(1, round(history_s * self.sr)), self.channels)
        self._meters = MeterState(self.channels, self.sr)
        self._poll_s = min(0.005, 0.5 * self.blocksize / self.sr)

        self._lock = threading.Condition(threading.RLock())
        self._state = "idle"
        self._mode = "idle"  # what the writer does with input: idle/armed/recording/paused
        self._mode_gen = 0
        self._ack_gen = 0
        self._stream: Any = None
        self._sink: TakeSink | None = None
        self._thread: threading.Thread | None = None
        self._quit = False
        self._gi = 0  # ring gaps handled
        self._gaps: list[tuple[int, int]] = []  # (take frame, frames) of silence put in
        self._dropped_in_take = 0
        self._max_frames: int | None = None
        self._inov_start = 0  # counters when the take started
        self._drop_start = 0
        self.take: Take | None = None
        #: PortAudio time (see :meth:`input_clock`) when the take's first frame was captured.
        self.take_start_adc_time: float | None = None
        self.last_error: ResonoteError | None = None
        # written by the callback only
        self._cb_count = 0
        self._cb_frames = 0
        self._input_overflows = 0
        self._adc_time = 0.0
        self._adc_frame = 0
        self._cb_done = False
        self._closing = False
        #: A :class:`~core.record.ringbuffer.FrameRing` that also gets every frame written
        #: to the take (from the writer thread), e.g. for live transcription; or None.
        self.tap: FrameRing | None = None
        self._init_output(playout=playout, output_device=output_device, monitor=monitor,
                          monitor_gain_db=monitor_gain_db, duplex=duplex)

    # -- properties ---------------------------------------------------------------
    @property
    def state(self) -> str:
        """One of :data:`STATES`."""
        return self._state

    @property
    def gain_db(self) -> float:
        """Input gain trim in dB (takes effect within a few milliseconds)."""
        return self._gain_db

    @gain_db.setter
    def gain_db(self, value: float) -> None:
        value = float(value)
        if not -60.0 <= value <= 40.0:
            raise InvalidParameterError(f"Input gain must be −60…+40 dB; got {value:g} dB.")
        self._gain_db = value
        self._gain = 10 ** (value / 20)

    @property
    def overflows(self) -> int:
        """Dropped input buffers in this take (device overflows + writer drops)."""
        return (self._input_overflows - self._inov_start
                + self._ring.dropped_blocks - self._drop_start)

    @property
    def elapsed_s(self) -> float:
        """Seconds recorded in the current (or last) take, pauses excluded."""
        sink = self._sink
        if sink is not None:
            return sink.frames / self.sr
        return self.take.duration_s if self.take is not None else 0.0

    @property
    def free_disk_bytes(self) -> int:
        """Free space where the take is written, bytes."""
        where = self.path.parent if self.path is not None else self.directory
        while not where.exists() and where != where.parent:
            where = where.parent
        return int(shutil.disk_usage(where).free)

    @property
    def input_latency_s(self) -> float:
        """The input stream's latency as PortAudio reports it (0 while closed)."""
        s = self._stream
        return float(s.latency) if s is not None else 0.0

    def input_clock(self) -> tuple[int, float, float]:
        """``(frame, adc_time, now)``: an input frame index, the PortAudio time it was
        captured, and PortAudio's time now — to place input frames in time (latency)."""
        s = self._stream
        now = float(s.time) if s is not None else 0.0
        return self._adc_frame, self._adc_time, now

    def meters(self) -> Meters:
        """Current meter readings (thread-safe snapshot)."""
        return self._meters.snapshot()

    def reset_clip(self) -> None:
        """Clear the clip indicators and the peak-hold."""
        self._meters.reset_clip()

    def latest(self, n_frames: int) -> np.ndarray:
        """The last recorded audio for live views: (channels, m) float32, gain applied.

        ``m = min(n_frames, frames recorded in this take, history_s * sr)``.
        """
        return self._history.latest(n_frames)

    # -- transport -----------------------------------------------------------------
    def arm(self) -> None:
        """Open the input: the meters move, nothing is written.

        Raises
        ------
        AudioDeviceError
            The input could not be opened.
        """
        with self._lock:
            if self._stream is not None:
                return
            self._open_stream_locked()
            self._set_mode_locked("armed")
            self._state = "armed"
        self._emit("armed")

    def start(self, *, duration_s: float | None = None, count_in: int = 0,
              tempo_bpm: float = 120.0, beats_per_bar: int = 4, metronome: bool = False,
              backing: np.ndarray | None = None, latency: Any = None,
              offset_s: float = 0.0, click_gain_db: float = -6.0) -> Take:
        """Start a new take (arming first if needed); return it (still growing).

        Parameters
        ----------
        duration_s : float or None
            Stop by itself after exactly this much audio (state ``"stopped"``,
            reported from the writer thread); None records until :meth:`stop`.
        count_in : int
            Click this many beats on the output before the take begins.
        tempo_bpm, beats_per_bar : float, int
            Click tempo; the first beat of each bar is accented.
        metronome : bool
            Keep clicking on every beat while recording.
        backing : np.ndarray or None
            (channels, frames) float32 at :attr:`sr`, played from the take's first
            frame; the take is lined up with it (see ``latency_s``).
        latency : LatencyMeasurement or None
            From :func:`core.record.latency.measure_latency`: a scheduled take
            (count-in, backing) begins with the input that holds what was played
            along with its first frame (see :mod:`core.record.duplex`).
        offset_s : float
            Manual latency compensation added to that, seconds.
            Count-in, metronome and backing need ``playout=True``.

        Raises
        ------
        AudioDeviceError
            The input could not be opened.
        AudioFileError
            The take file could not be created (exists, no permission, no space).
        """
        with self._lock:
            if self._state in ("recording", "paused"):
                raise InvalidParameterError("Already recording; stop this take first.")
            if self._stream is None:
                self._open_stream_locked()
            if count_in or metronome or backing is not None:
                self._schedule_locked(count_in=count_in, tempo_bpm=tempo_bpm,
                                      beats_per_bar=beats_per_bar, metronome=metronome,
                                      backing=backing, latency=latency, offset_s=offset_s,
                                      click_gain_db=click_gain_db)
            target = self.path
            self.path = None  # an explicit path is used once
            if target is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                target = new_take_path(self.directory, ext="." + self.format)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
            take = Take(
                path=target, metadata_path=sidecar_path(target), sr=self.sr, channels=self.channels,
                device_name=self.device_name, gain_db=self.gain_db, subtype=self.subtype,
                started_at=datetime.now().astimezone(), pid_started=process_start_time(os.getpid()),
            )
            try:
                self._sink = TakeSink.create(take, factory=self._writer_factory)
            except Exception:
                if self._state in ("idle", "stopped", "error"):
                    self._close_stream_locked()
                raise
            self.take = take
            self.last_error = None
            self._gaps = []
            self._dropped_in_take = 0
            self._inov_start = self._input_overflows
            self._drop_start = self._ring.dropped_blocks
            self._history.clear()
            self._meters.reset_clip()
            self.take_start_adc_time = None
            self._max_frames = None if duration_s is None else max(1, round(duration_s * self.sr))
            self._set_mode_locked("recording")
            self._state = "recording"
        self._emit("recording")
        return take

    def pause(self) -> None:
        """Stop writing (input still metered); :meth:`resume` continues the same take."""
        with self._lock:
            if self._state != "recording":
                return
            self._set_mode_locked("paused", wait=True)
            self._state = "paused"
        self._emit("paused")

    def resume(self) -> None:
        """Continue a paused take."""
        with self._lock:
            if self._state != "paused":
                return
            self._set_mode_locked("recording", wait=True)
            self._state = "recording"
        self._emit("recording")

    def stop(self) -> Take | None:
        """Stop: finish the take (valid file, final sidecar) and close the input.

        Returns
        -------
        Take or None
            The take just finished (also after a failure stopped it: see
            ``take.state``/``take.error``), or None if nothing was recorded.
        """
        with self._lock:
            was = self._state
            self._close_stream_locked()  # input is complete: the writer drains what is left
            self._drain_and_finish_locked(state="complete", error=None)
            if was in ("recording", "paused", "armed"):
                self._state = "stopped"
            take = self.take if was != "armed" else None
        if was in ("recording", "paused", "armed"):
            self._emit("stopped")
        return take

    def close(self) -> None:
        """Stop (if needed) and end the writer thread."""
        self.stop()
        with self._lock:
            self._quit = True
            self._lock.notify_all()
            t, self._thread = self._thread, None
        if t is not None:
            t.join(timeout=5.0)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------
    def _open_stream_locked(self) -> None:
        self._ring.discard()
        self._gi = self._ring.gap_n
        self._cb_done = self._closing = False
        self._watch = (self._cb_count, time.monotonic())
        if self._playout_wanted:
            self._open_with_output_locked()
        else:
            self._open_input_only_locked()
        if self._thread is None:
            self._quit = False
            self._thread = threading.Thread(target=self._writer_loop, name="resonote-record",
                                            daemon=True)
            self._thread.start()

    def _open_input_only_locked(self) -> None:
        try:
            stream = self._sd.InputStream(
                device=self._device_index, samplerate=self.sr, channels=self.channels,
                dtype="float32", blocksize=self.blocksize, latency=self.latency,
                callback=self._callback, finished_callback=self._finished,
            )
            self._stream = stream
            stream.start()
        except Exception as exc:
            self._close_stream_locked()
            raise AudioDeviceError(
                f"Could not start recording from \u201c{self.device_name}\u201d: {exc}. "
                "Check that the input is connected, or choose another one."
            ) from exc

    def _close_stream_locked(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            self._closing = True
            try:
                stream.abort(ignore_errors=True)
            finally:
                stream.close(ignore_errors=True)
        self._close_output_locked()

    # -- the realtime callback (PortAudio's thread: no locks, no allocation, no I/O) -------
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self._input_overflows += 1
        self._ring.push(indata)
        mon = self._mon_ring
        if mon is not None:
            mon.push(indata)  # for a separate output stream; full: dropped, never waited for
        self._adc_time = time_info.inputBufferAdcTime
        self._adc_frame = self._cb_frames
        self._cb_frames += frames
        self._cb_count += 1

    def _finished(self) -> None:
        self._cb_done = True
