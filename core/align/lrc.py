"""Lyrics files: LRC (line and enhanced word timing), plus SRT/VTT/TXT/JSON through core.speech.

LRC lines look like ``[01:02.35]Words of the line``; enhanced LRC adds a
``<mm:ss.xx>`` tag before each word and one after the last word (its end)::

    [00:12.40]<00:12.40>Twinkle <00:12.95>twinkle <00:13.50>little <00:14.02>star <00:14.80>
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from core.errors import InvalidParameterError
from core.speech.export import TranscriptFileError
from core.speech.types import Transcript

#: File formats :func:`write` understands (by extension).
FORMATS = ("lrc", "srt", "vtt", "txt", "json")


_LRC_TAG = re.compile(r"\[[^\]]*\]|<\d+:\d+(?:\.\d+)?>")


def strip_lrc(text: str) -> str:
    """The plain lyrics of LRC text: time tags, word tags and header tags removed."""
    lines = [" ".join(_LRC_TAG.sub(" ", ln).split()) for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln)


def lrc_timestamp(t: float) -> str:
    """``mm:ss.xx`` (centiseconds; minutes may exceed 59); negative times clamp to zero."""
    cs = max(0, int(round(t * 100)))
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{m:02d}:{s:02d}.{cs:02d}"


def to_lrc(transcript: Transcript, *, words: bool = True, title: str = "", artist: str = "",
           album: str = "") -> str:
    """The transcript as LRC text, one lyric line per segment.

    Parameters
    ----------
    words : bool
        Enhanced LRC: a ``<mm:ss.xx>`` tag before every word and after the
        last one (needs word timings; segments without them get line tags only).
    title, artist, album : str
        Written as ``[ti:]``, ``[ar:]``, ``[al:]`` header tags when given.
    """
    out = []
    for tag, value in (("ti", title), ("ar", artist), ("al", album)):
        if value.strip():
            out.append(f"[{tag}:{' '.join(value.split())}]")
    if transcript.duration_s > 0:
        m, s = divmod(int(round(transcript.duration_s)), 60)
        out.append(f"[length:{m:02d}:{s:02d}]")
    out.append("[re:Resonote]")
    for seg in transcript.segments:
        head = f"[{lrc_timestamp(seg.start_s)}]"
        if words and seg.words:
            parts = [f"<{lrc_timestamp(w.start_s)}>{w.text.strip()}" for w in seg.words]
            out.append(f"{head}{' '.join(parts)} <{lrc_timestamp(seg.words[-1].end_s)}>")
        else:
            out.append(head + " ".join(seg.text.split()))
    return "\n".join(out) + "\n"


def render(transcript: Transcript, fmt: str, *, words: bool = True) -> str:
    """The transcript as text in format ``fmt`` (one of :data:`FORMATS`)."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "lrc":
        return to_lrc(transcript, words=words)
    if fmt not in FORMATS:
        raise InvalidParameterError(
            f"Cannot write lyrics as '{fmt or 'no extension'}': choose one of "
            f"{', '.join('.' + f for f in FORMATS)}.")
    from core.speech.export import render as speech_render

    return speech_render(transcript, fmt)


def write(transcript: Transcript, path: str | os.PathLike, *, fmt: Optional[str] = None,
          words: bool = True) -> Path:
    """Write ``transcript`` atomically as UTF-8; the format comes from the extension.

    Raises
    ------
    InvalidParameterError
        The extension (or ``fmt``) is not one of :data:`FORMATS`.
    TranscriptFileError
        The folder does not exist or is not writable.
    """
    from core.fsutil import write_text_atomic

    p = Path(path)
    text = render(transcript, fmt or p.suffix, words=words)
    write_text_atomic(p, text, error=TranscriptFileError)
    return p
