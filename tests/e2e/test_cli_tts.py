"""`resonote tts` end to end: real espeak-ng synthesis into real files, and its errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def resonote(capsys):
    def run(*args):
        code = main(["tts", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_speaks_text_into_a_wav(tmp_path, resonote):
    out = tmp_path / "guide.wav"
    code, stdout, err = resonote("Verse two starts in four bars", "-o", out)
    assert code == 0, err
    assert str(out) in stdout and "22050 Hz" in stdout
    data, sr = sf.read(out)
    assert sr == 22050 and data.ndim == 1 and len(data) > sr
    assert np.sqrt(np.mean(data**2)) > 0.02


def test_file_voice_speed_and_rate(tmp_path, resonote):
    text = tmp_path / "text.txt"
    text.write_text("Eins, zwei, drei, vier.\nUnd los!\n", encoding="utf-8")
    normal, fast = tmp_path / "n.flac", tmp_path / "f.flac"
    assert resonote("--file", text, "--voice", "de", "-o", normal)[0] == 0
    code, stdout, err = resonote("--file", text, "--voice", "de", "--speed", "2",
                                 "--sr", "48000", "-o", fast)
    assert code == 0, err
    n, f = sf.info(normal), sf.info(fast)
    assert f.samplerate == 48000
    assert 0.2 < f.duration / n.duration < 0.75


def test_list_voices(resonote):
    code, stdout, _ = resonote("--list-voices")
    assert code == 0 and "en-us" in stdout and "English (America)" in stdout
    code, stdout, _ = resonote("--list-voices", "--engine", "mms")
    assert code == 0 and "mms-tts-eng" in stdout and "piper" not in stdout
    code, stdout, _ = resonote("--list-voices", "--engine", "piper")
    assert code == 0 and "piper-de_DE-thorsten-medium" in stdout and "(download first)" in stdout


@pytest.mark.parametrize("args, message", [
    (["hello"], "-o OUT.wav"),
    (["-o", "{tmp}/x.wav"], "Give the text to speak"),
    (["", "-o", "{tmp}/x.wav"], "no text to speak"),
    (["hi", "--file", "{tmp}/t.txt", "-o", "{tmp}/x.wav"], "not both"),
    (["--file", "{tmp}/missing.txt", "-o", "{tmp}/x.wav"], "does not exist"),
    (["hi", "--voice", "elvish", "-o", "{tmp}/x.wav"], "no voice 'elvish'"),
    (["hi", "--speed", "9", "-o", "{tmp}/x.wav"], "Speed must be between"),
    (["hi", "-o", "{tmp}/x.xyz"], "Cannot save as '.xyz'"),
    (["hi", "--engine", "mms", "-o", "{tmp}/x.wav"], "resonote models download mms-tts-eng"),
    (["hi", "--engine", "piper", "-o", "{tmp}/x.wav"],
     "resonote models download piper-en_US-ljspeech-medium"),
])
def test_errors_are_one_plain_line(tmp_path, resonote, monkeypatch, args, message):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    code, _, err = resonote(*[a.format(tmp=tmp_path) for a in args])
    assert code == 1
    assert err.startswith("resonote: error: ") and message in err
    assert err.count("\n") == 1


def test_refuses_to_overwrite(tmp_path, resonote):
    out = tmp_path / "x.wav"
    out.write_bytes(b"keep")
    code, _, err = resonote("hi", "-o", out)
    assert code == 1 and "already exists" in err and out.read_bytes() == b"keep"
    assert resonote("hi", "-o", out, "--force")[0] == 0


def test_the_installed_command(tmp_path):
    out = tmp_path / "hi.wav"
    res = subprocess.run([sys.executable, "-c", "import sys; from core.cli.main import main; "
                          "sys.exit(main(sys.argv[1:]))", "tts", "One two three", "-o", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert sf.info(out).duration > 0.5
