"""SpectrogramLOD: overview/region shapes, equality with the full STFT, cache, cancel."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import SpectrogramLOD, spectrogram
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled

SR = 16000


@pytest.fixture(scope="module")
def audio():
    rng = np.random.default_rng(0)
    t = np.arange(SR * 6) / SR
    x = np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(t.size)
    return np.stack([x, 0.5 * x]).astype(np.float32)


@pytest.mark.parametrize("scale", ["linear", "log", "mel"])
@pytest.mark.parametrize("n_columns", [10, 100, 5000])
def test_overview_shape(audio, scale, n_columns):
    lod = SpectrogramLOD(audio, SR, n_fft=512, hop_length=128, scale=scale)
    ov = lod.overview(n_columns)
    n_frames = 1 + audio.shape[1] // 128
    assert ov.values.shape == (lod.axis.n_rows, min(n_columns, n_frames))
    assert ov.values.dtype == np.float32 and ov.values.flags.c_contiguous
    assert ov.times[0] == 0 and ov.times[-1] == pytest.approx((n_frames - 1) * 128 / SR)
    assert np.all(np.diff(ov.times) > 0)
    assert ov.values.min() >= lod.floor_db


@pytest.mark.parametrize("scale", ["linear", "log", "mel"])
@pytest.mark.parametrize("t0,t1", [(0.0, 0.5), (1.234, 1.9), (5.5, 6.0), (2.0, 2.0)])
def test_short_region_equals_full_stft_frames(audio, scale, t0, t1):
    lod = SpectrogramLOD(audio, SR, n_fft=512, hop_length=128, scale=scale)
    full = spectrogram(audio, SR, n_fft=512, hop_length=128, scale=scale, db=False,
                       device="cpu")
    reg = lod.region(t0, t1, 1000)
    first = int(np.ceil(t0 * SR / 128 - 1e-9))
    last = min(full.values.shape[1] - 1, int(np.floor(t1 * SR / 128 + 1e-9)))
    assert reg.values.shape[1] == last - first + 1
    assert np.allclose(reg.times, full.times[first:last + 1])
    want = full.values[:, first:last + 1]
    got = lod.power_at(np.arange(first, last + 1))
    assert np.allclose(got, want, rtol=1e-3, atol=1e-6 * want.max())
    ref_db = 10 * np.log10(np.maximum(want, 1e-20))
    loud = ref_db > -80
    assert np.allclose(reg.values[loud], ref_db[loud], atol=0.01)


def test_long_region_is_sampled_and_cached(audio):
    lod = SpectrogramLOD(audio, SR, n_fft=512, hop_length=128)
    reg = lod.region(0.0, 6.0, 64)
    assert reg.values.shape[1] == 64
    assert lod.region(0.0, 6.0, 64) is reg            # cached
    assert lod.region(0.0, 6.0, 65) is not reg
    lod.clear_cache()
    again = lod.region(0.0, 6.0, 64)
    assert again is not reg and np.array_equal(again.values, reg.values)


def test_overview_column_is_the_full_stft_frame(audio):
    lod = SpectrogramLOD(audio, SR, n_fft=512, hop_length=128, scale="linear")
    ov = lod.overview(37)
    full = spectrogram(audio, SR, n_fft=512, hop_length=128, db=True, top_db=None, device="cpu")
    cols = np.round(ov.times * SR / 128).astype(int)
    ref = np.maximum(full.values[:, cols], lod.floor_db)
    loud = ref > -80
    assert np.allclose(ov.values[loud], ref[loud], atol=0.01)


def test_tone_row(audio):
    lod = SpectrogramLOD(audio, SR, scale="log")
    ov = lod.overview(20)
    peak = lod.freqs[ov.values.mean(axis=1).argmax()]
    assert abs(peak - 440) < SR / 2048


def test_torch_device_matches_numpy(audio):
    a = SpectrogramLOD(audio, SR, n_fft=512, hop_length=128).overview(30)
    b = SpectrogramLOD(audio, SR, n_fft=512, hop_length=128, device="cpu").overview(30)
    loud = a.values > -80
    assert np.allclose(a.values[loud], b.values[loud], atol=0.01)


def test_cancel_and_progress(audio):
    lod = SpectrogramLOD(audio, SR, n_fft=256, hop_length=64)
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        lod.overview(100, cancel=token)
    seen = []
    lod.region(0, 6, 600, progress=seen.append)
    assert seen and seen[-1].done == seen[-1].total == 600


def test_bad_args(audio):
    lod = SpectrogramLOD(audio, SR)
    with pytest.raises(InvalidParameterError):
        lod.region(2.0, 1.0, 100)
    with pytest.raises(InvalidParameterError):
        lod.overview(0)
    with pytest.raises(InvalidParameterError):
        SpectrogramLOD(audio, 0)
