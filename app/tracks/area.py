"""The tracks area: the time ruler, the stacked lanes, and the horizontal scrollbar.

All lanes, the ruler and the scrollbar follow the one :class:`ViewState`.
Lanes are created/removed/reordered from :class:`ProjectModel` signals.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QScrollBar,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.project_model import ProjectModel
from app.tracks.lane import HEADER_WIDTH, TrackLane
from app.views.time_axis import TimeRuler
from app.viewstate import ViewState

#: Mime type of a track dragged inside Resonote (to reorder lanes).
TRACK_MIME = "application/x-resonote-track-id"


class _LaneList(QWidget):
    """The column of lanes; accepts internal track drags to reorder."""

    dropped = Signal(str, int)  # track id, new index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(1)
        self.column.addStretch(1)

    def _index_at(self, y: float) -> int:
        lanes = [self.column.itemAt(i).widget() for i in range(self.column.count() - 1)]
        for i, lane in enumerate(lanes):
            if y < lane.geometry().center().y():
                return i
        return max(0, len(lanes) - 1)

    def dragEnterEvent(self, e: QDragEnterEvent) -> None:  # noqa: N802
        if e.mimeData().hasFormat(TRACK_MIME):
            e.acceptProposedAction()
        else:
            e.ignore()

    def dragMoveEvent(self, e: QDragMoveEvent) -> None:  # noqa: N802
        if e.mimeData().hasFormat(TRACK_MIME):
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent) -> None:  # noqa: N802
        if not e.mimeData().hasFormat(TRACK_MIME):
            e.ignore()
            return
        track_id = bytes(e.mimeData().data(TRACK_MIME).data()).decode()
        self.dropped.emit(track_id, self._index_at(e.position().y()))
        e.setDropAction(Qt.DropAction.MoveAction)
        e.accept()


class TracksArea(QWidget):
    """Ruler + lanes + horizontal scrollbar.

    Signals
    -------
    laneAdded(TrackLane)
        A lane was created; the main window connects its requests.
    reorderRequested(id: str, index: int)
        A lane was dropped at a new position.
    """

    laneAdded = Signal(object)
    reorderRequested = Signal(str, int)

    #: Scrollbar units per visible span.
    _PAGE = 1000

    def __init__(self, model: ProjectModel, view_state: ViewState,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.vs = model, view_state
        self._lanes: dict[str, TrackLane] = {}
        self.current_id: str | None = None
        self.snap_to_zero = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        sb_width = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)

        ruler_row = QHBoxLayout()
        ruler_row.setSpacing(0)
        corner = QLabel("  Tracks")
        corner.setObjectName("laneInfo")
        corner.setFixedWidth(HEADER_WIDTH)
        self.ruler = TimeRuler(view_state)
        ruler_row.addWidget(corner)
        ruler_row.addWidget(self.ruler, 1)
        ruler_row.addSpacing(sb_width)
        outer.addLayout(ruler_row)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lane_list = _LaneList()
        self.lane_list.dropped.connect(self.reorderRequested)
        self.scroll.setWidget(self.lane_list)
        self.empty_label = QLabel(
            "No tracks yet.\n\nOpen an audio file or project (Ctrl+O),\n"
            "or drop files here.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setObjectName("panelNote")
        outer.addWidget(self.empty_label, 1)
        outer.addWidget(self.scroll, 1)

        bar_row = QHBoxLayout()
        bar_row.setSpacing(0)
        bar_row.addSpacing(HEADER_WIDTH)
        self.hbar = QScrollBar(Qt.Orientation.Horizontal)
        self.hbar.setToolTip("Scroll through time (also: Shift+wheel, arrow keys, middle-drag)")
        bar_row.addWidget(self.hbar, 1)
        bar_row.addSpacing(sb_width)
        outer.addLayout(bar_row)

        self._unit = 1.0
        self._updating_bar = False
        self.hbar.valueChanged.connect(self._bar_moved)
        view_state.rangeChanged.connect(self._sync_bar)
        view_state.durationChanged.connect(self._sync_bar)

        model.projectReset.connect(self.rebuild)
        model.trackInserted.connect(self._inserted)
        model.trackRemoved.connect(self._removed)
        model.trackMoved.connect(self._moved)
        model.trackChanged.connect(self._changed)
        model.pyramidReady.connect(self._pyramid_ready)
        self.rebuild()

    # -- lanes ---------------------------------------------------------------------------
    def lane(self, track_id: str) -> TrackLane | None:
        return self._lanes.get(track_id)

    def lanes(self) -> list[TrackLane]:
        col = self.lane_list.column
        return [col.itemAt(i).widget() for i in range(col.count() - 1)]

    def rebuild(self) -> None:
        for lane in list(self._lanes.values()):
            self.lane_list.column.removeWidget(lane)
            lane.deleteLater()
        self._lanes.clear()
        for i, track in enumerate(self.model.tracks):
            self._inserted(track.id, i)
        self._update_empty()

    def _inserted(self, track_id: str, index: int) -> None:
        track = self.model.track(track_id)
        lane = TrackLane(track, self.vs)
        lane.waveform.snap_enabled = lambda: self.snap_to_zero
        lane.waveform.set_track(track.audio, self.model.pyramid(track_id), track.offset_s)
        self._lanes[track_id] = lane
        self.lane_list.column.insertWidget(index, lane)
        lane.set_current(track_id == self.current_id)
        self._update_empty()
        self.laneAdded.emit(lane)

    def _removed(self, track_id: str) -> None:
        lane = self._lanes.pop(track_id, None)
        if lane is not None:
            self.lane_list.column.removeWidget(lane)
            lane.hide()
            lane.deleteLater()
        self._update_empty()

    def _moved(self, track_id: str, index: int) -> None:
        lane = self._lanes.get(track_id)
        if lane is None:
            return
        self.lane_list.column.removeWidget(lane)
        self.lane_list.column.insertWidget(index, lane)

    def _changed(self, track_id: str, field: str) -> None:
        lane = self._lanes.get(track_id)
        if lane is not None:
            track = self.model.track(track_id)
            lane.refresh(track)
            if field == "offset_s":
                lane.waveform.set_track(track.audio, self.model.pyramid(track_id), track.offset_s)

    def _pyramid_ready(self, track_id: str) -> None:
        lane = self._lanes.get(track_id)
        if lane is not None:
            track = self.model.track(track_id)
            lane.waveform.set_track(track.audio, self.model.pyramid(track_id), track.offset_s)

    def set_current(self, track_id: str | None) -> None:
        self.current_id = track_id
        for tid, lane in self._lanes.items():
            lane.set_current(tid == track_id)
        lane = self._lanes.get(track_id or "")
        if lane is not None:
            self.scroll.ensureWidgetVisible(lane, 0, 0)

    def _update_empty(self) -> None:
        empty = not self._lanes
        self.empty_label.setVisible(empty)
        self.scroll.setVisible(not empty)

    # -- horizontal scrollbar <-> view range --------------------------------------------------
    def _sync_bar(self, *_args) -> None:
        t0, t1 = self.vs.range
        span = t1 - t0
        duration = max(self.vs.duration, t1)
        # One unit is span/1000, coarsened so the range fits in a 32-bit int.
        self._unit = max(span / self._PAGE, duration / 1e9, 1e-9)
        self._updating_bar = True
        try:
            self.hbar.setRange(0, max(0, int(round((duration - span) / self._unit))))
            self.hbar.setPageStep(max(1, int(round(span / self._unit))))
            self.hbar.setSingleStep(max(1, int(round(span / self._unit / 20))))
            self.hbar.setValue(int(round(max(0.0, t0) / self._unit)))
        finally:
            self._updating_bar = False

    def _bar_moved(self, value: int) -> None:
        if self._updating_bar:
            return
        t0, t1 = self.vs.range
        new_t0 = value * self._unit
        self.vs.set_range(new_t0, new_t0 + (t1 - t0))
