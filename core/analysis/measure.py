"""Read-outs for the cursor and the selection: level and average spectrum (pure numpy)."""

from __future__ import annotations

import math

import numpy as np

from core.analysis.frames import AMIN, as_channels, check_fft, power_window
from core.errors import InvalidParameterError

# Frames transformed at once in :func:`spectrum`: bounds the temporary memory.
_SPECTRUM_BATCH = 64


def level_db(samples: np.ndarray, start: int, stop: int) -> float:
    """RMS level of frames ``[start, stop)`` over all channels, dBFS.

    ``20*log10(rms)``: a full-scale square wave reads 0 dBFS, a full-scale
    sine -3.01 dBFS.  Returns ``-inf`` for silence or an empty range.
    """
    x = as_channels(samples)
    start = max(0, min(x.shape[1], int(start)))
    stop = max(start, min(x.shape[1], int(stop)))
    seg = x[:, start:stop]
    if seg.size == 0:
        return -math.inf
    # float64 accumulation only for the sum; chunks keep memory flat.
    total = 0.0
    step = 1 << 20
    for a in range(0, seg.shape[1], step):
        blk = seg[:, a:a + step]
        total += float(np.einsum("ij,ij->", blk, blk, dtype=np.float64))
    ms = total / seg.size
    return 10.0 * math.log10(ms) if ms > 0 else -math.inf


def spectrum(samples: np.ndarray, sr: int, *, n_fft: int = 8192, window: str = "hann",
             overlap: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Average power spectrum of a region (Welch's method), for a frequency-profile plot.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (channels, n)]
        The region, at ``sr`` Hz.  Channels are averaged in power.
    sr : int
        Sample rate, Hz.
    n_fft : int
        FFT size; regions shorter than that are zero-padded to it (one frame).
    window : str
        Analysis window (see :func:`core.analysis.stft.stft`).
    overlap : float
        Fraction of overlap between frames, 0 to 0.9.

    Returns
    -------
    freqs : np.ndarray [shape=(n_fft//2+1,), dtype=float64]
        Hz.
    db : np.ndarray [shape=(n_fft//2+1,), dtype=float32]
        Mean power per frequency in dB, normalised so a full-scale sine peaks
        at ~0 dB; silence reads -200 dB.
    """
    check_fft(n_fft, 1)
    if not 0 <= overlap <= 0.9:
        raise InvalidParameterError(f"overlap must be between 0 and 0.9; got {overlap}.")
    x = as_channels(samples)
    if x.shape[1] == 0:
        raise InvalidParameterError("The region is empty: select some audio first.")
    n = x.shape[1]
    seg = min(n_fft, n)
    w = power_window(window, seg)
    hop = max(1, int(round(seg * (1.0 - overlap))))
    starts = np.arange(0, n - seg + 1, hop)
    acc = np.zeros(n_fft // 2 + 1, np.float64)
    for i in range(0, len(starts), _SPECTRUM_BATCH):
        st = starts[i:i + _SPECTRUM_BATCH]
        frames = x[:, st[:, None] + np.arange(seg)] * w         # (C, B, seg)
        spec = np.fft.rfft(frames, n=n_fft, axis=-1)             # zero-padded if seg < n_fft
        p = spec.real ** 2 + spec.imag ** 2
        acc += p.sum(axis=(0, 1), dtype=np.float64)
    power = (acc / (len(starts) * x.shape[0])).astype(np.float32)
    np.maximum(power, np.float32(AMIN), out=power)
    db = (10.0 * np.log10(power)).astype(np.float32)
    freqs = np.arange(n_fft // 2 + 1, dtype=np.float64) * sr / n_fft
    return freqs, db
