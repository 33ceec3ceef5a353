"""The Record panel on a real input: PulseAudio's null sink, whose monitor PortAudio records
as the device ``"pulse"`` while ``paplay`` plays a known tone into the sink.

Covers: the device list, a clear error for a missing device, arming (meters move,
nothing written), recording a take that becomes a track (pitch and length checked
with an FFT), pause/resume, closing the window mid-take, start-up recovery of
a take whose recording process was SIGKILLed, FLAC takes with monitoring and live
transcription, and latency measurement with a count-in take over the project.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.views.level_meter import LevelMeter
from app.views.live_view import live_columns

ROOT = Path(__file__).resolve().parents[2]
HZ = 440.0
AMP = 0.5  # −6.02 dBFS peak


@pytest.fixture
def takes_dir(tmp_path, monkeypatch):
    d = tmp_path / "takes"
    monkeypatch.setenv("RESONOTE_TAKES_DIR", str(d))
    return d


@pytest.fixture
def tone(pulse_sink, tmp_path):
    """Play a 440 Hz tone at −6 dBFS into the null sink for up to 12 s."""
    sr = 48000
    t = np.arange(12 * sr) / sr
    x = (AMP * np.sin(2 * np.pi * HZ * t)).astype(np.float32)
    path = tmp_path / "tone.wav"
    sf.write(str(path), np.stack([x, x], 1), sr, subtype="FLOAT")
    player = subprocess.Popen(["paplay", "-d", pulse_sink.sink, "--latency-msec=20", str(path)])
    yield player
    player.kill()
    player.wait()


@pytest.fixture
def panel(qtbot, window, pulse_sink, takes_dir):
    p = window.tool_panels["Record"]
    window.tools.setCurrentWidget(p)
    combo = p.chooser.device_combo
    qtbot.waitUntil(lambda: combo.findData(pulse_sink.device) >= 0, timeout=10000)
    combo.setCurrentIndex(combo.findData(pulse_sink.device))
    yield p
    p.disarm()
    if p.state in ("recording", "paused"):
        p.stop()


def peak_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1: k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(x)


def tone_part(x: np.ndarray, thresh: float = 0.05) -> np.ndarray:
    idx = np.flatnonzero(np.abs(x) > thresh)
    assert len(idx), "no tone in the take"
    return x[idx[0]: idx[-1] + 1]


pytestmark = pytest.mark.audio_device


def test_device_list_is_populated(panel, pulse_sink):
    combo = panel.chooser.device_combo
    names = [combo.itemData(i) for i in range(combo.count())]
    assert pulse_sink.device in names
    assert panel.chooser.devices and all(d.channels > 0 for d in panel.chooser.devices)
    assert panel.record_button.isEnabled() and panel.arm_button.isEnabled()
    assert panel.chooser.channels_combo.count() >= 1
    assert "free" in panel.disk_label.text()


def test_unknown_device_shows_a_clear_error_and_the_app_keeps_working(qtbot, panel, window,
                                                                      pulse_sink, takes_dir):
    combo = panel.chooser.device_combo
    combo.addItem("Ghost USB Mic (ALSA)", "Ghost USB Mic")  # listed, then unplugged
    combo.setCurrentIndex(combo.count() - 1)
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.state == "idle"
    assert panel.error_label.isVisible()
    assert "Ghost USB Mic" in panel.error_label.text()
    assert "not found" in panel.error_label.text()
    assert not takes_dir.exists() or not any(takes_dir.iterdir())
    assert window.model.tracks == []
    # choosing a real input again works
    combo.setCurrentIndex(combo.findData(pulse_sink.device))
    qtbot.mouseClick(panel.arm_button, Qt.MouseButton.LeftButton)
    assert panel.state == "armed" and not panel.error_label.isVisible()


def test_arm_shows_the_tone_level_and_writes_nothing(qtbot, panel, tone, takes_dir):
    qtbot.mouseClick(panel.arm_button, Qt.MouseButton.LeftButton)
    assert panel.state == "armed" and panel.arm_button.isChecked()
    assert panel.meter_timer.isActive()
    qtbot.waitUntil(lambda: panel.meter.peak_db.max() > -8.0, timeout=5000)
    qtbot.wait(700)  # let the 300 ms RMS settle
    meter = panel.meter
    assert meter.peak_db == pytest.approx([-6.02] * meter.channels, abs=1.0)
    assert meter.rms_db == pytest.approx([-9.03] * meter.channels, abs=1.5)  # sine: peak − 3 dB
    assert np.all(meter.hold_db >= meter.peak_db - 0.5)
    assert not meter.clipped.any()
    assert panel.elapsed_label.text() == "0:00:00.0"
    assert not takes_dir.exists() or not list(takes_dir.glob("*.wav"))
    qtbot.mouseClick(panel.arm_button, Qt.MouseButton.LeftButton)
    assert panel.state == "idle" and not panel.meter_timer.isActive()


def test_gain_trim_and_clip_indicator(qtbot, panel, tone):
    panel.gain.setValue(12.0)  # −6 dBFS + 12 dB: over full scale
    assert panel.arm()
    qtbot.waitUntil(lambda: panel.meter.clipped.all(), timeout=5000)
    assert panel.meter.peak_db.max() > 3.0
    panel.gain.setValue(-6.0)
    qtbot.mouseClick(panel.meter, Qt.MouseButton.LeftButton)  # reset the clip lamps
    qtbot.waitUntil(lambda: not panel.meter.clipped.any(), timeout=5000)
    qtbot.waitUntil(lambda: panel.meter.peak_db.max() < -10.0, timeout=5000)


def test_record_stop_adds_a_take_track_at_the_playhead(qtbot, panel, window, tone, takes_dir):
    window.view_state.set_playhead(2.5)
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.state == "recording"
    assert panel.live_dock is not None and panel.live_dock.isVisible()
    qtbot.wait(1500)
    qtbot.waitUntil(lambda: panel.live.envelope_peak(0.5) > 0.4, timeout=5000)
    assert panel.live.peak_frequency_hz() == pytest.approx(HZ, abs=30)  # one FFT bin
    assert panel.dropped_label.text() == "Dropped buffers: 0"
    assert panel.elapsed_label.text() != "0:00:00.0"
    window.grab().save(str(Path(os.environ.get("RESONOTE_SCREENSHOTS", "/tmp"))
                           / "record_panel_recording.png"))
    with qtbot.waitSignal(panel.takeAdded, timeout=20000) as added:
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
        take = panel.recorder.take if panel.recorder else None
    track = added.args[0]
    assert panel.state == "idle"
    assert track.name == "Take 1" and track.kind == "recording"
    assert track.offset_s == pytest.approx(2.5)
    assert track in window.model.tracks
    assert Path(track.source_path).parent == takes_dir
    assert take is None or take.path == Path(track.source_path)
    audio = track.audio
    assert audio.channels == panel.chooser.channels and audio.sr == panel.chooser.sample_rate
    assert 1.3 < audio.duration_s < 3.0
    x = tone_part(audio.samples[0])
    assert len(x) > 1.0 * audio.sr
    assert peak_hz(x, audio.sr) == pytest.approx(HZ, abs=1.0)
    assert np.abs(x).max() == pytest.approx(AMP, abs=0.05)
    wait_idle(qtbot, window)
    # a second take gets the next number
    assert panel.record()
    qtbot.wait(300)
    with qtbot.waitSignal(panel.takeAdded, timeout=20000) as added2:
        panel.stop()
    assert added2.args[0].name == "Take 2"


def test_pause_and_resume_continue_one_take(qtbot, panel, window, tone):
    assert panel.record()
    qtbot.wait(700)
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert panel.state == "paused" and panel.pause_button.text() == "Resume"
    at_pause = panel.recorder.elapsed_s
    qtbot.wait(800)
    assert panel.recorder.elapsed_s == pytest.approx(at_pause, abs=0.05)  # nothing written
    assert panel.meter_timer.isActive()  # still metering
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert panel.state == "recording" and panel.pause_button.text() == "Pause"
    qtbot.wait(700)
    total = panel.recorder.elapsed_s
    assert total > at_pause + 0.3
    with qtbot.waitSignal(panel.takeAdded, timeout=20000) as added:
        panel.stop()
    track = added.args[0]
    assert len(window.model.tracks) == 1
    # the take holds what was recorded before and after the pause, not the pause
    assert track.audio.duration_s == pytest.approx(total, abs=0.2)
    assert track.audio.duration_s < total + 0.5


def test_stop_keeps_the_input_armed_when_arm_was_on(qtbot, panel, tone):
    qtbot.mouseClick(panel.arm_button, Qt.MouseButton.LeftButton)
    assert panel.record()
    qtbot.wait(400)
    with qtbot.waitSignal(panel.takeAdded, timeout=20000):
        panel.stop()
    assert panel.state == "armed" and panel.arm_button.isChecked()


def test_closing_the_window_mid_take_keeps_the_take(qtbot, panel, window, tone, answers):
    assert panel.record()
    qtbot.wait(600)
    answers.queue.append(QMessageBox.StandardButton.No)
    window.close()  # "Stop recording?" → No: the window stays, still recording
    assert window.isVisible() and panel.state == "recording"
    answers.queue.append(QMessageBox.StandardButton.Yes)  # stop and keep
    answers.queue.append(QMessageBox.StandardButton.Discard)  # unsaved changes
    window.close()
    assert any(t.kind == "recording" and t.audio.duration_s > 0.5 for t in window.model.tracks)
    assert panel.state == "idle"
    assert [a[0] for a in answers.asked][:2] == ["Recording", "Recording"]


CHILD = """
import sys, time
from pathlib import Path
from core.record import Recorder
rec = Recorder(device=sys.argv[1], directory=Path(sys.argv[2]))
take = rec.start()
print("STARTED", take.path, flush=True)
time.sleep(60)
"""


def test_orphaned_take_is_offered_and_recovered_as_a_track(qtbot, window, pulse_sink, tone,
                                                           takes_dir, answers):
    from app.recovery_takes import offer_take_recovery

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, pulse_sink.device, str(takes_dir)],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("STARTED"), line
        time.sleep(2.0)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        child.kill()
    path = Path(line.split(maxsplit=1)[1].strip())

    answers.queue.append(QMessageBox.StandardButton.No)
    assert offer_take_recovery(window) == []  # declined: left alone, offered again
    assert window.model.tracks == []
    answers.queue.append(QMessageBox.StandardButton.Yes)
    takes = offer_take_recovery(window)
    assert [t.path for t in takes] == [path]
    assert answers.asked[-1][0] == "Recover recordings" and path.name in answers.asked[-1][1]
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=20000)
    track = window.model.tracks[0]
    assert track.kind == "recording" and track.name == "Take 1 (recovered)"
    assert track.source_path == str(path)
    assert track.audio.duration_s > 1.0
    x = tone_part(track.audio.samples[0])
    assert peak_hz(x, track.audio.sr) == pytest.approx(HZ, abs=2.0)
    n_asked = len(answers.asked)
    assert offer_take_recovery(window) == []  # nothing left to recover, no question
    assert len(answers.asked) == n_asked


# -- the views on their own (no device) ------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 2])
def test_live_columns_match_the_engine_spectrogram(channels):
    from core.analysis import frequency_axis, spectrogram
    from core.analysis.frames import power_window

    sr, n_fft, hop = 48000, 2048, 512
    rng = np.random.default_rng(0)
    t = np.arange(sr // 2) / sr
    x = np.stack([0.3 * np.sin(2 * np.pi * (300 + 200 * c) * t) + 0.01 * rng.standard_normal(t.size)
                  for c in range(channels)]).astype(np.float32)
    axis = frequency_axis(sr, n_fft, scale="log", n_bins=256, fmax=20000.0)
    ours = live_columns(x, axis, power_window("hann", n_fft), n_fft, hop)
    ref = spectrogram(x, sr, n_fft=n_fft, hop_length=hop, scale="log", n_bins=256, fmax=20000.0,
                      center=False, top_db=None, device="cpu")
    assert ours.shape == ref.values.shape
    np.testing.assert_allclose(ours, ref.values, atol=0.05)


def test_level_meter_paints_levels_and_asks_for_a_clip_reset(qtbot):
    meter = LevelMeter(2)
    qtbot.addWidget(meter)
    meter.resize(360, meter.sizeHint().height())
    meter.show()
    meter.set_levels([-6.0, -30.0], [-9.0, -33.0], [-3.0, -20.0], [True, False])
    image = meter.grab().toImage()
    red = image.pixelColor(int(meter.lamp_rect(0).center().x()), int(meter.lamp_rect(0).center().y()))
    off = image.pixelColor(int(meter.lamp_rect(1).center().x()), int(meter.lamp_rect(1).center().y()))
    assert red.red() > 180 and red.green() < 90
    assert off.red() < 120
    # the louder channel's bar reaches further right
    y0, y1 = 8, 8 + 22
    def lit(y):
        return sum(image.pixelColor(x, y).green() > 120 for x in range(image.width()))
    assert lit(y0) > lit(y1) > 0
    with qtbot.waitSignal(meter.clipResetRequested, timeout=1000):
        qtbot.mouseClick(meter, Qt.MouseButton.LeftButton)
    meter.reset()
    assert not meter.clipped.any() and not meter.active


def onsets(x: np.ndarray, sr: int, thresh: float = 0.1, gap_s: float = 0.1) -> list[int]:
    on = np.flatnonzero(np.abs(x) > thresh)
    if not on.size:
        return []
    return [int(on[0])] + [int(b) for a, b in zip(on[:-1], on[1:], strict=True)
                           if b - a > gap_s * sr]


def test_flac_take_with_monitoring_and_live_transcript(qtbot, panel, window, pulse_sink,
                                                       tmp_path, takes_dir):
    """FLAC chosen, monitoring switched on while armed, "Transcribe live" on: a phrase
    played into the input shows as text under the live view while recording, and
    becomes the take track's transcript layer."""
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(speech), "go forward ten meters"],
                   check=True, timeout=20)
    panel.file_format.setCurrentIndex(panel.file_format.findData("flac"))
    panel.transcribe_live.setChecked(True)
    qtbot.mouseClick(panel.arm_button, Qt.MouseButton.LeftButton)
    assert panel.state == "armed"
    panel.monitor_gain.setValue(-20.0)
    panel.monitor.setChecked(True)
    assert panel.recorder.monitor and panel.recorder.playout is not None
    assert panel.recorder.output_problem == ""
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.state == "recording" and panel.live.text.isVisible()
    qtbot.wait(400)
    player = subprocess.Popen(["paplay", "-d", pulse_sink.sink, str(speech)])
    try:
        qtbot.waitUntil(lambda: "forward" in panel.live.text.text().lower(), timeout=15000)
    finally:
        player.wait(timeout=10)
    window.grab().save(str(Path(os.environ.get("RESONOTE_SCREENSHOTS", "/tmp"))
                           / "record_panel_live_text.png"))
    with qtbot.waitSignal(panel.transcriptAdded, timeout=30000) as added:
        panel.monitor.setChecked(False)
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    track = window.model.track(added.args[0])
    assert track.source_path.endswith(".flac") and Path(track.source_path).parent == takes_dir
    layers = [lr for lr in track.layers if lr.kind == "transcript"]
    assert len(layers) == 1 and "forward" in " ".join(
        s["text"] for s in layers[0].data["segments"]).lower()
    assert panel.state == "armed"  # Arm was on: the input stays open


def test_measure_latency_count_in_and_record_over_the_project(qtbot, panel, window, pulse_sink,
                                                              tmp_path):
    """"Measure latency" finds the null sink's round trip; a take recorded over the
    project (after a 2-beat count-in) hears the project's clicks come back and is placed
    so that they land on the project's clicks."""
    sr = 48000
    clicks = np.zeros(6 * sr, np.float32)
    marks = [round(t * sr) for t in (1.5, 2.3, 3.2, 4.0)]
    burst = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(240) / sr)).astype(np.float32)
    for m in marks:
        clicks[m : m + 240] = burst
    path = tmp_path / "clicks.wav"
    sf.write(str(path), np.stack([clicks, clicks], 1), sr, subtype="FLOAT")
    window.open_path(path)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=10000)
    wait_idle(qtbot, window)
    with qtbot.waitSignal(panel.latencyMeasured, timeout=20000) as measured:
        qtbot.mouseClick(panel.measure_button, Qt.MouseButton.LeftButton)
    m = measured.args[0]
    assert 0.005 < m.round_trip_s < 0.5 and "Round trip" in panel.latency_label.text()
    window.view_state.set_playhead(1.0)
    panel.backing.setChecked(True)
    panel.count_in.setValue(2)
    panel.tempo.setValue(240)
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.state_label.text() == "● Count-in"
    qtbot.waitUntil(lambda: window.playback.state == "playing", timeout=5000)
    assert not panel.recorder.counting_in
    qtbot.wait(3600)
    window.grab().save(str(Path(os.environ.get("RESONOTE_SCREENSHOTS", "/tmp"))
                           / "record_panel_over_project.png"))
    with qtbot.waitSignal(panel.takeAdded, timeout=20000) as added:
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    take = added.args[0]
    rate = take.audio.sr  # the input's own rate (the null sink runs at 44.1 kHz)
    got = onsets(take.audio.samples[0], rate)
    assert len(got) >= 3, got
    err_ms = [min(abs(take.offset_s + g / rate - mk / sr) for mk in marks) * 1000 for g in got]
    assert np.median(err_ms) < 12, (take.offset_s, got, err_ms)
    assert 0.9 < take.offset_s < 1.2  # about the playhead: the take started with playback
