"""Codecs for A/B: Opus for real (libopus), EnCodec through the real loader (tiny random model)."""

from __future__ import annotations

import numpy as np
import pytest

from core import models
from core.audio import Audio
from core.codec import BANDWIDTHS_KBPS, roundtrip, si_sdr
from core.codec.testing import make_tiny_encodec
from core.errors import InvalidParameterError, ModelNotInstalledError
from core.jobs import CancelToken, JobCancelled
from core.tagging.testing import install_as_downloaded


def music(seconds: float = 2.0, sr: int = 44100, channels: int = 2) -> Audio:
    """Plucked harmonic notes with decays and a little vibrato: real-ish, not a bare sine."""
    t = np.arange(int(seconds * sr)) / sr
    x = np.zeros_like(t)
    for k, f0 in enumerate((196.0, 247.0, 294.0, 392.0)):
        start = k * seconds / 4
        env = np.where(t >= start, np.exp(-(t - start) * 3.0), 0.0)
        ph = 2 * np.pi * f0 * t + 0.3 * np.sin(2 * np.pi * 5 * t)
        for h in range(1, 6):
            x += env * np.sin(h * ph) * (0.25 / h)
    chans = [x, np.roll(x, 50) * 0.8][:channels]
    return Audio(np.stack(chans).astype(np.float32), sr)


# --- SI-SDR ------------------------------------------------------------------------------

def test_si_sdr_known_values():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal(48000)
    ref -= ref.mean()
    noise = rng.standard_normal(48000)
    noise -= noise.mean()
    noise -= noise @ ref / (ref @ ref) * ref  # orthogonal: the ratio is exact
    noise *= np.sqrt((ref @ ref) / (noise @ noise))
    for db in (0.0, 10.0, 30.0):
        est = 3.0 * ref + 3.0 * noise * 10 ** (-db / 20)
        assert si_sdr(ref, est) == pytest.approx(db, abs=1e-6)
    assert si_sdr(ref, 0.5 * ref) >= 140  # scale-invariant
    with pytest.raises(InvalidParameterError):
        si_sdr(np.zeros(100), ref[:100])


# --- Opus, for real ----------------------------------------------------------------------

@pytest.mark.parametrize("kbps,floor_db", [(24, 8.0), (64, 15.0)])
@pytest.mark.parametrize("channels", [1, 2])
def test_opus_round_trip_keeps_the_music(kbps, floor_db, channels):
    a = music(channels=channels)
    r = roundtrip(a, codec="opus", kbps=kbps)
    assert r.audio.sr == a.sr and r.audio.samples.shape == a.samples.shape
    assert r.si_sdr_db is not None and r.si_sdr_db > floor_db
    assert 0.3 * kbps < r.actual_kbps < 2.0 * kbps
    assert r.encoded_bytes == pytest.approx(r.actual_kbps * 1000 / 8 * a.duration_s * channels)


def test_opus_quality_grows_with_bitrate():
    a = music(channels=1)
    low, high = (roundtrip(a, codec="opus", kbps=k) for k in (6, 96))
    assert high.si_sdr_db > low.si_sdr_db + 6
    assert high.encoded_bytes > 4 * low.encoded_bytes


def test_opus_more_than_two_channels_and_other_rates():
    a = Audio(np.concatenate([music(sr=32000).samples, music(sr=32000, channels=1).samples]),
              32000)
    r = roundtrip(a, codec="opus", kbps=48)
    assert r.audio.samples.shape == (3, a.frames) and r.si_sdr_db > 8


def test_opus_progress_and_cancel():
    seen = []
    roundtrip(music(6.0), codec="opus", kbps=32, progress=seen.append)
    assert {p.stage for p in seen} == {"opus"} and seen[-1].done == seen[-1].total
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(JobCancelled):
        roundtrip(music(), codec="opus", kbps=32, cancel=tok)


@pytest.mark.parametrize("kw", [dict(codec="mp3"), dict(codec="opus", kbps=0.1),
                                dict(codec="opus", kbps=1000)])
def test_bad_requests(kw):
    with pytest.raises(InvalidParameterError):
        roundtrip(music(0.5), **kw)


def test_silent_input_has_no_si_sdr():
    r = roundtrip(Audio(np.zeros((1, 48000), np.float32), 48000), codec="opus", kbps=12)
    assert r.si_sdr_db is None and np.max(np.abs(r.audio.samples)) < 1e-3


# --- EnCodec through the real loader -----------------------------------------------------

@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return make_tiny_encodec(tmp_path_factory.mktemp("encodec") / "tiny")


@pytest.fixture
def tiny(tiny_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    install_as_downloaded("encodec-tiny-test", tiny_folder, task="codec")
    yield "encodec-tiny-test"
    models.unregister("encodec-tiny-test")


@pytest.mark.parametrize("kbps", BANDWIDTHS_KBPS)
def test_encodec_codes_at_each_bandwidth(tiny, kbps):
    a = music(0.6, channels=2 if kbps == 6.0 else 1)
    r = roundtrip(a, codec="encodec", kbps=kbps, model=tiny)
    assert r.audio.sr == a.sr and r.audio.samples.shape == a.samples.shape
    assert np.isfinite(r.audio.samples).all()
    # 75 code frames/s, 10-bit codebooks: the bitrate is exactly the requested one.
    assert r.actual_kbps == pytest.approx(kbps)
    assert r.details["codebooks"] == int(kbps * 1000 // 750)
    assert r.encoded_bytes == pytest.approx(kbps * 1000 / 8 * a.duration_s * a.channels, rel=0.05)


def test_encodec_chunks_cross_fade_and_report(tiny):
    from core.codec.encodec import encodec_roundtrip

    a = music(1.2, sr=24000, channels=1)
    seen = []
    whole, _ = encodec_roundtrip(a, kbps=6, model=tiny, chunk_s=10.0)
    chunked, facts = encodec_roundtrip(a, kbps=6, model=tiny, chunk_s=0.5, overlap_s=0.05,
                                       progress=seen.append)
    assert [p.done for p in seen if p.total][-1] == 3
    assert chunked.samples.shape == whole.samples.shape and facts["model_sr"] == 24000
    # Away from the joins the chunked result equals the one-pass result (causal convs).
    assert np.allclose(chunked.samples[0, 200:10000], whole.samples[0, 200:10000], atol=1e-4)


def test_encodec_rejects_other_bitrates_and_cancels(tiny):
    with pytest.raises(InvalidParameterError, match="1.5, 3, 6, 12, 24"):
        roundtrip(music(0.5), codec="encodec", kbps=5, model=tiny)
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(JobCancelled):
        roundtrip(music(0.5), codec="encodec", kbps=6, model=tiny, cancel=tok)


def test_encodec_not_downloaded_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "empty"))
    spec = models.get("encodec-24khz")
    assert spec.task == "codec" and spec.source == "download"
    with pytest.raises(ModelNotInstalledError, match="models download encodec-24khz"):
        roundtrip(music(0.5), codec="encodec", kbps=6)
