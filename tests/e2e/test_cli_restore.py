"""``resonote restore ...`` end to end through the real console entry point, on real files.

Every tool writes a file that is measurably better than its input; ``loudness``
without ``-o`` only measures; ``chain`` runs a saved preset; mistakes end in one
plain ``resonote: error: ...`` line and exit code 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
import restore_data as rd  # noqa: E402

SR = 16000


def resonote(*args, timeout=120):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "app.entry", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def _write(path: Path, x: np.ndarray, sr: int = SR, subtype: str = "FLOAT") -> Path:
    sf.write(path, np.asarray(x).T if np.ndim(x) == 2 else x, sr, subtype=subtype)
    return path


def _read(path: Path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(path, dtype="float64", always_2d=True)
    return x.T, sr


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """Real speech (CMU ARCTIC) after a 1 s pause, peak 0.5."""
    return np.concatenate([np.zeros(SR), rd.speech(SR)])


def _one_error_line(r: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert len(lines) == 1 and lines[-1].startswith("resonote: error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[-1]


@pytest.mark.parametrize("method", ["deepfilter", "rnnoise", "gate"])
def test_denoise_writes_a_cleaner_file(tmp_path, speech, method):
    noisy = rd.mix_at_snr(speech, rd.white(speech.size), 5.0)
    src = _write(tmp_path / "noisy.wav", noisy)
    out = tmp_path / f"clean-{method}.flac"
    args = ["restore", "denoise", src, "-o", out, "--method", method, "--json"]
    if method == "gate":
        args += ["--noise-region", "0:1"]
    r = resonote(*args)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["tool"] == "denoise" and report["method"] == method
    y, sr = _read(out)
    assert sr == SR and y.shape == (1, noisy.size)
    assert rd.si_sdr(speech, y[0]) > rd.si_sdr(speech, noisy) + 3.0


def test_declip_declick_dehum_dereverb_each_write_a_file(tmp_path, speech):
    s = speech
    # declip: clipped at 0.25 and written as 16-bit like a real clipped take
    clipped = np.clip(s, -0.25, 0.25)
    r = resonote("restore", "declip", _write(tmp_path / "clip.wav", clipped, subtype="FLOAT"),
                 "-o", tmp_path / "declip.wav")
    assert r.returncode == 0, r.stderr
    assert "clipped:" in r.stdout and "runs" in r.stdout
    y, _ = _read(tmp_path / "declip.wav")
    assert rd.snr(s, y[0]) > rd.snr(s, clipped) + 3.0

    # declick: 12 sharp clicks at known places
    clicky = s.copy()
    pos = np.linspace(SR + 2000, s.size - 2000, 12).astype(int)
    clicky[pos] += 0.6
    r = resonote("restore", "declick", _write(tmp_path / "clicks.wav", clicky), "-o",
                 tmp_path / "declick.wav", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["clicks"] >= 10
    y, _ = _read(tmp_path / "declick.wav")
    assert rd.snr(s, y[0]) > rd.snr(s, clicky) + 6.0

    # dehum: 60 Hz hum with harmonics, found automatically
    t = np.arange(s.size) / SR
    hum = sum(0.05 / k * np.sin(2 * np.pi * 60 * k * t) for k in range(1, 5))
    r = resonote("restore", "dehum", _write(tmp_path / "hum.wav", s + hum), "-o",
                 tmp_path / "dehum.wav", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["measured"] and abs(rep["fundamental_hz"] - 60) < 0.2
    y, _ = _read(tmp_path / "dehum.wav")
    assert rd.tone_level_db(y[0], SR, 60) < rd.tone_level_db(s + hum, SR, 60) - 20

    # dereverb: speech in a synthetic exponentially decaying room (0.5 s RT60)
    rng = np.random.default_rng(3)
    n = int(0.5 * SR)
    rir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)
    rir[0] = 1.0
    wet = np.convolve(s, rir)[: s.size]
    wet *= 0.5 / np.max(np.abs(wet))
    r = resonote("restore", "dereverb", _write(tmp_path / "room.wav", wet), "-o",
                 tmp_path / "dry.wav", "--bits", "24")
    assert r.returncode == 0, r.stderr
    assert "dereverb: removed" in r.stdout
    y, _ = _read(tmp_path / "dry.wav")
    assert sf.info(tmp_path / "dry.wav").subtype == "PCM_24"
    assert rd.si_sdr(s, y[0]) > rd.si_sdr(s, wet)


def test_loudness_measures_without_output_and_normalises_with_it(tmp_path, speech):
    stereo = np.stack([speech, 0.8 * speech]) * 0.2
    src = _write(tmp_path / "quiet.wav", stereo)
    r = resonote("restore", "loudness", src, "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["integrated_lufs"] < -25 and m["true_peak_dbtp"] < -10
    assert not (tmp_path / "quiet.restored.wav").exists()
    assert len(list(tmp_path.iterdir())) == 1  # nothing written
    r = resonote("restore", "loudness", src)
    assert r.returncode == 0 and "integrated " in r.stdout and "LUFS" in r.stdout and "true peak" in r.stdout

    out = tmp_path / "loud.wav"
    r = resonote("restore", "loudness", src, "-o", out, "--target", "streaming",
                 "--true-peak", "-1", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["target_lufs"] == -14.0
    r = resonote("restore", "loudness", out, "--json")
    after = json.loads(r.stdout)
    assert abs(after["integrated_lufs"] - -14.0) < 0.2
    assert after["true_peak_dbtp"] <= -0.9


def test_chain_preset_runs_every_step(tmp_path, speech):
    t = np.arange(speech.size) / SR
    x = np.clip(speech, -0.3, 0.3) + 0.05 * np.sin(2 * np.pi * 50 * t)
    src = _write(tmp_path / "take.wav", x)
    preset = tmp_path / "guitar.json"
    preset.write_text(json.dumps({
        "format": "resonote-restore-chain", "version": 1, "name": "take",
        "steps": [{"tool": "dehum", "params": {"fundamental_hz": 50, "harmonics": 4}},
                  {"tool": "loudness", "params": {"target_lufs": -20}}]}))
    out = tmp_path / "take.out.wav"
    r = resonote("restore", "chain", src, "-o", out, "--preset", preset, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert [s["tool"] for s in rep["steps"]] == ["dehum", "loudness"]
    assert rep["steps"][0]["fundamental_hz"] == 50
    y, _ = _read(out)
    assert rd.tone_level_db(y[0], SR, 50) < rd.tone_level_db(x, SR, 50) - 20
    assert abs(json.loads(resonote("restore", "loudness", out, "--json").stdout)
               ["integrated_lufs"] - -20) < 0.2


def test_mistakes_end_in_one_plain_line(tmp_path, speech):
    src = _write(tmp_path / "in.wav", speech)
    existing = _write(tmp_path / "out.wav", speech)
    line = _one_error_line(resonote("restore", "dehum", src, "-o", existing))
    assert "already exists" in line and "--force" in line
    line = _one_error_line(resonote("restore", "dehum", src, "-o", src, "--force"))
    assert "same file" in line
    line = _one_error_line(resonote("restore", "declip", tmp_path / "missing.wav", "-o",
                                    tmp_path / "x.wav"))
    assert "missing.wav" in line
    line = _one_error_line(resonote("restore", "denoise", src, "-o", tmp_path / "y.wav",
                                    "--method", "gate", "--noise-region", "0:0.05"))
    assert "too short" in line
    line = _one_error_line(resonote("restore", "dehum", src, "-o", tmp_path / "z.wav",
                                    "--harmonics", "0"))
    assert "harmonics" in line
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    line = _one_error_line(resonote("restore", "chain", src, "-o", tmp_path / "w.wav",
                                    "--preset", bad))
    assert "not a Resonote restoration chain" in line
    short = _write(tmp_path / "short.wav", speech[:1000])
    line = _one_error_line(resonote("restore", "loudness", short, "-o", tmp_path / "v.wav"))
    assert "too short" in line
    assert not any((tmp_path / n).exists() for n in ("x.wav", "y.wav", "z.wav", "w.wav", "v.wav"))
    # argparse usage errors: exit code 2, never a traceback
    r = resonote("restore", "denoise", src, "-o", tmp_path / "u.wav", "--method", "magic")
    assert r.returncode == 2 and "invalid choice" in r.stderr and "Traceback" not in r.stderr
