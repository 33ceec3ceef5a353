"""The Transcribe tool's panel."""

from __future__ import annotations

from app.panels.base import ToolPanel


class TranscribePanel(ToolPanel):
    TITLE = "Transcribe"
    SUMMARY = "Turn speech into timed text, or music into MIDI notes, shown as layers on the track."
    PLANNED = "Transcription will run an embedded speech or music model on the current track or selection and add the result as a layer you can export."
