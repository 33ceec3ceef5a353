"""The Generate tool's panel."""

from __future__ import annotations

from app.panels.base import ToolPanel


class GeneratePanel(ToolPanel):
    TITLE = "Generate"
    SUMMARY = "Create new music or sounds from a text description, as a new track."
    PLANNED = "Generation will run an embedded model from a text prompt and a length, and add the result as a new track."
