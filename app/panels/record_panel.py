"""The Record tool's panel: choose an input, watch its level, record takes into new tracks.

The :class:`core.record.Recorder`'s own threads capture and write the take;
this panel only drives it (arm, record, pause, stop) and polls its meters and
recent audio on a ~30 Hz timer while the input is open.  A finished take is
loaded through the job runner and becomes a ``"recording"`` track at the
playhead.  Failures (no input, device lost, disk full) are shown in the
panel, in plain words, and the rest of the app keeps working.

The extras (:mod:`app.panels.record_extras`): WAV or FLAC takes, monitoring
(switchable any time), a count-in and metronome click, recording over the
project with latency compensation ("Measure latency" and a manual offset),
and live transcription shown under the live view that becomes the take's
transcript layer.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QMessageBox,
)

from app.panels.base import ToolPanel
from app.panels.record_extras import RecordExtrasMixin
from app.panels.record_ui import RecordWidgetsMixin, clock
from core.errors import ResonoteError

#: Meter / live view refresh while the input is open, ms (~30 Hz).
METER_MS = 33
#: Seconds the live views show (the recorder keeps as much for them).
LIVE_WINDOW_S = 10.0
_OPEN = ("armed", "recording", "paused")


class RecordPanel(RecordWidgetsMixin, RecordExtrasMixin, ToolPanel):
    TITLE = "Record"
    SUMMARY = ("Record from a microphone or audio interface into a new track, with level "
               "meters and a live waveform and spectrogram.")
    PLANNED = "Recording will let you pick an input device, see its level, and capture takes as new tracks."
    AVAILABLE = True

    #: The recorder's state, re-sent from its threads to the UI thread.
    recorderState = Signal(str)
    #: A take became a track (the Track).
    takeAdded = Signal(object)
    #: Live transcription text changed: (committed, provisional) — from a worker thread.
    liveTextChanged = Signal(str, str)
    #: A latency measurement finished (core.record.latency.LatencyMeasurement).
    latencyMeasured = Signal(object)
    #: The live transcript became a layer of the take's track (track id).
    transcriptAdded = Signal(str)

    # -- construction ----------------------------------------------------------------------
    def build(self) -> None:
        self.recorder: Any = None
        self._config: tuple | None = None
        self._offset_s = 0.0
        self._finishing = False
        self._keep_armed = False  # the user armed: the input stays open between takes
        self._ticks = 0
        self.live_dock: QDockWidget | None = None
        self.live: Any = None
        self.recorderState.connect(self._on_recorder_state, Qt.ConnectionType.QueuedConnection)
        self.liveTextChanged.connect(self._live_text_changed, Qt.ConnectionType.QueuedConnection)

        self._build_widgets()

        self.meter_timer = QTimer(self)
        self.meter_timer.setInterval(METER_MS)
        self.meter_timer.timeout.connect(self._tick)
        if isinstance(self.host, QObject):
            self.host.installEventFilter(self)
        self._listed = False
        self._update_buttons()

    # -- visibility: the device list is watched only while the panel is on screen -------------
    def showEvent(self, e: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(e)
        if not self._listed:
            self._listed = True
            QTimer.singleShot(0, lambda: self.chooser.refresh(rescan=False))
        self.chooser.timer.start()
        self._update_disk()

    def hideEvent(self, e: QHideEvent) -> None:  # noqa: N802 (Qt API)
        self.chooser.timer.stop()
        super().hideEvent(e)

    def _can_rescan(self) -> bool:
        if self.recorder is not None and self.recorder.state in _OPEN:
            return False
        playback = getattr(self.host, "playback", None)
        if playback is not None and playback.state == "playing":
            return False
        # A job may be using the audio library (a preview, a device query): a rescan
        # re-initialises PortAudio under it.
        runner = getattr(self.host, "runner", None)
        return not (runner is not None and runner.running_jobs())

    # -- state --------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """``"idle"``, ``"armed"``, ``"recording"``, ``"paused"``, ``"stopped"`` or ``"error"``."""
        return "idle" if self.recorder is None else self.recorder.state

    def show_problem(self, message: str) -> None:
        """Show ``message`` in the panel's error box ("" hides it)."""
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    @property
    def problem(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() or \
            self.error_label.text() else ""

    def _device_problem(self, message: str) -> None:
        if message or self.state not in ("error",):
            self.show_problem(message)
        self._update_buttons()

    def _update_buttons(self) -> None:
        st = self.state
        recording = st in ("recording", "paused")
        has_device = self.chooser.device_name is not None
        self.chooser.set_enabled(not recording)
        self.record_button.setEnabled(has_device and not recording)
        self.arm_button.setEnabled(has_device and not recording)
        self.pause_button.setEnabled(recording)
        self.stop_button.setEnabled(st in _OPEN)
        self._update_extras(recording)
        for button, on in ((self.arm_button, self._keep_armed and st in _OPEN),
                           (self.pause_button, st == "paused")):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        self.pause_button.setText("Resume" if st == "paused" else "Pause")
        self.state_label.setText({"idle": "Idle", "armed": "Armed — input open",
                                  "recording": "● Count-in" if self._counting_in() else
                                  "● Recording", "paused": "Paused",
                                  "stopped": "Stopped", "error": "Stopped by a problem"}[st])
        self.state_label.setStyleSheet("color: #ff5a4f; font-weight: 700;"
                                       if st == "recording" else "")

    def _counting_in(self) -> bool:
        return self.recorder is not None and self.recorder.counting_in

    # -- the recorder ---------------------------------------------------------------------------
    def _wanted_config(self) -> tuple:
        return (self.chooser.device_name, self.chooser.sample_rate, self.chooser.channels,
                self.file_format_name)

    def _ensure_recorder(self) -> Any:
        """The recorder for the chosen input and format (made anew when they changed)."""
        from core.record import Recorder, default_takes_dir

        config = self._wanted_config()
        playout = self._needs_output()
        if self.recorder is not None and self._config == config and (
                self.recorder.playout is not None or not playout):
            return self.recorder  # monitoring switched on later opens an output by itself
        keep_armed = self._keep_armed
        self._close_recorder()
        self._keep_armed = keep_armed
        device, sr, channels, fmt = config
        if device is None:
            raise ResonoteError("No audio input is available: connect a microphone or audio "
                                "interface and press ⟳.")
        self.recorder = Recorder(device=device, sr=sr, channels=channels, format=fmt,
                                 gain_db=self.gain.value(), directory=default_takes_dir(),
                                 history_s=LIVE_WINDOW_S, on_state=self.recorderState.emit,
                                 playout=playout, monitor=self.monitor.isChecked(),
                                 monitor_gain_db=self.monitor_gain.value())
        self._config = config
        self.meter.set_channels(channels)
        return self.recorder

    def _close_recorder(self) -> None:
        rec, self.recorder, self._config = self.recorder, None, None
        self._keep_armed = False
        if self._live_text is not None:
            self._live_text.cancel()
            self._live_text = None
        if rec is not None:
            rec.on_state = None
            rec.close()
        self.meter_timer.stop()
        self.meter.reset()

    def _settings_changed(self, *_args) -> None:
        """A different input or format: re-open the input if it was armed."""
        if self.recorder is None or self._config == self._wanted_config():
            return
        was_armed = self.recorder.state == "armed"
        self._close_recorder()
        if was_armed:
            self.arm()
        self._update_buttons()

    def _gain_changed(self, value: float) -> None:
        if self.recorder is not None:
            self.recorder.gain_db = value

    def _reset_clip(self) -> None:
        if self.recorder is not None:
            self.recorder.reset_clip()

    # -- transport ------------------------------------------------------------------------------
    def arm(self) -> bool:
        """Open the input so the meters move (nothing is written).  Returns whether it worked."""
        try:
            rec = self._ensure_recorder()
            rec.arm()
        except ResonoteError as exc:
            self._failed_to_open(exc)
            return False
        self._keep_armed = True
        self.show_problem("")
        self.meter_timer.start()
        self._update_buttons()
        return True

    def disarm(self) -> None:
        """Close the input (when not recording)."""
        self._keep_armed = False
        if self.state in ("recording", "paused"):
            self._update_buttons()
            return
        self._close_recorder()
        self._update_buttons()

    def record(self) -> bool:
        """Start a new take.  Returns whether recording started."""
        if self.state in ("recording", "paused"):
            return False
        try:
            rec = self._ensure_recorder()
            self._offset_s = float(self.host.view_state.playhead)
            take = rec.start(**self._start_kwargs())
        except ResonoteError as exc:
            self._failed_to_open(exc)
            return False
        self.show_problem("")
        self.note_label.setText(f"Recording to {take.path}")
        if rec.output_problem and self._needs_output():
            self.show_problem(f"No sound on the output: {rec.output_problem}")
        self._show_live(rec)
        self._start_live_text(rec)
        self._ticks = 0
        self.meter_timer.start()
        self._start_backing()
        self._update_buttons()
        return True

    def pause(self) -> None:
        if self.recorder is not None:
            self.recorder.pause()
        self._update_buttons()

    def resume(self) -> None:
        if self.recorder is not None:
            self.recorder.resume()
        self._update_buttons()

    def stop(self) -> Any:
        """Stop: finish the take (it is loaded as a new track) or close the armed input.

        Returns the finished :class:`core.record.Take`, or None."""
        rec = self.recorder
        if rec is None:
            return None
        keep_armed = self._keep_armed and rec.state in ("recording", "paused")
        was_recording = rec.state in ("recording", "paused", "error")
        take = rec.stop()
        self._stop_backing()
        self._finish_live_text(take if was_recording else None)
        if keep_armed and rec.state != "error":
            self._tick()
            try:
                rec.arm()
            except ResonoteError as exc:
                self.show_problem(str(exc))
                self._close_recorder()
        else:
            self._close_recorder()
        self._update_buttons()
        if was_recording and take is not None:
            self._take_finished(take)
        return take

    def _arm_toggled(self, on: bool) -> None:
        if on:
            self.arm()
        else:
            self.disarm()
        self._update_buttons()

    def _pause_toggled(self, on: bool) -> None:
        self.pause() if on else self.resume()

    def _failed_to_open(self, exc: Exception) -> None:
        self.show_problem(str(exc))
        if self.recorder is not None and self.recorder.state not in _OPEN:
            self._close_recorder()
        self._update_buttons()

    def _on_recorder_state(self, state: str) -> None:
        """From the recorder's threads: a take stopped by itself (error, duration)."""
        rec = self.recorder
        if rec is None or self._finishing:
            return
        if state == "error" and rec.state == "error":
            message = str(rec.last_error or "Recording stopped because of a problem.")
            self._tick()
            take = rec.take
            self._finish_live_text(take)
            self._close_recorder()
            self._stop_backing()
            self.show_problem(message)
            self._update_buttons()
            if take is not None and take.frames > 0:
                self._take_finished(take)
        elif state == "stopped" and rec.state == "stopped" and rec.take is not None \
                and rec.take.state != "recording":
            take = rec.take
            self._finish_live_text(take)
            self._close_recorder()
            self._stop_backing()
            self._update_buttons()
            self._take_finished(take)
        else:
            self._update_buttons()

    # -- polling -------------------------------------------------------------------------------
    def _tick(self) -> None:
        rec = self.recorder
        if rec is None:
            self.meter_timer.stop()
            return
        m = rec.meters()
        self.meter.set_levels(m.peak_db, m.rms_db, m.peak_hold_db, m.clipped)
        if rec.state not in ("recording", "paused"):
            return
        self._backing_tick(rec)
        if self._ticks % 10 == 0:
            self._update_buttons()  # count-in → recording
        self._ticks += 1
        self.elapsed_label.setText(clock(rec.elapsed_s))
        dropped = rec.overflows
        self.dropped_label.setText(f"⚠ Dropped buffers: {dropped}" if dropped
                                   else "Dropped buffers: 0")
        self.dropped_label.setStyleSheet("color: #ff5a4f; font-weight: 700;" if dropped else "")
        if self.live is not None:
            self.live.feed(round(rec.elapsed_s * rec.sr), rec.latest)
        if self._ticks % 30 == 1:
            self._update_disk()

    def _update_disk(self) -> None:
        from app.panels.record_takes import disk_space_text

        rec = self.recorder
        if rec is not None:
            sr, ch = rec.sr, rec.channels
        else:
            sr, ch = self.chooser.sample_rate, self.chooser.channels
        text, low = disk_space_text(None if rec is None else rec.free_disk_bytes, sr * ch * 4)
        self.disk_label.setText(text)
        self.disk_label.setStyleSheet("color: #ff5a4f;" if low else "")

    # -- live views ------------------------------------------------------------------------------
    def _show_live(self, rec: Any) -> None:
        from app.views.live_view import LiveView

        if self.live_dock is None:
            self.live = LiveView(window_s=LIVE_WINDOW_S)
            dock = QDockWidget("Recording", self.host)
            dock.setObjectName("dock_record_live")
            dock.setWidget(self.live)
            self.host.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock,
                                    Qt.Orientation.Horizontal)
            self.live_dock = dock
        self.live.reset(rec.sr, rec.channels)
        self.live.set_title(f"{rec.device_name} — {rec.sr / 1000:g} kHz, {rec.channels} ch")
        self.live_dock.show()
        self.live_dock.raise_()

    # -- finished takes -------------------------------------------------------------------------
    def _take_finished(self, take: Any) -> None:
        from app.panels.record_takes import load_take_as_track, next_take_number

        if take.frames <= 0:
            self.note_label.setText("Nothing was recorded.")
            return
        name = f"Take {next_take_number(self.host.model)}"
        offset = self._take_offset()
        dropped = f", {take.overflows} dropped buffer(s)" if take.overflows else ""
        summary = f"{name}: {clock(take.duration_s)}{dropped}. Saved as {take.path}"
        self.note_label.setText(f"Loading {summary}")

        def added(track: Any) -> None:
            self.note_label.setText(f"Added {summary}")
            self._live_track_added(track)
            self.takeAdded.emit(track)

        load_take_as_track(self.host, take, name, offset_s=offset, on_added=added,
                           on_error=self.show_problem)

    # -- closing the window while recording -------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if obj is self.host and event.type() == QEvent.Type.Close and self.recorder is not None:
            return self._host_closing(event)
        return False

    def _host_closing(self, event: QCloseEvent) -> bool:
        if self.state in ("recording", "paused"):
            Btn = QMessageBox.StandardButton
            answer = self.host.ask("Recording", "A take is being recorded. Stop recording and "
                                   "keep the take (it is added to the project)?",
                                   Btn.Yes | Btn.No, Btn.Yes)
            if answer != Btn.Yes:
                event.ignore()
                return True
            self._finishing = True
            take = self.recorder.stop()
            self._close_recorder()
            self._finishing = False
            if take is not None and take.frames > 0:
                self._add_take_now(take)
        else:
            self._close_recorder()
        self._update_buttons()
        return False

    def _add_take_now(self, take: Any) -> None:
        from app.panels.record_takes import add_take_now

        add_take_now(self.host, take, offset_s=self._take_offset())
