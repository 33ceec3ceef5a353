"""Starting the GUI for real, in a subprocess: no torch at start-up, headless message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def test_window_starts_without_importing_torch(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RESONOTE_CONFIG_DIR=str(tmp_path / "c"),
               RESONOTE_STATE_DIR=str(tmp_path / "s"))
    code = ("import sys\n"
            "from app.main import build_window\n"
            "w = build_window([])\n"
            "from PySide6.QtWidgets import QApplication\n"
            "QApplication.processEvents()\n"
            "print('torch' in sys.modules, w.isVisible())\n"
            "w.close()\n")
    proc = _run(code, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["False", "True"]


def test_no_display_prints_how_to_run_headless():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = _run("import sys\nfrom app.entry import main\nsys.exit(main([]))", env)
    assert proc.returncode == 0
    assert "QT_QPA_PLATFORM=offscreen" in proc.stdout and "xvfb-run" in proc.stdout
    assert "PySide6" not in proc.stderr


def test_command_line_file_opens_in_window(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "app"))
    from guihelpers import write_test_audio

    wav = write_test_audio(tmp_path / "cli.wav", seconds=1.0)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RESONOTE_CONFIG_DIR=str(tmp_path / "c"),
               RESONOTE_STATE_DIR=str(tmp_path / "s"))
    code = ("import time\n"
            "from PySide6.QtCore import QTimer\n"
            "from PySide6.QtWidgets import QApplication\n"
            "import app.main as m\n"
            "orig = m.build_window\n"
            "def spy(paths, **kw):\n"
            "    w = orig(paths, **kw)\n"
            "    def check():\n"
            "        if w.model.tracks and not w.runner.running_jobs():\n"
            "            print('tracks', [t.name for t in w.model.tracks], flush=True)\n"
            "            w.ask = lambda *a, **k: __import__('PySide6.QtWidgets', fromlist=['x'])"
            ".QMessageBox.StandardButton.Discard\n"
            "            w.close(); QApplication.quit()\n"
            "        else:\n"
            "            QTimer.singleShot(50, check)\n"
            "    QTimer.singleShot(50, check)\n"
            "    return w\n"
            "m.build_window = spy\n"
            f"raise SystemExit(m.run_gui([{str(wav)!r}]))\n")
    proc = _run(code, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "tracks ['cli']" in proc.stdout
