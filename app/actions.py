"""Menus, toolbar and shortcuts of the main window, and the Help > Keyboard and Mouse dialog.

Every action is declared once in :data:`ACTIONS` (name, menu, text, shortcuts,
tip, method of the main window to call); the shortcuts dialog is generated
from the same table, so it can never disagree with the real key bindings.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    menu: str
    text: str
    shortcuts: tuple[str, ...]
    tip: str
    slot: str
    checkable: bool = False


_A = ActionSpec
ACTIONS: tuple[ActionSpec, ...] = (
    _A("new_project", "File", "&New Project", ("Ctrl+N",), "Start an empty project", "new_project"),
    _A("open", "File", "&Open…", ("Ctrl+O",), "Open audio files or a project", "open_dialog"),
    _A("open_project", "File", "Open &Project…", ("Ctrl+Shift+O",),
       "Open a .resonote project folder", "open_project_dialog"),
    _A("save_project", "File", "&Save Project", ("Ctrl+S",), "Save the project", "save_project"),
    _A("save_project_as", "File", "Save Project &As…", ("Ctrl+Shift+S",),
       "Save the project under a new name", "save_project_as"),
    _A("export_selection", "File", "&Export Selection…", ("Ctrl+E",),
       "Write the selected time range of the current track to an audio file",
       "export_selection"),
    _A("export_track", "File", "Export &Track…", ("Ctrl+Shift+E",),
       "Write the whole current track to an audio file", "export_track"),
    _A("batch", "File", "Process a &Folder…", ("Ctrl+Shift+B",),
       "Run a tool (restore, transcribe, separate, convert…) on every audio file in a folder",
       "open_batch"),
    _A("quit", "File", "&Quit", ("Ctrl+Q",), "Close Resonote", "close"),
    _A("undo", "Edit", "&Undo", ("Ctrl+Z",), "Undo the last edit", "undo"),
    _A("redo", "Edit", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo the edit undone last", "redo"),
    _A("select_all", "Edit", "Select &All", ("Ctrl+A",), "Select the whole project length",
       "select_all"),
    _A("clear_selection", "Edit", "Select &None", ("Esc",), "Clear the selection",
       "clear_selection"),
    _A("snap_to_zero", "Edit", "Snap to &Zero Crossings", ("Ctrl+Shift+0",),
       "Selections start and end where the waveform crosses zero (click-free edits)",
       "set_snap_to_zero", checkable=True),
    _A("rename_track", "Track", "&Rename…", ("F2",), "Rename the current track", "rename_current"),
    _A("mute_track", "Track", "&Mute", ("M",), "Mute or unmute the current track", "toggle_mute"),
    _A("solo_track", "Track", "&Solo", ("S",), "Solo or unsolo the current track", "toggle_solo"),
    _A("colour_track", "Track", "&Colour…", ("Alt+C",), "Change the current track's colour",
       "choose_colour"),
    _A("move_track_up", "Track", "Move &Up", ("Alt+Up",), "Move the current track up",
       "move_current_up"),
    _A("move_track_down", "Track", "Move &Down", ("Alt+Down",), "Move the current track down",
       "move_current_down"),
    _A("duplicate_track", "Track", "D&uplicate", ("Ctrl+D",), "Copy the current track",
       "duplicate_current"),
    _A("remove_track", "Track", "Re&move", ("Ctrl+Del", "Ctrl+Backspace"),
       "Remove the current track (undoable)", "remove_current"),
    _A("previous_track", "Track", "&Previous Track", ("Up",), "Select the track above",
       "select_previous_track"),
    _A("next_track", "Track", "&Next Track", ("Down",), "Select the track below",
       "select_next_track"),
    _A("zoom_in", "View", "Zoom &In", ("Ctrl+=", "Ctrl++", "+", "="), "Zoom in on the time axis",
       "zoom_in"),
    _A("zoom_out", "View", "Zoom &Out", ("Ctrl+-", "-"), "Zoom out on the time axis", "zoom_out"),
    _A("zoom_fit", "View", "Zoom to &Fit", ("Ctrl+F",), "Show the whole project", "zoom_fit"),
    _A("zoom_selection", "View", "Zoom to &Selection", ("Ctrl+Shift+F",),
       "Show exactly the selected time range", "zoom_selection"),
    _A("pan_left", "View", "Scroll &Left", ("Left",), "Scroll back in time", "pan_left"),
    _A("pan_right", "View", "Scroll &Right", ("Right",), "Scroll forward in time", "pan_right"),
    _A("go_start", "View", "Go to S&tart", ("Home",), "Show the start of the project",
       "go_start"),
    _A("go_end", "View", "Go to &End", ("End",), "Show the end of the project", "go_end"),
    _A("theme_dark", "View", "&Dark Theme", ("Ctrl+Shift+D",), "Dark colours", "use_dark_theme",
       checkable=True),
    _A("theme_light", "View", "&Light Theme", ("Ctrl+Shift+L",), "Light colours",
       "use_light_theme", checkable=True),
    _A("reset_layout", "View", "Reset &Layout", ("Ctrl+Shift+R",),
       "Put every panel back where it started", "reset_layout"),
    _A("shortcuts", "Help", "&Keyboard and Mouse…", ("F1",), "Every shortcut and mouse gesture",
       "show_shortcuts"),
    _A("welcome", "Help", "&Welcome and Models…", (), "The demo clip, and where every model "
       "comes from", "show_welcome"),
    _A("about", "Help", "&About Resonote", ("Ctrl+Shift+F1",), "Version and licences",
       "show_about"),
)

#: Mouse gestures, for the shortcuts dialog.
MOUSE = (
    ("Drag on a waveform", "Select a time range"),
    ("Shift+click on a waveform", "Extend the selection"),
    ("Click on a waveform", "Clear the selection, move the playhead there"),
    ("Click or drag on the ruler", "Move the playhead"),
    ("Ctrl+wheel", "Zoom in/out around the mouse"),
    ("Shift+wheel, horizontal wheel", "Scroll in time"),
    ("Middle-button drag", "Scroll in time"),
    ("Wheel", "Scroll the list of tracks up/down"),
    ("Double-click a track name", "Rename the track"),
    ("Drag the ⠿ grip of a track", "Reorder tracks, or drop outside Resonote as a WAV file"),
    ("Drop files on the window", "Open them as new tracks (or open a project)"),
)

MENUS = ("File", "Edit", "Track", "View", "Playback", "Settings", "Help")


def create_actions(window: QWidget) -> dict[str, QAction]:
    """Create every :data:`ACTIONS` entry on ``window`` and connect it to its method."""
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        act = QAction(spec.text, window)
        act.setObjectName(f"action_{spec.name}")
        act.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        act.setToolTip(f"{spec.tip} ({spec.shortcuts[0]})" if spec.shortcuts else spec.tip)
        act.setStatusTip(spec.tip)
        act.setCheckable(spec.checkable)
        slot = getattr(window, spec.slot)
        if spec.checkable:
            act.triggered.connect(slot)
        else:
            act.triggered.connect(lambda _checked=False, s=slot: s())
        window.addAction(act)
        actions[spec.name] = act
    themes = QActionGroup(window)
    themes.addAction(actions["theme_dark"])
    themes.addAction(actions["theme_light"])
    return actions


class ShortcutsDialog(QDialog):
    """Help > Keyboard and Mouse: every shortcut (from the live actions) and gesture."""

    def __init__(self, actions: dict[str, QAction], extra: dict[str, QAction] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard and Mouse")
        self.resize(620, 640)
        rows: list[tuple[str, str, str]] = []
        for spec in ACTIONS:
            act = actions[spec.name]
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                             for k in act.shortcuts())
            rows.append((spec.menu, act.text().replace("&", "").rstrip("…"), keys))
        for act in (extra or {}).values():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                             for k in act.shortcuts())
            rows.append(("Playback", act.text().replace("&", ""), keys))
        rows += [("Mouse", what, gesture) for gesture, what in MOUSE]
        table = QTableWidget(len(rows), 3)
        table.setHorizontalHeaderLabels(["Menu", "Command", "Shortcut / gesture"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text))
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnToContents(0)
        table.resizeColumnToContents(2)
        self.table = table
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
