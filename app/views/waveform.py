"""Waveform of one track, drawn from its min/max pyramid on the shared time axis.

Zoomed out, each pixel column shows the min..max envelope of the samples under
it (filled, per channel); zoomed in to fewer samples than pixels, the samples
themselves are drawn as a line with dots.  The cost of a paint scales with the
widget's width, never with the length of the audio.

Mouse (documented in Help > Keyboard and Mouse):
  left drag: select a time range (snapped to zero crossings when enabled);
  left click: clear the selection and move the playhead;
  Shift+click: extend the selection;  middle drag: pan;
  Ctrl+wheel: zoom at the mouse;  Shift+wheel or horizontal wheel: pan;
  plain wheel: scroll the list of tracks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.theme import colours
from app.viewstate import ViewState

#: Zoom factor for one wheel notch (120 units) and for one key press.
WHEEL_ZOOM = 1.25


def handle_wheel(vs: ViewState, e: QWheelEvent, anchor_t: float, width_px: int) -> bool:
    """Shared wheel behaviour of lanes and ruler; returns False if not handled."""
    mods = e.modifiers()
    dy, dx = e.angleDelta().y(), e.angleDelta().x()
    t0, t1 = vs.range
    if mods & Qt.KeyboardModifier.ControlModifier and dy:
        vs.zoom(WHEEL_ZOOM ** (dy / 120.0), anchor_t)
    elif mods & Qt.KeyboardModifier.ShiftModifier and (dy or dx):
        # Some platforms turn Shift+wheel into a horizontal wheel themselves.
        vs.pan(-(dy or dx) / 120.0 * 0.1 * (t1 - t0))
    elif dx and not dy:
        vs.pan(-dx / 120.0 * 0.1 * (t1 - t0))
    else:
        return False
    e.accept()
    return True


def _path(x: np.ndarray, y: np.ndarray) -> QPainterPath:
    from pyqtgraph.functions import arrayToQPath

    return arrayToQPath(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
                        connect="all")


class WaveformView(QWidget):
    """Paints one track's waveform; reports clicks, selection and cursor to ViewState.

    Signals
    -------
    activated()
        The user clicked this lane (it becomes the current track).
    """

    activated = Signal()

    def __init__(self, view_state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vs = view_state
        self.audio: Any = None
        self.pyramid: Any = None
        self.offset_s = 0.0
        self.colour = QColor(colours().accent)
        self.current = False
        self.muted = False
        #: Returns True when selections should snap to zero crossings.
        self.snap_enabled: Callable[[], bool] = lambda: False
        self._press: tuple[Qt.MouseButton, float, float] | None = None
        self._anchor_t = 0.0
        self.setMouseTracking(True)
        self.setMinimumHeight(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        view_state.rangeChanged.connect(self.update)
        view_state.selectionChanged.connect(self.update)
        view_state.playheadChanged.connect(self.update)
        view_state.cursorChanged.connect(self._cursor_moved)
        self._cursor_x = -1.0

    # -- data ----------------------------------------------------------------------------
    def set_track(self, audio: Any, pyramid: Any, offset_s: float = 0.0) -> None:
        self.audio, self.pyramid, self.offset_s = audio, pyramid, float(offset_s)
        self.update()

    # -- coordinates ---------------------------------------------------------------------
    def x_to_t(self, x: float) -> float:
        t0, t1 = self.vs.range
        return t0 + (t1 - t0) * x / max(1, self.width())

    def t_to_x(self, t: float) -> float:
        t0, t1 = self.vs.range
        return (t - t0) / max(1e-12, t1 - t0) * self.width()

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API)
        c = colours()
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), QColor(c.lane_selected if self.current else c.lane))
        if self.vs.has_selection:
            s0, s1 = self.vs.selection[:2]
            sel = QColor(c.selection)
            sel.setAlpha(60 if self.current else 38)
            x0, x1 = self.t_to_x(s0), self.t_to_x(s1)
            p.fillRect(QRectF(x0, 0, max(1.0, x1 - x0), h), sel)
        if self.audio is not None:
            self._paint_audio(p, w, h)
        x = self.t_to_x(self.vs.playhead)
        if 0 <= x <= w:
            p.setPen(QPen(QColor(c.playhead), 1.5))
            p.drawLine(QPointF(x, 0), QPointF(x, h))
        if 0 <= self._cursor_x <= w:
            cur = QColor(c.cursor)
            cur.setAlpha(110)
            p.setPen(QPen(cur, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(self._cursor_x, 0), QPointF(self._cursor_x, h))
        p.setPen(QPen(QColor(c.border), 1))
        p.drawLine(0, h - 1, w, h - 1)
        p.end()

    def _paint_audio(self, p: QPainter, w: int, h: int) -> None:
        c = colours()
        audio = self.audio
        n_ch = audio.channels
        band = h / n_ch
        colour = QColor(self.colour)
        if self.muted:
            colour.setAlpha(90)
        grid = QColor(c.grid)
        for ch in range(n_ch):
            mid = band * (ch + 0.5)
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(0, mid), QPointF(w, mid))
            if ch:
                p.drawLine(QPointF(0, band * ch), QPointF(w, band * ch))
        if self.pyramid is None:
            p.setPen(QColor(c.text_dim))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Computing waveform…")
            return
        t0, t1 = self.vs.range
        sr = audio.sr
        start = max(0, int(math.floor((t0 - self.offset_s) * sr)) - 1)
        stop = min(audio.frames, int(math.ceil((t1 - self.offset_s) * sr)) + 2)
        if stop - start < 1:
            return
        x_frames, mins, maxs = self.pyramid.envelope(start, stop, max(2, w))
        if len(x_frames) == 0:
            return
        px_per_frame = w / max(1e-12, (t1 - t0) * sr)
        xs = (self.offset_s + np.asarray(x_frames, dtype=np.float64) / sr - t0) * (w / (t1 - t0))
        raw = px_per_frame >= 1.0
        p.setRenderHint(QPainter.RenderHint.Antialiasing, raw)
        for ch in range(n_ch):
            mid = band * (ch + 0.5)
            scale = band * 0.46
            lo = mid - np.clip(mins[ch], -1.1, 1.1) * scale
            hi = mid - np.clip(maxs[ch], -1.1, 1.1) * scale
            if raw:
                p.setPen(QPen(colour, 1.3))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(_path(xs, hi))
                if px_per_frame >= 6:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(colour)
                    r = 2.4
                    for x, y in zip(xs, hi, strict=False):
                        p.drawEllipse(QPointF(x, y), r, r)
            else:
                # One filled outline: the maxima left to right, the minima back.
                hi_px = np.minimum(hi, mid - 0.5)
                lo_px = np.maximum(lo, mid + 0.5)
                path = _path(np.concatenate([xs, xs[::-1]]), np.concatenate([hi_px, lo_px[::-1]]))
                path.closeSubpath()
                p.setPen(QPen(colour, 1))
                fill = QColor(colour)
                fill.setAlpha(int(colour.alpha() * 0.85))
                p.setBrush(fill)
                p.drawPath(path)

    # -- cursor -----------------------------------------------------------------------------
    def _cursor_moved(self, t: float, _f: float, _level: float) -> None:
        x = self.t_to_x(t) if math.isfinite(t) else -1.0
        if x != self._cursor_x:
            old = self._cursor_x
            self._cursor_x = x
            for xx in (old, x):
                if 0 <= xx <= self.width():
                    self.update(int(xx) - 2, 0, 5, self.height())

    def _level_at(self, t: float) -> float:
        audio = self.audio
        if audio is None:
            return math.nan
        frame = int(round((t - self.offset_s) * audio.sr))
        half = max(1, audio.sr // 100)  # 20 ms window
        a, b = max(0, frame - half), min(audio.frames, frame + half)
        if b <= a:
            return math.nan
        from core.analysis import level_db

        return float(level_db(audio.samples, a, b))

    # -- mouse -----------------------------------------------------------------------------
    def _snapped(self, t: float) -> float:
        if self.audio is None or not self.snap_enabled():
            return t
        from app.tracks.snap import nearest_zero_crossing

        sr = self.audio.sr
        frame = int(round((t - self.offset_s) * sr))
        if not 0 <= frame < self.audio.frames:
            return t
        radius = max(1, int(0.01 * sr))
        return self.offset_s + nearest_zero_crossing(self.audio.samples, frame, radius) / sr

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        x = e.position().x()
        t = self.x_to_t(x)
        self._press = (e.button(), x, t)
        if e.button() == Qt.MouseButton.LeftButton:
            self.activated.emit()
            if e.modifiers() & Qt.KeyboardModifier.ShiftModifier and self.vs.has_selection:
                s0, s1 = self.vs.selection[:2]
                self._anchor_t = s0 if abs(t - s1) < abs(t - s0) else s1
                self.vs.set_selection(self._anchor_t, self._snapped(t))
            else:
                self._anchor_t = self._snapped(t)
        elif e.button() == Qt.MouseButton.MiddleButton:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        e.accept()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        x = e.position().x()
        t = self.x_to_t(x)
        self.vs.set_cursor(t, math.nan, self._level_at(t))
        if self._press is None:
            return
        button, x_press, _ = self._press
        if button == Qt.MouseButton.LeftButton and abs(x - x_press) >= 3:
            self.vs.set_selection(self._anchor_t, self._snapped(t))
        elif button == Qt.MouseButton.MiddleButton:
            t0, t1 = self.vs.range
            dx = x - x_press
            self._press = (button, x, t)
            self.vs.pan(-dx / max(1, self.width()) * (t1 - t0))

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if self._press is not None:
            button, x_press, t_press = self._press
            x = e.position().x()
            if button == Qt.MouseButton.LeftButton and abs(x - x_press) < 3 and not (
                    e.modifiers() & Qt.KeyboardModifier.ShiftModifier):
                self.vs.clear_selection()
                self.vs.set_playhead(max(0.0, t_press))
            if button == Qt.MouseButton.MiddleButton:
                self.setCursor(Qt.CursorShape.IBeamCursor)
        self._press = None

    def leaveEvent(self, _e) -> None:  # noqa: N802
        self.vs.set_cursor(math.nan)

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802
        if not handle_wheel(self.vs, e, self.x_to_t(e.position().x()), self.width()):
            e.ignore()  # plain wheel: let the track list scroll
