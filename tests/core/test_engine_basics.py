"""Jobs, devices, errors and the rule that core never imports Qt."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import devices
from core.errors import ComputeOutOfMemoryError, InvalidParameterError, ResonoteError
from core.jobs import CancelToken, JobCancelled, Progress, ThrottledProgress, check

ROOT = Path(__file__).resolve().parents[2]


def test_core_imports_with_qt_blocked():
    code = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6'):\n"
        "            raise ImportError('Qt is blocked in core: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    importlib.import_module(m.name)\n"
        "heavy = sorted(k for k in ('torch', 'librosa') if k in sys.modules)\n"
        "print('heavy:', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    # importing every core module must not drag in torch or librosa either
    assert "heavy: []" in out.stdout, out.stdout


def test_cli_does_not_import_qt_or_torch():
    code = ("import sys; from core.cli import build_parser; build_parser();"
            "print(sorted(m for m in ('PySide6','torch','librosa') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_cancel_token_and_check():
    t = CancelToken()
    check(None)
    check(t)
    t.cancel()
    assert t.cancelled
    with pytest.raises(JobCancelled):
        t.raise_if_cancelled()
    with pytest.raises(JobCancelled):
        check(t)
    assert not issubclass(JobCancelled, ResonoteError)


def test_cancel_wakes_a_waiting_worker_quickly():
    t = CancelToken()
    woke = []

    def worker():
        t.wait(10.0)
        woke.append(time.monotonic())

    th = threading.Thread(target=worker)
    th.start()
    t0 = time.monotonic()
    t.cancel()
    th.join(5)
    assert woke and woke[0] - t0 < 1.0


@pytest.mark.parametrize("done,total,frac", [(0, 0, None), (5, 10, 0.5), (12, 10, 1.0), (-1, 10, 0.0)])
def test_progress_fraction(done, total, frac):
    assert Progress("x", done, total).fraction == frac


def test_throttled_progress_keeps_first_and_final():
    seen = []
    tp = ThrottledProgress(seen.append, rate_hz=1.0)
    for i in range(1000):
        tp(Progress("s", i, 1000))
    tp(Progress("s", 1000, 1000))
    assert seen[0].done == 0 and seen[-1].done == 1000 and len(seen) <= 3


def test_device_pick(monkeypatch):
    monkeypatch.setenv("RESONOTE_DEVICE", "cpu")
    assert devices.pick() == "cpu"
    assert devices.pick("cpu") == "cpu"
    with pytest.raises(InvalidParameterError):
        devices.pick("tpu")
    monkeypatch.delenv("RESONOTE_DEVICE")
    import torch

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert devices.pick("auto") == expected
    # asking for an absent GPU falls back to the CPU instead of failing
    if not torch.cuda.is_available():
        assert devices.pick("cuda") == "cpu"
    assert "CPU" in devices.describe("cpu")


def test_oom_fallback_halves_then_moves_to_cpu():
    calls, notes = [], []

    def fn(device, chunk):
        calls.append((device, chunk))
        if device != "cpu" or chunk > 200:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return device, chunk

    assert devices.run_with_fallback(fn, device="cuda", chunk=800, min_chunk=200,
                                     notify=notes.append) == ("cpu", 200)
    assert calls == [("cuda", 800), ("cuda", 400), ("cuda", 200),
                     ("cpu", 800), ("cpu", 400), ("cpu", 200)]
    assert any("CPU" in n for n in notes)


def test_oom_everywhere_is_a_plain_error():
    def fn(device, chunk):
        raise MemoryError()

    with pytest.raises(ComputeOutOfMemoryError, match="Not enough memory"):
        devices.run_with_fallback(fn, device="cpu", chunk=8, min_chunk=2, notify=lambda m: None)


def test_other_errors_are_not_swallowed():
    def fn(device, chunk):
        raise ValueError("bug")

    with pytest.raises(ValueError):
        devices.run_with_fallback(fn, device="cuda", chunk=8, min_chunk=2)
