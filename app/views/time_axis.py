"""The shared time ruler and time formatting (h:mm:ss.mmm).

The ruler draws ticks whose spacing adapts to the zoom (always about one
label per 110 px) and follows :class:`app.viewstate.ViewState`.  Clicking or
dragging on it moves the playhead; Ctrl+wheel zooms like on a lane.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.theme import colours
from app.viewstate import ViewState

#: Tick steps in seconds, from 1 µs to 1 h.
_STEPS = [m * 10.0 ** e for e in range(-6, 1) for m in (1, 2, 5)] + [
    10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]


def format_time(t: float, decimals: int = 3) -> str:
    """``h:mm:ss.mmm`` (e.g. ``0:01:02.345``); ``—`` for NaN."""
    if t is None or not math.isfinite(t):
        return "—"
    sign = "-" if t < 0 else ""
    t = abs(t)
    scale = 10 ** decimals
    total = int(round(t * scale))
    whole, frac = divmod(total, scale)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    tail = f".{frac:0{decimals}d}" if decimals > 0 else ""
    return f"{sign}{h}:{m:02d}:{s:02d}{tail}"


def tick_step(span_s: float, width_px: float, min_px: float = 110.0) -> float:
    """The smallest step from :data:`_STEPS` that leaves ``min_px`` between labels."""
    if width_px <= 0 or span_s <= 0:
        return 1.0
    want = span_s * min_px / width_px
    for step in _STEPS:
        if step >= want:
            return step
    return _STEPS[-1] * math.ceil(want / _STEPS[-1])


def tick_label(t: float, step: float) -> str:
    """Label for a tick: as short as the step allows (``1:05``, ``0:01.250``, ``1:02:03``)."""
    decimals = 0 if step >= 1 else min(6, int(math.ceil(-math.log10(step) - 1e-9)))
    text = format_time(t, decimals)
    if text.startswith("0:") and t < 3600:
        text = text[2:]
        if text.startswith("0") and len(text) > 1 and text[1] != ":":
            text = text[1:]
    return text


class TimeRuler(QWidget):
    """Horizontal ruler of the visible time range."""

    HEIGHT = 26

    def __init__(self, view_state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vs = view_state
        self.setFixedHeight(self.HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click or drag to move the playhead; Ctrl+wheel zooms")
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        self.setFont(font)
        for sig in (view_state.rangeChanged, view_state.selectionChanged,
                    view_state.playheadChanged):
            sig.connect(self.update)

    def x_to_t(self, x: float) -> float:
        t0, t1 = self.vs.range
        return t0 + (t1 - t0) * x / max(1, self.width())

    def t_to_x(self, t: float) -> float:
        t0, t1 = self.vs.range
        return (t - t0) / max(1e-12, t1 - t0) * self.width()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API)
        c = colours()
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), QColor(c.header))
        t0, t1 = self.vs.range
        if self.vs.has_selection:
            s0, s1 = self.vs.selection[:2]
            sel = QColor(c.selection)
            sel.setAlpha(70)
            p.fillRect(QRectF(self.t_to_x(s0), 0, self.t_to_x(s1) - self.t_to_x(s0), h), sel)
        step = tick_step(t1 - t0, w)
        minor = step / 5 if step * 5 not in (15, 75) else step / 3
        p.setPen(QPen(QColor(c.text_dim), 1))
        first = math.floor(t0 / minor)
        n = int((t1 - t0) / minor) + 2
        for i in range(n):
            t = (first + i) * minor
            x = round(self.t_to_x(t)) + 0.5
            major = abs(t / step - round(t / step)) < 1e-6
            p.drawLine(QPointF(x, h - (9 if major else 4)), QPointF(x, h))
            if major and t >= -1e-9:
                p.setPen(QColor(c.text))
                p.drawText(QPointF(x + 4, h - 11), tick_label(max(0.0, t), step))
                p.setPen(QPen(QColor(c.text_dim), 1))
        p.setPen(QPen(QColor(c.border), 1))
        p.drawLine(0, h - 1, w, h - 1)
        x = self.t_to_x(self.vs.playhead)
        if -5 <= x <= w + 5:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(c.playhead))
            p.drawPolygon([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 9)])
        p.end()

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.LeftButton:
            self.vs.set_playhead(max(0.0, self.x_to_t(e.position().x())))

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.buttons() & Qt.MouseButton.LeftButton:
            self.vs.set_playhead(max(0.0, self.x_to_t(e.position().x())))

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802
        from app.views.waveform import handle_wheel

        if not handle_wheel(self.vs, e, self.x_to_t(e.position().x()), self.width()):
            e.ignore()
