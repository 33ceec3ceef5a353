"""Test signals and measures for the restoration tests and benchmarks.

Speech: ``tests/data/arctic_a0007.wav``, 4 s of real recorded speech (CMU ARCTIC,
16 kHz, free licence: tests/data/README.md).  Noises are made here, seeded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

DATA = Path(__file__).resolve().parents[1] / "data"
SPEECH = DATA / "arctic_a0007.wav"


def speech(sr: int = 16000) -> np.ndarray:
    """The ARCTIC clip as float64 mono at ``sr`` (peak about 0.5)."""
    x, file_sr = sf.read(SPEECH, dtype="float64")
    if sr != file_sr:
        import soxr

        x = soxr.resample(x, file_sr, sr)
    return 0.5 * x / np.max(np.abs(x))


def white(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def pink(n: int, seed: int = 0) -> np.ndarray:
    """1/f noise (spectrum shaped in the frequency domain)."""
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.arange(spec.size)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    y = np.fft.irfft(spec, n)
    return y / np.std(y)


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``clean + g * noise`` with ``g`` set so the speech-to-noise ratio is ``snr_db``."""
    noise = noise[: clean.shape[-1]]
    g = np.sqrt(np.sum(clean**2) / (np.sum(noise**2) * 10 ** (snr_db / 10)))
    return clean + g * noise


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019)."""
    r = reference - reference.mean()
    e = estimate - estimate.mean()
    alpha = np.dot(e, r) / np.dot(r, r)
    target = alpha * r
    return float(10 * np.log10(np.sum(target**2) / np.sum((e - target) ** 2)))


def snr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Plain SNR of ``estimate`` against ``reference`` in dB."""
    return float(10 * np.log10(np.sum(reference**2) / np.sum((estimate - reference) ** 2)))


def xcorr_lag(a: np.ndarray, b: np.ndarray) -> int:
    """The lag (samples) by which ``a`` trails ``b``, from the cross-correlation peak."""
    from scipy import signal

    c = signal.correlate(a, b, mode="full", method="fft")
    return int(signal.correlation_lags(a.size, b.size)[np.argmax(c)])


def tone_level_db(x: np.ndarray, sr: int, freq: float) -> float:
    """Level of the component at ``freq`` Hz (Hann-windowed DFT projection), dB."""
    t = np.arange(x.size) / sr
    w = np.hanning(x.size)
    z = np.sum(x * w * np.exp(-2j * np.pi * freq * t)) / np.sum(w) * 2
    return float(20 * np.log10(np.abs(z) + 1e-12))
