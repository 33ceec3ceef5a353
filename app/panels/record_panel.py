"""The Record tool's panel."""

from __future__ import annotations

from app.panels.base import ToolPanel


class RecordPanel(ToolPanel):
    TITLE = "Record"
    SUMMARY = "Record from a microphone or audio interface into a new track, with an input level meter and monitoring."
    PLANNED = "Recording will let you pick an input device, see its level, and capture takes as new tracks."
