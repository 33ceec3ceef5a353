"""Projects in the window: save/reopen round trip, damaged projects, crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog


def test_save_and_reopen_round_trip(qtbot, window, tone_wav, tmp_path, monkeypatch):
    a = open_and_wait(qtbot, window, tone_wav)
    b = window.duplicate_track(a.id)
    window.rename_track(b.id, "Copy")
    window.set_track_gain(a.id, -4.5)
    window.set_track_mute(b.id, True)
    window.view_state.set_range(0.5, 2.0)
    dest = tmp_path / "My Song"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(dest), "")))
    QTest.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    folder = tmp_path / "My Song.resonote"
    assert (folder / "project.json").is_file()
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("My Song")

    window.new_project()
    assert not window.model.tracks
    window.open_project(folder)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 2, timeout=20000)
    wait_idle(qtbot, window)
    tracks = window.model.tracks
    assert [t.name for t in tracks] == ["tone", "Copy"]
    assert [t.gain_db for t in tracks] == [-4.5, 0.0]
    assert [t.mute for t in tracks] == [False, True]
    assert abs(tracks[0].audio.samples - a.audio.samples).max() < 1e-4
    assert window.view_state.range == pytest.approx((0.5, 2.0), abs=1e-9)
    assert all(window.tracks_area.lane(t.id).waveform.pyramid is not None for t in tracks)
    assert not window.undo_stack.canUndo()


def test_open_project_by_path_and_project_json(qtbot, window, tone_wav, tmp_path):
    open_and_wait(qtbot, window, tone_wav)
    window.save_project_to(tmp_path / "p")
    wait_idle(qtbot, window)
    window.new_project()
    window.open_path(tmp_path / "p.resonote" / "project.json")
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=20000)


def test_damaged_project_shows_clear_error_and_keeps_work(qtbot, window, tone_wav, tmp_path):
    open_and_wait(qtbot, window, tone_wav)
    window.undo_stack.setClean()
    bad = tmp_path / "bad.resonote"
    bad.mkdir()
    (bad / "project.json").write_text("{ not json")
    window.open_project(bad)
    wait_idle(qtbot, window)
    assert "damaged" in window.last_error
    assert len(window.model.tracks) == 1  # nothing lost


def test_newer_version_project_is_refused(qtbot, window, tmp_path):
    import json

    from core.project import FORMAT_VERSION

    p = tmp_path / "future.resonote"
    p.mkdir()
    (p / "project.json").write_text(json.dumps({"format": "resonote-project",
                                                "format_version": FORMAT_VERSION + 5,
                                                "version": FORMAT_VERSION + 5,
                                                "name": "future", "tracks": []}))
    window.open_project(p)
    wait_idle(qtbot, window)
    assert "newer version of Resonote" in window.last_error
    assert window.runner.jobs[-1].status.value == "failed"


_CRASHING_SESSION = textwrap.dedent("""
    import os, signal, sys, time
    sys.path.insert(0, {tests!r})
    from app.main import create_app
    from app.mainwindow import MainWindow
    app = create_app()
    w = MainWindow()
    w.open_path({wav!r})
    t = time.time()
    while (not w.model.tracks or w.runner.running_jobs()) and time.time() - t < 60:
        app.processEvents(); time.sleep(0.01)
    w.rename_track(w.model.tracks[0].id, "Unsaved work")
    job = w.autosave_now()
    while not job.status.done and time.time() - t < 60:
        app.processEvents(); time.sleep(0.01)
    print("autosaved", job.status.value, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_crash_recovery_offers_and_restores(qtbot, tone_wav, tmp_path, answers):
    from PySide6.QtWidgets import QMessageBox

    from app.main import create_app
    from app.mainwindow import MainWindow

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    code = _CRASHING_SESSION.format(tests=str(Path(__file__).parent), wav=str(tone_wav))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert "autosaved finished" in proc.stdout

    create_app()
    w = MainWindow()
    qtbot.addWidget(w)
    w.ask = answers
    candidates = w.recoverable_projects()
    assert len(candidates) == 1
    answers.queue.append(QMessageBox.StandardButton.Yes)
    job = w.offer_recovery()
    assert "did not close properly" in answers.asked[-1][1]
    qtbot.waitUntil(lambda: job.status.done, timeout=20000)
    assert [t.name for t in w.model.tracks] == ["Unsaved work"]
    assert w.isWindowModified()
    wait_idle(qtbot, w)
    assert not candidates[0].folder.exists()  # discarded once this session autosaved
    answers.queue.append(QMessageBox.StandardButton.Discard)
    w.close()
