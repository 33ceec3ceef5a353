"""Drum grooves for a style and tempo on the General MIDI drum channel (10).

There is no permissively licensed drum corpus in the installed packages, so the
groove generator is a seeded probabilistic pattern model: per style, each drum
has a hit probability and an accent per sixteenth (or per triplet eighth for
swung styles); every bar is sampled from it, a crash marks each phrase start and
the last bar of each phrase gets a fill.  Deterministic for a seed.
"""

from __future__ import annotations

import random
from typing import Optional

from core.errors import InvalidParameterError
from core.generate.result import Generation
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.notes.types import Note

KICK, SNARE, RIM, CLAP, HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 37, 39, 42, 44, 46, 49, 51
TOMS = (50, 47, 45, 43)
#: GM percussion keys a groove may use (for range checks).
DRUM_KEYS = frozenset({KICK, SNARE, RIM, CLAP, HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE, *TOMS})


def _p(pattern: str) -> list[float]:
    """``"x.o-"`` → probabilities: x = 1.0, o = 0.6, - = 0.2, . = 0."""
    return [{"x": 1.0, "X": 1.0, "o": 0.6, "-": 0.2, ".": 0.0}[c] for c in pattern]


# style -> (steps per beat, beats per bar, swing, {drum: pattern over one bar})
STYLES: dict[str, tuple[int, int, float, dict[int, list[float]]]] = {
    "rock": (4, 4, 0.0, {KICK: _p("x.-.....x.o.....") , SNARE: _p("....x.......x..-"),
                          HAT: _p("x.x.x.x.x.x.x.x.")}),
    "pop": (4, 4, 0.0, {KICK: _p("x.....o.x.-.....") , SNARE: _p("....x.......x..."),
                         CLAP: _p("....-.......-..."), HAT: _p("x-x-x-x-x-x-x-x-")}),
    "funk": (4, 4, 0.0, {KICK: _p("x..o..x...o.-.o."), SNARE: _p("....x..-.-..x..-"),
                          HAT: _p("xoxoxoxoxoxoxoxo"), OPEN_HAT: _p("..........-....."),}),
    "disco": (4, 4, 0.0, {KICK: _p("x...x...x...x..."), SNARE: _p("....x.......x..."),
                           HAT: _p("x.-.x.-.x.-.x.-."), OPEN_HAT: _p("..x...x...x...x.")}),
    "hiphop": (4, 4, 0.12, {KICK: _p("x.....o...x..-.."), SNARE: _p("....x.......x..."),
                             HAT: _p("x.x.x.x.x.x.x.x.")}),
    "shuffle": (3, 4, 0.0, {KICK: _p("x.....o.-..."), SNARE: _p("...x.....x.-"),
                             RIDE: _p("x.xx.xx.xx.x")}),
    "waltz": (4, 3, 0.0, {KICK: _p("x..........."), SNARE: _p("....o...o..."),
                           HAT: _p("x...x...x...")}),
    "folk": (4, 4, 0.0, {KICK: _p("x.......o......."), RIM: _p("....x.......x..."),
                          HAT: _p("x.-.x.-.x.-.x.-.")}),
    "bossa": (4, 4, 0.0, {KICK: _p("x..ox..ox..ox..o"), RIM: _p("x..x..x...x..x.."),
                           HAT: _p("xxxxxxxxxxxxxxxx")}),
    "reggae": (4, 4, 0.0, {KICK: _p("........x......."), RIM: _p("........x......."),
                            HAT: _p("..x...x...x...x.")}),
    "jig": (3, 2, 0.0, {KICK: _p("x..o.."), SNARE: _p("...x.-"), HAT: _p("x-xx-x")}),
}
METRE_OF = {"waltz": "3/4", "jig": "6/8"}


def generate_drums(
    *,
    style: str = "rock",
    tempo_bpm: float = 110.0,
    bars: int = 8,
    phrase_bars: int = 4,
    fills: bool = True,
    humanize: float = 0.5,
    seed: int = 0,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Generation:
    """A drum groove.

    Parameters
    ----------
    style : str
        One of :data:`STYLES` (rock, pop, funk, disco, hiphop, shuffle, waltz,
        folk, bossa, reggae, jig).
    tempo_bpm : float
        Beats per minute (quarter notes; dotted quarters for ``jig``).
    bars : int
        Length in bars.
    phrase_bars : int
        Crash at the start of and fill at the end of every phrase of this many bars.
    humanize : float
        0-1: amount of velocity and timing variation (timing up to ±8 ms at 1).

    Returns
    -------
    Generation
        One part ``"drums"`` (in ``drum_parts``: GM channel 10); pitches are GM
        percussion keys (:data:`DRUM_KEYS`).
    """
    if style not in STYLES:
        raise InvalidParameterError(
            f"Unknown drum style '{style}': choose one of {', '.join(STYLES)}.")
    if not 1 <= bars <= 256:
        raise InvalidParameterError(f"The number of bars must be 1 to 256; got {bars}.")
    if not 20 <= tempo_bpm <= 400:
        raise InvalidParameterError(f"The tempo must be 20 to 400 BPM; got {tempo_bpm}.")
    if not 0 <= humanize <= 1:
        raise InvalidParameterError(f"humanize must be between 0 and 1; got {humanize}.")
    per_beat, beats, swing, pattern = STYLES[style]
    rng = random.Random(seed)
    beat_s = 60.0 / tempo_bpm * (1.5 if style == "jig" else 1.0)
    step_s = beat_s / per_beat
    steps = per_beat * beats
    notes: list[Note] = []

    def hit(t: float, pitch: int, vel: float) -> None:
        jitter = rng.uniform(-0.008, 0.008) * humanize
        v = min(1.0, max(0.08, vel * (1 + rng.uniform(-0.15, 0.15) * humanize)))
        start = max(0.0, t + jitter)
        notes.append(Note(start, start + min(0.25, step_s * 0.9), pitch, round(v, 3)))

    for bar in range(bars):
        check(cancel)
        t0 = bar * steps * step_s
        fill_bar = fills and phrase_bars > 0 and (bar + 1) % phrase_bars == 0 and bars > 1
        fill_from = steps - per_beat if fill_bar else steps
        for s in range(steps):
            t = t0 + s * step_s
            if swing and s % 2 == 1:
                t += swing * step_s
            accent = 1.0 if s % per_beat == 0 else 0.75
            if s >= fill_from:
                if rng.random() < 0.85:
                    drum = SNARE if rng.random() < 0.4 else TOMS[min(3, (s - fill_from) * 4 // per_beat)]
                    hit(t, drum, 0.7 + 0.3 * (s - fill_from) / per_beat)
                if s % per_beat == 0 and rng.random() < 0.7:
                    hit(t, KICK, 0.85)
                continue
            for drum, probs in pattern.items():
                p = probs[s % len(probs)]
                if p and rng.random() < p:
                    hit(t, drum, accent * (0.95 if drum in (KICK, SNARE) else 0.7))
        if bar % max(1, phrase_bars) == 0 and (bar > 0 or style not in ("folk", "reggae")):
            hit(t0, CRASH, 0.9)
        progress(Progress("drums", bar + 1, bars, f"bar {bar + 1} of {bars}"))
    metre = METRE_OF.get(style, "4/4")
    return Generation({"drums": notes}, float(tempo_bpm), None, metre, bars, seed,
                      drum_parts={"drums"})
