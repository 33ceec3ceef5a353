"""The result part of the Generate panel: candidates, a note sketch, preview, keep, export.

Every generation becomes a *candidate* (the newest on top, up to
:data:`MAX_CANDIDATES`), so a musician can regenerate a few variations, listen
to each, and keep the ones they like.  A preview is not part of the project:
the candidate plays through the transport as a temporary source placed where
it would go, together with the project's tracks (or alone), until it is
stopped, kept or the panel moves on.  "Add as track" adds the rendered audio
as a *generated* track and, for note results, a notes layer on it so the piano
roll shows (and edits) the notes — one undo step.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDrag, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.generate_jobs import NOTE_MODES, GenResult
from app.panels.notes_io import _DragHandle

MAX_CANDIDATES = 8
PREVIEW_KEY = "generate:preview"
PART_COLOURS = {"melody": "#6ec6ff", "soprano": "#6ec6ff", "alto": "#9be37a", "tenor": "#ffd166",
                "bass": "#ff8c69", "continuation": "#c792ea", "prefix": "#7f8c99",
                "drums": "#e0e0e0"}


class NoteSketch(QWidget):
    """A small read-only piano-roll drawing of a candidate (coloured by part), with the
    preview's playhead."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("generateSketch")
        self.setMinimumHeight(110)
        self.result: GenResult | None = None
        self.playhead_s: float | None = None

    def set_result(self, result: GenResult | None) -> None:
        self.result = result
        self.playhead_s = None
        self.update()

    def set_playhead(self, t: float | None) -> None:
        if t != self.playhead_s:
            self.playhead_s = t
            self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#15181c"))
        r = self.result
        if r is None:
            p.setPen(QColor("#8a8f98"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing generated yet")
            return
        dur = max(r.audio.duration_s, 0.1)
        g = r.generation
        if g is None:  # MusicGen: the waveform's envelope
            import numpy as np

            mono = np.abs(r.audio.samples).max(axis=0)
            cols = max(1, w)
            edges = np.linspace(0, mono.size, cols + 1).astype(int)
            peak = max(float(mono.max()), 1e-6)
            p.setPen(QColor("#c792ea"))
            for x in range(cols):
                seg = mono[edges[x]:max(edges[x] + 1, edges[x + 1])]
                v = float(seg.max()) / peak if seg.size else 0.0
                p.drawLine(x, int(h / 2 - v * h * 0.45), x, int(h / 2 + v * h * 0.45))
        else:
            # Bar lines, then the notes of each part.
            num, den = (int(x) for x in g.metre.split("/"))
            bar_s = num * (4 / den) * 60.0 / g.tempo_bpm
            p.setPen(QPen(QColor("#2c323a"), 1))
            t = 0.0
            while t < dur:
                x = int(t / dur * w)
                p.drawLine(x, 0, x, h)
                t += bar_s
            # What it was made from (the melody under a harmony...), faint, for reference.
            ref = []
            if r.request.mode in NOTE_MODES and not r.request.include_source:
                dt = r.request.origin_s - r.offset_s
                ref = [(n.start_s + dt, n.end_s + dt, n.pitch) for n in r.request.notes]
            pitches = [n.pitch for ns in g.parts.values() for n in ns] + [x[2] for x in ref]
            lo, hi = (min(pitches) - 2, max(pitches) + 2) if pitches else (48, 72)
            row = h / max(hi - lo + 1, 12)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(PART_COLOURS["prefix"]))
            for t0, t1, pitch in ref:
                if t1 > 0 and t0 < dur:
                    y = h - (pitch - lo + 1) * row
                    p.drawRect(QRectF(t0 / dur * w, y, max(2.0, (t1 - t0) / dur * w - 1),
                                      max(2.0, row - 1)))
            for name, notes in g.parts.items():
                colour = QColor(PART_COLOURS.get(name, "#6ec6ff"))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                for n in notes:
                    x0 = n.start_s / dur * w
                    x1 = max(x0 + 2, n.end_s / dur * w - 1)
                    y = h - (n.pitch - lo + 1) * row
                    p.drawRect(QRectF(x0, y, x1 - x0, max(2.0, row - 1)))
        if self.playhead_s is not None and 0 <= self.playhead_s <= dur:
            x = int(self.playhead_s / dur * w)
            p.setPen(QPen(QColor("#ffd84f"), 2))
            p.drawLine(x, 0, x, h)


class ResultBox(QGroupBox):
    """Candidates list, sketch and the actions on the chosen candidate.

    Signals
    -------
    added(object)
        A candidate was added to the project (the new Track).
    """

    added = Signal(object)

    def __init__(self, panel: Any, parent: QWidget | None = None) -> None:
        super().__init__("Results", parent)
        self.panel = panel
        self.host = panel.host
        self.setObjectName("generateResults")
        self.previewing: GenResult | None = None
        lay = QVBoxLayout(self)
        lay.setSpacing(6)
        self.candidates = QListWidget()
        self.candidates.setObjectName("generateCandidates")
        self.candidates.setToolTip("Every generation is kept here: pick one to hear, keep or "
                                   "export it")
        self.candidates.currentRowChanged.connect(self._chosen)
        lay.addWidget(self.candidates)
        self.sketch = NoteSketch()
        lay.addWidget(self.sketch)
        self.info = QLabel()
        self.info.setObjectName("generateResultInfo")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.info)
        row = QHBoxLayout()
        self.preview_button = QPushButton("▶ Preview")
        self.preview_button.setObjectName("generatePreview")
        self.preview_button.setToolTip("Hear this candidate where it would go, before adding it")
        self.preview_button.clicked.connect(self.toggle_preview)
        self.with_project = QCheckBox("with the project")
        self.with_project.setChecked(True)
        self.with_project.setToolTip("Hear the candidate together with the project's tracks "
                                     "(untick to hear it alone)")
        self.with_project.toggled.connect(lambda _on: self._reapply_preview())
        self.add_button = QPushButton("Add as track")
        self.add_button.setObjectName("generateAdd")
        self.add_button.setToolTip("Add the audio as a new track, with its notes in the piano "
                                   "roll (undo with Ctrl+Z)")
        self.add_button.clicked.connect(self.add_current)
        row.addWidget(self.preview_button)
        row.addWidget(self.with_project)
        row.addStretch(1)
        row.addWidget(self.add_button)
        lay.addLayout(row)
        row2 = QHBoxLayout()
        self.midi_button = QPushButton("Export MIDI…")
        self.midi_button.setToolTip("Save the notes as a Standard MIDI file (one track per part)")
        self.midi_button.clicked.connect(self.export_midi_dialog)
        self.audio_button = QPushButton("Export audio…")
        self.audio_button.setToolTip("Save the rendered audio as a WAV or FLAC file")
        self.audio_button.clicked.connect(self.export_audio_dialog)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget all candidates (tracks already added stay)")
        self.clear_button.clicked.connect(self.clear)
        self.drag_handle = _DragHandle("⠿ Drag MIDI")
        self.drag_handle.setObjectName("generateDragHandle")  # not the notes section's name
        self.drag_handle.setStyleSheet("QLabel { border: 1px dashed #6b717c; border-radius: 4px;"
                                       " padding: 4px 8px; } QLabel:disabled { color: #6b717c; }")
        self.drag_handle.setToolTip("Drag the notes out of Resonote as a MIDI file "
                                    "(into a DAW or a folder)")
        self.drag_handle.dragStarted.connect(self.start_drag)
        self._drag_dir: Any = None
        row2.addWidget(self.midi_button)
        row2.addWidget(self.audio_button)
        row2.addWidget(self.drag_handle)
        row2.addStretch(1)
        row2.addWidget(self.clear_button)
        lay.addLayout(row2)
        self._reapply = QTimer(self, singleShot=True, interval=0)
        self._reapply.timeout.connect(self._apply_sources)
        self.host.model.changed.connect(self._project_changed)
        self.host.view_state.playheadChanged.connect(self._playhead)
        self._watching: Any = None  # the transport whose stateChanged we listen to
        self.results: list[GenResult] = []
        self._update()

    # -- candidates ------------------------------------------------------------------------------
    def add_result(self, result: GenResult) -> None:
        """Put a new candidate on top and choose it."""
        self.stop_preview()
        self.results.insert(0, result)
        del self.results[MAX_CANDIDATES:]
        self.candidates.blockSignals(True)
        self.candidates.clear()
        for r in self.results:
            item = QListWidgetItem(r.label)
            item.setToolTip(r.describe())
            self.candidates.addItem(item)
        self.candidates.blockSignals(False)
        rows = min(len(self.results), 4)
        self.candidates.setFixedHeight(rows * self.candidates.sizeHintForRow(0)
                                       + 2 * self.candidates.frameWidth() + 2)
        self.candidates.setCurrentRow(0)
        self._chosen(0)
        self.show()

    def current(self) -> GenResult | None:
        i = self.candidates.currentRow()
        return self.results[i] if 0 <= i < len(self.results) else None

    def _chosen(self, _row: int) -> None:
        was_playing = self.previewing is not None
        self.stop_preview()
        r = self.current()
        self.sketch.set_result(r)
        self.info.setText(r.describe() if r is not None else "")
        self._update()
        if was_playing and r is not None:
            self.start_preview()

    def clear(self) -> None:
        self.stop_preview()
        self.results = []
        self.candidates.clear()
        self.sketch.set_result(None)
        self.info.setText("")
        self._update()

    def _update(self) -> None:
        r = self.current()
        for b in (self.preview_button, self.add_button, self.audio_button, self.clear_button):
            b.setEnabled(r is not None)
        self.midi_button.setEnabled(r is not None and r.generation is not None)
        self.drag_handle.setEnabled(r is not None and r.generation is not None)
        self.preview_button.setText("■ Stop" if self.previewing is not None else "▶ Preview")
        self.setVisible(bool(self.results))

    # -- preview ---------------------------------------------------------------------------------
    def toggle_preview(self) -> None:
        if self.previewing is not None:
            self.stop_preview()
        else:
            self.start_preview()

    def start_preview(self) -> bool:
        """Play the chosen candidate through the transport; False when there is no output."""
        r = self.current()
        pb = self.host.playback
        if r is None or pb is None:
            return False
        if not pb.available:
            self.panel.say("The result is ready, but there is no audio output to play it. "
                           "Add it as a track or export it.", error=True)
            return False
        if self._watching is not pb and hasattr(pb, "stateChanged"):
            # The window makes its transport after the panels: connect on first use.
            pb.stateChanged.connect(self._transport_state)
            self._watching = pb
        self.previewing = r
        self._apply_sources()
        pb.play(r.offset_s)
        self._update()
        return True

    def preview_sources(self) -> list:
        """What the transport plays during a preview: the candidate (and the project)."""
        from core.playback import PlaySource

        r = self.previewing
        if r is None:
            return []
        out = [PlaySource(PREVIEW_KEY, r.audio, offset_s=max(0.0, r.offset_s))]
        if self.with_project.isChecked():
            out += [PlaySource(t.id, t.audio, gain_db=t.gain_db, mute=t.mute, solo=t.solo,
                               offset_s=t.offset_s) for t in self.host.model.tracks]
        return out

    def _apply_sources(self) -> None:
        pb = self.host.playback
        if pb is not None and self.previewing is not None:
            pb.set_ab(None)
            pb.set_sources(self.preview_sources())

    def _reapply_preview(self) -> None:
        if self.previewing is not None:
            self._apply_sources()

    def stop_preview(self) -> None:
        """End the preview and give the transport back to the project's tracks."""
        if self.previewing is None:
            return
        self.previewing = None
        self._reapply.stop()
        self.sketch.set_playhead(None)
        pb = self.host.playback
        if pb is not None:
            pb.stop()
            from core.playback import PlaySource

            pb.set_sources([PlaySource(t.id, t.audio, gain_db=t.gain_db, mute=t.mute,
                                       solo=t.solo, offset_s=t.offset_s)
                            for t in self.host.model.tracks])
        self._update()

    def _project_changed(self) -> None:
        # The window re-syncs the transport with the tracks on every change: put the
        # preview back once it has (after the window's own slot ran).
        if self.previewing is not None:
            self._reapply.start()

    def _transport_state(self, state: str) -> None:
        # Stopped with the transport's own Stop, or played to the end: the preview is over
        # (the current state is checked: a queued "stopped" may predate the preview's start).
        pb = self.host.playback
        if self.previewing is not None and state in ("stopped", "finished") \
                and getattr(pb, "state", "stopped") != "playing":
            self.stop_preview()

    def _playhead(self, t: float) -> None:
        r = self.previewing
        if r is not None:
            self.sketch.set_playhead(t - r.offset_s)

    # -- keeping ---------------------------------------------------------------------------------
    def add_current(self) -> Any:
        """Add the chosen candidate as a generated track (+ notes layer); returns the Track."""
        r = self.current()
        if r is None:
            return None
        self.stop_preview()
        return self.add(r)

    def add(self, r: GenResult) -> Any:
        host = self.host
        name = r.label if r.request.mode == "musicgen" else self._track_name(r)
        host.undo_stack.beginMacro(f"Add generated “{name}”")
        try:
            track = host.add_track_from_job(r.audio, name, kind="generated",
                                            offset_s=max(0.0, r.offset_s))
            if r.generation is not None:
                from app.panels.notes_layer import make_layer

                g = r.generation
                analysis: dict = {"tempo_bpm": round(float(g.tempo_bpm), 2), "metre": g.metre}
                if g.key is not None:
                    analysis["key"] = {"tonic": g.key.tonic, "mode": g.key.mode,
                                       "confidence": 1.0}
                host.add_layer_from_job(track.id, make_layer(g.to_notetrack(), f"{name} notes",
                                                             analysis=analysis))
        finally:
            host.undo_stack.endMacro()
        self._show_roll(track)
        self.panel.say(f"Added “{name}” as a track at {r.offset_s:.2f} s"
                       + (" with its notes (see the piano roll)." if r.generation else "."))
        self.added.emit(track)
        return track

    @staticmethod
    def _track_name(r: GenResult) -> str:
        base = r.label.split(" · ")[0]
        if r.request.mode in NOTE_MODES and r.request.source_name:
            return f"{base} for {r.request.source_name} (seed {r.request.seed})"
        key = f" in {r.key.tonic} {r.key.mode}" if r.key is not None else ""
        return f"{base}{key} (seed {r.request.seed})"

    def _show_roll(self, track: Any) -> None:
        transcribe = getattr(self.host, "tool_panels", {}).get("Transcribe")
        notes = getattr(transcribe, "notes", None)
        if notes is not None and hasattr(notes, "show_roll") and track.layers:
            try:
                notes.show_roll()
            except Exception:  # the roll is a convenience; adding the track already worked
                pass

    # -- export ----------------------------------------------------------------------------------
    def export_midi(self, path: str) -> Any:
        r = self.current()
        if r is None or r.generation is None:
            return None
        return self.host.runner.submit(
            "Export MIDI", _write_midi, r.generation, path, options={"path": path},
            on_result=lambda p: self.panel.say(f"Wrote {p}."),
            on_error=lambda m: self.panel.say(f"Could not write the MIDI file: {m}", error=True))

    def export_midi_dialog(self) -> None:
        r = self.current()
        if r is None or r.generation is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export MIDI", f"{self._track_name(r)}.mid",
                                              "MIDI files (*.mid *.midi)")
        if path:
            if not path.lower().endswith((".mid", ".midi")):
                path += ".mid"
            self.export_midi(path)

    def export_audio_dialog(self) -> None:
        r = self.current()
        if r is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export audio", f"{r.label}.wav".replace(":", ""),
                                              "Audio (*.wav *.flac)")
        if path:
            if not path.lower().endswith((".wav", ".flac")):
                path += ".wav"
            self.host.export_audio(r.audio, path)


    def midi_mime_data(self) -> QMimeData | None:
        """The chosen candidate as a MIDI file to drop into a DAW or a folder (None: no notes)."""
        r = self.current()
        if r is None or r.generation is None:
            return None
        import tempfile
        from pathlib import Path

        if self._drag_dir is None:
            self._drag_dir = tempfile.TemporaryDirectory(prefix="resonote-generate-")
        safe = "".join(c if c.isalnum() or c in " -_()" else "_" for c in self._track_name(r))
        path = r.generation.write_midi(Path(self._drag_dir.name) / f"{safe.strip()}.mid")
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        return mime

    def start_drag(self) -> None:
        mime = self.midi_mime_data()
        if mime is None:
            return
        drag = QDrag(self.drag_handle)
        drag.setMimeData(mime)
        drag.setPixmap(self.drag_handle.grab())
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)


def _write_midi(generation: Any, path: str, *, progress=None, cancel=None) -> str:
    return str(generation.write_midi(path))
