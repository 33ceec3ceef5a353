"""Notes (and a pitch curve) drawn over the spectrogram pane.

Each note is a rectangle spanning its time and its pitch's frequency band
(half a semitone either side of the note's frequency), mapped through the
pane's current frequency scale (:meth:`SpectrogramPane.freq_map`), so it sits
on the note's fundamental in linear, log and mel views.  The overlay redraws
whenever the pane recomputes (scale, FFT size) or its settings change.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from core.notes.types import Note

#: Drawn above the spectrogram images, below the selection (10) and playhead (20).
Z_NOTES = 5
Z_PITCH = 6


def midi_to_hz(midi) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


class _NoteRects(pg.GraphicsObject):
    """Rectangles in view coordinates, painted with cosmetic pens."""

    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QRectF] = []
        self.selected: set[int] = set()
        self.alphas: list[float] = []
        self._bounds = QRectF()
        self.colour = QColor("#7ee0ff")

    def set_rects(self, rects: list[QRectF], alphas: list[float], selected: set[int]) -> None:
        self.prepareGeometryChange()
        self.rects, self.alphas, self.selected = rects, alphas, selected
        bounds = QRectF()
        for r in rects:
            bounds = bounds.united(r)
        self._bounds = bounds
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def paint(self, p: QPainter, *_args) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for i, (r, a) in enumerate(zip(self.rects, self.alphas, strict=True)):
            sel = i in self.selected
            edge = QColor("#ffd166") if sel else QColor(self.colour)
            pen = QPen(edge, 2.0 if sel else 1.3)
            pen.setCosmetic(True)
            fill = QColor(edge)
            fill.setAlpha(int(40 + 70 * a))
            p.setPen(pen)
            p.setBrush(QBrush(fill))
            p.drawRect(r)


class NotesOverlay(QObject):
    """Draws notes and an optional pitch curve on a :class:`SpectrogramPane`.

    Parameters
    ----------
    pane : SpectrogramPane
        Its ``vb`` (ViewBox) receives the items; its ``freq_map()`` places them.
    """

    def __init__(self, pane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pane = pane
        self._notes: list[Note] = []
        self._selected: set[int] = set()
        self._curve_t: np.ndarray | None = None
        self._curve_hz: np.ndarray | None = None
        self._visible = True
        self.rect_item = _NoteRects()
        self.rect_item.setZValue(Z_NOTES)
        self.curve_item = pg.PlotCurveItem(pen=pg.mkPen("#ff7edb", width=2), connect="finite")
        self.curve_item.setZValue(Z_PITCH)
        for item in (self.rect_item, self.curve_item):
            pane.vb.addItem(item, ignoreBounds=True)
        self.curve_item.hide()
        pane.imageUpdated.connect(lambda _kind: self.redraw())
        pane.settingsChanged.connect(lambda _s: self.redraw())

    # -- data ------------------------------------------------------------------------
    def set_notes(self, notes: list[Note], selected=()) -> None:
        """Notes in project time (seconds)."""
        self._notes = list(notes)
        self._selected = set(selected)
        self.redraw()

    def set_selected(self, selected) -> None:
        self._selected = set(selected)
        self.redraw()

    def set_pitch_curve(self, times_s: np.ndarray | None, f0_hz: np.ndarray | None) -> None:
        """A pitch curve in project time; NaN in ``f0_hz`` leaves gaps.  None removes it."""
        if times_s is None or f0_hz is None:
            self._curve_t = self._curve_hz = None
        else:
            self._curve_t = np.asarray(times_s, dtype=np.float64)
            self._curve_hz = np.asarray(f0_hz, dtype=np.float64)
        self.redraw()

    def set_visible(self, notes: bool, curve: bool | None = None) -> None:
        self._visible = bool(notes)
        self.rect_item.setVisible(self._visible)
        if curve is not None:
            self.curve_item.setVisible(bool(curve) and self._curve_t is not None)

    @property
    def has_curve(self) -> bool:
        return self._curve_t is not None

    # -- geometry ----------------------------------------------------------------------
    def band_y(self, pitch: float) -> tuple[float, float]:
        """The view-y extent of ``pitch``'s band (a semitone wide) on the pane's scale."""
        fmap = self.pane.freq_map()
        lo, hi = midi_to_hz([pitch - 0.5, pitch + 0.5])
        if fmap is None:
            return float(lo), float(hi)
        y = fmap.hz_to_y(np.array([lo, hi]))
        return float(y[0]), float(y[1])

    def note_rects(self) -> list[QRectF]:
        """One rectangle per note, in view coordinates (x seconds, y the pane's coordinate)."""
        return list(self.rect_item.rects)

    def redraw(self) -> None:
        fmap = self.pane.freq_map()
        if fmap is None or not self._notes:
            self.rect_item.set_rects([], [], set())
        else:
            pitches = np.array([n.pitch for n in self._notes], dtype=np.float64)
            edges = fmap.hz_to_y(midi_to_hz(np.stack([pitches - 0.5, pitches + 0.5], axis=1)))
            rects = [QRectF(n.start_s, float(y0), n.duration_s, float(y1 - y0))
                     for n, (y0, y1) in zip(self._notes, edges, strict=True)]
            self.rect_item.set_rects(rects, [n.amplitude for n in self._notes], self._selected)
        if fmap is None or self._curve_t is None:
            self.curve_item.setData([], [])
            self.curve_item.hide()
        else:
            with np.errstate(invalid="ignore"):
                y = np.where(np.isfinite(self._curve_hz) & (self._curve_hz > 0),
                             fmap.hz_to_y(np.nan_to_num(self._curve_hz, nan=1.0)), np.nan)
            self.curve_item.setData(self._curve_t, y)
            self.curve_item.setVisible(True)

    def remove(self) -> None:
        for item in (self.rect_item, self.curve_item):
            self.pane.vb.removeItem(item)
