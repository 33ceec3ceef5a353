"""``resonote models``: list, download, path and remove, end to end (local server only)."""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core import models

ROOT = Path(__file__).resolve().parents[2]
cli_main = importlib.import_module("core.cli.main")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def run(monkeypatch, capsys):
    """Run ``resonote ARGS`` in-process with only the models command registered.

    Restricting COMMAND_MODULES keeps this test independent of the other
    subcommands; the subprocess test below runs the real, full CLI.
    """
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("core.cli.models_cmd",))

    def _run(*argv):
        rc = cli_main.main(list(argv))
        out = capsys.readouterr()
        return rc, out.out, out.err

    return _run


@pytest.fixture
def served_model(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    a, b = os.urandom(70_000), b'{"n_mels": 80}'
    (root / "model.bin").write_bytes(a)
    (root / "config.json").write_bytes(b)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    spec = models.ModelSpec(
        "e2e-tiny", "speech", "tiny test model", "download", "MIT", "ctranslate2-dir",
        (models.FileSpec("model.bin", sha256=hashlib.sha256(a).hexdigest(), size=len(a)),
         models.FileSpec("config.json")),
        base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
    models.register(spec, replace=True)
    yield spec, a
    models.unregister(spec.name)
    httpd.shutdown()
    httpd.server_close()


def test_list_table_and_json(run):
    rc, out, _ = run("models", "list")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "TASK", "SIZE", "LICENCE", "STATUS"]
    assert any(line.startswith("htdemucs ") and "not downloaded" in line for line in lines)
    assert any(line.startswith("basic-pitch ") and "pip package basic-pitch missing" in line
               or line.startswith("basic-pitch ") and line.rstrip().endswith("bundled")
               for line in lines)
    rc, out, _ = run("models", "list", "--json", "--task", "separation")
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["htdemucs", "htdemucs_ft", "htdemucs_6s"]
    assert rows[0]["licence"] == "MIT" and rows[0]["installed"] is False
    assert rows[0]["files"][0]["url"].startswith("https://dl.fbaipublicfiles.com/demucs/")


def test_download_path_remove_cycle(run, served_model, cache):
    spec, weights = served_model
    rc, _, err = run("models", "path", "e2e-tiny")
    assert rc == 1 and "not downloaded yet" in err and "resonote models download e2e-tiny" in err
    rc, out, _ = run("models", "download", "e2e-tiny")
    assert rc == 0
    folder = cache / "models" / "e2e-tiny"
    assert out.strip() == f"e2e-tiny: {folder}"
    assert (folder / "model.bin").read_bytes() == weights
    rc, out, _ = run("models", "path", "e2e-tiny")
    assert rc == 0 and out.strip() == str(folder)
    rc, out, _ = run("models", "list", "--json", "--task", "speech")
    row = next(r for r in json.loads(out) if r["name"] == "e2e-tiny")
    assert row["state"] == "downloaded" and row["path"] == str(folder)
    rc, out, _ = run("models", "remove", "e2e-tiny")
    assert rc == 0 and "removed" in out and not folder.exists()


def test_unknown_model_exit_1(run):
    rc, _, err = run("models", "download", "htdemuc")
    assert rc == 1 and "no model called 'htdemuc'" in err


@pytest.mark.skipif(importlib.util.find_spec("core.cli.spectrogram_cmd") is None,
                    reason="the full CLI also needs core.cli.spectrogram_cmd (another change)")
def test_real_cli_subprocess(tmp_path):
    env = {**os.environ, "RESONOTE_CACHE_DIR": str(tmp_path / "c")}
    r = subprocess.run([sys.executable, "-m", "app.entry", "models", "list"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "whisper-tiny.en" in r.stdout and "musicgen-small" in r.stdout
    r = subprocess.run([sys.executable, "-m", "app.entry", "models", "path", "htdemucs"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "not downloaded yet" in r.stderr
