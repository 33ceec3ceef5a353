"""The Separate panel in the real window, with the real engine (embedded methods only)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from core.audio import Audio, info, load, save

SR = 22050


def _mix(path, *, seconds: float = 3.0, channels: int = 2):
    """A sustained A-major chord (slightly different per channel) plus sharp clicks."""
    t = np.arange(int(seconds * SR)) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) * 0.15
    clicks = np.zeros_like(t)
    for k in range(int(seconds * 4)):  # four clicks a second, 2 ms decaying bursts
        i = int((k + 0.5) * SR / 4)
        n = int(0.002 * SR)
        clicks[i:i + n] += np.random.default_rng(k).uniform(-0.8, 0.8, n) * np.linspace(1, 0, n)
    chans = [chord * (1.0 - 0.3 * c) + clicks for c in range(channels)]
    save(Audio(np.asarray(chans, dtype=np.float32), SR), path, subtype="32f", overwrite=True)
    return path


@pytest.fixture
def mix_wav(tmp_path):
    return _mix(tmp_path / "mix.wav")


def _panel(window):
    panel = window.tool_panels["Separate"]
    window.docks["tools"].show()
    window.tools.setCurrentWidget(panel)
    panel.ensure_models()
    return panel


def _separate(qtbot, window, panel, *, button=None):
    n = len(window.model.tracks)
    qtbot.mouseClick(button or panel.separate_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    return window.model.tracks[n:] if len(window.model.tracks) > n else []


def _click_box(qtbot, box):
    """Click a check box on its indicator, as a user does."""
    from PySide6.QtCore import QPoint

    box.ensurePolished()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def test_hpss_both_stems_become_tracks_under_the_source_and_undo_removes_them(
        qtbot, window, mix_wav, tmp_path):
    src = open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("hpss")
    assert list(panel.stem_boxes) == ["harmonic", "percussive"]
    assert "offline" in panel.model_box.currentText()
    assert not panel.download_button.isVisible()
    assert panel.separate_button.isEnabled()

    _separate(qtbot, window, panel)
    tracks = window.model.tracks
    assert [t.name for t in tracks] == ["mix", "mix – harmonic", "mix – percussive"]
    stems = tracks[1:]
    assert all(t.kind == "stem" and t.source_id == src.id for t in stems)
    assert stems[0].colour != stems[1].colour
    total = stems[0].audio.samples + stems[1].audio.samples
    assert total.shape == src.audio.samples.shape
    assert np.max(np.abs(total - src.audio.samples)) < 1e-3
    # The clicks went to the percussive stem, the chord to the harmonic one.
    perc, harm = stems[1].audio.samples, stems[0].audio.samples
    click_at = int(0.5 * SR / 4)
    around = slice(click_at - 20, click_at + 60)
    quiet = slice(click_at + 1500, click_at + 3000)
    assert np.abs(perc[:, around]).max() > 5 * np.abs(perc[:, quiet]).max()
    assert np.sqrt(np.mean(harm[:, quiet] ** 2)) > 10 * np.sqrt(np.mean(perc[:, quiet] ** 2))
    assert "Separated" in panel.message.text()
    assert window.current_track() is src

    # Mute/solo work on stems like on any track; the lane offers A/B against the source.
    lane = window.tracks_area.lane(stems[1].id)
    qtbot.waitUntil(lambda: lane.waveform.pyramid is not None, timeout=10000)
    window.set_track_solo(stems[1].id, True)
    assert window.model.track(stems[1].id).solo

    window.grab().save(str(tmp_path / "separate.png"))
    window.grab().save("/tmp/separate_window.png")

    window.undo()  # the solo
    window.undo()  # the whole separation: one step
    assert [t.name for t in window.model.tracks] == ["mix"]
    window.redo()
    assert [t.name for t in window.model.tracks] == ["mix", "mix – harmonic", "mix – percussive"]


def test_subset_with_residual_adds_back_to_the_mix(qtbot, window, mix_wav):
    src = open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("hpss")
    _click_box(qtbot, panel.stem_boxes["harmonic"])  # untick
    assert not panel.stem_boxes["harmonic"].isChecked()
    panel.residual_box.setChecked(True)
    stems = _separate(qtbot, window, panel)
    assert [(t.name, t.kind) for t in stems] == [("mix – percussive", "stem"),
                                                 ("mix – residual", "residual")]
    assert all(t.source_id == src.id for t in stems)
    total = stems[0].audio.samples.astype(np.float64) + stems[1].audio.samples
    assert np.max(np.abs(total - src.audio.samples)) < 1e-6


def test_everything_but_mode_and_combined_stems(qtbot, window, mix_wav):
    src = open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("hpss")
    panel.set_stems(["percussive"], exclude=True)
    assert panel.exclude_mode.isChecked()
    stems = _separate(qtbot, window, panel)
    assert [t.name for t in stems] == ["mix – harmonic"]
    harm = stems[0].audio.samples
    assert np.sqrt(np.mean(harm ** 2)) > 0.05 and harm.shape == src.audio.samples.shape

    panel.set_stems(["harmonic", "percussive"])
    assert panel.combine_box.isEnabled()
    panel.combine_box.setChecked(True)
    combined = _separate(qtbot, window, panel)
    assert [t.name for t in combined] == ["mix – harmonic + percussive"]
    assert np.max(np.abs(combined[0].audio.samples - src.audio.samples)) < 1e-3


def test_preview_plays_only_the_selection_and_adds_tracks_only_when_kept(
        qtbot, window, mix_wav, monkeypatch):
    src = open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("hpss")
    window.view_state.set_selection(1.0, 2.0)
    assert panel.preview_button.text() == "Preview 0:01.0–0:02.0"
    qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    assert [t.name for t in window.model.tracks] == ["mix"]  # nothing permanent yet
    strip = panel.preview
    assert strip.active and strip.isVisible()
    assert "PREVIEW" in strip.title.text() and "0:01.0–0:02.0" in strip.title.text()
    rendered = {label: a for label, a, _ in strip.result.stems}
    assert set(rendered) == {"harmonic", "percussive"}
    assert all(a.frames == SR for a in rendered.values())  # only the selected second
    region = src.audio.samples[:, SR:2 * SR]
    assert np.max(np.abs(rendered["harmonic"].samples + rendered["percussive"].samples
                         - region)) < 1e-3
    # The transport now plays the preview (the project's tracks are set aside).
    keys = {s.key for s in window.playback._sources}
    assert keys == {"preview:harmonic", "preview:percussive", "preview:original"}
    assert all(s.offset_s == pytest.approx(1.0) for s in window.playback._sources)
    qtbot.mouseClick(strip.toggles["original"], Qt.MouseButton.LeftButton)
    assert strip.audible() == ["original"]

    qtbot.mouseClick(strip.discard_button, Qt.MouseButton.LeftButton)
    assert not strip.active and not strip.isVisible()
    assert [t.name for t in window.model.tracks] == ["mix"]
    assert {s.key for s in window.playback._sources} == {src.id}

    # Without a selection: the first N seconds (20 s in the app; 1 s here), kept as tracks.
    import app.panels.separate_panel as sp

    monkeypatch.setattr(sp, "PREVIEW_S", 1.5)
    window.view_state.clear_selection()
    assert panel.preview_button.text() == "Preview first 1.5 s"
    qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    assert strip.active and strip.result.stems[0][1].frames == int(1.5 * SR)
    qtbot.mouseClick(strip.keep_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert not strip.active
    kept = window.model.tracks[1:]
    assert len(kept) == 2 and all(t.kind == "stem" and t.source_id == src.id for t in kept)
    assert "preview" in kept[0].name and kept[0].audio.frames == int(1.5 * SR)
    assert {s.key for s in window.playback._sources} == {t.id for t in window.model.tracks}


def test_mid_side_on_a_mono_track_says_why(qtbot, window, tmp_path):
    mono = _mix(tmp_path / "mono.wav", channels=1)
    open_and_wait(qtbot, window, mono)
    panel = _panel(window)
    panel.set_model("midside")
    assert not panel.separate_button.isEnabled() and not panel.preview_button.isEnabled()
    assert panel.hint.isVisible()
    assert "needs a stereo track" in panel.hint.text() and "mono" in panel.hint.text()
    assert panel.start(preview=False) is None
    assert "stereo" in panel.message.text()
    assert len(window.model.tracks) == 1 and not window.runner.running_jobs()
    panel.set_model("hpss")
    assert panel.separate_button.isEnabled() and not panel.hint.isVisible()


def test_demucs_is_marked_not_downloaded_and_cannot_run(qtbot, window, mix_wav):
    open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("htdemucs")
    assert "not downloaded" in panel.model_box.currentText()
    assert list(panel.stem_boxes) == ["drums", "bass", "other", "vocals"]
    assert panel.download_button.isVisible() and panel.shifts_box.isVisible()
    assert not panel.separate_button.isEnabled()
    assert "not downloaded" in panel.hint.text() and "Download" in panel.hint.text()
    panel.set_model("repet")
    assert not panel.shifts_box.isVisible() and not panel.download_button.isVisible()


def test_export_all_stems_writes_every_stem(qtbot, window, mix_wav, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("hpss")
    panel.residual_box.setChecked(True)
    _click_box(qtbot, panel.stem_boxes["harmonic"])
    stems = _separate(qtbot, window, panel)
    window.set_current_track(stems[0].id)  # a stem is current: its source's stems go out
    out = tmp_path / "stems out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(out)))
    box = panel.export
    box.format_box.setCurrentIndex(box.format_box.findData(".flac"))
    assert box.depth_box.currentData() == "24"
    assert box.button.isEnabled()
    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["mix - percussive.flac", "mix - residual.flac"]
    for t in stems:
        path = out / f"{t.name.replace('–', '-')}.flac"
        assert info(path).subtype == "PCM_24"
        back = load(path)
        assert back.sr == SR and np.max(np.abs(back.samples - t.audio.samples)) < 1e-4
    assert "Exported 2" in panel.message.text()


def test_cancelling_a_separation_adds_nothing(qtbot, window, mix_wav):
    open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("repet")
    qtbot.mouseClick(panel.separate_button, Qt.MouseButton.LeftButton)
    job = panel.job
    assert job is not None and panel.cancel_button.isVisible()
    assert not panel.separate_button.isEnabled()
    window.runner.cancel(job.id)
    wait_idle(qtbot, window, 60000)
    assert job.status.value == "cancelled"
    assert [t.kind for t in window.model.tracks] == ["original"]
    assert "cancelled" in panel.message.text() and panel.separate_button.isEnabled()


@pytest.mark.audio_device
def test_preview_starts_playing_at_once(pulse_sink, qtbot, window, mix_wav):
    open_and_wait(qtbot, window, mix_wav)
    if not window.playback.available:
        window.playback.set_device(pulse_sink.device)
    assert window.playback.available
    panel = _panel(window)
    panel.set_model("hpss")
    window.view_state.set_selection(0.5, 2.5)
    with qtbot.waitSignal(window.playback.stateChanged, timeout=60000,
                          check_params_cb=lambda s: s == "playing"):
        qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    assert panel.preview.active
    qtbot.waitUntil(lambda: window.view_state.playhead > 0.6, timeout=5000)
    qtbot.mouseClick(panel.preview.discard_button, Qt.MouseButton.LeftButton)
    assert window.playback.state != "playing"
    wait_idle(qtbot, window)


# -- Demucs: the Download button and a tiny model served locally (no network) ---------------
@pytest.fixture
def served_tiny_demucs(tmp_path, monkeypatch):
    """A tiny random HTDemucs on a local web server, registered but not downloaded."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from core import models
    from core.separate.testing import TINY, make_htdemucs, model_spec, save_package

    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    path = save_package(make_htdemucs(**TINY), root, "0123abcd")
    models.register(model_spec("tiny-htdemucs", [path], url), replace=True)
    missing = model_spec("gone-htdemucs", [path], url + "/nothing-here")
    models.register(missing, replace=True)
    yield "tiny-htdemucs", "gone-htdemucs"
    models.unregister("tiny-htdemucs")
    models.unregister("gone-htdemucs")
    httpd.shutdown()
    httpd.server_close()


def test_download_then_separate_with_demucs(qtbot, window, tmp_path, served_tiny_demucs):
    name, gone = served_tiny_demucs
    src = open_and_wait(qtbot, window, _mix(tmp_path / "song.wav", seconds=1.5))
    panel = _panel(window)
    panel.refresh_models()

    panel.set_model(gone)  # the server does not have it: a plain failure, nothing breaks
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    assert panel.message.text().startswith("Download failed:")
    assert "not downloaded" in panel.model_box.currentText()

    panel.set_model(name)
    assert not panel.separate_button.isEnabled() and panel.download_button.isVisible()
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    assert "installed" in panel.model_box.currentText() and panel.model_name() == name
    assert "ready" in panel.message.text() and not panel.download_button.isVisible()
    assert panel.separate_button.isEnabled()

    panel.set_stems(["vocals"])
    panel.residual_box.setChecked(True)
    panel.shifts_box.setValue(1)
    stems = _separate(qtbot, window, panel)
    assert [(t.name, t.kind) for t in stems] == [("song – vocals", "stem"),
                                                 ("song – residual", "residual")]
    assert all(t.source_id == src.id and t.audio.frames == src.audio.frames for t in stems)
    total = stems[0].audio.samples.astype(np.float64) + stems[1].audio.samples
    assert np.max(np.abs(total - src.audio.samples)) < 1e-5
    assert panel.last_result.info["shifts"] == 1


def test_everything_but_mode_starts_from_nothing_ticked(qtbot, window, mix_wav):
    open_and_wait(qtbot, window, mix_wav)
    panel = _panel(window)
    panel.set_model("repet")
    assert all(b.isChecked() for b in panel.stem_boxes.values())
    qtbot.mouseClick(panel.exclude_mode, Qt.MouseButton.LeftButton,
                     pos=panel.exclude_mode.rect().center())
    assert panel.exclude_mode.isChecked()
    assert not any(b.isChecked() for b in panel.stem_boxes.values())
    _click_box(qtbot, panel.stem_boxes["vocals"])
    assert panel.chosen_stems() == ([], ["vocals"]) and panel.separate_button.isEnabled()
    _click_box(qtbot, panel.stem_boxes["accompaniment"])
    assert not panel.separate_button.isEnabled() and "leaves nothing" in panel.hint.text()
