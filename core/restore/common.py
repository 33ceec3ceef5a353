"""Shared pieces of the restoration tools: the result type, progress steps, chunking.

Every restoration tool is a plain function
``tool(audio, *, ...keyword-only params..., progress=no_progress, cancel=None)``
that returns a :class:`RestoreResult`: the restored :class:`~core.audio.Audio`
(same sample rate, channel count and frame count as the input) plus a plain
``report`` dict of what the tool found and did (JSON-serialisable, shown by the
CLI and the GUI).  Tools never modify the input array.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check


@dataclass(eq=False)
class RestoreResult:
    """What every restoration tool returns.

    Attributes
    ----------
    audio : Audio
        The restored audio: same ``sr``, ``channels`` and ``frames`` as the input.
    report : dict
        JSON-serialisable facts: always ``"tool"``; then per tool, e.g. declip's
        ``"clipped_samples"``, ``"clipped_runs"``, ``"clipped_percent"``.
    """

    audio: Audio
    report: dict = field(default_factory=dict)


class Steps:
    """Progress over a known number of work units, with a cancel check per step.

    ``steps.advance(n)`` reports ``Progress(stage, done, total, message)`` and
    raises :class:`~core.jobs.JobCancelled` when ``cancel`` is set.
    """

    def __init__(self, progress: ProgressCallback, cancel: Optional[CancelToken],
                 stage: str, total: float, message: str = "") -> None:
        self.progress, self.cancel = progress, cancel
        self.stage, self.total, self.message = stage, float(max(total, 1)), message
        self.done = 0.0
        check(cancel)
        progress(Progress(stage, 0.0, self.total, message))

    def advance(self, n: float = 1.0) -> None:
        check(self.cancel)
        self.done = min(self.total, self.done + n)
        self.progress(Progress(self.stage, self.done, self.total, self.message))

    def finish(self) -> None:
        if self.done < self.total:
            self.done = self.total
            self.progress(Progress(self.stage, self.done, self.total, self.message))


def float_samples(audio: Audio) -> np.ndarray:
    """A float64 copy of ``audio.samples`` with NaN/Inf refused (plain message)."""
    audio.check_finite()
    return audio.samples.astype(np.float64)


def to_audio(x: np.ndarray, like: Audio) -> Audio:
    """Wrap float samples ``(channels, frames)`` as Audio with ``like``'s rate and metadata."""
    return Audio(np.ascontiguousarray(x, dtype=np.float32), like.sr, dict(like.metadata))


def check_range(name: str, value: float, lo: float, hi: float, what: str = "") -> float:
    """Return ``float(value)`` or raise InvalidParameterError naming the valid range."""
    v = float(value)
    if not np.isfinite(v) or v < lo or v > hi:
        raise InvalidParameterError(
            f"{what or name} must be between {lo:g} and {hi:g}; got {value!r}."
        )
    return v


def wet_dry(dry: np.ndarray, wet: np.ndarray, mix: float) -> np.ndarray:
    """``mix * wet + (1 - mix) * dry`` (mix 1 = fully processed)."""
    if mix >= 1.0:
        return wet
    return wet * mix + dry * (1.0 - mix)


def chunked_overlap(x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], *,
                    chunk: int, overlap: int, steps: Optional[Steps] = None) -> np.ndarray:
    """Apply ``fn`` to overlapping chunks of ``x`` along the last axis; cross-fade the seams.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n)]
    fn : callable
        Maps a chunk ``(..., m)`` to an array of the same shape.
    chunk, overlap : int
        Chunk length and overlap in samples (``overlap < chunk``).  Seams are
        blended with a raised-cosine cross-fade over the overlap, so there are
        no level jumps at chunk borders.
    steps : Steps, optional
        Advanced by one per chunk (and so checks cancel between chunks).
    """
    n = x.shape[-1]
    if n <= chunk:
        y = fn(x)
        if steps:
            steps.advance(1)
        return y
    hop = chunk - overlap
    starts = list(range(0, n - overlap, hop))
    out = np.zeros(x.shape, dtype=np.float64)
    weight = np.zeros(n, dtype=np.float64)
    fade = 0.5 - 0.5 * np.cos(np.pi * (np.arange(overlap) + 0.5) / overlap)
    for i, s in enumerate(starts):
        e = min(n, s + chunk)
        y = fn(x[..., s:e])
        w = np.ones(e - s)
        if i > 0:
            w[:overlap] = fade  # every chunk after the first is longer than the overlap
        if i < len(starts) - 1 and e - s > overlap:
            w[-overlap:] = fade[::-1]
        out[..., s:e] += y * w
        weight[s:e] += w
        if steps:
            steps.advance(1)
    return out / np.maximum(weight, 1e-12)


def n_chunks(n: int, chunk: int, overlap: int) -> int:
    """How many chunks :func:`chunked_overlap` makes for ``n`` samples."""
    if n <= chunk:
        return 1
    return len(range(0, n - overlap, chunk - overlap))


def region_frames(region, sr: int, frames: int, *, what: str = "noise region",
                  min_s: float = 0.0) -> tuple[int, int]:
    """``(t0_s, t1_s)`` seconds → clipped ``(start, stop)`` frames, checked for length."""
    try:
        t0, t1 = (float(v) for v in region)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"The {what} must be a start and an end time in seconds; got {region!r}."
        ) from None
    if not (np.isfinite(t0) and np.isfinite(t1)) or t1 <= t0:
        raise InvalidParameterError(f"The {what} must end after it starts; got {t0:g}–{t1:g} s.")
    a = max(0, min(frames, int(round(t0 * sr))))
    b = max(a, min(frames, int(round(t1 * sr))))
    if (b - a) / sr < min_s:
        raise InvalidParameterError(
            f"The {what} is too short ({(b - a) / sr:.2f} s inside the audio); "
            f"select at least {min_s:g} s."
        )
    return a, b
