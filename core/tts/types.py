"""Shared pieces of text-to-speech: voices, errors, parameter checks, text chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidParameterError, ResonoteError

#: Engines :func:`core.tts.synthesize` knows.
ENGINES = ("espeak", "piper", "mms")

MIN_SPEED, MAX_SPEED = 0.5, 3.0

#: Longest text synthesised in one go (about ten pages).
MAX_CHARS = 20_000


class TtsError(ResonoteError):
    """Speech could not be synthesised."""


class TtsEngineMissingError(TtsError):
    """The speech engine's program or library is not installed."""


@dataclass(frozen=True)
class Voice:
    """One voice an engine offers.

    Attributes
    ----------
    id : str
        What to pass as ``voice=`` (``"en-us"``, ``"mms-tts-eng"``).
    name : str
        Shown to the user (``"English (America)"``).
    language : str
        Language code (``"en-us"``, ``"eng"``).
    engine : str
        One of :data:`ENGINES`.
    installed : bool
        False for a neural voice that must be downloaded first.
    detail : str
        Licence, size or install state, for a tooltip.
    """

    id: str
    name: str
    language: str
    engine: str
    installed: bool = True
    detail: str = ""


def check_request(text: str, *, engine: str, speed: float) -> str:
    """Validate a synthesis request; return the text with whitespace tidied.

    Raises
    ------
    InvalidParameterError
        Empty or too long text, unknown engine, speed outside 0.5-3.
    """
    if engine not in ENGINES:
        raise InvalidParameterError(
            f"Unknown speech engine '{engine}': choose one of {', '.join(ENGINES)}.")
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise InvalidParameterError(
            f"Speed must be between {MIN_SPEED} and {MAX_SPEED} (1 is normal), not {speed:g}.")
    tidy = "\n".join(" ".join(line.split()) for line in (text or "").splitlines()).strip()
    if not any(c.isalnum() for c in tidy):
        raise InvalidParameterError("There is no text to speak: type or load some words first.")
    if len(tidy) > MAX_CHARS:
        raise InvalidParameterError(
            f"The text is too long ({len(tidy):,} characters; at most {MAX_CHARS:,} at once). "
            "Split it into parts.")
    return tidy


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def chunks(text: str, *, max_chars: int = 400) -> list[str]:
    """Split ``text`` into pieces of at most about ``max_chars`` characters.

    Paragraphs (lines) are split at sentence ends, and sentences are grouped
    up to ``max_chars``; a single longer sentence is cut at spaces.  Pieces
    are synthesised one by one, so progress and cancel work per piece.
    """
    out: list[str] = []
    for para in text.splitlines():
        cur = ""
        for sentence in _SENTENCE_END.split(para.strip()):
            if not sentence:
                continue
            while len(sentence) > max_chars:
                cut = sentence.rfind(" ", 0, max_chars)
                cut = cut if cut > 0 else max_chars
                if cur:
                    out.append(cur)
                    cur = ""
                out.append(sentence[:cut].strip())
                sentence = sentence[cut:].strip()
            if cur and len(cur) + 1 + len(sentence) > max_chars:
                out.append(cur)
                cur = ""
            cur = f"{cur} {sentence}".strip()
        if cur:
            out.append(cur)
    return [c for c in out if c]
