"""Screenshots of the main window with a file open, checked for drawn content.

Written to tests/artifacts/ (git-ignored) so a person can look at them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import open_and_wait, write_test_audio
from PySide6.QtGui import QImage

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _array(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    ptr = img.constBits()
    a = np.frombuffer(ptr, np.uint8, count=img.sizeInBytes()).reshape(
        img.height(), img.bytesPerLine() // 4, 4)
    return a[:, :img.width(), :3].copy()


def test_main_window_screenshot_shows_waveform_and_spectrogram(qtbot, window, tmp_path):
    wav = write_test_audio(tmp_path / "Demo song.wav", seconds=8.0)
    track = open_and_wait(qtbot, window, wav)
    window.view_state.set_selection(2.0, 3.5)
    pane = window.spectrogram
    if hasattr(pane, "busy"):
        qtbot.waitUntil(lambda: not pane.busy, timeout=30000)
    qtbot.wait(300)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = window.grab()
    assert shot.save(str(ARTIFACTS / "main_window.png"))

    lane = window.tracks_area.lane(track.id)
    wave = _array(lane.waveform.grab().toImage())
    background = wave[2, 2]
    differs = np.any(np.abs(wave.astype(int) - background.astype(int)) > 40, axis=2)
    assert differs.mean() > 0.2  # the filled envelope covers much of the lane

    spec = _array(pane.grab().toImage()).astype(float)
    h, w = spec.shape[:2]
    centre = spec[h // 5: h * 4 // 5, w // 8: w * 7 // 8]
    assert centre.std(axis=(0, 1)).max() > 20  # a coloured image, not a flat panel

    window.acts["theme_light"].trigger()
    qtbot.wait(50)
    assert window.grab().save(str(ARTIFACTS / "main_window_light.png"))
