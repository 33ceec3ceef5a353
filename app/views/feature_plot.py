"""A small plot of one audio feature on the project's time axis (curve or heat map).

Single-value features (RMS, centroid, onset strength...) draw as a curve;
multi-row features (MFCC, mel, chroma) as an image with one row per value.
The x range follows the shared :class:`~app.viewstate.ViewState`, the playhead
is drawn as a line, and a click moves the playhead there.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

#: 256-entry colour map (dark blue -> teal -> yellow), as uint8 RGBA.
_LUT = pg.ColorMap([0.0, 0.35, 0.7, 1.0],
                   [(12, 16, 40), (30, 110, 150), (120, 200, 140), (250, 235, 120)]
                   ).getLookupTable(0.0, 1.0, 256, alpha=False)


class FeaturePlot(QWidget):
    """Plot of one feature; call :meth:`show_feature`.

    Signals
    -------
    seekRequested(float)
        The user clicked at this time (seconds on the timeline).
    """

    seekRequested = Signal(float)
    #: Left/right margins (px) when not stacked under the track lanes.
    DEFAULT_MARGINS = (56, 0)

    def __init__(self, view_state=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featurePlot")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 4)
        lay.setSpacing(2)
        self.title = QLabel("No feature computed yet")
        self.title.setObjectName("featurePlotTitle")
        lay.addWidget(self.title)
        self.plot = pg.PlotWidget(background="#15171c")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        lay.addWidget(self.plot, 1)
        self.curve = pg.PlotDataItem(pen=pg.mkPen("#7ee0ff", width=1.5))
        self.curve.setClipToView(True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(_LUT)
        self.playhead = pg.InfiniteLine(angle=90, pen=pg.mkPen("#ffd166", width=1))
        self.playhead.setZValue(20)
        for item in (self.image, self.curve, self.playhead):
            self.plot.addItem(item)
        self.feature: str | None = None
        self.times_s = np.zeros(0)
        self.values = np.zeros((0, 0), np.float32)
        self.view_state = view_state
        if view_state is not None:
            view_state.rangeChanged.connect(self._range)
            view_state.playheadChanged.connect(self.playhead.setValue)
            self._range(*view_state.range)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self._margins = (0, 0)
        self.set_time_margins(*self.DEFAULT_MARGINS)

    # -- time-axis alignment with the lanes (app.time_align.TimeAxisAligner) ----------------
    def set_time_margins(self, left: int, right: int) -> None:
        """Left axis ``left`` px wide, ``right`` px after the plot."""
        left, right = max(self.DEFAULT_MARGINS[0], int(left)), max(0, int(right))
        if (left, right) != self._margins:
            self._margins = (left, right)
            self.plot.getAxis("left").setWidth(left)
            self.plot.getPlotItem().layout.setContentsMargins(0, 2, right, 0)

    def time_margins(self) -> tuple[int, int]:
        return self._margins

    def time_bounds(self) -> tuple[int, int]:
        """Where the time axis would start/end with no margins, in this widget's pixels."""
        x = self.plot.mapTo(self, QPoint(0, 0)).x()
        f = self.plot.frameWidth()
        return x + f, x + self.plot.width() - f

    def show_feature(self, name: str, times_s: np.ndarray, values: np.ndarray, *,
                     unit: str = "", rows: list[str] | None = None) -> None:
        """Draw feature ``name``: ``values`` (n_rows, n_frames) at ``times_s`` (timeline s)."""
        self.feature = name
        self.times_s = np.asarray(times_s, dtype=np.float64)
        self.values = np.atleast_2d(np.asarray(values, dtype=np.float32))
        n_rows = self.values.shape[0]
        left = self.plot.getAxis("left")
        if n_rows == 1:
            self.image.hide()
            self.curve.show()
            self.curve.setData(self.times_s, self.values[0])
            left.setTicks(None)
            left.setLabel(unit or "")
            lo, hi = float(np.nanmin(self.values)), float(np.nanmax(self.values))
            pad = (hi - lo) * 0.08 or 1.0
            self.plot.setYRange(lo - pad, hi + pad, padding=0)
        else:
            self.curve.hide()
            self.image.show()
            v = self.values
            lo, hi = np.percentile(v, [2, 99.5]) if v.size else (0.0, 1.0)
            self.image.setImage(v, levels=(float(lo), float(hi) if hi > lo else float(lo) + 1))
            dt = (self.times_s[1] - self.times_s[0]) if self.times_s.size > 1 else 0.01
            x0 = (self.times_s[0] if self.times_s.size else 0.0) - dt / 2
            self.image.setRect(x0, 0, dt * v.shape[1], n_rows)
            left.setLabel("")
            if rows and n_rows <= 16:
                short = [r.split("_", 1)[-1] for r in rows]
                # Label every row when there is room, else a few (C, E, G# ... for chroma).
                every = max(1, int(np.ceil(n_rows * 14 / max(self.plot.height(), 60))))
                left.setTicks([[(i + 0.5, s) for i, s in enumerate(short) if i % every == 0]])
            else:
                left.setTicks([[(0.5, "0"), (n_rows - 0.5, str(n_rows - 1))]])
            self.plot.setYRange(0, n_rows, padding=0)
        span = f"{self.times_s[0]:.2f}–{self.times_s[-1]:.2f} s" if self.times_s.size else ""
        self.title.setText(f"{name} · {n_rows} value{'s' if n_rows > 1 else ''} per frame · "
                           f"{self.times_s.size} frames {span}")

    def _range(self, t0: float, t1: float) -> None:
        if t1 > t0:
            self.plot.setXRange(t0, t1, padding=0)

    def _clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        t = float(vb.mapSceneToView(ev.scenePos()).x())
        if self.view_state is not None:
            self.view_state.set_playhead(max(0.0, t))
        self.seekRequested.emit(t)
