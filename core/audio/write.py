"""Saving audio files atomically; the format follows the extension.

The data goes to a temporary file in the destination folder, which is then renamed
over the destination, so a crash never leaves a half-written file behind and the
source file is never modified.  Disk-backed scratch arrays (:mod:`core.scratch`,
separated stems) are written block by block with their pages released as they go.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from core.audio.types import Audio
from core.errors import (
    AudioFileError,
    EmptyAudioError,
    InvalidParameterError,
    UnsupportedFormatError,
)
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

#: Frames encoded per block (a few MB of float32 at a time).
BLOCK_FRAMES = 1 << 18

# Extension -> (soundfile format, default subtype) for writing.
_WRITE_FORMATS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".aiff": ("AIFF", "PCM_16"),
    ".aif": ("AIFF", "PCM_16"),
}

#: Friendly names for ``subtype=`` when saving.
SUBTYPES = {
    "16": "PCM_16", "pcm16": "PCM_16", "24": "PCM_24", "pcm24": "PCM_24",
    "32": "PCM_32", "32f": "FLOAT", "float": "FLOAT", "64f": "DOUBLE",
}


def write_formats() -> dict[str, tuple[str, str]]:
    """Extension -> (container, default subtype) for every format :func:`save` writes."""
    return dict(_WRITE_FORMATS)


def save(
    audio: Audio,
    path: str | os.PathLike,
    *,
    subtype: Optional[str] = None,
    overwrite: bool = False,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Path:
    """Write ``audio`` to ``path`` atomically; the format follows the extension.

    Parameters
    ----------
    audio : Audio
    path : path-like
        ``.wav``, ``.flac``, ``.ogg``/``.oga`` (Vorbis), ``.opus``, ``.mp3``, ``.aif(f)``.
    subtype : str, optional
        Sample format: ``"16"``, ``"24"``, ``"32"`` (int), ``"32f"`` (float) or a
        libsndfile subtype name.  Default: 16-bit for PCM formats.
    overwrite : bool
        Replace an existing file.  Without it an existing destination raises
        :class:`~core.errors.AudioFileError`; the file ``audio`` was loaded
        from is never replaced unless ``overwrite`` is set.

    Returns
    -------
    Path
        The written file.
    """
    import soundfile as sf

    p = Path(path)
    ext = p.suffix.lower()
    if ext not in _WRITE_FORMATS:
        known = ", ".join(sorted(_WRITE_FORMATS))
        raise UnsupportedFormatError(
            f"Cannot save as '{ext or p.name}': choose one of {known}.", path=str(p))
    fmt, default_sub = _WRITE_FORMATS[ext]
    sub = default_sub if subtype is None else SUBTYPES.get(str(subtype).lower(), str(subtype).upper())
    if not sf.check_format(fmt, sub):
        raise InvalidParameterError(f"{ext} files cannot hold sample format '{subtype}'.")
    if p.is_dir():
        raise AudioFileError(f"'{p}' is a folder.", path=str(p))
    if p.exists() and not overwrite:
        raise AudioFileError(f"'{p}' already exists (not overwritten).", path=str(p))
    if not p.parent.exists():
        raise AudioFileError(f"The folder '{p.parent}' does not exist.", path=str(p))
    if audio.frames == 0:
        raise EmptyAudioError("There is no audio to save (zero length).", path=str(p))
    sr = audio.sr
    if fmt == "OGG" and sub == "OPUS" and sr not in (8000, 12000, 16000, 24000, 48000):
        from core.audio.resample import resample

        audio, sr = resample(audio, 48000), 48000
    if fmt == "MP3" and audio.channels > 2:
        raise InvalidParameterError("MP3 holds at most 2 channels; choose WAV or FLAC.")

    from core.fsutil import atomic_path
    from core.scratch import is_scratch, release

    scratch = is_scratch(audio.samples)  # disk-backed (stems): keep its pages out of memory
    try:
        with atomic_path(p) as tmp, sf.SoundFile(
                tmp, "w", samplerate=sr, channels=audio.channels, format=fmt, subtype=sub) as f:
            total = audio.frames
            for a in range(0, total, BLOCK_FRAMES):
                check(cancel)
                b = min(total, a + BLOCK_FRAMES)
                f.write(np.ascontiguousarray(audio.samples[:, a:b].T))
                if scratch:
                    release(audio.samples)
                progress(Progress("encode", b, total, f"Writing {p.name}"))
    except sf.LibsndfileError as exc:
        raise AudioFileError(f"Cannot write '{p.name}': {exc}.", path=str(p)) from None
    return p
