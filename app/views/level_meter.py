"""An input level meter: per-channel peak and RMS bars, peak-hold, clip lamps, dB scale.

The widget only paints what it is given (:meth:`LevelMeter.set_levels`); the
ballistics (peak fall-off, RMS averaging, hold time, clip latch) are the
engine's (:class:`core.record.Meters`).  A caller polls the recorder on a
timer (~30 Hz) and hands each reading over.

Layout, for each channel: a label, a bar and a clip lamp.  The bar shows the
peak as a light band and the RMS as a solid band in front of it, coloured by
zone (green below −18 dBFS, yellow up to −6, red above), the peak-hold as a
thin line and its value in dB at the right.  A dB scale runs under the bars.
Clicking a clip lamp (or anywhere on the meter) clears the clip lamps and the
peak-hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Lowest level the bars show, dBFS (quieter reads as empty).
METER_FLOOR_DB = -60.0
#: Scale marks under the bars, dBFS.
SCALE_MARKS = (-60, -48, -36, -24, -18, -12, -6, 0)
#: Zone boundaries: green below the first, yellow below the second, red above.
ZONES_DB = (-18.0, -6.0)
_ZONE_COLOURS = (("#3fbf6a", "#2a6b42"), ("#e3c341", "#7a6a2a"), ("#ef5b4f", "#7c3430"))

_BAR_H = 16
_GAP = 6
_LABEL_W = 18
_LAMP_W = 30
_VALUE_W = 44
_SCALE_H = 16


def _channel_labels(n: int) -> list[str]:
    if n == 1:
        return ["M"]
    if n == 2:
        return ["L", "R"]
    return [str(i + 1) for i in range(n)]


class LevelMeter(QWidget):
    """Horizontal peak/RMS meters for ``channels`` channels.

    Signals
    -------
    clipResetRequested()
        The user clicked the meter to clear the clip lamps and the peak-hold.
    """

    clipResetRequested = Signal()

    def __init__(self, channels: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelMeter")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Input level: peak (light), RMS (solid), peak-hold (line, value at the "
                        "right).  A red CLIP lamp means a sample reached full scale; click the "
                        "meter to reset it.")
        self.active = False
        self.set_channels(channels)

    # -- data ---------------------------------------------------------------------------
    def set_channels(self, channels: int, labels: Sequence[str] | None = None) -> None:
        """Show ``channels`` meters (all at the floor, clip lamps off)."""
        n = max(1, int(channels))
        self.labels = list(labels) if labels is not None else _channel_labels(n)
        self.peak_db = np.full(n, -np.inf)
        self.rms_db = np.full(n, -np.inf)
        self.hold_db = np.full(n, -np.inf)
        self.clipped = np.zeros(n, dtype=bool)
        self.updateGeometry()
        self.update()

    @property
    def channels(self) -> int:
        return int(self.peak_db.shape[0])

    def set_levels(self, peak_db: Sequence[float], rms_db: Sequence[float],
                   hold_db: Sequence[float], clipped: Sequence[bool]) -> None:
        """Show one reading (dBFS per channel; ``clipped`` per channel)."""
        peak = np.asarray(peak_db, dtype=np.float64)
        if peak.shape[0] != self.channels:
            self.set_channels(peak.shape[0])
        self.peak_db = peak.copy()
        self.rms_db = np.asarray(rms_db, dtype=np.float64).copy()
        self.hold_db = np.asarray(hold_db, dtype=np.float64).copy()
        self.clipped = np.asarray(clipped, dtype=bool).copy()
        self.active = True
        self.update()

    def reset(self) -> None:
        """Back to silence (no input open)."""
        self.active = False
        self.set_channels(self.channels, self.labels)

    # -- geometry ---------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(320, self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(200, self._height())

    def _height(self) -> int:
        return self.channels * _BAR_H + (self.channels - 1) * _GAP + _GAP + _SCALE_H

    def _bar_span(self) -> tuple[float, float]:
        x0 = _LABEL_W + 4
        x1 = self.width() - _LAMP_W - _VALUE_W - 8
        return float(x0), float(max(x0 + 10, x1))

    def x_of(self, db: float) -> float:
        """Pixel column of level ``db`` on the bars."""
        x0, x1 = self._bar_span()
        f = (min(max(db, METER_FLOOR_DB), 0.0) - METER_FLOOR_DB) / -METER_FLOOR_DB
        return x0 + f * (x1 - x0)

    # -- painting -------------------------------------------------------------------------------
    def paintEvent(self, _e: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pal = self.palette()
        text = pal.windowText().color()
        dim = QColor(text)
        dim.setAlpha(150)
        trough = pal.base().color().darker(130)
        x0, x1 = self._bar_span()
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        for ch in range(self.channels):
            y = ch * (_BAR_H + _GAP)
            p.setPen(dim)
            p.setFont(self.font())
            p.drawText(QRectF(0, y, _LABEL_W, _BAR_H), Qt.AlignmentFlag.AlignCenter,
                       self.labels[ch] if ch < len(self.labels) else str(ch + 1))
            p.fillRect(QRectF(x0, y, x1 - x0, _BAR_H), trough)
            self._paint_bar(p, y, float(self.peak_db[ch]), light=True)
            self._paint_bar(p, y + 3, float(self.rms_db[ch]), light=False, height=_BAR_H - 6)
            hold = float(self.hold_db[ch])
            if hold > METER_FLOOR_DB:
                hx = self.x_of(hold)
                p.setPen(QPen(QColor(self._zone(hold)[0]).lighter(130), 2))
                p.drawLine(int(hx), int(y), int(hx), int(y + _BAR_H - 1))
            p.setPen(text if hold > METER_FLOOR_DB else dim)
            p.setFont(small)
            value = f"{hold:+.1f}" if hold > METER_FLOOR_DB else "−∞"
            p.drawText(QRectF(x1 + 4, y, _VALUE_W, _BAR_H),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       value.replace("-", "−"))
            lamp = self.lamp_rect(ch)
            on = bool(self.clipped[ch])
            p.fillRect(lamp, QColor("#e0302a") if on else trough)
            p.setPen(QColor("#ffffff") if on else dim)
            p.drawText(lamp, Qt.AlignmentFlag.AlignCenter, "CLIP")
        # zone tint on the trough edges: where the zones start
        y_scale = self.channels * (_BAR_H + _GAP)
        p.setFont(small)
        for db in SCALE_MARKS:
            x = self.x_of(db)
            p.setPen(dim)
            p.drawLine(int(x), y_scale, int(x), y_scale + 3)
            label = "0" if db == 0 else f"−{-db}"
            p.drawText(QRectF(x - 16, y_scale + 2, 32, _SCALE_H - 2),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)
        p.end()

    def lamp_rect(self, ch: int) -> QRectF:
        """Where channel ``ch``'s clip lamp is drawn."""
        y = ch * (_BAR_H + _GAP)
        return QRectF(self.width() - _LAMP_W, y, _LAMP_W, _BAR_H)

    @staticmethod
    def _zone(db: float) -> tuple[str, str]:
        if db < ZONES_DB[0]:
            return _ZONE_COLOURS[0]
        if db < ZONES_DB[1]:
            return _ZONE_COLOURS[1]
        return _ZONE_COLOURS[2]

    def _paint_bar(self, p: QPainter, y: float, db: float, *, light: bool,
                   height: float = _BAR_H) -> None:
        """Fill from the floor to ``db``, zone by zone (each zone keeps its colour)."""
        if not np.isfinite(db) or db <= METER_FLOOR_DB:
            return
        edges = [METER_FLOOR_DB, *ZONES_DB, 0.0]
        for i, colours in enumerate(_ZONE_COLOURS):
            lo, hi = edges[i], edges[i + 1]
            if db <= lo:
                break
            xa, xb = self.x_of(lo), self.x_of(min(db, hi))
            colour = QColor(colours[1] if light else colours[0])
            p.fillRect(QRectF(xa, y, max(1.0, xb - xa), height), colour)

    # -- interaction ------------------------------------------------------------------------------
    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if e.button() == Qt.MouseButton.LeftButton:
            self.clipResetRequested.emit()
            e.accept()
            return
        super().mousePressEvent(e)
