"""One entry point for every codec: :func:`roundtrip` (encode -> decode -> SI-SDR)."""

from __future__ import annotations

import time
from typing import Optional

from core.audio import Audio
from core.codec.metrics import si_sdr
from core.codec.types import CODECS, CodecResult
from core.errors import InvalidParameterError
from core.jobs import CancelToken, ProgressCallback, no_progress


def roundtrip(
    audio: Audio,
    *,
    codec: str = "encodec",
    kbps: float = 6.0,
    model: Optional[str] = None,
    device: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> CodecResult:
    """Compress and decompress ``audio`` with ``codec``; measure SI-SDR against it.

    Parameters
    ----------
    audio : Audio
        Any rate and channel count.
    codec : {"encodec", "opus"}
    kbps : float
        Bitrate in kbit/s per channel: EnCodec 24 kHz takes 1.5, 3, 6, 12 or
        24; Opus any value from 0.5 to 256.
    model : str, optional
        EnCodec registry name (default ``encodec-24khz``); ignored for Opus.
    device : str, optional
        EnCodec's device (``cpu``, ``cuda``, ``mps``; None = configured).
    progress, cancel
        Forwarded to the codec.

    Returns
    -------
    CodecResult
        ``result.audio`` has the input's sample rate, channels and length;
        ``si_sdr_db`` is None when the input is silent.

    Raises
    ------
    InvalidParameterError, ModelNotInstalledError, UnknownModelError, ModelError
    """
    codec = codec.lower()
    if codec not in CODECS:
        raise InvalidParameterError(f"Unknown codec '{codec}': choose {' or '.join(CODECS)}.")
    if audio.frames == 0:
        raise InvalidParameterError("There is no audio to compress.")
    t0 = time.perf_counter()
    if codec == "opus":
        from core.codec.opus import opus_roundtrip

        out, nbytes = opus_roundtrip(audio, kbps=kbps, progress=progress, cancel=cancel)
        facts = {"actual_kbps": nbytes * 8 / audio.duration_s / 1000 / audio.channels,
                 "encoded_bytes": nbytes}
    else:
        from core.codec.encodec import DEFAULT_MODEL, encodec_roundtrip

        out, facts = encodec_roundtrip(audio, kbps=kbps, model=model or DEFAULT_MODEL,
                                       device=device, progress=progress, cancel=cancel)
        facts = dict(facts, model=model or DEFAULT_MODEL)
    seconds = time.perf_counter() - t0
    ref = audio.cleaned().samples
    try:
        score: Optional[float] = si_sdr(ref, out.samples)
    except InvalidParameterError:  # silent input: the figure is undefined
        score = None
    actual = float(facts.pop("actual_kbps"))
    nbytes = int(facts.pop("encoded_bytes"))
    return CodecResult(audio=out, codec=codec, kbps=float(kbps), actual_kbps=actual,
                       encoded_bytes=nbytes, si_sdr_db=score, seconds=seconds, details=facts)
