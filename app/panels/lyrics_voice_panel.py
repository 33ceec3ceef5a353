"""The Lyrics & Voice tool's panel: lyrics alignment (karaoke) and text to speech, one tab each."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget

from app.panels.base import ToolPanel


class LyricsVoicePanel(ToolPanel):
    TITLE = "Lyrics & Voice"
    SUMMARY = ("Time lyrics to a vocal track word by word (karaoke, LRC, SRT), or turn text "
               "into a spoken guide track.")
    AVAILABLE = True

    def build(self) -> None:
        from app.panels.lyrics_voice_align import LyricsSection
        from app.panels.lyrics_voice_tts import VoiceSection

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.lyrics = LyricsSection(self)
        self.voice = VoiceSection(self)
        self.tabs.addTab(self.lyrics, "Lyrics → timing")
        self.tabs.addTab(self.voice, "Text → voice")
        self.layout_.addWidget(self.tabs, 1)
