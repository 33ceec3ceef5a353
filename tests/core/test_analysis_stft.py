"""core.analysis STFT and spectrograms: against numpy/scipy references, levels, axes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal

from core.analysis import frequency_axis, spectrogram, stft
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled

SR = 22050


def tone(freq, seconds=1.0, sr=SR, amp=1.0, channels=None):
    t = np.arange(int(sr * seconds)) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return x if channels is None else np.stack([x] * channels)


def reference_stft(x, n_fft, hop):
    """numpy: centred frames, reflect padding, periodic Hann, rfft."""
    xp = np.pad(x.astype(np.float64), n_fft // 2, mode="reflect")
    w = scipy.signal.get_window("hann", n_fft)  # periodic
    nfr = 1 + len(x) // hop
    frames = np.stack([xp[t * hop:t * hop + n_fft] for t in range(nfr)])
    return np.fft.rfft(frames * w, axis=-1).T


def test_import_does_not_load_torch():
    code = ("import sys, core.analysis, core.analysis.open_fast, core.cli.spectrogram_cmd; "
            "import core.analysis.render; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, "importing core.analysis loaded torch" + r.stderr


@pytest.mark.parametrize("n_fft,hop", [(256, 64), (512, 128), (1024, 256), (400, 100)])
@pytest.mark.parametrize("length", [4000, 4097])
def test_stft_matches_numpy_reference(n_fft, hop, length):
    x = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    got = stft(x, n_fft=n_fft, hop_length=hop, device="cpu")
    ref = reference_stft(x, n_fft, hop)
    assert got.dtype == np.complex64 and got.shape == (1,) + ref.shape
    assert np.allclose(got[0], ref, atol=2e-3 * np.abs(ref).max())


def test_stft_matches_scipy_interior_frames():
    x = np.random.default_rng(1).standard_normal(8000).astype(np.float32)
    n_fft, hop = 512, 128
    got = stft(x, n_fft=n_fft, hop_length=hop, center=False, device="cpu")[0]
    _, _, z = scipy.signal.stft(x.astype(np.float64), nperseg=n_fft, noverlap=n_fft - hop,
                                window="hann", boundary=None, padded=False)
    z = z * np.hanning(n_fft + 1)[:-1].sum()  # scipy scales by 1/sum(window)
    assert got.shape == z.shape
    assert np.allclose(got, z, atol=1e-3 * np.abs(z).max())


def test_stft_channels_are_separate():
    x = np.stack([tone(440), tone(1000)])
    s = stft(x, n_fft=1024, hop_length=256, device="cpu")
    assert s.shape[0] == 2
    mid = s.shape[2] // 2
    df = SR / 1024
    assert abs(np.abs(s[0, :, mid]).argmax() * df - 440) < df
    assert abs(np.abs(s[1, :, mid]).argmax() * df - 1000) < df


@pytest.mark.parametrize("scale", ["linear", "log", "mel"])
@pytest.mark.parametrize("channels", [None, 2])
def test_1khz_peaks_at_right_row(scale, channels):
    x = tone(1000, channels=channels)
    s = spectrogram(x, SR, scale=scale, device="cpu")
    profile = s.values[:, 5:-5].mean(axis=1)
    f_peak = s.freqs[profile.argmax()]
    bin_hz = SR / 2048
    assert abs(f_peak - 1000) <= bin_hz, (scale, f_peak)
    assert s.values.dtype == np.float32 and s.values.flags.c_contiguous
    assert np.all(np.diff(s.freqs) > 0)
    assert s.values.shape == (len(s.freqs), 1 + x.shape[-1] // 512)
    assert s.scale == scale


@pytest.mark.parametrize("scale", ["linear", "log", "mel"])
def test_full_scale_sine_reads_0db(scale):
    f = 64 * SR / 2048  # exactly on a bin: no scalloping loss
    s = spectrogram(tone(f), SR, scale=scale, device="cpu")
    peak = s.values[:, 5:-5].max(axis=0)
    assert np.all(np.abs(peak) < 0.2), peak.min()
    s6 = spectrogram(tone(f, amp=0.5), SR, scale=scale, device="cpu")
    assert abs(s6.values[:, 5:-5].max() - (-6.02)) < 0.2


def test_channels_averaged_in_power_not_samples():
    x = tone(1000, channels=2)
    x[1] *= -1  # a mono sum would cancel to silence
    s = spectrogram(x, SR, device="cpu")
    assert s.values[:, 5:-5].max() > -2


def test_linear_power_and_db_agree_and_floor():
    x = tone(500) * 0.25
    p = spectrogram(x, SR, db=False, device="cpu")
    d = spectrogram(x, SR, db=True, top_db=60.0, device="cpu")
    assert np.allclose((10 * np.log10(np.maximum(p.values, 1e-20))).clip(d.values.max() - 60),
                       d.values, atol=1e-3)
    assert d.values.min() >= d.values.max() - 60 - 1e-4
    r = spectrogram(x, SR, ref=0.25 ** 2, device="cpu")
    assert abs(r.values.max() - (d.values.max() + 12.04)) < 0.05


def test_chunking_does_not_change_result():
    x = np.random.default_rng(3).standard_normal((2, 20000)).astype(np.float32)
    a = spectrogram(x, SR, n_fft=512, hop_length=128, db=False, chunk_frames=7, device="cpu")
    b = spectrogram(x, SR, n_fft=512, hop_length=128, db=False, chunk_frames=1000, device="cpu")
    assert np.allclose(a.values, b.values, rtol=1e-5, atol=1e-9)


def test_short_signal_and_times():
    s = spectrogram(tone(440, seconds=0.01), SR, n_fft=2048, hop_length=512, device="cpu")
    assert s.values.shape[1] == 1 + int(SR * 0.01) // 512
    assert np.all(np.isfinite(s.values))
    assert np.allclose(s.times, np.arange(s.values.shape[1]) * 512 / SR)


def test_empty_audio_is_a_plain_error():
    from core.analysis import SpectrogramLOD

    empty = np.zeros((2, 0), np.float32)
    for call in (lambda: spectrogram(empty, SR, device="cpu"),
                 lambda: stft(empty, device="cpu"), lambda: SpectrogramLOD(empty, SR)):
        with pytest.raises(InvalidParameterError):
            call()


def test_cancel_raises():
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        spectrogram(tone(440), SR, device="cpu", cancel=token)


def test_progress_reaches_total():
    seen = []
    spectrogram(tone(440, seconds=2), SR, device="cpu", chunk_frames=16, progress=seen.append)
    assert len(seen) > 2 and seen[-1].done == seen[-1].total


@pytest.mark.parametrize("kwargs", [dict(scale="bark"), dict(n_fft=8), dict(hop_length=0),
                                    dict(window="kaiser"), dict(scale="log", fmin=0),
                                    dict(fmax=SR), dict(ref=0)])
def test_bad_parameters(kwargs):
    with pytest.raises(InvalidParameterError):
        spectrogram(tone(440, seconds=0.2), SR, device="cpu", **kwargs)


@pytest.mark.parametrize("scale,n", [("log", 384), ("mel", 128), ("log", 50), ("mel", 300)])
def test_axis_rows_cover_range(scale, n):
    ax = frequency_axis(44100, 2048, scale=scale, n_bins=n)
    assert ax.n_rows == n
    assert ax.freqs[0] == pytest.approx(27.5 if scale == "log" else 0.0)
    assert ax.freqs[-1] == pytest.approx(22050)
    # Every row gets a value (no empty rows): white noise power is > 0 everywhere.
    p = np.random.default_rng(0).random((3, 1025)).astype(np.float32) + 0.1
    assert np.all(ax.apply(p) > 0)


def test_mean_reduce_of_flat_spectrum_is_flat():
    ax = frequency_axis(44100, 2048, scale="mel", n_bins=64, reduce="mean")
    assert np.allclose(ax.apply(np.ones((2, 1025), np.float32)), 1.0)
