"""Line up the time axes of the views stacked under the track lanes.

The track lanes, the spectrogram and the piano roll share one time range
(:class:`app.viewstate.ViewState`), but each has its own left column (lane
headers, frequency axis, keyboard), so the same instant sits at a different x
in each.  :class:`TimeAxisAligner` widens each follower's left and right
margins so that, when its dock sits under (or over) the lanes, time t is at
the same screen x in every view — like the lanes of one editor.  Floating docks
and docks beside the lanes go back to their own narrow margins.

Followers provide ``set_time_margins(left_px, right_px)``, ``time_margins()``,
``time_bounds()`` (where the time axis would start/end with zero margins, in
the follower's pixels) and a class or instance default through
``DEFAULT_MARGINS``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QTimer
from PySide6.QtWidgets import QDockWidget, QWidget

_EVENTS = (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.LayoutRequest)


class TimeAxisAligner(QObject):
    """Keeps followers' time axes under ``reference`` (a widget spanning exactly the lanes'
    time axis, e.g. the tracks area's ruler)."""

    #: Widest left margin a follower is given (beyond this the layout is not "stacked").
    MAX_LEFT = 480

    def __init__(self, reference: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reference = reference
        self.followers: list[tuple[Any, QDockWidget | None, tuple[int, int]]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.align)
        reference.installEventFilter(self)

    def add(self, widget: Any, dock: QDockWidget | None = None) -> None:
        """Align ``widget`` (inside ``dock``, if any) from now on."""
        self.followers.append((widget, dock, tuple(widget.time_margins())))
        widget.installEventFilter(self)
        if dock is not None:
            dock.installEventFilter(self)
            dock.topLevelChanged.connect(self.schedule)
            dock.dockLocationChanged.connect(self.schedule)
            dock.visibilityChanged.connect(self.schedule)
        self.schedule()

    def schedule(self, *_args) -> None:
        self._timer.start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in _EVENTS:
            self.schedule()
        return False

    def align(self) -> None:
        ref = self.reference
        if not ref.isVisible() or ref.width() <= 0:
            return
        rx0 = ref.mapToGlobal(QPoint(0, 0)).x()
        rx1 = rx0 + ref.width()
        for widget, dock, default in self.followers:
            if not widget.isVisible():
                continue
            wx = widget.mapToGlobal(QPoint(0, 0)).x()
            overlap = min(wx + widget.width(), rx1) - max(wx, rx0)
            floating = dock is not None and dock.isFloating()
            b0, b1 = widget.time_bounds()
            left = rx0 - (wx + b0)
            right = (wx + b1) - rx1
            stacked = (not floating and overlap >= 0.6 * (rx1 - rx0)
                       and default[0] <= left <= self.MAX_LEFT and right >= 0)
            widget.set_time_margins(*((left, right) if stacked else default))
