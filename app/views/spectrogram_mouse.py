"""Mouse handling of the spectrogram pane (an event filter on its plot's viewport).

pyqtgraph's own panning and zooming are off; every gesture goes through
:class:`app.viewstate.ViewState` (time) or the pane's frequency view:

  wheel or Ctrl+wheel: zoom time at the mouse;  Shift+wheel: pan time;
  Alt+wheel: zoom frequency at the mouse;  double-click: show all frequencies;
  left drag: select a time range;  Shift+left drag (or the Box toggle): select
  a time x frequency box;  left click: clear the selection, move the playhead;
  middle drag or Ctrl+left drag: pan (time, and frequency when zoomed in);
  moving: report the cursor's time, frequency and level.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent

if TYPE_CHECKING:
    from app.views.spectrogram_pane import SpectrogramPane

#: Zoom factor per wheel notch (120 units).
WHEEL_ZOOM = 1.25
#: Pixels the mouse must move before a press becomes a drag.
DRAG_PX = 3


class SpectrogramMouse(QObject):
    """Turns mouse events on ``pane.plot.viewport()`` into ViewState changes."""

    def __init__(self, pane: SpectrogramPane) -> None:
        super().__init__(pane)
        self.pane = pane
        self.vs = pane.vs
        self._drag: dict | None = None
        pane.plot.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = ev.type()
        if kind == QEvent.Type.MouseButtonPress:
            return self._press(ev)
        if kind == QEvent.Type.MouseMove:
            return self._move(ev)
        if kind == QEvent.Type.MouseButtonRelease:
            return self._release(ev)
        if kind == QEvent.Type.MouseButtonDblClick:
            if ev.button() == Qt.MouseButton.LeftButton and self._inside(ev):
                self.pane.set_frequency_view(None)
                return True
        elif kind == QEvent.Type.Wheel:
            return self._wheel(ev)
        return False

    # -- geometry --------------------------------------------------------------------
    def _view_pos(self, ev) -> QPointF:
        plot = self.pane.plot
        return self.pane.vb.mapSceneToView(plot.mapToScene(ev.position().toPoint()))

    def _map(self, ev) -> tuple[QPointF, float, float]:
        """Widget pixel position, time (s) and frequency (Hz) of a mouse event."""
        p = self._view_pos(ev)
        fmap = self.pane.freq_map()
        hz = float(fmap.y_to_hz(p.y())) if fmap else math.nan
        return ev.position(), p.x(), hz

    def _inside(self, ev) -> bool:
        scene = self.pane.plot.mapToScene(ev.position().toPoint())
        return self.pane.vb.sceneBoundingRect().contains(scene)

    # -- buttons ---------------------------------------------------------------------
    def _press(self, ev: QMouseEvent) -> bool:
        if not self._inside(ev):
            return False
        px, t, hz = self._map(ev)
        mods, button = ev.modifiers(), ev.button()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and ctrl):
            self._drag = {"mode": "pan", "px": px, "range": self.vs.range,
                          "y": tuple(self.pane.vb.viewRange()[1]), "moved": False}
        elif button == Qt.MouseButton.LeftButton:
            box = bool(mods & Qt.KeyboardModifier.ShiftModifier) or self.pane.controls.box_mode
            self._drag = {"mode": "box" if box else "select", "px": px, "t": t, "hz": hz,
                          "moved": False}
        else:
            return False
        return True

    def _move(self, ev: QMouseEvent) -> bool:
        px, t, hz = self._map(ev)
        d = self._drag
        if self._inside(ev) or d:
            level = self.pane.level_at(t, hz) if math.isfinite(hz) else math.nan
            self.vs.set_cursor(t, hz, level)
        if d is None:
            return False
        dx, dy = px.x() - d["px"].x(), px.y() - d["px"].y()
        if abs(dx) + abs(dy) >= DRAG_PX:
            d["moved"] = True
        if not d["moved"]:
            return True
        if d["mode"] == "pan":
            self._pan(d, dx, dy)
        elif d["mode"] == "select":
            self.vs.set_selection(d["t"], t)
        elif math.isfinite(hz) and math.isfinite(d["hz"]):
            fmap = self.pane.freq_map()
            lo = float(fmap.y_to_hz(fmap.full_range()[0]))
            self.vs.set_selection(d["t"], t, max(lo, min(d["hz"], hz)), max(lo, d["hz"], hz))
        return True

    def _pan(self, d: dict, dx: float, dy: float) -> None:
        vb, fmap = self.pane.vb, self.pane.freq_map()
        r0, r1 = d["range"]
        sec_per_px = (r1 - r0) / max(1.0, vb.width())
        self.vs.set_range(r0 - dx * sec_per_px, r1 - dx * sec_per_px)
        if self.pane.frequency_view() is not None and fmap is not None:
            y0, y1 = d["y"]
            shift = dy * (y1 - y0) / max(1.0, vb.height())  # y grows upwards, pixels down
            lo, hi = fmap.full_range()
            shift = min(max(shift, lo - y0), hi - y1)
            f0, f1 = (float(v) for v in fmap.y_to_hz(np.array([y0 + shift, y1 + shift])))
            self.pane.set_frequency_view((f0, f1))

    def _release(self, ev: QMouseEvent) -> bool:
        d, self._drag = self._drag, None
        if d is None:
            return False
        if d["mode"] != "pan" and not d["moved"]:
            self.vs.clear_selection()
            self.vs.set_playhead(max(0.0, d["t"]))
        return True

    # -- wheel -----------------------------------------------------------------------
    def _wheel(self, ev: QWheelEvent) -> bool:
        if not self._inside(ev):
            return False
        p = self._view_pos(ev)
        mods = ev.modifiers()
        dy, dx = ev.angleDelta().y(), ev.angleDelta().x()
        r0, r1 = self.vs.range
        if mods & Qt.KeyboardModifier.AltModifier:  # Qt may turn Alt+wheel horizontal
            self._zoom_frequency(WHEEL_ZOOM ** ((dy or dx) / 120.0), p.y())
        elif mods & Qt.KeyboardModifier.ShiftModifier or (dx and not dy):
            self.vs.pan(-(dy or dx) / 120.0 * 0.1 * (r1 - r0))
        elif dy:
            self.vs.zoom(WHEEL_ZOOM ** (dy / 120.0), p.x())
        ev.accept()
        return True

    def _zoom_frequency(self, factor: float, y: float) -> None:
        fmap = self.pane.freq_map()
        if fmap is None or factor <= 0:
            return
        (y0, y1), (lo, hi) = self.pane.vb.viewRange()[1], fmap.full_range()
        n0, n1 = y - (y - y0) / factor, y + (y1 - y) / factor
        if n1 - n0 < (hi - lo) / 200:
            return
        n0, n1 = max(lo, n0), min(hi, n1)
        if n0 <= lo + 1e-9 and n1 >= hi - 1e-9:
            self.pane.set_frequency_view(None)
        else:
            self.pane.set_frequency_view(tuple(float(v) for v in fmap.y_to_hz(np.array([n0, n1]))))
