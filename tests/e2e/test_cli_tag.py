"""``resonote tag`` end to end with a tiny random AST placed in the model cache."""

from __future__ import annotations

import csv
import importlib
import json

import numpy as np
import pytest

from core import models
from core.audio import Audio, save
from core.tagging.testing import TINY_LABELS, install_as_downloaded, make_tiny_ast

cli_main = importlib.import_module("core.cli.main")
SR = 16000


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return make_tiny_ast(tmp_path_factory.mktemp("ast") / "tiny")


@pytest.fixture
def tiny(tiny_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    install_as_downloaded("ast-tiny-test", tiny_folder, task="tagging")
    yield "ast-tiny-test"
    models.unregister("ast-tiny-test")


@pytest.fixture
def run(capsys):
    def _run(*argv):
        rc = cli_main.main([str(a) for a in argv])
        out = capsys.readouterr()
        return rc, out.out, out.err
    return _run


@pytest.fixture
def song(tmp_path):
    t = np.arange(3 * SR) / SR
    path = tmp_path / "song.wav"
    save(Audio((0.3 * np.sin(2 * np.pi * 220 * t))[None].astype(np.float32), SR), path)
    return path


def test_prints_top_labels_per_window(run, song, tiny):
    rc, out, err = run("tag", song, "--model", tiny, "--window", "1", "--top", "2")
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 3 + 1 and lines[-1].startswith("overall:")
    assert lines[0].split()[:2] == ["0.00", "1.00"]
    assert any(lab in lines[0] for lab in TINY_LABELS)


def test_json_and_csv_output(run, song, tiny, tmp_path):
    j, c = tmp_path / "t.json", tmp_path / "t.csv"
    assert run("tag", song, "--model", tiny, "--window", "1", "--hop", "0.5", "-o", j)[0] == 0
    d = json.loads(j.read_text())
    assert d["model"] == tiny and [s["start_s"] for s in d["segments"]][:3] == [0.0, 0.5, 1.0]
    assert run("tag", song, "--model", tiny, "--window", "1.5", "--top", "3", "-o", c)[0] == 0
    rows = list(csv.DictReader(c.open()))
    assert len(rows) == 2 * 3 and rows[0]["rank"] == "1" and rows[0]["label"] in TINY_LABELS


def test_missing_model_says_how_to_download(run, song, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "empty"))
    rc, _, err = run("tag", song)
    assert rc == 1 and "resonote models download ast-audioset" in err
