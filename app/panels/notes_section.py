"""The notes part of the Transcribe panel: audio to notes, live thresholds, play, export.

Transcribing a track (or the selection) runs Basic Pitch in a job and stores a
notes layer on the track (:mod:`app.panels.notes_layer`).  The layer is shown in
the piano-roll pane (:mod:`app.views.piano_roll`, editable) and over the
spectrogram (:mod:`app.views.notes_overlay`).  The threshold sliders re-extract
notes from the stored model outputs, without running the model again.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget

from app.panels.notes_io import NotesIO
from app.panels.notes_jobs import hz as _hz
from app.panels.notes_jobs import reextract_job, transcribe_job
from app.panels.notes_layer import NotesLayerView, make_layer, notes_layer
from app.panels.notes_section_ui import PIANO_HI, PIANO_LO, build_ui
from app.undo import ReplaceLayerCommand
from core.notes.types import ExtractParams

#: Re-extraction of more posterior frames than this runs in a job (~50 ms of work).
SYNC_FRAMES = 86 * 45
DEBOUNCE_MS = 60


class NotesSection(QWidget):
    """Controls for notes transcription; ``panel`` is the owning TranscribePanel."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.host = panel.host
        self._track = None
        self._layer = None
        self._shown_key: tuple | None = None
        self._job = None
        self._extract_job = None
        self._extract_again = False
        self._build_ui()
        self._make_views()
        self.io = NotesIO(self)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_thresholds)
        host = self.host
        host.currentTrackChanged.connect(lambda _tid: self.refresh())
        host.model.layersChanged.connect(self._layers_changed)
        host.model.projectReset.connect(self.refresh)
        host.model.trackChanged.connect(self._track_changed)
        host.runner.jobChanged.connect(self._job_changed)
        self.refresh()

    # -- construction ---------------------------------------------------------------
    def _build_ui(self) -> None:
        build_ui(self)

    def _make_views(self) -> None:
        from app.views.piano_roll import make_dock

        host = self.host
        self.roll_dock, self.roll = make_dock(host.view_state, host)
        host.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.roll_dock)
        aligner = getattr(host, "time_aligner", None)
        if aligner is not None:
            aligner.add(self.roll, self.roll_dock)
        self.roll_dock.hide()
        self._roll_placed = False
        self.roll.editRequested.connect(self.apply_edit)
        self.overlay = None
        if hasattr(host.spectrogram, "freq_map"):
            from app.views.notes_overlay import NotesOverlay

            self.overlay = NotesOverlay(host.spectrogram, self)
            self.roll.selectionChanged.connect(
                lambda: self.overlay.set_selected(self.roll.selected_indices()))

    # -- state ---------------------------------------------------------------------------
    def layer_view(self) -> NotesLayerView | None:
        if self._track is None or self._layer is None:
            return None
        return NotesLayerView(self._track, self._layer)

    @property
    def layer(self):
        return self._layer

    def _layers_changed(self, track_id: str) -> None:
        if self._track is not None and track_id == self._track.id:
            self.refresh()

    def _track_changed(self, track_id: str, field: str) -> None:
        if self._track is not None and track_id == self._track.id and field == "offset_s":
            self.refresh()

    def refresh(self) -> None:
        """Follow the current track and its newest notes layer."""
        track = self.host.current_track()
        layer = notes_layer(track)
        self._track, self._layer = track, layer
        view = self.layer_view()
        notes = view.absolute_notes() if view else []
        key = (track.id if track else None, layer.name if layer else None)
        self.roll.set_notes(notes, fit=key != self._shown_key and bool(notes))
        self._shown_key = key
        if self.overlay is not None:
            self.overlay.set_notes(notes if self.overlay_check.isChecked() else [],
                                   self.roll.selected_indices())
        has_post = view is not None and view.posteriors() is not None
        if view is not None:
            self._show_params(view.note_track().params)
        self.thresholds_box.setEnabled(has_post)
        for w in (self.play_button, self.export_button, self.drag_handle):
            w.setEnabled(bool(notes))
        self.transcribe_button.setEnabled(track is not None and self._job is None)
        self.pitch_button.setEnabled(track is not None)
        self._show_readout(view, len(notes))
        self._show_pitch()

    def _show_readout(self, view: NotesLayerView | None, n_notes: int) -> None:
        if self._track is None:
            self.readout.setText("<i>Open or select a track to transcribe.</i>")
            return
        if view is None:
            self.readout.setText(f"No notes for “{self._track.name}” yet.")
            return
        parts = [f"<b>{n_notes}</b> note{'s' if n_notes != 1 else ''}"]
        a = view.analysis
        if a.get("key"):
            parts.append(f"Key <b>{a['key']['tonic']} {a['key']['mode']}</b>")
        if a.get("tempo_bpm"):
            parts.append(f"<b>{a['tempo_bpm']:.0f}</b> BPM")
        text = " · ".join(parts)
        labels = [c["label"] for c in a.get("chords", []) if c["label"] != "N"]
        if labels:
            seq = [lb for i, lb in enumerate(labels) if i == 0 or lb != labels[i - 1]]
            more = " …" if len(seq) > 12 else ""
            text += "<br>Chords: " + " – ".join(seq[:12]) + more
        self.readout.setText(text)

    # -- transcription -------------------------------------------------------------------
    def _segment(self):
        """(audio, start_s in the track) to transcribe, or a message saying why not."""
        from core.audio import Audio

        track = self.host.current_track()
        if track is None:
            return "Open a track first."
        audio = track.audio
        if self.source_combo.currentIndex() == 0:
            return audio, 0.0
        sel = self.host.selection_s()
        if sel is None:
            return "Select a time range first (drag on a track), or choose Whole track."
        a = max(0, int(round((sel[0] - track.offset_s) * audio.sr)))
        b = min(audio.frames, int(round((sel[1] - track.offset_s) * audio.sr)))
        if b - a < int(0.1 * audio.sr):
            return "The selection does not cover enough of this track's audio."
        return Audio(audio.samples[:, a:b], audio.sr), a / audio.sr

    def current_params(self) -> dict:
        lo, hi = self.low.value(), self.high.value()
        return {"onset_threshold": self.onset.value() / 100,
                "frame_threshold": self.frame.value() / 100,
                "min_note_ms": float(self.min_len.value()),
                "min_freq": None if lo <= PIANO_LO else round(_hz(lo - 0.5), 3),
                "max_freq": None if hi >= PIANO_HI else round(_hz(hi + 0.5), 3)}

    def transcribe(self) -> None:
        seg = self._segment()
        if isinstance(seg, str):
            self.status.setText(seg)
            return
        audio, start_s = seg
        track = self.host.current_track()
        params = self.current_params()
        if params["min_freq"] and params["max_freq"] and params["min_freq"] >= params["max_freq"]:
            params["min_freq"] = params["max_freq"] = None
        self.status.setText("Transcribing…")
        self.progress.setValue(0)
        self.progress.show()
        self.transcribe_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        name = "Notes" if start_s == 0 and audio.frames == track.audio.frames else \
            f"Notes {start_s:.1f}–{start_s + audio.duration_s:.1f} s"
        self._job = self.host.submit_job(
            f"Transcribe notes of {track.name}", transcribe_job, audio,
            analyse=self.analyse_check.isChecked(), params=params,
            on_result=lambda r, tid=track.id, s=start_s, n=name: self._transcribed(tid, s, n, r),
            on_error=self._job_failed)
        self.host.runner.jobDone.connect(self._job_done)

    def cancel(self) -> None:
        if self._job is not None:
            self.host.runner.cancel(self._job.id)

    def _job_changed(self, job) -> None:
        if self._job is not None and job is self._job:
            self.progress.setValue(int(100 * (job.fraction or 0.0)))

    def _job_done(self, job) -> None:
        if self._job is None or job is not self._job:
            return
        self.host.runner.jobDone.disconnect(self._job_done)
        self._job = None
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.transcribe_button.setEnabled(self.host.current_track() is not None)
        if job.status.name == "CANCELLED":
            self.status.setText("Transcription cancelled.")

    def _job_failed(self, message: str) -> None:
        self.status.setText(f"Transcription failed: {message}")
        self.host.show_error("Transcribe notes", message)

    def _transcribed(self, track_id: str, start_s: float, name: str, result) -> None:
        note_track, analysis = result
        try:
            self.host.model.track(track_id)
        except KeyError:
            return  # the track went away meanwhile
        self.host.add_layer_from_job(track_id, make_layer(note_track, name, start_s=start_s,
                                                          analysis=analysis))
        n = len(note_track)
        self.status.setText(f"Found {n} note{'s' if n != 1 else ''}.")
        if getattr(self.host, "current_track", lambda: None)() is not None \
                and self.host.current_track().id == track_id:
            self.show_roll()

    # -- live thresholds -------------------------------------------------------------------
    def _show_params(self, p: ExtractParams) -> None:
        self.onset.set_value(round(p.onset_threshold * 100))
        self.frame.set_value(round(p.frame_threshold * 100))
        self.min_len.set_value(round(p.min_note_ms))
        lo = PIANO_LO if p.min_freq is None else \
            max(PIANO_LO, math.ceil(69 + 12 * math.log2(p.min_freq / 440.0)))
        hi = PIANO_HI if p.max_freq is None else \
            min(PIANO_HI, math.floor(69 + 12 * math.log2(p.max_freq / 440.0)))
        self.low.set_value(lo)
        self.high.set_value(hi)

    def _threshold_moved(self, _v: int) -> None:
        if self.low.value() > self.high.value() - 1:
            sender = self.sender()
            if sender is self.low.slider:
                self.high.set_value(min(PIANO_HI, self.low.value() + 1))
            else:
                self.low.set_value(max(PIANO_LO, self.high.value() - 1))
        self._debounce.start()

    def reset_thresholds(self) -> None:
        self._show_params(ExtractParams())
        self.apply_thresholds()

    def apply_thresholds(self) -> None:
        """Re-extract the notes with the sliders' settings (no model call)."""
        view = self.layer_view()
        if view is None or view.posteriors() is None:
            return
        params = self.current_params()
        old = view.note_track()
        if all(getattr(old.params, k) == v for k, v in params.items()):
            return
        if self._extract_job is not None:
            self._extract_again = True
            return
        if old.posteriors.n_frames <= SYNC_FRAMES:
            self._extracted(view.track.id, view.layer, reextract_job(old, params))
            return
        self._extract_job = self.host.submit_job(
            "Update notes", reextract_job, old, params,
            on_result=lambda nt, tid=view.track.id, lay=view.layer: self._extracted(tid, lay, nt),
            on_error=lambda m: self.status.setText(m))
        self.host.runner.jobDone.connect(self._extract_done)

    def _extract_done(self, job) -> None:
        if job is not self._extract_job:
            return
        self.host.runner.jobDone.disconnect(self._extract_done)
        self._extract_job = None
        if self._extract_again:
            self._extract_again = False
            self.apply_thresholds()

    def _extracted(self, track_id: str, layer, note_track) -> None:
        if layer is not self._layer:
            return  # the layer changed meanwhile (undo, another track)
        view = NotesLayerView(self._track, layer)
        new = view.with_notes(note_track.notes)
        new.data["params"] = note_track.params.to_dict()
        self.host.undo_stack.push(ReplaceLayerCommand(self.host.model, track_id, layer, new,
                                                      "Change note thresholds", merge=True))

    # -- edits from the piano roll -----------------------------------------------------------
    def apply_edit(self, notes: list, text: str) -> None:
        """Store edited notes (project time) in the layer, as one undo step."""
        from app.panels.notes_layer import shift_notes

        view = self.layer_view()
        if view is None:
            return
        new = view.with_notes(shift_notes(notes, -view.base_s))
        self.host.undo_stack.push(ReplaceLayerCommand(self.host.model, view.track.id,
                                                      view.layer, new, text))

    # -- views -------------------------------------------------------------------------------
    def show_roll(self) -> None:
        """Show the piano-roll pane; the first time, under the spectrogram, both tall enough."""
        dock, host = self.roll_dock, self.host
        spec = None
        if not self._roll_placed and not dock.isFloating() and dock.isHidden():
            spec = getattr(host, "docks", {}).get("spectrogram")
            if spec is not None and spec.isVisible() and not spec.isFloating():
                host.splitDockWidget(spec, dock, Qt.Orientation.Vertical)
            else:
                spec = None
        self._roll_placed = True
        dock.show()
        dock.raise_()
        if spec is not None:
            h = max(200, int(host.height() * 0.3))
            host.resizeDocks([spec, dock], [h, h], Qt.Orientation.Vertical)

    def _overlay_toggled(self, on: bool) -> None:
        if self.overlay is not None:
            self.refresh()

    def _show_pitch(self) -> None:
        if self.overlay is None:
            return
        layer = self.io.pitch_layer()
        if layer is None or not self.pitch_check.isChecked():
            self.overlay.set_pitch_curve(None, None)
            return
        base = float(layer.data.get("start_s", 0.0)) + float(self._track.offset_s)
        self.overlay.set_pitch_curve(layer.arrays["times_s"] + base, layer.arrays["f0_hz"])
