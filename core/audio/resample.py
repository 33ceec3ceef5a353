"""Band-limited sample-rate conversion (libsoxr through ``soxr``)."""

from __future__ import annotations

import numpy as np

from core.audio.types import Audio
from core.errors import InvalidParameterError


def resample(audio: Audio, sr: int, *, quality: str = "HQ") -> Audio:
    """Convert ``audio`` to ``sr`` Hz.

    Parameters
    ----------
    audio : Audio
        Any channel count.
    sr : int
        Target rate in Hz.
    quality : {"QQ", "LQ", "MQ", "HQ", "VHQ"}
        libsoxr quality recipe; HQ is transparent for music.

    Returns
    -------
    Audio
        ``frames`` ≈ ``audio.frames * sr / audio.sr``; metadata copied.
    """
    sr = int(sr)
    if sr <= 0:
        raise InvalidParameterError(f"Sample rate must be positive; got {sr}.")
    if sr == audio.sr:
        return audio
    import soxr

    # soxr wants (frames, channels); transposing a C array gives an F array,
    # which soxr accepts without a copy.
    out = soxr.resample(audio.samples.T, audio.sr, sr, quality=quality)
    return Audio(np.ascontiguousarray(out.T, dtype=np.float32), sr, dict(audio.metadata))
