"""Declip: find clipped runs (also below full scale) and rebuild them by AR interpolation.

Detection.  Digital clipping leaves plateaus at the clip level, even when the file was
later turned down (clipping *below* full scale).  For each channel and polarity the
candidate level is the extreme sample value; the histogram decides whether it is a
plateau: a clean waveform has fewer samples in the top ``tolerance`` band than in the
band just under it (a peak is rounded), a clipped one has many more.  Every sample in
the top band of a clipped polarity is marked clipped (runs of consecutive samples).

Reconstruction.  Nearby runs are grouped; each group is filled by least-squares AR
interpolation (:mod:`core.restore.ar`) over a context window, the AR model re-estimated
once on the filled signal (Janssen iteration), and the result kept *consistent*: a
rebuilt sample never lies inside the clip level it was clipped at.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from core.audio import Audio
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.ar import (
    ar_coefficients,
    ar_coefficients_known,
    group_runs,
    lsar_interpolate,
    runs,
)
from core.restore.common import RestoreResult, Steps, check_range, float_samples, to_audio

#: Most runs listed one by one in a report (the counts are always complete).
MAX_LISTED_RUNS = 10000
GROUPS_PER_STEP = 200
#: A rebuilt peak may rise to at most this multiple of its clip level (+9.5 dB): long gaps
#: are under-determined and plain least squares can overshoot wildly.
MAX_PEAK_RATIO = 3.0
#: Allowed overshoot over a parabola's (see _excess_bounds).
EXCESS_MARGIN = 2.0
#: Samples each side of a group that its AR model is fitted on.
MODEL_CONTEXT = 2048


def _channel_clipping(x: np.ndarray, threshold: Optional[float], tolerance: float):
    """``(mask, positive_level, negative_level)`` for one channel (levels None when clean)."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    mask = np.zeros(x.size, dtype=bool)
    if peak <= 0.0:
        return mask, None, None
    band = tolerance * peak
    levels = []
    for sign in (1.0, -1.0):
        v = sign * x
        top = float(np.max(v))
        if top <= 0.0:
            levels.append(None)
            continue
        if threshold is not None:
            hit = v >= threshold
            levels.append(float(threshold) if hit.any() else None)
            mask |= hit
            continue
        hit = v >= top - band
        n_top = int(np.count_nonzero(hit))
        n_below = int(np.count_nonzero((v >= top - 10 * band) & ~hit))
        # A plateau: several samples at the level and more of them than just below it.
        if n_top >= 3 and n_top > n_below and runs(hit)[:, 1].size and \
                np.max(np.diff(runs(hit), axis=1)) >= 2:
            levels.append(top - band)
            mask |= hit
        else:
            levels.append(None)
    return mask, levels[0], (None if levels[1] is None else -levels[1])


def detect_clipping(audio: Audio, *, threshold: Optional[float] = None,
                    tolerance: float = 1e-3) -> tuple[np.ndarray, dict]:
    """Mark clipped samples.

    Parameters
    ----------
    audio : Audio
    threshold : float or None
        Absolute level (0..1): every sample at or beyond ±threshold counts as clipped.
        None (default) finds each channel's clip level from its histogram.
    tolerance : float
        Relative width of the clip plateau (fraction of the channel peak), for clipping
        that went through a lossy codec or dithering (default 0.001).

    Returns
    -------
    mask : np.ndarray [shape=(channels, frames), dtype=bool]
    report : dict
        ``clipped_samples``, ``clipped_runs``, ``clipped_percent``, ``levels`` (per channel
        ``[positive, negative]`` clip levels or None), ``runs`` (``[channel, start, stop]``
        frames, at most 10000).
    """
    if threshold is not None:
        threshold = check_range("threshold", threshold, 1e-6, 10.0, "The clip threshold")
    tolerance = check_range("tolerance", tolerance, 0.0, 0.2, "The clip tolerance")
    x = float_samples(audio)
    mask = np.zeros(x.shape, dtype=bool)
    levels, listed, n_runs = [], [], 0
    for ch in range(audio.channels):
        m, lp, ln = _channel_clipping(x[ch], threshold, tolerance)
        mask[ch] = m
        levels.append([lp, ln])
        r = runs(m)
        n_runs += len(r)
        for s, e in r[: max(0, MAX_LISTED_RUNS - len(listed))]:
            listed.append([ch, int(s), int(e)])
    n = int(np.count_nonzero(mask))
    report = {"clipped_samples": n, "clipped_runs": int(n_runs),
              "clipped_percent": round(100.0 * n / max(1, mask.size), 4),
              "levels": levels, "runs": listed}
    return mask, report


def declip(audio: Audio, *, threshold: Optional[float] = None, tolerance: float = 1e-3,
           ar_order: Optional[int] = None, progress: ProgressCallback = no_progress,
           cancel: Optional[CancelToken] = None) -> RestoreResult:
    """Rebuild clipped peaks.

    Parameters
    ----------
    audio : Audio
        Any sample rate and channel count (channels are treated independently).
    threshold, tolerance
        Detection, see :func:`detect_clipping`.
    ar_order : int or None
        AR model order for the interpolation (8..128).  None picks one from the sample rate
        (16 at 16 kHz and below, 32 at 44.1 kHz, 48 at 66 kHz and above).
    progress, cancel
        Stage ``"declip"``; cancel is checked every 200 repaired regions.

    Returns
    -------
    RestoreResult
        ``audio``: rebuilt peaks may exceed the old clip level (and full scale: lower the gain
        or run loudness before saving to a fixed-point format); ``report``: detection report
        of :func:`detect_clipping` plus ``tool`` and ``peak_after``.
    """
    if ar_order is None:
        ar_order = int(np.clip(round(audio.sr / 1378), 16, 48))
    ar_order = int(check_range("ar_order", ar_order, 8, 128, "The AR order"))
    mask, report = detect_clipping(audio, threshold=threshold, tolerance=tolerance)
    x = float_samples(audio)
    y = x.copy()
    per_channel = [group_runs(runs(mask[ch]), 2 * ar_order) for ch in range(audio.channels)]
    total = sum(-(-len(g) // GROUPS_PER_STEP) for g in per_channel)
    steps = Steps(progress, cancel, "declip", total, "rebuilding clipped peaks")
    for ch, groups in enumerate(per_channel):
        lp, ln = report["levels"][ch]
        for i, group in enumerate(groups):
            _repair(y[ch], mask[ch], group, ar_order, lp, ln)
            if (i + 1) % GROUPS_PER_STEP == 0 or i == len(groups) - 1:
                steps.advance(1)
    steps.finish()
    report = {"tool": "declip", **report,
              "peak_after": round(float(np.max(np.abs(y))), 6) if y.size else 0.0}
    return RestoreResult(to_audio(y, audio), report)


def _excess_bounds(seg: np.ndarray, miss: np.ndarray) -> np.ndarray:
    """Largest plausible overshoot beyond the clip level for each missing sample of ``seg``.

    A peak cut flat for ``L`` samples, entered and left with slope ``s`` (per sample),
    rose about ``s * L / 4`` above the cut if it was a parabola; twice that is allowed
    (and never more than MAX_PEAK_RATIO times the level).  Without such a bound, a
    model that is slightly off overshoots long gaps wildly.
    """
    bound = np.zeros(int(np.count_nonzero(miss)))
    pos = 0
    n = seg.size
    for r0, r1 in runs(miss):
        slopes = []
        if r0 >= 2:
            slopes.append(abs(seg[r0 - 1] - seg[r0 - 2]))
        if r1 + 1 < n:
            slopes.append(abs(seg[r1 + 1] - seg[r1]))
        slope = max(slopes) if slopes else 0.0
        length = r1 - r0
        bound[pos:pos + length] = EXCESS_MARGIN * slope * length / 4.0
        pos += length
    return bound


def _consistent(filled: np.ndarray, seg: np.ndarray, miss: np.ndarray,
                pos_level: Optional[float], neg_level: Optional[float]) -> np.ndarray:
    """``filled`` with each clipped sample moved to lie beyond its clip level, by at most
    the plausible overshoot of :func:`_excess_bounds` (and MAX_PEAK_RATIO times the level).
    """
    out = filled.copy()
    orig, new = seg[miss], out[miss]
    excess = np.minimum(_excess_bounds(seg, miss), (MAX_PEAK_RATIO - 1.0) * np.abs(orig))
    if pos_level is not None:
        up = orig > 0
        new[up] = np.clip(new[up], orig[up], orig[up] + excess[up])
    if neg_level is not None:
        down = orig < 0
        new[down] = np.clip(new[down], orig[down] - excess[down], orig[down])
    out[miss] = new
    return out


def _repair(y: np.ndarray, mask: np.ndarray, group: np.ndarray, p: int,
            pos_level: Optional[float], neg_level: Optional[float]) -> None:
    """Fill one group of clipped runs of channel ``y`` in place."""
    longest = int(np.max(group[:, 1] - group[:, 0]))
    ctx = max(3 * p, 2 * longest)
    s = max(0, int(group[0, 0]) - ctx)
    e = min(y.size, int(group[-1, 1]) + ctx)
    seg, miss = y[s:e].copy(), mask[s:e]
    if np.all(miss):
        return
    # The model is fitted on a longer stretch (a low note's period does not fit in the
    # gap's neighbourhood), from the unclipped samples only: flat tops would teach it
    # that the signal stops moving.
    ms, me = max(0, s - MODEL_CONTEXT), min(y.size, e + MODEL_CONTEXT)
    a = ar_coefficients_known(y[ms:me], ~mask[ms:me], p)
    # Consistency: a clipped sample's true value lies beyond the level it was clipped at,
    # by no more than a plausible overshoot.  One refit on the filled stretch sharpens
    # the model where few unclipped windows were left to fit it on.
    filled = _consistent(lsar_interpolate(seg, miss, a), seg, miss, pos_level, neg_level)
    ctx_filled = y[ms:me].copy()
    ctx_filled[s - ms:e - ms] = filled
    a = ar_coefficients(ctx_filled, p)
    filled = _consistent(lsar_interpolate(seg, miss, a), seg, miss, pos_level, neg_level)
    new = filled[miss]
    seg[miss] = new
    y[s:e] = seg
