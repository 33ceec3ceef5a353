"""The spectrogram pane: one track's spectrogram on the shared time axis.

Level of detail: :meth:`SpectrogramPane.set_audio` computes a whole-file
overview in the background and draws it as soon as it is ready; whenever the
visible range settles (50 ms debounce) the visible region is computed at
screen resolution (full resolution when zoomed in) and drawn over the
overview.  Both are uint8 images with a 256-entry lookup table, so changing the
colour map or the dB range re-colours without recomputing; changing the FFT
size, hop, window or frequency scale recomputes in the background.  Stale
requests are cancelled and their results dropped (:mod:`app.views.tile_worker`).

Mouse gestures: see :mod:`app.views.spectrogram_mouse`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from app.theme import colours
from app.views.note_axis import FreqMap, FrequencyAxis, format_cents
from app.views.spectrogram_controls import DEFAULT_SETTINGS, SpectrogramControls, normalize_settings
from app.views.spectrogram_mouse import SpectrogramMouse
from app.views.time_axis import format_time, tick_label
from app.viewstate import ViewState
from core.analysis import Spectrogram, SpectrogramLOD, colormap_lut, note_name, to_uint8

#: Columns of the whole-file overview.
OVERVIEW_COLUMNS = 2048
_COMPUTE_KEYS = ("scale", "n_fft", "hop_length", "window")


class _TimeAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        return [tick_label(max(0.0, v), spacing) if v >= -1e-9 else "" for v in values]


class SpectrogramPane(QWidget):
    """Spectrogram of one audio track, following and driving a :class:`ViewState`.

    Signals
    -------
    settingsChanged(dict)
        The user changed a control; the dict is :meth:`settings`.
    imageUpdated(str)
        ``"overview"`` or ``"region"`` was (re)drawn.
    """

    settingsChanged = Signal(dict)
    imageUpdated = Signal(str)

    def __init__(self, view_state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from app.views.tile_worker import TileWorker

        self.vs = view_state
        self._audio = None
        self._offset = 0.0
        self._settings = dict(DEFAULT_SETTINGS)
        self._lod: SpectrogramLOD | None = None
        self._overview: Spectrogram | None = None
        self._region: Spectrogram | None = None
        self._fmap: FreqMap | None = None
        self._y_view_hz: tuple[float, float] | None = None  # frequency zoom, None = all
        self._lut = colormap_lut(self._settings["cmap"])
        self._worker = TileWorker(self, threads=1)
        self._worker.finished.connect(self._on_result)
        self._worker.failed.connect(self._on_failed)
        self._worker.busyChanged.connect(self._on_busy)
        self._region_timer = QTimer(self, singleShot=True, interval=50)
        self._region_timer.timeout.connect(self._request_region)
        self._build_ui()
        view_state.rangeChanged.connect(self._on_range)
        view_state.selectionChanged.connect(self._show_selection)
        view_state.playheadChanged.connect(self._playhead.setValue)
        view_state.cursorChanged.connect(self._show_cursor)
        self._on_range(*view_state.range)
        self._playhead.setValue(view_state.playhead)

    # -- construction ------------------------------------------------------------
    def _build_ui(self) -> None:
        c = colours()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.controls = SpectrogramControls(self._settings, self)
        self.controls.changed.connect(self._on_controls)
        layout.addWidget(self.controls)

        self.freq_axis = FrequencyAxis("left")
        self.time_axis = _TimeAxis("bottom")
        self.plot = pg.PlotWidget(background=c.background,
                                  axisItems={"left": self.freq_axis, "bottom": self.time_axis})
        layout.addWidget(self.plot, 1)
        pi = self.plot.getPlotItem()
        pi.hideButtons()
        pi.setMenuEnabled(False)
        self._right_margin = self.RIGHT_MARGIN
        pi.layout.setContentsMargins(0, 4, self._right_margin, 0)
        for axis in (self.freq_axis, self.time_axis):
            axis.setPen(pg.mkPen(c.text_dim))
            axis.setTextPen(pg.mkPen(c.text))
        self._left_margin = self.AXIS_W
        self.freq_axis.setWidth(self._left_margin)
        self.freq_axis.setStyle(showValues=False)  # until there is a spectrogram
        self.time_axis.setHeight(24)
        self.vb = pi.getViewBox()
        self.vb.setMouseEnabled(False, False)
        self.vb.setMenuEnabled(False)
        self.vb.enableAutoRange(enable=False)
        self.vb.setDefaultPadding(0.0)
        self.vb.sigResized.connect(self._schedule_region)

        self.overview_item = pg.ImageItem(axisOrder="row-major", autoDownsample=True)
        self.region_item = pg.ImageItem(axisOrder="row-major")
        self.region_item.setZValue(1)
        for item in (self.overview_item, self.region_item):
            item.setLookupTable(self._lut)
            self.vb.addItem(item, ignoreBounds=True)
        self.region_item.hide()

        sel = QColor(c.selection)
        fill = QColor(sel)
        fill.setAlpha(60)
        self._sel_region = pg.LinearRegionItem((0, 0), movable=False, brush=fill,
                                               pen=pg.mkPen(sel, width=1))
        self._sel_region.setZValue(10)
        self._sel_region.hide()
        self.vb.addItem(self._sel_region, ignoreBounds=True)
        self._sel_box = QGraphicsRectItem()
        pen = QPen(QColor("#ffffff"), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._sel_box.setPen(pen)
        self._sel_box.setBrush(fill)
        self._sel_box.setZValue(10)
        self._sel_box.hide()
        self.vb.addItem(self._sel_box, ignoreBounds=True)
        cross = QColor(c.cursor)
        cross.setAlpha(110)
        cross_pen = pg.mkPen(cross, width=1, style=Qt.PenStyle.DashLine)
        self._cursor_v = pg.InfiniteLine(angle=90, movable=False, pen=cross_pen)
        self._cursor_h = pg.InfiniteLine(angle=0, movable=False, pen=cross_pen)
        for line in (self._cursor_v, self._cursor_h):
            line.setZValue(15)
            line.hide()
            self.vb.addItem(line, ignoreBounds=True)
        self._playhead = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(c.playhead, width=1.5))
        self._playhead.setZValue(20)
        self.vb.addItem(self._playhead, ignoreBounds=True)

        self._placeholder = QLabel("No audio", self.plot)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setStyleSheet(f"color: {c.text_dim}; font-size: 13px;")
        self.plot.setCursor(Qt.CursorShape.CrossCursor)
        self.mouse = SpectrogramMouse(self)

    # -- public API ----------------------------------------------------------------
    def set_audio(self, audio, *, title: str = "", offset_s: float = 0.0) -> None:
        """Show ``audio`` (a :class:`core.audio.Audio`, or None to clear) placed at ``offset_s``."""
        self._audio = audio
        self._offset = float(offset_s)
        self.controls.set_title(title)
        self._y_view_hz = None
        self._clear_images()
        self._placeholder.setVisible(audio is None)
        if audio is None:
            self._worker.cancel()
            return
        end = self._offset + audio.duration_s
        if self.vs.duration < end:
            self.vs.set_duration(end)
        self._recompute()

    @property
    def audio(self):
        return self._audio

    def settings(self) -> dict:
        """The view settings (JSON-friendly): see :data:`DEFAULT_SETTINGS`."""
        return dict(self._settings)

    def apply_settings(self, d: dict) -> None:
        """Apply (possibly partial) settings; invalid values fall back to the nearest valid one."""
        d = dict(d or {})
        if "n_fft" in d and "hop_length" not in d:  # keep the hop as a fraction of the FFT
            d["hop_length"] = float(d["n_fft"]) * self._settings["hop_length"] / self._settings["n_fft"]
        self._set_settings(normalize_settings({**self._settings, **d}))

    def shutdown(self) -> None:
        """Cancel background work and wait briefly for it (call before deleting)."""
        self._region_timer.stop()
        self._worker.shutdown()

    @property
    def overview(self) -> Spectrogram | None:
        return self._overview

    @property
    def region(self) -> Spectrogram | None:
        return self._region

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def frequency_view(self) -> tuple[float, float] | None:
        """Visible frequency range (Hz) when zoomed in on frequency, else None (all)."""
        return self._y_view_hz

    def set_frequency_view(self, hz_range: tuple[float, float] | None) -> None:
        """Zoom the frequency axis to ``(lo_hz, hi_hz)``; None shows every frequency."""
        self._y_view_hz = None if hz_range is None else (float(hz_range[0]), float(hz_range[1]))
        self._apply_y_view()

    def freq_map(self) -> FreqMap | None:
        """The current Hz <-> y mapping (None until the first overview arrives)."""
        return self._fmap

    def view_to_widget(self, t: float, hz: float) -> QPointF:
        """Position in ``self.plot.viewport()`` pixels of time ``t`` (s) and ``hz``."""
        y = float(self._fmap.hz_to_y(hz)) if self._fmap else hz
        scene = self.vb.mapViewToScene(QPointF(t, y))
        return QPointF(self.plot.mapFromScene(scene))

    # -- settings ----------------------------------------------------------------------
    def _on_controls(self, d: dict) -> None:
        self.apply_settings(d)
        self.settingsChanged.emit(self.settings())

    def _set_settings(self, s: dict) -> None:
        old, self._settings = self._settings, s
        self.controls.show_settings(s)
        if any(old[k] != s[k] for k in _COMPUTE_KEYS):
            if old["scale"] != s["scale"]:
                self._y_view_hz = None
            self._recompute()
            return
        if old["cmap"] != s["cmap"]:
            self._lut = colormap_lut(s["cmap"])
            for item in (self.overview_item, self.region_item):
                item.setLookupTable(self._lut)
        if (old["floor_db"], old["ceiling_db"]) != (s["floor_db"], s["ceiling_db"]):
            self._redraw()

    # -- background work ---------------------------------------------------------------
    def _recompute(self) -> None:
        self._region_timer.stop()
        self._worker.cancel()
        self._lod = None
        if self._audio is None:
            return
        samples, sr, s = self._audio.samples, self._audio.sr, self._settings
        params = {"n_fft": s["n_fft"], "hop_length": s["hop_length"], "window": s["window"],
                  "scale": s["scale"]}

        def job(cancel):
            lod = SpectrogramLOD(samples, sr, **params)
            return lod, lod.overview(OVERVIEW_COLUMNS, cancel=cancel)

        self._worker.submit("overview", job)

    # -- time-axis alignment with the track lanes (see app/time_align.py) ------------
    AXIS_W, RIGHT_MARGIN = 70, 8

    def set_time_margins(self, left: int, right: int) -> None:
        """Frequency axis ``left`` px wide (at least :attr:`AXIS_W`), ``right`` px after the plot."""
        left, right = max(self.AXIS_W, int(left)), max(0, int(right))
        if left != self._left_margin:
            self._left_margin = left
            self.freq_axis.setWidth(left)
        if abs(self._right_margin - right) >= 1:
            self._right_margin = right
            self.plot.getPlotItem().layout.setContentsMargins(0, 4, right, 0)

    def time_margins(self) -> tuple[int, int]:
        return self._left_margin, self._right_margin

    def time_bounds(self) -> tuple[int, int]:
        """Where the time axis would start with no left margin and end with no right margin,
        in this widget's pixels (the plot view's inner edges)."""
        x = self.plot.mapTo(self, QPoint(0, 0)).x()
        f = self.plot.frameWidth()
        return x + f, x + self.plot.width() - f

    def _schedule_region(self, *_) -> None:
        if self._lod is not None:
            self._region_timer.start()

    def _request_region(self) -> None:
        lod, audio, ov = self._lod, self._audio, self._overview
        if lod is None or audio is None or ov is None:
            return
        t0, t1 = self.vs.range
        a0 = max(0.0, t0 - self._offset)
        a1 = min(audio.duration_s, t1 - self._offset)
        width_px = self.vb.width() * self.devicePixelRatioF()
        if a1 <= a0 or width_px < 2:
            return
        n_columns = max(16, int(width_px * (a1 - a0) / (t1 - t0)))
        overview_columns = ov.n_frames * (a1 - a0) / max(audio.duration_s, 1e-9)
        if overview_columns >= 0.9 * n_columns or ov.n_frames >= getattr(lod, "n_frames", 1 << 62):
            # The overview already has a column per pixel here, or every frame there is.
            self._worker.cancel("region")
            self._region = None
            self.region_item.hide()
            return
        self._worker.submit("region", lambda cancel: lod.region(a0, a1, n_columns, cancel=cancel))

    def _on_result(self, kind: str, _request_id: int, result) -> None:
        if kind == "overview":
            self._lod, self._overview = result
            self._region = None
            self.region_item.hide()
            self._fmap = FreqMap(self._overview.scale, self._overview.freqs)
            linear = self._fmap.linear
            self.freq_axis.set_mapping(self._fmap.y_to_hz, self._fmap.hz_to_y,
                                       notes=self._overview.scale == "log", linear=linear)
            self.freq_axis.setStyle(showValues=True)
            self._apply_y_view()
            self._draw(self.overview_item, self._overview)
            self.imageUpdated.emit("overview")
            self._show_selection(*self.vs.selection)
            self._request_region()
        elif kind == "region":
            self._region = result
            self._draw(self.region_item, result)
            self.region_item.show()
            self.imageUpdated.emit("region")

    def _on_failed(self, kind: str, _request_id: int, message: str) -> None:
        self.controls.set_status(f"Spectrogram failed: {message}", error=True)

    def _on_busy(self, busy: bool) -> None:
        self.controls.set_status("computing…" if busy else "")

    # -- drawing -------------------------------------------------------------------------
    def _clear_images(self) -> None:
        self._lod = self._overview = self._region = None
        self._fmap = None
        self.freq_axis.setStyle(showValues=False)
        for item in (self.overview_item, self.region_item):
            item.clear()
        self.region_item.hide()

    def _redraw(self) -> None:
        if self._overview is not None:
            self._draw(self.overview_item, self._overview)
        if self._region is not None:
            self._draw(self.region_item, self._region)

    def _draw(self, item: pg.ImageItem, spec: Spectrogram) -> None:
        s = self._settings
        img = to_uint8(spec.values, s["floor_db"], s["ceiling_db"])
        ys = np.asarray(self._fmap.hz_to_y(spec.freqs), dtype=np.float64)
        n_bins, n_frames = img.shape
        dy = (ys[-1] - ys[0]) / (n_bins - 1) if n_bins >= 2 else 1.0
        if n_bins >= 3 and np.max(np.abs(ys - (ys[0] + dy * np.arange(n_bins)))) > 0.25 * abs(dy):
            # Rows not evenly spaced in this coordinate: resample to an even grid.
            grid = np.linspace(ys[0], ys[-1], n_bins)
            rows = np.clip(np.round(np.interp(grid, ys, np.arange(n_bins))), 0, n_bins - 1)
            img = img[rows.astype(np.intp)]
        times = np.asarray(spec.times, dtype=np.float64) + self._offset
        dt = ((times[-1] - times[0]) / (n_frames - 1) if n_frames >= 2
              else spec.hop_length / spec.sr)
        item.setImage(np.ascontiguousarray(img), autoLevels=False, levels=(0, 255))
        item.setLookupTable(self._lut)
        item.setRect(QRectF(times[0] - dt / 2, ys[0] - dy / 2, dt * n_frames, dy * n_bins))

    def _apply_y_view(self) -> None:
        if self._fmap is None:
            return
        lo, hi = self._fmap.full_range()
        if self._y_view_hz is not None:
            ylo, yhi = (float(v) for v in self._fmap.hz_to_y(np.array(self._y_view_hz)))
            lo, hi = max(lo, ylo), min(hi, yhi)
        self.vb.setYRange(lo, hi, padding=0)

    def _on_range(self, t0: float, t1: float) -> None:
        self.vb.setXRange(t0, t1, padding=0)
        self._schedule_region()

    def _show_selection(self, t0: float, t1: float, f0: float, f1: float) -> None:
        box = t1 > t0 and math.isfinite(f0) and math.isfinite(f1) and self._fmap is not None
        self._sel_region.setVisible(t1 > t0 and not box)
        self._sel_box.setVisible(box)
        if box:
            y0, y1 = (float(v) for v in self._fmap.hz_to_y(np.array([f0, f1])))
            self._sel_box.setRect(QRectF(t0, y0, t1 - t0, y1 - y0))
        elif t1 > t0:
            self._sel_region.setRegion((t0, t1))

    def _show_cursor(self, t: float, f: float, level: float) -> None:
        self._cursor_v.setVisible(math.isfinite(t))
        if math.isfinite(t):
            self._cursor_v.setValue(t)
        show_f = math.isfinite(f) and f > 0 and self._fmap is not None
        self._cursor_h.setVisible(show_f)
        parts = [format_time(t)]
        if show_f:
            self._cursor_h.setValue(float(self._fmap.hz_to_y(f)))
            name, cents = note_name(f)
            parts.append(f"{f:.1f} Hz" if f < 1000 else f"{f:.0f} Hz")
            parts.append(f"{name} {format_cents(cents)}")
        if math.isfinite(level):
            parts.append(f"{level:.1f} dB")
        self.controls.set_readout("   ".join(parts) if math.isfinite(t) else "")

    # -- cursor values ---------------------------------------------------------------
    def level_at(self, t: float, hz: float) -> float:
        """dB of the drawn cell at project time ``t`` and ``hz`` (the finest layer there)."""
        local = t - self._offset
        for spec in (self._region, self._overview):
            if spec is None or spec.n_frames == 0 or spec.n_bins == 0:
                continue
            times = spec.times
            half = (spec.hop_length / spec.sr) if spec.n_frames < 2 else (times[1] - times[0])
            if not (times[0] - half / 2 <= local <= times[-1] + half / 2):
                continue
            col = int(np.clip(np.searchsorted(times, local), 0, spec.n_frames - 1))
            if col > 0 and abs(times[col - 1] - local) < abs(times[col] - local):
                col -= 1
            if self._fmap is not None and not self._fmap.linear:
                row_f = float(np.interp(self._fmap.hz_to_y(hz), self._fmap.hz_to_y(spec.freqs),
                                        np.arange(spec.n_bins)))
            else:
                row_f = float(np.interp(hz, spec.freqs, np.arange(spec.n_bins)))
            row = int(np.clip(round(row_f), 0, spec.n_bins - 1))
            return float(spec.values[row, col])
        return math.nan

    def resizeEvent(self, e) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(e)
        self._placeholder.setGeometry(self.plot.rect())
