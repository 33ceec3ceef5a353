""""Export all stems": every stem of a track written into one folder in one action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from app.panels.separate_jobs import export_paths, export_stems

#: Formats offered for stems (lossless only: stems go on into a DAW).
FORMATS = {"WAV": ".wav", "FLAC": ".flac"}
#: Bit depths: label -> core.audio.save subtype.
DEPTHS = {"16-bit": "16", "24-bit": "24", "32-bit float": "32f"}
STEM_KINDS = ("stem", "residual")


class ExportBox(QGroupBox):
    """Format, bit depth and the "Export all stems…" button of the Separate panel."""

    def __init__(self, panel: Any) -> None:
        super().__init__("Export all stems")
        self.panel = panel
        self.job: Any = None
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.format_box = QComboBox()
        self.format_box.setObjectName("stemFormat")
        for label, ext in FORMATS.items():
            self.format_box.addItem(label, ext)
        self.depth_box = QComboBox()
        self.depth_box.setObjectName("stemDepth")
        for label, sub in DEPTHS.items():
            self.depth_box.addItem(label, sub)
        self.depth_box.setCurrentIndex(1)
        self.button = QPushButton("Export all stems…")
        self.button.setObjectName("exportStemsButton")
        self.button.setToolTip("Write every stem of this track into a folder you choose")
        self.button.clicked.connect(self.export_all)
        row.addWidget(self.format_box)
        row.addWidget(self.depth_box)
        row.addStretch(1)
        row.addWidget(self.button)
        lay.addLayout(row)
        self.note = QLabel()
        self.note.setObjectName("panelNote")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.format_box.currentIndexChanged.connect(self._format_changed)

    @property
    def host(self) -> Any:
        return self.panel.host

    def _format_changed(self) -> None:
        flac = self.format_box.currentData() == ".flac"
        item = self.depth_box.model().item(self.depth_box.findData("32f"))
        item.setEnabled(not flac)  # FLAC holds integers of at most 24 bits
        if flac and self.depth_box.currentData() == "32f":
            self.depth_box.setCurrentIndex(self.depth_box.findData("24"))

    def source_track(self) -> Any:
        """The track whose stems would be exported: the current one, or its source."""
        track = self.host.current_track()
        if track is not None and track.kind in STEM_KINDS and track.source_id:
            try:
                return self.host.model.track(track.source_id)
            except KeyError:
                return track
        return track

    def stems(self) -> list:
        src = self.source_track()
        if src is None:
            return []
        return [t for t in self.host.model.project.derived_from(src.id) if t.kind in STEM_KINDS]

    def update_state(self) -> None:
        src, stems = self.source_track(), self.stems()
        self.button.setEnabled(bool(stems) and self.job is None)
        if src is None:
            self.note.setText("")
        elif stems:
            self.note.setText(f"{len(stems)} stem track(s) of “{src.name}”.")
        else:
            self.note.setText(f"“{src.name}” has no stems yet.")

    def choose_folder(self) -> str:
        start = getattr(self.host.settings, "last_folder", "") or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Export stems into folder", start)
        if folder:
            self.host.settings.last_folder = folder
        return folder

    def export_all(self) -> Any:
        """Ask for a folder, then write every stem there as one job."""
        src, stems = self.source_track(), self.stems()
        if not stems:
            self.panel.say("There are no stems to export: separate the track first.", error=True)
            return None
        folder = self.choose_folder()
        if not folder:
            return None
        ext, subtype = self.format_box.currentData(), self.depth_box.currentData()
        paths = export_paths([t.name for t in stems], folder, ext)
        existing = [p for p in paths if p.exists()]
        if existing:
            Btn = QMessageBox.StandardButton
            names = ", ".join(p.name for p in existing[:3]) + ("…" if len(existing) > 3 else "")
            if self.host.ask("Replace files?",
                             f"{len(existing)} file(s) already exist in {folder} ({names}). "
                             "Replace them?") != Btn.Yes:
                return None
        items = [(t.audio, p) for t, p in zip(stems, paths, strict=True)]
        self.job = self.host.runner.submit(
            f"Export stems of “{src.name}”", export_stems, items, subtype=subtype,
            on_result=lambda written, f=folder: self._done(written, f),
            on_error=self._failed, on_cancel=self._cancelled,
            options={"folder": folder, "format": ext, "subtype": subtype,
                     "stems": [t.name for t in stems]})
        self.update_state()
        return self.job

    def _done(self, written: list, folder: str) -> None:
        self.job = None
        self.panel.say(f"Exported {len(written)} stem file(s) to {folder}.")
        self.update_state()

    def _failed(self, message: str) -> None:
        self.job = None
        self.panel.say(f"Export failed: {message}", error=True)
        self.update_state()

    def _cancelled(self) -> None:
        self.job = None
        self.panel.say("Export cancelled; no stem files were left behind.")
        self.update_state()
