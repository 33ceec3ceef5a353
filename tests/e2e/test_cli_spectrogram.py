"""`resonote spectrogram` through the real console script, on real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def resonote(*args):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "app.entry", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def tone_file(tmp_path_factory):
    """3 s stereo: a 1 kHz tone for the first 2 s, then silence, with faint noise."""
    sr = 22050
    t = np.arange(3 * sr) / sr
    x = 0.5 * np.sin(2 * np.pi * 1000 * t) * (t < 2)
    x += 1e-4 * np.random.default_rng(0).standard_normal(t.size)
    p = tmp_path_factory.mktemp("spec") / "tone.wav"
    sf.write(p, np.stack([x, x], 1), sr, subtype="PCM_16")
    return p


@pytest.mark.parametrize("scale", ["linear", "log", "mel"])
def test_renders_png_with_tone_row(tone_file, tmp_path, scale):
    out = tmp_path / f"s_{scale}.png"
    r = resonote("spectrogram", tone_file, "-o", out, "--scale", scale, "--width", 300,
                 "--height", 200, "--no-labels", "--fmax", 4000)
    assert r.returncode == 0, r.stderr
    img = Image.open(out)
    assert img.size == (300, 200) and img.mode == "RGB"
    a = np.asarray(img).astype(float).mean(axis=2)      # (200, 300)
    assert a.var() > 50                                  # not blank
    tone_part = a[:, : 180]                              # first 2 s of 3 s
    bright_row = int(tone_part.mean(axis=1).argmax())
    # 1 kHz on a 0..4 kHz axis: the row of 1 kHz, counted from the top
    if scale == "linear":
        expect = 200 * (1 - 1000 / 4000)
        assert abs(bright_row - expect) <= 4
    assert tone_part[bright_row].mean() > 200            # the tone is the brightest colour
    assert a[bright_row, 220:].mean() < 60               # silence after 2 s is dark


def test_labels_start_duration_and_cmap(tone_file, tmp_path):
    out = tmp_path / "s.png"
    r = resonote("spectrogram", tone_file, "-o", out, "--start", 0.5, "--duration", 1.0,
                 "--cmap", "viridis", "--width", 400, "--height", 150)
    assert r.returncode == 0, r.stderr
    img = np.asarray(Image.open(out))
    assert img.shape == (150, 400, 3)
    # viridis dark end is blue-purple: no pure-grey image
    assert np.abs(img[..., 0].astype(int) - img[..., 2].astype(int)).mean() > 10
    again = resonote("spectrogram", tone_file, "-o", out)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert resonote("spectrogram", tone_file, "-o", out, "--force").returncode == 0


@pytest.mark.parametrize("args,needle", [
    (["missing.wav", "-o", "{tmp}/x.png"], "No file"),
    (["{tone}", "-o", "{tmp}/x.png", "--width", "0"], "Width"),
    (["{tone}", "-o", "{tmp}/x.png", "--cmap", "rainbow"], "colour map"),
    (["{tone}", "-o", "{tmp}/x.jpg"], ".png"),
    (["{tone}", "-o", "{tmp}/x.png", "--n-fft", "4"], "FFT size"),
    (["{tone}", "-o", "{tmp}/x.png", "--range-db", "-3"], "range-db"),
    (["{tone}", "-o", "{tmp}/nofolder/x.png"], "does not exist"),
])
def test_errors_are_one_line(tone_file, tmp_path, args, needle):
    args = [a.format(tmp=tmp_path, tone=tone_file) for a in args]
    r = resonote("spectrogram", *args)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("resonote: error:") and needle in lines[0]
    assert not list(tmp_path.glob("*.png"))
