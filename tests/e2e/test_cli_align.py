"""`resonote align` end to end: real audio files, real lyrics files, the real loaders, offline.

The tiny random wav2vec2 model (core.align.testing) is installed through the
registry's downloader from a local HTTP server, then the command runs
in-process (the registry entry lives in this process).  The audio is speech
made by espeak-ng from the lyrics themselves.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading

import numpy as np
import pytest

from core import models
from core.align import clear_cache
from core.align.testing import write_tiny_model
from core.audio import Audio, save
from core.cli.main import main
from core.speech import read_json
from core.tts import synthesize

NAME = "tiny-align-cli"
LYRICS = "[Chorus]\nRow, row, row your boat\nGently down the stream\n\nMerrily, merrily\n"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    folder = tmp_path_factory.mktemp("song")
    (folder / "lyrics.txt").write_text(LYRICS, encoding="utf-8")
    save(synthesize(LYRICS.replace("[Chorus]", ""), voice="en-us"), folder / "vocals.wav")
    return folder


@pytest.fixture
def tiny(tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    files = write_tiny_model(tmp_path_factory.mktemp("w2v"))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(files)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    models.register(models.ModelSpec(
        name=NAME, task="align", description="tiny", source="download", licence="MIT",
        loader="transformers-dir", base_url=f"http://127.0.0.1:{server.server_address[1]}",
        files=tuple(models.FileSpec(n) for n in ("config.json", "preprocessor_config.json",
                                                 "vocab.json", "model.safetensors"))),
        replace=True)
    # The user's way: `resonote models download NAME`.
    assert main(["models", "download", NAME]) == 0
    yield NAME
    clear_cache()
    models.unregister(NAME)
    server.shutdown()
    server.server_close()


@pytest.fixture
def resonote(capsys):
    def run(*args):
        code = main(["align", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_enhanced_lrc(song, tiny, tmp_path, resonote):
    out = tmp_path / "song.lrc"
    code, stdout, err = resonote(song / "vocals.wav", song / "lyrics.txt", "--model", tiny,
                                 "-o", out)
    assert code == 0, err
    assert "3 lines, 11 words" in stdout
    lines = out.read_text(encoding="utf-8").splitlines()
    body = [ln for ln in lines if re.match(r"^\[\d\d:\d\d\.\d\d\]", ln)]
    assert len(body) == 3
    assert re.fullmatch(r"\[\d\d:\d\d\.\d\d\]<\d\d:\d\d\.\d\d>Row, <\d\d:\d\d\.\d\d>row, "
                        r"<\d\d:\d\d\.\d\d>row <\d\d:\d\d\.\d\d>your <\d\d:\d\d\.\d\d>boat "
                        r"<\d\d:\d\d\.\d\d>", body[0])
    stamps = re.findall(r"\[(\d\d):(\d\d\.\d\d)\]", "\n".join(body))
    times = [int(m) * 60 + float(s) for m, s in stamps]
    assert times == sorted(times)


@pytest.mark.parametrize("ext", ["srt", "json", "vtt", "txt"])
def test_other_formats(song, tiny, tmp_path, resonote, ext):
    out = tmp_path / f"song.{ext}"
    assert resonote(song / "vocals.wav", song / "lyrics.txt", "-m", tiny, "-o", out)[0] == 0
    text = out.read_text(encoding="utf-8")
    if ext == "json":
        t = read_json(out)
        assert t.task == "align" and [s.text for s in t.segments][1] == "Gently down the stream"
        assert json.loads(text)["segments"][0]["words"][0]["text"] == " Row,"
    elif ext == "srt":
        assert text.startswith("1\n00:00:") and "Merrily, merrily" in text
    else:
        assert "Gently down the stream" in text


def test_lyrics_from_an_lrc_file(song, tiny, tmp_path, resonote):
    old = tmp_path / "old.lrc"
    old.write_text("[ti:Row]\n[00:01.00]Row, row, row your boat\n[00:03.00]<00:03.00>Gently "
                   "<00:03.40>down the stream\n", encoding="utf-8")
    out = tmp_path / "new.json"
    assert resonote(song / "vocals.wav", old, "-m", tiny, "-o", out)[0] == 0
    assert [s.text for s in read_json(out).segments] == ["Row, row, row your boat",
                                                         "Gently down the stream"]


def test_prints_plain_lrc_without_output(song, tiny, resonote):
    code, stdout, _ = resonote(song / "vocals.wav", song / "lyrics.txt", "-m", tiny,
                               "--no-word-tags")
    assert code == 0
    assert re.search(r"^\[\d\d:\d\d\.\d\d\]Gently down the stream$", stdout, re.M)
    assert "<" not in stdout


def test_errors_are_one_plain_line(song, tiny, tmp_path, resonote):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    silent = tmp_path / "silent.wav"
    save(Audio(np.zeros((1, 16000), np.float32), 16000), silent)
    cases = [
        ((song / "vocals.wav", empty, "-m", tiny), "lyrics are empty"),
        ((silent, song / "lyrics.txt", "-m", tiny), "audio is silent"),
        ((song / "vocals.wav", tmp_path / "nope.txt", "-m", tiny), "does not exist"),
        ((song / "vocals.wav", song / "lyrics.txt", "-m", tiny, "-o", tmp_path / "x.doc"),
         "extension must be one of"),
        ((song / "vocals.wav", song / "lyrics.txt"),
         "resonote models download wav2vec2-base-960h"),
        ((song / "vocals.wav", song / "lyrics.txt", "-m", "whisper-tiny.en"),
         "not a lyrics-alignment model"),
    ]
    for args, message in cases:
        code, _, err = resonote(*args)
        assert code == 1, (args, err)
        assert err.startswith("resonote: error: ") and message in err, err
        assert err.count("\n") == 1
