"""Demucs through the real path: registry download (local server) -> safe conversion -> inference.

Tiny randomly initialised HTDemucs models are saved in the exact layout of the
published ``.th`` files (a pickled package with a half-precision state).
"""

from __future__ import annotations

import functools
import io
import pickle
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch

from core import models
from core.audio import Audio
from core.errors import InvalidParameterError, ModelError, ModelNotInstalledError
from core.jobs import CancelToken, JobCancelled
from core.separate import separate
from core.separate.demucs_models import convert_th, load_bundle, load_converted, run_bundle
from core.separate.testing import SOURCES, TINY, make_htdemucs, model_spec, save_package


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def tiny(server):
    root, url = server
    path = save_package(make_htdemucs(**TINY), root, "0123abcd")
    models.register(model_spec("tiny-htdemucs", [path], url), replace=True)
    models.download("tiny-htdemucs")
    yield "tiny-htdemucs", path
    models.unregister("tiny-htdemucs")


@pytest.fixture
def tiny_bag(server):
    """Four specialist networks, like htdemucs_ft (network i makes stem i)."""
    root, url = server
    paths = [save_package(make_htdemucs(seed=i, **TINY), root, f"{i:08x}") for i in range(4)]
    models.register(model_spec("tiny-bag", paths, url), replace=True)
    models.download("tiny-bag")
    yield "tiny-bag"
    models.unregister("tiny-bag")


def _audio(channels=2, seconds=1.3, sr=44100, seed=0):
    x = np.random.default_rng(seed).standard_normal((channels, int(seconds * sr)))
    return Audio((0.1 * (x - x.mean())).astype(np.float32), sr)


@pytest.mark.parametrize("channels,sr", [(2, 44100), (1, 22050), (3, 48000)])
def test_four_stems_of_the_right_shape(tiny, channels, sr):
    name, _ = tiny
    audio = _audio(channels, sr=sr)
    r = separate(audio, model=name, residual=True)
    assert list(r.stems) == list(SOURCES)
    for a in r.stems.values():
        assert a.samples.shape == audio.samples.shape and a.sr == sr
        assert np.isfinite(a.samples).all() and np.abs(a.samples).max() > 0
    total = sum(a.samples for a in r.stems.values()) + r.residual.samples
    np.testing.assert_allclose(total, audio.samples, atol=1e-6)


def test_subset_and_residual_sum_to_the_mix(tiny):
    name, _ = tiny
    audio = _audio()
    full = separate(audio, model=name)
    r = separate(audio, model=name, exclude="vocals")
    assert list(r.stems) == ["drums", "bass", "other"]
    np.testing.assert_allclose(r.stems["bass"].samples, full.stems["bass"].samples, atol=1e-6)
    total = sum(a.samples for a in r.stems.values()) + r.residual.samples
    np.testing.assert_allclose(total, audio.samples, atol=1e-6)
    with pytest.raises(InvalidParameterError, match="no 'piano'"):
        separate(audio, model=name, stems=("piano",))


def test_matches_demucs_apply_model_on_identical_weights(tiny):
    """Our windows, weights and normalisation equal demucs.apply.apply_model's."""
    from demucs.apply import apply_model
    from demucs.states import load_model

    name, path = tiny
    # Demucs itself unpickles the whole file; we trust it here only because we made it.
    ref_model = load_model(torch.load(path, weights_only=False)).eval()
    x = torch.from_numpy(_audio(seconds=2.1, seed=3).samples) + 0.01  # with a DC offset
    ref = x.mean(0)
    mean, std = ref.mean(), ref.std() + 1e-8
    with torch.no_grad():
        expected = apply_model(ref_model, ((x - mean) / std)[None], shifts=0, overlap=0.25)[0]
    expected = expected * std + mean
    ours = run_bundle(load_bundle(name), x.numpy(), [0, 1, 2, 3])
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-5)


def test_stems_in_a_scratch_file_equal_stems_in_memory(tiny, tmp_path):
    """scratch_dir keeps the stems on disk (the CLI's path): same numbers, no file left."""
    from core.scratch import is_scratch

    name, _ = tiny
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    x = _audio(seconds=3.0, seed=5).samples
    in_memory = run_bundle(load_bundle(name), x, [0, 3])
    on_disk = run_bundle(load_bundle(name), x, [0, 3], scratch_dir=scratch)
    assert is_scratch(on_disk) and not is_scratch(in_memory)
    np.testing.assert_array_equal(on_disk, in_memory)
    sep = separate(Audio(x, 44100), model=name, stems=("vocals",), scratch_dir=scratch)
    assert is_scratch(sep.stems["vocals"].samples)
    np.testing.assert_array_equal(sep.stems["vocals"].samples, in_memory[1])
    assert list(scratch.iterdir()) == []


def test_conversion_is_cached_and_safe_files_load(tiny, tmp_path):
    name, path = tiny
    load_bundle(name)
    converted = list((tmp_path / "cache" / "converted" / name).glob("*/weights.safetensors"))
    assert len(converted) == 1
    model = load_converted(converted[0].parent)
    assert list(model.sources) == list(SOURCES)
    mtime = converted[0].stat().st_mtime_ns
    load_bundle(name)
    assert converted[0].stat().st_mtime_ns == mtime  # not converted again


class _Boom:
    def __reduce__(self):
        return (eval, ("__import__('pathlib').Path('PWNED').touch()",))


def test_a_pickle_that_runs_code_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil-00000000.th"
    buf = io.BytesIO()
    torch.save({"klass": _Boom(), "kwargs": {}, "state": {}}, buf, pickle_module=pickle)
    evil.write_bytes(buf.getvalue())
    with pytest.raises(ModelError, match="does not trust"):
        convert_th(evil, tmp_path / "out")
    assert not (tmp_path / "PWNED").exists()
    assert not (tmp_path / "out").exists()


def test_a_plain_state_dict_is_not_a_demucs_package(tmp_path):
    f = tmp_path / "x.th"
    torch.save({"w": torch.zeros(3)}, f)
    with pytest.raises(ModelError, match="not a Demucs model package"):
        convert_th(f, tmp_path / "out")


def test_specialist_bag_runs_only_the_networks_it_needs(tiny_bag, monkeypatch):
    bundle = load_bundle(tiny_bag)
    assert bundle.specialists and len(bundle.models) == 4
    calls = []

    def spy(i, forward):
        def wrapped(x):
            calls.append(i)
            return forward(x)
        return wrapped

    for i, net in enumerate(bundle.models):
        net.forward = spy(i, net.forward)
    audio = _audio()
    out = run_bundle(bundle, audio.samples, [3])
    assert set(calls) == {3}
    # stem 3 of network 3 equals what network 3 alone makes
    alone = run_bundle(load_bundle(tiny_bag), audio.samples, [0, 1, 2, 3])
    np.testing.assert_allclose(out[0], alone[3], atol=1e-6)


def test_missing_model_says_how_to_download(server):
    root, url = server
    path = save_package(make_htdemucs(**TINY), root, "feedbeef")
    models.register(model_spec("not-yet", [path], url), replace=True)
    try:
        with pytest.raises(ModelNotInstalledError, match="resonote models download not-yet"):
            separate(_audio(), model="not-yet")
        r = separate(_audio(), model="not-yet", allow_download=True, stems="drums")
        assert list(r.stems) == ["drums"]
    finally:
        models.unregister("not-yet")


def test_progress_preview_and_cancel(tiny):
    name, _ = tiny
    audio = _audio(seconds=3.0)
    reports = []
    r = separate(audio, model=name, preview_s=1.0, progress=reports.append)
    assert r.stems["drums"].frames == 44100
    windows = [p for p in reports if p.stage == "separate"]
    assert windows[-1].done == windows[-1].total > 1
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        separate(audio, model=name, cancel=token)


def test_shifts_still_sum_back(tiny):
    name, _ = tiny
    audio = _audio(seconds=0.8)
    r = separate(audio, model=name, shifts=2, stems=("vocals",))
    total = r.stems["vocals"].samples + r.residual.samples
    np.testing.assert_allclose(total, audio.samples, atol=1e-6)
