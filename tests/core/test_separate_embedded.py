"""Embedded separation methods (HPSS, REPET-SIM, centre/sides) on mixtures with known stems.

SDR bounds were measured first (see the comments) and set with a margin of a few dB.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled
from core.separate import separate

SR = 16000


def sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """Mean SDR in dB over channels (fast_bss_eval, 512-tap distortion filter)."""
    import fast_bss_eval

    return float(np.mean(fast_bss_eval.sdr(ref[:, None].astype(np.float64),
                                           est[:, None].astype(np.float64))))


def chord_and_clicks(seconds: float = 4.0, seed: int = 0):
    """A sustained A minor chord (with harmonics) and sharp drum-like hits; both stereo."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    chord = sum(0.12 / h * np.sin(2 * np.pi * f * h * t + rng.uniform(0, 6))
                for f in (220.0, 261.63, 329.63) for h in (1, 2, 3))
    hits = np.zeros_like(t)
    env = np.exp(-np.arange(int(0.03 * SR)) / (0.004 * SR))
    for start in np.arange(0.1, seconds - 0.1, 0.25):
        i = int(start * SR)
        hits[i:i + env.size] += 0.6 * env * rng.standard_normal(env.size)
    harmonic = np.stack([chord, 0.8 * chord]).astype(np.float32)
    percussive = np.stack([0.8 * hits, hits]).astype(np.float32)
    return harmonic, percussive


def voice_and_loop(seconds: float = 8.0, seed: int = 1):
    """A 1 s accompaniment loop repeated, and a non-repeating gliding "voice"."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t1 = np.arange(SR) / SR
    bar = np.zeros(SR)
    for k, f in enumerate((110.0, 146.83, 164.81, 130.81)):
        seg = slice(k * SR // 4, (k + 1) * SR // 4)
        tt = t1[seg] - t1[seg][0]
        bar[seg] += 0.3 * np.sin(2 * np.pi * f * tt) * np.exp(-tt * 6)
        bar[seg] += 0.15 * np.sin(2 * np.pi * 2 * f * tt) * np.exp(-tt * 6)
    loop = np.tile(bar, int(np.ceil(seconds)))[:n]
    t = np.arange(n) / SR
    pitch = 300 + 120 * np.sin(2 * np.pi * 0.23 * t) + 40 * np.cumsum(rng.standard_normal(n)) / SR
    phase = 2 * np.pi * np.cumsum(pitch * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))) / SR
    voice = 0.2 * (np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase))
    voice *= (np.sin(2 * np.pi * 0.4 * t) > -0.3)  # phrases with gaps
    acc = np.stack([loop, loop]).astype(np.float32)
    voc = np.stack([voice, voice]).astype(np.float32)
    return voc, acc


def test_hpss_puts_the_chord_in_harmonic_and_the_hits_in_percussive():
    harmonic, percussive = chord_and_clicks()
    mix = harmonic + percussive
    r = separate(Audio(mix, SR), model="hpss")
    assert list(r.stems) == ["harmonic", "percussive"]
    h, p = r.stems["harmonic"].samples, r.stems["percussive"].samples
    # measured: harmonic 23.9 dB, percussive 12.2 dB (the mixture as estimate: 10.2 / -10.1)
    assert sdr(harmonic, h) > 19.0
    assert sdr(percussive, p) > 9.0
    assert sdr(percussive, p) > sdr(percussive, mix) + 15.0
    np.testing.assert_allclose(h + p, mix, atol=1e-5)


def test_repet_improves_the_voice_over_the_mixture():
    voice, loop = voice_and_loop()
    mix = voice + loop
    r = separate(Audio(mix, SR), model="repet")
    v, a = r.stems["vocals"].samples, r.stems["accompaniment"].samples
    base_v, base_a = sdr(voice, mix), sdr(loop, mix)
    # measured: vocals -0.34 -> 4.02 dB (+4.4), accompaniment 0.41 -> 3.69 dB (+3.3)
    assert sdr(voice, v) > base_v + 2.5
    assert sdr(loop, a) > base_a + 2.0
    np.testing.assert_allclose(v + a, mix, atol=1e-5)


def test_midside_is_exact_and_needs_stereo():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5000)).astype(np.float32)
    r = separate(Audio(x, 44100), model="midside")
    c, s = r.stems["center"].samples, r.stems["sides"].samples
    np.testing.assert_allclose(c + s, x, atol=1e-6)  # float32 rounding only
    np.testing.assert_allclose(c[0], c[1])
    np.testing.assert_allclose(s[0], -s[1], atol=1e-6)
    with pytest.raises(InvalidParameterError, match="stereo"):
        separate(Audio(x[:1], 44100), model="midside")


@pytest.mark.parametrize("model,kwargs,kept", [
    ("hpss", {"stems": ("percussive",)}, ["percussive"]),
    ("repet", {"exclude": ("vocals",)}, ["accompaniment"]),
    ("midside", {"stems": "sides"}, ["sides"]),
    ("hpss", {"stems": "harmonic", "residual": True}, ["harmonic"]),
])
def test_subset_plus_residual_is_the_mix(model, kwargs, kept):
    rng = np.random.default_rng(4)
    x = (0.3 * rng.standard_normal((2, 3 * SR))).astype(np.float32)
    r = separate(Audio(x, SR), model=model, **kwargs)
    assert list(r.stems) == kept
    assert r.residual is not None
    total = sum(a.samples for a in r.stems.values()) + r.residual.samples
    np.testing.assert_allclose(total, x, atol=1e-6)


def test_all_stems_have_no_residual_unless_asked():
    x = np.zeros((1, SR), np.float32)
    assert separate(Audio(x, SR), model="hpss").residual is None
    assert separate(Audio(x, SR), model="hpss", residual=True).residual is not None


@pytest.mark.parametrize("bad", [{"stems": "drums"}, {"exclude": "harmonic,percussive"},
                                 {"shifts": -1}, {"overlap": 1.0}, {"segment_s": 0}])
def test_bad_choices_are_plain_errors(bad):
    with pytest.raises(InvalidParameterError):
        separate(Audio(np.zeros((1, SR), np.float32), SR), model="hpss", **bad)


@pytest.mark.parametrize("preview,start,frames", [(1.5, 0.0, int(1.5 * SR)),
                                                  ((2.0, 3.0), 2.0, SR),
                                                  ((3.5, 99.0), 3.5, SR // 2)])
def test_preview_renders_only_the_region(preview, start, frames):
    harmonic, percussive = chord_and_clicks()
    mix = harmonic + percussive
    r = separate(Audio(mix, SR), model="hpss", preview_s=preview)
    assert r.start_s == start and r.info["preview"]
    for a in r.stems.values():
        assert a.frames == frames and a.sr == SR and a.channels == 2
    i = int(start * SR)
    np.testing.assert_allclose(sum(a.samples for a in r.stems.values()), mix[:, i:i + frames],
                               atol=1e-5)


def test_preview_after_the_end_is_an_error():
    with pytest.raises(InvalidParameterError, match="after the end"):
        separate(Audio(np.zeros((1, SR), np.float32), SR), model="hpss", preview_s=(5, 6))


def test_long_input_is_processed_in_windows_with_progress_and_cancel():
    harmonic, percussive = chord_and_clicks(seconds=10.0)
    mix = harmonic + percussive
    reports = []
    r = separate(Audio(mix, SR), model="hpss", segment_s=2.0, progress=reports.append)
    windows = [p for p in reports if p.stage == "separate"]
    assert windows[-1].done == windows[-1].total >= 6
    # windowed result still separates and sums back
    assert sdr(percussive, r.stems["percussive"].samples) > 8.0
    np.testing.assert_allclose(sum(a.samples for a in r.stems.values()), mix, atol=1e-5)

    token = CancelToken()

    def cancel_after_two(p):
        if p.stage == "separate" and p.done >= 2:
            token.cancel()

    with pytest.raises(JobCancelled):
        separate(Audio(mix, SR), model="hpss", segment_s=2.0, progress=cancel_after_two,
                 cancel=token)


def _peak_bytes(seconds: float) -> int:
    x = np.random.default_rng(5).standard_normal((2, int(seconds * SR))).astype(np.float32)
    audio = Audio(x, SR)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    separate(audio, model="repet", segment_s=4.0)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def test_peak_memory_grows_with_the_output_not_the_work():
    """Doubling the song adds about the stems' size, not the windows' working memory."""
    short, long_ = _peak_bytes(12.0), _peak_bytes(24.0)
    extra_audio = 12.0 * SR * 2 * 4  # 12 s more of stereo float32
    # output (2 stems) + input copies grow by a few times the audio; REPET's
    # similarity matrix over the whole song would grow by ~4x its 12 s size.
    assert long_ - short < 6 * extra_audio, (short, long_)


@pytest.mark.parametrize("model", ["hpss", "midside"])
def test_stems_in_a_scratch_file_equal_stems_in_memory(tmp_path, model):
    """scratch_dir (the CLI's path) keeps the stems on disk: same numbers, no file left."""
    from core.scratch import is_scratch

    rng = np.random.default_rng(7)
    audio = Audio((0.1 * rng.standard_normal((2, 8 * 8000))).astype(np.float32), 8000)
    kw = {"segment_s": 2.0} if model == "hpss" else {}
    ref = separate(audio, model=model, **kw)
    got = separate(audio, model=model, scratch_dir=tmp_path, **kw)
    for name, stem in ref.stems.items():
        assert is_scratch(got.stems[name].samples)
        np.testing.assert_array_equal(got.stems[name].samples, stem.samples)
    assert list(tmp_path.iterdir()) == []
