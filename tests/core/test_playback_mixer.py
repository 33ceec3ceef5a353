"""The playback mixer on its own (no device): exact sample arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio import Audio
from core.errors import InvalidParameterError
from core.playback import Mixer, PlaySource

SR = 1000
BS = 64


def _ramp_audio(n: int, channels: int = 1, sr: int = SR) -> Audio:
    x = np.arange(n, dtype=np.float32) / n
    return Audio(np.tile(x, (channels, 1)), sr)


def _render_all(m: Mixer, pos: int, blocks: int) -> np.ndarray:
    out = np.zeros((m.channels, BS), np.float32)
    parts = []
    for _ in range(blocks):
        _, pos, ended = m.render(pos, out)
        parts.append(out.copy())
        if ended:
            break
    return np.concatenate(parts, axis=1)


def _mixer(*sources: PlaySource) -> Mixer:
    m = Mixer(sr=SR, channels=2, blocksize=BS)
    m.set_tracks(m.prepare(list(sources)))
    return m


@pytest.mark.parametrize("offset_s", [0.0, 0.1, 0.037])
def test_render_places_track_at_offset_exactly(offset_s):
    a = _ramp_audio(300)
    m = _mixer(PlaySource("a", a, offset_s=offset_s))
    y = _render_all(m, 0, 100)
    off = round(offset_s * SR)
    assert m.total_frames == off + 300
    np.testing.assert_array_equal(y[0, off : off + 300], a.samples[0])
    np.testing.assert_array_equal(y[1, off : off + 300], a.samples[0])  # mono on both
    assert not y[:, :off].any() and not y[:, off + 300 :].any()


def test_render_reports_end_and_zero_pads():
    m = _mixer(PlaySource("a", _ramp_audio(100)))
    out = np.ones((2, BS), np.float32)
    start, nxt, ended = m.render(64, out)
    assert (start, nxt, ended) == (64, 100, True)
    assert not out[:, 36:].any()


@pytest.mark.parametrize("loop", [(10, 50), (100, 107), (0, 300)])
def test_loop_wraps_sample_exactly(loop):
    a = _ramp_audio(300)
    m = _mixer(PlaySource("a", a))
    m.loop = loop
    y = _render_all(m, 0, 20)
    region = a.samples[0, loop[0] : loop[1]]
    want = np.tile(region, 20 * BS // len(region) + 1)[: y.shape[1]]
    np.testing.assert_array_equal(y[0], want)


@pytest.mark.parametrize(
    ("mix", "want_a", "want_b"),
    [
        ({}, 1.0, 1.0),
        ({"a": {"gain_db": -6.0}}, 10 ** (-6 / 20), 1.0),
        ({"a": {"mute": True}}, 0.0, 1.0),
        ({"b": {"solo": True}}, 0.0, 1.0),
        ({"a": {"solo": True}, "b": {"solo": True}}, 1.0, 1.0),
    ],
)
def test_target_gains(mix, want_a, want_b):
    m = _mixer(PlaySource("a", _ramp_audio(10)), PlaySource("b", _ramp_audio(10)))
    for key, kw in mix.items():
        for k, v in kw.items():
            setattr(m.track(key), k, v)
    np.testing.assert_allclose(m.target_gains(), [want_a, want_b], rtol=1e-6)


@pytest.mark.parametrize("active", ["a", "b"])
def test_ab_sounds_only_the_active_one_and_inherits_pair_solo(active):
    m = _mixer(
        PlaySource("a", _ramp_audio(10), solo=True),
        PlaySource("b", _ramp_audio(10)),
        PlaySource("c", _ramp_audio(10)),
    )
    m.ab = ("a", "b", active)
    assert m.target_gains() == ([1.0, 0.0, 0.0] if active == "a" else [0.0, 1.0, 0.0])


def test_gain_change_ramps_over_one_block_then_holds():
    ones = Audio(np.ones((1, 10 * BS), np.float32), SR)
    m = _mixer(PlaySource("a", ones))
    out = np.zeros((2, BS), np.float32)
    m.render(0, out)
    assert np.all(out == 1.0)
    m.track("a").mute = True
    m.render(BS, out)
    assert out[0, 0] == 1.0 and np.all(np.diff(out[0]) < 0) and out[0, -1] < 0.05
    m.render(2 * BS, out)
    assert not out.any()


def test_resamples_and_keeps_prepared_samples():
    a = _ramp_audio(500, channels=2, sr=500)
    m = Mixer(sr=SR, channels=2, blocksize=BS)
    t1 = m.prepare([PlaySource("a", a)])
    assert t1[0].samples.shape == (2, 1000)
    m.set_tracks(t1)
    t2 = m.prepare([PlaySource("a", a, gain_db=-3)])
    assert t2[0].samples is t1[0].samples


def test_nonfinite_samples_play_as_silence_and_duplicate_keys_are_refused():
    bad = Audio(np.array([[0.5, np.nan, np.inf, 0.5]], np.float32), SR)
    m = _mixer(PlaySource("a", bad))
    np.testing.assert_array_equal(_render_all(m, 0, 1)[0, :4], [0.5, 0, 0, 0.5])
    with pytest.raises(InvalidParameterError):
        m.prepare([PlaySource("x", bad), PlaySource("x", bad)])
    with pytest.raises(InvalidParameterError):
        m.track("nope")
