"""Training data: the licence-checked collections of the music21 corpus as :class:`Piece` objects.

Only collections whose encodings may be used without a non-commercial restriction
are read (see :data:`COLLECTIONS` and resources/generator/README.md): the Bach
chorales (``corpus.chorales.Iterator``) and O'Neill's Music of Ireland (1850/1903,
transcribed by Norbert Paap).  The Essen folksong collection is *not* used: its
licence note permits non-commercial use only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from core.errors import ResonoteError
from core.generate.tokens import (
    METRES,
    PITCH_MAX,
    PITCH_MIN,
    STEPS_PER_QUARTER,
    VOICES,
    Event,
    Header,
    Piece,
    bar_steps,
    tonic_pc,
)
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

log = logging.getLogger(__name__)

#: Collections trained on: name -> (style, licence note).
COLLECTIONS = {
    "bach-chorales": ("chorale", "J. S. Bach (d. 1750), public domain; encodings distributed "
                                 "with music21 with no non-commercial restriction"),
    "oneills1850": ("folk", "O'Neill's Music of Ireland (1903), public domain; ABC "
                            "transcriptions by Norbert Paap, no restriction stated"),
}
#: Collections looked at and left out, with the reason.
EXCLUDED = {
    "essenFolksong": "licence note: permission for non-commercial distribution and use only",
}
DEFAULT_TEMPO = {"chorale": 80.0, "folk": 112.0}


class CorpusError(ResonoteError):
    """The training corpus could not be read."""


@dataclass
class CorpusPiece:
    """One tokenizable piece with its corpus identifier (``"bach/bwv269"``, ``"oneills1850/0001-0050.abc#3"``)."""

    id: str
    piece: Piece

    def to_dict(self) -> dict:
        h = self.piece.header
        return {"id": self.id, "style": h.style, "key_pc": h.key_pc, "mode": h.mode,
                "metre": h.metre, "tempo": h.tempo_bpm, "n_bars": self.piece.n_bars,
                "events": [[e.start, e.voice, e.pitch, e.dur, e.velocity]
                           for e in self.piece.events]}

    @classmethod
    def from_dict(cls, d: dict) -> CorpusPiece:
        h = Header(d["style"], d["key_pc"], d["mode"], d["metre"], d["tempo"])
        return cls(d["id"], Piece(h, [Event(*e) for e in d["events"]], d["n_bars"]))


def estimate_key_of_events(events: list[Event]) -> tuple[int, str]:
    """Key (tonic pitch class, mode) of events by Krumhansl-Schmuckler on a duration histogram."""
    from core.notes.harmony import key_from_chroma

    hist = np.zeros(12)
    for e in events:
        hist[e.pitch % 12] += e.dur
    k = key_from_chroma(hist)
    return tonic_pc(k.tonic), k.mode


def _metre_of(score) -> Optional[str]:
    for ts in score.recurse().getElementsByClass("TimeSignature"):
        if ts.ratioString in METRES:
            return ts.ratioString
    return None


def score_to_piece(score, *, style: str, voices: tuple[int, ...]) -> Optional[Piece]:
    """Quantise a music21 score to a :class:`Piece`, or None when it cannot be represented.

    ``voices`` gives the voice index (into :data:`VOICES`) of each part in order;
    scores with a different number of parts, an unsupported metre, or notes off
    the sixteenth grid beyond rounding are skipped by returning None.
    """
    metre = _metre_of(score)
    parts = list(score.parts)
    if metre is None or len(parts) != len(voices):
        return None
    bar_len = bar_steps(metre)
    measures = parts[0].getElementsByClass("Measure")
    shift = 0
    if len(measures):  # a pickup bar starts part-way into bar 1
        first = measures[0].duration.quarterLength * STEPS_PER_QUARTER
        if 0 < first < bar_len:
            shift = int(round(bar_len - first))
    events: list[Event] = []
    for part, voice in zip(parts, voices, strict=True):
        last: dict[int, int] = {}  # pitch -> index of its last event (to merge ties)
        for n in part.flatten().notes:
            if n.duration.isGrace or n.quarterLength <= 0:
                continue
            start = int(round(float(n.offset) * STEPS_PER_QUARTER)) + shift
            dur = max(1, int(round(float(n.quarterLength) * STEPS_PER_QUARTER)))
            vel = int(n.volume.velocity) if n.volume.velocity is not None else 88
            for p in n.pitches:
                midi = int(round(p.ps))
                if not PITCH_MIN <= midi <= PITCH_MAX:
                    continue
                j = last.get(midi)
                tied = n.tie is not None and n.tie.type in ("stop", "continue")
                if tied and j is not None and events[j].end == start:
                    e = events[j]
                    events[j] = Event(e.start, e.voice, e.pitch, e.dur + dur, e.velocity)
                    continue
                last[midi] = len(events)
                events.append(Event(start, voice, midi, dur, vel))
    if len(events) < 8:
        return None
    key_pc, mode = estimate_key_of_events(events)
    n_bars = max(e.start for e in events) // bar_len + 1
    return Piece(Header(style, key_pc, mode, metre, DEFAULT_TEMPO[style]), sorted(events), n_bars)


def iter_chorales(limit: Optional[int] = None) -> Iterator[tuple[str, object]]:
    """(id, music21 score) of the Bach chorales in four parts, in corpus order."""
    from music21 import corpus

    names = list(corpus.chorales.Iterator(returnType="filename"))
    for name in names[:limit]:
        yield name, corpus.parse(name)


def iter_oneills(limit: Optional[int] = None) -> Iterator[tuple[str, object]]:
    """(id, music21 score) of every tune in the O'Neill collection."""
    from music21 import corpus

    folder = Path(corpus.__file__).parent / "oneills1850"
    count = 0
    for f in sorted(folder.glob("*.abc")):
        opus = corpus.parse(f"oneills1850/{f.name}")
        scores = opus.scores if hasattr(opus, "scores") else [opus]
        for i, s in enumerate(scores):
            if limit is not None and count >= limit:
                return
            count += 1
            yield f"oneills1850/{f.name}#{i}", s


def load_corpus(
    *,
    collections: tuple[str, ...] = tuple(COLLECTIONS),
    limit: Optional[int] = None,
    cache_path: Optional[os.PathLike] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> list[CorpusPiece]:
    """Parse the training collections into pieces (cached as JSON when ``cache_path`` is given).

    Parameters
    ----------
    collections : tuple of str
        Keys of :data:`COLLECTIONS`.
    limit : int, optional
        At most this many pieces per collection (tests, quick runs).

    Returns
    -------
    list of CorpusPiece
        In a fixed order (collection, then corpus order).
    """
    for c in collections:
        if c not in COLLECTIONS:
            why = EXCLUDED.get(c, "not a licence-checked collection")
            raise CorpusError(f"The collection '{c}' cannot be used for training ({why}).")
    key = json.dumps([sorted(collections), limit, 1])
    if cache_path is not None and Path(cache_path).is_file():
        data = json.loads(Path(cache_path).read_text())
        if data.get("key") == key:
            return [CorpusPiece.from_dict(d) for d in data["pieces"]]
    out: list[CorpusPiece] = []
    for c in collections:
        style = COLLECTIONS[c][0]
        source = iter_chorales(limit) if c == "bach-chorales" else iter_oneills(limit)
        voices = (1, 2, 3, 4) if style == "chorale" else (0,)
        for i, (pid, score) in enumerate(source):
            check(cancel)
            piece = score_to_piece(score, style=style, voices=voices)
            if piece is not None:
                out.append(CorpusPiece(pid, piece))
            progress(Progress("corpus", i + 1, 0, f"{c}: {pid}"))
    if cache_path is not None:
        Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(str(cache_path) + ".part")
        tmp.write_text(json.dumps({"key": key, "pieces": [p.to_dict() for p in out]}))
        os.replace(tmp, cache_path)
    return out


def split_of(piece_id: str, *, valid_frac: float = 0.05, test_frac: float = 0.05) -> str:
    """``"train"``, ``"valid"`` or ``"test"``: a fixed hash of the id, stable across runs."""
    h = int(hashlib.sha256(piece_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test_frac else "valid" if h < test_frac + valid_frac else "train"


def split_corpus(pieces: list[CorpusPiece]) -> dict[str, list[CorpusPiece]]:
    """The pieces grouped by :func:`split_of`."""
    out: dict[str, list[CorpusPiece]] = {"train": [], "valid": [], "test": []}
    for p in pieces:
        out[split_of(p.id)].append(p)
    return out


def voice_name(index: int) -> str:
    return VOICES[index]


def load_full_corpus() -> list[CorpusPiece]:
    """The full corpus, from the training cache when present (benchmarks)."""
    from core.generate.train import default_corpus_cache

    return load_corpus(cache_path=default_corpus_cache())
