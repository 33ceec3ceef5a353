"""Real-time playback of a multitrack mix through PortAudio.

Threads
-------
* The caller (the GUI thread) changes sources, mix, loop, position.
* A feeder thread mixes blocks ahead of time into a preallocated ring of
  blocks (about 150 ms) and watches the stream for its end or failure.
* PortAudio's callback only copies the next ready block to the device (times
  the master volume) and notes which timeline frame it was; it takes no lock
  and allocates no arrays.  When the ring runs dry it plays silence.

Changes to the mix, loop, A/B choice, speed or position throw away the blocks
that are not yet being played and re-mix from the same timeline frame, so they
are heard within two blocks plus the device latency (< 100 ms with the default
1024-frame blocks at 44.1 kHz), and an A/B switch is gapless.

Speed (0.5-2x, pitch kept) is applied by the feeder between the mixer and the
ring (:mod:`core.playback.feed`, :mod:`core.playback.stretch`); positions,
loops and seeks stay in source time.  Modules: :mod:`~core.playback.mixcontrols`
(sources, mix, A/B, loop, speed), :mod:`~core.playback.ring` (the queued
blocks, the realtime callback, the heard position), this one (transport,
device stream, feeder thread).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from core.errors import AudioDeviceError, InvalidParameterError
from core.playback.devices import resolve_output, sounddevice_module
from core.playback.feed import Feed
from core.playback.mixcontrols import MixControls
from core.playback.mixer import Mixer
from core.playback.ring import BlockRing

#: Playback states passed to ``on_state``.
STATES = ("playing", "paused", "stopped", "finished", "error")

_LEAD_S = 0.15  # audio mixed ahead of the device
_KEEP = 2  # blocks past the read index never rewritten (one may be mid-copy)


class Player(MixControls):
    """Plays a set of tracks on one audio output.

    Parameters
    ----------
    device : int, str or None
        PortAudio device index, name (or unique part of it), or None for the
        system default output.
    sr : int or None
        Output sample rate in Hz; None uses the device's preferred rate.
    blocksize : int
        Frames per audio callback.
    on_state : callable(str) or None
        Called with each new state (see :data:`STATES`).  ``"finished"`` and
        ``"error"`` are reported from a background thread; the other states
        from the thread that called play/pause/stop.  After ``"error"`` the
        message is in :attr:`last_error`.
    stall_timeout_s : float
        While playing, a device that asks for no sound for this long is
        treated as failed (state ``"error"``).

    Raises
    ------
    AudioDeviceError
        No output exists, the device is unknown, or it refuses the format.

    Notes
    -----
    :meth:`stop` returns the playhead to where the last :meth:`play` from a
    stopped state began (like Audacity); stopping again returns it to 0.  The
    end of the material does the same as :meth:`stop` and reports
    ``"finished"``.  Playback uses an output-only stream.

    :meth:`set_rate` plays at 0.5-2x speed with the pitch kept; every position
    (:attr:`position_s`, :meth:`seek`, :meth:`set_loop`, :attr:`duration_s`)
    is in source seconds, so a playhead drawn from it stays on the material.
    """

    def __init__(
        self,
        *,
        device: int | str | None = None,
        sr: int | None = None,
        blocksize: int = 1024,
        on_state: Callable[[str], None] | None = None,
        stall_timeout_s: float = 3.0,
    ) -> None:
        if blocksize < 64:
            raise InvalidParameterError(f"Block size must be at least 64 frames; got {blocksize}.")
        self._sd = sounddevice_module()
        dev = resolve_output(device)
        self.device_name: str = dev.name
        self._device_index = dev.index
        self.output_sr: int = int(sr) if sr else int(round(dev.default_sr))
        self.channels: int = min(2, dev.channels)
        self.blocksize = int(blocksize)
        try:
            self._sd.check_output_settings(
                device=dev.index, channels=self.channels, dtype="float32", samplerate=self.output_sr
            )
        except Exception as exc:
            raise AudioDeviceError(
                f"The audio output \u201c{dev.name}\u201d cannot play {self.channels}-channel "
                f"audio at {self.output_sr} Hz ({exc})."
            ) from exc
        self.on_state = on_state
        self.stall_timeout_s = float(stall_timeout_s)
        self.last_error: AudioDeviceError | None = None

        self._mixer = Mixer(sr=self.output_sr, channels=self.channels, blocksize=self.blocksize)
        lead = max(2, math.ceil(_LEAD_S * self.output_sr / self.blocksize))
        self._lead = lead
        n = lead + _KEEP + 2
        self._ring = BlockRing(
            n=n, blocksize=self.blocksize, channels=self.channels, stop_exception=self._sd.CallbackStop
        )
        self._scratch = np.zeros((self.channels, self.blocksize), dtype=np.float32)

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._state = "stopped"
        self._pos = 0  # timeline frame while not playing
        self._play_start = 0
        self._feed = Feed(self._mixer, history_blocks=n)
        self._feed_ended = False
        self._feed_tail = 1
        self._gen = 0
        self._gen_start = 0
        self._stream: Any = None
        self._closed = False
        self._watch = (0, time.monotonic())
        self._thread = threading.Thread(target=self._feeder, name="resonote-playback", daemon=True)
        self._thread.start()

    # -- properties --------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def playing(self) -> bool:
        return self._state == "playing"

    @property
    def volume(self) -> float:
        """Master volume, linear 0..1 (applied in the callback: immediate)."""
        return self._ring.volume

    @volume.setter
    def volume(self, v: float) -> None:
        self._ring.volume = float(min(1.0, max(0.0, v)))

    @property
    def underruns(self) -> int:
        """Blocks the device asked for before they were ready (since the player was made)."""
        return self._ring.underruns

    @property
    def duration_s(self) -> float:
        """End of the last source on the timeline, seconds."""
        return self._mixer.total_frames / self.output_sr

    @property
    def position_s(self) -> float:
        """Timeline position of the sample being heard now, seconds.

        While playing this follows the device clock: the block whose DAC time
        has passed most recently plus the time since then.  After a seek it
        holds at the target until the new material reaches the speakers.
        """
        if self._state != "playing":
            return self._pos / self.output_sr
        return self._heard_frame() / self.output_sr

    # -- transport ---------------------------------------------------------------
    def play(self, start_s: float | None = None) -> None:
        """Play from ``start_s`` seconds, or from the current position.

        Playing at the end of the material starts again from 0.  Does nothing
        but seek when already playing and ``start_s`` is given.

        Raises
        ------
        AudioDeviceError
            The output could not be opened (also reported as state ``"error"``).
        """
        with self._lock:
            self._check_open()
            if self._state == "playing":
                if start_s is not None:
                    self._seek_locked(self._frame(start_s))
                return
            total = self._mixer.total_frames
            pos = self._frame(start_s) if start_s is not None else self._pos
            if pos >= total and self._mixer.loop_bounds() is None:
                pos = 0
            pos = self._mixer.wrap(pos)
            if self._state != "paused" or start_s is not None:
                self._play_start = pos
            self._reset_ring_locked(pos)
            self._fill_locked()
            try:
                self._open_stream_locked()
            except AudioDeviceError as exc:
                self._fail_locked(exc)
                err = exc
            else:
                self._state = "playing"
                err = None
        if err is not None:
            self._emit("error")
            raise err
        self._emit("playing")

    def pause(self) -> None:
        """Stop sound, keep the position (play() resumes there)."""
        with self._lock:
            if self._state != "playing":
                return
            pos = self._heard_frame()
            self._close_stream_locked()
            self._pos = pos
            self._state = "paused"
        self._emit("paused")

    def toggle(self) -> None:
        """Pause when playing, else play from the current position."""
        if self.playing:
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        """Stop sound; the playhead goes back to where play started (again: to 0)."""
        with self._lock:
            was = self._state
            self._close_stream_locked()
            self._pos = self._play_start if was in ("playing", "paused") else 0
            self._play_start = 0 if was not in ("playing", "paused") else self._play_start
            self._state = "stopped"
        if was != "stopped":
            self._emit("stopped")

    def seek(self, t_s: float) -> None:
        """Move the playhead to ``t_s`` seconds (while playing: heard within ~100 ms)."""
        with self._lock:
            f = self._frame(t_s)
            if self._state == "playing":
                self._seek_locked(self._mixer.wrap(f))
            else:
                self._pos = f
                if self._state == "stopped":
                    self._play_start = f

    def close(self) -> None:
        """Stop and release the device and the feeder thread.  The player is unusable after."""
        with self._lock:
            if self._closed:
                return
            self._close_stream_locked()
            self._closed = True
            self._state = "stopped"
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals: all *_locked methods run with self._lock held -------------------
    def _check_open(self) -> None:
        if self._closed:
            raise AudioDeviceError("The player was closed; create a new one.")

    def _frame(self, t_s: float) -> int:
        return max(0, min(round(float(t_s) * self.output_sr), self._mixer.total_frames))

    def _emit(self, state: str) -> None:
        cb = self.on_state
        if cb is not None:
            try:
                cb(state)
            except Exception:  # a faulty listener must not kill playback
                import traceback

                traceback.print_exc()

    def _reset_ring_locked(self, pos: int) -> None:
        self._ring.reset()
        self._gen += 1
        self._gen_start = pos
        self._feed.reset(pos)
        self._feed_ended = False
        self._feed_tail = self._tail_blocks()
        self._watch = (0, time.monotonic())

    def _fill_locked(self) -> None:
        ring = self._ring
        while self._feed_tail > 0 and ring.queued < self._lead:
            if self._feed_ended:
                # Silence after the material, so its last block has left the
                # device before the stream stops (some host APIs cut the
                # final buffers of a completed stream).
                block, start, rate = None, self._mixer.total_frames, 0.0
                self._feed_tail -= 1
            else:
                start, rate, self._feed_ended = self._feed.render(self._scratch)
                block = self._scratch
            ring.put(block, pos=start, rate=rate, gen=self._gen, end=self._feed_tail == 0,
                     fended=self._feed_ended, tail=self._feed_tail, snap=self._feed.snapshot())

    def _tail_blocks(self) -> int:
        """Silent blocks to play after the material: the device latency, plus one."""
        return 1 + math.ceil(max(self._ring.latency, 0.1) * self.output_sr / self.blocksize)

    def _retract_locked(self) -> None:
        """Drop the mixed blocks the callback has not reached (keeping _KEEP)."""
        ring = self._ring
        keep = ring.r + _KEEP
        if ring.w > keep:
            ring.w = keep
            last = (keep - 1) % ring.n
            if ring.gen[last] != self._gen:
                # The kept blocks were mixed before the latest seek: mix from its target.
                self._feed.reset(self._gen_start)
                self._feed_ended = False
                self._feed_tail = self._tail_blocks()
            else:
                self._restore_feed_locked(last)
        if ring.r > ring.w:  # the callback ran on meanwhile: those blocks were played
            ring.w = ring.r

    def _restore_feed_locked(self, slot: int) -> None:
        try:
            self._feed.restore(self._ring.snap[slot])
        except InvalidParameterError:  # history too short (not expected): start afresh there
            ring = self._ring
            self._feed.reset(int(ring.pos[slot] + ring.rate[slot] * self.blocksize))
        self._feed_ended = bool(self._ring.fended[slot])
        self._feed_tail = int(self._ring.tail[slot])
        more = self._mixer.loop_bounds() is not None
        more = more or self._feed.position() < self._mixer.total_frames
        if self._feed_ended and self._feed_tail > 0 and more:
            self._feed_ended = False  # a loop was set or the material grew
            self._feed.clear_end()
            self._feed_tail = self._tail_blocks()

    def _refresh_locked(self) -> None:
        if self._state == "playing":
            self._retract_locked()
            self._fill_locked()

    def _seek_locked(self, f: int) -> None:
        self._retract_locked()
        self._gen += 1
        self._gen_start = f
        self._feed.reset(f)
        self._feed_ended = False
        self._feed_tail = self._tail_blocks()
        self._fill_locked()

    def _heard_frame(self) -> int:
        if self._ring.h_n == 0 or self._stream is None:
            return self._gen_start
        try:
            now = float(self._stream.time)
        except Exception:
            now = math.inf
        heard = self._ring.heard(now, self._gen, self.output_sr)
        if heard is None:
            return self._gen_start
        pos = int(heard)
        lb = self._mixer.loop_bounds()
        if lb is not None and pos >= lb[1]:
            pos = lb[0] + (pos - lb[1])
        return min(pos, self._mixer.total_frames)

    def _open_stream_locked(self) -> None:
        sd = self._sd
        try:
            stream = sd.OutputStream(
                device=self._device_index,
                samplerate=self.output_sr,
                channels=self.channels,
                dtype="float32",
                blocksize=self.blocksize,
                callback=self._ring.callback,
                finished_callback=self._ring.finished,
            )
            self._ring.latency = float(stream.latency)
            self._stream = stream
            stream.start()
        except Exception as exc:
            self._close_stream_locked()
            raise AudioDeviceError(
                f"Could not start playback on \u201c{self.device_name}\u201d: {exc}. "
                "Check that the output is connected, or choose another one."
            ) from exc

    def _close_stream_locked(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort(ignore_errors=True)
            finally:
                stream.close(ignore_errors=True)

    def _fail_locked(self, exc: AudioDeviceError) -> None:
        self._close_stream_locked()
        self.last_error = exc
        self._state = "error"

    # -- feeder thread ------------------------------------------------------------
    def _feeder(self) -> None:
        period = 0.5 * self.blocksize / self.output_sr
        while True:
            event = None
            with self._cond:
                if self._closed:
                    return
                self._cond.wait(period)
                if self._closed:
                    return
                if self._state == "playing":
                    event = self._watch_locked()
                    if event is None:
                        self._fill_locked()
            if event is not None:
                self._emit(event)

    def _watch_locked(self) -> str | None:
        """Notice the natural end or a failed device; return the state to report."""
        ring = self._ring
        if ring.cb_done and ring.cb_end:
            self._close_stream_locked()
            self._pos = self._play_start
            self._state = "finished"
            return "finished"
        stream = self._stream
        failed = None
        if ring.cb_done or stream is None or not stream.active:
            failed = "it stopped unexpectedly (was it unplugged or taken by another program?)"
        else:
            count, since = self._watch
            now = time.monotonic()
            if ring.cb_count != count:
                self._watch = (ring.cb_count, now)
            elif now - since > self.stall_timeout_s:
                failed = (
                    f"it has not asked for sound for {self.stall_timeout_s:g} seconds "
                    "(is it suspended, or in use by another program?)"
                )
        if failed is None:
            return None
        pos = self._heard_frame()
        self._fail_locked(
            AudioDeviceError(f"Playback on \u201c{self.device_name}\u201d stopped: {failed}.")
        )
        self._pos = pos
        return "error"
