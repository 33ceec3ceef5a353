"""Transcript files: plain text, SRT and WebVTT subtitles, and JSON with word timings.

Subtitle cues follow common practice: at most ``max_line_chars`` (42)
characters a line and ``max_lines`` (2) lines a cue; longer segments are split
into several cues, at word timings when the transcript has them, otherwise in
proportion to the characters.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Optional

from core.errors import InvalidParameterError, ResonoteError
from core.speech.types import Segment, Transcript

#: File extensions (without dot) that :func:`write` understands.
FORMATS = ("txt", "srt", "vtt", "json")


class TranscriptFileError(ResonoteError):
    """A transcript file could not be written or read."""


def format_timestamp(t: float, *, sep: str = ",", hours: bool = True) -> str:
    """``HH:MM:SS,mmm`` (SRT, ``sep=","``) or ``HH:MM:SS.mmm`` (VTT, ``sep="."``).

    ``t`` is in seconds, rounded to the nearest millisecond; negative times
    clamp to zero.  ``hours=False`` drops the hours field when it is zero.
    """
    ms = max(0, int(round(t * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    head = f"{h:02d}:" if (hours or h) else ""
    return f"{head}{m:02d}:{s:02d}{sep}{ms:03d}"


def to_txt(transcript: Transcript, *, timestamps: bool = False) -> str:
    """One segment per line; with ``timestamps`` each line starts ``[MM:SS.mmm]``."""
    lines = []
    for seg in transcript.segments:
        if timestamps:
            lines.append(f"[{format_timestamp(seg.start_s, sep='.', hours=False)}] {seg.text}")
        else:
            lines.append(seg.text)
    return "\n".join(lines) + ("\n" if lines else "")


def subtitle_cues(transcript: Transcript, *, max_line_chars: int = 42,
                  max_lines: int = 2) -> list[tuple[float, float, str]]:
    """Cues ``(start_s, end_s, text)`` with lines wrapped at ``max_line_chars``.

    A segment too long for ``max_lines`` lines becomes several consecutive cues.
    """
    if max_line_chars < 10 or max_lines < 1:
        raise InvalidParameterError("Subtitle lines need at least 10 characters and 1 line.")
    limit = max_line_chars * max_lines
    cues: list[tuple[float, float, str]] = []
    for seg in transcript.segments:
        for start, end, text in _split_segment(seg, limit):
            lines = textwrap.wrap(text, max_line_chars, break_long_words=True) or [text]
            cues.append((start, max(end, start + 0.001), "\n".join(lines)))
    return cues


def _split_segment(seg: Segment, limit: int) -> list[tuple[float, float, str]]:
    if len(seg.text) <= limit:
        return [(seg.start_s, seg.end_s, seg.text)]
    if seg.words:
        out, cur, cur_start = [], "", seg.words[0].start_s
        prev_end = cur_start
        for w in seg.words:
            piece = w.text.strip()
            if cur and len(cur) + 1 + len(piece) > limit:
                out.append((cur_start, prev_end, cur))
                cur, cur_start = "", w.start_s
            cur = f"{cur} {piece}".strip()
            prev_end = w.end_s
        if cur:
            out.append((cur_start, prev_end, cur))
        return out
    # No word timings: cut at spaces, timing each part by its share of characters.
    parts, cur = [], ""
    for word in seg.text.split():
        if cur and len(cur) + 1 + len(word) > limit:
            parts.append(cur)
            cur = ""
        cur = f"{cur} {word}".strip()
    if cur:
        parts.append(cur)
    total = sum(len(p) for p in parts) or 1
    span = seg.end_s - seg.start_s
    out, t = [], seg.start_s
    for p in parts:
        t_end = t + span * len(p) / total
        out.append((t, t_end, p))
        t = t_end
    return out


def to_srt(transcript: Transcript, *, max_line_chars: int = 42, max_lines: int = 2) -> str:
    """SubRip text: numbered cues, ``00:00:01,234 --> 00:00:02,000``, blank line between."""
    blocks = []
    for i, (a, b, text) in enumerate(subtitle_cues(
            transcript, max_line_chars=max_line_chars, max_lines=max_lines), 1):
        blocks.append(f"{i}\n{format_timestamp(a)} --> {format_timestamp(b)}\n{text}\n")
    return "\n".join(blocks)


def to_vtt(transcript: Transcript, *, max_line_chars: int = 42, max_lines: int = 2) -> str:
    """WebVTT text: ``WEBVTT`` header and cues ``00:00:01.234 --> 00:00:02.000``."""
    blocks = ["WEBVTT\n"]
    for a, b, text in subtitle_cues(transcript, max_line_chars=max_line_chars,
                                    max_lines=max_lines):
        text = text.replace("-->", "->")  # "-->" would end the cue's text early
        blocks.append(f"{format_timestamp(a, sep='.')} --> {format_timestamp(b, sep='.')}\n"
                      f"{text}\n")
    return "\n".join(blocks)


def to_json(transcript: Transcript) -> str:
    """:meth:`Transcript.to_dict` as indented UTF-8 JSON (word timings included)."""
    return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render(transcript: Transcript, fmt: str, *, max_line_chars: int = 42) -> str:
    """The transcript as text in format ``fmt`` (one of :data:`FORMATS`)."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "txt":
        return to_txt(transcript)
    if fmt == "srt":
        return to_srt(transcript, max_line_chars=max_line_chars)
    if fmt == "vtt":
        return to_vtt(transcript, max_line_chars=max_line_chars)
    if fmt == "json":
        return to_json(transcript)
    raise InvalidParameterError(
        f"Cannot write a transcript as '{fmt}': choose one of {', '.join(FORMATS)}.")


def write(transcript: Transcript, path: str | os.PathLike, *, fmt: Optional[str] = None,
          max_line_chars: int = 42) -> Path:
    """Write ``transcript`` atomically (temp file + rename) as UTF-8; format from the extension.

    Raises
    ------
    InvalidParameterError
        The extension (or ``fmt``) is not one of :data:`FORMATS`.
    TranscriptFileError
        The folder does not exist or is not writable.
    """
    p = Path(path)
    text = render(transcript, fmt or p.suffix, max_line_chars=max_line_chars)
    from core.fsutil import write_text_atomic

    write_text_atomic(p, text, error=TranscriptFileError)
    return p


def read_json(path: str | os.PathLike) -> Transcript:
    """Load a transcript written by :func:`write` as JSON."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return Transcript.from_dict(data)
    except OSError as exc:
        raise TranscriptFileError(f"Cannot read '{p}': {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise TranscriptFileError(f"'{p.name}' is not a Resonote transcript ({exc}).") from None
