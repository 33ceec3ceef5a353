"""Snapping a position to the nearest zero crossing (a click-free edit point)."""

from __future__ import annotations

import numpy as np


def nearest_zero_crossing(samples: np.ndarray, frame: int, radius: int) -> int:
    """The frame nearest ``frame`` (within ``radius``) where the signal crosses zero.

    Parameters
    ----------
    samples : np.ndarray [shape=(channels, frames)]
        Channels are averaged.
    frame, radius : int
        Search ``[frame - radius, frame + radius]``.

    Returns
    -------
    int
        The first frame after a sign change (or an exact zero) closest to
        ``frame``; ``frame`` itself when there is none in reach.
    """
    n = samples.shape[1]
    a, b = max(0, frame - radius), min(n, frame + radius + 1)
    if b - a < 2:
        return frame
    seg = samples[:, a:b].mean(axis=0)
    sign = np.signbit(seg)
    crossings = np.flatnonzero((sign[1:] != sign[:-1]) | (seg[1:] == 0)) + 1 + a
    if crossings.size == 0:
        return frame
    return int(crossings[np.argmin(np.abs(crossings - frame))])
