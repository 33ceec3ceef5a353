"""The Restore panel in the real window, with the real restoration engine on short signals."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from core.audio import Audio
from core.project import Track

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
import restore_data as rd  # noqa: E402

SR = 16000


def _hummy(seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    s = rd.speech(SR)[: int(seconds * SR)]
    t = np.arange(s.size) / SR
    hum = sum(0.08 / k * np.sin(2 * np.pi * 50 * k * t) for k in range(1, 4))
    return s, s + hum


def _add(window, x: np.ndarray, name: str = "take", sr: int = SR) -> Track:
    track = Track(name=name, audio=Audio(np.atleast_2d(x).astype(np.float32), sr),
                  kind="original")
    window.add_track(track)
    return track


@pytest.fixture
def panel(window, qtbot):
    p = window.tool_panels["Restore"]
    window.tools.setCurrentWidget(p)
    return p


def _apply(qtbot, window, panel, n_before: int):
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.model.tracks) > n_before, timeout=30000)
    wait_idle(qtbot, window)


def test_dehum_adds_a_restored_version_and_undo_removes_it(window, panel, qtbot):
    clean, x = _hummy()
    src = _add(window, x)
    wait_idle(qtbot, window)
    panel.options.set_tool("dehum")
    assert panel.options.pages.currentIndex() == 3
    _apply(qtbot, window, panel, 1)
    new = window.model.tracks[1]
    assert new.kind == "restored" and new.source_id == src.id
    y = new.audio.samples[0].astype(np.float64)
    assert new.audio.frames == src.audio.frames
    for f, drop in ((50, 20), (100, 20), (150, 12)):  # speech itself has some 150 Hz
        assert rd.tone_level_db(y, SR, f) < rd.tone_level_db(x, SR, f) - drop
    assert "hum at 50" in panel.report_label.text() and "found" in panel.report_label.text()
    lane = window.tracks_area.lane(new.id)
    assert lane.ab_button.isVisibleTo(lane)
    window.undo()
    assert [t.id for t in window.model.tracks] == [src.id]


def test_selection_only_changes_the_selection(window, panel, qtbot):
    _, x = _hummy()
    src = _add(window, x)
    window.model.set_track_attr(src.id, "offset_s", 0.25)  # the selection is in timeline time
    wait_idle(qtbot, window)
    window.view_state.set_selection(0.25 + 0.6, 0.25 + 1.4)
    assert "selection 0:00.6–0:01.4" in panel.scope_label.text()
    panel.options.set_tool("dehum")
    panel.options.hum_combo.setCurrentIndex(1)  # 50 Hz
    _apply(qtbot, window, panel, 1)
    new = window.model.tracks[1]
    assert new.offset_s == 0.25 and new.source_id == src.id
    y = new.audio.samples[0]
    a, b = int(0.6 * SR), int(1.4 * SR)
    np.testing.assert_array_equal(y[:a], src.audio.samples[0, :a])
    np.testing.assert_array_equal(y[b:], src.audio.samples[0, b:])
    inner = slice(a + 400, b - 400)
    assert (rd.tone_level_db(y[inner].astype(float), SR, 50)
            < rd.tone_level_db(x[inner], SR, 50) - 20)
    # the seams are cross-faded: no step larger than the signal's own sample-to-sample moves
    assert np.max(np.abs(np.diff(y[a - 200: a + 200]))) < 1.5 * np.max(np.abs(np.diff(x)))


def test_learned_noise_gate_and_difference_track(window, panel, qtbot):
    clean = np.concatenate([np.zeros(SR), rd.speech(SR)[: int(1.5 * SR)]])
    noisy = rd.mix_at_snr(clean, rd.white(clean.size), 5.0)
    src = _add(window, noisy)
    wait_idle(qtbot, window)
    assert not panel.options.learn_button.isEnabled()  # nothing selected yet
    window.view_state.set_selection(0.0, 0.9)
    qtbot.mouseClick(panel.options.learn_button, Qt.MouseButton.LeftButton)
    assert "0.90 s" in panel.options.profile_label.text()
    assert panel.options.tool() == "denoise" and panel.options.method() == "gate"
    window.view_state.clear_selection()
    assert "whole track" in panel.scope_label.text()
    panel.difference_check.setChecked(True)
    _apply(qtbot, window, panel, 1)
    assert len(window.model.tracks) == 3
    restored, diff = window.model.tracks[1], window.model.tracks[2]
    assert restored.kind == "restored" and diff.kind == "residual"
    assert diff.source_id == src.id
    y = restored.audio.samples[0].astype(np.float64)
    assert rd.snr(clean, y) > rd.snr(clean, noisy) + 2.0
    assert rd.si_sdr(clean, y) > rd.si_sdr(clean, noisy) + 2.0
    np.testing.assert_allclose(diff.audio.samples, src.audio.samples - restored.audio.samples,
                               atol=1e-6)
    # the gate's default reduction is said
    assert "(noise profile 0.90 s, at most 12 dB)" in panel.report_label.text()
    assert panel.options.limit_spin.specialValueText() == "default (12 dB)"
    panel.options.method_combo.setCurrentIndex(panel.options.method_combo.findData("rnnoise"))
    assert panel.options.limit_spin.specialValueText() == "no limit"
    window.undo()  # one step removes both
    assert len(window.model.tracks) == 1


def test_loudness_measure_and_normalise(window, panel, qtbot):
    s = 0.1 * rd.speech(SR)
    src = _add(window, np.stack([s, s]))
    wait_idle(qtbot, window)
    panel.options.set_tool("loudness")
    qtbot.mouseClick(panel.options.measure_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "LUFS" in panel.options.measure_label.text(), timeout=20000)
    text = panel.options.measure_label.text()
    assert "Integrated -" in text and "dBTP" in text and "LRA" in text and "whole track" in text
    panel.options.target_combo.setCurrentIndex(2)  # custom
    assert panel.options.custom_target.isEnabled()
    panel.options.custom_target.setValue(-23.0)
    _apply(qtbot, window, panel, 1)
    from core.restore import measure_loudness

    after = measure_loudness(window.model.tracks[1].audio)
    assert abs(after["integrated_lufs"] - -23.0) < 0.2
    assert "before Integrated" in panel.report_label.text()
    assert window.model.tracks[1].source_id == src.id


def test_declip_report_is_shown(window, panel, qtbot):
    s = rd.speech(SR)[: 2 * SR]
    x = np.clip(s, -0.25, 0.25)
    _add(window, x)
    wait_idle(qtbot, window)
    panel.options.set_tool("declip")
    _apply(qtbot, window, panel, 1)
    assert panel.last_report["tool"] == "declip" and panel.last_report["clipped_percent"] > 0.5
    assert "% of samples were clipped" in panel.report_label.text()
    y = window.model.tracks[1].audio.samples[0].astype(np.float64)
    assert np.max(np.abs(y)) > 0.3  # peaks rebuilt above the clip level
    assert rd.snr(s, y) > rd.snr(s, x) + 3.0


def test_chain_edit_save_load_and_run(window, panel, qtbot, tmp_path, monkeypatch):
    _, x = _hummy()
    src = _add(window, x)
    wait_idle(qtbot, window)
    ed = panel.chain_editor
    assert not ed.run_button.isEnabled()
    panel.options.set_tool("loudness")
    qtbot.mouseClick(ed.add_button, Qt.MouseButton.LeftButton)
    panel.options.set_tool("declick")
    qtbot.mouseClick(ed.add_button, Qt.MouseButton.LeftButton)
    panel.options.set_tool("dehum")
    panel.options.hum_combo.setCurrentIndex(1)
    qtbot.mouseClick(ed.add_button, Qt.MouseButton.LeftButton)
    assert [t for t, _ in ed.steps()] == ["loudness", "declick", "dehum"]
    ed.list.setCurrentRow(1)
    qtbot.mouseClick(ed.remove_button, Qt.MouseButton.LeftButton)
    ed.list.setCurrentRow(1)
    qtbot.mouseClick(ed.up_button, Qt.MouseButton.LeftButton)
    assert [t for t, _ in ed.steps()] == ["dehum", "loudness"]
    assert ed.list.item(0).text() == "1. Dehum — 50 Hz, 8 harmonics"

    preset = tmp_path / "guitar take.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(preset), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(preset), ""))
    qtbot.mouseClick(ed.save_button, Qt.MouseButton.LeftButton)
    assert preset.exists() and "saved" in panel.status_label.text()
    saved = ed.steps()
    ed.set_steps([])
    assert not ed.run_button.isEnabled()
    qtbot.mouseClick(ed.load_button, Qt.MouseButton.LeftButton)
    assert ed.steps() == saved and ed.name == "guitar take"
    from core.restore import load_chain

    assert [s.tool for s in load_chain(preset).steps] == ["dehum", "loudness"]

    qtbot.mouseClick(ed.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 2, timeout=30000)
    wait_idle(qtbot, window)
    new = window.model.tracks[1]
    assert new.source_id == src.id and "chain guitar take" in new.name
    y = new.audio.samples[0].astype(np.float64)
    assert rd.tone_level_db(y, SR, 50) < rd.tone_level_db(x, SR, 50) - 20
    assert panel.report_label.text().startswith("Chain “guitar take”")
    assert "1. Dehum" in panel.report_label.text() and "2. Loudness" in panel.report_label.text()

    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert not ed.load(bad) and "not a Resonote restoration chain" in panel.status_label.text()
    assert ed.steps() == saved


def test_preview_without_output_is_rendered_and_explained(window, panel, qtbot):
    _, x = _hummy()
    _add(window, x)
    wait_idle(qtbot, window)
    window.playback.set_device("no such device")
    panel.options.set_tool("dehum")
    window.view_state.set_playhead(1.5)
    qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.preview_audio is not None, timeout=20000)
    # 5 s from the playhead, moved back to fit the 2 s track
    assert panel.preview_region_s == (0.0, 2.0)
    assert panel.preview_audio.frames == 2 * SR
    assert "no audio output" in panel.status_label.text()
    assert not panel.ab_button.isEnabled()
    assert len(window.model.tracks) == 1  # a preview adds nothing


@pytest.mark.audio_device
def test_preview_plays_with_instant_ab(window, panel, qtbot, pulse_sink):
    clean, x = _hummy()
    src = _add(window, x)
    wait_idle(qtbot, window)
    pb = window.playback
    assert pb.set_device(pulse_sink.device)
    panel.options.set_tool("dehum")
    window.view_state.set_selection(0.5, 1.5)
    qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.previewing, timeout=20000)
    assert panel.preview_region_s == (0.5, 1.5)
    qtbot.waitUntil(lambda: pb.state == "playing", timeout=5000)
    assert pb.player.ab == ("__restore_preview__", src.id, "a")
    assert panel.ab_button.isEnabled() and "restored" in panel.ab_button.text()
    qtbot.waitUntil(lambda: window.view_state.playhead > 0.6, timeout=5000)
    qtbot.mouseClick(panel.ab_button, Qt.MouseButton.LeftButton)
    assert pb.player.ab == ("__restore_preview__", src.id, "b")
    assert "original" in panel.ab_button.text()
    assert pb.state == "playing"
    qtbot.wait(300)
    assert 0.5 <= window.view_state.playhead <= 1.55  # looping inside the preview
    window.grab().save("/tmp/resonote_restore_preview.png")
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert not panel.previewing and pb.player.ab is None
    assert pb.state != "playing"
