"""The player on a real device: PulseAudio's null sink, heard back through its monitor.

Every test plays at most ~1.2 s of audio.  The recording (``parec``, a separate
PulseAudio client) is what the speakers would have played.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.audio import Audio
from core.errors import AudioDeviceError
from core.playback import Player, PlaySource, output_devices

pytestmark = pytest.mark.audio_device

SR = 44100
A_HZ, B_HZ = 440.0, 660.0


def tone(freq: float, dur_s: float, *, sr: int = SR, amp: float = 0.5) -> Audio:
    t = np.arange(round(dur_s * sr)) / sr
    return Audio((amp * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr)


def active_span(x: np.ndarray, thresh: float = 0.01) -> tuple[int, int]:
    """First and last frame louder than ``thresh`` (or (0, 0) when silent)."""
    idx = np.flatnonzero(np.abs(x) > thresh)
    return (int(idx[0]), int(idx[-1])) if len(idx) else (0, 0)


def steady(x: np.ndarray, trim_s: float = 0.06) -> np.ndarray:
    a, b = active_span(x)
    trim = round(trim_s * SR)
    assert b - a > 3 * trim, f"only {(b - a) / SR:.3f} s of sound was recorded"
    return x[a + trim : b - trim]


def level_db(x: np.ndarray, freq: float) -> float:
    """Amplitude of the ``freq`` component in dB re 1.0 (Hann-windowed single-bin DFT)."""
    w = np.hanning(len(x))
    n = np.arange(len(x))
    amp = 2 * abs(np.sum(x * w * np.exp(-2j * np.pi * freq * n / SR))) / np.sum(w)
    return 20 * np.log10(max(amp, 1e-9))


def peak_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / len(x)


class States:
    """Collects on_state reports; ``wait(state)`` blocks until one arrives."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._cv = threading.Condition()

    def __call__(self, state: str) -> None:
        with self._cv:
            self.seen.append(state)
            self._cv.notify_all()

    def wait(self, state: str, timeout: float = 5.0) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: state in self.seen, timeout)


@pytest.fixture
def player(pulse_sink):
    states = States()
    p = Player(device=pulse_sink.device, on_state=states)
    p.states = states
    yield p
    p.close()


def play_and_record(pulse_sink, player: Player, seconds: float, during=None) -> np.ndarray:
    """Play for ``seconds`` of wall time (or until finished), return the left channel heard."""
    with pulse_sink.recorder() as rec:
        player.play()
        t0 = time.monotonic()
        if during is not None:
            during()
        while time.monotonic() - t0 < seconds and player.playing:
            time.sleep(0.02)
        if player.state in ("playing", "paused"):
            player.stop()
    return rec.samples[:, 0]


def test_output_devices_lists_the_pulse_device(pulse_sink):
    devices = output_devices()
    names = [d.name for d in devices]
    assert pulse_sink.device in names
    assert sum(d.is_default for d in devices) <= 1
    assert all(d.channels > 0 and d.default_sr > 0 for d in devices)


def test_unknown_device_is_a_clear_error(pulse_sink):
    with pytest.raises(AudioDeviceError, match="no such device.*not found.*pulse"):
        Player(device="no such device")


@pytest.mark.parametrize("source_sr", [44100, 22050, 48000])
def test_plays_the_tone_at_its_pitch_and_level_then_finishes(pulse_sink, player, source_sr):
    player.set_sources([PlaySource("a", tone(A_HZ, 0.6, sr=source_sr))])
    assert player.output_sr == SR and player.device_name == pulse_sink.device
    x = play_and_record(pulse_sink, player, 3.0)
    assert player.states.wait("finished")
    assert player.states.seen == ["playing", "finished"]
    a, b = active_span(x)
    assert abs((b - a) / SR - 0.6) < 0.03  # the whole tone, nothing cut
    s = steady(x)
    assert abs(peak_hz(s) - A_HZ) < 2.0  # resampled, not sped up/down
    assert abs(level_db(s, A_HZ) - 20 * np.log10(0.5)) < 0.5
    assert player.position_s == 0.0  # back where play started


MIX_CASES = {
    "plain": (lambda p: None, 0.0, 0.0),
    "gain -6 dB": (lambda p: p.set_mix("a", gain_db=-6.0), -6.0, 0.0),
    "mute a": (lambda p: p.set_mix("a", mute=True), None, 0.0),
    "solo b": (lambda p: p.set_mix("b", solo=True), None, 0.0),
    "solo both": (lambda p: (p.set_mix("a", solo=True), p.set_mix("b", solo=True)), 0.0, 0.0),
    "volume 0.5": (lambda p: setattr(p, "volume", 0.5), -6.02, -6.02),
    "A/B on a": (lambda p: p.set_ab("a", "b", active="a"), 0.0, None),
    "A/B on b": (lambda p: p.set_ab("a", "b", active="b"), None, 0.0),
}


@pytest.mark.parametrize("case", list(MIX_CASES))
def test_mix_settings_are_heard(pulse_sink, player, case):
    apply, want_a, want_b = MIX_CASES[case]
    player.set_sources([PlaySource("a", tone(A_HZ, 0.5)), PlaySource("b", tone(B_HZ, 0.5))])
    apply(player)
    s = steady(play_and_record(pulse_sink, player, 2.0))
    ref = 20 * np.log10(0.5)
    for freq, want in ((A_HZ, want_a), (B_HZ, want_b)):
        got = level_db(s, freq) - ref
        if want is None:
            assert got < -50, f"{freq} Hz should be silent, is at {got:.1f} dB"
        else:
            assert abs(got - want) < 1.0, f"{freq} Hz at {got:.1f} dB, want {want} dB"


def test_mix_change_while_playing_is_heard_promptly(pulse_sink, player):
    player.set_sources([PlaySource("a", tone(A_HZ, 1.2)), PlaySource("b", tone(B_HZ, 1.2))])

    def mute_a_later():
        time.sleep(0.45)
        player.set_mix("a", mute=True)

    x = play_and_record(pulse_sink, player, 1.0, during=mute_a_later)
    a, b = active_span(x)
    before, after = x[a + 2205 : a + round(0.35 * SR)], x[b - round(0.3 * SR) : b - 2205]
    assert level_db(before, A_HZ) > -8 and level_db(before, B_HZ) > -8
    assert level_db(after, A_HZ) < -50 and level_db(after, B_HZ) > -8


def test_ab_switch_is_gapless_and_keeps_the_playhead(pulse_sink, player):
    player.set_sources([PlaySource("a", tone(A_HZ, 1.2)), PlaySource("b", tone(B_HZ, 1.2))])
    player.set_ab("a", "b", active="a")
    seen = {}

    def switch_later():
        time.sleep(0.45)
        seen["before"] = player.position_s
        player.set_ab("a", "b", active="b")
        seen["after"] = player.position_s

    x = play_and_record(pulse_sink, player, 0.9, during=switch_later)
    assert 0.3 < seen["before"] < 0.7
    assert abs(seen["after"] - seen["before"]) < 0.02
    a, b = active_span(x)
    env = np.sqrt(np.convolve(x[a:b] ** 2, np.ones(220) / 220, mode="valid"))
    # RMS of a 0.5 tone is 0.354; the one-block linear crossfade dips 3 dB (0.25)
    # at its middle; a gap or a dropped block would fall towards 0.
    assert env.min() > 0.2
    first, last = x[a + 2205 : a + round(0.3 * SR)], x[b - round(0.25 * SR) : b - 2205]
    assert level_db(first, A_HZ) > -8 and level_db(first, B_HZ) < -50
    assert level_db(last, B_HZ) > -8 and level_db(last, A_HZ) < -50


def two_part() -> Audio:
    """0-0.5 s at 440 Hz, 0.5-1.0 s at 880 Hz."""
    return Audio(np.concatenate([tone(A_HZ, 0.5).samples, tone(2 * A_HZ, 0.5).samples], 1), SR)


def test_loop_repeats_the_selection(pulse_sink, player):
    player.set_sources([PlaySource("a", two_part())])
    player.set_loop(0.1, 0.4)
    positions = []

    def watch():
        while player.playing and len(positions) < 40:
            positions.append(player.position_s)
            time.sleep(0.02)

    x = play_and_record(pulse_sink, player, 1.0, during=watch)
    assert player.states.seen == ["playing", "stopped"]  # never reached the end
    assert min(positions) >= 0.1 - 1e-6 and max(positions) < 0.4
    assert any(b < a for a, b in zip(positions, positions[1:], strict=False))  # it wrapped
    s = steady(x)
    assert len(s) / SR > 0.6  # longer than the 0.3 s loop: it repeated
    assert level_db(s, A_HZ) > -8 and level_db(s, 2 * A_HZ) < -50


def test_position_follows_the_clock_and_pause_resume_stop(pulse_sink, player):
    player.set_sources([PlaySource("a", tone(A_HZ, 2.0))])
    player.play(0.5)
    t0 = time.monotonic()
    time.sleep(0.1)
    p0, w0 = player.position_s, time.monotonic()
    time.sleep(0.3)
    p1, w1 = player.position_s, time.monotonic()
    assert 0.5 <= p0 < p1 < 0.5 + (w1 - t0) + 0.05
    assert abs((p1 - p0) - (w1 - w0)) < 0.08  # advances at the speed of the clock

    player.pause()
    paused = player.position_s
    assert player.state == "paused" and paused >= p1
    time.sleep(0.1)
    assert player.position_s == paused
    player.play()  # resumes
    time.sleep(0.15)
    assert player.position_s > paused
    player.stop()
    assert player.position_s == pytest.approx(0.5, abs=1e-3)  # back to where play began
    player.stop()
    assert player.position_s == 0.0
    assert player.states.seen == ["playing", "paused", "playing", "stopped"]


def test_seek_while_playing_jumps(pulse_sink, player):
    player.set_sources([PlaySource("a", two_part())])
    seen = []

    def seek_later():
        time.sleep(0.2)
        player.seek(0.55)
        time.sleep(0.2)
        seen.append(player.position_s)

    x = play_and_record(pulse_sink, player, 0.6, during=seek_later)
    assert 0.55 < seen[0] < 0.8
    a, b = active_span(x)
    assert level_db(x[a + 2205 : a + round(0.15 * SR)], A_HZ) > -8
    assert level_db(x[b - round(0.2 * SR) : b - 2205], 2 * A_HZ) > -8


def test_a_stalled_device_reports_error_then_plays_again(pulse_sink):
    import subprocess

    states = States()
    with Player(device=pulse_sink.device, on_state=states, stall_timeout_s=0.5) as player:
        player.set_sources([PlaySource("a", tone(A_HZ, 2.0))])
        player.play()
        time.sleep(0.2)
        subprocess.run(["pactl", "suspend-sink", pulse_sink.sink, "1"], check=True)
        try:
            assert states.wait("error")
        finally:
            subprocess.run(["pactl", "suspend-sink", pulse_sink.sink, "0"], check=True)
        assert player.state == "error" and not player.playing
        assert isinstance(player.last_error, AudioDeviceError)
        assert "has not asked for sound" in str(player.last_error)
        assert 0.0 < player.position_s < 1.0  # where it stopped, not lost
        player.play()
        time.sleep(0.2)
        assert player.playing and player.position_s > 0.0
