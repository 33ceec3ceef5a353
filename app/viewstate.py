"""The state every view shares: one time axis, one selection, one cursor, one playhead.

Views (waveform lanes, spectrogram, piano roll, transcript) observe a single
:class:`ViewState` and write to it; none of them talks to another directly.
Times are seconds from the start of the project, frequencies Hz.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal


class ViewState(QObject):
    """Shared view model.

    Signals
    -------
    rangeChanged(t0: float, t1: float)
        Visible time range in seconds.
    selectionChanged(t0: float, t1: float, f0: float, f1: float)
        Selected region; ``t0 == t1`` means no selection; ``f0``/``f1`` are NaN
        unless a time x frequency box was drawn on the spectrogram.
    cursorChanged(t: float, f: float, level_db: float)
        Mouse position; ``f``/``level_db`` NaN where the view has no such axis.
    playheadChanged(t: float)
        Playback position, seconds.
    durationChanged(d: float)
        Length of the longest track, seconds.
    """

    rangeChanged = Signal(float, float)
    selectionChanged = Signal(float, float, float, float)
    cursorChanged = Signal(float, float, float)
    playheadChanged = Signal(float)
    durationChanged = Signal(float)

    #: Narrowest view: a few samples across the screen at 192 kHz.
    MIN_SPAN_S = 20.0 / 192000

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._duration = 0.0
        self._range = (0.0, 1.0)
        self._selection = (0.0, 0.0, math.nan, math.nan)
        self._cursor = (math.nan, math.nan, math.nan)
        self._playhead = 0.0

    # -- duration -------------------------------------------------------------
    @property
    def duration(self) -> float:
        return self._duration

    def set_duration(self, d: float) -> None:
        d = max(0.0, float(d))
        if d != self._duration:
            self._duration = d
            self.durationChanged.emit(d)

    # -- visible range ----------------------------------------------------------
    @property
    def range(self) -> tuple[float, float]:
        return self._range

    def set_range(self, t0: float, t1: float) -> None:
        """Show ``[t0, t1]``, clamped to a little past the project's ends."""
        span = max(self.MIN_SPAN_S, float(t1) - float(t0))
        limit = max(self._duration, 1e-3)
        span = min(span, limit * 1.05)
        t0 = min(max(float(t0), -0.025 * limit), limit * 1.025 - span)
        new = (t0, t0 + span)
        if new != self._range:
            self._range = new
            self.rangeChanged.emit(*new)

    def zoom(self, factor: float, anchor_t: float | None = None) -> None:
        """Zoom by ``factor`` (>1 zooms in) keeping ``anchor_t`` (default: centre) still."""
        t0, t1 = self._range
        a = (t0 + t1) / 2 if anchor_t is None else anchor_t
        self.set_range(a - (a - t0) / factor, a + (t1 - a) / factor)

    def pan(self, dt: float) -> None:
        t0, t1 = self._range
        self.set_range(t0 + dt, t1 + dt)

    def zoom_to_fit(self) -> None:
        self.set_range(0.0, max(self._duration, 1e-3))

    def zoom_to_selection(self) -> None:
        t0, t1, _, _ = self._selection
        if t1 > t0:
            self.set_range(t0, t1)

    # -- selection ------------------------------------------------------------
    @property
    def selection(self) -> tuple[float, float, float, float]:
        return self._selection

    @property
    def has_selection(self) -> bool:
        return self._selection[1] > self._selection[0]

    def set_selection(self, t0: float, t1: float, f0: float = math.nan, f1: float = math.nan) -> None:
        t0, t1 = sorted((max(0.0, float(t0)), max(0.0, float(t1))))
        if self._duration:
            t0, t1 = min(t0, self._duration), min(t1, self._duration)
        if not (math.isnan(f0) or math.isnan(f1)):
            f0, f1 = sorted((float(f0), float(f1)))
        new = (t0, t1, f0, f1)
        if new != self._selection:
            self._selection = new
            self.selectionChanged.emit(*new)

    def clear_selection(self) -> None:
        self.set_selection(0.0, 0.0)

    # -- cursor and playhead -------------------------------------------------------
    @property
    def cursor(self) -> tuple[float, float, float]:
        return self._cursor

    def set_cursor(self, t: float, f: float = math.nan, level_db: float = math.nan) -> None:
        self._cursor = (float(t), float(f), float(level_db))
        self.cursorChanged.emit(*self._cursor)

    @property
    def playhead(self) -> float:
        return self._playhead

    def set_playhead(self, t: float) -> None:
        t = max(0.0, float(t))
        if t != self._playhead:
            self._playhead = t
            self.playheadChanged.emit(t)
