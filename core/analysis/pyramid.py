"""Min/max summaries of a waveform at every zoom level (pure numpy).

Level ``i`` holds, for each bucket of ``base * factor**i`` frames, the minimum
and maximum sample of each channel (the last bucket may be partial).  A view
asks for the envelope of a frame range at about one point per pixel; the
answer is read from the coarsest level that still has enough buckets, so the
cost depends on the pixels, never on the zoom or the file length.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from core.errors import InvalidParameterError

# Frames per block when building level 0: keeps temporaries in cache.
_BUILD_BLOCK = 1 << 16


def _bucket_reduce(op, r: np.ndarray, out: np.ndarray) -> None:
    """``out = op.reduce(r, axis=2)`` for ``r`` (C, nb, size), several times faster.

    numpy reduces a short contiguous axis one bucket at a time; combining
    strided slices element-wise (long inner loops, SIMD) is much quicker.
    """
    c, nb, size = r.shape
    if size % 4 == 0 and size > 4:
        q = r.reshape(c, nb, 4, size // 4)
        m = q[:, :, 0, :].copy()
        for k in range(1, 4):
            op(m, q[:, :, k, :], out=m)
    else:
        m = r
    out[...] = m[:, :, 0]
    for k in range(1, m.shape[2]):
        op(out, m[:, :, k], out=out)


def _minmax_blocks(x: np.ndarray, size: int, mins: np.ndarray, maxs: np.ndarray,
                   b0: int, b1: int, *, maxs_src: np.ndarray | None = None) -> None:
    """Fill ``mins/maxs[:, b0:b1]`` from ``x`` buckets ``b0..b1`` of ``size`` frames.

    With ``maxs_src``, minima come from ``x`` and maxima from ``maxs_src`` (a
    level built from the one below).
    """
    xmax = x if maxs_src is None else maxs_src
    n = x.shape[1]
    step = max(1, _BUILD_BLOCK // size)
    for a in range(b0, b1, step):
        b = min(b1, a + step)
        full = min(b, n // size)
        if full > a:
            shape = (x.shape[0], full - a, size)
            _bucket_reduce(np.minimum, x[:, a * size:full * size].reshape(shape), mins[:, a:full])
            _bucket_reduce(np.maximum, xmax[:, a * size:full * size].reshape(shape),
                           maxs[:, a:full])
        if b > full:  # the partial last bucket
            mins[:, full] = x[:, full * size:].min(axis=1)
            maxs[:, full] = xmax[:, full * size:].max(axis=1)


class MinMaxPyramid:
    """Multi-resolution min/max envelope of (channels, frames) audio.

    Build with :meth:`from_samples`; the samples array is referenced (not
    copied) for the finest zoom levels, so do not modify it afterwards.

    Attributes
    ----------
    channels, frames : int
    base, factor : int
        Level 0 buckets hold ``base`` frames; each level up groups ``factor`` buckets.
    levels : list of (bucket_frames, mins, maxs)
        ``mins``/``maxs`` float32 (channels, n_buckets).
    """

    def __init__(self, samples: np.ndarray, levels: list, *, base: int, factor: int) -> None:
        self.samples = samples
        self.channels = int(samples.shape[0])
        self.frames = int(samples.shape[1])
        self.base = int(base)
        self.factor = int(factor)
        self.levels = levels

    @classmethod
    def from_samples(cls, samples: np.ndarray, *, base: int = 64, factor: int = 4,
                     threads: int = 2) -> MinMaxPyramid:
        """Summarise ``samples`` float32 (channels, frames) (or (frames,)).

        ``threads`` splits level 0, the only costly one, across threads (numpy
        releases the GIL while reducing).
        """
        if base < 2 or factor < 2:
            raise InvalidParameterError("base and factor must be at least 2.")
        x = np.asarray(samples)
        if x.ndim == 1:
            x = x[np.newaxis, :]
        if x.ndim != 2:
            raise InvalidParameterError(f"Expected (channels, frames) audio; got shape {x.shape}.")
        if x.dtype != np.float32:
            x = x.astype(np.float32)
        c, n = x.shape
        nb = -(-n // base)
        mins = np.empty((c, nb), np.float32)
        maxs = np.empty((c, nb), np.float32)
        parts = max(1, min(int(threads), nb // 4096 or 1))
        bounds = np.linspace(0, nb, parts + 1).astype(int)
        if parts == 1:
            _minmax_blocks(x, base, mins, maxs, 0, nb)
        else:
            workers = [threading.Thread(target=_minmax_blocks,
                                        args=(x, base, mins, maxs, bounds[i], bounds[i + 1]))
                       for i in range(parts)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        return cls.from_level0(x, mins, maxs, base=base, factor=factor)

    @classmethod
    def from_level0(cls, samples: np.ndarray, mins: np.ndarray, maxs: np.ndarray, *,
                    base: int, factor: int) -> MinMaxPyramid:
        """Finish a pyramid whose level 0 (buckets of ``base`` frames) is already known."""
        levels = [(base, mins, maxs)]
        size = base
        while mins.shape[1] > 1:
            size *= factor
            nb = mins.shape[1]
            up = -(-nb // factor)
            new_min = np.empty((mins.shape[0], up), np.float32)
            new_max = np.empty((mins.shape[0], up), np.float32)
            _minmax_blocks(mins, factor, new_min, new_max, 0, up, maxs_src=maxs)
            mins, maxs = new_min, new_max
            levels.append((size, mins, maxs))
        return cls(samples, levels, base=base, factor=factor)

    def nbytes(self) -> int:
        """Memory held by the summaries (not the samples), bytes."""
        return sum(m.nbytes + x.nbytes for _, m, x in self.levels)

    def envelope_bounds(self, start: int, stop: int, max_points: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like :meth:`envelope`, but returns each point's frame range.

        Returns
        -------
        edges : np.ndarray [shape=(M+1,), dtype=int64]
            Point ``j`` summarises frames ``[edges[j], edges[j+1])``.  The edges
            lie on a grid fixed by the zoom (not by ``start``), so panning does
            not make the picture shimmer; the first and last points may reach
            past ``start``/``stop`` by less than one point's width.
        mins, maxs : np.ndarray [shape=(channels, M), dtype=float32]
        """
        if max_points < 1:
            raise InvalidParameterError(f"max_points must be at least 1; got {max_points}.")
        start = max(0, min(self.frames, int(start)))
        stop = max(start, min(self.frames, int(stop)))
        n = stop - start
        if n <= max_points:
            raw = np.ascontiguousarray(self.samples[:, start:stop], dtype=np.float32)
            return np.arange(start, stop + 1, dtype=np.int64), raw, raw.copy()
        # Coarsest source (raw samples count as buckets of 1 frame) that still
        # has at least max_points buckets in the range.
        size, mins, maxs = 1, self.samples, self.samples
        for lvl_size, lvl_min, lvl_max in self.levels:
            if n // lvl_size >= max_points:
                size, mins, maxs = lvl_size, lvl_min, lvl_max
            else:
                break
        nb = mins.shape[1]
        group = max(1, math.ceil(n / size / max_points))
        i0 = (start // size) // group * group
        i1 = min(nb, -(-stop // size))
        starts = np.arange(i0, i1, group)
        lo = np.minimum.reduceat(mins[:, i0:i1], starts - i0, axis=1)
        hi = np.maximum.reduceat(maxs[:, i0:i1], starts - i0, axis=1)
        edges = np.minimum(np.append(starts, i1) * size, self.frames).astype(np.int64)
        return edges, np.ascontiguousarray(lo, np.float32), np.ascontiguousarray(hi, np.float32)

    def envelope(self, start: int, stop: int, max_points: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Min/max envelope of frames ``[start, stop)`` in at most about ``max_points`` points.

        Parameters
        ----------
        start, stop : int
            Frame range (clipped to the audio).
        max_points : int
            Points wanted, typically the view's width in pixels.

        Returns
        -------
        x_frames : np.ndarray [shape=(M,), dtype=float64]
            Frame position of each point (the middle of the frames it summarises).
        mins, maxs : np.ndarray [shape=(channels, M), dtype=float32]
            When ``stop - start <= max_points`` these are the raw samples
            (``mins == maxs``, ``x_frames`` the sample indices).  Otherwise
            ``M <= max_points + 1``, and at most about ``max_points * factor``
            stored values are read.
        """
        start = max(0, min(self.frames, int(start)))
        stop = max(start, min(self.frames, int(stop)))
        edges, lo, hi = self.envelope_bounds(start, stop, max_points)
        if stop - start <= max_points:  # raw samples: one point per frame
            return edges[:-1].astype(np.float64), lo, hi
        return ((edges[:-1] + edges[1:] - 1) / 2.0).astype(np.float64), lo, hi
