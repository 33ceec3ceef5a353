"""Speech to text with Whisper (faster-whisper / CTranslate2), offline by default."""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, Optional

import numpy as np

from core.audio import Audio, resample
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.speech.loader import (
    DEFAULT_MODEL,
    Placement,
    is_english_only,
    load_model,
    model_path,
    placement,
    resolve_name,
)
from core.speech.types import Segment, Transcript, Word
from core.speech.vad import VAD_SR, VadSettings, speech_regions

log = logging.getLogger(__name__)

TASKS = ("transcribe", "translate")
MAX_BEAM_SIZE = 20

# A segment with nothing but punctuation, "[Music]", "(applause)" or "♪" is Whisper
# describing non-speech, not words anyone said.
_NON_SPEECH = re.compile(r"^[\s\W]*(?:(?:\[[^\]]*\]|\([^)]*\))[\s\W]*)*$")

# Whisper skips a 30 s window when no_speech_prob > 0.6 and avg_logprob < -1.  Music
# that slips past the VAD gives stock phrases ("Thank you.") that the model itself
# rates as probably-not-speech but at a middling log-probability; real speech in
# our test recordings scores no_speech_prob < 0.1.  Drop segments that are both.
NO_SPEECH_PROB = 0.6
DOUBTFUL_LOGPROB = -0.5


def transcribe(
    audio: Audio,
    *,
    model: str = DEFAULT_MODEL,
    language: Optional[str] = None,
    task: str = "transcribe",
    word_timestamps: bool = False,
    initial_prompt: Optional[str] = None,
    beam_size: int = 5,
    vad: bool = True,
    vad_settings: VadSettings = VadSettings(),
    device: Optional[str] = None,
    compute_type: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Transcript:
    """Transcribe (or translate to English) the speech in ``audio``.

    Parameters
    ----------
    audio : Audio
        Any rate and channel count; mixed to mono and resampled to 16 kHz.
    model : str
        Registry name of a speech model (``resonote models list``) or a Whisper
        size (``"tiny.en"``, ``"base"``, ``"large-v3"``).  The default is the
        embedded Whisper tiny.en, which needs no download.
    language : str, optional
        ISO 639-1 code of the spoken language (``"en"``, ``"de"``); None or
        ``"auto"`` detects it.  English-only models accept only ``"en"``.
    task : {"transcribe", "translate"}
        ``"translate"`` writes English text whatever the spoken language
        (needs a multilingual model).
    word_timestamps : bool
        Also time every word (:attr:`Segment.words`); costs roughly 10-20 %.
    initial_prompt : str, optional
        Text that primes the vocabulary and style (band names, jargon).
    beam_size : int
        Beam search width, 1 (greedy, fastest) to 20.
    vad : bool
        Transcribe only the regions Silero VAD marks as speech (recommended:
        avoids invented text on silence and music).
    vad_settings : VadSettings
        Tuning of the speech detector.
    device : str, optional
        Preference for :func:`core.devices.pick`; CUDA runs in float16, the CPU in int8.
    compute_type : str, optional
        CTranslate2 number type overriding that choice (``"int8"``, ``"float32"``...).
    progress, cancel
        See :mod:`core.jobs`.  Stages ``"load"``, ``"vad"`` and ``"transcribe"``
        (done/total in seconds of audio).  With a ``cancel`` token Whisper runs in a
        worker thread, so cancelling raises :class:`JobCancelled` within ~0.05 s
        (the worker drops out after the 30 s window it is decoding).

    Returns
    -------
    Transcript
        Segments with times in seconds from the start of ``audio``; empty (no
        segments) when no speech was found, and then ``language`` is ``""``
        unless it was given or the model is English-only.

    Raises
    ------
    UnknownModelError, ModelNotInstalledError, ChecksumError
        The model is unknown, not downloaded, or its files are damaged.
    InvalidParameterError
        Bad language, task or beam size, or a language an English-only model
        cannot handle.
    NonFiniteAudioError
        ``audio`` contains NaN or Inf.
    JobCancelled
    """
    name, language = check_options(model=model, language=language, task=task,
                                   beam_size=beam_size)
    check(cancel)
    audio.check_finite()
    x = _to_whisper_input(audio)
    duration_s = audio.duration_s
    empty = Transcript([], language or "", duration_s, name, task)  # "": never detected

    progress(Progress("load", 0, 1, f"Loading {name}"))
    path = model_path(name, cancel=cancel)
    where = placement(device, compute_type)
    whisper = load_model(path, where)
    progress(Progress("load", 1, 1, f"Loaded {name} ({where.device}, {where.compute_type})"))
    check(cancel)

    if x.shape[0] < VAD_SR // 10:  # under 0.1 s: nothing Whisper can hear
        return empty
    regions = None
    if vad:
        regions = speech_regions(x, settings=vad_settings, progress=progress, cancel=cancel)
        if not regions:
            progress(Progress("transcribe", duration_s, duration_s, "No speech found"))
            return empty
    options = dict(language=language, task=task, beam_size=int(beam_size),
                   word_timestamps=bool(word_timestamps), initial_prompt=initial_prompt or None)
    try:
        segments, lang = decode_regions(whisper, x, regions, options, duration_s, progress, cancel)
    except Exception as exc:
        from core.devices import is_oom

        if where.device == "cpu" or not is_oom(exc):
            raise
        log.warning("Out of GPU memory while transcribing; continuing on the CPU.")
        whisper = load_model(path, Placement("cpu", 0, "int8"))
        segments, lang = decode_regions(whisper, x, regions, options, duration_s, progress, cancel)
    progress(Progress("transcribe", duration_s, duration_s, "Done"))
    return Transcript(segments, lang, duration_s, name, task)


def check_options(*, model: str = DEFAULT_MODEL, language: Optional[str] = None,
                  task: str = "transcribe", beam_size: int = 5) -> tuple[str, Optional[str]]:
    """Validate :func:`transcribe` options without loading anything heavy.

    Returns
    -------
    (model_name, language)
        The registry name of ``model`` and the language code to use (None:
        detect; ``"en"`` for English-only models).

    Raises
    ------
    UnknownModelError, InvalidParameterError
    """
    name = resolve_name(model)
    if task not in TASKS:
        raise InvalidParameterError(f"Task must be 'transcribe' or 'translate'; got '{task}'.")
    if not isinstance(beam_size, (int, np.integer)) or not 1 <= beam_size <= MAX_BEAM_SIZE:
        raise InvalidParameterError(
            f"Beam size must be a whole number from 1 to {MAX_BEAM_SIZE}; got {beam_size}.")
    lang = (language or "").strip().lower() or None
    if lang == "auto":
        lang = None
    if lang is not None:
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        if lang not in _LANGUAGE_CODES:
            raise InvalidParameterError(
                f"Unknown language '{language}'. Use a two-letter code such as en, de, fr, es, "
                f"ja, or leave it empty to detect the language.")
    if is_english_only(name):
        if lang not in (None, "en"):
            raise InvalidParameterError(
                f"Model '{name}' understands English only, so it cannot transcribe "
                f"language '{lang}'. Pick a multilingual model (one without '.en', "
                f"e.g. faster-whisper-small) or set the language to English.")
        if task == "translate":
            raise InvalidParameterError(
                f"Model '{name}' understands English only and cannot translate. Pick a "
                f"multilingual model (one without '.en', e.g. faster-whisper-small).")
        lang = "en"
    return name, lang


def _to_whisper_input(audio: Audio) -> np.ndarray:
    """Mono float32 at 16 kHz, shape (frames,)."""
    mono = audio.mono()
    if mono.sr != VAD_SR:
        mono = resample(mono, VAD_SR)
    return np.ascontiguousarray(mono.samples[0], dtype=np.float32)


def decode_regions(whisper: Any, x: np.ndarray, regions: Optional[list[tuple[int, int]]],
                   options: dict, duration_s: float, progress: ProgressCallback,
                   cancel: Optional[CancelToken]) -> tuple[list[Segment], str]:
    """Run Whisper over the speech ``regions`` of ``x`` (or all of it) and map times back.

    ``x`` is 16 kHz mono; ``regions`` are sample ranges of ``x`` (None: no
    VAD).  Returns the kept segments (times in seconds from ``x[0]``, clamped
    to ``duration_s``) and the language.

    Whisper decodes a 30 s window in one uninterruptible call (seconds on a
    CPU), so with a ``cancel`` token the decoding runs in a worker thread and
    this function raises :class:`JobCancelled` within :data:`CANCEL_POLL_S` of
    a cancel; the worker stops after its current window.
    """
    from faster_whisper.transcribe import restore_speech_timestamps

    chunks = None
    if regions is not None:
        chunks = [{"start": s, "end": e} for s, e in regions]
        x = np.concatenate([x[s:e] for s, e in regions])

    def start() -> tuple[Iterator[Any], Any]:
        gen, info = whisper.transcribe(x, vad_filter=False, **options)
        if chunks is not None:
            gen = restore_speech_timestamps(gen, chunks, VAD_SR)
        return gen, info

    progress(Progress("transcribe", 0, duration_s, "Transcribing"))
    out: list[Segment] = []
    info_box: list[Any] = []
    stream = _direct(start, info_box) if cancel is None else _threaded(start, info_box, cancel)
    for seg in stream:  # segments come lazily, one 30 s window at a time
        check(cancel)
        s = _convert(seg, duration_s)
        if s is not None:
            out.append(s)
        done = min(duration_s, float(seg.end))
        progress(Progress("transcribe", done, duration_s,
                          f"{_clock(done)} of {_clock(duration_s)}"))
    check(cancel)
    return out, str(info_box[0].language)


#: How often a waiting transcription looks at its cancel token, in seconds.
CANCEL_POLL_S = 0.05


def _direct(start: Callable[[], tuple[Iterator[Any], Any]], info_box: list) -> Iterator[Any]:
    gen, info = start()
    info_box.append(info)
    yield from gen


def _threaded(start: Callable[[], tuple[Iterator[Any], Any]], info_box: list,
              cancel: CancelToken) -> Iterator[Any]:
    """Items of ``start()``'s generator, produced in a worker thread, abandoned on cancel."""
    q: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            gen, info = start()
            q.put(("info", info))
            for item in gen:
                if stop.is_set() or cancel.cancelled:
                    break
                q.put(("item", item))
            q.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            q.put(("error", exc))

    # Not a daemon: at interpreter exit Python waits for the current window to finish;
    # killing a thread inside CTranslate2 aborts the process ("terminate called...").
    threading.Thread(target=work, name="whisper-decode", daemon=False).start()
    try:
        while True:
            try:
                kind, value = q.get(timeout=CANCEL_POLL_S)
            except queue.Empty:
                check(cancel)
                continue
            if kind == "info":
                info_box.append(value)
            elif kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()


def _convert(seg: Any, duration_s: float) -> Optional[Segment]:
    text = seg.text.strip()
    if _NON_SPEECH.match(text):
        return None
    if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < DOUBTFUL_LOGPROB:
        log.info("Dropped doubtful segment %r (no_speech_prob %.2f, avg_logprob %.2f)",
                 text, seg.no_speech_prob, seg.avg_logprob)
        return None

    def clamp(t: float) -> float:
        return float(min(max(t, 0.0), duration_s))

    words = []
    prev = 0.0
    for w in seg.words or ():
        start = max(clamp(w.start), prev)  # keep word times monotonic
        end = max(clamp(w.end), start)
        words.append(Word(round(start, 3), round(end, 3), w.word, float(w.probability)))
        prev = end
    return Segment(round(clamp(seg.start), 3), round(max(clamp(seg.end), clamp(seg.start)), 3),
                   text, words, float(seg.avg_logprob), float(seg.no_speech_prob))


def _clock(t: float) -> str:
    m, s = divmod(int(t), 60)
    return f"{m}:{s:02d}"
