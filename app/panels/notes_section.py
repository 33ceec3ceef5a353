"""The notes part of the Transcribe panel."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class NotesSection(QWidget):
    """Controls for notes transcription; ``panel`` is the owning TranscribePanel."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        lay = QVBoxLayout(self)
        note = QLabel("Not available in the window yet; the command line has it.")
        note.setWordWrap(True)
        lay.addWidget(note)
        lay.addStretch(1)
