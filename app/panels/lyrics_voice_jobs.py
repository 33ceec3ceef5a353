"""Work of the Lyrics & Voice panel that runs on the job runner, and its progress row.

The worker functions import the engines (torch, transformers) when they run,
on the job's thread, never when the panel is built.
"""

from __future__ import annotations

from typing import Any

from app.jobs.inline_row import InlineJobRow as JobRow  # noqa: F401 (used by the sections)

_STATE_TEXT = {"bundled": "built in", "downloaded": "downloaded", "partial": "download paused",
               "not-installed": "not downloaded", "damaged": "damaged"}


def state_text(state: str) -> str:
    """A model's install state in the panel's words."""
    return _STATE_TEXT.get(state, state)


def align_region(audio: Any, lyrics: str, start_s: float, stop_s: float, *, progress=None,
                 cancel=None, **options: Any):
    """Worker: align ``lyrics`` to ``audio[start_s:stop_s]``; times in the result count from
    the start of ``audio`` (``start_s`` is added), and ``duration_s`` is ``stop_s``."""
    from dataclasses import replace

    from core.align import align_lyrics
    from core.jobs import no_progress
    from core.speech import Transcript

    whole = start_s <= 0 and stop_s >= audio.duration_s
    part = audio if whole else audio.slice_seconds(start_s, stop_s)
    t = align_lyrics(part, lyrics, progress=progress or no_progress, cancel=cancel, **options)
    if start_s <= 0:
        return t
    segments = [replace(s, start_s=s.start_s + start_s, end_s=s.end_s + start_s,
                        words=[replace(w, start_s=w.start_s + start_s, end_s=w.end_s + start_s)
                               for w in s.words]) for s in t.segments]
    return Transcript(segments, t.language, start_s + t.duration_s, t.model, t.task)


def speak(text: str, *, sr: int | None = None, progress=None, cancel=None, **options: Any):
    """Worker: :func:`core.tts.synthesize`, resampled to ``sr`` (the project's rate) if given."""
    from core.audio import resample
    from core.jobs import no_progress
    from core.tts import synthesize

    audio = synthesize(text, progress=progress or no_progress, cancel=cancel, **options)
    if sr and audio.sr != sr:
        audio = resample(audio, sr)
    return audio


def download(name: str, *, base_url: str | None = None, progress=None, cancel=None):
    """Worker: download registry model ``name`` into the cache; returns its path."""
    from core import models

    return models.download(name, progress=progress, cancel=cancel, base_url=base_url)


def espeak_voices() -> tuple[list[Any], str]:
    """espeak-ng's voices and ``""``, or ``[]`` and why there are none (not installed)."""
    from core.errors import ResonoteError
    from core.tts import voices

    try:
        return voices("espeak"), ""
    except ResonoteError as exc:
        return [], str(exc)
