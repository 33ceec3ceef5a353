"""Getting notes out of the notes section: play (SoundFont), export, drag out, pitch curve.

Times: notes leave in *track* time (the layer's own start added), so a MIDI
file dropped into a DAW at the track's start lines up with the audio, and the
rendered notes become a track placed like the original.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QHBoxLayout, QLabel, QSlider, QWidget

from app.panels.notes_layer import shift_notes
from core.project import Layer

EXPORT_FILTERS = {"MIDI file (*.mid)": ".mid", "MusicXML score (*.musicxml)": ".musicxml",
                  "CSV note list (*.csv)": ".csv"}


def render_job(notes, *, sr: int, program: int, progress=None, cancel=None):
    from core.notes import render_notes

    return render_notes(notes, sr=sr, program=program)


def export_job(notes, path: str, *, analysis: dict, progress=None, cancel=None):
    from core.notes import Key, export

    key = analysis.get("key")
    return export(notes, path, tempo_bpm=float(analysis.get("tempo_bpm") or 120.0),
                  beat_times=analysis.get("beats_s") or None,
                  key=Key(key["tonic"], key["mode"], key["confidence"]) if key else None)


def pitch_job(audio, *, method: str, progress=None, cancel=None):
    from core.notes import pitch_track

    return pitch_track(audio, method=method, progress=progress, cancel=cancel)


class _DragHandle(QLabel):
    """A grip the user drags out of the window to drop a MIDI file into a DAW."""

    dragStarted = Signal()

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("notesDragHandle")
        self.setToolTip("Drag the notes out of Resonote as a MIDI file (into a DAW or a folder)")
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setStyleSheet("QLabel#notesDragHandle { border: 1px dashed #6b717c; "
                           "border-radius: 4px; padding: 4px 8px; }"
                           "QLabel#notesDragHandle:disabled { color: #6b717c; }")
        self._start: QPoint | None = None

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if e.button() == Qt.MouseButton.LeftButton:
            self._start = e.position().toPoint()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self._start is not None and (e.position().toPoint() - self._start).manhattanLength() \
                >= QApplication.startDragDistance():
            self._start = None
            self.dragStarted.emit()

    def mouseReleaseEvent(self, _e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        self._start = None


class NotesIO:
    """Play / export / drag / pitch-curve actions of a :class:`NotesSection`."""

    def __init__(self, section) -> None:
        self.s = section
        self.host = section.host
        self._drag_dir: tempfile.TemporaryDirectory | None = None
        self._rendered: tuple[Any, str] | None = None  # (layer, track id) last rendered
        section.play_button.clicked.connect(self.play_notes)
        section.hear_group.idClicked.connect(lambda _i: self.apply_hear())
        section.export_button.clicked.connect(self.export_dialog)
        section.drag_handle.dragStarted.connect(self.start_drag)
        section.pitch_button.clicked.connect(self.find_pitch)

    # -- notes in track time --------------------------------------------------------------
    def track_notes(self) -> list:
        view = self.s.layer_view()
        if view is None:
            return []
        return shift_notes(view.note_track().notes, view.start_s)

    def _analysis(self) -> dict:
        view = self.s.layer_view()
        if view is None:
            return {}
        a = view.analysis
        if a.get("beats_s"):
            a["beats_s"] = [b + view.start_s for b in a["beats_s"]]
        return a

    # -- playback ---------------------------------------------------------------------------
    def rendered_track(self):
        """The track holding the notes rendered for the current layer, if still there."""
        if self._rendered is None or self._rendered[0] is not self.s.layer:
            return None
        try:
            return self.host.model.track(self._rendered[1])
        except KeyError:
            return None

    def play_notes(self) -> None:
        """Render the notes (once per version of the layer) and play them."""
        if self.rendered_track() is not None:
            self.apply_hear(play=True)
            return
        track, layer = self.s._track, self.s.layer
        notes = self.track_notes()
        if track is None or not notes:
            return
        program = int(self.s.instrument.currentData())
        self.s.status.setText("Rendering the notes…")
        self.host.submit_job(f"Render notes of {track.name}", render_job, notes,
                             sr=int(track.audio.sr), program=program,
                             on_result=lambda audio, t=track, lay=layer: self._rendered_ready(
                                 t, lay, audio))

    def _rendered_ready(self, track, layer, audio) -> None:
        try:
            self.host.model.track(track.id)
        except KeyError:
            return
        name = f"{track.name} · notes"
        old = [t for t in self.host.model.project.derived_from(track.id)
               if t.kind == "generated" and t.name == name]
        stack = self.host.undo_stack
        stack.beginMacro(f"Render notes of “{track.name}”")
        for t in old:
            self.host.remove_track(t.id)
        new = self.host.add_track_from_job(audio, name, kind="generated", source_id=track.id)
        stack.endMacro()
        if hasattr(self.host, "set_current_track"):
            self.host.set_current_track(track.id)  # keep the notes' track in the views
        self._rendered = (layer, new.id)
        self.s.status.setText(f"The notes are on the track “{name}” (its A/B button compares "
                              "them with the original).")
        self.apply_hear(play=True)

    def apply_hear(self, *, play: bool = False) -> None:
        """Route playback as the Hear buttons say: notes alone, original alone, or both."""
        pb = getattr(self.host, "playback", None)
        rendered = self.rendered_track()
        if pb is None or rendered is None:
            return
        mode = self.s.hear_group.checkedId()
        if mode == 2:
            pb.set_ab(None)
        else:
            pb.set_ab(rendered.id, rendered.source_id, active="a" if mode == 0 else "b")
        if play:
            if not pb.available:
                self.s.status.setText(f"No audio output: {pb.unavailable_reason}")
                return
            sel = self.host.selection_s()
            pb.play(sel[0] if sel else None)

    # -- export ------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        track = self.s._track
        if track is None or not self.track_notes():
            return
        start = str(Path(getattr(self.host.settings, "last_folder", "") or Path.home())
                    / f"{track.name}.mid")
        path, chosen = QFileDialog.getSaveFileName(self.s, "Export notes", start,
                                                   ";;".join(EXPORT_FILTERS))
        if not path:
            return
        p = Path(path)
        if p.suffix.lower() not in (".mid", ".midi", ".musicxml", ".xml", ".mxl", ".csv"):
            p = p.with_suffix(EXPORT_FILTERS.get(chosen, ".mid"))
        self.export_to(p)

    def export_to(self, path: Path) -> Any:
        """Write the notes to ``path`` (format from its extension) in a job."""
        path = Path(path)
        return self.host.submit_job(
            f"Export {path.name}", export_job, self.track_notes(), str(path),
            analysis=self._analysis(),
            on_result=lambda _r, p=path: self.s.status.setText(f"Exported {p}"))

    # -- drag out -------------------------------------------------------------------------------
    def midi_mime_data(self) -> QMimeData | None:
        """Mime data with the URL of a temporary .mid holding the notes (None: no notes)."""
        from core.notes import write_midi

        notes, track = self.track_notes(), self.s._track
        if not notes or track is None:
            return None
        if self._drag_dir is None:
            self._drag_dir = tempfile.TemporaryDirectory(prefix="resonote-notes-")
        safe = "".join(ch if ch.isalnum() or ch in " -_()" else "_" for ch in track.name).strip()
        path = Path(self._drag_dir.name) / f"{safe or 'notes'}.mid"
        a = self._analysis()
        write_midi(notes, path, tempo_bpm=float(a.get("tempo_bpm") or 120.0),
                   beat_times=a.get("beats_s") or None)
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        return mime

    def start_drag(self) -> None:
        mime = self.midi_mime_data()
        if mime is None:
            return
        drag = QDrag(self.s.drag_handle)
        drag.setMimeData(mime)
        drag.setPixmap(self.s.drag_handle.grab())
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    # -- pitch curve --------------------------------------------------------------------------
    def pitch_layer(self) -> Layer | None:
        track = self.s._track
        if track is None:
            return None
        return next((lr for lr in reversed(track.layers) if lr.kind == "pitch"
                     and "times_s" in lr.arrays and "f0_hz" in lr.arrays), None)

    def find_pitch(self) -> None:
        seg = self.s._segment()
        if isinstance(seg, str):
            self.s.status.setText(seg)
            return
        audio, start_s = seg
        track = self.host.current_track()
        method = self.s.pitch_method.currentData()
        self.s.status.setText("Tracking the pitch…")
        self.host.submit_job(f"Pitch curve of {track.name}", pitch_job, audio, method=method,
                             on_result=lambda pt, tid=track.id, s=start_s, m=method:
                             self._pitch_ready(tid, s, m, pt))

    def _pitch_ready(self, track_id: str, start_s: float, method: str, pt) -> None:
        try:
            self.host.model.track(track_id)
        except KeyError:
            return
        layer = Layer("pitch", f"Pitch curve ({method})", {"method": method, "start_s": start_s},
                      {"times_s": pt.times_s, "f0_hz": pt.f0_hz, "confidence": pt.confidence})
        self.host.add_layer_from_job(track_id, layer)
        voiced = int(pt.voiced.sum())
        self.s.status.setText(f"Pitch curve: {voiced} voiced frames of {pt.times_s.size}.")
        self.s.pitch_check.setChecked(True)
        self.s._show_pitch()


class Slider(QWidget):
    """A labelled horizontal slider over integer steps, with a value readout."""

    def __init__(self, lo: int, hi: int, fmt, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fmt = fmt
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(lo, hi)
        self.slider.setToolTip(tip)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(64)
        self.slider.setMinimumWidth(60)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.value_label)
        self.slider.valueChanged.connect(lambda v: self.value_label.setText(self.fmt(v)))

    def value(self) -> int:
        return self.slider.value()

    def set_value(self, v: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(int(v))
        self.slider.blockSignals(False)
        self.value_label.setText(self.fmt(self.slider.value()))
