"""Audio tagging through the real AST loader with tiny random models saved locally.

One model is placed in the cache as the downloader leaves it; another is
downloaded for real from an HTTP server on 127.0.0.1 started by the test.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from core import models
from core.audio import Audio
from core.errors import InvalidParameterError, ModelError, ModelNotInstalledError
from core.jobs import CancelToken, JobCancelled
from core.tagging import TagResult, tag
from core.tagging.testing import (
    TINY_LABELS,
    download_spec,
    install_as_downloaded,
    make_tiny_ast,
)

SR = 22050


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return make_tiny_ast(tmp_path_factory.mktemp("ast") / "tiny")


@pytest.fixture
def tiny(tiny_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    install_as_downloaded("ast-tiny-test", tiny_folder, task="tagging")
    yield "ast-tiny-test"
    models.unregister("ast-tiny-test")


def clip(seconds: float, sr: int = SR, channels: int = 2) -> Audio:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 330 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    return Audio(np.stack([x] * channels).astype(np.float32), sr)


def test_windows_cover_the_audio_with_top_labels(tiny):
    r = tag(clip(3.3), model=tiny, window_s=1.0, hop_s=0.5, top_k=3)
    assert isinstance(r, TagResult)
    bounds = [(s.start_s, s.end_s) for s in r.segments]
    assert bounds[0] == (0.0, 1.0) and bounds[1] == (0.5, 1.5)
    assert bounds[-1][1] == pytest.approx(3.3)
    assert r.scores.shape == (len(bounds), len(TINY_LABELS))
    assert r.label_names == list(TINY_LABELS)
    for seg, row in zip(r.segments, r.scores, strict=True):
        assert len(seg.labels) == 3
        scores = [s for _, s in seg.labels]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)
        # The listed labels are the window's actual best classes.
        assert seg.labels[0][1] == pytest.approx(float(row.max()))
        assert {lab for lab, _ in seg.labels} <= set(TINY_LABELS)


def test_same_audio_same_tags_and_different_audio_differs(tiny):
    a = tag(clip(1.0), model=tiny, window_s=1.0)
    b = tag(clip(1.0), model=tiny, window_s=1.0)
    np.testing.assert_array_equal(a.scores, b.scores)
    noise = Audio(np.random.default_rng(1).standard_normal((1, SR)).astype(np.float32) * 0.5, SR)
    c = tag(noise, model=tiny, window_s=1.0)
    assert not np.allclose(a.scores, c.scores)


def test_range_keeps_the_source_time_axis(tiny):
    r = tag(clip(4.0), model=tiny, window_s=1.0, start_s=1.5, end_s=3.5)
    assert [(s.start_s, s.end_s) for s in r.segments] == [(1.5, 2.5), (2.5, 3.5)]


def test_outputs_json_and_csv(tiny):
    r = tag(clip(2.0), model=tiny, window_s=1.0, top_k=2)
    d = json.loads(json.dumps(r.as_dict(top_k=2)))
    assert d["model"] == tiny and len(d["segments"]) == 2 and len(d["overall"]) == 2
    lines = r.to_csv().splitlines()
    assert lines[0] == "start_s,end_s,rank,label,score" and len(lines) == 1 + 2 * 2


def test_progress_and_cancel(tiny):
    seen = []
    tag(clip(3.0), model=tiny, window_s=0.5, batch_size=2, progress=seen.append)
    last = seen[-1]
    assert last.stage == "tagging" and last.done == last.total == 6
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(JobCancelled):
        tag(clip(3.0), model=tiny, window_s=0.5, cancel=tok)


@pytest.mark.parametrize("kw", [dict(window_s=0), dict(hop_s=-1), dict(top_k=0),
                                dict(start_s=5.0)])
def test_bad_parameters(tiny, kw):
    with pytest.raises(InvalidParameterError):
        tag(clip(1.0), model=tiny, **kw)


def test_not_downloaded_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(ModelNotInstalledError, match="models download ast-audioset"):
        tag(clip(1.0), model="ast-audioset")


def test_catalogue_lists_the_audioset_model():
    spec = models.get("ast-audioset")
    assert spec.task == "tagging" and spec.source == "download"
    assert spec.loader == "transformers-dir"
    assert {f.name for f in spec.files} == {"config.json", "preprocessor_config.json",
                                            "model.safetensors"}


def test_a_folder_that_is_not_a_model_is_a_model_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "config.json").write_text("{}")
    install_as_downloaded("ast-junk-test", junk, task="tagging")
    try:
        with pytest.raises(ModelError):
            tag(clip(1.0), model="ast-junk-test")
    finally:
        models.unregister("ast-junk-test")


def test_downloaded_from_a_local_server_then_tagged(tiny_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    handler = partial(SimpleHTTPRequestHandler, directory=str(tiny_folder))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        models.register(download_spec("ast-served-test", tiny_folder, task="tagging",
                                      base_url=url), replace=True)
        with pytest.raises(ModelNotInstalledError, match="not downloaded yet"):
            tag(clip(1.0), model="ast-served-test")
        seen = []
        folder = models.download("ast-served-test", progress=seen.append, timeout_s=10)
        assert (folder / "model.safetensors").is_file() and seen[-1].stage == "download"
        assert models.status("ast-served-test").state == "downloaded"
        r = tag(clip(2.0), model="ast-served-test", window_s=1.0)
        assert len(r.segments) == 2 and r.label_names == list(TINY_LABELS)
    finally:
        models.unregister("ast-served-test")
        httpd.shutdown()
        httpd.server_close()
