"""A preallocated single-producer/single-consumer ring of float32 audio frames.

The producer is PortAudio's input callback: :meth:`FrameRing.push` copies one
block into the preallocated array and advances a counter.  It takes no lock,
allocates no array and does no I/O.  The consumer is the writer thread.

Both sides only ever *increase* their own counter (``written`` by the
producer, ``read`` by the consumer), and each reads the other's; with Python's
GIL an attribute store is atomic and the data is copied before the counter
moves, so neither side ever sees a half-written block.

A block that does not fit (the consumer fell behind) is dropped: it is counted
and its position and length are noted in preallocated arrays, so the consumer
can put the same length of silence in its place and the take stays in time.
"""

from __future__ import annotations

import numpy as np

#: Drop positions remembered for silence insertion; more drops are still counted.
MAX_GAPS = 4096


class FrameRing:
    """Ring of ``capacity`` frames × ``channels``, float32.

    Attributes
    ----------
    written : int
        Frames pushed so far (producer's counter, monotonic; excludes drops).
    read : int
        Frames consumed so far (consumer's counter, monotonic).
    dropped_blocks, dropped_frames : int
        Blocks (and their frames) that found the ring full.
    gap_n : int
        Drops noted in ``gap_pos``/``gap_len`` (at most :data:`MAX_GAPS`).
    """

    def __init__(self, capacity: int, channels: int) -> None:
        if capacity < 1 or channels < 1:
            raise ValueError("capacity and channels must be positive")
        self.capacity = int(capacity)
        self.channels = int(channels)
        self.buf = np.zeros((self.capacity, self.channels), dtype=np.float32)
        self.written = 0
        self.read = 0
        self.dropped_blocks = 0
        self.dropped_frames = 0
        self.gap_pos = np.zeros(MAX_GAPS, dtype=np.int64)  # value of `written` at the drop
        self.gap_len = np.zeros(MAX_GAPS, dtype=np.int64)
        self.gap_n = 0

    # -- producer (realtime) ----------------------------------------------------------
    def push(self, block: np.ndarray) -> bool:
        """Copy ``block`` (frames, channels) in; False (and counted) if it did not fit."""
        n = block.shape[0]
        w = self.written
        if n > self.capacity - (w - self.read):
            g = self.gap_n
            if g < MAX_GAPS:
                self.gap_pos[g] = w
                self.gap_len[g] = n
                self.gap_n = g + 1
            self.dropped_blocks += 1
            self.dropped_frames += n
            return False
        i = w % self.capacity
        k = self.capacity - i
        if n <= k:
            self.buf[i : i + n] = block
        else:
            self.buf[i:] = block[:k]
            self.buf[: n - k] = block[k:]
        self.written = w + n
        return True

    # -- consumer -------------------------------------------------------------------
    @property
    def available(self) -> int:
        """Frames ready to be consumed."""
        return self.written - self.read

    def pop_into(self, out: np.ndarray, n: int) -> int:
        """Move up to ``n`` ready frames into ``out[:n]`` (preallocated); return how many."""
        n = min(n, self.written - self.read, out.shape[0])
        if n <= 0:
            return 0
        i = self.read % self.capacity
        k = self.capacity - i
        if n <= k:
            out[:n] = self.buf[i : i + n]
        else:
            out[:k] = self.buf[i:]
            out[k:n] = self.buf[: n - k]
        self.read += n
        return n

    def discard(self) -> int:
        """Throw away every ready frame (e.g. input that arrived while paused)."""
        n = self.written - self.read
        self.read += n
        return n
