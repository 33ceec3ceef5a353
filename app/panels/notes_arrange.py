"""The "Arrange" box of the notes section: quantise to the beat grid, and notes for every stem.

* **Quantise** snaps the current notes layer's note starts and ends to the beat
  grid (:func:`core.notes.quantize`) at the chosen division, as one undo step.
  The beats come from the layer's analysis (tempo tracking when it was
  transcribed); when the layer has none, the beats are tracked first in a job.
* **Transcribe stems** runs note transcription on every stem track separated
  from the same source as the current track (one notes layer per stem), in one
  job after another; **Export stems MIDI** writes one MIDI file with one MIDI
  track per stem (:func:`core.notes.write_parts_midi`; drums on the percussion
  channel).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QFileDialog, QGridLayout, QGroupBox, QPushButton

from app.panels.notes_jobs import transcribe_job
from app.panels.notes_layer import NotesLayerView, notes_layer, shift_notes

#: (label, grid steps per beat)
DIVISIONS = (("1/4 (beats)", 1), ("1/8", 2), ("1/8 triplets", 3), ("1/16", 4),
             ("1/16 triplets", 6), ("1/32", 8))
STEM_KINDS = ("stem", "residual")


def beats_job(audio, *, progress=None, cancel=None) -> list[float]:
    """Worker: beat times (s, from the audio's start) with librosa's beat tracker."""
    from core.notes import estimate_tempo

    _bpm, beats = estimate_tempo(audio, cancel=cancel)
    return [float(b) for b in beats]


def parts_midi_job(parts: dict, path: str, *, analysis: dict, progress=None, cancel=None):
    """Worker: one MIDI file, one MIDI track per stem."""
    from core.notes import Key, write_parts_midi

    key = analysis.get("key")
    return write_parts_midi(parts, path, tempo_bpm=float(analysis.get("tempo_bpm") or 120.0),
                            beat_times=analysis.get("beats_s") or None,
                            key=Key(key["tonic"], key["mode"], key["confidence"]) if key else None)


class NotesArrange(QGroupBox):
    """Quantise and per-stem controls; ``section`` is the owning NotesSection."""

    def __init__(self, section) -> None:
        super().__init__("Arrange")
        self.s = section
        self.host = section.host
        grid = QGridLayout(self)
        self.division = QComboBox()
        for label, div in DIVISIONS:
            self.division.addItem(label, div)
        self.division.setCurrentIndex(3)  # sixteenths
        self.division.setToolTip("Grid to snap note starts and ends to")
        self.quantise_button = QPushButton("Quantise")
        self.quantise_button.setToolTip("Snap the notes to the beat grid (undo with Ctrl+Z)")
        self.quantise_button.clicked.connect(self.quantise)
        self.stems_button = QPushButton("Transcribe stems")
        self.stems_button.setToolTip("Find the notes of every stem separated from this track's "
                                     "source (one notes layer per stem)")
        self.stems_button.clicked.connect(self.transcribe_stems)
        self.stems_export_button = QPushButton("Export stems MIDI…")
        self.stems_export_button.setToolTip("One MIDI file with one MIDI track per stem")
        self.stems_export_button.clicked.connect(self.export_stems_dialog)
        grid.addWidget(self.division, 0, 0)
        grid.addWidget(self.quantise_button, 0, 1)
        grid.addWidget(self.stems_button, 1, 0)
        grid.addWidget(self.stems_export_button, 1, 1)
        self._stem_queue: list[str] = []

    # -- quantise ---------------------------------------------------------------------------
    def quantise(self) -> Any:
        """Quantise the current notes layer; returns the beat-tracking job when one is needed."""
        view = self.s.layer_view()
        if view is None or not view.note_track().notes:
            self.s.status.setText("Transcribe notes first, then quantise them.")
            return None
        beats = view.analysis.get("beats_s") or []
        if len(beats) >= 2:
            self._apply_quantise(view, beats)
            return None
        audio = view.track.audio
        a = max(0, int(round(view.start_s * audio.sr)))
        seg_end = max((n.end_s for n in view.note_track().notes), default=0.0) + view.start_s
        b = min(audio.frames, int(round((seg_end + 1.0) * audio.sr)))
        from core.audio import Audio

        self.s.status.setText("Finding the beats…")
        track_id, layer = view.track.id, view.layer
        return self.host.submit_job(
            f"Find the beats of {view.track.name}", beats_job,
            Audio(audio.samples[:, a:b], audio.sr),
            on_result=lambda bt, tid=track_id, lr=layer: self._beats_found(tid, lr, bt))

    def _beats_found(self, track_id: str, layer, beats: list[float]) -> None:
        view = self.s.layer_view()
        if view is None or view.track.id != track_id or view.layer is not layer:
            return  # the layer changed meanwhile; the user can quantise again
        if len(beats) < 2:
            self.s.status.setText("No steady beat was found, so the notes were not quantised.")
            return
        self._apply_quantise(view, beats)

    def _apply_quantise(self, view: NotesLayerView, beats: list[float]) -> None:
        from core.notes import quantize

        div = int(self.division.currentData())
        notes = quantize(view.note_track().notes, beats, division=div)
        self.s.apply_edit(shift_notes(notes, view.base_s),
                          f"Quantise notes to {self.division.currentText()}")
        self.s.status.setText(f"Quantised {len(notes)} notes to {self.division.currentText()}.")

    # -- stems ------------------------------------------------------------------------------
    def stem_tracks(self) -> list:
        """Stem tracks separated from the current track's source (or from the current track)."""
        track = self.host.current_track()
        if track is None:
            return []
        source = track.source_id if track.kind in STEM_KINDS else track.id
        return [t for t in self.host.model.tracks
                if t.kind in STEM_KINDS and t.source_id == source]

    def transcribe_stems(self) -> int:
        """Queue one transcription job per stem; returns how many were queued."""
        stems = self.stem_tracks()
        if not stems:
            self.s.status.setText("Separate this track into stems first (Separate panel), "
                                  "then transcribe every stem at once.")
            return 0
        params = self.s.current_params()
        for t in stems:
            self.host.submit_job(
                f"Transcribe notes of {t.name}", transcribe_job, t.audio, analyse=True,
                params=params,
                on_result=lambda r, tid=t.id: self.s._transcribed(tid, 0.0, "Notes", r))
        self.s.status.setText(f"Transcribing {len(stems)} stems…")
        return len(stems)

    def stem_parts(self) -> tuple[dict, dict]:
        """({stem name: notes in project time}, analysis of the first stem with one)."""
        parts, analysis = {}, {}
        for t in self.stem_tracks():
            layer = notes_layer(t)
            if layer is None:
                continue
            view = NotesLayerView(t, layer)
            label = t.name.rsplit("–", 1)[-1].strip() or t.name  # "song – drums" -> "drums"
            name, k = label, 2
            while name in parts:
                name, k = f"{label} {k}", k + 1
            parts[name] = view.absolute_notes()
            analysis = analysis or view.analysis
        return parts, analysis

    def export_stems_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export stems as MIDI", "stems.mid",
                                              "MIDI (*.mid)")
        if path:
            self.export_stems(Path(path))

    def export_stems(self, path: Path) -> Any:
        parts, analysis = self.stem_parts()
        if not parts:
            self.s.status.setText("No stem has notes yet: press Transcribe stems first.")
            return None
        path = Path(path).with_suffix(".mid")
        return self.host.submit_job(
            f"Export {path.name}", parts_midi_job, parts, str(path), analysis=analysis,
            on_result=lambda _r, p=path, n=len(parts): self.s.status.setText(
                f"Exported {n} stems as MIDI tracks to {p}"))
