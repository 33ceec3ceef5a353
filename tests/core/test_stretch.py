"""The real-time time stretcher on its own (no device): duration, pitch, continuity."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InvalidParameterError
from core.playback.stretch import MAX_RATE, MIN_RATE, TimeStretcher, check_rate, stretch

SR = 44100
RATES = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]


def sine(freq: float, dur_s: float, *, amp: float = 0.5, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(dur_s * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def chord(dur_s: float) -> np.ndarray:
    """A C major triad with harmonics, left; a G below it, right: music-like and stereo."""
    t = np.arange(round(dur_s * SR)) / SR
    left = sum(0.15 / h * np.sin(2 * np.pi * f * h * t) for f in (261.63, 329.63, 392.0)
               for h in (1, 2, 3))
    right = sum(0.3 / h * np.sin(2 * np.pi * 196.0 * h * t) for h in (1, 2, 3, 4))
    return np.stack([left, right]).astype(np.float32)


def peak_hz(x: np.ndarray) -> float:
    """Dominant frequency (zero-padded Hann DFT with parabolic interpolation)."""
    n = len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(n), 8 * n))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / (8 * n)


def cents(f: float, ref: float) -> float:
    return 1200 * np.log2(f / ref)


def max_jump(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x, axis=-1)).max())


def stream(st: TimeStretcher, x: np.ndarray, block: int, rates: dict[int, float] | None = None):
    """Feed ``x`` in ``block``-frame pushes, setting ``rates[i]`` before push ``i``."""
    parts = []
    for i, j in enumerate(range(0, x.shape[1], block)):
        if rates and i in rates:
            st.rate = rates[i]
        parts.append(st.process(x[:, j : j + block]))
    parts.append(st.flush())
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("block", [256, 1024, 4410])
def test_output_lasts_input_over_rate(rate, block):
    x = np.stack([sine(440, 1.0), sine(660, 1.0)])
    y = stream(TimeStretcher(2, SR, rate=rate), x, block)
    assert y.dtype == np.float32 and y.shape[0] == 2
    assert y.shape[1] == pytest.approx(x.shape[1] / rate, abs=1)
    assert np.isfinite(y).all()


@pytest.mark.parametrize("rate", [0.5, 0.75, 1.5, 2.0])
@pytest.mark.parametrize("freq", [110.0, 440.0, 1760.0])
def test_pitch_is_kept(rate, freq):
    y = stretch(sine(freq, 1.5)[None], rate, SR)[0]
    steady = y[SR // 10 : -SR // 10]
    assert abs(cents(peak_hz(steady), freq)) < 3.0
    # ...and the level: no cancellation between crossfaded segments.
    rms = np.sqrt(np.mean(steady**2))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.03)


@pytest.mark.parametrize("rate", [0.5, 1.5])
def test_pitch_of_every_note_of_a_chord_is_kept(rate):
    x = chord(1.5)
    y = stretch(x, rate, SR)
    for ch, notes in ((0, (261.63, 329.63, 392.0)), (1, (196.0,))):
        spec = np.abs(np.fft.rfft(y[ch, SR // 10 : -SR // 10] * np.hanning(y.shape[1] - SR // 5)))
        freqs = np.fft.rfftfreq(y.shape[1] - SR // 5, 1 / SR)
        for f in notes:
            band = (freqs > f * 0.985) & (freqs < f * 1.015)
            peak = freqs[band][np.argmax(spec[band])]
            assert abs(cents(peak, f)) < 10, (ch, f, peak)


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("block", [1, 100, 1024, 5000])
def test_rate_one_is_exact_passthrough(channels, block):
    rng = np.random.default_rng(block)
    x = rng.uniform(-1, 1, (channels, SR // 2)).astype(np.float32)
    y = stream(TimeStretcher(channels, SR), x, block)
    assert y.shape == x.shape
    assert np.array_equal(y, x)


def test_back_to_rate_one_becomes_exact_passthrough_again():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, SR)).astype(np.float32)
    st = TimeStretcher(2, SR, rate=0.5)
    head = st.process(x[:, : SR // 4])
    st.rate = 1.0
    tail = st.process(x[:, SR // 4 :])
    tail = tail[:, 2 * st.hop :]  # the segment in progress finishes at 0.5x
    # From here on the output is a verbatim run of the input (shifted by the
    # alignment WSOLA chose, at most the search range).
    first = tail[0, :64]
    hits = [i for i in range(SR // 4 - SR // 8, SR // 2) if np.array_equal(x[0, i : i + 64], first)]
    assert len(hits) == 1
    i = hits[0]
    assert np.array_equal(tail, x[:, i : i + tail.shape[1]])
    assert head.shape[1] > 0


@pytest.mark.parametrize("freq", [220.0, 880.0])
def test_rate_changes_mid_stream_do_not_click(freq):
    x = np.stack([sine(freq, 3.0), sine(freq * 1.5, 3.0, amp=0.3)])
    rates = {0: 1.0, 7: 0.5, 19: 2.0, 25: 0.75, 40: 1.0, 55: 1.5, 70: 1.0, 90: 0.5, 100: 2.0}
    y = stream(TimeStretcher(2, SR), x, 1024, rates)
    for ch in (0, 1):
        # A click is a jump far above what the tone itself does between samples.
        assert max_jump(y[ch]) <= 1.1 * max_jump(x[ch])
    assert abs(cents(peak_hz(y[0]), freq)) < 3.0


def test_source_position_advances_by_the_rate_of_each_output_frame():
    x = np.stack([sine(330, 3.0)] * 2)
    st = TimeStretcher(2, SR)
    st.push(x[:, : st._cap // 2])
    fed = st._cap // 2
    out = np.empty((2, 64), np.float32)
    for i in range(1500):
        if i % 150 == 0:
            st.rate = (0.5, 2.0, 0.75, 1.5)[(i // 150) % 4]
        while st.input_needed() and fed < x.shape[1]:
            st.push(x[:, fed : fed + 1024])
            fed += 1024
        before, rate = st.source_pos, st.segment_rate
        k = st.pull(out[:, :1])
        assert k == 1
        # One output frame moves the source on by the rate it was played at.
        assert st.source_pos - before == pytest.approx(rate, abs=1e-6)


def test_stereo_channels_stay_independent():
    left = sine(440, 1.0)
    x = np.stack([left, np.zeros_like(left)])
    for rate in (0.5, 1.0, 1.5):
        y = stretch(x, rate, SR)
        assert not y[1].any()  # silence stays exact silence
        assert abs(cents(peak_hz(y[0, 4410:-4410]), 440)) < 3
    x = np.stack([sine(440, 1.0), sine(550, 1.0)])
    y = stretch(x, 0.75, SR)
    for ch, f, other in ((0, 440, 550), (1, 550, 440)):
        s = y[ch, 4410:-4410]
        spec = np.abs(np.fft.rfft(s * np.hanning(len(s))))
        freqs = np.fft.rfftfreq(len(s), 1 / SR)
        level = {hz: spec[np.argmin(np.abs(freqs - hz))] for hz in (f, other)}
        assert level[other] < 1e-3 * level[f]  # no crosstalk


def test_snapshot_restore_replays_the_same_output():
    x = chord(1.0)
    st = TimeStretcher(2, SR, rate=0.75, history_frames=SR // 2)
    st.process(x[:, :8000])
    snap = st.snapshot()
    pos = snap.out_frames
    first = st.process(x[:, 8000:20000])
    again_from = st.restore(snap)
    assert st.output_frames == pos and again_from <= 20000
    second = st.process(x[:, again_from:20000])
    n = min(first.shape[1], second.shape[1])
    assert n > 5000 and np.array_equal(first[:, :n], second[:, :n])


def test_restore_too_far_back_is_refused():
    st = TimeStretcher(1, SR, rate=0.5)
    snap = st.snapshot()
    st.process(sine(200, 3 * st._cap / SR)[None])  # far more than the kept history
    with pytest.raises(InvalidParameterError, match="restore"):
        st.restore(snap)


@pytest.mark.parametrize("bad", [0.49, 2.01, 0.0, -1.0, float("nan")])
def test_rates_outside_half_to_double_are_refused(bad):
    with pytest.raises(InvalidParameterError, match="between 0.5x and 2x"):
        check_rate(bad)
    st = TimeStretcher(1, SR)
    with pytest.raises(InvalidParameterError):
        st.rate = bad
    assert (MIN_RATE, MAX_RATE) == (0.5, 2.0)


def test_latency_is_constant():
    """Output for source frame i is available once input i + latency_frames is in."""
    for rate in (0.5, 1.0, 2.0):
        st = TimeStretcher(1, SR, rate=rate)
        x = sine(300, 1.0)[None]
        worst = 0.0
        for j in range(0, x.shape[1], 64):
            st.process(x[:, j : j + 64])
            worst = max(worst, st.input_end - st.source_pos)
        assert worst <= st.latency_frames + 64 * 2


@pytest.mark.parametrize("sr", [8000, 22050, 48000, 96000])
@pytest.mark.parametrize("rate", [0.5, 1.0, 2.0])
def test_any_device_rate(sr, rate):
    t = np.arange(sr) / sr
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
    y = stretch(x, rate, sr)
    assert y.shape[1] == round(sr / rate)
    if rate == 1.0:
        assert np.array_equal(y, x)
    else:
        s = y[0, sr // 10 : -sr // 10]
        spec = np.abs(np.fft.rfft(s * np.hanning(len(s)), 8 * len(s)))
        k = int(np.argmax(spec[1:-1])) + 1
        assert abs(k * sr / (8 * len(s)) - 440) < 440 * (2 ** (5 / 1200) - 1) + sr / (8 * len(s))
