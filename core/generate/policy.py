"""What the sampler may emit next: grammar, voice ranges, forced melody notes, no voice crossing.

One :class:`PartPolicy` drives every symbolic mode.  *Fixed* voices (a given
melody) are forced note by note at their onsets; *generated* voices are sampled
by the model under masks: each voice plays one note at a time inside its range,
below the voice above it and above the voice below it, and (without rests) a
voice whose note has ended gets a new one at that very step, so four-part
writing never thins out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # pragma: no cover
    import torch

from core.generate.tokens import (
    BAR,
    DUR0,
    DURATIONS,
    INST0,
    PITCH0,
    PITCH_MIN,
    POS0,
    VEL0,
    VOCAB,
    Decoder,
    Event,
    quantise_duration,
    scale_pcs,
)

#: Pitch range (MIDI, inclusive) of each voice in VOICES order.
VOICE_RANGES = ((55, 88), (59, 81), (52, 74), (46, 69), (36, 62))
_HEADER_KINDS = ("BOS", "STYLE", "KEY", "METRE", "TEMPO")


def _mask(ids) -> torch.Tensor:
    import torch

    m = torch.zeros(len(VOCAB), dtype=torch.bool)
    m[list(ids)] = True
    return m


@dataclass
class PartPolicy:
    """Constraints for one generation run.

    Attributes
    ----------
    bar_len : int
        Sixteenth steps per bar.
    end_step : int
        No note may last past this step; generation stops when every voice has reached it.
    n_bars : int
        Bars to generate (the piece ends at bar ``n_bars``).
    voices : tuple of int
        Generated voices, top first (indices into VOICES).
    fixed : dict of int to list of Event
        Voices given by the user (melody), forced at their onsets.
    rests : bool
        Whether generated voices may rest (melodies) or must always sound (harmony).
    allowed_pcs : frozenset of int, optional
        When set, generated pitches are restricted to these pitch classes.
    start_step : int
        Generated voices start here (after a prefix or at the melody's first onset).
    max_spacing : int
        Largest interval (semitones) between alto and soprano, tenor and alto.
    end_grid : int
        Generated notes end on multiples of this many sixteenths (2: eighths).
    beat : int
        Sixteenths per beat: with ``end_grid`` > 1, notes of a beat or longer end on a beat.
    """

    bar_len: int
    end_step: int
    n_bars: int
    voices: tuple[int, ...]
    fixed: dict[int, list[Event]] = field(default_factory=dict)
    rests: bool = False
    allowed_pcs: Optional[frozenset[int]] = None
    start_step: int = 0
    max_spacing: int = 12
    end_grid: int = 1
    beat: int = 4

    def __post_init__(self) -> None:
        self.last_end = {v: self.start_step for v in self.voices}
        self.last_pitch: dict[int, int] = {}
        self._seen = 0
        self._placed: list[int] = []  # voices placed at the current position
        self._pos_step: Optional[int] = None
        self._fixed_onsets = sorted({e.start for evs in self.fixed.values() for e in evs})
        self._fixed_at = {}
        for evs in self.fixed.values():
            for e in evs:
                self._fixed_at.setdefault(e.start, []).append(e)

    # -- state -----------------------------------------------------------------------------
    def _sync(self, dec: Decoder) -> None:
        for e in dec.events[self._seen:]:
            self.last_end[e.voice] = max(self.last_end.get(e.voice, 0), e.end)
            self.last_pitch[e.voice] = e.pitch
        self._seen = len(dec.events)
        if dec.pos is not None and dec.now != self._pos_step:
            self._pos_step, self._placed = dec.now, []
        if dec.last_kind == "INST" and (not self._placed or self._placed[-1] != dec.voice):
            self._placed.append(dec.voice)

    def fixed_pitch_at(self, voice: int, step: int) -> Optional[int]:
        """Pitch of a fixed voice sounding at ``step`` (or the last one before it)."""
        best = None
        for e in self.fixed.get(voice, []):
            if e.start <= step:
                best = e.pitch
        return best

    def _sounding(self, voice: int, step: int) -> bool:
        return self.last_end.get(voice, 0) > step

    def _pitch_now(self, voice: int, step: int) -> Optional[int]:
        if voice in self.fixed:
            return self.fixed_pitch_at(voice, step)
        if voice in self.last_pitch and (self._sounding(voice, step) or voice in self._placed):
            return self.last_pitch[voice]
        return None

    def _next_required(self, step: int, *, after: bool) -> int:
        """First step (> or >= ``step``) where a fixed note starts or a generated voice ends."""
        cands = [self.end_step]
        cands += [s for s in self._fixed_onsets if (s > step if after else s >= step)]
        cands += [e for e in self.last_end.values() if (e > step if after else e >= step)]
        return min(cands)

    def _needed(self, step: int) -> list[int]:
        return [v for v in self.voices if not self._sounding(v, step) and v not in self._placed
                and step < self.end_step]

    # -- decisions -------------------------------------------------------------------------
    def next(self, dec: Decoder) -> tuple[str, object]:
        """``("force", tokens)``, ``("mask", bool tensor)`` or ``("stop", None)``."""
        self._sync(dec)
        k = dec.last_kind
        bar_start = max(dec.bar, 0) * self.bar_len
        if k in _HEADER_KINDS:
            return "force", [BAR]
        if k == "BAR" and dec.bar >= self.n_bars:
            return "stop", None
        if k in ("BAR", "DUR"):
            cur = dec.now if (k == "DUR") else bar_start - 1
            if k == "DUR":
                fixed_left = [e for e in self._fixed_at.get(cur, []) if e.voice not in self._placed]
                if fixed_left:
                    return "force", self._fixed_tokens(fixed_left[0], dec)
                needed = self._needed(cur)
                if needed:
                    last = self._placed[-1] if self._placed else -1
                    ok = [v for v in self.voices if last < v <= min(needed)
                          and not self._sounding(v, cur)]
                    return "mask", _mask(INST0 + v for v in ok)
            after = cur if k == "DUR" else bar_start
            r = self._next_required(max(after, self.start_step - 1), after=k == "DUR")
            if r >= self.end_step and (not self.rests or not self.voices):
                return "stop", None
            bar_end = bar_start + self.bar_len
            if not self.rests:
                if r >= bar_end:
                    return "force", [BAR]
                return "force", [POS0 + r - bar_start]
            free_at = min(self.last_end[v] for v in self.voices)
            lo = max(free_at, after + 1 if k == "DUR" else bar_start, self.start_step)
            nxt_fixed = [s for s in self._fixed_onsets if s >= lo]
            hi = min([bar_end - 1, self.end_step - 1] + [s for s in nxt_fixed])
            ids = [POS0 + p - bar_start for p in range(lo, hi + 1) if bar_start <= p < bar_end]
            ids.append(BAR)
            return "mask", _mask(ids)
        cur = dec.now
        if k == "POS":
            fixed_here = [e for e in self._fixed_at.get(cur, []) if e.voice not in self._placed]
            if fixed_here:
                return "force", self._fixed_tokens(fixed_here[0], dec)
            needed = self._needed(cur)
            ok = [v for v in self.voices if not self._sounding(v, cur)
                  and (not needed or v <= min(needed))]
            ids = [INST0 + v for v in ok]
            if dec.voice in ok and dec.voice == min(ok):  # voice already current: no INST needed
                ids += self._pitch_ids(dec.voice, cur)
            return "mask", _mask(ids)
        if k in ("INST", "VEL"):
            return "mask", _mask(self._pitch_ids(dec.voice, cur))
        if k == "PITCH":
            room = self.end_step - cur
            ok = [i for i, d in enumerate(DURATIONS) if d <= room]
            if dec.voice not in self.fixed and self.end_grid > 1:
                # Harmony moves on the grid (eighths): no chains of syncopated sixteenths.
                # Notes of a beat or longer end on a beat: no syncopated chains.
                ok = [i for i in ok if cur + DURATIONS[i] == self.end_step
                      or ((cur + DURATIONS[i]) % self.end_grid == 0
                          and (DURATIONS[i] < self.beat or (cur + DURATIONS[i]) % self.beat == 0))
                      ] or ok
            ids = [DUR0 + i for i in ok] or [DUR0]
            return "mask", _mask(ids)
        return "stop", None

    def _fixed_tokens(self, e: Event, dec: Decoder) -> list[int]:
        self._placed.append(e.voice)
        out = [] if dec.voice == e.voice else [INST0 + e.voice]
        return out + [PITCH0 + e.pitch - PITCH_MIN,
                      DUR0 + DURATIONS.index(quantise_duration(e.dur))]

    def _pitch_ids(self, voice: int, step: int) -> list[int]:
        lo, hi = VOICE_RANGES[voice]
        above = [self._pitch_now(v, step) for v in range(1, voice) if 1 <= voice]
        above = [p for p in above if p is not None]
        below = [self._pitch_now(v, step) for v in range(voice + 1, len(VOICE_RANGES))
                 if voice >= 1]
        below = [p for p in below if p is not None]
        pitches = range(lo, hi + 1)
        for spacing in (True, False):
            top = min([hi] + [p - (0 if voice < 4 else 1) for p in above[-1:]])
            bottom = max([lo] + below[:1])
            if spacing and above and voice in (2, 3):
                bottom = max(bottom, above[-1] - self.max_spacing)
            cand = [p for p in pitches if bottom <= p <= top
                    and (self.allowed_pcs is None or p % 12 in self.allowed_pcs)]
            if cand:
                return [PITCH0 + p - PITCH_MIN for p in cand]
        return [PITCH0 + p - PITCH_MIN for p in pitches]


def in_key_pcs(key_pc: int, mode: str) -> frozenset[int]:
    return scale_pcs(key_pc, mode)


__all__ = ["VOICE_RANGES", "PartPolicy", "in_key_pcs", "VEL0"]
