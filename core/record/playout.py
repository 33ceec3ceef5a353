"""What a recorder plays on its output: the monitored input, a metronome click, a backing track.

:class:`Playout` is filled in by the caller *before* the output runs (click
sound, backing track: preallocated arrays) and rendered block by block by the
output side of the audio callback with no lock, no array allocation and no
I/O.  Its times are *output frames*: frame 0 is the first frame the output
stream played.

* Monitoring mixes the (gain-trimmed) input into the output: in a full-duplex
  callback straight from ``indata``; with a separate output stream through a
  second :class:`~core.record.ringbuffer.FrameRing` that the input callback
  fills and the output callback drains, keeping at most a few blocks queued.
* The click is scheduled with :meth:`Playout.schedule_clicks`: ``count_in``
  beats before the take's start frame, and optionally on every beat after it.
* The backing track starts at the take's start frame.
"""

from __future__ import annotations

import math

import numpy as np

from core.errors import InvalidParameterError
from core.record.ringbuffer import FrameRing

#: Metronome limits (beats per minute).
TEMPO_RANGE = (30.0, 300.0)


def click_sound(sr: int, *, accent: bool = False, duration_s: float = 0.03) -> np.ndarray:
    """One metronome click: a short decaying tone burst, float32 ``(frames,)``.

    The accented click (the first beat of a bar) is higher: 1.6 kHz vs 1 kHz.
    Peak about −6 dBFS.
    """
    n = max(16, round(duration_s * sr))
    t = np.arange(n) / sr
    hz = 1600.0 if accent else 1000.0
    env = np.exp(-t / (duration_s / 5))
    env[: min(n, 24)] *= np.linspace(0.0, 1.0, min(n, 24))  # no click from a step
    return (0.5 * env * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def check_tempo(tempo_bpm: float, beats_per_bar: int) -> None:
    lo, hi = TEMPO_RANGE
    if not lo <= float(tempo_bpm) <= hi:
        raise InvalidParameterError(f"Tempo must be {lo:g}–{hi:g} BPM; got {tempo_bpm:g}.")
    if not 1 <= int(beats_per_bar) <= 16:
        raise InvalidParameterError(f"Beats per bar must be 1–16; got {beats_per_bar}.")


class Playout:
    """The output mix of a recorder (see the module docstring).

    Parameters
    ----------
    sr : int
        Sample rate of the output, Hz (the recorder's rate).
    in_channels, out_channels : int
        Input channels (monitored) and output channels.
    blocksize : int
        Frames per callback (sizes the monitor ring).
    """

    def __init__(self, sr: int, in_channels: int, out_channels: int, blocksize: int) -> None:
        self.sr = int(sr)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.blocksize = int(blocksize)
        self.monitor = False
        self.monitor_gain = 1.0  # linear, on top of the input gain trim
        # monitor path for a separate output stream
        self.ring = FrameRing(max(8 * self.blocksize, self.sr // 4), self.in_channels)
        self._mon = np.zeros((max(8 * self.blocksize, self.sr // 4), self.in_channels),
                             dtype=np.float32)
        self.max_queue = 3 * self.blocksize  # frames of monitor delay allowed to build up
        # clicks: beats at start - k*period (count-in) and start + k*period (metronome)
        self._clicks = (click_sound(self.sr, accent=True), click_sound(self.sr))
        self.click_start = -1  # output frame of the take's first beat; -1: no clicks
        self.count_in = 0
        self.beats_per_bar = 4
        self.period = 0.0  # frames per beat
        self.metronome = False
        # backing track from start
        self.backing: np.ndarray | None = None  # (frames, out_channels) float32
        self.backing_start = -1
        self.frame = 0  # output frames rendered so far (written by the output callback)
        self.errors = 0  # output renders that failed (counted, never raised)

    # -- set-up (caller's thread, before the take) ----------------------------------------
    def schedule_clicks(self, start_frame: int, *, tempo_bpm: float, count_in: int,
                        beats_per_bar: int = 4, metronome: bool = False,
                        click_gain_db: float = 0.0) -> None:
        """Click ``count_in`` beats before ``start_frame`` and, with ``metronome``, on
        every beat from it on.  ``count_in=0`` and no metronome: no clicks."""
        check_tempo(tempo_bpm, beats_per_bar)
        self.period = 60.0 * self.sr / float(tempo_bpm)
        self.count_in = max(0, int(count_in))
        self.beats_per_bar = int(beats_per_bar)
        self.metronome = bool(metronome)
        g = 10 ** (float(click_gain_db) / 20)
        self._clicks = (g * click_sound(self.sr, accent=True), g * click_sound(self.sr))
        self.click_start = int(start_frame) if (self.count_in or self.metronome) else -1

    def set_backing(self, samples: np.ndarray | None, start_frame: int = -1) -> None:
        """Play ``samples`` (channels, frames) at :attr:`sr` from output frame ``start_frame``."""
        if samples is None:
            self.backing, self.backing_start = None, -1
            return
        x = np.asarray(samples, dtype=np.float32)
        if x.ndim == 1:
            x = x[None]
        out = np.zeros((x.shape[1], self.out_channels), dtype=np.float32)
        for c in range(self.out_channels):
            out[:, c] = x[min(c, x.shape[0] - 1)]
        self.backing, self.backing_start = out, int(start_frame)

    def count_in_frames(self) -> int:
        return round(self.count_in * self.period) if self.click_start >= 0 else 0

    # -- realtime (output callback) ------------------------------------------------------
    def render(self, outdata: np.ndarray, frames: int, indata: np.ndarray | None,
               gain: float) -> None:
        """Fill ``outdata[:frames]``; ``indata`` is the same callback's input (full duplex)
        or None (separate stream: the monitor comes from :attr:`ring`).  Never raises."""
        try:
            outdata.fill(0.0)
            if self.monitor:
                g = gain * self.monitor_gain
                if indata is not None:
                    self._mix_monitor(outdata, indata[:frames], g)
                else:
                    ring = self.ring
                    extra = ring.available - self.max_queue
                    if extra > 0:  # the output fell behind: keep the monitor delay short
                        ring.read += extra
                    got = ring.pop_into(self._mon, frames)
                    if got:
                        self._mix_monitor(outdata[frames - got : frames], self._mon[:got], g)
            else:
                self.ring.discard()
            if self.click_start >= 0:
                self._mix_clicks(outdata, frames)
            b = self.backing
            if b is not None and self.backing_start >= 0:
                i0 = self.frame - self.backing_start
                a, e = max(0, i0), min(b.shape[0], i0 + frames)
                if e > a:
                    outdata[a - i0 : e - i0] += b[a:e]
        except Exception:
            self.errors += 1
        self.frame += frames

    def _mix_monitor(self, out: np.ndarray, x: np.ndarray, g: float) -> None:
        oc, ic = self.out_channels, x.shape[1]
        if ic == oc:
            out += x
        elif ic == 1:
            out += x  # mono input on every output channel (broadcast, in place)
        else:
            out += x[:, :oc] if ic > oc else x[:, :1]
        if g != 1.0:
            out *= g

    def _mix_clicks(self, out: np.ndarray, frames: int) -> None:
        p = self.period
        first_beat = -self.count_in
        lo = self.frame - self.click_start
        # beats whose click overlaps [lo, lo + frames)
        k0 = max(first_beat, math.ceil((lo - len(self._clicks[1])) / p))
        k1 = math.floor((lo + frames - 1) / p)
        if not self.metronome:
            k1 = min(k1, -1)
        for k in range(k0, k1 + 1):
            at = round(k * p)
            # the take starts on a downbeat: beats 0, ±bar, ... are accented
            sound = self._clicks[0] if k % self.beats_per_bar == 0 else self._clicks[1]
            a = max(at, lo)
            e = min(at + len(sound), lo + frames)
            if e > a:
                out[a - lo : e - lo] += sound[a - at : e - at, None]
