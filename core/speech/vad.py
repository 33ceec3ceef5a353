"""Voice activity detection: where in a recording someone is speaking.

Silero VAD v6 (ONNX, the copy bundled with faster-whisper, run by
onnxruntime) on 16 kHz mono audio, processed in blocks so long recordings
report progress and can be cancelled.  Transcribing only the speech regions
keeps Whisper from inventing text on silence or music and saves time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

#: Sample rate the VAD (and Whisper) work at, in Hz.
VAD_SR = 16000


@dataclass(frozen=True)
class VadSettings:
    """Tuning of the speech detector (faster-whisper's defaults).

    Attributes
    ----------
    threshold : float
        Speech probability above which a 32 ms frame counts as speech, in (0, 1).
    min_silence_ms : int
        A pause must last this long to end a speech region.
    speech_pad_ms : int
        Padding added on both sides of each region, so word edges are kept.
    min_speech_ms : int
        Regions shorter than this are dropped.
    block_s : float
        Audio is analysed in blocks of this many seconds (progress and cancel
        happen between blocks; a region crossing a block edge is rejoined).
    """

    threshold: float = 0.5
    min_silence_ms: int = 2000
    speech_pad_ms: int = 400
    min_speech_ms: int = 0
    block_s: float = 120.0


def speech_regions(
    samples: np.ndarray,
    *,
    settings: VadSettings = VadSettings(),
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> list[tuple[int, int]]:
    """Find the speech in 16 kHz mono audio.

    Parameters
    ----------
    samples : np.ndarray [shape=(frames,), dtype=float32]
        Mono audio at :data:`VAD_SR` (16 kHz).
    settings : VadSettings
    progress, cancel
        See :mod:`core.jobs`; checked after every block (stage ``"vad"``).

    Returns
    -------
    list of (start, stop)
        Sample indices at 16 kHz, sorted, non-overlapping, ``stop`` exclusive.
        Empty when nobody speaks.
    """
    if not 0.0 < settings.threshold < 1.0:
        raise InvalidParameterError(
            f"VAD threshold must be between 0 and 1; got {settings.threshold}.")
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    x = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    n = x.shape[0]
    opts = VadOptions(threshold=settings.threshold,
                      min_silence_duration_ms=settings.min_silence_ms,
                      speech_pad_ms=settings.speech_pad_ms,
                      min_speech_duration_ms=settings.min_speech_ms)
    block = max(VAD_SR, int(settings.block_s * VAD_SR))
    block -= block % 512  # whole Silero frames, so block edges fall on frame edges
    regions: list[tuple[int, int]] = []
    for start in range(0, n, block):
        check(cancel)
        piece = x[start:start + block]
        if piece.shape[0] < 512:  # shorter than one Silero frame: nothing to judge
            break
        for ts in get_speech_timestamps(piece, opts, sampling_rate=VAD_SR):
            s, e = start + int(ts["start"]), start + int(ts["end"])
            if regions and s <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(e, regions[-1][1]))
            else:
                regions.append((s, e))
        done = min(n, start + block)
        progress(Progress("vad", done / VAD_SR, n / VAD_SR,
                          f"Finding speech: {done / VAD_SR:.0f} of {n / VAD_SR:.0f} s"))
    check(cancel)
    return regions
