"""The tools area: one panel per tool (Record, Transcribe, Separate, Restore, Generate)."""

from app.panels.base import ToolHost, ToolPanel
from app.panels.generate_panel import GeneratePanel
from app.panels.record_panel import RecordPanel
from app.panels.restore_panel import RestorePanel
from app.panels.separate_panel import SeparatePanel
from app.panels.transcribe_panel import TranscribePanel

#: Panels in the order the tools area shows them.
TOOL_PANELS: tuple[type[ToolPanel], ...] = (
    RecordPanel, TranscribePanel, SeparatePanel, RestorePanel, GeneratePanel)

__all__ = ["TOOL_PANELS", "ToolHost", "ToolPanel", "GeneratePanel", "RecordPanel",
           "RestorePanel", "SeparatePanel", "TranscribePanel"]
