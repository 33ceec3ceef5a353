"""Playback speed on the real device (PulseAudio null sink, heard back through its monitor).

Slower or faster, the pitch stays, the sound lasts ``duration / rate``, and the
playhead stays in source time (so the cursor, transcript and loops keep working).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.audio import Audio
from core.errors import InvalidParameterError
from core.playback import Player, PlaySource

pytestmark = pytest.mark.audio_device

SR = 44100


def tone(freq: float, dur_s: float, *, amp: float = 0.5) -> Audio:
    t = np.arange(round(dur_s * SR)) / SR
    return Audio((amp * np.sin(2 * np.pi * freq * t)).astype(np.float32), SR)


def active_span(x: np.ndarray, thresh: float = 0.01) -> tuple[int, int]:
    idx = np.flatnonzero(np.abs(x) > thresh)
    return (int(idx[0]), int(idx[-1])) if len(idx) else (0, 0)


def peak_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), 4 * len(x)))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / (4 * len(x))


def max_jump(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x)).max())


@pytest.fixture
def player(pulse_sink):
    p = Player(device=pulse_sink.device)
    yield p
    p.close()


def record(pulse_sink, player: Player, seconds: float, during=None) -> np.ndarray:
    with pulse_sink.recorder() as rec:
        player.play()
        t0 = time.monotonic()
        if during is not None:
            during()
        while time.monotonic() - t0 < seconds and player.playing:
            time.sleep(0.02)
        if player.playing:
            player.stop()
    return rec.samples[:, 0]


@pytest.mark.parametrize("rate", [0.5, 0.75, 1.5, 2.0])
def test_speed_changes_duration_not_pitch(pulse_sink, player, rate):
    player.set_sources([PlaySource("a", tone(440.0, 0.6))])
    player.set_rate(rate)
    assert player.rate == rate and player.duration_s == pytest.approx(0.6)  # source time
    x = record(pulse_sink, player, 0.6 / rate + 1.5)
    assert player.state == "finished"  # the stretched end is reached and reported
    assert player.position_s == 0.0  # back where play started, in source time
    a, b = active_span(x)
    assert (b - a) / SR == pytest.approx(0.6 / rate, abs=0.04)
    trim = round(0.05 * SR)
    steady = x[a + trim : b - trim]
    assert abs(1200 * np.log2(peak_hz(steady) / 440.0)) < 5  # cents
    assert max_jump(steady) < 1.2 * 2 * np.pi * 440 / SR * 0.5  # no clicks


@pytest.mark.parametrize("rate", [0.5, 1.5])
def test_playhead_advances_at_rate_times_wall_time(pulse_sink, player, rate):
    player.set_sources([PlaySource("a", tone(330.0, 3.0))])
    player.set_rate(rate)
    player.play(0.5)
    time.sleep(0.15)
    p0, w0 = player.position_s, time.monotonic()
    time.sleep(0.4)
    p1, w1 = player.position_s, time.monotonic()
    player.pause()
    paused = player.position_s
    assert p1 - p0 == pytest.approx(rate * (w1 - w0), abs=0.06)
    assert 0.5 < p0 < p1 <= paused < 0.5 + rate * 1.0
    player.stop()
    assert player.position_s == pytest.approx(0.5, abs=1e-3)


def test_rate_change_while_playing_is_smooth_and_keeps_the_playhead(pulse_sink, player):
    player.set_sources([PlaySource("a", tone(440.0, 3.0))])
    seen = {}

    def change_later():
        time.sleep(0.3)
        seen["before"] = player.position_s
        player.set_rate(0.5)
        seen["after"] = player.position_s
        time.sleep(0.4)
        seen["slow0"] = player.position_s, time.monotonic()
        time.sleep(0.3)
        seen["slow1"] = player.position_s, time.monotonic()
        player.set_rate(2.0)
        time.sleep(0.3)

    x = record(pulse_sink, player, 1.4, during=change_later)
    assert abs(seen["after"] - seen["before"]) < 0.02
    (q0, t0), (q1, t1) = seen["slow0"], seen["slow1"]
    assert q1 - q0 == pytest.approx(0.5 * (t1 - t0), abs=0.05)
    a, b = active_span(x)
    body = x[a + 2205 : b - 2205]
    assert len(body) / SR > 1.0
    assert max_jump(body) < 1.2 * 2 * np.pi * 440 / SR * 0.5  # no click at either change
    env = np.sqrt(np.convolve(body**2, np.ones(441) / 441, mode="valid"))
    assert env.min() > 0.3  # no gap (RMS of the 0.5 tone is 0.354)


def test_loop_at_half_speed_stays_inside_and_repeats(pulse_sink, player):
    two = np.concatenate([tone(440.0, 0.5).samples, tone(880.0, 0.5).samples], axis=1)
    player.set_sources([PlaySource("a", Audio(two, SR))])
    player.set_loop(0.1, 0.3)
    player.set_rate(0.5)
    positions = []

    def watch():
        while player.playing and len(positions) < 60:
            positions.append(player.position_s)
            time.sleep(0.02)

    x = record(pulse_sink, player, 1.3, during=watch)
    assert min(positions) >= 0.1 - 1e-6 and max(positions) < 0.3
    assert any(b < a for a, b in zip(positions, positions[1:], strict=False))  # it wrapped
    a, b = active_span(x)
    assert (b - a) / SR > 1.0  # longer than the 0.4 s the loop lasts at half speed
    assert abs(peak_hz(x[a + 2205 : b - 2205]) - 440.0) < 3.0


def test_back_at_rate_one_the_mix_is_heard_unstretched(pulse_sink, player):
    # (Bit-exactness is tested on the feed itself: PulseAudio's path to the
    # monitor is not sample-exact, so here the recording is compared by correlation.)
    rng = np.random.default_rng(0)
    noise = (0.2 * rng.standard_normal(SR // 2)).astype(np.float32)
    player.set_sources([PlaySource("a", Audio(noise, SR))])
    player.set_rate(0.5)
    player.set_rate(1.0)
    x = record(pulse_sink, player, 1.2)
    n = 1 << 18
    cc = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(noise, n)), n)
    k = int(np.argmax(cc))
    got = x[k : k + len(noise)]
    assert len(got) == len(noise)  # all of it, not stretched to 1 s
    assert np.corrcoef(got, noise)[0, 1] > 0.97


def test_out_of_range_speed_is_refused(player):
    for bad in (0.25, 3.0):
        with pytest.raises(InvalidParameterError, match="speed"):
            player.set_rate(bad)
    assert player.rate == 1.0


def test_many_changes_while_playing_keep_it_playing(pulse_sink, player):
    """Speed, mix, loop and seek changes in quick succession never stall the feeder."""
    rng = np.random.default_rng(5)
    player.set_sources([PlaySource("a", tone(440.0, 4.0)), PlaySource("b", tone(660.0, 4.0))])
    player.play(0.2)
    for i in range(60):
        op = i % 5
        if op == 0:
            player.set_rate(float(rng.choice([0.5, 0.6, 0.75, 1.0, 1.25, 1.5, 2.0])))
        elif op == 1:
            player.set_mix("b", mute=bool(rng.integers(2)))
        elif op == 2:
            player.seek(float(rng.uniform(0.0, 3.5)))
        elif op == 3:
            a = float(rng.uniform(0.0, 3.0))
            player.set_loop(a, a + 0.5) if rng.integers(2) else player.set_loop(None)
        else:
            player.set_ab("a", "b", active="ab"[int(rng.integers(2))])
        time.sleep(0.01)
        assert 0.0 <= player.position_s <= 4.0
    player.set_loop(None)
    player.set_rate(1.0)
    player.seek(1.0)
    time.sleep(0.3)
    assert player.playing and player._thread.is_alive()
    assert 1.0 < player.position_s < 1.6
    player.stop()
