"""The blocks queued for the audio device, and the record of what it played.

:class:`BlockRing` is the meeting point of the player's two threads and
PortAudio's callback: the player's feeder writes mixed blocks (each with the
timeline frame and playback rate it starts at) under the player's lock; the
callback (:meth:`BlockRing.callback`) copies the next block to the device
without taking any lock or allocating, and notes when each block reaches the
speakers, from which :meth:`BlockRing.heard` tells the playhead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_HISTORY = 64  # played blocks remembered for the playhead


class BlockRing:
    """A fixed ring of ``n`` output blocks plus per-block bookkeeping.

    Parameters
    ----------
    n : int
        Number of blocks.
    blocksize : int
        Frames per block.
    channels : int
        Output channels.
    stop_exception : type
        Raised by the callback after the block marked ``end`` (PortAudio's
        ``CallbackStop``).

    Notes
    -----
    ``w`` (blocks written) and ``r`` (blocks read by the callback) only grow;
    slot ``k % n`` holds block ``k``.  Only the callback advances ``r``; only
    the writer (holding the player's lock) changes ``w`` and the slots at or
    after ``r + 2``.
    """

    def __init__(self, *, n: int, blocksize: int, channels: int, stop_exception: type) -> None:
        self.n = int(n)
        self.blocksize = int(blocksize)
        self._stop = stop_exception
        self.blocks = np.zeros((n, blocksize, channels), dtype=np.float32)
        self.pos = np.zeros(n, dtype=np.int64)  # timeline frame of the block's first sample
        self.gen = np.zeros(n, dtype=np.int64)  # seek generation it was mixed in
        self.rate = np.ones(n, dtype=np.float64)  # source frames per output frame
        self.end = np.zeros(n, dtype=bool)  # the stream stops after this block
        self.fended = np.zeros(n, dtype=bool)  # writer state after the block...
        self.tail = np.zeros(n, dtype=np.int64)  # ...so a retraction can restore it
        self.snap: list[Any] = [None] * n  # feed state after the block
        self._h_pos = np.zeros(_HISTORY, dtype=np.int64)
        self._h_gen = np.zeros(_HISTORY, dtype=np.int64)
        self._h_dac = np.zeros(_HISTORY, dtype=np.float64)
        self._h_rate = np.ones(_HISTORY, dtype=np.float64)
        self.volume = 1.0
        self.latency = 0.0  # the stream's output latency, s
        self.underruns = 0  # blocks the device asked for before they were ready
        self.reset()

    def reset(self) -> None:
        """Empty the ring and the play record (call while no stream runs)."""
        self.w = 0
        self.r = 0
        self.h_n = 0
        self.cb_count = 0  # callbacks so far (the device is alive while this moves)
        self.cb_end = False  # the callback played the last block
        self.cb_done = False  # PortAudio's finished_callback ran

    @property
    def queued(self) -> int:
        """Blocks written and not yet taken by the device."""
        return self.w - self.r

    def put(self, block: np.ndarray | None, *, pos: int, rate: float, gen: int, end: bool,
            fended: bool, tail: int, snap: Any) -> None:
        """Write block ``w`` ([shape=(channels, blocksize)], or None for silence) and advance."""
        i = self.w % self.n
        if block is None:
            self.blocks[i] = 0.0
        else:
            self.blocks[i] = block.T
        self.pos[i] = pos
        self.rate[i] = rate
        self.gen[i] = gen
        self.end[i] = end
        self.fended[i] = fended
        self.tail[i] = tail
        self.snap[i] = snap
        self.w += 1

    # -- PortAudio's thread: no locks, no allocation --------------------------------
    def callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """The stream callback: play the next block times :attr:`volume`."""
        if status.output_underflow:
            self.underruns += 1
        r = self.r
        if frames != self.blocksize or r >= self.w:
            outdata.fill(0.0)
            self.underruns += 1
            self.cb_count += 1
            return
        i = r % self.n
        np.multiply(self.blocks[i], self.volume, out=outdata)
        dac = time_info.outputBufferDacTime
        if dac <= 0.0:  # host API without timing: estimate
            dac = time_info.currentTime + self.latency
        k = self.h_n % _HISTORY
        self._h_pos[k] = self.pos[i]
        self._h_gen[k] = self.gen[i]
        self._h_rate[k] = self.rate[i]
        self._h_dac[k] = dac
        self.h_n += 1
        self.r = r + 1
        self.cb_count += 1
        if self.end[i]:
            self.cb_end = True
            raise self._stop

    def finished(self) -> None:
        """PortAudio's finished_callback."""
        self.cb_done = True

    # -- the playhead --------------------------------------------------------------
    def heard(self, now: float, gen: int, sr: int) -> float | None:
        """Timeline frame (fractional) reaching the speakers at stream time ``now``.

        None while no block of generation ``gen`` has reached them yet (after
        a seek the playhead then holds at the seek's target).
        """
        n = self.h_n
        found = -1
        for j in range(n - 1, max(-1, n - _HISTORY), -1):
            k = j % _HISTORY
            if self._h_dac[k] <= now:
                found = k
                break
        if found < 0 or self._h_gen[found] != gen:
            return None
        elapsed = min(self.blocksize, max(0.0, (now - self._h_dac[found]) * sr))
        return self._h_pos[found] + elapsed * self._h_rate[found]
