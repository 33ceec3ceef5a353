"""Declick / decrackle: find impulsive clicks from AR prediction errors and fill them in.

A click is a few samples that an autoregressive (AR) model of the surrounding audio
cannot predict.  In each block the AR model is fitted and the prediction error is
computed forwards and backwards in time; a click makes *both* errors large at its own
samples (the forward error also rings for ``ar_order`` samples after it, the backward
one before it, so their minimum pins the click down).  Samples whose smaller error
exceeds ``threshold`` robust standard deviations are marked, widened by a sample each
side, and filled by least-squares AR interpolation.  Vinyl crackle is many small clicks:
raise ``sensitivity``.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import ndimage, signal

from core.audio import Audio
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.ar import ar_coefficients, group_runs, lsar_interpolate, runs
from core.restore.common import RestoreResult, Steps, check_range, float_samples, to_audio

BLOCK = 8192
#: Samples each side of a click group that its AR model is fitted on.
CONTEXT = 1024
MAX_LISTED = 10000


def sensitivity_to_threshold(sensitivity: float) -> float:
    """Detection threshold in robust standard deviations: 0 → 14, 0.5 → 8, 1 → 3.5."""
    return float(14.0 * (3.5 / 14.0) ** sensitivity)


def _robust_sigma(e: np.ndarray) -> float:
    s = 1.4826 * float(np.median(np.abs(e)))
    return s if s > 0 else float(np.std(e)) or 1.0


def _scale(e: np.ndarray, win: int) -> np.ndarray:
    """Local robust scale of the prediction error: a running median over ``win`` samples.

    Local, not per block: speech and music change level within a block, and a loud
    vowel's glottal pulses must be judged against the vowel, not the pause before it.
    """
    ae = np.abs(e)
    local = 1.4826 * ndimage.median_filter(ae, size=win, mode="reflect")
    floor = 0.05 * _robust_sigma(e) + 1e-9
    return np.maximum(local, floor)


def _detect_block(x: np.ndarray, p: int, k: float, win: int) -> np.ndarray:
    """Bool mask of click samples in block ``x``."""
    a = ar_coefficients(x, p)
    ef = signal.lfilter(a, [1.0], x)
    eb = signal.lfilter(a, [1.0], x[::-1])[::-1]  # stationary AR: same model backwards
    ef[:p] = 0.0
    eb[-p:] = 0.0
    score = np.minimum(np.abs(ef) / _scale(ef, win), np.abs(eb) / _scale(eb, win))
    return score > k


def declick(audio: Audio, *, sensitivity: float = 0.5, max_click_ms: float = 3.0,
            ar_order: Optional[int] = None, progress: ProgressCallback = no_progress,
            cancel: Optional[CancelToken] = None) -> RestoreResult:
    """Remove clicks and crackle.

    Parameters
    ----------
    audio : Audio
        Any sample rate and channel count (channels are treated independently).
    sensitivity : float
        0..1.  Higher finds smaller clicks (vinyl crackle: 0.7–0.9); too high starts
        touching sharp transients of the music.
    max_click_ms : float
        Longest click repaired, in ms (0.1..20); longer detections are left alone as
        they are more likely music than a click.
    ar_order : int or None
        AR model order (8..128); None picks one from the sample rate (20 at 44.1 kHz).
    progress, cancel
        Stage ``"declick"``; cancel is checked every block of 8192 samples.

    Returns
    -------
    RestoreResult
        ``report``: ``tool``, ``clicks`` (regions repaired), ``repaired_samples``,
        ``repaired_percent``, ``skipped_long`` (detections longer than ``max_click_ms``),
        ``positions`` (``[channel, start, stop]`` frames, at most 10000).
    """
    sensitivity = check_range("sensitivity", sensitivity, 0.0, 1.0, "The click sensitivity")
    max_click_ms = check_range("max_click_ms", max_click_ms, 0.1, 20.0, "The longest click (ms)")
    if ar_order is None:
        ar_order = int(np.clip(round(audio.sr / 2205), 12, 40))
    p = int(check_range("ar_order", ar_order, 8, 128, "The AR order"))
    k = sensitivity_to_threshold(sensitivity)
    max_len = max(1, int(round(max_click_ms * 1e-3 * audio.sr)))
    x = float_samples(audio)
    y = x.copy()
    channels, n = x.shape
    margin = 4 * p
    win = max(4 * p, int(0.004 * audio.sr)) | 1  # ~4 ms running median
    n_blocks = -(-n // BLOCK)
    steps = Steps(progress, cancel, "declick", 2 * channels * n_blocks, "finding clicks")
    positions, clicks, skipped, repaired = [], 0, 0, 0
    for ch in range(channels):
        mask = np.zeros(n, dtype=bool)
        for b in range(n_blocks):
            s, e = b * BLOCK, min(n, (b + 1) * BLOCK)
            ws, we = max(0, s - margin), min(n, e + margin)
            if we - ws > 4 * p and np.any(x[ch, ws:we]):
                m = _detect_block(x[ch, ws:we], p, k, win)
                mask[s:e] = m[s - ws: s - ws + (e - s)]
            steps.advance(1)
        mask = ndimage.binary_dilation(mask, iterations=1)
        r = runs(mask)
        long_runs = (r[:, 1] - r[:, 0]) > max_len if len(r) else np.zeros(0, bool)
        skipped += int(np.count_nonzero(long_runs))
        for s0, e0 in r[long_runs]:
            mask[s0:e0] = False
        r = r[~long_runs]
        groups = group_runs(r, 2 * p)
        per_block = max(1, -(-len(groups) // max(1, n_blocks)))
        for i, group in enumerate(groups):
            s = max(0, int(group[0, 0]) - 3 * p)
            e = min(n, int(group[-1, 1]) + 3 * p)
            seg, miss = y[ch, s:e], mask[s:e]
            # The model comes from a longer context than the gap's neighbourhood (at least
            # CONTEXT samples): a short window cannot hold a low note's period, and its AR
            # fit then smears tones.  Clicks are fitted as they are (their few samples barely
            # move the model); the fill is refined once with a model of the filled context.
            cs, ce = max(0, s - CONTEXT), min(n, e + CONTEXT)
            ctx = y[ch, cs:ce].copy()
            a = ar_coefficients(ctx, p)
            filled = lsar_interpolate(seg, miss, a)
            ctx[s - cs:e - cs] = filled
            y[ch, s:e] = lsar_interpolate(seg, miss, ar_coefficients(ctx, p))
            if (i + 1) % per_block == 0:
                steps.advance(1)
        clicks += len(r)
        repaired += int(np.count_nonzero(mask))
        for s0, e0 in r[: max(0, MAX_LISTED - len(positions))]:
            positions.append([ch, int(s0), int(e0)])
    steps.finish()
    report = {"tool": "declick", "sensitivity": sensitivity, "clicks": clicks,
              "repaired_samples": repaired,
              "repaired_percent": round(100.0 * repaired / max(1, x.size), 4),
              "skipped_long": skipped, "positions": positions}
    return RestoreResult(to_audio(y, audio), report)
