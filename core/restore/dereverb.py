"""Dereverb: weighted prediction error (WPE).

WPE predicts the late reverberation in each STFT bin from the frames ``delay`` to
``delay + taps`` before it and subtracts the prediction; the early part (direct sound
and first reflections, which carry the timbre) is kept.  All channels are processed
jointly (multichannel WPE uses the spatial cues).  Long audio runs in 20 s chunks with
a 1 s cross-fade.

The STFT and its inverse are the ``nara_wpe`` package's; the WPE itself is
:func:`core.restore.wpe.wpe`, the package's ``wpe_v8`` algorithm computed two bins
at a time as batched matrix products over one thread per core (agreeing with the package
to 1e-6 of the peak, in about 60 % of its time; see that module for why).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from core.audio import Audio
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.common import (
    RestoreResult,
    Steps,
    check_range,
    chunked_overlap,
    float_samples,
    n_chunks,
    to_audio,
    wet_dry,
)

CHUNK_S = 20.0
OVERLAP_S = 1.0


def stft_size(sr: int) -> int:
    """STFT size of about 32 ms at ``sr`` (512 at 16 kHz, 1024 at 44.1/48 kHz)."""
    return int(2 ** max(7, round(np.log2(sr * 0.032))))


def dereverb(audio: Audio, *, taps: int = 10, delay: int = 3, iterations: int = 3,
             mix: float = 1.0, progress: ProgressCallback = no_progress,
             cancel: Optional[CancelToken] = None) -> RestoreResult:
    """Reduce room reverberation.

    Parameters
    ----------
    audio : Audio
        Any sample rate; channels are processed jointly (1..8 channels).
    taps : int
        Length of the reverb predictor in STFT frames of ~8 ms (1..40); more removes
        longer tails, at more cost.
    delay : int
        Frames (~8 ms each) of early sound kept untouched before prediction starts (1..10).
    iterations : int
        WPE iterations (1..10).
    mix : float
        Wet/dry: 1 = fully dereverberated, 0 = original.
    progress, cancel
        Stage ``"dereverb"``, checked once per 20 s chunk (a chunk takes well under a
        second per channel on a 2-core CPU).

    Returns
    -------
    RestoreResult
        ``report``: ``tool``, ``taps``, ``delay``, ``iterations``, ``stft_size``,
        ``removed_db`` (level of what was removed relative to the input).
    """
    from nara_wpe.utils import istft, stft

    from core.restore.wpe import wpe

    taps = int(check_range("taps", taps, 1, 40, "The number of taps"))
    delay = int(check_range("delay", delay, 1, 10, "The prediction delay"))
    iterations = int(check_range("iterations", iterations, 1, 10, "The number of iterations"))
    mix = check_range("mix", mix, 0.0, 1.0, "The wet/dry mix")
    x = float_samples(audio)
    size = stft_size(audio.sr)
    shift = size // 4
    chunk, overlap = int(CHUNK_S * audio.sr), int(OVERLAP_S * audio.sr)

    def run(seg: np.ndarray) -> np.ndarray:
        m = seg.shape[-1]
        if m < 2 * size or not np.any(seg):
            return seg
        Y = stft(seg, size=size, shift=shift)  # (D, T, F)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            Z = wpe(Y.transpose(2, 0, 1), taps=taps, delay=delay,
                    iterations=iterations).transpose(1, 2, 0)
            # istft(fading=True) drops the padding stft(fading=True) added: aligned.
            z = istft(Z, size=size, shift=shift)[..., :m]
        z = np.nan_to_num(np.real(z))
        if z.shape[-1] < m:
            z = np.pad(z, ((0, 0), (0, m - z.shape[-1])))
        return z

    steps = Steps(progress, cancel, "dereverb", n_chunks(audio.frames, chunk, overlap),
                  "removing reverb")
    y = chunked_overlap(x, run, chunk=chunk, overlap=overlap, steps=steps)
    y = wet_dry(x, y, mix)
    removed, total = float(np.sum((x - y) ** 2)), float(np.sum(x**2))
    report = {"tool": "dereverb", "taps": taps, "delay": delay, "iterations": iterations,
              "stft_size": size,
              "removed_db": round(float(10 * np.log10(removed / total)), 2)
              if removed > 0 and total > 0 else None}
    return RestoreResult(to_audio(y, audio), report)
