"""Symbolic generation with the shipped weights: ideas, continuation, harmony, bass, drums."""

from __future__ import annotations

import pytest

from core.errors import InvalidParameterError
from core.generate import (
    add_bassline,
    continue_notes,
    generate_drums,
    generate_idea,
    harmonize,
)
from core.generate.drums import DRUM_KEYS
from core.generate.metrics import in_key_rate
from core.generate.policy import VOICE_RANGES
from core.generate.sample import parse_key
from core.generate.tokens import bar_steps
from core.notes import Note

# "Twinkle twinkle" in C major, crotchets at 120 BPM (0.5 s).
TUNE = [Note(i * 0.5, i * 0.5 + 0.5, p, 0.8) for i, p in enumerate(
    [60, 60, 67, 67, 69, 69, 67, 67, 65, 65, 64, 64, 62, 62, 60, 60])]


def bar_s(metre: str, tempo: float) -> float:
    return bar_steps(metre) / 4 * 60 / tempo


@pytest.mark.parametrize("text,expected", [("D major", (2, "major")), ("F#m", (6, "minor")),
                                            ("Bb minor", (10, "minor")), ("e", (4, "major"))])
def test_parse_key(text, expected):
    assert parse_key(text) == expected


def test_idea_is_deterministic_for_a_seed():
    a = generate_idea(style="folk", key="G major", metre="6/8", bars=4, seed=11)
    b = generate_idea(style="folk", key="G major", metre="6/8", bars=4, seed=11)
    c = generate_idea(style="folk", key="G major", metre="6/8", bars=4, seed=12)
    assert a.parts == b.parts
    assert a.parts != c.parts


@pytest.mark.parametrize("metre,tempo,bars", [("3/4", 90, 4), ("6/8", 120, 6), ("4/4", 100, 3)])
def test_idea_respects_bars_and_metre(metre, tempo, bars):
    g = generate_idea(style="folk", metre=metre, tempo_bpm=tempo, bars=bars, seed=1)
    notes = g.parts["melody"]
    assert notes and g.metre == metre and g.bars == bars
    end = bars * bar_s(metre, tempo)
    step = 60 / tempo / 4
    assert max(n.end_s for n in notes) <= end + 1e-6
    for n in notes:  # on the sixteenth grid, one note at a time
        assert abs(n.start_s / step - round(n.start_s / step)) < 1e-6
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in zip(notes, notes[1:], strict=False))
    assert g.to_notetrack().duration_s == pytest.approx(end)


@pytest.mark.parametrize("key", ["D major", "A minor", "Eb major", "F# minor"])
def test_idea_follows_the_requested_key(key):
    pc, mode = parse_key(key)
    pitches = []
    for seed in range(3):
        g = generate_idea(style="folk", key=key, bars=8, seed=seed, temperature=0.8)
        pitches += [n.pitch for n in g.parts["melody"]]
    assert in_key_rate(pitches, pc, mode) >= 0.85


def test_in_key_only_never_leaves_the_scale():
    g = generate_idea(style="folk", key="B minor", bars=4, seed=2, temperature=1.3,
                      in_key_only=True)
    assert in_key_rate([n.pitch for n in g.parts["melody"]], 11, "minor") == 1.0


def test_chorale_idea_has_four_ordered_voices():
    g = generate_idea(style="chorale", key="F major", metre="4/4", bars=2, seed=0)
    assert list(g.parts) == ["soprano", "alto", "tenor", "bass"]
    for name, v in zip(g.parts, (1, 2, 3, 4), strict=True):
        lo, hi = VOICE_RANGES[v]
        assert g.parts[name] and all(lo <= n.pitch <= hi for n in g.parts[name])


def test_continue_keeps_the_prefix_and_adds_bars():
    prefix = TUNE[:7]
    g = continue_notes(prefix, bars=2, tempo_bpm=120, seed=4)
    assert g.parts["prefix"] == prefix
    cont = g.parts["continuation"]
    assert cont and min(n.start_s for n in cont) >= prefix[-1].end_s - 1e-9
    assert max(n.end_s for n in cont) <= 4 * bar_s("4/4", 120) + 1e-6  # bar 2 + 2 new bars


def sounding(notes, t):
    return [n.pitch for n in notes if n.start_s <= t < n.end_s]


def test_harmonize_gives_four_voices_with_the_melody_on_top():
    g = harmonize(TUNE, key="C major", tempo_bpm=120, seed=3)
    assert list(g.parts) == ["soprano", "alto", "tenor", "bass"]
    assert [n.pitch for n in g.parts["soprano"]] == [n.pitch for n in TUNE]
    onsets = sorted({n.start_s for p in g.parts.values() for n in p})
    for t in onsets:
        s = sounding(g.parts["soprano"], t)
        a, te, b = (sounding(g.parts[v], t) for v in ("alto", "tenor", "bass"))
        assert len(s) == len(a) == len(te) == len(b) == 1, t  # four real voices, no gaps
        assert s[0] >= a[0] >= te[0] > b[0]
    for v, idx in (("alto", 2), ("tenor", 3), ("bass", 4)):
        lo, hi = VOICE_RANGES[idx]
        assert all(lo <= n.pitch <= hi for n in g.parts[v])


def test_bassline_is_in_bass_range_and_spans_the_tune():
    g = add_bassline(TUNE, key="C major", tempo_bpm=120, seed=0)
    bass = g.parts["bass"]
    assert bass and all(24 <= n.pitch <= 50 for n in bass)
    assert min(n.start_s for n in bass) == pytest.approx(0.0)
    assert max(n.end_s for n in bass) == pytest.approx(TUNE[-1].end_s)
    assert g.program("bass") == 33


@pytest.mark.parametrize("style", ["rock", "funk", "waltz", "jig", "shuffle"])
def test_drums_are_gm_percussion_on_channel_10(style, tmp_path):
    g = generate_drums(style=style, tempo_bpm=100, bars=4, seed=1)
    notes = g.parts["drums"]
    assert notes and all(n.pitch in DRUM_KEYS for n in notes)
    assert max(n.start_s for n in notes) < g.duration_s
    assert g.parts == generate_drums(style=style, tempo_bpm=100, bars=4, seed=1).parts
    pm = g.to_midi()
    assert [i.is_drum for i in pm.instruments] == [True]
    path = g.write_midi(tmp_path / "d.mid")
    import pretty_midi

    assert pretty_midi.PrettyMIDI(str(path)).instruments[0].is_drum


def test_generation_renders_to_audio():
    g = generate_idea(style="folk", bars=2, seed=0)
    audio = g.render(sr=22050)
    assert audio.sr == 22050 and audio.samples.shape[0] == 2
    assert audio.duration_s >= g.parts["melody"][-1].end_s
    assert float(abs(audio.samples).max()) > 0.01


@pytest.mark.parametrize("kwargs", [dict(bars=0), dict(style="jazz"), dict(top_p=0),
                                    dict(metre="7/8"), dict(key="H major")])
def test_bad_settings_are_plain_errors(kwargs):
    with pytest.raises(InvalidParameterError):
        generate_idea(**kwargs)


def test_cancel_stops_generation_and_progress_counts_bars():
    from core.jobs import CancelToken, JobCancelled

    seen = []
    generate_idea(bars=3, seed=0, progress=seen.append)
    assert seen[-1].done == seen[-1].total == 3
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        generate_idea(bars=3, cancel=token)
    with pytest.raises(JobCancelled):
        generate_drums(bars=3, cancel=token)
