"""`resonote info` and `resonote convert` through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]


def resonote(*args, cwd=None):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "app.entry", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def _tone(path, sr=44100, channels=2, seconds=1.0, subtype="PCM_24"):
    t = np.arange(int(sr * seconds)) / sr
    x = np.stack([0.5 * np.sin(2 * np.pi * 440 * t)] * channels, axis=1)
    sf.write(path, x, sr, subtype=subtype)
    return path


def test_info_json(tmp_path):
    p = _tone(tmp_path / "a.wav")
    r = resonote("info", p, "--json", "--levels")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["sample_rate"] == 44100 and d["channels"] == 2 and d["frames"] == 44100
    assert abs(d["peak_dbfs"] - (-6.02)) < 0.1


def test_convert_resample_mono_bits(tmp_path):
    src = _tone(tmp_path / "a.wav")
    before = src.read_bytes()
    r = resonote("convert", src, tmp_path / "b.flac", "--sr", "16000", "--mono", "--bits", "24")
    assert r.returncode == 0, r.stderr
    i = sf.info(tmp_path / "b.flac")
    assert (i.samplerate, i.channels, i.subtype, i.frames) == (16000, 1, "PCM_24", 16000)
    assert src.read_bytes() == before
    # existing output is kept unless --force
    r2 = resonote("convert", src, tmp_path / "b.flac")
    assert r2.returncode == 1 and "already exists" in r2.stderr
    assert resonote("convert", src, tmp_path / "b.flac", "--force").returncode == 0


def test_convert_refuses_to_overwrite_source(tmp_path):
    src = _tone(tmp_path / "a.wav")
    r = resonote("convert", src, src, "--force")
    assert r.returncode == 1 and "never overwrites its source" in r.stderr


def test_errors_are_one_line_without_traceback(tmp_path):
    (tmp_path / "notes.wav").write_text("not audio at all\n" * 50)
    for args in (["info", tmp_path / "missing.wav"], ["info", tmp_path / "notes.wav"],
                 ["convert", tmp_path / "missing.wav", tmp_path / "o.wav"],
                 ["convert", tmp_path / "notes.wav", tmp_path / "o.mp3"]):
        r = resonote(*args)
        assert r.returncode == 1, (args, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("resonote: error: "), r.stderr
        assert "Traceback" not in r.stderr


def test_nan_file_needs_clean_flag(tmp_path):
    x = np.zeros((1000, 1), np.float32)
    x[5] = np.nan
    sf.write(tmp_path / "nan.wav", x, 8000, subtype="FLOAT")
    r = resonote("convert", tmp_path / "nan.wav", tmp_path / "o.wav")
    assert r.returncode == 1 and "invalid samples" in r.stderr
    r = resonote("convert", tmp_path / "nan.wav", tmp_path / "o.wav", "--clean")
    assert r.returncode == 0, r.stderr
    assert np.isfinite(sf.read(tmp_path / "o.wav")[0]).all()


def test_unknown_subcommand_usage_error():
    r = resonote("--help")
    assert r.returncode == 0 and "convert" in r.stdout and "info" in r.stdout
