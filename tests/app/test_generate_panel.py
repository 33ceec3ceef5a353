"""The Generate panel in the window: ideas, harmony and continuations from a notes layer, drums,
key/tempo following, MusicGen without a model, cancel.  Real engine, shipped weights, few bars."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_idle
from PySide6.QtCore import Qt

#: A D-minor tune, one note per beat at 96 BPM, starting at 0.5 s: (pitch, beats).
TUNE = ((62, 1), (65, 1), (69, 1), (67, 1), (65, 1), (64, 1), (62, 2))
TEMPO = 96.0


@pytest.fixture(autouse=True)
def empty_model_cache(tmp_path, monkeypatch):
    """No downloaded models: MusicGen must explain itself, never fail or download."""
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))


def panel_of(window):
    panel = window.tool_panels["Generate"]
    window.tools.setCurrentWidget(panel)
    return panel


def tune_notes(start_s: float = 0.5):
    from core.notes.types import Note

    beat = 60.0 / TEMPO
    out, t = [], start_s
    for pitch, beats in TUNE:
        out.append(Note(t, t + beats * beat * 0.95, pitch, 0.8))
        t += beats * beat
    return out


def add_tune_track(window, *, analysis: dict | None = None):
    """A track holding a notes layer (as Transcribe → Music → notes makes one)."""
    from app.panels.notes_layer import make_layer
    from core.audio import Audio
    from core.notes.types import NoteTrack

    audio = Audio(np.zeros((1, 44100 * 6), np.float32), 44100)
    track = window.add_track_from_job(audio, "My tune", kind="recording")
    layer = make_layer(NoteTrack(tune_notes(), duration_s=6.0), "Notes", analysis=analysis)
    window.add_layer_from_job(track.id, layer)
    return track


def run_and_wait(qtbot, panel, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert panel.job is not None, panel.hint.text() or panel.message.text()
    qtbot.waitUntil(lambda: panel.job is None, timeout=60000)
    assert panel.results.current() is not None, panel.message.text()
    return panel.results.current()


def notes_of(track):
    from app.panels.notes_layer import NotesLayerView, notes_layer

    layer = notes_layer(track)
    assert layer is not None
    return NotesLayerView(track, layer)


def test_new_idea_previews_and_adds_a_track_with_its_notes(qtbot, window):
    panel = panel_of(window)
    assert panel.mode() == "idea" and not panel.hint.isVisible()
    # Nothing to follow yet: the usual defaults.
    assert panel.key_box.currentData() == "C major" and panel.tempo_box.value() == 110
    # The user overrides the (unknown) project key and tempo.
    panel.key_box.setCurrentIndex(panel.key_box.findData("G major"))
    assert not panel.follow.isChecked()
    panel.tempo_box.setValue(120)
    panel.bars_box.setValue(2)
    panel.seed_box.setValue(3)
    window.view_state.set_playhead(1.0)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    g = r.generation
    assert (g.key.tonic, g.key.mode, g.tempo_bpm, g.bars, r.request.seed) == ("G", "major", 120, 2, 3)
    assert r.offset_s == pytest.approx(1.0)
    assert r.notes and all(40 <= n.pitch <= 96 for n in r.notes)
    assert r.audio.sr == 44100 and r.audio.duration_s >= g.duration_s
    assert np.abs(r.audio.samples).max() > 0.01  # the notes were rendered, not silence
    assert "G major" in panel.results.info.text() and "120 BPM" in panel.results.info.text()
    # Regenerate: a new seed, a second candidate on top; the first stays choosable.
    r2 = run_and_wait(qtbot, panel, panel.regenerate_button)
    assert r2.request.seed != 3 and panel.results.candidates.count() == 2
    panel.results.candidates.setCurrentRow(1)
    assert panel.results.current() is r
    # Add as track: generated audio at the playhead, notes layer for the piano roll.
    qtbot.mouseClick(panel.results.add_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    track = window.model.tracks[-1]
    assert track.kind == "generated" and track.offset_s == pytest.approx(1.0)
    assert track.audio is r.audio
    view = notes_of(track)
    assert [n.pitch for n in view.absolute_notes()] == [n.pitch for n in r.notes]
    assert view.absolute_notes()[0].start_s == pytest.approx(1.0 + r.notes[0].start_s)
    assert view.analysis["key"]["tonic"] == "G" and view.analysis["tempo_bpm"] == 120
    roll = window.tool_panels["Transcribe"].notes.roll
    assert len(roll.notes()) == len(r.notes)
    # One undo step removes track and notes together.
    window.undo()
    assert track.id not in {t.id for t in window.model.tracks}


def test_key_and_tempo_follow_the_tracks_notes_layer(qtbot, window):
    panel = panel_of(window)
    add_tune_track(window, analysis={"tempo_bpm": TEMPO, "key": {"tonic": "D", "mode": "minor",
                                                                 "confidence": 0.9}})
    assert panel.follow.isChecked()
    assert panel.key_box.currentData() == "D minor"
    assert panel.tempo_box.value() == pytest.approx(TEMPO)
    assert "D minor" in panel.context_label.text() and "96 BPM" in panel.context_label.text()
    # Overriding unticks "follow"; ticking it again goes back to the track's values.
    panel.tempo_box.setValue(140)
    assert not panel.follow.isChecked()
    panel.follow.setChecked(True)
    assert panel.tempo_box.value() == pytest.approx(TEMPO)
    # A new idea is made in the track's key and tempo.
    panel.bars_box.setValue(1)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    assert (r.key.tonic, r.key.mode, r.tempo_bpm) == ("D", "minor", TEMPO)
    # Without analysis, the key is read from the notes themselves.
    window.remove_track(window.model.tracks[0].id)
    add_tune_track(window)
    assert panel.key_box.currentData() in ("D minor", "F major")
    assert "its notes" in panel.context_label.text()


def test_harmonise_a_melody_from_a_notes_layer(qtbot, window):
    panel = panel_of(window)
    tune = add_tune_track(window, analysis={"tempo_bpm": TEMPO,
                                            "key": {"tonic": "D", "mode": "minor",
                                                    "confidence": 0.9}})
    panel.set_mode("harmonize")
    assert panel.source_box.currentData() == "all" and not panel.hint.isVisible()
    r = run_and_wait(qtbot, panel, panel.generate_button)
    g = r.generation
    assert set(g.parts) == {"alto", "tenor", "bass"}  # the melody stays on its own track
    assert all(g.parts[v] for v in g.parts)
    assert (r.key.tonic, r.key.mode, r.tempo_bpm) == ("D", "minor", TEMPO)
    # Placed under the melody: starts with its first note, and every bass note sits below it.
    assert r.offset_s == pytest.approx(0.5, abs=0.02)
    melody = tune_notes()
    for b in g.parts["bass"]:
        t = r.offset_s + b.start_s + 0.01
        above = [m for m in melody if m.start_s <= t < m.end_s + 0.05]
        assert all(b.pitch < m.pitch for m in above)
    panel.results.add_current()
    wait_idle(qtbot, window)
    track = window.model.tracks[-1]
    assert track.kind == "generated" and track.id != tune.id
    assert len(notes_of(track).absolute_notes()) == sum(len(v) for v in g.parts.values())


def test_continue_the_selected_notes_and_drums(qtbot, window):
    panel = panel_of(window)
    add_tune_track(window, analysis={"tempo_bpm": TEMPO})
    panel.set_mode("continue")
    roll = window.tool_panels["Transcribe"].notes.roll
    roll.select([0, 1, 2, 3])
    assert panel.source_box.currentData() == "selected"
    assert "(4)" in panel.source_box.currentText()
    panel.bars_box.setValue(1)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    assert set(r.generation.parts) == {"continuation"}
    # The continuation starts after the fourth selected note ends.
    fourth_end = tune_notes()[3].end_s
    assert r.offset_s >= fourth_end - 0.05
    # A drum groove in the track's tempo.
    panel.set_mode("drums")
    assert panel.tempo_box.value() == pytest.approx(TEMPO)
    panel.drum_style_box.setCurrentIndex(panel.drum_style_box.findData("funk"))
    panel.bars_box.setValue(2)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    assert r.generation.drum_parts == {"drums"} and r.tempo_bpm == TEMPO
    assert {n.pitch for n in r.notes} >= {36, 42}  # kick and hi-hat


def test_musicgen_without_a_model_explains_and_does_not_run(qtbot, window):
    panel = panel_of(window)
    panel.set_mode("musicgen")
    mg = panel.musicgen
    assert panel.musicgen_box.isVisible() and not panel.music_box.isVisible()
    assert "Not downloaded" in mg.status.text() and "CC-BY-NC" in mg.status.text()
    assert mg.download_button.isVisible()
    assert panel.hint.isVisible() and "Download" in panel.hint.text()
    assert not panel.generate_button.isEnabled()
    mg.prompt.setPlainText("calm folk guitar")
    assert panel.generate() is None
    assert "not downloaded" in panel.message.text()
    assert not window.runner.running_jobs() and panel.results.current() is None
    # Back to a built-in mode: everything works offline.
    panel.set_mode("idea")
    assert panel.generate_button.isEnabled() and not panel.hint.isVisible()


def test_cancel_stops_a_long_generation_and_adds_nothing(qtbot, window):
    panel = panel_of(window)
    panel.style_box.setCurrentIndex(panel.style_box.findData("chorale"))
    panel.bars_box.setValue(64)
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isVisible() and not panel.generate_button.isEnabled()
    qtbot.waitUntil(lambda: (panel.job.fraction or 0) > 0, timeout=30000)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=30000)
    assert "cancelled" in panel.message.text()
    assert panel.results.current() is None and not window.model.tracks
    assert panel.generate_button.isEnabled() and not panel.cancel_button.isVisible()


@pytest.fixture
def tiny_musicgen(tmp_path):
    """A tiny random MusicGen standing in for musicgen-small (the real code path, offline)."""
    from core import models
    from core.generate.musicgen_testing import make_tiny_musicgen, register_tiny_musicgen

    real = models.get("musicgen-small")
    register_tiny_musicgen(make_tiny_musicgen(tmp_path / "tiny"), "musicgen-small")
    yield
    models.register(real, replace=True)


def test_musicgen_with_a_model_makes_a_track(qtbot, window, tiny_musicgen):
    panel = panel_of(window)
    panel.set_mode("musicgen")
    assert "Ready" in panel.musicgen.status.text() and panel.generate_button.isEnabled()
    assert not panel.musicgen.download_button.isVisible()
    panel.musicgen.prompt.setPlainText("calm folk guitar")
    panel.musicgen.duration.setValue(1.0)
    window.view_state.set_playhead(2.0)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    assert r.generation is None and r.audio.duration_s == pytest.approx(1.0, abs=0.05)
    assert "calm folk guitar" in r.label
    assert not panel.results.midi_button.isEnabled()  # audio only: no notes to export
    track = panel.results.add_current()
    assert track.kind == "generated" and track.offset_s == pytest.approx(2.0)
    assert not track.layers
    # Continue the selected part of that track: only the new audio, right after the clip.
    mg = panel.musicgen
    mg.condition.setCurrentIndex(mg.condition.findData("continue"))
    window.view_state.set_selection(2.2, 2.7)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    assert r.request.condition == "continue"
    assert r.offset_s == pytest.approx(2.7, abs=0.01)
    assert r.audio.duration_s == pytest.approx(1.0, abs=0.05)


class FakeTransport:
    """Stands in for the window's transport (no sound card here): records what it is told."""

    available = True

    def __init__(self) -> None:
        self.sources, self.played, self.stopped = [], [], 0

    def set_sources(self, sources) -> None:
        self.sources = list(sources)

    def play(self, start_s=None) -> None:
        self.played.append(start_s)

    def stop(self) -> None:
        self.stopped += 1

    def set_ab(self, *_a, **_k) -> None:
        pass

    def set_mix(self, *_a, **_k) -> None:
        pass


def test_preview_plays_the_candidate_where_it_goes_then_gives_the_transport_back(
        qtbot, window, monkeypatch):
    from app.panels.generate_result import PREVIEW_KEY

    tune = add_tune_track(window, analysis={"tempo_bpm": TEMPO})
    panel = panel_of(window)
    transport = FakeTransport()
    monkeypatch.setattr(window, "playback", transport)
    panel.set_mode("bassline")
    r = run_and_wait(qtbot, panel, panel.generate_button)  # "Play results" is ticked
    assert set(r.generation.parts) == {"bass"}
    assert transport.played == [pytest.approx(r.offset_s)]
    keys = {s.key: s for s in transport.sources}
    assert set(keys) == {PREVIEW_KEY, tune.id}  # heard with the project
    assert keys[PREVIEW_KEY].audio is r.audio and keys[PREVIEW_KEY].offset_s == r.offset_s
    assert panel.results.preview_button.text() == "■ Stop"
    panel.results.with_project.setChecked(False)
    assert [s.key for s in transport.sources] == [PREVIEW_KEY]
    qtbot.mouseClick(panel.results.preview_button, Qt.MouseButton.LeftButton)
    assert transport.stopped and [s.key for s in transport.sources] == [tune.id]
    assert panel.results.preview_button.text() == "▶ Preview"
    assert [t.id for t in window.model.tracks] == [tune.id]  # a preview adds nothing
    # Showing another tool ends a preview too.
    qtbot.mouseClick(panel.results.preview_button, Qt.MouseButton.LeftButton)
    assert panel.results.previewing is r and PREVIEW_KEY in [s.key for s in transport.sources]
    window.tools.setCurrentWidget(window.tool_panels["Transcribe"])
    assert panel.results.previewing is None and [s.key for s in transport.sources] == [tune.id]


def test_export_and_drag_midi(qtbot, window, tmp_path):
    import pretty_midi

    panel = panel_of(window)
    panel.set_mode("drums")
    panel.bars_box.setValue(1)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    job = panel.results.export_midi(str(tmp_path / "groove.mid"))
    qtbot.waitUntil(lambda: job.status.done, timeout=20000)
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "groove.mid"))
    assert pm.instruments[0].is_drum and len(pm.instruments[0].notes) == len(r.notes)
    mime = panel.results.midi_mime_data()
    dropped = mime.urls()[0].toLocalFile()
    assert dropped.endswith(".mid")
    assert len(pretty_midi.PrettyMIDI(dropped).instruments[0].notes) == len(r.notes)


def test_auto_key_and_tempo_are_estimated_from_the_tracks_audio(qtbot, window, tmp_path):
    from conftest import open_and_wait, write_test_audio

    panel = panel_of(window)
    open_and_wait(qtbot, window, write_test_audio(tmp_path / "a.wav", seconds=4.0, channels=1))
    assert panel.key_box.currentData() is None and panel.follow.isChecked()  # Auto
    assert "estimated from the track's audio" in panel.context_label.text()
    panel.bars_box.setValue(1)
    r = run_and_wait(qtbot, panel, panel.generate_button)
    assert r.estimated == ("key", "tempo")
    assert r.key.tonic == "A"  # a 440 Hz tone
    # The estimate is kept for the track: the panel now shows it.
    assert panel.key_box.currentData() == f"A {r.key.mode}"
    assert panel.tempo_box.value() == pytest.approx(r.tempo_bpm)
    assert "detected" in panel.context_label.text()
    # Detect on another track.
    open_and_wait(qtbot, window, write_test_audio(tmp_path / "e.wav", seconds=4.0, channels=1,
                                                  freq=329.63))
    assert panel.key_box.currentData() is None
    qtbot.mouseClick(panel.detect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detect_job is None, timeout=30000)
    assert panel.key_box.currentData().startswith("E ")
