"""Transcript data: words, segments and whole transcripts, with a JSON round trip.

A :class:`Transcript` is plain data (no model, no numpy) so it can be stored
as a project layer (``Layer(kind="transcript", data=transcript.to_dict())``),
edited in the transcript pane and exported.  Times are seconds from the start
of the transcribed audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

#: Version of the dictionary layout written by :meth:`Transcript.to_dict`.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Word:
    """One recognised word.

    Attributes
    ----------
    start_s, end_s : float
        Seconds from the start of the audio; ``start_s <= end_s``.
    text : str
        The word as Whisper wrote it, usually with its leading space and
        attached punctuation (``" Hello,"``).
    probability : float
        Model confidence in [0, 1].
    """

    start_s: float
    end_s: float
    text: str
    probability: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "text": self.text,
                "probability": self.probability}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(float(d["start_s"]), float(d["end_s"]), str(d["text"]),
                   float(d.get("probability", 1.0)))


@dataclass(frozen=True)
class Segment:
    """A stretch of speech, roughly a sentence or a subtitle.

    Attributes
    ----------
    start_s, end_s : float
        Seconds from the start of the audio.
    text : str
        The segment's text, stripped of surrounding spaces.
    words : list of Word
        Word timings; empty unless transcribed with ``word_timestamps=True``.
    avg_logprob : float
        Mean token log-probability (higher is more confident; below about -1
        is doubtful).
    no_speech_prob : float
        Model's probability that the segment holds no speech, in [0, 1].
    """

    start_s: float
    end_s: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0

    def with_text(self, text: str) -> Segment:
        """A copy with edited text; timings are kept (word timings only if the words still match)."""
        words = self.words if _words_match(self.words, text) else []
        return replace(self, text=text.strip(), words=list(words))

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "text": self.text,
                "words": [w.to_dict() for w in self.words],
                "avg_logprob": self.avg_logprob, "no_speech_prob": self.no_speech_prob}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(float(d["start_s"]), float(d["end_s"]), str(d["text"]),
                   [Word.from_dict(w) for w in d.get("words", [])],
                   float(d.get("avg_logprob", 0.0)), float(d.get("no_speech_prob", 0.0)))


@dataclass
class Transcript:
    """The result of transcribing one piece of audio.

    Attributes
    ----------
    segments : list of Segment
        In time order; empty when no speech was found.
    language : str
        ISO 639-1 code of the (detected or chosen) spoken language, ``""`` when
        there was no speech to detect it from; with ``task="translate"`` the
        text itself is English.
    duration_s : float
        Length of the transcribed audio in seconds.
    model : str
        Registry name of the model that produced it.
    task : {"transcribe", "translate"}
    """

    segments: list[Segment]
    language: str
    duration_s: float
    model: str
    task: str = "transcribe"

    @property
    def text(self) -> str:
        """All segment texts joined by single spaces."""
        return " ".join(s.text for s in self.segments if s.text).strip()

    @property
    def words(self) -> list[Word]:
        """Every word of every segment, in order (empty without word timestamps)."""
        return [w for s in self.segments for w in s.words]

    def __bool__(self) -> bool:  # an empty transcript is falsy: "no speech found"
        return bool(self.text)

    def segment_at(self, time_s: float) -> Optional[int]:
        """Index of the segment playing at ``time_s`` seconds, or None between segments."""
        for i, s in enumerate(self.segments):
            if s.start_s <= time_s < s.end_s:
                return i
        return None

    def find(self, query: str) -> list[tuple[int, int]]:
        """Where ``query`` occurs, as ``(segment_index, word_index)`` pairs.

        Matching ignores case and punctuation; a query of several words matches
        consecutive words (also across segment boundaries) and returns the
        position of its first word.  Segments without word timings are
        searched by their text split on spaces, so the indices then count
        those text words.
        """
        needle = _tokens(query)
        if not needle:
            return []
        flat: list[tuple[int, int, str]] = []
        for si, seg in enumerate(self.segments):
            words = [w.text for w in seg.words] if seg.words else seg.text.split()
            for wi, w in enumerate(words):
                for tok in _tokens(w) or [""]:
                    flat.append((si, wi, tok))
        hits: list[tuple[int, int]] = []
        n = len(needle)
        for k in range(len(flat) - n + 1):
            if all(flat[k + j][2] == needle[j] for j in range(n)):
                pos = (flat[k][0], flat[k][1])
                if not hits or hits[-1] != pos:
                    hits.append(pos)
        return hits

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (only str, float, list, dict)."""
        return {"schema": SCHEMA_VERSION, "language": self.language,
                "duration_s": self.duration_s, "model": self.model, "task": self.task,
                "segments": [s.to_dict() for s in self.segments]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        """Inverse of :meth:`to_dict`; raises ValueError on a newer or broken layout."""
        schema = int(d.get("schema", SCHEMA_VERSION))
        if schema > SCHEMA_VERSION:
            raise ValueError(f"transcript schema {schema} is newer than this Resonote "
                             f"({SCHEMA_VERSION})")
        try:
            return cls([Segment.from_dict(s) for s in d["segments"]], str(d["language"]),
                       float(d["duration_s"]), str(d["model"]), str(d.get("task", "transcribe")))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a transcript: {exc}") from exc


_WORD_RE = re.compile(r"[\w']+", re.UNICODE)


def _tokens(text: str) -> list[str]:
    return [t.strip("'") for t in _WORD_RE.findall(text.lower()) if t.strip("'")]


def _words_match(words: list[Word], text: str) -> bool:
    return bool(words) and _tokens(" ".join(w.text for w in words)) == _tokens(text)
