"""A take survives SIGKILL: a separate process records the real device, is killed
mid-take, and :func:`recover_takes` gets the take back with at most 1 s lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio import load
from core.record import Take, orphaned_takes, recover_takes

pytestmark = pytest.mark.audio_device

ROOT = Path(__file__).resolve().parents[2]
HZ = 440.0
CHILD = """
import sys, time
from pathlib import Path
from core.record import Recorder
rec = Recorder(device=sys.argv[1], directory=Path(sys.argv[2]), format=sys.argv[3])
take = rec.start()
print("STARTED", take.path, flush=True)
time.sleep(60)
"""


def peak_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(x)


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_sigkill_mid_take_loses_at_most_one_second(pulse_sink, tmp_path, fmt):
    sr = 48000
    t = np.arange(8 * sr) / sr
    tone = (0.5 * np.sin(2 * np.pi * HZ * t)).astype(np.float32)
    wav = tmp_path / "tone.wav"
    sf.write(str(wav), np.stack([tone, tone], 1), sr, subtype="FLOAT")
    player = subprocess.Popen(["paplay", "-d", pulse_sink.sink, str(wav)])
    takes_dir = tmp_path / "takes"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, pulse_sink.device, str(takes_dir), fmt],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        started = time.monotonic()
        assert line.startswith("STARTED"), line
        time.sleep(3.0)
        child.send_signal(signal.SIGKILL)
        recorded_s = time.monotonic() - started
        child.wait(timeout=10)
    finally:
        child.kill()
        player.kill()
        player.wait()
    assert child.returncode == -signal.SIGKILL

    path = Path(line.split(maxsplit=1)[1].strip())
    assert path.suffix == f".{fmt}"
    if fmt == "flac":
        # libsndfile leaves the FLAC length "unknown" until a clean close: readable
        # frame by frame, but not as a whole until recover_takes() rewrites it
        with sf.SoundFile(str(path)) as f:
            assert f.read(sr, dtype="float32").shape == (sr, 2)
    assert Take.from_sidecar(path.with_name(path.stem + ".take.json")).state == "recording"
    assert [t.path for t in orphaned_takes(takes_dir)] == [path]
    takes = recover_takes(takes_dir)
    assert [t.path for t in takes] == [path] and takes[0].state == "recovered"
    audio = load(path)
    assert audio.sr == sr and audio.samples.shape == (2, takes[0].frames)
    assert audio.duration_s >= recorded_s - 1.0, (audio.duration_s, recorded_s)
    x = audio.samples[0]
    idx = np.flatnonzero(np.abs(x) > 0.01)
    assert idx[-1] - idx[0] > (recorded_s - 1.0) * sr  # the tone, not silence
    assert abs(peak_hz(x[idx[0] : idx[-1]], sr) - HZ) < 2.0
    assert Take.from_sidecar(takes[0].metadata_path).state == "recovered"
    assert recover_takes(takes_dir) == []
