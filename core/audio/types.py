"""The one audio type that travels between tools."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InvalidParameterError, NonFiniteAudioError


@dataclass(eq=False)
class Audio:
    """Sampled audio.

    Attributes
    ----------
    samples : np.ndarray [shape=(channels, frames), dtype=float32]
        C-contiguous, nominally in [-1, 1] (values beyond are kept, not clipped).
    sr : int
        Sample rate in Hz.
    metadata : dict
        Free-form facts about the source (``path``, ``format``, ``subtype``...).
    """

    samples: np.ndarray
    sr: int
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = np.asarray(self.samples)
        if s.ndim == 1:
            s = s[np.newaxis, :]
        if s.ndim != 2:
            raise InvalidParameterError(
                f"Audio samples must be (channels, frames); got shape {s.shape}."
            )
        if s.dtype != np.float32 or not s.flags.c_contiguous:
            s = np.ascontiguousarray(s, dtype=np.float32)
        self.samples = s
        sr = int(self.sr)
        if sr <= 0:
            raise InvalidParameterError(f"Sample rate must be positive; got {self.sr}.")
        self.sr = sr

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.frames / self.sr

    def mono(self) -> Audio:
        """Average of all channels, shape (1, frames)."""
        if self.channels == 1:
            return self
        return Audio(self.samples.mean(axis=0, keepdims=True), self.sr, dict(self.metadata))

    def slice_frames(self, start: int, stop: int) -> Audio:
        """Frames ``[start, stop)`` (clipped to the audio), as a view-backed copy-free Audio."""
        start = max(0, min(self.frames, int(start)))
        stop = max(start, min(self.frames, int(stop)))
        return Audio(self.samples[:, start:stop], self.sr, dict(self.metadata))

    def slice_seconds(self, start_s: float, stop_s: float) -> Audio:
        """The region ``[start_s, stop_s)`` in seconds."""
        return self.slice_frames(round(start_s * self.sr), round(stop_s * self.sr))

    def count_nonfinite(self) -> int:
        """Number of NaN or Inf samples (counted in blocks: no full-size temporary)."""
        n = 0
        step = 1 << 20
        for a in range(0, self.frames, step):
            blk = self.samples[:, a:a + step]
            n += blk.size - int(np.count_nonzero(np.isfinite(blk)))
        return n

    def check_finite(self) -> None:
        """Raise :class:`NonFiniteAudioError` if any sample is NaN or Inf."""
        n = self.count_nonfinite()
        if n:
            raise NonFiniteAudioError(
                f"The audio contains {n} invalid samples (NaN or infinity). "
                "Clean them (replace with silence) to continue.",
                count=n,
            )

    def cleaned(self) -> Audio:
        """A copy with NaN and ±Inf replaced by 0 (silence)."""
        s = np.nan_to_num(self.samples, nan=0.0, posinf=0.0, neginf=0.0)
        return Audio(s, self.sr, dict(self.metadata))

    def __repr__(self) -> str:
        return f"Audio(channels={self.channels}, frames={self.frames}, sr={self.sr})"
