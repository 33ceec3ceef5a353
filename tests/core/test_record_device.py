"""The recorder on a real device: a tone played into PulseAudio's null sink is
recorded from the sink's monitor through PortAudio (device ``"pulse"``).

Every test records at most ~3 s.  The tone is played by ``paplay``, a separate
PulseAudio client, so only one PortAudio stream is open at a time.
"""

from __future__ import annotations

import errno
import subprocess
import threading
import time
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from core.audio import load
from core.errors import AudioDeviceError
from core.record import DiskFullError, Recorder, Take, WavWriter, input_devices

pytestmark = pytest.mark.audio_device

HZ = 440.0


def play(pulse_sink, tmp_path, *, amp: float, dur_s: float, freq: float = HZ,
         sr: int = 48000) -> subprocess.Popen:
    """Start playing a tone into the null sink (returns at once)."""
    t = np.arange(round(dur_s * sr)) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    path = tmp_path / f"tone-{freq:g}-{amp:g}.wav"
    sf.write(str(path), np.stack([x, x], 1), sr, subtype="FLOAT")
    return subprocess.Popen(["paplay", "-d", pulse_sink.sink, "--latency-msec=20", str(path)])


def steady(x: np.ndarray, sr: int, thresh: float = 0.01, trim_s: float = 0.1) -> np.ndarray:
    idx = np.flatnonzero(np.abs(x) > thresh)
    assert len(idx), "nothing was recorded"
    a, b = idx[0] + round(trim_s * sr), idx[-1] - round(trim_s * sr)
    assert b - a > 0.3 * sr, f"only {(idx[-1] - idx[0]) / sr:.2f} s of tone was recorded"
    return x[a:b]


def peak_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(x)


def level_db(x: np.ndarray, sr: int, freq: float = HZ) -> float:
    w = np.hanning(len(x))
    n = np.arange(len(x))
    amp = 2 * abs(np.sum(x * w * np.exp(-2j * np.pi * freq * n / sr))) / np.sum(w)
    return 20 * np.log10(max(amp, 1e-9))


MONO_LEVELS: dict[float, float] = {}


class States:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self._cv = threading.Condition()

    def __call__(self, state: str) -> None:
        with self._cv:
            self.seen.append(state)
            self._cv.notify_all()

    def wait(self, state: str, timeout: float = 10.0) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: state in self.seen, timeout)


@pytest.fixture
def states():
    return States()


def recorder(pulse_sink, tmp_path, states=None, **kw) -> Recorder:
    return Recorder(device=pulse_sink.device, directory=tmp_path / "takes", on_state=states, **kw)


def test_input_devices_lists_the_pulse_device(pulse_sink):
    devices = input_devices()
    assert pulse_sink.device in [d.name for d in devices]
    assert all(d.channels > 0 and d.default_sr > 0 for d in devices)


@pytest.mark.parametrize("device", ["no such microphone", 9999])
def test_unknown_device_is_a_clear_error(pulse_sink, tmp_path, device):
    with pytest.raises(AudioDeviceError, match="not.*(found|exist).*Available inputs:.*pulse"):
        Recorder(device=device, directory=tmp_path)


# Mono from the stereo monitor is PulseAudio's own downmix (about -2.5 dB here), so its
# level is only checked relative to gain 0.
@pytest.mark.parametrize(
    ("sr", "channels", "gain_db"),
    [(48000, 2, 0.0), (44100, 2, -6.0), (48000, 2, 6.0), (44100, 1, 0.0), (44100, 1, -6.0)],
)
def test_records_the_tone_at_its_pitch_and_level(pulse_sink, tmp_path, states, sr, channels,
                                                 gain_db):
    amp = 0.25
    with recorder(pulse_sink, tmp_path, states, sr=sr, channels=channels, gain_db=gain_db) as rec:
        take = rec.start()
        player = play(pulse_sink, tmp_path, amp=amp, dur_s=1.0)
        player.wait(timeout=10)
        time.sleep(0.2)
        done = rec.stop()
    assert done is take and take.state == "complete" and states.seen == ["recording", "stopped"]
    assert (take.sr, take.channels, take.overflows, take.device_name) == (sr, channels, 0, "pulse")
    a = load(take.path)
    assert a.sr == sr and a.samples.shape == (channels, take.frames)
    assert take.duration_s == pytest.approx(a.duration_s)
    want = 20 * np.log10(amp) + gain_db
    for ch in a.samples:
        s = steady(ch, sr)
        assert abs(peak_hz(s, sr) - HZ) < 2.0
        # median over 0.1 s windows: a glitch of the player (a loaded machine) is not our level
        win = sr // 10
        got = float(np.median([level_db(s[i : i + win], sr) for i in range(0, len(s) - win, win)]))
        if channels == 1:
            MONO_LEVELS[gain_db] = got
        else:
            assert abs(got - want) < 1.0
    if channels == 1 and len(MONO_LEVELS) == 2:
        assert abs(MONO_LEVELS[-6.0] - MONO_LEVELS[0.0] + 6.0) < 0.5
        assert abs(MONO_LEVELS[0.0] - 20 * np.log10(amp)) < 4.0
    meta = Take.from_sidecar(take.metadata_path)
    assert (meta.state, meta.frames, meta.gain_db, meta.overflows) == (
        "complete", take.frames, gain_db, 0)


def test_meters_show_the_level_and_clip(pulse_sink, tmp_path):
    with recorder(pulse_sink, tmp_path) as rec:
        rec.arm()  # meters move while armed; nothing is written
        assert rec.state == "armed"
        play(pulse_sink, tmp_path, amp=0.5, dur_s=1.2).wait(timeout=10)
        # wait() returns when the sound has been played; read the meters just before its end
        m = rec.meters()
        time.sleep(0.1)
        play(pulse_sink, tmp_path, amp=1.0, dur_s=0.3).wait(timeout=10)
        time.sleep(0.1)
        hot = rec.meters()
        assert rec.stop() is None  # armed only: no take
    assert m.peak_db.shape == m.rms_db.shape == m.peak_hold_db.shape == m.clipped.shape == (2,)
    assert np.all(np.abs(m.peak_db - 20 * np.log10(0.5)) < 1.5), m
    assert np.all(np.abs(m.rms_db - 20 * np.log10(0.5 / np.sqrt(2))) < 1.5), m
    assert not m.clipped.any() and np.all(m.peak_hold_db >= m.peak_db - 0.01)
    assert hot.clipped.all() and np.all(hot.peak_hold_db > -1.0), hot
    assert not list((tmp_path / "takes").glob("*.wav"))


def test_the_file_is_valid_while_recording_and_latest_follows(pulse_sink, tmp_path):
    with recorder(pulse_sink, tmp_path) as rec:
        player = play(pulse_sink, tmp_path, amp=0.5, dur_s=2.0)
        take = rec.start()
        time.sleep(1.2)
        info = sf.info(str(take.path))  # opened by another reader, mid-take
        y, sr = sf.read(str(take.path), dtype="float32")
        recent = rec.latest(4800)
        elapsed = rec.elapsed_s
        assert rec.free_disk_bytes > 0
        rec.stop()
        player.wait(timeout=10)
    assert info.samplerate == 48000 and info.channels == 2 and info.frames > 0
    assert y.shape == (info.frames, 2)
    assert abs(peak_hz(steady(y[:, 0], sr, trim_s=0.05), sr) - HZ) < 2.0
    assert recent.shape == (2, 4800) and recent.dtype == np.float32
    assert abs(peak_hz(recent[0], sr) - HZ) < 15.0  # 0.1 s of the tone, coarse bins
    assert elapsed > 0.5 and take.frames >= info.frames


def test_pause_and_resume_keep_one_take(pulse_sink, tmp_path, states):
    with recorder(pulse_sink, tmp_path, states) as rec:
        player = play(pulse_sink, tmp_path, amp=0.5, dur_s=2.5)
        take = rec.start()
        time.sleep(0.5)
        rec.pause()
        at_pause = rec.elapsed_s
        time.sleep(0.6)
        assert rec.elapsed_s == at_pause  # nothing written while paused
        assert rec.meters().peak_db.max() > -10  # but the input is still metered
        rec.resume()
        time.sleep(0.5)
        rec.stop()
        player.wait(timeout=10)
    assert states.seen == ["recording", "paused", "recording", "stopped"]
    assert take.frames > at_pause * take.sr
    assert sf.info(str(take.path)).frames == take.frames
    assert 0 < take.frames < 48000 * 1.6 - 0.4 * 48000  # the paused 0.6 s is not in the file


def test_duration_stops_the_take_at_exactly_that_length(pulse_sink, tmp_path, states):
    with recorder(pulse_sink, tmp_path, states) as rec:
        take = rec.start(duration_s=0.5)
        assert states.wait("stopped")
        assert rec.state == "stopped" and rec.stop() is take
    assert take.frames == 24000 and sf.info(str(take.path)).frames == 24000


class StallingWriter(WavWriter):
    """A real WAV writer on a disk that freezes once for ``stall_s`` (slow network drive)."""

    stall_s = 0.6

    def write(self, x: np.ndarray) -> None:
        if self.frames > 4800 and self.stall_s:
            time.sleep(self.stall_s)
            self.stall_s = 0.0
        super().write(x)


def test_dropped_buffers_are_counted_filled_and_saved(pulse_sink, tmp_path):
    with recorder(pulse_sink, tmp_path, ring_s=0.1, writer_factory=StallingWriter) as rec:
        player = play(pulse_sink, tmp_path, amp=0.5, dur_s=2.0)
        take = rec.start()
        time.sleep(1.5)
        live = rec.overflows
        rec.stop()
        player.wait(timeout=10)
    assert live > 0 and take.overflows >= live and take.dropped_frames > 0
    assert sum(n for _, n in take.gaps) == take.dropped_frames
    meta = Take.from_sidecar(take.metadata_path)
    assert (meta.overflows, meta.dropped_frames) == (take.overflows, take.dropped_frames)
    y, _ = sf.read(str(take.path), dtype="float32")
    start, n = take.gaps[0]
    assert np.all(y[start : start + n] == 0.0)  # silence in place of what was lost
    assert y.shape[0] == take.frames


@pytest.fixture
def small_disk(tmp_path):
    """A 600 KiB filesystem (about 1.5 s of 48 kHz stereo float)."""
    d = tmp_path / "small"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(d)],
                       capture_output=True, check=False)
    yield d if r.returncode == 0 else None
    if r.returncode == 0:
        subprocess.run(["umount", "-l", str(d)], check=False)


class FullDiskWriter(WavWriter):
    """Where no small filesystem can be mounted: the OS answers ENOSPC after 1 s of audio."""

    def write(self, x: np.ndarray) -> None:
        if self.frames + x.shape[0] > 48000:
            raise DiskFullError("The disk is full.") from OSError(errno.ENOSPC, "No space")
        super().write(x)


def test_a_full_disk_stops_the_take_and_keeps_it(pulse_sink, tmp_path, states, small_disk):
    kw = {"writer_factory": FullDiskWriter} if small_disk is None else {}
    where = small_disk or tmp_path
    with Recorder(device=pulse_sink.device, directory=where, on_state=states, **kw) as rec:
        player = play(pulse_sink, tmp_path, amp=0.5, dur_s=3.0)
        take = rec.start()
        assert states.wait("error")
        assert rec.state == "error" and isinstance(rec.last_error, DiskFullError)
        assert rec.stop() is take
        player.kill()
    assert take.state == "error" and "disk is full" in take.error and "saved" in take.error
    meta = Take.from_sidecar(take.metadata_path)
    assert meta.state == "error" and meta.frames == take.frames > 0
    a = load(take.path)
    assert a.samples.shape == (2, take.frames)


def test_a_lost_device_stops_the_take_and_keeps_it(pulse_sink, tmp_path, states):
    with recorder(pulse_sink, tmp_path, states, stall_timeout_s=0.5) as rec:
        player = play(pulse_sink, tmp_path, amp=0.5, dur_s=2.0)
        take = rec.start()
        time.sleep(0.6)
        subprocess.run(["pactl", "suspend-sink", pulse_sink.sink, "1"], check=True)
        try:
            assert states.wait("error")
        finally:
            subprocess.run(["pactl", "suspend-sink", pulse_sink.sink, "0"], check=True)
        player.kill()
        err = rec.last_error
        assert rec.stop() is take
    assert isinstance(err, AudioDeviceError) and "delivered no sound" in str(err)
    assert take.state == "error" and take.error == str(err)
    assert Take.from_sidecar(take.metadata_path).state == "error"
    y, sr = sf.read(str(take.path), dtype="float32")
    assert y.shape[0] == take.frames > 0.3 * sr  # what came before the loss is kept
    assert abs(peak_hz(steady(y[:, 0], sr, trim_s=0.05), sr) - HZ) < 3.0


def test_memory_stays_flat_while_recording(pulse_sink, tmp_path):
    with recorder(pulse_sink, tmp_path, ring_s=0.1, history_s=0.2) as rec:
        rec.start()
        time.sleep(0.5)
        tracemalloc.start()
        try:
            time.sleep(0.5)
            first, _ = tracemalloc.get_traced_memory()
            time.sleep(2.0)
            last, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        take = rec.stop()
    # 2 s of 48 kHz stereo float is 768 KB: a recorder that kept audio would grow by that much
    assert take.duration_s > 2.5
    assert last - first < 100_000 and peak - first < 300_000, (first, last, peak)
