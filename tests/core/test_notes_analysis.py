"""Pitch curves, tempo, key and chords on synthetic audio with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled
from core.notes import (
    Note,
    estimate_chords,
    estimate_key,
    estimate_tempo,
    pitch_track,
    render_notes,
)
from core.notes.harmony import chords_from_chroma, key_from_chroma

GLIDE_S = 2.0


def glide(sr: int = 16000) -> Audio:
    """A sung-like tone gliding 220 -> 440 Hz over 2 s (three harmonics)."""
    t = np.arange(int(sr * GLIDE_S)) / sr
    phase = 2 * np.pi * np.cumsum(220 * 2 ** (t / GLIDE_S)) / sr
    y = 0.5 * np.sin(phase) + 0.2 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase)
    return Audio(y.astype(np.float32), sr)


# Measured (median / 90th percentile |error|, cents): crepe tiny 5.0 / 11.2, pyin 2.6 / 5.4.
@pytest.mark.parametrize("method,median_cents,p90_cents", [("crepe", 10, 20), ("pyin", 6, 12)])
def test_pitch_track_follows_a_glide(method, median_cents, p90_cents):
    pt = pitch_track(glide(), method=method)
    assert pt.times_s.shape == pt.f0_hz.shape == pt.confidence.shape
    assert np.all(np.diff(pt.times_s) > 0) and abs(pt.times_s[1] - 0.01) < 1e-3
    inner = (pt.times_s > 0.1) & (pt.times_s < GLIDE_S - 0.1)
    assert pt.voiced[inner].mean() > 0.9
    true = 220 * 2 ** (pt.times_s / GLIDE_S)
    v = inner & pt.voiced
    cents = np.abs(1200 * np.log2(pt.f0_hz[v] / true[v]))
    assert np.median(cents) < median_cents
    assert np.percentile(cents, 90) < p90_cents
    assert np.allclose(pt.midi()[v], 69 + 12 * np.log2(pt.f0_hz[v] / 440))


def test_pitch_track_silence_is_unvoiced_and_chunks_agree():
    a = glide(44100)
    silence = Audio(np.zeros((2, 44100), np.float32), 44100)
    pt = pitch_track(silence, method="crepe")
    assert not pt.voiced.any()
    whole = pitch_track(a, method="crepe", chunk_s=60)
    chunked = pitch_track(a, method="crepe", chunk_s=0.3)
    assert np.allclose(np.nan_to_num(whole.f0_hz), np.nan_to_num(chunked.f0_hz), rtol=1e-4)


def test_pitch_track_rejects_bad_settings_and_cancels():
    with pytest.raises(InvalidParameterError):
        pitch_track(glide(), method="yin")
    with pytest.raises(InvalidParameterError):
        pitch_track(glide(), fmin=500, fmax=100)
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(JobCancelled):
        pitch_track(glide(), cancel=tok)


def click_track(bpm: float, seconds: float = 20.0, sr: int = 44100) -> Audio:
    y = np.zeros(int(sr * seconds), np.float32)
    m = int(0.02 * sr)
    click = np.sin(2 * np.pi * 1000 * np.arange(m) / sr) * np.exp(-np.arange(m) / (0.004 * sr))
    for k in range(int(seconds * bpm / 60)):
        s = int(k * 60 / bpm * sr)
        y[s:s + m] += click[: len(y) - s].astype(np.float32)
    return Audio(np.stack([y, y]), sr)


@pytest.mark.parametrize("bpm", [120.0, 93.0])
def test_tempo_of_a_click_track(bpm):
    est, beats = estimate_tempo(click_track(bpm))
    assert abs(est - bpm) < 2.0
    assert len(beats) > 10
    assert np.allclose(np.diff(beats), 60 / bpm, atol=0.03)


def test_tempo_of_silence():
    bpm, beats = estimate_tempo(Audio(np.zeros((1, 22050 * 3), np.float32), 22050))
    assert bpm == 0.0 and len(beats) == 0


def _progression(chords, seconds=1.0, program=0, melody=()):
    notes = [Note(i * seconds, i * seconds + seconds * 0.95, p, 0.7)
             for i, ch in enumerate(chords) for p in ch]
    notes += list(melody)
    return render_notes(notes, program=program)


C_MAJOR_I_IV_V_I = [[48, 60, 64, 67], [53, 60, 65, 69], [55, 59, 62, 67], [48, 60, 64, 67]]
A_MINOR_MELODY = [Note(i * 0.4, i * 0.4 + 0.38, p, 0.8) for i, p in
                  enumerate([69, 71, 72, 74, 76, 77, 80, 81, 81, 80, 77, 76, 74, 72, 71, 69])]
A_MINOR_i_iv_V_i = [[45, 57, 60, 64], [50, 57, 62, 65], [52, 56, 59, 64], [45, 57, 60, 64]]


@pytest.mark.parametrize("chords,melody,program,tonic,mode", [
    (C_MAJOR_I_IV_V_I, (), 0, "C", "major"),
    (C_MAJOR_I_IV_V_I, (), 48, "C", "major"),
    (A_MINOR_i_iv_V_i, A_MINOR_MELODY, 0, "A", "minor"),
])
def test_key(chords, melody, program, tonic, mode):
    seconds = 1.6 if melody else 1.0
    key = estimate_key(_progression(chords, seconds, program, melody))
    assert (key.tonic, key.mode) == (tonic, mode)
    assert key.name == f"{tonic} {mode}" and 0.5 < key.confidence <= 1.0


@pytest.mark.parametrize("program", [0, 48])  # piano, strings
def test_chords_of_I_IV_V_I(program):
    a = _progression(C_MAJOR_I_IV_V_I, 1.0, program)
    chords = [c for c in estimate_chords(a) if c.end_s - c.start_s > 0.3]
    assert [c.label for c in chords] == ["C", "F", "G", "C"]
    for i, c in enumerate(chords[1:], start=1):
        assert abs(c.start_s - i * 1.0) < 0.2
    assert chords[-1].end_s == pytest.approx(a.duration_s)


def test_chords_in_minor_and_no_chord():
    a = _progression(A_MINOR_i_iv_V_i, 1.0, 0)
    labels = [c.label for c in estimate_chords(a) if c.end_s - c.start_s > 0.3]
    assert labels[:4] == ["Am", "Dm", "E", "Am"]
    silent = np.zeros((12, 20))
    assert [c.label for c in chords_from_chroma(silent, np.arange(20) * 0.1, end_s=2.0)] == ["N"]


@pytest.mark.parametrize("tonic_pc,name", [(0, "C"), (10, "Bb"), (6, "F#")])
def test_key_profile_rotation(tonic_pc, name):
    from core.notes.harmony import KK_MAJOR, KK_MINOR

    assert key_from_chroma(np.roll(KK_MAJOR, tonic_pc)).name == f"{name} major"
    assert key_from_chroma(np.roll(KK_MINOR, (tonic_pc + 9) % 12)).mode == "minor"
    assert key_from_chroma(np.zeros(12)).confidence == 0.0
