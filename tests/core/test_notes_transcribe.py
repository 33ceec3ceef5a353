"""Audio to notes on audio rendered from known notes (tinysoundfont + a GM SoundFont)."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio import Audio, resample
from core.errors import EmptyAudioError, InvalidParameterError
from core.jobs import CancelToken, JobCancelled
from core.notes import (
    ExtractParams,
    Note,
    NoteTrack,
    Posteriors,
    quantize,
    reextract,
    render_notes,
    transcribe_notes,
)
from core.notes import basic_pitch as bp
from core.notes.extract import extract_notes, min_note_frames

SCALE = [Note(0.25 + i * 0.5, 0.7 + i * 0.5, p, 0.8)
         for i, p in enumerate([60, 62, 64, 65, 67, 69, 71, 72])]
CHORDS = [Note(0.25 + i, 1.2 + i, p, 0.7)
          for i, chord in enumerate([[48, 60, 64, 67], [53, 60, 65, 69], [55, 59, 62, 67],
                                     [48, 60, 64, 67]]) for p in chord]
TWO_VOICES = [Note(0.25 + i * 0.25, 0.49 + i * 0.25, p, 0.8) for i, p in enumerate(
    [72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 72, 74, 76, 74, 72, 72])] + \
    [Note(0.25 + i, 1.23 + i, p, 0.7) for i, p in enumerate([48, 43, 45, 48])]

# (notes, GM program, lowest F-measure accepted).  Measured first (TimGM6mb, CPU):
# scale piano 0.89, chords piano 0.87, two voices piano 0.93, scale guitar 1.0.
PIECES = {
    "scale-piano": (SCALE, 0, 0.8),
    "chords-piano": (CHORDS, 0, 0.75),
    "two-voices-piano": (TWO_VOICES, 0, 0.8),
    "scale-guitar": (SCALE, 25, 0.8),
}


def f_measure(ref: list[Note], est) -> float:
    import mir_eval

    hz = lambda ns: np.array([440.0 * 2 ** ((n.pitch - 69) / 12) for n in ns])  # noqa: E731
    ri = np.array([[n.start_s, n.end_s] for n in ref])
    ei = np.array([[n.start_s, n.end_s] for n in est]).reshape(-1, 2)
    if not len(ei):
        return 0.0
    return mir_eval.transcription.precision_recall_f1_overlap(
        ri, hz(ref), ei, hz(list(est)), onset_tolerance=0.05, offset_ratio=None)[2]


@pytest.fixture(scope="module")
def rendered() -> dict[str, Audio]:
    return {name: render_notes(notes, sr=44100, program=prog)
            for name, (notes, prog, _) in PIECES.items()}


@pytest.fixture(scope="module")
def tracks(rendered) -> dict[str, NoteTrack]:
    return {name: transcribe_notes(a) for name, a in rendered.items()}


@pytest.mark.parametrize("name", list(PIECES))
def test_known_notes_f_measure(name, tracks):
    notes, _, bound = PIECES[name]
    assert f_measure(notes, tracks[name].notes) >= bound


def test_any_rate_and_channels(rendered):
    a = rendered["scale-piano"]
    mono16k = resample(a.mono(), 16000)
    assert mono16k.channels == 1 and mono16k.sr == 16000
    assert f_measure(SCALE, transcribe_notes(mono16k).notes) >= 0.8


def test_track_keeps_posteriors_and_bends(tracks):
    t = tracks["scale-piano"]
    post = t.posteriors
    assert post.note.shape == post.onset.shape == (post.n_frames, 88)
    assert post.contour.shape == (post.n_frames, 264)
    assert abs(post.n_frames - t.duration_s * 86) < 2
    assert np.all(np.diff(post.times_s) > 0)
    assert all(n.pitch_bends is not None and len(n.pitch_bends) >= 1 for n in t.notes)
    # bends are within the ±25-bin (±8.33 semitone) search window
    assert max(abs(b) for n in t.notes for b in n.pitch_bends) <= 25 / 3 + 1e-9


@pytest.mark.parametrize("params", [
    ExtractParams(),
    ExtractParams(onset_threshold=0.3, frame_threshold=0.2, min_note_ms=50),
    ExtractParams(onset_threshold=0.6, min_freq=200.0, max_freq=600.0, melodia_trick=False),
    ExtractParams(infer_onsets=False, min_note_ms=200),
])
@pytest.mark.parametrize("name", ["chords-piano", "two-voices-piano"])
def test_extraction_equals_basic_pitch_note_creation(name, params, tracks):
    """Our extraction == Basic Pitch's own note_creation on the same posteriors.

    Bends: ours centre on the model's true contour bin (one above Basic Pitch's formula),
    which equals Basic Pitch's bends on the contour shifted down by one bin.
    """
    nc = pytest.importorskip("basic_pitch.note_creation")
    post = tracks[name].posteriors
    shifted = np.concatenate([post.contour[:, 1:], np.zeros_like(post.contour[:, :1])], axis=1)
    output = {"note": post.note.copy(), "onset": post.onset.copy(), "contour": shifted}
    _, ref = nc.model_output_to_notes(
        output, onset_thresh=params.onset_threshold, frame_thresh=params.frame_threshold,
        infer_onsets=params.infer_onsets, min_note_len=min_note_frames(params.min_note_ms),
        min_freq=params.min_freq, max_freq=params.max_freq,
        melodia_trick=params.melodia_trick)
    ours = extract_notes(post, params)
    want = sorted((round(float(s), 6), round(float(e), 6), int(p), round(float(a), 5),
                   tuple(int(x) for x in b)) for s, e, p, a, b in ref)
    got = sorted((round(n.start_s, 6), round(n.end_s, 6), n.pitch, round(n.amplitude, 5),
                  tuple(int(round(x * 3)) for x in n.pitch_bends)) for n in ours)
    assert len(got) > 0
    assert got == want


def test_transcription_equals_basic_pitch_predict(tmp_path, rendered):
    """End to end: same notes as Basic Pitch's predict() on the same file."""
    inference = pytest.importorskip("basic_pitch.inference")
    import basic_pitch

    from core.audio import save

    path = tmp_path / "two.wav"
    a = resample(rendered["two-voices-piano"].mono(), 22050)
    save(a, path, subtype="FLOAT")
    _, _, ref = inference.predict(str(path), basic_pitch.ICASSP_2022_MODEL_PATH)
    ours = transcribe_notes(a)
    want = sorted((round(float(s), 4), round(float(e), 4), int(p)) for s, e, p, *_ in ref)
    got = sorted((round(n.start_s, 4), round(n.end_s, 4), n.pitch) for n in ours.notes)
    assert got == want


@pytest.mark.parametrize("cents", [0.0, 33.3, -33.3, -66.7, 100.0])
def test_pitch_bends_of_pure_tones(cents):
    """In-tune tones bend by 0; detuned ones by the detuning (1/3-semitone steps)."""
    sr = 22050
    t = np.arange(sr * 2) / sr
    hz = 440.0 * 2 ** (cents / 1200)
    track = transcribe_notes(Audio((0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32), sr))
    (note,) = [n for n in track.notes if n.duration_s > 1.0]
    bend = float(np.median(note.pitch_bends))
    assert note.pitch + bend == pytest.approx(69 + cents / 100, abs=0.01)


def test_reextract_needs_no_model(monkeypatch, tracks):
    import onnxruntime as ort

    calls = []
    real_run = ort.InferenceSession.run
    monkeypatch.setattr(ort.InferenceSession, "run",
                        lambda self, *a, **k: calls.append(1) or real_run(self, *a, **k))
    base = tracks["two-voices-piano"]
    strict = reextract(base, onset_threshold=0.8, frame_threshold=0.6)
    loose = reextract(base, onset_threshold=0.2, frame_threshold=0.1, min_note_ms=30)
    assert calls == []
    assert len(strict) < len(base) < len(loose)
    assert strict.params.onset_threshold == 0.8 and strict.posteriors is base.posteriors
    high = reextract(base, min_freq=300.0)
    assert high.notes and all(n.pitch >= 62 for n in high.notes)  # 300 Hz ~ D4 (62.2)
    flat = reextract(base, pitch_bends=False)
    assert all(n.pitch_bends is None for n in flat.notes)
    # and a real transcription does call the model
    transcribe_notes(Audio(np.zeros((1, 22050), np.float32), 22050))
    assert len(calls) == 1


def test_reextract_rejects_bad_settings(tracks):
    base = tracks["scale-piano"]
    with pytest.raises(InvalidParameterError):
        reextract(base, onset_threshold=1.5)
    with pytest.raises(InvalidParameterError):
        reextract(base, loudness=3)
    with pytest.raises(InvalidParameterError):
        reextract(NoteTrack(base.notes))  # notes alone, no posteriors


def test_cancel_between_windows_and_progress():
    rng = np.random.default_rng(0)
    a = Audio(0.1 * rng.standard_normal((2, 44100 * 40)).astype(np.float32), 44100)
    tok = CancelToken()
    reports = []

    def progress(p):
        reports.append(p)
        if p.done >= 1:
            tok.cancel()

    with pytest.raises(JobCancelled):
        transcribe_notes(a, progress=progress, cancel=tok)
    n_windows = bp.windows(np.zeros(22050 * 40, np.float32)).shape[0]
    assert reports[-1].done < n_windows  # stopped before the end
    done = []
    transcribe_notes(a.slice_seconds(0, 20), progress=done.append)
    assert done[-1].done == done[-1].total > 1
    assert [p.done for p in done] == sorted(p.done for p in done)


def test_cancelled_before_start():
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(JobCancelled):
        transcribe_notes(Audio(np.zeros((1, 22050), np.float32), 22050), cancel=tok)


def test_empty_and_silent_audio():
    with pytest.raises(EmptyAudioError):
        transcribe_notes(Audio(np.zeros((1, 0), np.float32), 44100))
    t = transcribe_notes(Audio(np.zeros((2, 48000), np.float32), 48000))
    assert len(t) == 0 and t.posteriors.n_frames == 86


@pytest.mark.parametrize("n", [1, 43843, 43844, 36164 * 3 + 5])
def test_windowing_covers_audio(n):
    w = bp.windows(np.arange(n, dtype=np.float32) + 1)
    assert w.shape[1:] == (bp.WINDOW_SAMPLES, 1)
    # every sample appears, in order, after the half-overlap lead-in
    first = w[0, bp.OVERLAP_SAMPLES // 2:, 0]
    assert first[0] == 1
    assert (w.shape[0] - 1) * bp.HOP_SAMPLES <= n + bp.OVERLAP_SAMPLES // 2


def test_note_track_dict_round_trip(tracks):
    t = tracks["two-voices-piano"]
    back = NoteTrack.from_dict(t.to_dict(), posteriors=t.posteriors)
    assert [(n.start_s, n.end_s, n.pitch) for n in back.notes] == \
        [(n.start_s, n.end_s, n.pitch) for n in t.notes]
    assert back.params == t.params and back.duration_s == t.duration_s
    assert np.allclose(back.notes[0].pitch_bends, t.notes[0].pitch_bends, atol=1e-4)
    post = Posteriors.from_arrays(t.posteriors.to_arrays())
    assert np.array_equal(post.contour, t.posteriors.contour)
    assert len(reextract(back, onset_threshold=0.6)) <= len(t)


@pytest.mark.parametrize("division", [1, 2, 4])
def test_quantize_snaps_to_grid(division):
    beats = np.arange(0, 8, 0.5) + 0.1  # 120 BPM, first beat at 0.1 s
    notes = [Note(0.13, 0.58, 60), Note(1.37, 1.45, 64), Note(2.0, 3.02, 67)]
    q = quantize(notes, beats, division=division)
    step = 0.5 / division
    for n in q:
        for t in (n.start_s, n.end_s):
            assert abs(((t - 0.1) / step) - round((t - 0.1) / step)) < 1e-9
        assert n.end_s - n.start_s >= step - 1e-9
    assert all(abs(a.start_s - b.start_s) <= step / 2 + 1e-9 for a, b in zip(notes, q, strict=True))
    track = quantize(NoteTrack(notes), beats, division=division)
    assert isinstance(track, NoteTrack) and len(track) == 3
    with pytest.raises(InvalidParameterError):
        quantize(notes, [0.5])


def test_importing_notes_is_light():
    """The GUI and the CLI import these at start-up: no model or DSP library may load."""
    import subprocess
    import sys

    code = ("import sys, core.notes, core.cli.notes_cmd; "
            "heavy = [m for m in ('torch', 'librosa', 'onnxruntime', 'pretty_midi', 'music21', "
            "'torchcrepe', 'tinysoundfont', 'basic_pitch', 'PySide6') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
