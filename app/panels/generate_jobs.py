"""Worker side of the Generate panel: one request in, notes and rendered audio out.

Everything here runs in the job runner's thread (never the UI's) and imports the
engine lazily, so opening the window never loads torch.  A :class:`GenRequest`
is a plain description of what the user asked for; :func:`run_generation`
resolves "follow the track" key/tempo (estimating them from the track's notes
or audio when the project does not know them yet), calls the engine, keeps the
parts that belong on the new track, and renders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional

from core.notes.types import Key, Note

#: Mode id -> label shown in the mode menu.
MODES = {
    "idea": "New idea",
    "continue": "Continue notes",
    "harmonize": "Harmonise a melody",
    "bassline": "Add a bassline",
    "drums": "Drum groove",
    "musicgen": "Text to music (MusicGen)",
}
#: Modes that need notes to work from.
NOTE_MODES = ("continue", "harmonize", "bassline")
DEFAULT_KEY = "C major"
DEFAULT_TEMPO = 110.0
#: General MIDI sounds offered for pitched parts (None keeps each part's own).
SOUNDS = {"Default for each part": None, "Acoustic piano": 0, "Electric piano": 4,
          "Nylon guitar": 24, "Strings": 48, "Choir aahs": 52, "Trumpet": 56, "Flute": 73,
          "Synth lead": 80, "Warm pad": 89}


@dataclass
class GenRequest:
    """What to generate (built on the UI thread, read on the worker).

    ``notes`` are relative to ``origin_s`` (project seconds where their bar 1
    starts).  ``key`` / ``tempo_bpm`` None mean "auto": estimated from the
    notes or from ``audio`` (the current track) inside the job.
    """

    mode: str
    origin_s: float = 0.0
    key: Optional[str] = None
    tempo_bpm: Optional[float] = None
    metre: str = "4/4"
    bars: int = 4
    seed: int = 0
    temperature: float = 0.9
    style: str = "folk"
    in_key_only: bool = False
    drum_style: str = "rock"
    program: Optional[int] = None
    include_source: bool = False
    notes: list[Note] = field(default_factory=list)
    audio: Any = None  # core.audio.Audio of the current track, for "auto" estimates
    source_name: str = ""
    # MusicGen
    model: str = "musicgen-small"
    prompt: str = ""
    duration_s: float = 10.0
    guidance: float = 3.0
    condition: str = "text"  # "text", "continue" (audio clip) or "melody" (track's chroma)

    def summary(self) -> dict:
        """The settings as shown in the jobs panel (small: no notes, no audio)."""
        musicgen = {"model", "prompt", "duration_s", "guidance", "condition", "seed", "origin_s"}
        keep = musicgen | {"mode"} if self.mode == "musicgen" else \
            set(self.__dict__) - musicgen | {"seed", "origin_s"}
        out = {k: v for k, v in self.__dict__.items() if k in keep - {"notes", "audio"}}
        if self.notes:
            out["notes"] = len(self.notes)
        return out


@dataclass
class GenResult:
    """A finished generation: what the preview plays and "Add as track" adds."""

    request: GenRequest
    audio: Any  # core.audio.Audio
    offset_s: float  # project time where the audio starts
    generation: Any = None  # core.generate.Generation (None for MusicGen)
    notes: list[Note] = field(default_factory=list)  # relative to offset_s
    key: Optional[Key] = None
    tempo_bpm: Optional[float] = None
    estimated: tuple[str, ...] = ()  # which of "key", "tempo" were estimated in the job

    @property
    def label(self) -> str:
        """A short name for the candidates list and the new track."""
        r = self.request
        what = {"idea": "Chorale" if r.style == "chorale" else "Folk melody",
                "continue": "Continuation", "harmonize": "Harmony", "bassline": "Bassline",
                "drums": f"{r.drum_style.capitalize()} drums",
                "musicgen": "MusicGen"}[r.mode]
        if r.mode == "musicgen":
            text = r.prompt.strip()
            return f"{what}: {text[:28]}{'…' if len(text) > 28 else ''}" if text else what
        return f"{what} · seed {r.seed}"

    def describe(self) -> str:
        """One line for the result box."""
        parts = []
        if self.key is not None:
            parts.append(f"{self.key.tonic} {self.key.mode}")
        if self.tempo_bpm:
            parts.append(f"{self.tempo_bpm:g} BPM")
        g = self.generation
        if g is not None:
            parts.append(f"{g.bars} bar{'s' if g.bars != 1 else ''} of {g.metre}")
            parts.append(f"{len(self.notes)} notes")
        parts.append(f"{self.audio.duration_s:.1f} s")
        if self.estimated:
            parts.append(f"{' and '.join(self.estimated)} estimated from the track")
        return " · ".join(parts)


def key_name(key: Any) -> str:
    """``Key`` or text → ``"D major"``."""
    return f"{key.tonic} {key.mode}" if isinstance(key, Key) else str(key)


def estimate_key_tempo(audio, *, progress=None, cancel=None) -> tuple[Key, Optional[float]]:
    """Worker: key and tempo of a track's audio (tempo None when no beat is found)."""
    from core.jobs import Progress
    from core.notes import estimate_key, estimate_tempo

    if progress is not None:
        progress(Progress("analysis", 0, 2, "Finding the key"))
    key = estimate_key(audio, cancel=cancel)
    if progress is not None:
        progress(Progress("analysis", 1, 2, "Finding the tempo"))
    bpm, _beats = estimate_tempo(audio, cancel=cancel)
    return key, (round(float(bpm), 1) if bpm and bpm > 0 else None)


def _resolve(req: GenRequest, progress, cancel) -> tuple[Optional[str], float, tuple[str, ...]]:
    """Key (None = let the engine read it from the notes) and tempo, with what was estimated."""
    key, tempo, estimated = req.key, req.tempo_bpm, []
    if key is None and req.mode in NOTE_MODES and req.notes:
        key_from_notes = True
    else:
        key_from_notes = False
    need_key = key is None and not key_from_notes and req.mode != "drums"
    if (need_key or tempo is None) and req.audio is not None:
        est_key, est_tempo = estimate_key_tempo(req.audio, progress=progress, cancel=cancel)
        if need_key:
            key, need_key = key_name(est_key), False
            estimated.append("key")
        if tempo is None and est_tempo:
            tempo = est_tempo
            estimated.append("tempo")
    if need_key:
        if req.notes:
            from core.generate import key_of_notes

            key = key_name(key_of_notes(req.notes))
            estimated.append("key")
        else:
            key = DEFAULT_KEY
    if key_from_notes:
        estimated.append("key")
    return key, float(tempo or DEFAULT_TEMPO), tuple(estimated)


def _kept_parts(req: GenRequest, gen) -> list[str]:
    if req.mode == "continue":
        return ["prefix", "continuation"] if req.include_source else ["continuation"]
    if req.mode == "harmonize":
        voices = ["alto", "tenor", "bass"]
        return ["soprano", *voices] if req.include_source else voices
    return list(gen.parts)


def run_generation(req: GenRequest, *, progress=None, cancel=None) -> GenResult:
    """Worker: generate what ``req`` asks for and render it (44.1 kHz stereo; MusicGen: its own rate)."""
    from core.jobs import no_progress

    progress = progress or no_progress
    if req.mode == "musicgen":
        return _run_musicgen(req, progress, cancel)
    from core.generate import (
        Generation,
        add_bassline,
        continue_notes,
        generate_drums,
        generate_idea,
        harmonize,
    )
    from core.jobs import Progress, check

    key, tempo, estimated = _resolve(req, progress, cancel)
    check(cancel)
    common = dict(seed=int(req.seed), progress=progress, cancel=cancel)
    if req.mode == "idea":
        gen = generate_idea(style=req.style, key=key, metre=req.metre, tempo_bpm=tempo,
                            bars=req.bars, temperature=req.temperature,
                            in_key_only=req.in_key_only, **common)
    elif req.mode == "drums":
        gen = generate_drums(style=req.drum_style, tempo_bpm=tempo, bars=req.bars, **common)
    else:
        if not req.notes:
            from core.errors import InvalidParameterError

            raise InvalidParameterError("There are no notes to work from: transcribe the track "
                                        "(Transcribe → Music → notes) or select some notes.")
        music = dict(key=key, metre=req.metre, tempo_bpm=tempo, temperature=req.temperature)
        if req.mode == "continue":
            gen = continue_notes(req.notes, bars=req.bars, **music, **common)
        elif req.mode == "harmonize":
            gen = harmonize(req.notes, **music, **common)
        else:
            gen = add_bassline(req.notes, **music, **common)
    keep = _kept_parts(req, gen)
    parts = {name: gen.parts[name] for name in keep}
    programs = {name: gen.program(name) for name in keep}
    if req.program is not None:
        programs = {name: (p if name in gen.drum_parts or name == "bass" else req.program)
                    for name, p in programs.items()}
    notes = [n for name in keep for n in parts[name]]
    if not notes:
        from core.generate import GeneratorError

        raise GeneratorError("The generator produced no notes this time: try another seed "
                             "or a higher temperature.")
    # The new track starts at its first note (a continuation starts after its prompt).
    lead = min(n.start_s for n in notes) if req.mode in NOTE_MODES else 0.0
    shifted = {name: [replace(n, start_s=n.start_s - lead, end_s=n.end_s - lead) for n in ns]
               for name, ns in parts.items()}
    bars = gen.bars
    out = Generation(shifted, gen.tempo_bpm, gen.key, gen.metre, bars, gen.seed,
                     programs=programs, drum_parts=set(gen.drum_parts) & set(keep))
    check(cancel)
    progress(Progress("render", 0, 1, "Rendering the notes to audio"))
    audio = out.render(sr=44100)
    progress(Progress("render", 1, 1, "done"))
    return GenResult(req, audio, req.origin_s + lead, out, out.notes(), gen.key, gen.tempo_bpm,
                     estimated)


def _run_musicgen(req: GenRequest, progress, cancel) -> GenResult:
    from core.generate import musicgen_generate

    melody = continuation = None
    if req.condition == "melody":
        melody = req.audio
    elif req.condition == "continue":
        continuation = req.audio
    audio = musicgen_generate(req.prompt, model=req.model, duration_s=req.duration_s,
                              melody=melody, continuation=continuation, seed=int(req.seed),
                              guidance_scale=req.guidance, progress=progress, cancel=cancel)
    offset = req.origin_s
    if continuation is not None:
        # MusicGen returns the clip followed by its continuation; the track already has
        # the clip, so the new track holds only what is new and starts where the clip ends.
        n = min(audio.frames, round(continuation.duration_s * audio.sr))
        audio = audio.slice_frames(n, audio.frames)
        offset += continuation.duration_s
    return GenResult(req, audio, offset)


def download_model(name: str, *, progress=None, cancel=None) -> Any:
    """Worker: download a MusicGen model into Resonote's model cache."""
    from core import models

    return models.download(name, progress=progress, cancel=cancel)


def model_state(name: str) -> tuple[bool, str]:
    """(installed, one line for the panel) for registry model ``name``; never raises."""
    try:
        from core import models

        spec = models.get(name)
        st = models.status(name)
    except Exception as exc:  # a broken registry must not break the panel
        return False, f"Unavailable: {exc}"
    size = spec.size_bytes / 1e9
    about = f"about {size:.1f} GB" if size >= 1 else f"about {spec.size_bytes / 1e6:.0f} MB"
    if st.installed:
        return True, f"● Ready — {spec.description}. Licence {spec.licence}."
    if st.state == "partial":
        return False, f"○ Download interrupted ({st.detail}). Licence {spec.licence}."
    return False, (f"○ Not downloaded ({about}). Licence {spec.licence}: "
                   "the music you make may not be used commercially.")
