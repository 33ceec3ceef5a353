"""Dehum: find the mains hum fundamental and notch it out with its harmonics.

The fundamental is either given (50 or 60 Hz, or any measured value) or found from
a long-term spectrum: every candidate between 45 and 65 Hz is scored by how far its
first harmonics stand above the local spectral floor, and the best one is refined to
0.01 Hz.  Removal is a cascade of second-order IIR notches (``scipy.signal.iirnotch``)
at ``k * f0`` for ``k = 1..harmonics``, run forwards and backwards (zero phase, twice
the depth) in chunks with the filter state carried across, so long files use little
memory and cancel stays responsive.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import signal

from core.audio import Audio
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.common import RestoreResult, Steps, check_range, float_samples, to_audio

CHUNK_S = 5.0
SEARCH_HZ = (45.0, 65.0)
#: Automatic search: mains frequencies ± 1.2 Hz (a bass note near 62 Hz is not hum).
AUTO_BANDS = ((48.8, 51.2), (58.8, 61.2))


def find_hum(audio: Audio, *, harmonics: int = 8, max_seconds: float = 30.0) -> Optional[float]:
    """The mains hum fundamental in Hz (50 or 60 ± 1.2 Hz), or None when no hum stands out.

    Hum is a *stationary* sinusoid with harmonics: in one long spectrum of the whole
    stretch (mono mix, at most the first ``max_seconds``, Hann window, bins of
    1/duration Hz) it is a peak one bin wide, while a note near 50 or 60 Hz, which
    comes and goes and bends, spreads over many bins.  Each candidate ``f0`` (0.01 Hz
    steps) scores the mean of its three most prominent harmonics among the first
    ``harmonics`` (peak in dB above the median of the surrounding ±1.5 Hz); under 12 dB
    means no hum.  Other fundamentals (a tape off speed) can be given to :func:`dehum`.
    """
    x = audio.mono().samples[0, : int(max_seconds * audio.sr)].astype(np.float64)
    if x.size < audio.sr or not np.any(x):
        return None
    n = x.size
    db = 10 * np.log10(np.abs(np.fft.rfft(x * np.hanning(n))) ** 2 + 1e-30)
    df = audio.sr / n
    w = max(3, int(round(1.5 / df)))
    cands = np.concatenate([np.arange(lo, hi + 1e-9, 0.01) for lo, hi in AUTO_BANDS])
    ks = [k for k in range(1, harmonics + 1) if k * AUTO_BANDS[-1][1] < 0.45 * audio.sr] or [1]
    idx = np.rint(np.outer(cands, ks) / df).astype(int)  # (candidates, harmonics)
    peak = np.maximum(np.maximum(db[idx - 1], db[idx]), db[idx + 1])
    # The ±1.5 Hz median around each used bin (each distinct bin once).
    med = {i: float(np.median(db[max(0, i - w): i + w + 1])) for i in np.unique(idx)}
    prom = peak - np.vectorize(med.__getitem__)(idx)
    top = np.sort(prom, axis=1)[:, -min(3, len(ks)):].mean(axis=1)
    if top.max() < 12.0:
        return None
    return round(float(cands[int(np.argmax(top))]), 2)


def dehum(audio: Audio, *, fundamental_hz: Optional[float] = None, harmonics: int = 8,
          bandwidth_hz: float = 2.0, progress: ProgressCallback = no_progress,
          cancel: Optional[CancelToken] = None) -> RestoreResult:
    """Remove mains hum and its harmonics.

    Parameters
    ----------
    audio : Audio
        Any sample rate and channel count (each channel filtered).
    fundamental_hz : float or None
        Hum frequency in Hz (usually 50 or 60; 20..500).  None measures it (45–65 Hz).
    harmonics : int
        Number of harmonics notched, the fundamental included (1..60); those above
        0.45 × the sample rate are skipped.
    bandwidth_hz : float
        -3 dB width of each notch in Hz (0.2..20).  Narrow keeps more music; wide follows
        a drifting hum.
    progress, cancel
        Stage ``"dehum"``; cancel checked every 5 s of audio.

    Returns
    -------
    RestoreResult
        ``report``: ``tool``, ``fundamental_hz`` (None when no hum was found: audio
        returned unchanged), ``measured`` (bool), ``notches_hz``.
    """
    harmonics = int(check_range("harmonics", harmonics, 1, 60, "The number of harmonics"))
    bandwidth_hz = check_range("bandwidth_hz", bandwidth_hz, 0.2, 20.0, "The notch width (Hz)")
    measured = fundamental_hz is None
    if measured:
        fundamental_hz = find_hum(audio, harmonics=harmonics)
    else:
        fundamental_hz = check_range("fundamental_hz", fundamental_hz, 20.0, 500.0,
                                     "The hum frequency (Hz)")
    x = float_samples(audio)
    report = {"tool": "dehum", "fundamental_hz": fundamental_hz, "measured": measured,
              "notches_hz": []}
    if fundamental_hz is None or audio.frames == 0:
        return RestoreResult(to_audio(x, audio), report)
    freqs = [k * fundamental_hz for k in range(1, harmonics + 1)
             if k * fundamental_hz < 0.45 * audio.sr]
    report["notches_hz"] = [round(f, 3) for f in freqs]
    if not freqs:
        return RestoreResult(to_audio(x, audio), report)
    sos = np.concatenate([
        signal.tf2sos(*signal.iirnotch(f, f / bandwidth_hz, fs=audio.sr)) for f in freqs])
    y = _filtfilt_chunked(x, sos, audio.sr, bandwidth_hz, progress, cancel)
    return RestoreResult(to_audio(y, audio), report)


def _filtfilt_chunked(x: np.ndarray, sos: np.ndarray, sr: int, bandwidth_hz: float,
                      progress: ProgressCallback, cancel: Optional[CancelToken]) -> np.ndarray:
    """Zero-phase ``sos`` filtering of ``x`` (channels, n), chunk by chunk with carried state.

    The ends are extended by odd reflection (as ``sosfiltfilt`` does) over several notch
    time constants, so the notches settle before the real signal starts.
    """
    channels, n = x.shape
    pad = int(min(3 * sr / bandwidth_hz, 20 * sr))
    chunk = int(CHUNK_S * sr)
    total = 2 * channels * (-(-(n + 2 * pad) // chunk))
    steps = Steps(progress, cancel, "dehum", total, "notching hum")
    zi0 = signal.sosfilt_zi(sos)
    out = np.empty_like(x)
    for ch in range(channels):
        ext = _odd_extend(x[ch], pad)
        for direction in (1, -1):
            data = ext if direction == 1 else ext[::-1]
            res = np.empty_like(data)
            zi = zi0 * data[0]
            for s in range(0, data.size, chunk):
                res[s:s + chunk], zi = signal.sosfilt(sos, data[s:s + chunk], zi=zi)
                steps.advance(1)
            ext = res if direction == 1 else res[::-1]
        out[ch] = ext[pad: pad + n]
    steps.finish()
    return out


def _odd_extend(x: np.ndarray, pad: int) -> np.ndarray:
    """``x`` with ``pad`` samples of odd reflection at each end (repeated if ``x`` is short)."""
    if pad == 0 or x.size < 2:
        return np.pad(x, pad, mode="edge") if x.size else np.zeros(2 * pad)
    return np.pad(x, pad, mode="reflect", reflect_type="odd")
