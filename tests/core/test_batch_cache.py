"""Models load once per process: what lets a batch worker reuse them from file to file."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from core import models
from core.audio import Audio


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A tiny HTDemucs served over HTTP and downloaded into a fresh cache, like a real one."""
    pytest.importorskip("demucs")
    from core.separate.testing import TINY, make_htdemucs, model_spec, save_package

    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        path = save_package(make_htdemucs(**TINY), root, "0123abcd")
        models.register(model_spec("tiny-batch-htdemucs", [path],
                                   f"http://127.0.0.1:{httpd.server_port}"), replace=True)
        models.download("tiny-batch-htdemucs")
        yield "tiny-batch-htdemucs"
    finally:
        models.unregister("tiny-batch-htdemucs")
        httpd.shutdown()
        httpd.server_close()


def test_separating_many_files_loads_the_model_once(tiny, monkeypatch):
    from core.separate import demucs_models, separate

    loads = []
    real = demucs_models.load_converted
    monkeypatch.setattr(demucs_models, "load_converted",
                        lambda folder: loads.append(folder) or real(folder))
    demucs_models.clear_bundle_cache()
    x = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32) * 0.1
    for _ in range(3):
        result = separate(Audio(x, 44100), model=tiny, stems=("vocals",))
        assert result.stems["vocals"].frames == x.shape[1]
    assert len(loads) == 1
    assert demucs_models.load_bundle(tiny) is demucs_models.load_bundle(tiny)
    demucs_models.clear_bundle_cache()
    demucs_models.load_bundle(tiny)
    assert len(loads) == 2

