"""The Analyse tool's panel: audio features, tags over time, and codec listening tests.

Each section is its own widget (``analyse_features``, ``analyse_tags``,
``analyse_codec``); engines are imported inside job functions, so opening the
window never imports librosa, torch or transformers.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTabWidget

from app.panels.base import ToolPanel


class AnalysePanel(ToolPanel):
    TITLE = "Analyse"
    SUMMARY = ("Measure a track or selection: plot and export audio features, label the "
               "instruments and sounds over time, and hear how codecs change it.")
    AVAILABLE = True

    def build(self) -> None:
        from app.panels.analyse_codec import CodecSection
        from app.panels.analyse_features import FeaturesSection
        from app.panels.analyse_tags import TagsSection

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.features = FeaturesSection(self)
        self.tags = TagsSection(self)
        self.codec = CodecSection(self)
        self.tabs.addTab(self.features, "Features")
        self.tabs.addTab(self.tags, "Tags")
        self.tabs.addTab(self.codec, "Codec")
        self.layout_.addWidget(self.tabs, 1)


def target_range(panel: Any, use_selection: bool) -> tuple[Any, float, float] | None:
    """(track, start_s, end_s) to analyse, times relative to the track's own audio.

    The selection (timeline seconds) is used when ``use_selection`` and one
    exists; it is clipped to the track.  None when there is no track or the
    selection misses it.
    """
    track = panel.host.current_track()
    if track is None:
        return None
    dur = track.audio.duration_s
    sel = panel.host.selection_s() if use_selection else None
    if sel is None:
        return track, 0.0, dur
    t0 = max(0.0, sel[0] - track.offset_s)
    t1 = min(dur, sel[1] - track.offset_s)
    if t1 - t0 < 0.02:
        return None
    return track, t0, t1


def fmt_time(t: float) -> str:
    """``m:ss.s`` for lists and labels."""
    m, s = divmod(max(0.0, t), 60.0)
    return f"{int(m)}:{s:04.1f}"
