"""Lyrics alignment through the real registry, downloader and loader with a tiny random model.

A local HTTP server on 127.0.0.1 plays the model host; the tiny model has the
real wav2vec2 layout and vocabulary, so every step runs as it does with
wav2vec2-base-960h.  A random model cannot hear words, so these tests check
the plumbing and the invariants of the result; where words land is tested
with hand-made emissions in test_align.py.
"""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest

from core import models
from core.align import (
    AlignmentError,
    align_lyrics,
    align_model_names,
    clear_cache,
    load_model,
    to_lrc,
)
from core.align.model import emissions
from core.align.testing import VOCAB, write_tiny_model
from core.audio import Audio
from core.errors import InvalidParameterError, ModelNotInstalledError
from core.jobs import CancelToken, JobCancelled

NAME = "tiny-align-test"
FILES = ("config.json", "preprocessor_config.json", "vocab.json", "model.safetensors")
LYRICS = "[Verse]\nTwinkle, twinkle little star,\n\nHow I wonder what you are! 1999\n"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("tiny-w2v"))


@pytest.fixture
def tiny(tmp_path, monkeypatch, model_files):
    """The tiny model registered as a download and downloaded from a local server."""
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(model_files)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    spec = models.ModelSpec(
        name=NAME, task="align", description="tiny random CTC model", source="download",
        licence="MIT", loader="transformers-dir",
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        files=tuple(models.FileSpec(n) for n in FILES), extra={"language": "en"})
    models.register(spec, replace=True)
    models.download(NAME)
    yield NAME
    clear_cache()
    models.unregister(NAME)
    server.shutdown()
    server.server_close()


def voice(seconds: float, sr: int = 44100, channels: int = 2, seed: int = 0) -> Audio:
    """A noisy, vowel-like signal (a random model cannot tell it from singing anyway)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    x = (tone + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    return Audio(np.repeat(x[None], channels, axis=0), sr)


def test_catalogue_has_the_real_alignment_model():
    spec = models.get("wav2vec2-base-960h")
    assert spec.task == "align" and spec.source == "download"
    assert {f.name for f in spec.files} == set(FILES)  # safetensors only, never a pickle
    assert "wav2vec2-base-960h" in align_model_names()


def test_loader_reads_vocabulary_and_frame_rate(tiny):
    m = load_model(tiny)
    assert m.labels == VOCAB and m.blank == 0 and m.delimiter == VOCAB.index("|")
    assert (m.hop, m.receptive, m.sample_rate) == (320, 400, 16000)
    assert m.frame_s == pytest.approx(0.02)
    assert "E" in m.characters and "|" not in m.characters
    assert load_model(tiny) is m  # kept in memory


def test_align_places_every_line_and_word_in_order(tiny):
    audio = voice(8.0)
    seen = []
    t = align_lyrics(audio, LYRICS, model=tiny, progress=seen.append)
    assert t.task == "align" and t.model == tiny and t.language == "en"
    assert t.duration_s == pytest.approx(8.0)
    assert [s.text for s in t.segments] == ["Twinkle, twinkle little star,",
                                            "How I wonder what you are! 1999"]
    words = t.words
    assert [w.text.strip() for w in words] == (
        "Twinkle, twinkle little star, How I wonder what you are! 1999".split())
    for w in words:
        assert 0.0 <= w.start_s < w.end_s <= 8.0 + 1e-9
        assert 0.0 <= w.probability <= 1.0
    for a, b in zip(words, words[1:], strict=False):
        assert a.end_s <= b.start_s + 1e-9  # no overlaps, in order
    for s in t.segments:
        assert s.start_s == s.words[0].start_s and s.end_s == s.words[-1].end_s
    assert {p.stage for p in seen} >= {"load", "align", "search"}
    lrc = to_lrc(t)
    assert lrc.count("\n[0") == 2 and lrc.count("<") == len(words) + 2


def test_long_audio_is_heard_in_windows(tiny):
    m = load_model(tiny)
    x = voice(12.0, sr=16000, channels=1).samples[0]
    reports = []
    whole = emissions(m, x, window_s=60.0)
    windowed = emissions(m, x, window_s=2.0, context_s=0.5, progress=reports.append)
    assert whole.shape == windowed.shape == (m.frames_for(x.size), len(VOCAB))
    assert len(reports) == int(np.ceil(whole.shape[0] / 100))  # 2 s = 100 frames per window
    np.testing.assert_allclose(np.exp(windowed).sum(axis=1), 1.0, rtol=1e-4)
    t = align_lyrics(voice(12.0), LYRICS, model=tiny, window_s=2.0)
    assert len(t.words) == 11


def test_cancel_stops_between_windows(tiny):
    token = CancelToken()

    def progress(p):
        if p.stage == "align":
            token.cancel()

    with pytest.raises(JobCancelled):
        align_lyrics(voice(10.0), LYRICS, model=tiny, window_s=2.0, progress=progress,
                     cancel=token)


@pytest.mark.parametrize("lyrics, match", [("", "lyrics are empty"), ("  \n\n", "lyrics are empty"),
                                           ("[Chorus]\n(x2)", "only section tags")])
def test_empty_lyrics(tiny, lyrics, match):
    with pytest.raises(InvalidParameterError, match=match):
        align_lyrics(voice(2.0), lyrics, model=tiny)


def test_silence_is_refused(tiny):
    with pytest.raises(AlignmentError, match="silent"):
        align_lyrics(Audio(np.zeros((1, 48000), np.float32), 48000), LYRICS, model=tiny)


def test_lyrics_far_too_long_for_the_audio(tiny):
    with pytest.raises(AlignmentError, match="too long for this audio"):
        align_lyrics(voice(0.3), LYRICS * 3, model=tiny)


def test_lyrics_in_a_script_the_model_cannot_read(tiny):
    with pytest.raises(AlignmentError, match="None of the letters"):
        align_lyrics(voice(2.0), "Звёздочка\nきらきら", model=tiny)


def test_model_not_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(ModelNotInstalledError,
                       match="resonote models download wav2vec2-base-960h"):
        align_lyrics(voice(2.0), LYRICS)


def test_a_model_for_another_task_is_refused():
    with pytest.raises(InvalidParameterError, match="not a lyrics-alignment model"):
        align_lyrics(voice(2.0), LYRICS, model="whisper-tiny.en")


def test_invalid_samples_are_refused(tiny):
    from core.errors import NonFiniteAudioError

    audio = voice(2.0)
    audio.samples[0, 100] = np.nan
    with pytest.raises(NonFiniteAudioError, match="invalid samples"):
        align_lyrics(audio, LYRICS, model=tiny)
