"""The frequency profile (spectrum) of the selection, or of the audio at the cursor.

Source, in order: the selection when there is one; else a short window
(:data:`CURSOR_WINDOW` samples) centred on the cursor; else on the playhead.
Updates are throttled to ~20 Hz.  Up to :data:`SYNC_LIMIT_S` of audio is
analysed on the UI thread (about 3 ms for 0.5 s of stereo 44.1 kHz on a
2-core CPU); longer selections are analysed in the background.  The x axis is log-frequency with note names; the
peak is marked with its note and frequency.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.theme import colours
from app.views.note_axis import FrequencyAxis, format_cents
from app.views.tile_worker import TileWorker
from app.viewstate import ViewState
from core.analysis import note_name, spectrum

#: Samples analysed around the cursor or playhead.
CURSOR_WINDOW = 8192
#: FFT size of the profile.
SPECTRUM_FFT = 8192
#: Longest stretch analysed on the UI thread, seconds.
SYNC_LIMIT_S = 0.5
#: Lowest frequency shown, Hz.
F_MIN = 20.0
DB_RANGE = (-110.0, 6.0)


def find_peak(freqs: np.ndarray, db: np.ndarray, f_min: float = F_MIN) -> tuple[float, float] | None:
    """Frequency (Hz, refined by parabolic interpolation) and level (dB) of the strongest bin."""
    ok = np.flatnonzero((freqs >= f_min) & np.isfinite(db))
    if ok.size == 0:
        return None
    k = int(ok[np.argmax(db[ok])])
    f, level = float(freqs[k]), float(db[k])
    if 0 < k < len(db) - 1 and np.isfinite(db[k - 1]) and np.isfinite(db[k + 1]):
        a, b, c = float(db[k - 1]), level, float(db[k + 1])
        denom = a - 2 * b + c
        # Only a true local maximum is refined (the strongest bin above f_min can sit on the
        # slope of a stronger one below it), and never by more than half a bin.
        if denom < 0 and b >= a and b >= c:
            p = min(0.5, max(-0.5, 0.5 * (a - c) / denom))
            f += p * (freqs[k + 1] - freqs[k - 1]) / 2
            level = b - 0.25 * (a - c) * p
    return f, level


class SpectrumView(QWidget):
    """dB-vs-frequency profile following a :class:`ViewState`.

    Signals
    -------
    updated()
        The curve was redrawn (also when it was cleared).
    """

    updated = Signal()

    def __init__(self, view_state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vs = view_state
        self._audio = None
        self._offset = 0.0
        self._peak: tuple[float, float] | None = None
        self._source = ""
        self._worker = TileWorker(self, threads=1)
        self._worker.finished.connect(lambda _k, _i, result: self._show(*result))
        self._worker.failed.connect(lambda _k, _i, msg: self._header.setText(f"Spectrum failed: {msg}"))
        self._timer = QTimer(self, singleShot=True, interval=50)
        self._timer.timeout.connect(self._update)
        self._build_ui()
        for sig in (view_state.selectionChanged, view_state.cursorChanged,
                    view_state.playheadChanged):
            sig.connect(self._request)
        view_state.cursorChanged.connect(self._show_cursor_freq)

    def _build_ui(self) -> None:
        c = colours()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self._header = QLabel("")
        self._header.setContentsMargins(6, 3, 6, 3)
        self._header.setStyleSheet(f"color: {c.text_dim};")
        layout.addWidget(self._header)
        self.freq_axis = FrequencyAxis("bottom", notes=True)
        self.freq_axis.set_mapping(lambda x: 10.0 ** np.asarray(x, dtype=np.float64),
                                   lambda hz: np.log10(np.maximum(np.asarray(hz, np.float64), 1e-9)),
                                   notes=True, linear=False)
        self.plot = pg.PlotWidget(background=c.background, axisItems={"bottom": self.freq_axis})
        layout.addWidget(self.plot, 1)
        pi = self.plot.getPlotItem()
        pi.hideButtons()
        pi.setMenuEnabled(False)
        pi.showGrid(x=True, y=True, alpha=0.15)
        pi.layout.setContentsMargins(0, 6, 10, 0)
        left = pi.getAxis("left")
        left.setLabel("dB")
        for axis in (left, self.freq_axis):
            axis.setPen(pg.mkPen(c.text_dim))
            axis.setTextPen(pg.mkPen(c.text))
        left.setWidth(44)
        self.vb = pi.getViewBox()
        self.vb.setMouseEnabled(False, False)
        self.vb.enableAutoRange(enable=False)
        self.vb.setYRange(*DB_RANGE, padding=0)
        self.vb.setXRange(math.log10(F_MIN), math.log10(22050), padding=0)
        fill = QColor(c.accent)
        fill.setAlpha(55)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(c.accent, width=1.5), fillLevel=DB_RANGE[0] - 50,
                                     brush=fill)
        self.vb.addItem(self.curve)
        band = QColor(c.selection)
        band.setAlpha(40)
        self._band = pg.LinearRegionItem((0, 0), movable=False, brush=band, pen=pg.mkPen(None))
        self._band.hide()
        self.vb.addItem(self._band, ignoreBounds=True)
        cross = QColor(c.cursor)
        cross.setAlpha(110)
        self._cursor_line = pg.InfiniteLine(angle=90, movable=False,
                                            pen=pg.mkPen(cross, width=1, style=Qt.PenStyle.DashLine))
        self._cursor_line.hide()
        self.vb.addItem(self._cursor_line, ignoreBounds=True)
        self._marker = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#ffffff", width=1.2),
                                          brush=pg.mkBrush("#ffcc33"))
        self.vb.addItem(self._marker)
        self._peak_text = pg.TextItem("", color="#ffe08a", anchor=(0.0, 1.0))
        self._peak_text.setZValue(5)
        self.vb.addItem(self._peak_text, ignoreBounds=True)
        self._placeholder = pg.TextItem("No audio", color=c.text_dim, anchor=(0.5, 0.5))
        self.vb.addItem(self._placeholder, ignoreBounds=True)
        self._placeholder.setPos(math.log10(600), sum(DB_RANGE) / 2)

    # -- public API ------------------------------------------------------------------
    def set_audio(self, audio, offset_s: float = 0.0) -> None:
        """Analyse ``audio`` (:class:`core.audio.Audio` or None) placed at ``offset_s``."""
        self._audio = audio
        self._offset = float(offset_s)
        self._worker.cancel()
        if audio is not None:
            self.vb.setXRange(math.log10(F_MIN), math.log10(audio.sr / 2), padding=0)
        self._placeholder.setVisible(audio is None)
        self._update()

    @property
    def peak(self) -> tuple[float, float] | None:
        """(Hz, dB) of the strongest partial shown, or None."""
        return self._peak

    @property
    def source(self) -> str:
        """What is analysed now: ``"selection"``, ``"cursor"``, ``"playhead"`` or ``""``."""
        return self._source

    def shutdown(self) -> None:
        self._timer.stop()
        self._worker.shutdown()

    def _show_cursor_freq(self, _t: float, f: float, _level: float) -> None:
        """Mark the frequency under the mouse on another view (the spectrogram)."""
        show = math.isfinite(f) and f > 0
        self._cursor_line.setVisible(show)
        if show:
            self._cursor_line.setValue(math.log10(f))

    # -- updating ---------------------------------------------------------------------
    def _request(self, *_) -> None:
        if not self._timer.isActive():  # throttle, not debounce: updates keep flowing
            self._timer.start()

    def _segment(self) -> tuple[int, int, str] | None:
        a, vs = self._audio, self.vs
        if a is None:
            return None
        if vs.has_selection:
            t0, t1 = vs.selection[:2]
            start, stop = (round((t - self._offset) * a.sr) for t in (t0, t1))
            start, stop = max(0, start), min(a.frames, stop)
            return (start, stop, "selection") if stop > start else None
        t, source = vs.cursor[0], "cursor"
        if not math.isfinite(t) or not 0 <= t - self._offset <= a.duration_s:
            t, source = vs.playhead, "playhead"
        centre = round((t - self._offset) * a.sr)
        if not 0 <= centre <= a.frames:
            return None
        start = max(0, min(a.frames - CURSOR_WINDOW, centre - CURSOR_WINDOW // 2))
        return start, min(a.frames, start + CURSOR_WINDOW), source

    def _update(self) -> None:
        seg = self._segment()
        if seg is None:
            self._worker.cancel()
            self._show(None, None, "", "")
            return
        start, stop, source = seg
        a = self._audio
        samples, sr = a.samples[:, start:stop], a.sr
        what = self._describe(start, stop, source)
        if (stop - start) <= SYNC_LIMIT_S * sr:
            self._worker.cancel()
            freqs, db = spectrum(samples, sr, n_fft=SPECTRUM_FFT)
            self._show(freqs, db, source, what)
        else:
            self._header.setText(what + "   analysing…")
            self._worker.submit("spectrum", lambda _cancel: (
                *spectrum(samples, sr, n_fft=SPECTRUM_FFT), source, what))

    def _describe(self, start: int, stop: int, source: str) -> str:
        sr = self._audio.sr
        t0, t1 = start / sr + self._offset, stop / sr + self._offset
        if source == "selection":
            return f"Selection {t0:.3f}–{t1:.3f} s"
        return f"{source.title()} {(t0 + t1) / 2:.3f} s  ({stop - start} samples)"

    def _show(self, freqs, db, source: str, what: str) -> None:
        self._source = source
        sel = self.vs.selection
        band = source == "selection" and math.isfinite(sel[2]) and sel[2] > 0
        self._band.setVisible(band)
        if band:
            self._band.setRegion((math.log10(sel[2]), math.log10(max(sel[3], sel[2] * 1.0001))))
        if freqs is None:
            self.curve.setData([], [])
            self._marker.setData([], [])
            self._peak_text.setText("")
            self._peak = None
            self._header.setText("")
            self.updated.emit()
            return
        freqs = np.asarray(freqs, dtype=np.float64)
        db = np.asarray(db, dtype=np.float64)
        keep = freqs >= F_MIN * 0.9
        self.curve.setData(np.log10(freqs[keep]), np.maximum(db[keep], DB_RANGE[0] - 40))
        lo = sel[2] if band else F_MIN
        peak = find_peak(freqs[(freqs <= sel[3])] if band else freqs,
                         db[(freqs <= sel[3])] if band else db, lo)
        self._peak = peak
        if peak is None:
            self._marker.setData([], [])
            self._peak_text.setText("")
        else:
            f, level = peak
            name, cents = note_name(f)
            x = math.log10(f)
            self._marker.setData([x], [level])
            self._peak_text.setText(f"{name} {format_cents(cents)}  {f:.1f} Hz  {level:.1f} dB")
            x0, x1 = self.vb.viewRange()[0]
            self._peak_text.setAnchor((1.0, 1.0) if x > x0 + 0.7 * (x1 - x0) else (0.0, 1.0))
            self._peak_text.setPos(x, min(level + 2, DB_RANGE[1] - 8))
        self._header.setText(what)
        self.updated.emit()
