"""``resonote codec`` end to end: Opus for real, EnCodec with a tiny random model."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

from core import models
from core.audio import Audio, load, save
from core.codec import si_sdr
from core.codec.testing import make_tiny_encodec
from core.tagging.testing import install_as_downloaded

cli_main = importlib.import_module("core.cli.main")
SR = 44100


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
    x = sum(np.sin(2 * np.pi * 220 * h * t) * 0.2 / h for h in range(1, 5)) * np.exp(-t)
    path = tmp_path / "song.wav"
    save(Audio(np.stack([x, 0.7 * x]).astype(np.float32), SR), path, subtype="32f")
    return path


def test_opus_report_and_file(run, song, tmp_path):
    out = tmp_path / "opus.wav"
    rc, stdout, err = run("codec", song, "-o", out, "--codec", "opus", "--kbps", "48",
                          "--report")
    assert rc == 0, err
    rep = json.loads(stdout)
    assert rep["codec"] == "opus" and rep["kbps"] == 48 and rep["si_sdr_db"] > 12
    a, b = load(song), load(out)
    assert b.sr == a.sr and b.samples.shape == a.samples.shape
    assert si_sdr(a.samples, b.samples) == pytest.approx(rep["si_sdr_db"], abs=0.5)


def test_encodec_through_the_cache(run, song, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    install_as_downloaded("encodec-tiny-test", make_tiny_encodec(tmp_path / "enc"), task="codec")
    try:
        out = tmp_path / "enc.wav"
        rc, stdout, err = run("codec", song, "-o", out, "--model", "encodec-tiny-test",
                              "--kbps", "3")
        assert rc == 0, err
        assert "encodec 3 kbps (actual 3.00)" in stdout
        assert load(out).samples.shape == load(song).samples.shape
    finally:
        models.unregister("encodec-tiny-test")


def test_encodec_missing_or_wrong_bitrate(run, song, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "empty"))
    rc, _, err = run("codec", song, "-o", tmp_path / "x.wav")
    assert rc == 1 and "resonote models download encodec-24khz" in err
    assert not (tmp_path / "x.wav").exists()
    rc, _, err = run("codec", song, "-o", tmp_path / "x.wav", "--codec", "opus", "--kbps", "0")
    assert rc == 1 and "0.5 to 256" in err
