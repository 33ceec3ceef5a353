"""GUI speed figures (run by ``make bench``, never by ``make test``; figures in docs/bench-gui.md).

* start-up: process start -> main window shown and idle (subprocess, target < 2 s);
* open a 60-minute stereo 44.1 kHz WAV -> waveform and spectrogram painted (target < 1.5 s);
* zoom/pan sweep over the whole file, timing each waveform paint (target p95 < 16 ms,
  max < 50 ms).

Test audio is generated into ``.bench/`` (git-ignored).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench"


def _long_wav() -> Path:
    path = BENCH / "sixty_minutes_stereo.wav"
    if not path.exists():
        from core.audio import Audio, save

        BENCH.mkdir(exist_ok=True)
        sr, n = 44100, 60 * 60 * 44100
        t = np.arange(n, dtype=np.float32) / sr
        env = (0.2 + 0.6 * np.abs(np.sin(2 * np.pi * 0.05 * t))).astype(np.float32)
        left = env * np.sin(2 * np.pi * 220.0 * t, dtype=np.float32)
        right = env * np.sin(2 * np.pi * 330.0 * t, dtype=np.float32)
        save(Audio(np.stack([left, right]), sr), path, subtype="16")
    return path


def _report(name: str, **figures: float) -> None:
    text = ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in figures.items())
    print(f"\n[bench-gui] {name}: {text}")


def test_startup_time(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RESONOTE_CONFIG_DIR=str(tmp_path / "c"),
               RESONOTE_STATE_DIR=str(tmp_path / "s"))
    code = ("import time; t0 = time.perf_counter()\n"
            "from app.main import build_window\n"
            "from PySide6.QtWidgets import QApplication\n"
            "w = build_window([], autosave=False)\n"
            "QApplication.processEvents()\n"
            "print(time.perf_counter() - t0)\n"
            "w.close()\n")
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
        wall = time.perf_counter() - start
        assert proc.returncode == 0, proc.stderr
        runs.append((float(proc.stdout.split()[-1]), wall))
    inside = min(r[0] for r in runs)
    wall = min(r[1] for r in runs)
    _report("startup", in_process_s=inside, process_wall_s=wall, target_s=2.0)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("RESONOTE_STATE_DIR", str(tmp_path / "s"))
    from app.main import create_app
    from app.mainwindow import MainWindow

    create_app()
    from PySide6.QtWidgets import QMessageBox

    w = MainWindow(autosave=False)
    w.ask = lambda *a, **k: QMessageBox.StandardButton.Discard  # never block on a question
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def test_open_sixty_minutes(qtbot, window):
    path = _long_wav()
    t0 = time.perf_counter()
    window.open_path(path)
    qtbot.waitUntil(lambda: bool(window.model.tracks), timeout=120000)
    t_track = time.perf_counter() - t0
    lane = window.tracks_area.lane(window.model.tracks[0].id)
    lane.waveform.repaint()
    t_wave = time.perf_counter() - t0
    pane = window.spectrogram
    if hasattr(pane, "busy"):
        qtbot.waitUntil(lambda: not pane.busy, timeout=120000)
    pane.repaint()
    t_spec = time.perf_counter() - t0
    _report("open 60 min stereo", decoded_and_track_s=t_track, waveform_painted_s=t_wave,
            spectrogram_painted_s=t_spec, target_s=1.5)

    # Scripted zoom/pan sweep over the whole file, timing each synchronous paint.
    vs = window.view_state
    wf = lane.waveform
    times = []
    for span in (3600.0, 600.0, 60.0, 5.0, 0.5, 0.02):
        t = 0.0
        steps = 0
        while t + span <= 3600.0 and steps < 60:
            vs.set_range(t, t + span)
            a = time.perf_counter()
            wf.repaint()
            times.append((time.perf_counter() - a) * 1000)
            t += max(span, 3600.0 / 60)
            steps += 1
    ms = np.asarray(times)
    _report("waveform paints (zoom/pan sweep)", paints=len(ms), median_ms=float(np.median(ms)),
            p95_ms=float(np.percentile(ms, 95)), max_ms=float(ms.max()),
            target="p95 < 16 ms, max < 50 ms")

    # This VM pays seconds for the first touch of fresh memory (the 1.27 GB of float32
    # samples here); the probe measures that cost alone, and frees pages that the
    # second open below can reuse, as a desktop allocator mostly does.
    # With numpy's huge-page request (its default) and without it (what core.memory picks
    # on kernels whose THP defrag compacts synchronously, like this VM's).
    from core.memory import _set_numpy_madvise, thp_defrag_mode

    touch = {}
    for label, hp in (("hugepage_request", True), ("no_hugepage_request", False)):
        _set_numpy_madvise(hp)
        t0 = time.perf_counter()
        probe = np.empty((2, 3600 * 44100), np.float32)
        probe.fill(0)
        touch[label] = time.perf_counter() - t0
        del probe
    from core.memory import avoid_hugepage_stalls

    avoid_hugepage_stalls()
    _report("first touch of 1.27 GB fresh memory", thp_defrag=thp_defrag_mode(),
            **{k + "_s": v for k, v in touch.items()})
    fresh_touch = touch["no_hugepage_request"]
    n = len(window.model.tracks)
    t0 = time.perf_counter()
    window.open_path(path)
    qtbot.waitUntil(lambda: len(window.model.tracks) == n + 1, timeout=120000)
    window.tracks_area.lane(window.model.tracks[-1].id).waveform.repaint()
    t_wave2 = time.perf_counter() - t0
    if hasattr(pane, "busy"):
        qtbot.waitUntil(lambda: not pane.busy, timeout=120000)
    pane.repaint()
    t_spec2 = time.perf_counter() - t0
    _report("open 60 min stereo again (memory pages reused)", waveform_painted_s=t_wave2,
            spectrogram_painted_s=t_spec2, fresh_memory_touch_1_27GB_s=fresh_touch,
            target_s=1.5)
