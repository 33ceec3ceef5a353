"""Block mixer: tracks at the output rate -> one stereo (or mono) block at a time.

Pure numpy, no threads, no devices.  :class:`~core.playback.player.Player`
owns one :class:`Mixer` and calls :meth:`Mixer.render` from its feeder thread;
tests and benchmarks can call it directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.audio import Audio, resample
from core.errors import InvalidParameterError


@dataclass
class PlaySource:
    """One track as the player sees it.

    Attributes
    ----------
    key : str
        Unique id of the track (used by :meth:`Player.set_mix` and A/B).
    audio : Audio
        Any rate and channel count; resampled to the output rate when prepared.
        Mono plays on both speakers; more than two channels play the first two.
    gain_db : float
        Track gain in dB (0 = unchanged).
    mute, solo : bool
        Mixer switches: a muted track is silent; when any track is soloed only
        soloed tracks sound.
    offset_s : float
        Where the track starts on the project's timeline, seconds (>= 0).
    """

    key: str
    audio: Audio
    gain_db: float = 0.0
    mute: bool = False
    solo: bool = False
    offset_s: float = 0.0


class _Track:
    """A source prepared for the output: samples at the output rate, 1 or ``channels`` rows."""

    __slots__ = ("key", "samples", "offset", "gain_db", "mute", "solo", "applied", "audio")

    def __init__(self, src: PlaySource, samples: np.ndarray, offset: int) -> None:
        self.key = src.key
        self.audio = src.audio
        self.samples = samples
        self.offset = offset
        self.gain_db = float(src.gain_db)
        self.mute = bool(src.mute)
        self.solo = bool(src.solo)
        self.applied = math.nan  # gain used for the last rendered block; NaN = none yet

    @property
    def end(self) -> int:
        return self.offset + self.samples.shape[1]


def prepare_samples(audio: Audio, *, sr: int, channels: int) -> np.ndarray:
    """Samples of ``audio`` ready to mix at ``sr`` Hz into ``channels`` outputs.

    Returns
    -------
    np.ndarray [shape=(1 or channels, frames), dtype=float32]
        One row (mono; broadcast to every output) or ``channels`` rows.
        NaN/Inf are replaced by silence.  Shares memory with ``audio`` when no
        conversion is needed.
    """
    if audio.sr != sr:
        audio = resample(audio, sr)
    s = audio.samples
    if s.shape[0] == 1:
        pass
    elif channels == 1:
        s = s.mean(axis=0, keepdims=True, dtype=np.float32)
    elif s.shape[0] != channels:
        s = s[:channels]  # surround: front left/right
    if not np.isfinite(s).all():
        s = np.nan_to_num(s, nan=0.0, posinf=0.0, neginf=0.0)
    return np.ascontiguousarray(s, dtype=np.float32)


class Mixer:
    """Mixes prepared tracks into fixed-size blocks, with loop wrap and gain ramps.

    Gains change with a linear ramp across one block, so mute/solo/gain and A/B
    switches never click.

    Parameters
    ----------
    sr : int
        Output sample rate, Hz.
    channels : int
        Output channels (1 or 2).
    blocksize : int
        Frames per rendered block.
    """

    def __init__(self, *, sr: int, channels: int, blocksize: int) -> None:
        if blocksize <= 0:
            raise InvalidParameterError(f"Block size must be positive; got {blocksize}.")
        self.sr = int(sr)
        self.channels = int(channels)
        self.blocksize = int(blocksize)
        self.tracks: list[_Track] = []
        self.loop: tuple[int, int] | None = None
        self.ab: tuple[str, str | None, str] | None = None  # (a_key, b_key, "a"/"b")
        self._ramp = np.arange(blocksize, dtype=np.float32) / blocksize
        self._tmp = np.zeros((channels, blocksize), dtype=np.float32)
        self._gains = np.zeros(blocksize, dtype=np.float32)

    # -- model ----------------------------------------------------------------
    def prepare(self, sources: list[PlaySource]) -> list[_Track]:
        """Prepare ``sources`` for this output, reusing samples already prepared.

        Costs a resample per source whose rate differs from the output's (and
        whose Audio object was not prepared before); call it off the audio thread.
        """
        keys = [s.key for s in sources]
        if len(set(keys)) != len(keys):
            raise InvalidParameterError("Two tracks have the same key; each needs its own.")
        old = {(t.key, id(t.audio)): t.samples for t in self.tracks}
        out = []
        for src in sources:
            if src.offset_s < 0:
                raise InvalidParameterError(f"Track offset must be >= 0 s; got {src.offset_s}.")
            samples = old.get((src.key, id(src.audio)))
            if samples is None:
                samples = prepare_samples(src.audio, sr=self.sr, channels=self.channels)
            out.append(_Track(src, samples, round(src.offset_s * self.sr)))
        return out

    def set_tracks(self, tracks: list[_Track]) -> None:
        """Swap in prepared tracks, keeping each key's gain-ramp state."""
        applied = {t.key: t.applied for t in self.tracks}
        for t in tracks:
            t.applied = applied.get(t.key, math.nan)
        self.tracks = tracks

    def track(self, key: str) -> _Track:
        for t in self.tracks:
            if t.key == key:
                return t
        raise InvalidParameterError(f"No track with key {key!r} is loaded in the player.")

    @property
    def total_frames(self) -> int:
        """End of the last track on the timeline, frames."""
        return max((t.end for t in self.tracks), default=0)

    def loop_bounds(self) -> tuple[int, int] | None:
        """The active loop ``(start, stop)`` in frames, clipped to the material, or None."""
        if self.loop is None:
            return None
        total = self.total_frames
        a, b = self.loop
        a, b = max(0, min(a, total)), max(0, min(b, total))
        return (a, b) if b > a else None

    def target_gains(self) -> list[float]:
        """Linear gain of every track now (mute, solo, A/B and gain applied)."""
        ab_keys: tuple = ()
        active_key = None
        if self.ab is not None:
            a_key, b_key, active = self.ab
            ab_keys = (a_key, b_key)
            active_key = a_key if active == "a" or b_key is None else b_key
        pair_solo = any(t.solo for t in self.tracks if t.key in ab_keys)
        any_solo = any(t.solo for t in self.tracks)
        gains = []
        for t in self.tracks:
            solo = t.solo or (t.key == active_key and pair_solo)
            if t.mute or (any_solo and not solo) or (t.key in ab_keys and t.key != active_key):
                gains.append(0.0)
            else:
                gains.append(10.0 ** (t.gain_db / 20.0))
        return gains

    def wrap(self, pos: int) -> int:
        """Where playback of frame ``pos`` really happens: inside the loop when one is set."""
        lb = self.loop_bounds()
        if lb is not None and not lb[0] <= pos < lb[1]:
            return lb[0]
        return pos

    # -- rendering ------------------------------------------------------------
    def render(self, pos: int, out: np.ndarray) -> tuple[int, int, bool]:
        """Mix one block starting at timeline frame ``pos`` into ``out``.

        Parameters
        ----------
        pos : int
            Timeline frame of the block's first sample (moved into the loop if
            a loop is set and ``pos`` is outside it).
        out : np.ndarray [shape=(channels, blocksize), dtype=float32]
            Overwritten.  Frames after the end of the material are zero.

        Returns
        -------
        start : int
            The timeline frame actually rendered first (``pos`` after loop wrap).
        next_pos : int
            Timeline frame following the block.
        ended : bool
            True when the material ended inside this block (no loop).
        """
        n = self.blocksize
        out.fill(0.0)
        pos = self.wrap(int(pos))
        start = pos
        lb = self.loop_bounds()
        total = self.total_frames
        targets = self.target_gains()
        segments = []  # (block offset, timeline pos, length)
        filled = 0
        ended = False
        while filled < n:
            seg_end = lb[1] if lb is not None else total
            m = min(n - filled, seg_end - pos)
            if m <= 0:
                ended = True
                break
            segments.append((filled, pos, m))
            filled += m
            pos += m
            if lb is not None and pos >= lb[1]:
                pos = lb[0]
            elif lb is None and pos >= total:
                ended = True
                break
        for track, g1 in zip(self.tracks, targets, strict=True):
            g0 = g1 if math.isnan(track.applied) else track.applied
            track.applied = g1
            if g0 == 0.0 and g1 == 0.0:
                continue
            if g0 != g1:
                np.multiply(self._ramp, g1 - g0, out=self._gains)
                self._gains += g0
            for boff, tpos, m in segments:
                self._add(track, out, boff, tpos, m, g0 if g0 == g1 else None)
        return start, pos, ended

    def _add(self, t: _Track, out: np.ndarray, boff: int, tpos: int, m: int, g: float | None) -> None:
        s0 = tpos - t.offset
        a, b = max(s0, 0), min(s0 + m, t.samples.shape[1])
        if a >= b:
            return
        o0 = boff + (a - s0)
        k = b - a
        src = t.samples[:, a:b]
        tmp = self._tmp[: src.shape[0], :k]
        if g is None:
            np.multiply(src, self._gains[o0 : o0 + k], out=tmp)
        else:
            np.multiply(src, g, out=tmp)
        out[:, o0 : o0 + k] += tmp
