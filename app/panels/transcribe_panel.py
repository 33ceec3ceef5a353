"""The Transcribe tool's panel: speech to text and music to notes, one tab each."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget

from app.panels.base import ToolPanel


class TranscribePanel(ToolPanel):
    TITLE = "Transcribe"
    SUMMARY = "Turn speech into timed text, or music into MIDI notes, shown as layers on the track."
    AVAILABLE = True

    def build(self) -> None:
        from app.panels.notes_section import NotesSection
        from app.panels.speech_section import SpeechSection

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.speech = SpeechSection(self)
        self.notes = NotesSection(self)
        self.tabs.addTab(self.speech, "Speech → text")
        self.tabs.addTab(self.notes, "Music → notes")
        self.layout_.addWidget(self.tabs, 1)
