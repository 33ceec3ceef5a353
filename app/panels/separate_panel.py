"""The Separate tool's panel."""

from __future__ import annotations

from app.panels.base import ToolPanel


class SeparatePanel(ToolPanel):
    TITLE = "Separate"
    SUMMARY = "Split a mix into stems — vocals, drums, bass and other instruments — each as a new track."
    PLANNED = "Separation will create one new track per stem, which you can compare with the original (A/B) and export."
