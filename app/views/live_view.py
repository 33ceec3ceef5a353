"""Live input views: a scrolling waveform and a scrolling spectrogram of the last seconds.

The recorder keeps the last seconds it wrote (``Recorder.latest(n)``); a
caller polls on a timer and calls :meth:`LiveView.update` with how many frames
the take holds now.  The view fetches only what arrived since the last call,
so each tick costs the new audio, not the window:

* the waveform keeps min/max per column, columns aligned to absolute frame
  numbers (the picture scrolls without shimmering);
* the spectrogram keeps uint8 columns in a ring; each new column is one
  Hann-windowed FFT frame (``center=False``), mapped to the same log frequency
  rows, power normalisation and dB conversion as :func:`core.analysis.spectrogram`
  (its building blocks :func:`core.analysis.frames.power_window`,
  :func:`core.analysis.scales.frequency_axis`,
  :func:`core.analysis.frames.power_to_db`), then coloured with
  :func:`core.analysis.to_uint8` and :func:`core.analysis.colormap_lut`.
  A few FFTs per tick run in numpy on the UI thread: loading torch for them
  would stall the window for seconds the moment Record is pressed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.theme import colours
from core.analysis import colormap_lut, frequency_axis, to_uint8
from core.analysis.frames import power_to_db, power_window
from core.analysis.scales import FrequencyAxis

#: ``latest(n) -> (channels, m)`` float32: the last ``m <= n`` frames.
LatestFn = Callable[[int], np.ndarray]


def live_columns(samples: np.ndarray, axis: FrequencyAxis, window: np.ndarray, n_fft: int,
                 hop_length: int) -> np.ndarray:
    """Spectrogram columns of ``samples`` (frames start at 0, ``hop_length`` apart, no padding).

    Parameters
    ----------
    samples : np.ndarray [shape=(channels, n)], float32
    axis : FrequencyAxis
        Rows to map the FFT bins onto (:func:`core.analysis.frequency_axis`).
    window : np.ndarray [shape=(n_fft,)]
        :func:`core.analysis.frames.power_window` (a full-scale sine reads 0 dB).
    n_fft, hop_length : int

    Returns
    -------
    np.ndarray [shape=(axis.n_rows, k), dtype=float32]
        dB, ``k = 1 + (n - n_fft) // hop_length`` (0 when ``n < n_fft``); channels
        averaged in power, as :func:`core.analysis.spectrogram` does.
    """
    x = np.asarray(samples, dtype=np.float32)
    n = x.shape[-1]
    if n < n_fft:
        return np.zeros((axis.n_rows, 0), np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[:, ::hop_length]
    spec = np.fft.rfft(frames * window, axis=-1)  # (C, k, F)
    power = (spec.real.astype(np.float32) ** 2 + spec.imag.astype(np.float32) ** 2).mean(axis=0)
    rows = np.ascontiguousarray(axis.apply(power.astype(np.float32)).T)  # (n_rows, k)
    return power_to_db(rows, top_db=None)


class _FreqAxis(pg.AxisItem):
    """Left axis of the spectrogram: rows labelled with their frequency."""

    def __init__(self) -> None:
        super().__init__("left")
        self.freqs = np.array([1.0, 2.0])

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph API)
        marks = [50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]
        rows = [float(np.interp(np.log(f), np.log(self.freqs), np.arange(len(self.freqs))))
                for f in marks if self.freqs[0] <= f <= self.freqs[-1]]
        return [(1e9, rows)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        out = []
        for v in values:
            f = float(np.interp(v, np.arange(len(self.freqs)), self.freqs))
            out.append(f"{f / 1000:.0f}k" if f >= 1000 else f"{f:.0f}")
        return out


class LiveView(QWidget):
    """Scrolling waveform (top) and spectrogram (bottom) of the input being recorded.

    Parameters
    ----------
    window_s : float
        Seconds shown (at most what the recorder keeps, ``history_s``).
    n_fft, hop_length : int
        FFT size and hop of the spectrogram, samples.
    n_bins : int
        Rows of the log frequency axis.
    range_db : (float, float)
        dB shown from darkest to brightest.
    wave_columns : int
        Min/max columns of the waveform across the window.
    """

    def __init__(self, parent: QWidget | None = None, *, window_s: float = 10.0,
                 n_fft: int = 2048, hop_length: int = 512, n_bins: int = 256,
                 range_db: tuple[float, float] = (-100.0, 0.0), colormap: str = "magma",
                 wave_columns: int = 1200) -> None:
        super().__init__(parent)
        self.setObjectName("liveView")
        self.window_s = float(window_s)
        self.n_fft, self.hop_length, self.n_bins = int(n_fft), int(hop_length), int(n_bins)
        self.range_db = range_db
        self.wave_columns = int(wave_columns)
        self._lut = colormap_lut(colormap)
        self.sr = 0
        self.channels = 0
        self.total = 0

        c = colours()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.title = QLabel("Input — not recording")
        self.title.setObjectName("panelNote")
        self.title.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.title)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(c.background)
        layout.addWidget(self.plots, 1)

        self.wave_plot = self.plots.addPlot(row=0, col=0)
        self.freq_axis = _FreqAxis()
        self.spec_plot = self.plots.addPlot(row=1, col=0, axisItems={"left": self.freq_axis})
        self.plots.ci.layout.setRowStretchFactor(0, 2)
        self.plots.ci.layout.setRowStretchFactor(1, 3)
        for plot in (self.wave_plot, self.spec_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.getAxis("left").setWidth(44)
            for name in ("left", "bottom"):
                plot.getAxis(name).setTextPen(c.text_dim)
                plot.getAxis(name).setPen(c.grid)
        self.wave_plot.getAxis("bottom").setStyle(showValues=False)
        self.spec_plot.setXLink(self.wave_plot)
        self.spec_plot.getAxis("bottom").setLabel("seconds recorded")
        self.wave_plot.getAxis("left").setTicks([[]])
        self.image = pg.ImageItem(axisOrder="row-major")
        self.spec_plot.addItem(self.image)
        self.curves: list[pg.PlotDataItem] = []
        self.text = QLabel("")
        self.text.setObjectName("liveText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self.text.setMinimumHeight(44)
        self.text.setContentsMargins(10, 6, 10, 6)
        self.text.setStyleSheet(f"QLabel#liveText {{ background: {c.background}; "
                                f"border-top: 1px solid {c.grid}; font-size: 13px; }}")
        self.text.hide()
        layout.addWidget(self.text)
        self.reset(48000, 2)

    # -- state ---------------------------------------------------------------------------------
    def reset(self, sr: int, channels: int) -> None:
        """Empty the views for a new take at ``sr`` Hz with ``channels`` channels."""
        self.sr, self.channels, self.total = int(sr), int(channels), 0
        self.axis = frequency_axis(self.sr, self.n_fft, scale="log", n_bins=self.n_bins,
                                   fmax=min(20000.0, self.sr / 2))
        self.freq_axis.freqs = self.axis.freqs
        self._window = power_window("hann", self.n_fft)
        self.spec_cols = max(1, round(self.window_s * self.sr / self.hop_length))
        self.image_u8 = np.zeros((self.axis.n_rows, self.spec_cols), np.uint8)
        self.last_db = np.full(self.axis.n_rows, -np.inf, np.float32)
        self._next_col = 0  # next spectrogram column (its first sample is col * hop)
        self.bucket = max(1, round(self.window_s * self.sr / self.wave_columns))
        self.wave_min = np.zeros((self.channels, self.wave_columns), np.float32)
        self.wave_max = np.zeros((self.channels, self.wave_columns), np.float32)
        self._wave_done = 0  # frames summarised into complete buckets
        for curve in self.curves:
            self.wave_plot.removeItem(curve)
        pal = ("#4fa3ff", "#5ad19a", "#f2b84b", "#e76f8f", "#a98bf0", "#4fd1d9")
        self.curves = [self.wave_plot.plot(pen=pg.mkPen(pal[ch % len(pal)], width=1))
                       for ch in range(self.channels)]
        self.wave_plot.setYRange(-2 * self.channels + 1, 1, padding=0.02)
        self.spec_plot.setYRange(0, self.axis.n_rows, padding=0)
        self.image.setImage(self.image_u8, levels=(0, 255), lut=self._lut, autoLevels=False)
        self._place(0)

    def set_title(self, text: str) -> None:
        self.title.setText(text)

    def show_text(self, on: bool) -> None:
        """Show (or hide) the live transcript strip under the views."""
        self.text.setVisible(on)
        if on and not self.text.text():
            self.set_text("", "")

    def set_text(self, committed: str, provisional: str, *, note: str = "") -> None:
        """Live transcript: finished text, then the guess at what is being said (dimmed).
        Only the last ~400 characters are shown."""
        import html

        c = colours()
        done = committed[-400:]
        if len(committed) > 400:
            done = "… " + done[done.find(" ") + 1:]
        body = html.escape(done)
        if provisional:
            body += f" <span style='color:{c.text_dim}; font-style:italic'>" \
                    f"{html.escape(provisional)}</span>"
        if not body.strip():
            body = f"<span style='color:{c.text_dim}'>{html.escape(note or 'Listening for speech…')}</span>"
        self.text.setText(body)

    # -- feeding ---------------------------------------------------------------------------------
    def feed(self, total_frames: int, latest: LatestFn) -> None:
        """Bring the views up to ``total_frames`` frames recorded, fetching the new audio
        with ``latest`` (e.g. ``Recorder.latest``)."""
        total = int(total_frames)
        if total < self.total:  # a new take started
            self.reset(self.sr, self.channels)
        self.total = total
        need_from = min(self._wave_done, self._next_col * self.hop_length)
        want = total - need_from
        if want <= 0:
            return
        x = latest(want)
        if x.ndim != 2 or x.shape[1] == 0:
            return
        start = total - x.shape[1]  # absolute frame of x[:, 0]
        if x.shape[0] != self.channels:
            return
        self._feed_wave(x, start)
        self._feed_spec(x, start)
        self._place(total)

    def _feed_wave(self, x: np.ndarray, start: int) -> None:
        b = self.bucket
        begin = max(self._wave_done, -(-start // b) * b)
        end = (start + x.shape[1]) // b * b
        k = (end - begin) // b
        if k <= 0:
            return
        seg = x[:, begin - start:end - start].reshape(self.channels, k, b)
        self._roll(self.wave_min, seg.min(axis=2))
        self._roll(self.wave_max, seg.max(axis=2))
        self._wave_done = end
        n = self.wave_columns
        t = (end - b * (n - np.arange(n))) / self.sr  # left edge of each column, s
        tt = np.repeat(t, 2)
        for ch, curve in enumerate(self.curves):
            yy = np.empty(2 * n, np.float32)
            yy[0::2] = self.wave_min[ch]
            yy[1::2] = self.wave_max[ch]
            curve.setData(tt, yy - 2 * ch)

    def _feed_spec(self, x: np.ndarray, start: int) -> None:
        hop, n_fft = self.hop_length, self.n_fft
        first = max(self._next_col, -(-start // hop))
        last = (start + x.shape[1] - n_fft) // hop  # last complete column
        if last < first:
            return
        a = first * hop - start
        db = live_columns(x[:, a:a + (last - first) * hop + n_fft], self.axis, self._window,
                          n_fft, hop)
        self.last_db = db[:, -1].copy()
        self._roll(self.image_u8, to_uint8(db, *self.range_db))
        self._next_col = last + 1
        self.image.setImage(self.image_u8, levels=(0, 255), lut=self._lut, autoLevels=False)

    @staticmethod
    def _roll(ring: np.ndarray, new: np.ndarray) -> None:
        k = new.shape[1]
        if k >= ring.shape[1]:
            ring[:] = new[:, -ring.shape[1]:]
            return
        ring[:, :-k] = ring[:, k:]
        ring[:, -k:] = new

    def _place(self, total: int) -> None:
        """Scroll: the window ends at the newest audio (or starts at 0 for a short take)."""
        t_end = max(total / self.sr, self.window_s)
        self.wave_plot.setXRange(t_end - self.window_s, t_end, padding=0)
        span = self.spec_cols * self.hop_length / self.sr
        right = (self._next_col * self.hop_length + self.n_fft / 2) / self.sr if self._next_col \
            else 0.0
        self.image.setRect(QRectF(right - span, 0, span, self.axis.n_rows))

    # -- for tests and readouts -------------------------------------------------------------------
    def peak_frequency_hz(self) -> float:
        """Frequency of the loudest row in the newest spectrogram column (nan before any)."""
        if not np.isfinite(self.last_db).any():
            return float("nan")
        return float(self.axis.freqs[int(np.argmax(self.last_db))])

    def envelope_peak(self, seconds: float = 1.0) -> float:
        """Largest absolute sample of the last ``seconds`` of the waveform."""
        k = max(1, min(self.wave_columns, round(seconds * self.sr / self.bucket)))
        return float(max(np.abs(self.wave_min[:, -k:]).max(), np.abs(self.wave_max[:, -k:]).max()))
