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


def find_hum(audio: Audio, *, harmonics: int = 8, max_seconds: float = 30.0) -> Optional[float]:
    """The hum fundamental in Hz (45–65 Hz), or None when no hum stands out.

    Scores each candidate ``f0`` by the mean, over its first ``harmonics`` harmonics, of
    the power at ``k * f0`` in dB above the median of the surrounding ±10 Hz.  Uses at
    most the first ``max_seconds`` of the (mono-mixed) audio.
    """
    x = audio.mono().samples[0, : int(max_seconds * audio.sr)].astype(np.float64)
    if x.size < audio.sr // 2 or not np.any(x):
        return None
    nper = min(x.size, int(2 ** np.ceil(np.log2(audio.sr * 4))))  # ~0.25 Hz bins
    f, pxx = signal.welch(x, audio.sr, nperseg=nper, noverlap=nper // 2)
    db = 10 * np.log10(pxx + 1e-20)
    df = f[1] - f[0]

    def score(f0: float) -> float:
        vals = []
        for k in range(1, harmonics + 1):
            fk = k * f0
            if fk > 0.45 * audio.sr:
                break
            i = int(round(fk / df))
            lo, hi = max(0, i - int(10 / df)), min(db.size, i + int(10 / df) + 1)
            peak = np.max(db[max(0, i - 1): i + 2])
            vals.append(peak - np.median(db[lo:hi]))
        return float(np.mean(vals)) if vals else 0.0

    cands = np.arange(SEARCH_HZ[0], SEARCH_HZ[1], 0.1)
    scores = np.array([score(c) for c in cands])
    best = float(cands[int(np.argmax(scores))])
    if scores.max() < 10.0:  # nothing 10 dB above its neighbourhood: no hum
        return None
    fine = np.arange(best - 0.2, best + 0.2, 0.01)
    # Refine on the highest harmonic below 1 kHz, where bins resolve f0 most finely.
    kmax = max(1, min(harmonics, int(1000 // best)))
    fine_scores = [np.interp(kmax * c, f, db) for c in fine]
    return round(float(fine[int(np.argmax(fine_scores))]), 2)


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
