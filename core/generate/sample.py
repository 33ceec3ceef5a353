"""Symbolic generation with the embedded model: ideas, continuations, harmonisations, basslines.

Every function returns a :class:`~core.generate.result.Generation` whose parts are
lists of :class:`~core.notes.Note` (seconds at the requested tempo).

>>> from core.generate import generate_idea, harmonize
>>> idea = generate_idea(style="folk", key="D major", metre="6/8", tempo_bpm=110, bars=8, seed=1)
>>> choir = harmonize(idea.parts["melody"], key="D major", metre="6/8", tempo_bpm=110)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional, Union

from core.errors import InvalidParameterError
from core.generate.errors import GeneratorNotTrainedError
from core.generate.result import Generation
from core.generate.tokens import (
    EOS,
    STEPS_PER_QUARTER,
    STYLES,
    VOICES,
    Event,
    Header,
    Piece,
    bar_steps,
    encode,
    scale_pcs,
    tonic_pc,
)
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.notes.types import Key, Note

KeyLike = Union[str, Key, None]
_cache_lock = threading.Lock()
_model_cache: dict[tuple, object] = {}
CHORALE_PARTS = ("soprano", "alto", "tenor", "bass")


def weights_dir() -> Path:
    """Folder of the shipped weights (``resources/generator``)."""
    from core.generate.train import default_weights_dir

    return default_weights_dir()


def load_generator(weights: Optional[os.PathLike] = None, *, device: Optional[str] = None):
    """The trained event transformer (cached per folder and file time).

    Raises
    ------
    GeneratorNotTrainedError
        No ``model.safetensors`` in the folder.
    """
    folder = Path(weights) if weights is not None else weights_dir()
    f = folder / "model.safetensors"
    if not f.is_file() or not (folder / "config.json").is_file():
        raise GeneratorNotTrainedError(
            f"The music generator has no trained weights in {folder}. "
            "Run `resonote train-generator` to train them (under 30 minutes on a CPU).")
    from core.devices import pick

    dev = pick(device)
    key = (str(folder.resolve()), f.stat().st_mtime_ns, dev)
    with _cache_lock:
        model = _model_cache.get(key)
        if model is None:
            from core.generate.model import load_model

            model = load_model(folder, device="cpu")
            _model_cache.clear()
            _model_cache[key] = model
    return model


def parse_key(key: KeyLike) -> tuple[int, str]:
    """``"F# minor"``, ``"Bbm"``, ``"D"``, or a :class:`Key` → (tonic pitch class, mode)."""
    if isinstance(key, Key):
        return tonic_pc(key.tonic), key.mode
    if not key or not str(key).strip():
        raise InvalidParameterError("Give a key such as 'D major' or 'F# minor'.")
    text = str(key).strip().replace("-", " ").split()
    tonic, mode = text[0], (text[1].lower() if len(text) > 1 else "major")
    if len(text) == 1 and len(tonic) > 1 and tonic.endswith("m") and tonic[:-1] != "":
        tonic, mode = tonic[:-1], "minor"
    mode = {"maj": "major", "min": "minor", "m": "minor"}.get(mode, mode)
    if mode not in ("major", "minor"):
        raise InvalidParameterError(f"'{key}' is not a key: write e.g. 'D major' or 'F# minor'.")
    return tonic_pc(tonic), mode


def key_of_notes(notes: Iterable[Note]) -> Key:
    """Key of a set of notes (Krumhansl-Schmuckler on the duration-weighted pitch classes)."""
    import numpy as np

    from core.notes.harmony import key_from_chroma

    hist = np.zeros(12)
    for n in notes:
        hist[n.pitch % 12] += n.duration_s
    return key_from_chroma(hist)


def _key_obj(pc: int, mode: str) -> Key:
    from core.generate.tokens import KEY_TONICS

    return Key(KEY_TONICS[pc % 12], mode, 1.0)


def _check_common(*, bars: int, temperature: float, top_p: float, tempo_bpm: float,
                  metre: str) -> None:
    if not 1 <= bars <= 256:
        raise InvalidParameterError(f"The number of bars must be 1 to 256; got {bars}.")
    if not temperature >= 0:
        raise InvalidParameterError(f"The temperature must be 0 or more; got {temperature}.")
    if not 0 < top_p <= 1:
        raise InvalidParameterError(f"top-p must be above 0 and at most 1; got {top_p}.")
    Header(metre=metre, tempo_bpm=tempo_bpm)  # validates both


def _to_notes(events: Iterable[Event], tempo_bpm: float, *, shift: int = 0) -> list[Note]:
    step_s = 60.0 / tempo_bpm / STEPS_PER_QUARTER
    return [Note(e.start * step_s, (e.start + e.dur) * step_s, e.pitch + shift,
                 round(e.velocity / 127, 4)) for e in sorted(events)]


def _to_events(notes: Iterable[Note], tempo_bpm: float, voice: int) -> list[Event]:
    """Quantise notes to sixteenths at ``tempo_bpm`` (one note per onset and pitch)."""
    step_s = 60.0 / tempo_bpm / STEPS_PER_QUARTER
    seen, out = set(), []
    for n in sorted(notes, key=lambda n: (n.start_s, -n.pitch)):
        start = int(round(n.start_s / step_s))
        dur = max(1, int(round(n.end_s / step_s)) - start)
        if (start, n.pitch) not in seen:
            seen.add((start, n.pitch))
            out.append(Event(start, voice, int(n.pitch), dur, n.velocity))
    return out


def _run(model, header: Header, policy, *, prefix: Sequence[int] = (), temperature: float,
         top_p: float, seed: int, progress: ProgressCallback, cancel: Optional[CancelToken],
         stage: str) -> list[Event]:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one token at a time: more threads only add contention
    try:
        return _sample_loop(model, header, policy, prefix=prefix, temperature=temperature,
                            top_p=top_p, seed=seed, progress=progress, cancel=cancel,
                            stage=stage)
    finally:
        torch.set_num_threads(threads)


def _sample_loop(model, header, policy, *, prefix, temperature, top_p, seed, progress, cancel,
                 stage) -> list[Event]:
    from core.generate.sampler import Sampler

    s = Sampler(model, header.tokens(), temperature=temperature, top_p=top_p, seed=seed)
    if prefix:
        s.feed(list(prefix))
    last_bar = -1
    for _ in range(200_000):
        what, arg = policy.next(s.dec)
        if what == "stop":
            break
        if what == "force":
            s.feed(arg)
        else:
            s.sample(arg)
        if s.dec.bar != last_bar:
            last_bar = s.dec.bar
            check(cancel)
            progress(Progress(stage, min(last_bar, policy.n_bars), policy.n_bars,
                              f"bar {last_bar + 1} of {policy.n_bars}"))
    progress(Progress(stage, policy.n_bars, policy.n_bars, "done"))
    return s.dec.events


def generate_idea(
    *,
    style: str = "folk",
    key: KeyLike = "C major",
    metre: str = "4/4",
    tempo_bpm: float = 110.0,
    bars: int = 8,
    temperature: float = 0.9,
    top_p: float = 0.95,
    seed: int = 0,
    in_key_only: bool = False,
    weights: Optional[os.PathLike] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Generation:
    """Generate a new piece from scratch.

    Parameters
    ----------
    style : {"folk", "chorale"}
        ``"folk"``: one melody (Irish folk tunes); ``"chorale"``: four voices (Bach chorales).
    key : str or Key
        ``"D major"``, ``"F#m"``... the model is conditioned on it.
    metre : str
        One of :data:`core.generate.tokens.METRES`.
    tempo_bpm : float
        Quarter notes per minute; sets the note times.
    bars : int
        Length in bars (1-256).
    temperature, top_p : float
        Sampling temperature (0 = always the likeliest token) and nucleus mass.
    seed : int
        Same seed, same settings, same weights → same notes.
    in_key_only : bool
        Forbid pitches outside the key's scale (minor: natural minor + leading tone).

    Returns
    -------
    Generation
        Parts ``{"melody"}`` or ``{"soprano", "alto", "tenor", "bass"}``.
    """
    if style not in STYLES:
        raise InvalidParameterError(f"Unknown style '{style}': choose one of {', '.join(STYLES)}.")
    _check_common(bars=bars, temperature=temperature, top_p=top_p, tempo_bpm=tempo_bpm,
                  metre=metre)
    from core.generate.policy import PartPolicy

    pc, mode = parse_key(key)
    model = load_generator(weights)
    header = Header(style, pc, mode, metre, float(tempo_bpm))
    bl = bar_steps(metre)
    voices = (0,) if style == "folk" else (1, 2, 3, 4)
    policy = PartPolicy(bar_len=bl, end_step=bars * bl, n_bars=bars, voices=voices,
                        rests=style == "folk", end_grid=1 if style == "folk" else 2,
                        beat=beat_steps(metre),
                        allowed_pcs=scale_pcs(pc, mode) if in_key_only else None)
    events = _run(model, header, policy, temperature=temperature, top_p=top_p, seed=seed,
                  progress=progress, cancel=cancel, stage="generate")
    names = ("melody",) if style == "folk" else CHORALE_PARTS
    parts = {name: _to_notes([e for e in events if e.voice == v], tempo_bpm)
             for name, v in zip(names, voices, strict=True)}
    return Generation(parts, float(tempo_bpm), _key_obj(pc, mode), metre, bars, seed)


def continue_notes(
    notes: Sequence[Note],
    *,
    bars: int = 4,
    key: KeyLike = None,
    metre: str = "4/4",
    tempo_bpm: float = 110.0,
    style: str = "folk",
    temperature: float = 0.9,
    top_p: float = 0.95,
    seed: int = 0,
    weights: Optional[os.PathLike] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Generation:
    """Continue a melody (a drawn clip, a MIDI file's notes, or notes transcribed from a track).

    The notes are read on a sixteenth grid at ``tempo_bpm`` with bar 1 starting at
    0 s; the continuation starts where the last note ends and fills ``bars`` more
    bars.  ``key`` None estimates it from the notes.

    Returns
    -------
    Generation
        Parts ``"prefix"`` (the given notes, unchanged) and ``"continuation"``.
    """
    notes = list(notes)
    if not notes:
        raise InvalidParameterError("There are no notes to continue.")
    _check_common(bars=bars, temperature=temperature, top_p=top_p, tempo_bpm=tempo_bpm,
                  metre=metre)
    from core.generate.policy import PartPolicy

    if key is None:
        k = key_of_notes(notes)
        pc, mode = tonic_pc(k.tonic), k.mode
    else:
        pc, mode = parse_key(key)
    model = load_generator(weights)
    header = Header(style, pc, mode, metre, float(tempo_bpm))
    bl = bar_steps(metre)
    events = _to_events(notes, tempo_bpm, 0)
    end = max(e.end for e in events)
    n_prefix_bars = max(e.start for e in events) // bl + 1
    toks = encode(Piece(header, events, n_prefix_bars))
    assert toks[-1] == EOS
    total_bars = (end + bl - 1) // bl + bars if end % bl else end // bl + bars
    policy = PartPolicy(bar_len=bl, end_step=total_bars * bl, n_bars=total_bars, voices=(0,),
                        rests=True, start_step=end)
    new = _run(model, header, policy, prefix=toks[len(header.tokens()):-1],
               temperature=temperature, top_p=top_p, seed=seed, progress=progress,
               cancel=cancel, stage="continue")
    cont = [e for e in new if e.start >= end]
    parts = {"prefix": list(notes), "continuation": _to_notes(cont, tempo_bpm)}
    return Generation(parts, float(tempo_bpm), _key_obj(pc, mode), metre, total_bars, seed,
                      programs={"prefix": 73, "continuation": 73})


def skyline(notes: Sequence[Note]) -> list[Note]:
    """The top line of possibly polyphonic notes: at each onset keep the highest note."""
    by_start: dict[float, Note] = {}
    for n in notes:
        k = round(n.start_s, 3)
        if k not in by_start or n.pitch > by_start[k].pitch:
            by_start[k] = n
    return [by_start[k] for k in sorted(by_start)]


def harmonize(
    melody: Sequence[Note],
    *,
    key: KeyLike = None,
    metre: str = "4/4",
    tempo_bpm: float = 90.0,
    temperature: float = 0.7,
    top_p: float = 0.9,
    seed: int = 0,
    weights: Optional[os.PathLike] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Generation:
    """Harmonise a melody in four parts (chorale style) with the melody as the top voice.

    The melody (its top line if polyphonic) is quantised to sixteenths at
    ``tempo_bpm`` and moved by whole octaves into the soprano range if needed;
    alto, tenor and bass are sampled note by note, each inside its range, below
    the voice above and above the voice below, and never silent.

    Returns
    -------
    Generation
        Parts ``soprano`` (the quantised melody at its original octave), ``alto``,
        ``tenor``, ``bass``.
    """
    return _harmony(melody, voices=(2, 3, 4), key=key, metre=metre, tempo_bpm=tempo_bpm,
                    temperature=temperature, top_p=top_p, seed=seed, weights=weights,
                    progress=progress, cancel=cancel, stage="harmonize")


def _harmony(melody, *, voices, key, metre, tempo_bpm, temperature, top_p, seed, weights,
             progress, cancel, stage) -> Generation:
    from core.generate.policy import VOICE_RANGES, PartPolicy

    line = skyline(list(melody))
    if not line:
        raise InvalidParameterError("There is no melody to harmonise.")
    _check_common(bars=1, temperature=temperature, top_p=top_p, tempo_bpm=tempo_bpm, metre=metre)
    if key is None:
        k = key_of_notes(line)
        pc, mode = tonic_pc(k.tonic), k.mode
    else:
        pc, mode = parse_key(key)
    events = _to_events(line, tempo_bpm, 1)
    # Monophonic: a note ends where the next begins.
    events = [Event(e.start, 1, e.pitch, min(e.dur, (events[i + 1].start - e.start)
                                              if i + 1 < len(events) else e.dur), e.velocity)
              for i, e in enumerate(events)]
    mean = sum(e.pitch for e in events) / len(events)
    lo, hi = VOICE_RANGES[1]
    shift = 0
    while mean + shift < lo + 4:
        shift += 12
    while mean + shift > hi - 4:
        shift -= 12
    fixed = [Event(e.start, 1, min(108, max(21, e.pitch + shift)), e.dur, e.velocity)
             for e in events]
    bl = bar_steps(metre)
    end = max(e.end for e in fixed)
    n_bars = (end + bl - 1) // bl
    model = load_generator(weights)
    header = Header("chorale", pc, mode, metre, float(tempo_bpm))
    policy = PartPolicy(bar_len=bl, end_step=end, n_bars=n_bars, voices=tuple(voices),
                        fixed={1: fixed}, rests=False, start_step=fixed[0].start, end_grid=2,
                        beat=beat_steps(metre))
    out = _run(model, header, policy, temperature=temperature, top_p=top_p, seed=seed,
               progress=progress, cancel=cancel, stage=stage)
    parts = {"soprano": _to_notes(events, tempo_bpm)}
    for v in voices:
        parts[VOICES[v]] = _to_notes([e for e in out if e.voice == v], tempo_bpm, shift=-shift)
    return Generation(parts, float(tempo_bpm), _key_obj(pc, mode), metre, n_bars, seed)


def add_bassline(
    notes: Sequence[Note],
    *,
    key: KeyLike = None,
    metre: str = "4/4",
    tempo_bpm: float = 90.0,
    octave_shift: int = -12,
    program: int = 33,
    temperature: float = 0.7,
    top_p: float = 0.9,
    seed: int = 0,
    weights: Optional[os.PathLike] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Generation:
    """A bassline under a melody or a chord track (its top line leads).

    The model writes a full four-part harmony under the top line and the bass voice
    is kept, moved by ``octave_shift`` semitones (default one octave down, for a
    bass guitar; ``program`` 33 = GM electric bass, finger).

    Returns
    -------
    Generation
        One part, ``"bass"``; MIDI pitches folded by octaves into 24..62 after the shift.
    """
    g = _harmony(notes, voices=(2, 3, 4), key=key, metre=metre, tempo_bpm=tempo_bpm,
                 temperature=temperature, top_p=top_p, seed=seed, weights=weights,
                 progress=progress, cancel=cancel, stage="bassline")
    bass = [Note(n.start_s, n.end_s, _fold(n.pitch + int(octave_shift), 24, 62), n.amplitude)
            for n in g.parts["bass"]]
    return Generation({"bass": bass}, g.tempo_bpm, g.key, g.metre, g.bars, seed,
                      programs={"bass": int(program)})


def beat_steps(metre: str) -> int:
    """Sixteenths per beat: 6 in compound metres (6/8, 9/8, 12/8), else 4."""
    return 6 if metre in ("6/8", "9/8", "12/8") else 4


def _fold(pitch: int, lo: int, hi: int) -> int:
    """``pitch`` moved by whole octaves into ``lo..hi``."""
    while pitch < lo:
        pitch += 12
    while pitch > hi:
        pitch -= 12
    return pitch
