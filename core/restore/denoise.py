"""Denoise: one entry point over three methods (DeepFilterNet3, RNNoise, spectral gate)."""

from __future__ import annotations

from typing import Optional, Union

import numpy as np

from core.audio import Audio, resample
from core.errors import InvalidParameterError
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.common import (
    RestoreResult,
    check_range,
    float_samples,
    region_frames,
    to_audio,
    wet_dry,
)

#: Method names, default first.
METHODS = ("deepfilter", "rnnoise", "gate")
#: Shortest noise-only selection accepted for a noise profile, in seconds.
MIN_PROFILE_S = 0.2
#: The spectral gate's noise reduction when none is given, in dB (Audacity's default too).
#: Measured in docs/bench-restore.md: with it the gate improves SI-SDR, PESQ and STOI at
#: 5 dB SNR in every noise there; a full gate (100 dB) loses SI-SDR in pump and babble noise.
GATE_DEFAULT_DB = 12.0

NoiseProfile = Union[Audio, tuple, list, None]


def denoise(audio: Audio, *, method: str = "deepfilter", atten_limit_db: Optional[float] = None,
            mix: float = 1.0, noise_profile: NoiseProfile = None,
            progress: ProgressCallback = no_progress,
            cancel: Optional[CancelToken] = None) -> RestoreResult:
    """Remove background noise from ``audio``.

    Parameters
    ----------
    audio : Audio
        Any sample rate and channel count; channels are denoised independently.
    method : {"deepfilter", "rnnoise", "gate"}
        ``deepfilter``: DeepFilterNet3 (best on speech and voice, 48 kHz model, resampled
        around).  ``rnnoise``: RNNoise (light, speech).  ``gate``: spectral gating against a
        learned ``noise_profile`` (any material, e.g. hiss under music).
    atten_limit_db : float or None
        Strength: the most the noise is turned down, in dB (e.g. 12 leaves some natural room
        tone), 0..100.  None = the method's default: no limit for the neural methods,
        :data:`GATE_DEFAULT_DB` for ``gate`` (a full spectral gate distorts the speech or
        music it lets through more than it helps; 12 dB is also Audacity's and ffmpeg
        afftdn's default).
    mix : float
        Wet/dry: 1 = fully denoised, 0 = the original.
    noise_profile : Audio, (t0_s, t1_s) or None
        Noise-only audio, or a region of ``audio`` in seconds, to learn the noise from (at least
        0.2 s).  Used by ``gate``; None lets it estimate the floor from the audio itself.
    progress, cancel
        Progress reports (stage ``"denoise"``) and cancellation, checked every 0.5 s of audio.

    Returns
    -------
    RestoreResult
        ``audio``: same rate, channels and frames; ``report``: ``tool``, ``method``,
        ``atten_limit_db``, ``mix``, ``profile_s`` (gate), ``removed_db`` (level of what was
        removed relative to the input, in dB).
    """
    if method not in METHODS:
        raise InvalidParameterError(
            f"Unknown denoise method {method!r}; choose one of {', '.join(METHODS)}.")
    if atten_limit_db is not None:
        atten_limit_db = check_range("atten_limit_db", atten_limit_db, 0.0, 100.0,
                                     "The noise reduction limit (dB)")
    mix = check_range("mix", mix, 0.0, 1.0, "The wet/dry mix")
    x = float_samples(audio)
    report: dict = {"tool": "denoise", "method": method, "atten_limit_db": atten_limit_db,
                    "mix": mix}
    if method == "gate":
        from core.restore.denoise_gate import denoise_gate

        if atten_limit_db is None:
            atten_limit_db = report["atten_limit_db"] = GATE_DEFAULT_DB
        noise = _profile(audio, noise_profile)
        report["profile_s"] = None if noise is None else noise.shape[1] / audio.sr
        prop = 1.0 - 10 ** (-atten_limit_db / 20)
        y = denoise_gate(x, audio.sr, noise=noise, prop_decrease=prop, progress=progress,
                         cancel=cancel)
    elif method == "deepfilter":
        from core.restore.denoise_deepfilter import denoise_deepfilter

        y = denoise_deepfilter(x, audio.sr, atten_limit_db=atten_limit_db, progress=progress,
                               cancel=cancel)
    else:
        from core.restore.denoise_rnnoise import denoise_rnnoise

        y = denoise_rnnoise(x, audio.sr, progress=progress, cancel=cancel)
        if atten_limit_db is not None:
            # Put back a fraction of what was removed: the noise floor falls by at most the limit.
            y = y + 10 ** (-atten_limit_db / 20) * (x - y)
    y = wet_dry(x, y, mix)
    removed = float(np.sum((x - y) ** 2))
    total = float(np.sum(x**2))
    report["removed_db"] = (round(float(10 * np.log10(removed / total)), 2)
                            if removed > 0 and total > 0 else None)
    return RestoreResult(to_audio(y, audio), report)


def _profile(audio: Audio, noise_profile: NoiseProfile) -> Optional[np.ndarray]:
    """The noise profile as float64 ``(channels, m)`` at ``audio.sr`` (or None)."""
    if noise_profile is None:
        return None
    if isinstance(noise_profile, Audio):
        prof = noise_profile if noise_profile.sr == audio.sr else resample(noise_profile,
                                                                          audio.sr)
        if prof.duration_s < MIN_PROFILE_S:
            raise InvalidParameterError(
                f"The noise profile is too short ({prof.duration_s:.2f} s); "
                f"select at least {MIN_PROFILE_S:g} s of noise only.")
        return float_samples(prof)
    a, b = region_frames(noise_profile, audio.sr, audio.frames, what="noise profile region",
                         min_s=MIN_PROFILE_S)
    return float_samples(audio)[:, a:b]
