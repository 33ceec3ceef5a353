"""One track's lane: a header with its controls, and its waveform.

The lane never changes the project itself: it emits requests (rename, mute,
gain...) that the main window turns into undoable commands, and it shows
whatever the project model says (:meth:`TrackLane.refresh`).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.views.time_axis import format_time
from app.views.waveform import WaveformView
from app.viewstate import ViewState

HEADER_WIDTH = 236
LANE_HEIGHT = 118
GAIN_MIN_DB, GAIN_MAX_DB = -60.0, 12.0


def describe_audio(audio) -> str:
    """``'Stereo · 44.1 kHz · 0:03:25'`` for a track's info line."""
    ch = {1: "Mono", 2: "Stereo"}.get(audio.channels, f"{audio.channels} ch")
    khz = audio.sr / 1000
    rate = f"{khz:g} kHz"
    return f"{ch} · {rate} · {format_time(audio.duration_s, 0)}"


class _NameLabel(QLabel):
    doubleClicked = Signal()

    def mouseDoubleClickEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self.doubleClicked.emit()
        e.accept()


class _DragHandle(QLabel):
    """Grip to drag a track out of the window (as a WAV file) or to another position."""

    dragStarted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("⠿", parent)
        self.setToolTip("Drag to reorder, or drag out of Resonote to export as WAV")
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setFixedWidth(14)
        self._start: QPoint | None = None

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.LeftButton:
            self._start = e.position().toPoint()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if self._start is None:
            return
        if (e.position().toPoint() - self._start).manhattanLength() >= \
                QApplication.startDragDistance():
            self._start = None
            self.dragStarted.emit()

    def mouseReleaseEvent(self, _e: QMouseEvent) -> None:  # noqa: N802
        self._start = None


class TrackLane(QFrame):
    """Header (name, colour, M/S, A/B, gain, menu) + :class:`WaveformView`."""

    activated = Signal(str)
    renameRequested = Signal(str, str)
    muteRequested = Signal(str, bool)
    soloRequested = Signal(str, bool)
    gainRequested = Signal(str, float)
    colourRequested = Signal(str)
    moveRequested = Signal(str, int)  # delta
    removeRequested = Signal(str)
    exportRequested = Signal(str)
    abRequested = Signal(str, bool)
    dragRequested = Signal(str)

    def __init__(self, track, view_state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track_id = track.id
        self.setFixedHeight(LANE_HEIGHT)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)

        header = QFrame()
        header.setObjectName("laneHeader")
        header.setFixedWidth(HEADER_WIDTH)
        self.header = header
        col = QVBoxLayout(header)
        col.setContentsMargins(6, 6, 8, 6)
        col.setSpacing(4)

        top = QHBoxLayout()
        top.setSpacing(5)
        self.handle = _DragHandle()
        self.handle.dragStarted.connect(lambda: self.dragRequested.emit(self.track_id))
        self.colour_button = QToolButton()
        self.colour_button.setFixedSize(14, 14)
        self.colour_button.setToolTip("Track colour")
        self.colour_button.clicked.connect(lambda: self.colourRequested.emit(self.track_id))
        self.name_label = _NameLabel()
        self.name_label.setObjectName("laneName")
        self.name_label.setToolTip("Double-click to rename")
        self.name_label.doubleClicked.connect(self.start_rename)
        self.name_edit = QLineEdit()
        self.name_edit.editingFinished.connect(self._finish_rename)
        self.name_stack = QStackedWidget()
        self.name_stack.addWidget(self.name_label)
        self.name_stack.addWidget(self.name_edit)
        self.name_stack.setFixedHeight(24)
        self.menu_button = QToolButton()
        self.menu_button.setText("⋮")
        self.menu_button.setAutoRaise(True)
        self.menu_button.setToolTip("Track menu")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setMenu(self._make_menu())
        top.addWidget(self.handle)
        top.addWidget(self.colour_button)
        top.addWidget(self.name_stack, 1)
        top.addWidget(self.menu_button)
        col.addLayout(top)

        self.info_label = QLabel()
        self.info_label.setObjectName("laneInfo")
        col.addWidget(self.info_label)

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self.mute_button = self._toggle("M", "mute", "Mute this track (M)")
        self.mute_button.toggled.connect(lambda on: self.muteRequested.emit(self.track_id, on))
        self.solo_button = self._toggle("S", "solo", "Solo this track (S)")
        self.solo_button.toggled.connect(lambda on: self.soloRequested.emit(self.track_id, on))
        self.ab_button = self._toggle("A/B", "ab", "On: hear the track this one was made "
                                      "from instead, at the same playhead position")
        self.ab_button.setStyleSheet("min-width: 30px; max-width: 30px;")
        self.ab_button.toggled.connect(lambda on: self.abRequested.emit(self.track_id, on))
        buttons.addWidget(self.mute_button)
        buttons.addWidget(self.solo_button)
        buttons.addWidget(self.ab_button)
        buttons.addStretch(1)
        self.gain_label = QLabel()
        self.gain_label.setObjectName("laneGain")
        buttons.addWidget(self.gain_label)
        col.addLayout(buttons)

        self.gain_slider = QSlider(Qt.Orientation.Horizontal)
        self.gain_slider.setRange(int(GAIN_MIN_DB * 10), int(GAIN_MAX_DB * 10))
        self.gain_slider.setSingleStep(5)
        self.gain_slider.setPageStep(30)
        self.gain_slider.setToolTip("Gain (dB) for playback and mix-down")
        self.gain_slider.valueChanged.connect(
            lambda v: self.gainRequested.emit(self.track_id, v / 10.0))
        col.addWidget(self.gain_slider)
        col.addStretch(1)
        row.addWidget(header)

        self.waveform = WaveformView(view_state)
        self.waveform.activated.connect(lambda: self.activated.emit(self.track_id))
        row.addWidget(self.waveform, 1)
        self.refresh(track)

    def _toggle(self, text: str, role: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setCheckable(True)
        b.setObjectName("laneToggle")
        b.setProperty("role", role)
        b.setToolTip(tip)
        return b

    def _make_menu(self) -> QMenu:
        menu = QMenu(self)
        items = [
            ("Rename…", self.start_rename),
            ("Colour…", lambda: self.colourRequested.emit(self.track_id)),
            (None, None),
            ("Move Up", lambda: self.moveRequested.emit(self.track_id, -1)),
            ("Move Down", lambda: self.moveRequested.emit(self.track_id, 1)),
            (None, None),
            ("Export Track…", lambda: self.exportRequested.emit(self.track_id)),
            ("Remove Track", lambda: self.removeRequested.emit(self.track_id)),
        ]
        for text, slot in items:
            if text is None:
                menu.addSeparator()
            else:
                act = QAction(text, menu)
                act.triggered.connect(slot)
                menu.addAction(act)
        return menu

    # -- showing the model ---------------------------------------------------------------
    def refresh(self, track) -> None:
        """Show ``track``'s current name, colour, mute/solo, gain and A/B availability."""
        self.name_label.setText(track.name)
        self.name_label.setToolTip(f"{track.name}\nDouble-click to rename")
        colour = QColor(track.colour or "#4fa3ff")
        self.colour_button.setStyleSheet(
            f"background: {colour.name()}; border: 1px solid #00000060; border-radius: 3px;")
        self.waveform.colour = colour
        self.waveform.muted = bool(track.mute)
        self.info_label.setText(describe_audio(track.audio) + (
            f" · {track.kind}" if track.kind and track.kind != "original" else ""))
        for button, value in ((self.mute_button, track.mute), (self.solo_button, track.solo)):
            button.blockSignals(True)
            button.setChecked(bool(value))
            button.blockSignals(False)
        self.ab_button.setVisible(bool(track.source_id))
        self.gain_slider.blockSignals(True)
        self.gain_slider.setValue(int(round(track.gain_db * 10)))
        self.gain_slider.blockSignals(False)
        self.gain_label.setText(f"{track.gain_db:+.1f} dB")
        self.waveform.update()

    def set_ab_checked(self, on: bool) -> None:
        self.ab_button.blockSignals(True)
        self.ab_button.setChecked(on)
        self.ab_button.blockSignals(False)

    def set_current(self, current: bool) -> None:
        self.waveform.current = current
        self.header.setStyleSheet(
            "QFrame#laneHeader { border-left: 3px solid palette(highlight); }" if current else "")
        self.waveform.update()

    # -- rename -----------------------------------------------------------------------------
    def start_rename(self) -> None:
        self.name_edit.setText(self.name_label.text())
        self.name_stack.setCurrentWidget(self.name_edit)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _finish_rename(self) -> None:
        if self.name_stack.currentWidget() is not self.name_edit:
            return
        self.name_stack.setCurrentWidget(self.name_label)
        name = self.name_edit.text().strip()
        if name and name != self.name_label.text():
            self.renameRequested.emit(self.track_id, name)

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self.activated.emit(self.track_id)
        super().mousePressEvent(e)
