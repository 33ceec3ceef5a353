"""The player's source of output blocks: mixer -> time stretcher -> fixed-size blocks.

Pure numpy, no threads, no devices.  :class:`Feed` keeps the bookkeeping that
maps the stretcher's input (a stream of mixed blocks, possibly wrapping at a
loop) back to the project's timeline, so every output block can say which
timeline frame it starts with, and so the player can go back to an earlier
block boundary and re-mix from there (after a mix, loop or rate change).
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np

from core.playback.mixer import Mixer
from core.playback.stretch import StretchState, TimeStretcher


class FeedState(NamedTuple):
    """A point between two output blocks, for :meth:`Feed.restore`."""

    stretch: StretchState


class Feed:
    """Renders output blocks at any playback rate, each tagged with its timeline frame.

    Parameters
    ----------
    mixer : Mixer
        Mixes the tracks (its sample rate, channels and block size are used).
    history_blocks : int
        How many output blocks back :meth:`restore` must be able to go.

    Notes
    -----
    At rate 1.0 the output is the mixer's output, sample for sample (after a
    change back to 1.0: from the next stretch segment on, ~20 ms).
    """

    def __init__(self, mixer: Mixer, *, history_blocks: int) -> None:
        self.mixer = mixer
        bs = mixer.blocksize
        history = 2 * (history_blocks + 2) * bs  # input frames per output block <= 2 (rate 2)
        self.stretcher = TimeStretcher(mixer.channels, mixer.sr, history_frames=history)
        self._mix = np.zeros((mixer.channels, bs), dtype=np.float32)
        # (stretcher input index, timeline start, timeline next) of every pushed mixer block
        n_map = (history + 4 * self.stretcher.latency_frames) // bs + 8
        self._map: deque[tuple[int, int, int]] = deque(maxlen=n_map)
        self._next_pos = 0
        self._end_idx: int | None = None
        self.reset(0)

    @property
    def rate(self) -> float:
        """Playback rate (0.5-2.0) of the blocks rendered from now on."""
        return self.stretcher.rate

    @rate.setter
    def rate(self, value: float) -> None:
        self.stretcher.rate = value

    def reset(self, pos: int) -> None:
        """Start afresh at timeline frame ``pos`` (a seek)."""
        self.stretcher.reset()
        self._map.clear()
        self._next_pos = int(pos)
        self._end_idx = None

    def position(self) -> int:
        """Timeline frame of the next output sample."""
        return self._timeline(self.stretcher.source_pos)

    def render(self, out: np.ndarray) -> tuple[int, float, bool]:
        """Fill ``out`` [shape=(channels, blocksize), float32] with the next output block.

        Returns
        -------
        start : int
            Timeline frame played by the block's first sample.
        rate : float
            Source frames per output frame at the block's start.
        ended : bool
            The material ended (no loop) within this block; the rest is silence.
        """
        st = self.stretcher
        start = self._timeline(st.source_pos)
        rate = st.segment_rate
        n = out.shape[1]
        got = st.pull(out)
        while got < n:
            self._push_block()
            got += st.pull(out[:, got:])
        ended = self._end_idx is not None and st.source_pos >= self._end_idx
        return start, rate, ended

    def snapshot(self) -> FeedState:
        """The state between the last rendered block and the next."""
        return FeedState(self.stretcher.snapshot())

    def restore(self, state: FeedState) -> None:
        """Go back to ``state``: the blocks rendered after it are mixed again from the tracks."""
        old_end = self.stretcher.input_end
        idx = self.stretcher.restore(state.stretch)
        if idx < old_end:
            self._next_pos = self._lookup(idx)
        while self._map and self._map[-1][0] >= idx:
            self._map.pop()
        if self._end_idx is not None and self._end_idx > idx:
            self._end_idx = None

    def clear_end(self) -> None:
        """Forget that the material ended (a loop was set, or tracks grew)."""
        self._end_idx = None

    # -- internals --------------------------------------------------------------------
    def _push_block(self) -> None:
        st = self.stretcher
        idx0 = st.input_end
        start, nxt, ended = self.mixer.render(self._next_pos, self._mix)
        self._map.append((idx0, start, nxt))
        if ended and self._end_idx is None:
            self._end_idx = idx0 + max(0, nxt - start)  # no loop when the material ends
        st.push(self._mix)
        self._next_pos = nxt

    def _timeline(self, idx: float) -> int:
        """Timeline frame of stretcher input frame ``idx``."""
        i = int(idx)
        end = self.stretcher.input_end
        if i >= end or not self._map:  # not pushed yet: it will be mixed from _next_pos on
            pos = self._next_pos + max(0, i - end)
        else:
            pos = self._lookup(i)
        return self._wrap(pos)

    def _lookup(self, i: int) -> int:
        """Timeline frame of pushed input frame ``i``."""
        for idx0, start, _nxt in reversed(self._map):
            if idx0 <= i:
                return self._wrap(start + (i - idx0))
        return self._map[0][1]  # older than the kept map (not reached in practice)

    def _wrap(self, pos: int) -> int:
        lb = self.mixer.loop_bounds()
        if lb is not None and pos >= lb[1]:
            pos = lb[0] + (pos - lb[1]) % (lb[1] - lb[0])
        return pos
