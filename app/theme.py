"""Dark (default) and light colour themes: Fusion style, a QPalette and a small stylesheet."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colours:
    """Colours the custom-painted views use (waveforms, ruler, selection)."""

    background: str
    lane: str
    lane_selected: str
    grid: str
    text: str
    text_dim: str
    accent: str
    selection: str
    playhead: str
    cursor: str
    header: str
    border: str


DARK = Colours(
    background="#1b1d22", lane="#202329", lane_selected="#262a33", grid="#2e323b",
    text="#dde1e8", text_dim="#8a919e", accent="#4fa3ff", selection="#4fa3ff",
    playhead="#ff5a4f", cursor="#c8ccd4", header="#24272e", border="#121317",
)
LIGHT = Colours(
    background="#f3f4f6", lane="#ffffff", lane_selected="#eaf2ff", grid="#d9dce2",
    text="#1d2026", text_dim="#5f6673", accent="#1f6fd1", selection="#1f6fd1",
    playhead="#d9322a", cursor="#444a55", header="#e9ebef", border="#c5c9d1",
)

#: Colours given to new tracks in turn.
TRACK_COLOURS = ("#4fa3ff", "#5ad19a", "#f2b84b", "#e76f8f", "#a98bf0", "#4fd1d9",
                 "#f28b4b", "#9bd14f")

_current = DARK


def colours() -> Colours:
    """The active theme's colours."""
    return _current


def _palette(c: Colours, dark: bool) -> QPalette:
    p = QPalette()
    window = QColor("#25282e") if dark else QColor("#eceef1")
    base = QColor(c.background) if dark else QColor("#ffffff")
    alt = QColor("#2b2f36") if dark else QColor("#f5f6f8")
    text = QColor(c.text)
    button = QColor("#30343c") if dark else QColor("#e3e6ea")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.ToolTipBase: QColor("#30343c") if dark else QColor("#ffffe8"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(c.text_dim),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Highlight: QColor(c.accent),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor(c.accent),
        QPalette.ColorRole.Mid: QColor("#3a3f48") if dark else QColor("#c7cbd2"),
        QPalette.ColorRole.Dark: QColor("#15171b") if dark else QColor("#a9aeb8"),
        QPalette.ColorRole.Light: QColor("#3c414b") if dark else QColor("#ffffff"),
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    disabled = QColor("#6b717c") if dark else QColor("#a0a5ae")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


_STYLE = """
QMainWindow::separator {{ background: {border}; width: 3px; height: 3px; }}
QDockWidget {{ font-weight: 600; }}
QDockWidget::title {{ background: {header}; padding: 5px 8px; text-align: left; }}
QToolBar {{ border: none; spacing: 4px; padding: 3px; }}
QStatusBar {{ border-top: 1px solid {border}; }}
QStatusBar QLabel {{ padding: 0 6px; }}
QLabel#readout {{ font-family: monospace; color: {text}; }}
QLabel#panelTitle {{ font-size: 15px; font-weight: 600; }}
QLabel#panelNote {{ color: {text_dim}; }}
QFrame#laneHeader {{ background: {header}; border-right: 1px solid {border}; }}
QToolButton#laneToggle {{ min-width: 22px; max-width: 22px; min-height: 20px;
    border: 1px solid {border}; border-radius: 3px; font-weight: 700; }}
QToolButton#laneToggle:checked[role="mute"] {{ background: #d9a13b; color: #15171b; }}
QToolButton#laneToggle:checked[role="solo"] {{ background: #4fc26b; color: #15171b; }}
QToolButton#laneToggle:checked[role="ab"] {{ background: {accent}; color: #ffffff; }}
QLabel#laneName {{ font-weight: 600; }}
QLabel#laneInfo, QLabel#laneGain {{ color: {text_dim}; font-size: 11px; }}
QTabBar::tab {{ padding: 5px 6px; }}
QToolButton::menu-indicator {{ image: none; width: 0px; }}
"""


def apply_theme(app: QApplication, name: str = "dark") -> Colours:
    """Switch the whole application to the ``"dark"`` or ``"light"`` theme."""
    global _current
    dark = name != "light"
    _current = DARK if dark else LIGHT
    app.setStyle("Fusion")
    app.setPalette(_palette(_current, dark))
    app.setStyleSheet(_STYLE.format(**_current.__dict__))
    return _current
