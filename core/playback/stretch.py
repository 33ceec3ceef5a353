"""Real-time, pitch-preserving time stretching for playback (WSOLA).

Playing a solo at 0.5x to learn it, or an interview at 1.5x to skim it,
without changing its pitch.  :class:`TimeStretcher` is a streaming
Waveform-Similarity Overlap-Add (WSOLA) stretcher, the method of SoundTouch
(used by Audacity, VLC and Mixxx): the output is made of short input segments
(40 ms, half-overlapping) taken at ``rate`` times the output's pace; each
segment is moved by up to +/- 12 ms to where it best continues the previous
one (normalised cross-correlation of the overlap), and the overlaps are
crossfaded.  Periods are repeated or skipped whole, so the pitch is kept.

Why written here: the stretcher runs block by block inside the player's feeder
thread, with a rate that changes while playing and with its state restored
when the player re-mixes queued blocks.  No maintained Python library does
that: ``librosa.effects.time_stretch``, ``pytsmod`` and ``pyrubberband``
process a whole buffer offline (``pyrubberband`` through the ``rubberband``
command line); ``audiotsm`` streams but has been unmaintained since 2017;
``pylibrb`` binds the GPL Rubber Band library.

Properties the player relies on
-------------------------------
* Rate 1.0 is bit-exact passthrough: the output is the input, sample for
  sample (after a rate change back to 1.0 it is the input again within one
  segment, offset by at most the search range).
* Rate changes take effect at the next segment boundary (~20 ms) and go
  through the same crossfades as any other segment: no clicks.
* Constant latency: producing output for source frame ``i`` needs input up to
  ``i + latency_frames`` whatever the rate.
* :attr:`source_pos` is the source (input) frame of the next output sample, on
  a smooth nominal time line (``rate`` input frames per output frame), which is
  what a playhead should show.
* :meth:`snapshot` / :meth:`restore` let the player go back to an earlier
  block boundary (to re-mix audio it has queued) at the cost of a few scalars.

All arrays are float32 ``(channels, frames)`` at the output device's rate.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from core.errors import InvalidParameterError

#: Slowest and fastest playback rates (source seconds per output second).
MIN_RATE, MAX_RATE = 0.5, 2.0

_HOP_S = 0.020  # output hop = crossfade length; segments are twice this long
_SEEK_S = 0.012  # how far a segment may move to line up with the previous one


def check_rate(rate: float) -> float:
    """``rate`` as a float, or :class:`InvalidParameterError` when outside 0.5-2.0."""
    r = float(rate)
    if not (MIN_RATE <= r <= MAX_RATE) or math.isnan(r):
        raise InvalidParameterError(
            f"Playback speed must be between {MIN_RATE:g}x and {MAX_RATE:g}x; got {rate!r}."
        )
    return r


class StretchState(NamedTuple):
    """Where a :class:`TimeStretcher` stands between two output samples (see ``snapshot``)."""

    prev: int  # input start of the previous segment
    seg: int  # input start of the segment being played out
    seg_a: float  # its nominal source position
    seg_rate: float  # the rate it was taken at
    done: int  # output samples of it already emitted (hop = all of them)
    contiguous: bool  # it continues ``prev`` exactly (plain copy)
    next_a: float  # nominal source position of the next segment
    out_frames: int  # output samples emitted since reset


class TimeStretcher:
    """Streaming WSOLA time stretcher.

    Parameters
    ----------
    channels : int
        Number of channels (all use the same segment positions, so the stereo
        image and inter-channel phase are kept).
    sr : int
        Sample rate in Hz (sets the segment and search lengths).
    rate : float
        Playback rate, 0.5-2.0 (2.0 = twice as fast).
    history_frames : int
        Input frames kept behind the current read point so that
        :meth:`restore` can go back that far.

    Notes
    -----
    Usage: :meth:`push` input ``(channels, n)`` blocks of any length and
    :meth:`pull` output into a preallocated array; or :meth:`process` /
    :meth:`flush` for a whole stream (see :func:`stretch`).
    """

    def __init__(self, channels: int, sr: int, *, rate: float = 1.0, history_frames: int = 0) -> None:
        if channels < 1:
            raise InvalidParameterError(f"Need at least one channel; got {channels}.")
        if sr < 1000:
            raise InvalidParameterError(f"Sample rate too low for time stretching: {sr} Hz.")
        self.channels = int(channels)
        self.sr = int(sr)
        self.hop = max(32, round(_HOP_S * sr))
        self.seek = max(8, round(_SEEK_S * sr))
        hop, seek = self.hop, self.seek
        #: Input frames needed past a segment's nominal start before it can play.
        self.latency_frames = 2 * hop + seek
        t = (np.arange(hop) + 0.5) / hop
        self._fade_in = (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)
        self._fade_out = (1.0 - self._fade_in).astype(np.float32)
        cap = 1 << max(12, math.ceil(math.log2(int(history_frames) + 8 * self.latency_frames + 4096)))
        self._cap = cap
        # Every sample is written twice (at i and i + cap) so any range up to
        # ``cap`` long is one contiguous slice.
        self._buf = np.zeros((self.channels, 2 * cap), dtype=np.float32)
        self._mono = np.zeros(2 * cap, dtype=np.float32)
        n = 2 * seek + 2 * hop
        self._nfft = 1 << math.ceil(math.log2(n))
        self._seg = np.zeros((self.channels, hop), dtype=np.float32)
        self._rate = check_rate(rate)
        self.reset()

    # -- state ---------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """Rate for the segments to come (0.5-2.0); the one playing finishes at its own rate."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        self._rate = check_rate(value)

    @property
    def input_end(self) -> int:
        """Index of the next input frame :meth:`push` will take (frames since reset)."""
        return self._end

    @property
    def output_frames(self) -> int:
        """Output frames emitted since reset."""
        return self._st.out_frames

    @property
    def source_pos(self) -> float:
        """Input frame (nominal, fractional) that the next output sample plays."""
        st = self._st
        if st.done < self.hop:
            return st.seg_a + st.done * st.seg_rate
        return st.next_a

    @property
    def segment_rate(self) -> float:
        """Rate of the output samples being emitted now."""
        st = self._st
        return st.seg_rate if st.done < self.hop else self._rate

    def reset(self) -> None:
        """Forget all input and output; the next pushed frame is input frame 0."""
        self._start = 0
        self._end = 0
        # The first segment plays from input 0 as a plain copy (nothing to fade from).
        self._st = StretchState(-self.hop, -self.hop, 0.0, self._rate, self.hop, True, 0.0, 0)

    def snapshot(self) -> StretchState:
        """The state now (between two output samples), for :meth:`restore`."""
        return self._st

    def restore(self, state: StretchState) -> int:
        """Go back to ``state`` and drop the input pushed after what it has used.

        Returns
        -------
        int
            Input frame index to push from next.  The output continues exactly
            as it did after ``state`` as long as the same input is pushed again;
            different input (a new mix) is heard from the next segment on.

        Raises
        ------
        InvalidParameterError
            ``state`` is older than the kept history.
        """
        used = self._used_end(state)
        if used > self._end or self._needed_start(state) < max(self._start, self._end - self._cap):
            raise InvalidParameterError("Cannot restore time stretching that far back.")
        self._st = state
        self._end = used
        if state.done < self.hop:
            self._render_segment(state)
        return used

    # -- input ---------------------------------------------------------------------
    def push(self, x: np.ndarray) -> None:
        """Append input ``x`` [shape=(channels, n), float32]."""
        n = x.shape[1]
        cap = self._cap
        if self._end + n - cap > self._needed_start(self._st):
            raise InvalidParameterError(
                f"Time stretcher input overflow: pull output before pushing more than "
                f"{cap - (self._end - self._needed_start(self._st))} more frames."
            )
        i = self._end % cap
        k = min(n, cap - i)
        for off in (0, cap):
            self._buf[:, off + i : off + i + k] = x[:, :k]
            if k < n:
                self._buf[:, off : off + n - k] = x[:, k:]
        mono = x[0] if self.channels == 1 else x.mean(axis=0, dtype=np.float32)
        for off in (0, cap):
            self._mono[off + i : off + i + k] = mono[:k]
            if k < n:
                self._mono[off : off + n - k] = mono[k:]
        self._end += n

    def _view(self, a: int, b: int, mono: bool = False) -> np.ndarray:
        i = a % self._cap
        if mono:
            return self._mono[i : i + (b - a)]
        return self._buf[:, i : i + (b - a)]

    # -- output ----------------------------------------------------------------------
    def input_needed(self) -> int:
        """More input frames needed before at least one output frame can be pulled (0: ready)."""
        st = self._st
        if st.done < self.hop:
            return 0
        return max(0, self._next_needs(st) - self._end)

    def pull(self, out: np.ndarray) -> int:
        """Write as many output frames as the input allows into ``out``.

        Parameters
        ----------
        out : np.ndarray [shape=(channels, m), dtype=float32]
            Filled from the start.

        Returns
        -------
        int
            Frames written (0..m); the rest of ``out`` is untouched.
        """
        m = out.shape[1]
        got = 0
        hop = self.hop
        while got < m:
            st = self._st
            if st.done >= hop:
                if self._end < self._next_needs(st):
                    break
                st = self._next_segment(st)
            k = min(m - got, hop - st.done)
            out[:, got : got + k] = self._seg[:, st.done : st.done + k]
            got += k
            self._st = st._replace(done=st.done + k, out_frames=st.out_frames + k)
        return got

    def process(self, x: np.ndarray) -> np.ndarray:
        """Push ``x`` (any length) and return all output it makes available [shape=(channels, n)]."""
        parts = []
        step = self._cap // 4
        for j in range(0, max(1, x.shape[1]), step):
            if x.shape[1]:
                self.push(x[:, j : j + step])
            while True:
                out = np.empty((self.channels, 8 * self.hop), np.float32)
                k = self.pull(out)
                parts.append(out[:, :k])
                if k < out.shape[1]:
                    break
        return np.concatenate(parts, axis=1)

    def flush(self) -> np.ndarray:
        """Output for the rest of the input pushed so far (up to its nominal end).

        The stretcher is padded with silence; call :meth:`reset` before reusing it.
        """
        end = self._end
        parts = []
        while self.source_pos < end - 1e-9:
            if self.input_needed():
                self.push(np.zeros((self.channels, self.input_needed()), np.float32))
            rate = self.segment_rate
            want = max(1, math.ceil((end - self.source_pos) / rate - 1e-9))
            out = np.empty((self.channels, min(want, self.hop)), np.float32)
            k = self.pull(out)
            parts.append(out[:, :k])
        return np.concatenate(parts, axis=1) if parts else np.zeros((self.channels, 0), np.float32)

    # -- internals -------------------------------------------------------------------
    def _next_needs(self, st: StretchState) -> int:
        """Input end the segment after ``st`` needs (search window + crossfade partner)."""
        c = round(st.next_a)
        return max(c + self.seek + self.hop, st.seg + 2 * self.hop)

    def _used_end(self, st: StretchState) -> int:
        """Input end that the output up to ``st`` depends on."""
        if st.seg < 0:
            return 0
        return max(st.seg + self.hop, st.prev + 2 * self.hop if not st.contiguous else 0)

    def _needed_start(self, st: StretchState) -> int:
        c = round(st.next_a)
        lo = min(st.seg + self.hop, c - self.seek)
        if st.done < self.hop and not st.contiguous:
            lo = min(lo, st.prev + self.hop, st.seg)
        return max(lo, self._start)

    def _next_segment(self, st: StretchState) -> StretchState:
        hop, seek = self.hop, self.seek
        a = st.next_a
        rate = self._rate
        natural = st.seg + hop  # where the previous segment would simply go on
        c = round(a)
        if st.seg < 0 or (rate == 1.0 and abs(natural - c) <= seek):
            s = natural
        else:
            s = self._best_match(natural, c)
        contiguous = s == natural
        if contiguous and rate == 1.0:
            a = float(s)  # playing straight through: the nominal time is the real one
        new = StretchState(st.seg, s, a, rate, 0, contiguous, a + rate * hop, st.out_frames)
        self._render_segment(new)
        return new

    def _render_segment(self, st: StretchState) -> None:
        hop = self.hop
        if st.contiguous:
            np.copyto(self._seg, self._view(st.seg, st.seg + hop))
        else:
            np.multiply(self._view(st.prev + hop, st.prev + 2 * hop), self._fade_out, out=self._seg)
            self._seg += self._view(st.seg, st.seg + hop) * self._fade_in

    def _best_match(self, natural: int, c: int) -> int:
        """Start in ``[c - seek, c + seek]`` whose next ``hop`` frames best continue ``natural``."""
        hop, seek = self.hop, self.seek
        lo = max(c - seek, self._start, self._end - self._cap)
        hi = min(c + seek, self._end - hop)
        if hi <= lo:
            return max(lo, min(c, hi))
        template = self._view(natural, natural + hop, mono=True).astype(np.float64)
        region = self._view(lo, hi + hop, mono=True).astype(np.float64)
        nfft = self._nfft
        spec = np.fft.rfft(region, nfft) * np.conj(np.fft.rfft(template, nfft))
        corr = np.fft.irfft(spec, nfft)[: hi - lo + 1]
        sq = np.concatenate(([0.0], np.cumsum(region * region)))
        energy = sq[hop : hop + hi - lo + 1] - sq[: hi - lo + 1]
        t_energy = float(template @ template)
        floor = 1e-9 * hop + 1e-6 * t_energy
        if t_energy <= 1e-9 * hop or float(energy.max()) <= floor:
            return c if lo <= c <= hi else lo  # silence: stay on the nominal time
        score = corr / np.sqrt(np.maximum(energy, floor))
        return lo + int(np.argmax(score))


def stretch(samples: np.ndarray, rate: float, sr: int) -> np.ndarray:
    """Time-stretch a whole signal with :class:`TimeStretcher` (offline convenience).

    Parameters
    ----------
    samples : np.ndarray [shape=(channels, n), dtype=float32]
        Input at ``sr`` Hz.
    rate : float
        0.5-2.0; the output lasts ``n / rate`` frames (rounded up).
    sr : int
        Sample rate, Hz.

    Returns
    -------
    np.ndarray [shape=(channels, ceil(n / rate)), dtype=float32]
    """
    x = np.ascontiguousarray(samples, dtype=np.float32)
    st = TimeStretcher(x.shape[0], sr, rate=rate)
    return np.concatenate([st.process(x), st.flush()], axis=1)
