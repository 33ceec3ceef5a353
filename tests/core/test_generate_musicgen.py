"""MusicGen through the real transformers code path, with tiny random models saved locally."""

from __future__ import annotations

import numpy as np
import pytest

from core import models
from core.audio import Audio
from core.errors import InvalidParameterError, ModelNotInstalledError
from core.generate.musicgen import musicgen_generate
from core.generate.musicgen_testing import TINY_SR, make_tiny_musicgen, register_tiny_musicgen


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("musicgen")
    register_tiny_musicgen(make_tiny_musicgen(root / "plain"), "musicgen-tiny-test")
    register_tiny_musicgen(make_tiny_musicgen(root / "melody", melody=True),
                           "musicgen-melody-tiny-test")
    yield
    models.unregister("musicgen-tiny-test")
    models.unregister("musicgen-melody-tiny-test")


def tone(seconds: float, hz: float = 440.0) -> Audio:
    t = np.arange(int(seconds * TINY_SR)) / TINY_SR
    return Audio((0.3 * np.sin(2 * np.pi * hz * t))[None].astype(np.float32), TINY_SR)


def test_text_to_audio_of_the_requested_duration(tiny):
    a = musicgen_generate("happy folk guitar", model="musicgen-tiny-test", duration_s=0.5,
                          seed=3)
    assert a.sr == TINY_SR and a.samples.shape == (1, TINY_SR // 2)
    assert a.samples.dtype == np.float32 and np.isfinite(a.samples).all()
    b = musicgen_generate("happy folk guitar", model="musicgen-tiny-test", duration_s=0.5,
                          seed=3)
    np.testing.assert_array_equal(a.samples, b.samples)


def test_longer_than_the_window_slides(tiny):
    seen = []
    a = musicgen_generate("rock", model="musicgen-tiny-test", duration_s=1.0, window_s=0.4,
                          overlap_s=0.2, progress=seen.append)
    assert a.samples.shape == (1, TINY_SR)
    windows = {p.message.split(":")[0] for p in seen if p.message.startswith("window")}
    assert len(windows) >= 4


def test_continuation_starts_with_the_clip(tiny):
    clip = tone(0.3)
    a = musicgen_generate("calm", model="musicgen-tiny-test", duration_s=0.4, continuation=clip)
    assert a.samples.shape == (1, int(0.7 * TINY_SR))
    np.testing.assert_allclose(a.samples[0, :clip.frames], clip.samples[0], atol=1e-6)


def test_melody_conditioning_runs(tiny):
    a = musicgen_generate("jazz piano", model="musicgen-melody-tiny-test", duration_s=0.6,
                          melody=tone(0.6, 330.0), seed=1)
    assert a.samples.shape == (1, int(0.6 * TINY_SR))
    with pytest.raises(InvalidParameterError, match="musicgen-melody"):
        musicgen_generate("x", model="musicgen-tiny-test", duration_s=0.2, melody=tone(0.2))


def test_not_downloaded_model_says_how_to_get_it():
    from core.models import FileSpec, ModelSpec

    models.register(ModelSpec(name="musicgen-absent-test", task="generation", description="x",
                              source="download", licence="CC-BY-NC-4.0",
                              loader="transformers-dir", base_url="http://127.0.0.1:9/",
                              files=(FileSpec("config.json"),)), replace=True)
    try:
        with pytest.raises(ModelNotInstalledError, match="models download musicgen-absent-test"):
            musicgen_generate("x", model="musicgen-absent-test", duration_s=1.0)
    finally:
        models.unregister("musicgen-absent-test")
