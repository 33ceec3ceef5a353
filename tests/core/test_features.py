"""Frame-wise features on real signals whose answers are known, and their export."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio import Audio
from core.errors import InvalidParameterError, ResonoteError
from core.features import (
    FEATURES,
    compute_features,
    load_features_csv,
    parse_features,
    save_features,
)
from core.jobs import CancelToken, JobCancelled

SR = 22050


def tone(hz: float, seconds: float = 1.0, amp: float = 0.5, sr: int = SR) -> Audio:
    t = np.arange(int(seconds * sr)) / sr
    return Audio((amp * np.sin(2 * np.pi * hz * t))[None].astype(np.float32), sr)


@pytest.fixture(scope="module")
def all_of_a440():
    return compute_features(tone(440.0))


@pytest.mark.parametrize("name,rows", [("mfcc", 13), ("mel", 64), ("chroma", 12),
                                       ("centroid", 1), ("bandwidth", 1), ("rolloff", 1),
                                       ("onset", 1), ("rms", 1)])
def test_shapes_and_row_labels(all_of_a440, name, rows):
    fs = all_of_a440
    assert fs.values[name].shape == (rows, fs.n_frames)
    assert len(fs.rows[name]) == rows
    assert fs.values[name].dtype == np.float32 and np.isfinite(fs.values[name]).all()


def test_frame_times_follow_the_hop(all_of_a440):
    fs = all_of_a440
    assert fs.n_frames == 1 + SR // 512
    np.testing.assert_allclose(np.diff(fs.times_s), 512 / SR)
    assert fs.times_s[0] == 0.0


@pytest.mark.parametrize("hz", [220.0, 440.0, 1000.0])
def test_centroid_and_rolloff_of_a_sine_sit_at_its_frequency(hz):
    fs = compute_features(tone(hz), features="centroid,rolloff")
    mid = slice(5, -5)  # away from the zero-padded edges
    assert np.median(fs.values["centroid"][0, mid]) == pytest.approx(hz, rel=0.03)
    assert np.median(fs.values["rolloff"][0, mid]) == pytest.approx(hz, abs=2 * SR / 2048)


@pytest.mark.parametrize("amp", [0.1, 0.5, 0.9])
def test_rms_of_a_sine_is_amp_over_root_two(amp):
    fs = compute_features(tone(440.0, amp=amp), features=["rms"])
    assert np.median(fs.values["rms"][0]) == pytest.approx(amp / np.sqrt(2), rel=0.01)


@pytest.mark.parametrize("hz,pitch_class", [(440.0, "A"), (261.63, "C"), (392.0, "G")])
def test_chroma_peaks_at_the_pitch_class(hz, pitch_class):
    fs = compute_features(tone(hz), features="chroma")
    best = int(np.argmax(fs.values["chroma"][:, 10:-10].mean(axis=1)))
    assert fs.rows["chroma"][best] == f"chroma_{pitch_class}"


def test_onset_strength_peaks_at_the_clicks():
    x = np.zeros(2 * SR, np.float32)
    x += 0.01 * np.random.default_rng(0).standard_normal(x.size).astype(np.float32)
    clicks = [0.5, 1.0, 1.5]
    for c in clicks:
        i = int(c * SR)
        x[i:i + 2000] += np.hanning(4000)[2000:].astype(np.float32) * 0.8
    fs = compute_features(Audio(x[None], SR), features="onset")
    o = fs.values["onset"][0]
    peaks = fs.times_s[np.argsort(o)[-3:]]
    for c in clicks:
        assert np.min(np.abs(peaks - c)) < 0.05


def test_range_keeps_the_source_time_axis():
    a = tone(440.0, seconds=3.0)
    fs = compute_features(a, features="rms,mfcc", start_s=1.0, end_s=2.0)
    assert fs.times_s[0] == pytest.approx(1.0)
    assert fs.times_s[-1] == pytest.approx(2.0, abs=512 / SR)
    assert list(fs.values) == ["rms", "mfcc"]


def test_stereo_is_mixed_to_mono():
    left = tone(440.0).samples[0]
    fs = compute_features(Audio(np.stack([left, -left]), SR), features="rms")
    assert np.max(fs.values["rms"]) < 1e-6  # opposite channels cancel


def test_progress_and_cancel():
    seen = []
    compute_features(tone(440.0), features="mfcc,rms", progress=seen.append)
    assert seen[-1].done == seen[-1].total == 3
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(JobCancelled):
        compute_features(tone(440.0), cancel=tok)


@pytest.mark.parametrize("kw", [dict(features="loudness"), dict(start_s=2.0),
                                dict(start_s=0.5, end_s=0.2), dict(hop_length=0),
                                dict(rolloff_percent=1.5)])
def test_bad_requests_say_what_is_wrong(kw):
    with pytest.raises(InvalidParameterError):
        compute_features(tone(440.0), **kw)


def test_parse_features_aliases_and_all():
    assert parse_features(None) == tuple(FEATURES)
    assert parse_features("all") == tuple(FEATURES)
    assert parse_features("spectral_centroid, MFCC,mfcc") == ("centroid", "mfcc")


def test_short_selection_still_gives_frames():
    fs = compute_features(tone(440.0), start_s=0.0, end_s=0.02)
    assert fs.n_frames >= 1 and fs.n_fft <= 512


@pytest.mark.parametrize("ext", [".csv", ".npy", ".npz"])
def test_export_round_trips(tmp_path, all_of_a440, ext):
    fs = all_of_a440
    p = save_features(fs, tmp_path / f"f{ext}")
    if ext == ".csv":
        cols, data = load_features_csv(p)
        assert cols == fs.columns() and cols[0] == "time_s" and len(cols) == 1 + 13 + 64 + 12 + 5
        np.testing.assert_allclose(data, fs.table(), rtol=1e-6, atol=1e-6)
    elif ext == ".npy":
        np.testing.assert_array_equal(np.load(p), fs.table())
    else:
        z = np.load(p)
        np.testing.assert_array_equal(z["times_s"], fs.times_s)
        np.testing.assert_array_equal(z["chroma"], fs.values["chroma"])
    with pytest.raises(ResonoteError, match="already exists"):
        save_features(fs, p)
    with pytest.raises(InvalidParameterError):
        save_features(fs, tmp_path / "f.txt")
