"""``resonote separate`` end to end on real files, offline."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import soundfile as sf

from core.audio import Audio, save

cli_main = importlib.import_module("core.cli.main")
SR = 22050


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def run(monkeypatch, capsys):
    """``resonote ARGS`` in-process, through the real argument parser."""

    def _run(*argv):
        rc = cli_main.main([str(a) for a in argv])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return _run


@pytest.fixture
def song(tmp_path):
    t = np.arange(3 * SR) / SR
    x = 0.3 * np.sin(2 * np.pi * 220 * t)
    x[:: SR // 4] += 0.9
    stereo = np.stack([x, 0.5 * x + 0.1 * np.sin(2 * np.pi * 330 * t)]).astype(np.float32)
    path = tmp_path / "song.wav"
    save(Audio(stereo, SR), path, subtype="32f")
    return path, stereo


def test_writes_one_file_per_stem(run, song, tmp_path):
    path, mix = song
    out = tmp_path / "stems"
    rc, stdout, err = run("separate", path, "-o", out, "--bits", "32f")
    assert rc == 0, err
    files = sorted(p.name for p in out.iterdir())
    assert files == ["song.harmonic.wav", "song.percussive.wav"]
    assert stdout.split() == [str(out / "song.harmonic.wav"), str(out / "song.percussive.wav")]
    h, sr = sf.read(out / "song.harmonic.wav", always_2d=True)
    p, _ = sf.read(out / "song.percussive.wav", always_2d=True)
    assert sr == SR and h.shape == (mix.shape[1], 2)
    np.testing.assert_allclose((h + p).T, mix, atol=1e-5)


def test_subset_residual_flac_24_bit_and_preview(run, song, tmp_path):
    path, mix = song
    out = tmp_path / "o"
    rc, _, err = run("separate", path, "-o", out, "--model", "midside", "--stems", "sides",
                     "--residual", "--format", "flac", "--bits", "24", "--preview", "1.5")
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["song.residual.flac", "song.sides.flac"]
    info = sf.info(out / "song.sides.flac")
    assert info.subtype == "PCM_24" and info.frames == int(1.5 * SR)
    s, _ = sf.read(out / "song.sides.flac", always_2d=True)
    r, _ = sf.read(out / "song.residual.flac", always_2d=True)
    np.testing.assert_allclose((s + r).T, mix[:, : int(1.5 * SR)], atol=2e-4)


def test_exclude(run, song, tmp_path):
    path, _ = song
    rc, _, err = run("separate", path, "-o", tmp_path / "x", "-m", "repet", "--exclude", "vocals")
    assert rc == 0, err
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["song.accompaniment.wav"]


@pytest.mark.parametrize("args,message", [
    (["--model", "htdemucs"], "resonote models download htdemucs"),
    (["--model", "nope"], "no model called 'nope'"),
    (["--stems", "drums"], "no 'drums' stem"),
    (["--model", "midside", "--stems", "center", "--format", "flac", "--bits", "32f"], "FLAC"),
])
def test_errors_are_one_line(run, song, tmp_path, args, message):
    path, _ = song
    rc, _, err = run("separate", path, "-o", tmp_path / "e", *args)
    assert rc == 1
    assert message in err and err.startswith("resonote: error:") and err.count("\n") == 1
    assert not (tmp_path / "e").exists()  # nothing written on failure


def test_mono_midside_and_existing_files(run, song, tmp_path):
    path, mix = song
    mono = tmp_path / "mono.wav"
    save(Audio(mix[:1], SR), mono)
    rc, _, err = run("separate", mono, "-o", tmp_path / "m", "-m", "midside")
    assert rc == 1 and "stereo" in err
    out = tmp_path / "twice"
    assert run("separate", path, "-o", out)[0] == 0
    rc, _, err = run("separate", path, "-o", out)
    assert rc == 1 and "already exists" in err
    assert run("separate", path, "-o", out, "--force")[0] == 0


def test_missing_input(run, tmp_path):
    rc, _, err = run("separate", tmp_path / "none.wav", "-o", tmp_path / "o")
    assert rc == 1 and err.startswith("resonote: error:")
