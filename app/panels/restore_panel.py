"""The Restore tool's panel."""

from __future__ import annotations

from app.panels.base import ToolPanel


class RestorePanel(ToolPanel):
    TITLE = "Restore"
    SUMMARY = "Clean up recordings: reduce noise, hum, clicks, clipping and room reverb."
    PLANNED = "Restoration will process the current track or selection into a new track, so the original is always kept for comparison."
