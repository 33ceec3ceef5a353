"""The Record panel's extras (split from record_panel.py): file format, monitoring,
count-in/metronome, recording over the project with latency compensation, and live
transcription.

Recording over the project plays it through the host's playback controller (its
own output stream).  The take is placed on the timeline from PortAudio's clocks:
the playback position heard when the take's first frame was captured
(``Player.position_s`` and the recorder's ADC time share one clock), minus
the latency the driver does not report (measured with "Measure latency") and
the manual offset.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
)

from core.errors import ResonoteError

#: How long playback must have run before its heard position is trusted (it holds
#: still until the first block reaches the speakers), seconds.
SETTLE_S = 0.4


def _finish_live(live: Any, *, progress: Any = None, cancel: Any = None) -> Any:
    """Job: the last words of a live transcription (Whisper on what is left)."""
    transcript = live.finish()
    if live.error is not None:
        raise ResonoteError(f"Live transcription failed: {live.error}")
    return transcript


def _measure(device: str, sr: int, *, progress: Any = None, cancel: Any = None) -> Any:
    from core.record.latency import measure_latency

    return measure_latency(device=device, sr=sr, progress=progress, cancel=cancel)


class RecordExtrasMixin:
    """Widgets and behaviour added to :class:`app.panels.record_panel.RecordPanel`."""

    # -- widgets ---------------------------------------------------------------------------
    def _build_extras(self, form: QFormLayout) -> None:
        self._latency_m: Any = None
        self._live_text: Any = None
        self._live_pending: dict[str, Any] = {}
        self._backing_wanted = False
        self._backing_on = False
        self._backing_t0 = 0.0
        self._backing_used = False
        self._backing_offset: float | None = None

        self.file_format = QComboBox()
        self.file_format.setObjectName("recordFileFormat")
        self.file_format.addItem("WAV — 32-bit float", "wav")
        self.file_format.addItem("FLAC — 24-bit lossless, smaller", "flac")
        self.file_format.setToolTip("File the take is written to as it is recorded")
        form.addRow("File", self.file_format)

        self.monitor = QCheckBox("Monitor input")
        self.monitor.setObjectName("recordMonitor")
        self.monitor.setToolTip("Hear the input on the output while armed or recording "
                                "(switch it any time; it never affects the take)")
        self.monitor_gain = QDoubleSpinBox()
        self.monitor_gain.setRange(-60.0, 12.0)
        self.monitor_gain.setSuffix(" dB")
        self.monitor_gain.setDecimals(1)
        self.monitor_gain.setToolTip("Monitoring level")
        self.monitor.toggled.connect(self._monitor_toggled)
        self.monitor_gain.valueChanged.connect(lambda _v: self._monitor_toggled(
            self.monitor.isChecked()))
        row = QHBoxLayout()
        row.addWidget(self.monitor, 1)
        row.addWidget(self.monitor_gain)
        form.addRow("Monitor", row)

        self.count_in = QSpinBox()
        self.count_in.setObjectName("recordCountIn")
        self.count_in.setRange(0, 16)
        self.count_in.setSpecialValueText("off")
        self.count_in.setSuffix(" beats")
        self.count_in.setToolTip("Click this many beats before the take starts")
        self.tempo = QDoubleSpinBox()
        self.tempo.setObjectName("recordTempo")
        self.tempo.setRange(30.0, 300.0)
        self.tempo.setDecimals(0)
        self.tempo.setValue(120.0)
        self.tempo.setSuffix(" BPM")
        self.metronome = QCheckBox("Metronome")
        self.metronome.setObjectName("recordMetronome")
        self.metronome.setToolTip("Metronome click on every beat while recording "
                                  "(4 beats to the bar, the first accented)")
        row = QHBoxLayout()
        row.addWidget(self.count_in, 1)
        row.addWidget(self.tempo, 1)
        form.addRow("Count-in", row)
        form.addRow("", self.metronome)

        self.backing = QCheckBox("Play project while recording")
        self.backing.setObjectName("recordBacking")
        self.backing.setToolTip("Start playback at the playhead when the take starts (after "
                                "the count-in); the take is lined up with what you heard")
        form.addRow("", self.backing)
        self.latency = QDoubleSpinBox()
        self.latency.setObjectName("recordLatencyOffset")
        self.latency.setRange(-500.0, 500.0)
        self.latency.setDecimals(1)
        self.latency.setSuffix(" ms")
        self.latency.setToolTip("Manual latency compensation: the take is moved this much "
                                "earlier, on top of what the driver reports and what "
                                "\u201cMeasure\u201d found")
        self.measure_button = QPushButton("Measure latency")
        self.measure_button.setObjectName("recordMeasureLatency")
        self.measure_button.setToolTip("Play test chirps on the output and time their return "
                                       "on the input (connect output to input, or hold the "
                                       "microphone near the speaker)")
        self.measure_button.clicked.connect(self.measure_latency)
        row = QHBoxLayout()
        row.addWidget(self.latency, 1)
        row.addWidget(self.measure_button)
        form.addRow("Latency", row)
        self.latency_label = QLabel("Not measured (the driver\u2019s figures are used)")
        self.latency_label.setObjectName("panelNote")
        self.latency_label.setWordWrap(True)
        form.addRow("", self.latency_label)

        self.transcribe_live = QCheckBox("Transcribe live (speech to text while recording)")
        self.transcribe_live.setObjectName("recordTranscribeLive")
        self.transcribe_live.setToolTip("Whisper tiny.en, on this computer: text appears under "
                                        "the live view a few seconds after it is spoken and "
                                        "becomes the take\u2019s transcript")
        form.addRow("", self.transcribe_live)

    # -- configuration -----------------------------------------------------------------------
    @property
    def file_format_name(self) -> str:
        return str(self.file_format.currentData())

    def _needs_output(self) -> bool:
        return bool(self.monitor.isChecked() or self.count_in.value() or
                    self.metronome.isChecked())

    def _start_kwargs(self) -> dict[str, Any]:
        return {"count_in": self.count_in.value(), "tempo_bpm": self.tempo.value(),
                "metronome": self.metronome.isChecked(), "latency": self._latency_m,
                "offset_s": self.latency.value() / 1000.0}

    def _update_extras(self, recording: bool) -> None:
        for w in (self.file_format, self.count_in, self.tempo, self.metronome, self.backing,
                  self.transcribe_live):
            w.setEnabled(not recording)
        self.measure_button.setEnabled(not recording and self.chooser.device_name is not None
                                       and self.measure_button.text() == "Measure latency")

    def _monitor_toggled(self, on: bool) -> None:
        rec = self.recorder
        if rec is None:
            return
        if not rec.set_monitor(on, gain_db=self.monitor_gain.value()):
            self.show_problem(f"Monitoring is not available: {rec.output_problem}")

    # -- latency ---------------------------------------------------------------------------
    def measure_latency(self) -> Any:
        """Measure the round-trip latency on the chosen input (a job).  Returns the job."""
        device = self.chooser.device_name
        if device is None:
            return None
        self.measure_button.setEnabled(False)
        self.measure_button.setText("Measuring…")
        self.latency_label.setText("Playing test chirps…")

        def done(m: Any) -> None:
            self._latency_m = m
            self.latency_label.setText(f"Round trip {m.round_trip_s * 1000:.1f} ms "
                                       f"({m.extra_s * 1000:+.1f} ms unreported)")
            self.latency_label.setToolTip(
                f"Measured round-trip latency {m.round_trip_s * 1000:.1f} ms, stable within "
                f"{m.spread_s * 1000:.1f} ms. The driver reports {m.reported_s * 1000:.1f} ms; "
                f"takes over the project are placed from its timestamps plus "
                f"{m.extra_s * 1000:+.1f} ms it does not report.")
            self.latencyMeasured.emit(m)
            reset()

        def failed(message: str) -> None:
            self.latency_label.setText("Not measured")
            self.show_problem(message)
            reset()

        def reset() -> None:
            self.measure_button.setText("Measure latency")
            self._update_buttons()

        return self.host.runner.submit("Measure latency", _measure, device,
                                       self.chooser.sample_rate, on_result=done,
                                       on_error=failed, on_cancel=lambda: failed(""))

    # -- the project as a backing track ----------------------------------------------------------
    def _start_backing(self) -> None:
        playback = getattr(self.host, "playback", None)
        self._backing_wanted = bool(self.backing.isChecked() and playback is not None
                                    and playback.available and self.host.model.tracks)
        self._backing_on = self._backing_used = False
        self._backing_offset = None
        if self._backing_wanted and not self.recorder.counting_in:
            self._play_backing()

    def _play_backing(self) -> None:
        self._backing_wanted = False
        self._backing_on = self._backing_used = True
        self._backing_t0 = time.monotonic()
        self.host.playback.play(self._offset_s)

    def _stop_backing(self) -> None:
        self._backing_wanted = False
        if self._backing_on:
            self._backing_on = False
            self.host.playback.pause()

    def _backing_tick(self, rec: Any) -> None:
        """Start the project after the count-in; once it plays, place the take from the clocks."""
        if self._backing_wanted and not rec.counting_in and rec.state == "recording":
            self._play_backing()
        if not self._backing_on or self._backing_offset is not None:
            return
        player = self.host.playback.player
        if player is None or rec.take_start_adc_time is None or not player.playing \
                or time.monotonic() - self._backing_t0 < SETTLE_S:
            return
        heard_now = player.position_s
        _, _, now = rec.input_clock()
        if now <= 0.0:
            return
        heard = heard_now - (now - rec.take_start_adc_time)
        extra = self._latency_m.extra_s if self._latency_m is not None else 0.0
        self._backing_offset = heard - extra - self.latency.value() / 1000.0

    def _take_offset(self) -> float:
        """Where the finished take goes on the timeline, seconds."""
        if self._backing_offset is not None:
            return self._backing_offset
        if self._backing_used:
            rt = self._latency_m.round_trip_s if self._latency_m is not None else 0.0
            return self._offset_s - rt - self.latency.value() / 1000.0
        return self._offset_s

    # -- live transcription ---------------------------------------------------------------
    def _start_live_text(self, rec: Any) -> None:
        from core.record.live_text import LiveText

        self._live_pending = {}
        if not self.transcribe_live.isChecked():
            self._live_text = None
            if self.live is not None:
                self.live.show_text(False)
            return
        self._live_text = LiveText(rec, on_update=self.liveTextChanged.emit)
        self._live_text.start()
        self.live.show_text(True)
        self.live.set_text("", "", note="Loading the speech model…")

    def _live_text_changed(self, committed: str, provisional: str) -> None:
        lt = self._live_text
        if self.live is None:
            return
        if lt is not None and lt.error is not None:
            self.live.set_text("", "", note=f"Live transcription stopped: {lt.error}")
            return
        self.live.set_text(committed, provisional)

    def _finish_live_text(self, take: Any) -> None:
        lt, self._live_text = self._live_text, None
        if lt is None:
            return
        if take is None or take.frames <= 0:
            lt.cancel()
            return
        pending = self._live_pending = {"duration": take.duration_s}

        def got(transcript: Any) -> None:
            pending["transcript"] = transcript
            self._attach_transcript(pending)

        def failed(message: str) -> None:
            self.note_label.setText(message)

        self.host.runner.submit("Transcribe the take (live)", _finish_live, lt, on_result=got,
                                on_error=failed)

    def _live_track_added(self, track: Any) -> None:
        if self._live_pending is not None and "duration" in self._live_pending \
                and "track" not in self._live_pending:
            self._live_pending["track"] = track
            self._attach_transcript(self._live_pending)

    def _attach_transcript(self, pending: dict[str, Any]) -> None:
        transcript, track = pending.get("transcript"), pending.get("track")
        if transcript is None or track is None or pending.get("done"):
            return
        pending["done"] = True
        if not transcript.segments:
            self.note_label.setText(f"No speech was found in \u201c{track.name}\u201d.")
            return
        from core.project import Layer

        data = transcript.to_dict()
        data["range_s"] = [0.0, float(pending["duration"])]
        model = str(transcript.model).split("/")[-1]
        self.host.add_layer_from_job(track.id, Layer(kind="transcript",
                                                     name=f"Transcript (live, {model})",
                                                     data=data))
        self.transcriptAdded.emit(track.id)
