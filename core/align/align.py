"""Lyrics alignment: place every word and line of known lyrics in time in a vocal recording."""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from core.align.ctc import AlignmentError, align_words, min_frames, targets_for
from core.align.model import DEFAULT_MODEL, CtcModel, emissions, load_model
from core.align.text import LyricLine, parse_lyrics
from core.audio import Audio, resample
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.speech.types import Segment, Transcript, Word

#: ``Transcript.task`` of an alignment result.
TASK = "align"


def check_lyrics(lyrics: str) -> None:
    """Raise :class:`InvalidParameterError` when ``lyrics`` has no line to align."""
    if not lyrics or not lyrics.strip():
        raise InvalidParameterError("The lyrics are empty: paste or load the words first.")
    if not parse_lyrics(lyrics, set("abcdefghijklmnopqrstuvwxyz'")):
        raise InvalidParameterError(
            "The lyrics hold only section tags such as [Chorus]: add the sung words.")


def align_lyrics(
    audio: Audio,
    lyrics: str,
    *,
    model: str = DEFAULT_MODEL,
    device: Optional[str] = None,
    window_s: float = 30.0,
    silence_db: float = -60.0,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Transcript:
    """Time every word and line of ``lyrics`` in ``audio`` (karaoke timing).

    Parameters
    ----------
    audio : Audio
        The singing, ideally a separated vocal stem; any rate and channel
        count (mixed to mono and resampled to the model's rate, 16 kHz).
    lyrics : str
        One sung line per text line.  Blank lines and section tags such as
        ``[Chorus]`` are skipped; punctuation, case and accents do not
        matter; digits are read as English words.
    model : str
        Registry name of a CTC alignment model (``resonote models list``).
    device : str, optional
        ``"auto"``, ``"cuda"``, ``"cpu"``... (see :func:`core.devices.pick`).
    window_s : float
        Seconds of audio per network call; smaller uses less memory.
    silence_db : float
        Audio whose peak is below this level (dBFS) is refused as silent.

    Returns
    -------
    Transcript
        ``segments`` are the lyric lines in order, each with its ``words``
        (``start_s``/``end_s`` in seconds from the start of ``audio``,
        ``probability`` the model's mean confidence in the word's letters);
        ``task`` is ``"align"``.  Words with no letter the model knows
        (``"&"``, ``"—"``) get a zero-length time next to their neighbour.

    Raises
    ------
    InvalidParameterError
        Empty lyrics, bad ``window_s``.
    AlignmentError
        Silent audio, lyrics far too long for the audio, or no letter of the
        lyrics known to the model.
    ModelNotInstalledError, UnknownModelError
        The model must be downloaded first / does not exist.
    """
    check_lyrics(lyrics)
    if not 1.0 <= window_s <= 600.0:
        raise InvalidParameterError("The alignment window must be 1 to 600 seconds.")
    audio.check_finite()
    peak = float(np.max(np.abs(audio.samples))) if audio.frames else 0.0
    if audio.frames == 0 or peak <= 10 ** (silence_db / 20):
        raise AlignmentError("The audio is silent, so there is no singing to align the "
                             "lyrics to.")
    progress(Progress("load", 0, 1, f"loading {model}"))
    m = load_model(model, device=device, cancel=cancel)
    lines = parse_lyrics(lyrics, m.characters)
    words = [t for line in lines for w in line.words if (t := _tokens(m, w.spelling))]
    if not words:
        raise _unknown_letters(m, model)  # before the costly listening
    frames = m.frames_for(int(audio.frames * m.sample_rate / audio.sr))
    need = min_frames(targets_for(words, delimiter=m.delimiter)[0])
    if frames < need:
        raise AlignmentError(
            f"The lyrics are too long for this audio: {len(words)} words need at least "
            f"{need * m.frame_s:.1f} s and the audio is {audio.duration_s:.1f} s. Check that "
            "the lyrics belong to this recording, or align a longer stretch.")
    check(cancel)
    mono = audio.mono() if audio.channels > 1 else audio
    if mono.sr != m.sample_rate:
        mono = resample(mono, m.sample_rate)
    x = mono.samples[0]
    if m.frames_for(x.size) == 0:
        raise AlignmentError("The audio is too short to align anything.")
    lp = emissions(m, x, window_s=window_s, progress=progress, cancel=cancel)
    check(cancel)
    progress(Progress("search", 0, 1, "placing the words"))
    segments = place_lines(lp, lines, m, model_name=model)
    progress(Progress("search", 1, 1, "done"))
    return Transcript(segments, _language(model), audio.duration_s, model, TASK)


def place_lines(log_probs: np.ndarray, lines: list[LyricLine], model: CtcModel, *,
                model_name: str = "") -> list[Segment]:
    """Lyric lines placed in time by forced alignment over ``log_probs``.

    Parameters
    ----------
    log_probs : np.ndarray [shape=(frames, len(model.labels))]
        Frame log-probabilities; frame ``i`` starts at ``i * model.frame_s`` s.
    lines : list of LyricLine
        From :func:`core.align.parse_lyrics` with ``model.characters``.
    model : CtcModel
        Only its vocabulary and frame rate are used (``network`` may be None).

    Returns
    -------
    list of Segment
        One per line, with one :class:`Word` per written word.
    """
    flat = [(li, w) for li, line in enumerate(lines) for w in line.words]
    ids = [(k, _tokens(model, w.spelling)) for k, (_li, w) in enumerate(flat)]
    ids = [(k, t) for k, t in ids if t]
    if not ids:
        raise _unknown_letters(model, model_name or model.name)
    spans = align_words(log_probs, [t for _k, t in ids], blank=model.blank,
                        delimiter=model.delimiter)
    times: list[Optional[tuple[float, float, float]]] = [None] * len(flat)
    for (k, _t), span in zip(ids, spans, strict=True):
        times[k] = (span.start_frame * model.frame_s, span.end_frame * model.frame_s, span.score)
    _fill_unaligned(times, [li for li, _w in flat])
    words_by_line: list[list[Word]] = [[] for _ in lines]
    for (li, w), t in zip(flat, times, strict=True):
        words_by_line[li].append(Word(t[0], t[1], f" {w.text}", t[2]))
    segments = []
    for line, words in zip(lines, words_by_line, strict=True):
        scores = [w.probability for w in words if w.end_s > w.start_s]
        logprob = float(np.mean([math.log(max(s, 1e-6)) for s in scores])) if scores else 0.0
        segments.append(Segment(words[0].start_s, words[-1].end_s, line.text, words,
                                avg_logprob=logprob, no_speech_prob=0.0))
    return segments


def _tokens(model: CtcModel, spelling: str) -> list[int]:
    """Token ids of a spelled word; its parts ("NINETEEN NINETY") joined by the delimiter."""
    return model.token_ids(spelling.replace(" ", "|" if model.delimiter is not None else ""))


def _unknown_letters(model: CtcModel, name: str) -> AlignmentError:
    known = "".join(sorted(c for c in model.characters if c.isalpha()))
    return AlignmentError(f"None of the letters in the lyrics are known to model '{name}' (it "
                          f"reads: {known}). Is it a model for this language?")


def _language(model: str) -> str:
    from core import models

    return models.get(model).extra.get("language", "")


def _fill_unaligned(times: list, line_of: list[int]) -> None:
    """Give each unaligned word (None) a zero-length time next to an aligned neighbour,
    preferring one in its own line: the previous word's end, else the next word's start."""
    aligned = [k for k, t in enumerate(times) if t is not None]
    for k, t in enumerate(times):
        if t is not None:
            continue
        before = [j for j in aligned if j < k]
        after = [j for j in aligned if j > k]
        same_before = [j for j in before if line_of[j] == line_of[k]]
        same_after = [j for j in after if line_of[j] == line_of[k]]
        if same_before:
            at = times[same_before[-1]][1]
        elif same_after:
            at = times[same_after[0]][0]
        elif before:
            at = times[before[-1]][1]
        else:
            at = times[after[0]][0]
        times[k] = (at, at, 0.0)
