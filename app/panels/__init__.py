"""The tools area: one panel per tool (Record, Transcribe, Separate, Restore, Generate, Analyse,
Lyrics & Voice)."""

from app.panels.analyse_panel import AnalysePanel
from app.panels.base import ToolHost, ToolPanel
from app.panels.generate_panel import GeneratePanel
from app.panels.lyrics_voice_panel import LyricsVoicePanel
from app.panels.record_panel import RecordPanel
from app.panels.restore_panel import RestorePanel
from app.panels.separate_panel import SeparatePanel
from app.panels.transcribe_panel import TranscribePanel

#: Panels in the order the tools area shows them.
TOOL_PANELS: tuple[type[ToolPanel], ...] = (
    RecordPanel, TranscribePanel, SeparatePanel, RestorePanel, GeneratePanel, AnalysePanel,
    LyricsVoicePanel)

__all__ = ["TOOL_PANELS", "ToolHost", "ToolPanel", "AnalysePanel", "GeneratePanel",
           "LyricsVoicePanel", "RecordPanel",
           "RestorePanel", "SeparatePanel", "TranscribePanel"]
