"""`resonote transcribe speech` on real recordings, through the real loaders, offline.

Runs in-process through ``core.cli.main.main`` (its error handling and exit
codes) so the embedded model loads once.  While the ``transcribe`` group is
not yet in ``COMMAND_MODULES`` the test builds that group itself and attaches
``core.cli.speech_cmd.register`` to it, exactly as the group will.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.cli import speech_cmd
from core.speech import read_json
from core.speech.metrics import normalize_text

DATA = Path(__file__).resolve().parents[1] / "data" / "speech"
CLIP = DATA / "pocketsphinx_goforward.flac"
LONG = DATA / "librivox_sense_and_sensibility_0870.flac"
cli_main = importlib.import_module("core.cli.main")  # the package re-exports main()


def _parser_with_speech() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resonote")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    group = sub.add_parser("transcribe").add_subparsers(dest="what")
    speech_cmd.register(group)
    return parser


@pytest.fixture
def resonote(monkeypatch, capsys):
    if "transcribe" not in cli_main.subcommand_names():
        monkeypatch.setattr(cli_main, "build_parser", _parser_with_speech)

    def run(*args):
        code = cli_main.main(["transcribe", "speech", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.mark.parametrize("ext", ["txt", "srt", "vtt", "json"])
def test_writes_each_format(tmp_path, resonote, ext):
    out = tmp_path / f"memo.{ext}"
    code, stdout, err = resonote(CLIP, "-o", out)
    assert code == 0, err
    assert str(out) in stdout and "language en" in stdout
    text = out.read_text(encoding="utf-8")
    if ext == "json":
        t = read_json(out)
        assert normalize_text(t.text).startswith("go forward")
        assert t.words and all(w.end_s <= t.duration_s for w in t.words)  # words always in JSON
        assert json.loads(text)["model"] == "whisper-tiny.en"
    else:
        assert "Go forward" in text
    if ext == "srt":
        assert re.search(r"^1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\nGo forward", text, re.M)
    if ext == "vtt":
        assert text.startswith("WEBVTT\n\n00:00:0")


def test_prints_text_without_output(resonote):
    code, out, err = resonote(LONG, "--beam-size", "1", "--language", "en")
    assert code == 0, err
    assert "dashwood" in normalize_text(out)


def test_options_pass_through(tmp_path, resonote):
    out = tmp_path / "a.json"
    code, _, err = resonote(CLIP, "--model", "tiny.en", "--word-timestamps", "--prompt",
                            "Robot commands", "--no-vad", "--device", "cpu", "-o", out)
    assert code == 0, err
    assert read_json(out).model == "whisper-tiny.en"


def test_no_speech_found(tmp_path, resonote):
    wav = tmp_path / "quiet.wav"
    sf.write(wav, np.zeros(16000 * 3, np.float32), 16000)
    out = tmp_path / "quiet.srt"
    code, _, err = resonote(wav, "-o", out)
    assert code == 0
    assert "no speech found" in err
    assert out.read_text() == ""


@pytest.mark.parametrize("args, match", [
    (["missing.wav"], "No file at"),
    ([CLIP, "--language", "de"], "English only"),
    ([CLIP, "--translate"], "cannot translate"),
    ([CLIP, "--model", "nope-model"], "no model called"),
    ([CLIP, "--beam-size", "0"], "Beam size"),
    ([CLIP, "-o", "out.docx"], r"\.txt, \.srt, \.vtt, \.json"),
])
def test_bad_input_one_line_error(tmp_path, monkeypatch, resonote, args, match):
    monkeypatch.chdir(tmp_path)
    code, out, err = resonote(*args)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("resonote: error: "), err
    assert re.search(match, lines[0], re.I), lines[0]


def test_not_a_file_of_audio(tmp_path, resonote):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    code, _, err = resonote(bad)
    assert code == 1 and err.startswith("resonote: error: ") and len(err.strip().splitlines()) == 1


def test_refuses_to_overwrite_without_force(tmp_path, resonote):
    out = tmp_path / "a.txt"
    out.write_text("keep me")
    code, _, err = resonote(CLIP, "-o", out)
    assert code == 1 and "--force" in err and out.read_text() == "keep me"
    code, _, err = resonote(CLIP, "-o", out, "--force")
    assert code == 0, err
    assert "Go forward" in out.read_text()


def test_model_not_downloaded(tmp_path, monkeypatch, resonote):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    code, _, err = resonote(CLIP, "--model", "small")
    assert code == 1 and "resonote models download faster-whisper-small" in err
