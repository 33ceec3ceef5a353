"""Event tokens for the embedded generator: a score as one flat sequence of integers.

A piece is quantised to sixteenth notes (4 steps per quarter note) and written as::

    BOS STYLE KEY METRE TEMPO  (BAR (POS (INST? VEL? PITCH DUR)+)+)+  EOS

``POS`` is the onset within the bar in sixteenths; ``INST`` names the voice
(melody, soprano, alto, tenor, bass) and is written only when it differs from the
previous note's; ``VEL`` (8 loudness bins) only when it
changes.  Notes at one position are ordered by voice, then from high to low.
Everything here is pure Python (no torch) so tokens can be built anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import InvalidParameterError

STEPS_PER_QUARTER = 4
MAX_BAR_STEPS = 48
PITCH_MIN, PITCH_MAX = 21, 108
STYLES = ("chorale", "folk")
VOICES = ("melody", "soprano", "alto", "tenor", "bass")
METRES = ("2/4", "3/4", "4/4", "2/2", "3/2", "6/8", "9/8", "12/8", "3/8", "6/4")
TEMPO_BINS = (60, 72, 84, 96, 108, 120, 138, 160)
VEL_BINS = (24, 40, 56, 72, 88, 100, 112, 124)
DURATIONS = tuple(range(1, 17)) + (18, 20, 24, 28, 32, 40, 48, 64)
KEY_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_TONIC_PC = {"C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4,
             "E#": 5, "F": 5, "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10,
             "Bb": 10, "B": 11, "Cb": 11}
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
#: Natural minor plus the raised 7th (the leading tone of harmonic minor).
MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10, 11)


def _build_vocab() -> list[str]:
    v = ["PAD", "BOS", "EOS", "BAR"]
    v += [f"STYLE_{s}" for s in STYLES]
    v += [f"KEY_{pc}_{m}" for m in ("major", "minor") for pc in range(12)]
    v += [f"METRE_{m}" for m in METRES]
    v += [f"TEMPO_{i}" for i in range(len(TEMPO_BINS))]
    v += [f"POS_{i}" for i in range(MAX_BAR_STEPS)]
    v += [f"INST_{x}" for x in VOICES]
    v += [f"VEL_{i}" for i in range(len(VEL_BINS))]
    v += [f"PITCH_{p}" for p in range(PITCH_MIN, PITCH_MAX + 1)]
    v += [f"DUR_{d}" for d in DURATIONS]
    return v


VOCAB: tuple[str, ...] = tuple(_build_vocab())
TOKEN_ID: dict[str, int] = {t: i for i, t in enumerate(VOCAB)}
PAD, BOS, EOS, BAR = (TOKEN_ID[t] for t in ("PAD", "BOS", "EOS", "BAR"))


def _first(prefix: str) -> int:
    return next(i for i, t in enumerate(VOCAB) if t.startswith(prefix))


STYLE0, KEY0, METRE0, TEMPO0 = _first("STYLE_"), _first("KEY_"), _first("METRE_"), _first("TEMPO_")
POS0, INST0, VEL0, PITCH0, DUR0 = (_first(p) for p in ("POS_", "INST_", "VEL_", "PITCH_", "DUR_"))


def kind(token: int) -> str:
    """The kind of token id: ``"BAR"``, ``"POS"``, ``"PITCH"`` ... (the prefix of its name)."""
    return VOCAB[token].split("_")[0]


def tonic_pc(tonic: str) -> int:
    """Pitch class (0 = C) of a tonic name like ``"F#"`` or ``"Bb"``."""
    name = tonic.strip()
    name = name[:1].upper() + name[1:].replace("-", "b")
    if name not in _TONIC_PC:
        raise InvalidParameterError(f"'{tonic}' is not a key tonic: use C, C#, Db, D ... B.")
    return _TONIC_PC[name]


def scale_pcs(key_pc: int, mode: str) -> frozenset[int]:
    """Pitch classes counted as in the key (minor: natural minor plus the leading tone)."""
    steps = MAJOR_STEPS if mode == "major" else MINOR_STEPS
    return frozenset((key_pc + s) % 12 for s in steps)


def bar_steps(metre: str) -> int:
    """Sixteenth steps in one bar of ``metre`` (``"6/8"`` -> 12)."""
    num, den = (int(x) for x in metre.split("/"))
    return num * 16 // den


def nearest(values: tuple[int, ...], x: float) -> int:
    """Index of the value in ``values`` closest to ``x``."""
    return min(range(len(values)), key=lambda i: abs(values[i] - x))


@dataclass(frozen=True)
class Header:
    """Conditioning of a sequence: style, key (tonic pitch class + mode), metre, tempo."""

    style: str = "folk"
    key_pc: int = 0
    mode: str = "major"
    metre: str = "4/4"
    tempo_bpm: float = 120.0

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise InvalidParameterError(
                f"Unknown style '{self.style}': choose one of {', '.join(STYLES)}.")
        if self.mode not in ("major", "minor"):
            raise InvalidParameterError(f"The mode must be major or minor; got '{self.mode}'.")
        if self.metre not in METRES:
            raise InvalidParameterError(
                f"Unsupported metre '{self.metre}': choose one of {', '.join(METRES)}.")
        if not 20 <= self.tempo_bpm <= 400:
            raise InvalidParameterError(
                f"The tempo must be between 20 and 400 BPM; got {self.tempo_bpm}.")

    def tokens(self) -> list[int]:
        return [BOS, TOKEN_ID[f"STYLE_{self.style}"],
                TOKEN_ID[f"KEY_{self.key_pc % 12}_{self.mode}"],
                TOKEN_ID[f"METRE_{self.metre}"],
                TEMPO0 + nearest(TEMPO_BINS, self.tempo_bpm)]

    @property
    def key_name(self) -> str:
        return f"{KEY_TONICS[self.key_pc % 12]} {self.mode}"


HEADER_LEN = 5


@dataclass(frozen=True, order=True)
class Event:
    """One quantised note: onset and length in sixteenth steps from the first bar line."""

    start: int
    voice: int  # index into VOICES
    pitch: int
    dur: int
    velocity: int = 88

    @property
    def end(self) -> int:
        return self.start + self.dur


@dataclass
class Piece:
    """A quantised piece: header plus events (what the tokenizer reads and writes)."""

    header: Header
    events: list[Event] = field(default_factory=list)
    n_bars: int = 0


def quantise_duration(steps: int) -> int:
    """The representable duration (sixteenths) nearest to ``steps`` (at least 1)."""
    return DURATIONS[nearest(DURATIONS, max(1, steps))]


def encode(piece: Piece, *, eos: bool = True) -> list[int]:
    """Tokens of ``piece``: header, then every bar (empty bars too), then EOS.

    Events must lie on the sixteenth grid; pitches outside 21..108 are dropped and
    durations are snapped to :data:`DURATIONS`.
    """
    bar_len = bar_steps(piece.header.metre)
    events = sorted((e for e in piece.events if PITCH_MIN <= e.pitch <= PITCH_MAX),
                    key=lambda e: (e.start, e.voice, -e.pitch))
    n_bars = max(piece.n_bars, (events[-1].start // bar_len + 1) if events else 0)
    out = piece.header.tokens()
    i, last_vel, last_voice = 0, None, None
    for bar in range(n_bars):
        out.append(BAR)
        bar_end = (bar + 1) * bar_len
        while i < len(events) and events[i].start < bar_end:
            pos = events[i].start
            out.append(POS0 + pos - bar * bar_len)
            while i < len(events) and events[i].start == pos:
                e = events[i]
                if e.voice != last_voice:
                    out.append(INST0 + e.voice)
                    last_voice = e.voice
                vb = nearest(VEL_BINS, e.velocity)
                if vb != last_vel:
                    out.append(VEL0 + vb)
                    last_vel = vb
                out.append(PITCH0 + e.pitch - PITCH_MIN)
                out.append(DUR0 + DURATIONS.index(quantise_duration(e.dur)))
                i += 1
    if eos:
        out.append(EOS)
    return out


class Decoder:
    """Incremental token reader: feed tokens one at a time, collect :class:`Event` objects.

    Used both to decode whole sequences and to track state while sampling (current
    bar, position, voice), so the sampler can constrain the next token.
    """

    def __init__(self, metre: str = "4/4") -> None:
        self.bar_len = bar_steps(metre)
        self.bar = -1
        self.pos: int | None = None
        self.voice = 0
        self.voice_set_here = False
        self.velocity = VEL_BINS[4]
        self.pitch: int | None = None
        self.events: list[Event] = []
        self.header: list[int] = []
        self.ended = False
        self.last_kind = "BOS"

    @property
    def now(self) -> int:
        """Absolute step of the current position (bar start when no POS yet)."""
        return max(self.bar, 0) * self.bar_len + (self.pos or 0)

    def feed(self, token: int) -> None:
        k = kind(token)
        self.last_kind = k
        if k in ("BOS", "STYLE", "KEY", "METRE", "TEMPO"):
            self.header.append(token)
            if k == "METRE":
                self.bar_len = bar_steps(VOCAB[token][len("METRE_"):])
        elif k == "BAR":
            self.bar += 1
            self.pos = None
        elif k == "POS":
            self.pos = token - POS0
            self.voice_set_here = False
        elif k == "INST":
            self.voice = token - INST0
            self.voice_set_here = True
        elif k == "VEL":
            self.velocity = VEL_BINS[token - VEL0]
        elif k == "PITCH":
            self.pitch = token - PITCH0 + PITCH_MIN
        elif k == "DUR":
            if self.pitch is not None and self.pos is not None:
                self.events.append(Event(self.now, self.voice, self.pitch,
                                         DURATIONS[token - DUR0], self.velocity))
            self.pitch = None
        elif k == "EOS":
            self.ended = True


def decode(tokens: list[int]) -> Piece:
    """The :class:`Piece` a token sequence describes (inverse of :func:`encode`)."""
    metre = next((VOCAB[t][6:] for t in tokens[:HEADER_LEN] if kind(t) == "METRE"), "4/4")
    dec = Decoder(metre)
    for t in tokens:
        dec.feed(int(t))
        if dec.ended:
            break
    h = {kind(t): VOCAB[t] for t in dec.header}
    key = h.get("KEY", "KEY_0_major").split("_")
    tempo = TEMPO_BINS[int(h.get("TEMPO", "TEMPO_5").split("_")[1])]
    header = Header(style=h.get("STYLE", "STYLE_folk")[6:], key_pc=int(key[1]), mode=key[2],
                    metre=metre, tempo_bpm=tempo)
    return Piece(header, dec.events, dec.bar + 1)
