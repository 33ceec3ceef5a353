"""Helpers for GUI tests, importable from any test folder (``from guihelpers import ...``)."""

from __future__ import annotations

import numpy as np


def write_test_audio(path, *, seconds: float = 3.0, sr: int = 44100, channels: int = 2,
                     freq: float = 440.0):
    """A decaying tone with a little noise (looks like a waveform, has a clear pitch)."""
    from core.audio import Audio, save

    t = np.arange(int(seconds * sr)) / sr
    env = 0.3 + 0.5 * np.abs(np.sin(2 * np.pi * 0.7 * t))
    rng = np.random.default_rng(1)
    chans = [env * np.sin(2 * np.pi * freq * (1 + 0.5 * c) * t) * 0.8
             + 0.02 * rng.standard_normal(t.size) for c in range(channels)]
    save(Audio(np.asarray(chans, dtype=np.float32), sr), path, subtype="16", overwrite=True)
    return path


def wait_idle(qtbot, window, timeout_ms: int = 20000) -> None:
    """Wait until every job of the window's runner is done."""
    qtbot.waitUntil(lambda: not window.runner.running_jobs(), timeout=timeout_ms)


def open_and_wait(qtbot, window, path, timeout_ms: int = 20000):
    n = len(window.model.tracks)
    window.open_path(path)
    qtbot.waitUntil(lambda: len(window.model.tracks) == n + 1, timeout=timeout_ms)
    wait_idle(qtbot, window, timeout_ms)
    return window.model.tracks[-1]
