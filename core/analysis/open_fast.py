"""Open a file for viewing: samples, waveform pyramid and spectrogram overview in one pass.

:func:`open_for_view` is what the GUI calls when a file is opened.  For plain
PCM WAV files (the usual recording format) it reads the file in blocks on
several threads, converting each block to float32 and summarising it into
the pyramid's finest level while the block is still in the CPU cache; the
samples are bit-identical to :func:`core.audio.load`'s.  Other formats go
through :func:`core.audio.load` and then build the pyramid.  Either way the
spectrogram overview comes from sparse frames (:class:`SpectrogramLOD`), so it
costs the same for a 1-minute and a 3-hour file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from core.analysis.lod import SpectrogramLOD
from core.analysis.pyramid import MinMaxPyramid, _minmax_blocks
from core.analysis.types import Spectrogram
from core.errors import InvalidParameterError
from core.jobs import CancelToken, ProgressCallback, no_progress


@dataclass(eq=False)
class OpenedAudio:
    """Everything a view needs right after opening a file."""

    audio: object              # core.audio.Audio
    pyramid: MinMaxPyramid
    lod: SpectrogramLOD
    overview: Spectrogram
    fast_path: bool            # True when the pyramid was built while decoding


class _Level0:
    """Collects the pyramid's finest level from blocks as the loader decodes them."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.parts: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, start: int, block: np.ndarray) -> None:
        nb = -(-block.shape[1] // self.base)
        mins = np.empty((block.shape[0], nb), np.float32)
        maxs = np.empty((block.shape[0], nb), np.float32)
        _minmax_blocks(block, self.base, mins, maxs, 0, nb)
        self.parts[start] = (mins, maxs)  # one key per block: safe across threads

    def assemble(self, frames: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """Level 0 in order, or None if the blocks do not tile ``frames`` on the grid."""
        pos, mins, maxs = 0, [], []
        for start in sorted(self.parts):
            if start != pos or start % self.base:
                return None
            m, x = self.parts[start]
            mins.append(m)
            maxs.append(x)
            pos += min(m.shape[1] * self.base, frames - pos)
        if pos != frames or not mins:
            return None
        return np.concatenate(mins, axis=1), np.concatenate(maxs, axis=1)


def open_for_view(path: str | os.PathLike, *, n_columns: int = 2048, n_fft: int = 2048,
                  hop_length: int = 512, scale: str = "log", n_bins: Optional[int] = None,
                  base: int = 64, factor: int = 4, threads: Optional[int] = None,
                  nonfinite: str = "error", progress: ProgressCallback = no_progress,
                  cancel: Optional[CancelToken] = None) -> OpenedAudio:
    """Load ``path`` and prepare its waveform pyramid and spectrogram overview.

    Parameters
    ----------
    path : path-like
        Any file :func:`core.audio.load` reads.
    n_columns : int
        Columns of the overview (about the view's width in pixels).
    n_fft, hop_length, scale, n_bins
        Spectrogram settings (see :class:`SpectrogramLOD`).
    base, factor : int
        Pyramid settings (see :class:`MinMaxPyramid`).
    threads : int, optional
        Reader threads (default: the CPU count, at most 4).
    nonfinite : {"error", "clean", "keep"}
        NaN/Inf samples, as :func:`core.audio.load`: raise
        :class:`~core.errors.NonFiniteAudioError`, replace with silence, or keep.
    progress, cancel
        See :mod:`core.jobs`.

    Returns
    -------
    OpenedAudio
        ``audio.samples`` float32 (channels, frames), same values as ``core.audio.load``.
    """
    audio, pyramid, fast = load_with_pyramid(path, base=base, factor=factor, threads=threads,
                                             nonfinite=nonfinite, progress=progress,
                                             cancel=cancel)
    lod = SpectrogramLOD(audio.samples, audio.sr, n_fft=n_fft, hop_length=hop_length,
                         scale=scale, n_bins=n_bins)
    overview = lod.overview(n_columns, cancel=cancel)
    return OpenedAudio(audio, pyramid, lod, overview, fast)


def load_with_pyramid(path: str | os.PathLike, *, base: int = 64, factor: int = 4,
                      threads: Optional[int] = None, nonfinite: str = "error",
                      progress: ProgressCallback = no_progress,
                      cancel: Optional[CancelToken] = None):
    """:func:`core.audio.load` plus the waveform pyramid, built while the blocks decode.

    Returns
    -------
    (Audio, MinMaxPyramid, bool)
        The audio (as ``load`` returns it), its pyramid, and whether the pyramid
        came from the decode pass (False: rebuilt afterwards, e.g. after cleaning).
    """
    from core.audio import load

    if nonfinite not in ("error", "clean", "keep"):
        raise InvalidParameterError(f"nonfinite must be error, clean or keep; got {nonfinite!r}.")
    threads = threads or min(4, os.cpu_count() or 1)
    level0 = _Level0(base)
    audio = load(path, nonfinite=nonfinite, on_block=level0, progress=progress, cancel=cancel)
    # The blocks saw the samples before cleaning; rebuild from the result if they differ.
    got = level0.assemble(audio.frames)
    fast = got is not None and not (nonfinite == "clean" and not _finite(got))
    if fast:
        pyramid = MinMaxPyramid.from_level0(audio.samples, *got, base=base, factor=factor)
    else:
        pyramid = MinMaxPyramid.from_samples(audio.samples, base=base, factor=factor,
                                             threads=threads)
    return audio, pyramid, fast


def _finite(level0: tuple[np.ndarray, np.ndarray]) -> bool:
    return bool(np.isfinite(level0[0]).all() and np.isfinite(level0[1]).all())
