"""The Resonote main window: tracks in the centre, docks around, one shared time axis.

Behaviour is split by responsibility into mixins:
:mod:`app.mainwindow_view` (zoom/pan keys, status readout, theme, help),
:mod:`app.mainwindow_edit` (undoable track edits, tool results),
:mod:`app.mainwindow_files` (open, drop, recent files, export),
:mod:`app.mainwindow_project` (project save/open, autosave, crash recovery).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from app.actions import MENUS, create_actions
from app.jobs.panel import JobsPanel
from app.jobs.runner import JobRunner
from app.mainwindow_edit import EditMixin
from app.mainwindow_files import FilesMixin
from app.mainwindow_project import ProjectMixin
from app.mainwindow_view import ViewMixin
from app.panels import TOOL_PANELS
from app.project_model import ProjectModel
from app.settings import Settings
from app.time_align import TimeAxisAligner
from app.tracks.area import TracksArea
from app.viewstate import ViewState

log = logging.getLogger(__name__)



class _KeyGuard(QObject):
    """Let editing widgets keep plain keys (arrows, letters) that are also window shortcuts.

    Without this, the Left/Right (scroll) and M/S (mute/solo) shortcuts would
    steal the keys from a focused slider, spin box, combo box or table.
    """

    _EDITORS = (QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractItemView,
                QTextEdit, QPlainTextEdit)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(obj, self._EDITORS):
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
                event.accept()
        return False


def _placeholder(text: str) -> QWidget:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setObjectName("panelNote")
    label.setWordWrap(True)
    return label


class MainWindow(EditMixin, FilesMixin, ProjectMixin, ViewMixin, QMainWindow):
    """The workstation window.

    Parameters
    ----------
    settings : Settings, optional
        Persistent settings (a fresh :class:`Settings` by default).
    autosave : bool
        Start the autosave session (crash recovery).  Benchmarks turn it off.
    """

    #: The track shown in the spectrogram/spectrum changed (its id, or "" for none).
    #: Tool panels and layer views (transcript, piano roll) follow it.
    currentTrackChanged = Signal(str)

    def __init__(self, settings: Settings | None = None, *, autosave: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.setObjectName("ResonoteMainWindow")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.view_state = ViewState(self)
        self.model = ProjectModel(parent=self)
        self.undo_stack = QUndoStack(self)
        self.runner = JobRunner(self)
        self._current_id: str | None = None
        self._closing = False
        self.last_error = ""
        self._key_guard = _KeyGuard(self)
        QApplication.instance().installEventFilter(self._key_guard)

        self.tracks_area = TracksArea(self.model, self.view_state)
        self.tracks_area.snap_to_zero = self.settings.snap_to_zero
        self.tracks_area.laneAdded.connect(self._connect_lane)
        self.tracks_area.reorderRequested.connect(self.move_track)
        self.setCentralWidget(self.tracks_area)

        self.spectrogram = self._make_view("app.views.spectrogram_pane", "SpectrogramPane",
                                           "The spectrogram view is not installed.")
        self.spectrum = self._make_view("app.views.spectrum_view", "SpectrumView",
                                        "The spectrum view is not installed.")
        # Views docked under the lanes put time t at the same x as the lanes (app/time_align.py).
        self.time_aligner = TimeAxisAligner(self.tracks_area.ruler, self)
        self.tools = QTabWidget()
        self.tools.setDocumentMode(True)
        self.tool_panels = {cls.TITLE: cls(self) for cls in TOOL_PANELS}
        for title, panel in self.tool_panels.items():
            self.tools.addTab(panel, title.replace("&", "&&"))  # "&" would be a mnemonic
        self.jobs_panel = JobsPanel(self.runner)

        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget in (("spectrogram", "Spectrogram", self.spectrogram),
                                   ("spectrum", "Spectrum", self.spectrum),
                                   ("tools", "Tools", self.tools),
                                   ("jobs", "Jobs", self.jobs_panel)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.docks[key] = dock
        if hasattr(self.spectrogram, "set_time_margins"):
            self.time_aligner.add(self.spectrogram, self.docks["spectrogram"])

        self.playback = self._make_playback()
        self.acts = create_actions(self)
        self._build_menus()
        self._build_status_bar()
        self._default_layout()
        self._restore_settings()

        self.view_state.cursorChanged.connect(self._update_readout)
        self.model.changed.connect(self._model_changed)
        self.model.projectReset.connect(self._project_reset)
        self.model.trackRemoved.connect(self._track_removed)
        self.model.trackInserted.connect(self._sync_playback_sources)
        self.model.trackRemoved.connect(self._sync_playback_sources)
        self.model.trackChanged.connect(self._track_changed)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.canUndoChanged.connect(self.acts["undo"].setEnabled)
        self.undo_stack.canRedoChanged.connect(self.acts["redo"].setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda t: self.acts["undo"].setText(f"&Undo {t}" if t else "&Undo"))
        self.undo_stack.redoTextChanged.connect(
            lambda t: self.acts["redo"].setText(f"&Redo {t}" if t else "&Redo"))
        self.acts["undo"].setIconText("Undo")  # the toolbar stays short; the menu says what
        self.acts["redo"].setIconText("Redo")
        self.acts["undo"].setEnabled(False)
        self.acts["redo"].setEnabled(False)
        self._init_project_support(autosave=autosave)
        self._update_title()
        self._update_actions()

    # -- construction helpers -------------------------------------------------------------
    def _make_view(self, module: str, cls_name: str, missing: str) -> QWidget:
        import importlib

        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except ImportError as exc:
            log.warning("%s unavailable: %s", cls_name, exc)
            return _placeholder(missing)
        return cls(self.view_state, self)

    def _make_playback(self) -> Any:
        try:
            from app.playback_controller import PlaybackController
        except ImportError as exc:
            log.warning("Playback unavailable: %s", exc)
            return None
        controller = PlaybackController(self.view_state, self)
        controller.errorOccurred.connect(lambda m: self.show_error("Playback", m))
        controller.stateChanged.connect(lambda s: self.statusBar().showMessage(s, 3000))
        return controller

    def _build_menus(self) -> None:
        bar = self.menuBar()
        menus = {name: bar.addMenu(f"&{name}") for name in MENUS}
        self.menus = menus
        from app.actions import ACTIONS

        for spec in ACTIONS:
            if spec.name == "save_project":
                menus["File"].addSeparator()
            if spec.name in ("export_selection", "quit"):
                menus["File"].addSeparator()
            if spec.name == "select_all" or spec.name == "snap_to_zero":
                menus["Edit"].addSeparator()
            if spec.name in ("zoom_in", "pan_left", "theme_dark", "reset_layout"):
                menus["View"].addSeparator()
            if spec.name in ("move_track_up", "remove_track", "previous_track"):
                menus["Track"].addSeparator()
            menus[spec.menu].addAction(self.acts[spec.name])
            if spec.name == "open_project":
                self.recent_menu = menus["File"].addMenu("Open &Recent")
                self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        menus["View"].addSeparator()
        panels = menus["View"].addMenu("&Panels")
        for i, dock in enumerate(self.docks.values(), start=1):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(f"Ctrl+{i}")
            panels.addAction(toggle)
        autosave = menus["Settings"].addMenu("&Autosave Every")
        self.autosave_menu = autosave
        for minutes in (1, 2, 5, 10, 0):
            act = autosave.addAction(f"{minutes} min" if minutes else "Off")
            act.setCheckable(True)
            act.setData(minutes)
            act.triggered.connect(lambda _c=False, m=minutes: self.set_autosave_minutes(m))
        self.acts["snap_to_zero"].setChecked(self.settings.snap_to_zero)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("toolbar_main")
        for name in ("open", "save_project", None, "undo", "redo", None, "zoom_in",
                     "zoom_out", "zoom_fit", "zoom_selection"):
            if name is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(self.acts[name])
        self.main_toolbar = toolbar
        if self.playback is not None:
            pt = self.playback.make_toolbar(self)
            pt.setObjectName("toolbar_playback")
            self.addToolBar(pt)
            for act in self.playback.actions().values():
                menus["Playback"].addAction(act)
        else:
            menus["Playback"].addAction("Playback is not available").setEnabled(False)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.readout: dict[str, QLabel] = {}
        for key, width, tip in (("time", 118, "Time at the mouse (h:mm:ss.mmm)"),
                                ("samples", 118, "Sample index at the mouse (current track's rate)"),
                                ("freq", 92, "Frequency at the mouse"),
                                ("note", 74, "Nearest note and its deviation in cents"),
                                ("level", 86, "Level at the mouse")):
            label = QLabel("—")
            label.setObjectName("readout")
            label.setMinimumWidth(width)
            label.setToolTip(tip)
            bar.addPermanentWidget(label)
            self.readout[key] = label

    def _default_layout(self) -> None:
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks["spectrogram"])
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.docks["spectrum"])
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.docks["tools"])
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.docks["jobs"])
        for dock in self.docks.values():
            dock.show()
            dock.setFloating(False)
        self.resize(1600, 1000)
        self.resizeDocks([self.docks["spectrogram"]], [540], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["spectrum"]], [480], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["spectrum"], self.docks["tools"], self.docks["jobs"]],
                         [300, 330, 260], Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        self._default_layout()

    def _restore_settings(self) -> None:
        geometry, state = self.settings.window_layout()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self.acts["theme_light" if self.settings.theme == "light" else "theme_dark"].setChecked(True)
        spec = self.settings.view_settings("spectrogram")
        if spec and hasattr(self.spectrogram, "apply_settings"):
            try:
                self.spectrogram.apply_settings(spec)
            except Exception as exc:  # settings from another version: keep defaults
                log.warning("spectrogram settings ignored: %s", exc)

    def save_settings(self) -> None:
        self.settings.set_window_layout(self.saveGeometry(), self.saveState())
        if hasattr(self.spectrogram, "settings"):
            self.settings.set_view_settings("spectrogram", self.spectrogram.settings())
        self.settings.sync()

    # -- messages ---------------------------------------------------------------------------------
    def ask(self, title: str, text: str,
            buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Yes
            | QMessageBox.StandardButton.No,
            default: QMessageBox.StandardButton = QMessageBox.StandardButton.No,
            ) -> QMessageBox.StandardButton:
        """Ask the user a question (modal).  Tests replace this method to answer."""
        return QMessageBox.question(self, title, text, buttons, default)

    def show_error(self, title: str, message: str) -> None:
        """Tell the user something failed, without blocking (the jobs panel keeps it too)."""
        self.last_error = message
        self.statusBar().showMessage(message, 8000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self._error_box = box

    # -- current track ------------------------------------------------------------------------
    def current_track(self) -> Any:
        """The track shown in the spectrogram/spectrum (None when there are no tracks)."""
        if self._current_id is None:
            return None
        try:
            return self.model.track(self._current_id)
        except KeyError:
            return None

    def selection_s(self) -> tuple[float, float] | None:
        if not self.view_state.has_selection:
            return None
        t0, t1 = self.view_state.selection[:2]
        return (t0, t1)

    def set_current_track(self, track_id: str | None) -> None:
        if track_id == self._current_id:
            return
        self._current_id = track_id
        self.tracks_area.set_current(track_id)
        track = self.current_track()
        if hasattr(self.spectrogram, "set_audio"):
            if track is None:
                self.spectrogram.set_audio(None)
            else:
                self.spectrogram.set_audio(track.audio, title=track.name, offset_s=track.offset_s)
        if hasattr(self.spectrum, "set_audio"):
            self.spectrum.set_audio(None if track is None else track.audio,
                                    offset_s=0.0 if track is None else track.offset_s)
        self._update_actions()
        self.currentTrackChanged.emit(track_id or "")

    def _connect_lane(self, lane) -> None:
        lane.activated.connect(self.set_current_track)
        lane.renameRequested.connect(self.rename_track)
        lane.muteRequested.connect(self.set_track_mute)
        lane.soloRequested.connect(self.set_track_solo)
        lane.gainRequested.connect(self.set_track_gain)
        lane.colourRequested.connect(self.choose_colour)
        lane.moveRequested.connect(self.move_track_by)
        lane.removeRequested.connect(self.remove_track)
        lane.exportRequested.connect(self.export_track)
        lane.abRequested.connect(self.set_ab)
        lane.dragRequested.connect(self.start_track_drag)

    # -- model observers -------------------------------------------------------------------------
    def _model_changed(self) -> None:
        was_empty = self.view_state.duration <= 0
        self.view_state.set_duration(self.model.duration_s)
        if was_empty and self.model.duration_s > 0:
            self.view_state.zoom_to_fit()
        if self.current_track() is None and self.model.tracks:
            self.set_current_track(self.model.tracks[0].id)
        self._update_title()
        self._update_actions()

    def _project_reset(self) -> None:
        self._current_id = None
        tracks = self.model.tracks
        self.set_current_track(tracks[0].id if tracks else None)
        self._sync_playback_sources()

    def _track_removed(self, track_id: str) -> None:
        lane_ab = [ln for ln in self.tracks_area.lanes() if ln.ab_button.isChecked()]
        if self.playback is not None and not lane_ab:
            self.playback.set_ab(None)
        if track_id == self._current_id:
            tracks = self.model.tracks
            self._current_id = None
            self.set_current_track(tracks[0].id if tracks else None)

    def _track_changed(self, track_id: str, field: str) -> None:
        if field == "name" and track_id == self._current_id:
            track = self.current_track()
            if hasattr(self.spectrogram, "set_audio"):
                self.spectrogram.set_audio(track.audio, title=track.name, offset_s=track.offset_s)
        if self.playback is None:
            return
        track = self.model.track(track_id)
        if field == "gain_db":
            self.playback.set_mix(track_id, gain_db=track.gain_db)
        elif field == "mute":
            self.playback.set_mix(track_id, mute=track.mute)
        elif field == "solo":
            self.playback.set_mix(track_id, solo=track.solo)
        elif field == "offset_s":
            self._sync_playback_sources()

    def _sync_playback_sources(self, *_args) -> None:
        if self.playback is None:
            return
        from core.playback import PlaySource

        self.playback.set_sources([
            PlaySource(t.id, t.audio, gain_db=t.gain_db, mute=t.mute, solo=t.solo,
                       offset_s=t.offset_s) for t in self.model.tracks])

    def set_ab(self, track_id: str, hear_source: bool) -> None:
        """A/B: hear the source of derived track ``track_id`` instead of it, at the same
        playhead (``hear_source``), or go back to the normal mix."""
        track = self.model.track(track_id)
        if self.playback is None or not track.source_id:
            return
        if hear_source:
            self.playback.set_ab(track_id, track.source_id, active="b")
        else:
            self.playback.set_ab(None)
        for lane in self.tracks_area.lanes():
            if lane.track_id != track_id:
                lane.set_ab_checked(False)

    def _update_title(self, *_args) -> None:
        name = self.model.project.name or "Untitled"
        self.setWindowModified(self.is_modified())
        self.setWindowTitle(f"{name}[*] — Resonote")

    def _update_actions(self) -> None:
        has_track = self.current_track() is not None
        for name in ("export_track", "rename_track", "mute_track", "solo_track", "colour_track",
                     "move_track_up", "move_track_down", "duplicate_track", "remove_track"):
            self.acts[name].setEnabled(has_track)
        self.acts["export_selection"].setEnabled(has_track)

    # -- closing -----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        running = self.runner.running_jobs(include_quiet=False)
        if running:
            names = ", ".join(j.name for j in running[:3])
            answer = self.ask("Jobs are running",
                              f"{len(running)} job(s) are still running ({names}).\n"
                              "Cancel them and close Resonote?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if self.is_modified() and self.model.tracks:
            Btn = QMessageBox.StandardButton
            answer = self.ask("Unsaved changes",
                              f"Save the changes to “{self.model.project.name}” before closing?",
                              Btn.Save | Btn.Discard | Btn.Cancel, Btn.Save)
            if answer == Btn.Cancel:
                event.ignore()
                return
            if answer == Btn.Save:
                event.ignore()
                self.save_project(on_saved=self.close_discarding)
                return
        self._shutdown()
        QApplication.instance().removeEventFilter(self._key_guard)
        event.accept()

    def close_discarding(self) -> None:
        """Close without asking about unsaved changes (used after a save on close)."""
        self.undo_stack.setClean()
        self._extra_dirty = False
        self.close()

    def _shutdown(self) -> None:
        if self._closing:
            return
        self._closing = True
        self.runner.cancel_all()
        self.runner.wait_all(timeout_s=15.0)
        self._stop_project_support()
        if hasattr(self.spectrogram, "shutdown"):
            self.spectrogram.shutdown()
        if self.playback is not None and hasattr(self.playback, "shutdown"):
            self.playback.shutdown()
        self.save_settings()
