"""``resonote features`` end to end on a real file."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from core.audio import Audio, save
from core.features import load_features_csv

cli_main = importlib.import_module("core.cli.main")
SR = 22050


@pytest.fixture
def run(capsys):
    def _run(*argv):
        rc = cli_main.main([str(a) for a in argv])
        out = capsys.readouterr()
        return rc, out.out, out.err
    return _run


@pytest.fixture
def song(tmp_path):
    t = np.arange(2 * SR) / SR
    x = (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    path = tmp_path / "a440.wav"
    save(Audio(np.stack([x, x]), SR), path, subtype="32f")
    return path


def test_csv_of_chosen_features_in_a_range(run, song, tmp_path):
    out = tmp_path / "f.csv"
    rc, stdout, err = run("features", song, "-o", out, "--features", "rms,centroid,chroma",
                          "--start", "0.5", "--end", "1.5")
    assert rc == 0, err
    cols, data = load_features_csv(out)
    assert cols[:3] == ["time_s", "rms", "centroid_hz"] and len(cols) == 3 + 12
    assert data[0, 0] == pytest.approx(0.5) and data[-1, 0] <= 1.5 + 512 / SR
    assert np.median(data[:, 1]) == pytest.approx(0.4 / np.sqrt(2), rel=0.02)
    assert np.median(data[:, 2]) == pytest.approx(440, rel=0.03)
    assert cols[3 + int(np.argmax(data[:, 3:].mean(axis=0)))] == "chroma_A"
    assert "frames" in stdout


def test_npy_of_everything(run, song, tmp_path):
    out = tmp_path / "f.npy"
    rc, _, err = run("features", song, "-o", out)
    assert rc == 0, err
    m = np.load(out)
    assert m.shape == (1 + 2 * SR // 512, 1 + 13 + 64 + 12 + 5)


@pytest.mark.parametrize("argv,msg", [(["-o", "x.txt"], ".csv, .npy or .npz"),
                                      (["-o", "x.csv", "--features", "zcr"], "Unknown feature"),
                                      (["-o", "x.csv", "--start", "5"], "outside the audio")])
def test_errors_are_one_plain_line(run, song, tmp_path, argv, msg):
    argv = [a if not a.startswith("x.") else str(tmp_path / a) for a in argv]
    rc, _, err = run("features", song, *argv)
    assert rc == 1 and msg in err and err.startswith("resonote: error:")


def test_refuses_to_overwrite(run, song, tmp_path):
    out = tmp_path / "f.csv"
    out.write_text("keep")
    rc, _, err = run("features", song, "-o", out)
    assert rc == 1 and "already exists" in err and out.read_text() == "keep"
