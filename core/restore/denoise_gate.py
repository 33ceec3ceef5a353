"""Spectral gating with a learned noise profile (the ``noisereduce`` library).

The noise profile is the spectrum of a noise-only stretch ("learn noise from a
selection"); every STFT bin that does not rise above the profile's mean plus
1.5 standard deviations is attenuated.  Long audio runs in 10 s chunks with a
cross-fade, so cancel is checked at least every chunk.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.common import Steps, chunked_overlap, n_chunks

CHUNK_S = 10.0
OVERLAP_S = 0.5


def fft_size(sr: int) -> int:
    """STFT size of about 46 ms at ``sr`` (1024 at 22.05 kHz, 2048 at 44.1/48 kHz)."""
    return int(2 ** max(8, round(np.log2(sr * 0.0464))))


def denoise_gate(x: np.ndarray, sr: int, *, noise: Optional[np.ndarray],
                 prop_decrease: float = 1.0, progress: ProgressCallback = no_progress,
                 cancel: Optional[CancelToken] = None) -> np.ndarray:
    """Stationary spectral gating of ``x`` [shape=(channels, frames), rate ``sr`` Hz].

    Parameters
    ----------
    noise : np.ndarray [shape=(channels or 1, m)] or None
        Noise-only samples at ``sr``.  None estimates the noise floor from each chunk itself
        (much weaker: the profile is what makes gating work).
    prop_decrease : float
        0..1, the fraction of the gated bins' level removed (1 = full gate).

    Returns float64 ``(channels, frames)``.
    """
    import noisereduce

    channels, n = x.shape
    chunk, overlap = int(CHUNK_S * sr), int(OVERLAP_S * sr)
    steps = Steps(progress, cancel, "denoise", channels * n_chunks(n, chunk, overlap),
                  "spectral gate")
    nfft = fft_size(sr)
    out = np.empty_like(x, dtype=np.float64)
    for ch in range(channels):
        prof = None
        if noise is not None:
            prof = noise[min(ch, noise.shape[0] - 1)]

        def run(seg, prof=prof):
            if seg.shape[-1] < nfft:  # too short to gate: leave as is
                return seg
            with np.errstate(divide="ignore", invalid="ignore"):
                y = noisereduce.reduce_noise(
                    y=seg, sr=sr, y_noise=prof, stationary=True, prop_decrease=prop_decrease,
                    n_fft=nfft, use_tqdm=False, n_jobs=1)
            return np.nan_to_num(np.asarray(y, dtype=np.float64)[: seg.shape[-1]])

        out[ch] = chunked_overlap(x[ch], run, chunk=chunk, overlap=overlap, steps=steps)
    return out
