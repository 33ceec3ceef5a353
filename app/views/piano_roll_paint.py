"""Painting of the piano roll's time grid, notes and keyboard (split from piano_roll.py).

Functions take the :class:`app.views.piano_roll.PianoRoll` as ``roll``; ``p`` is an
active QPainter, ``r`` the roll area in widget pixels, ``c`` the theme colours.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from core.notes.types import midi_name

KEYBOARD_W = 70  # as wide as the spectrogram's frequency axis, so the time axes line up
RIGHT_MARGIN = 8  # the spectrogram plot's right margin
HEADER_H = 16
LOWEST, HIGHEST = 21, 108  # piano range (A0..C8)
_BLACK = {1, 3, 6, 8, 10}
_TIME_STEPS = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600)


def paint_time_grid(roll, p: QPainter, r: QRectF, c) -> None:
    t0, t1 = roll.vs.range
    span = max(t1 - t0, 1e-9)
    step = next((s for s in _TIME_STEPS if s / span * r.width() >= 70), _TIME_STEPS[-1])
    p.fillRect(QRectF(r.left(), 0, r.width(), HEADER_H), QColor(c.header))
    font = QFont(roll.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
    p.setFont(font)
    k = math.ceil(t0 / step)
    grid = QColor(c.grid)
    while k * step <= t1:
        t = k * step
        x = roll.x_of(t)
        p.setPen(QPen(grid, 1))
        p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        p.setPen(QColor(c.text_dim))
        label = f"{t:g}s" if t < 60 else f"{int(t // 60)}:{t % 60:04.1f}"
        p.drawText(QRectF(x + 3, 0, 80, HEADER_H), Qt.AlignmentFlag.AlignVCenter, label)
        k += 1


def paint_notes(roll, p: QPainter, r: QRectF, c) -> None:
    p.save()
    p.setClipRect(r)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    accent = QColor(c.accent)
    shown = roll._shown()
    selected = roll._selected if roll._preview is None else roll._drag.get("moved", set())
    font = QFont(roll.font())
    font.setPointSizeF(max(6.5, min(9.0, roll.row_height() * 0.55)))
    p.setFont(font)
    t0, t1 = roll.vs.range
    for i, n in enumerate(shown):
        if n.end_s < t0 or n.start_s > t1 or not roll._lo <= n.pitch <= roll._hi:
            continue
        rect = roll.note_rect(n).adjusted(0.5, 0.5, -0.5, -0.5)
        fill = QColor("#ffd166") if i in selected else QColor(accent)
        fill.setAlpha(int(110 + 145 * max(0.0, min(1.0, n.amplitude))))
        p.setBrush(fill)
        p.setPen(QPen(QColor("#ffffff") if i in selected else fill.darker(170), 1))
        p.drawRoundedRect(rect, 2.5, 2.5)
        if rect.width() > 30 and rect.height() >= 9:
            p.setPen(QColor("#101216"))
            p.drawText(rect.adjusted(3, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, n.name)
    p.restore()


def paint_keyboard(roll, p: QPainter, r: QRectF, c) -> None:
    rh = roll.row_height()
    x0 = roll.keyboard_w - KEYBOARD_W  # blank space left of the keys when the margin is wider
    p.fillRect(QRectF(0, 0, roll.keyboard_w, roll.height()), QColor(c.header))
    font = QFont(roll.font())
    font.setPointSizeF(max(6.5, min(8.5, rh * 0.6)))
    p.setFont(font)
    for pitch in range(roll._lo, roll._hi + 1):
        y = roll.y_of(pitch)
        black = pitch % 12 in _BLACK
        key = QRectF(x0, y, KEYBOARD_W - 1, rh)
        colour = QColor("#2a2d33") if black else QColor("#e8eaee")
        if pitch == roll._hover_pitch:
            colour = QColor(c.accent)
        p.fillRect(key if not black else key.adjusted(0, 0, -22, 0), colour)
        if black:
            p.fillRect(QRectF(x0 + KEYBOARD_W - 23, y, 22, rh), QColor("#e8eaee"))
        p.setPen(QPen(QColor("#9aa0aa"), 1))
        p.drawLine(QPointF(x0, y + rh), QPointF(x0 + KEYBOARD_W - 1, y + rh))
        if pitch % 12 == 0 or (rh >= 13 and not black):
            p.setPen(QColor("#1d2026") if not black or pitch == roll._hover_pitch
                     else QColor("#dde1e8"))
            p.drawText(key.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter
                       | Qt.AlignmentFlag.AlignLeft, midi_name(pitch))
    p.setPen(QPen(QColor(c.border), 1))
    p.drawLine(QPointF(roll.keyboard_w - 0.5, 0), QPointF(roll.keyboard_w - 0.5, roll.height()))
