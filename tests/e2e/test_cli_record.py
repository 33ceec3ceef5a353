"""`resonote record` on the real device (PulseAudio null sink), as a separate process."""

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

pytestmark = pytest.mark.audio_device

ROOT = Path(__file__).resolve().parents[2]


def resonote(*args: str, **kw) -> subprocess.Popen:
    """The real console-script entry point, as a separate process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DISPLAY", None)
    return subprocess.Popen([sys.executable, "-m", "app.entry", *map(str, args)],
                            cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run(*args: str) -> tuple[int, str, str]:
    p = resonote(*args)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err


def play_tone(pulse_sink, tmp_path, dur_s: float) -> subprocess.Popen:
    sr = 48000
    t = np.arange(round(dur_s * sr)) / sr
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    wav = tmp_path / "tone.wav"
    sf.write(str(wav), np.stack([x, x], 1), sr, subtype="FLOAT")
    return subprocess.Popen(["paplay", "-d", pulse_sink.sink, str(wav)])


def peak_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec)) * sr / len(x)


def test_record_for_a_duration(pulse_sink, tmp_path):
    out = tmp_path / "take.wav"
    player = play_tone(pulse_sink, tmp_path, 4.0)
    try:
        code, stdout, err = run("record", "-o", out, "--device", pulse_sink.device,
                                "--duration", "1.5", "--bits", "24")
    finally:
        player.kill()
    assert code == 0, err
    assert str(out) in stdout and "1.50 s" in stdout
    info = sf.info(str(out))
    assert (info.frames, info.samplerate, info.channels, info.subtype) == (72000, 48000, 2, "PCM_24")
    y, sr = sf.read(str(out))
    assert abs(peak_hz(y[:, 0], sr) - 440) < 2.0
    assert (tmp_path / "take.take.json").exists()


def test_ctrl_c_stops_cleanly_with_a_valid_file(pulse_sink, tmp_path):
    out = tmp_path / "take.wav"
    p = resonote("record", "-o", out, "--device", pulse_sink.device, "--channels", "1")
    deadline = time.monotonic() + 30
    while not (out.exists() and sf.info(str(out)).frames > 4800):
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    stdout, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    info = sf.info(str(out))
    assert info.channels == 1 and info.frames > 4800
    assert "Traceback" not in err


def test_list_devices(pulse_sink):
    code, stdout, _ = run("record", "--list-devices")
    assert code == 0 and "pulse" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--device", "no such microphone"], "The audio input \u201cno such microphone\u201d was not found"),
        (["--sr", "1000"], "Sample rate must be"),
        (["--duration", "0"], "--duration must be more than 0"),
    ],
)
def test_errors_are_one_line(pulse_sink, tmp_path, args, message):
    code, _, err = run("record", "-o", tmp_path / "x.wav", *args)
    assert code == 1 and message in err and "Traceback" not in err
    assert err.startswith("resonote: error:") and len(err.strip().splitlines()) == 1


def test_never_overwrites_without_force(pulse_sink, tmp_path):
    out = tmp_path / "x.wav"
    out.write_bytes(b"keep me")
    code, _, err = run("record", "-o", out, "--duration", "0.2", "--device", pulse_sink.device)
    assert code == 1 and "already exists" in err and out.read_bytes() == b"keep me"


def test_measure_latency_prints_the_round_trip(pulse_sink):
    code, stdout, err = run("record", "--measure-latency", "--device", pulse_sink.device)
    assert code == 0, err
    ms = float(stdout.split("round-trip latency:")[1].split("ms")[0])
    assert 5.0 < ms < 500.0, stdout


def test_flac_take_over_a_backing_file_with_count_in_and_monitoring(pulse_sink, tmp_path):
    """--play FILE with --latency auto: the clicks of the backing file come back through
    the null sink and land at the same times in the take; --count-in clicks first."""
    sr = 48000
    back = np.zeros(2 * sr, np.float32)
    marks = [round(0.4 * sr), round(1.3 * sr)]
    for m in marks:
        back[m : m + 240] = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(240) / sr)
    wav = tmp_path / "backing.wav"
    sf.write(str(wav), back, sr)
    out = tmp_path / "take.flac"
    code, stdout, err = run("record", "-o", out, "--device", pulse_sink.device, "--duration",
                            "1.8", "--play", wav, "--latency", "auto", "--count-in", "2",
                            "--tempo", "300", "--monitor", "--monitor-gain", "-30")
    assert code == 0, err
    assert "round-trip latency:" in stdout and "1.80 s" in stdout
    info = sf.info(str(out))
    assert (info.format, info.frames, info.subtype) == ("FLAC", round(1.8 * sr), "PCM_24")
    y = sf.read(str(out), dtype="float32")[0][:, 0]
    on = np.flatnonzero(np.abs(y) > 0.1)
    got = [int(on[0])] + [int(b) for a, b in zip(on[:-1], on[1:], strict=True) if b - a > sr // 10]
    err_ms = [(g - m) / sr * 1000 for g, m in zip(got, marks, strict=True)]
    assert len(got) == 2 and max(abs(e) for e in err_ms) < 12, (got, err_ms)


def test_flac_name_must_match_the_format(pulse_sink, tmp_path):
    code, _, err = run("record", "-o", tmp_path / "x.wav", "--format", "flac",
                       "--device", pulse_sink.device)
    assert code != 0 and "must end in .flac" in err and len(err.strip().splitlines()) == 1
