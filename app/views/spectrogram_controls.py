"""The spectrogram pane's compact control row, and its settings schema.

Settings are a JSON-friendly dict (saved per project / in QSettings):

=============  =======  ===================================================
key            default  meaning
=============  =======  ===================================================
scale          "log"    frequency axis: "linear", "log" or "mel"
n_fft          2048     FFT size, 512..16384 (powers of two)
hop_length     512      hop in samples: n_fft / 2, 4, 8 or 16
window         "hann"   "hann", "hamming" or "blackman"
floor_db       -90.0    dB drawn darkest (0 dB = a full-scale sine)
ceiling_db     0.0      dB drawn brightest
cmap           "magma"  one of core.analysis.COLORMAPS
=============  =======  ===================================================
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from app.theme import colours
from core.analysis import COLORMAPS

SCALES = ("linear", "log", "mel")
FFT_SIZES = (512, 1024, 2048, 4096, 8192, 16384)
HOP_DIVISORS = (2, 4, 8, 16)
WINDOWS = ("hann", "hamming", "blackman")
DB_MIN, DB_MAX = -200, 40

DEFAULT_SETTINGS: dict = {
    "scale": "log", "n_fft": 2048, "hop_length": 512, "window": "hann",
    "floor_db": -90.0, "ceiling_db": 0.0, "cmap": "magma",
}


def normalize_settings(d: dict) -> dict:
    """A complete, valid settings dict from a possibly partial or invalid one."""
    s = dict(DEFAULT_SETTINGS)
    src = d or {}
    if src.get("scale") in SCALES:
        s["scale"] = src["scale"]
    if src.get("window") in WINDOWS:
        s["window"] = src["window"]
    if src.get("cmap") in COLORMAPS:
        s["cmap"] = src["cmap"]
    try:
        n = float(src.get("n_fft", s["n_fft"]))
        s["n_fft"] = min(FFT_SIZES, key=lambda k: abs(math.log2(k) - math.log2(max(n, 1.0))))
    except (TypeError, ValueError):
        pass
    try:
        hop = float(src.get("hop_length", s["n_fft"] // 4))
        div = min(HOP_DIVISORS, key=lambda k: abs(math.log2(k) - math.log2(s["n_fft"] / max(hop, 1.0))))
    except (TypeError, ValueError):
        div = 4
    s["hop_length"] = s["n_fft"] // div
    for key in ("floor_db", "ceiling_db"):
        try:
            v = float(src.get(key, s[key]))
            if math.isfinite(v):
                s[key] = float(min(DB_MAX, max(DB_MIN, round(v))))
        except (TypeError, ValueError):
            pass
    if s["ceiling_db"] <= s["floor_db"]:
        s["floor_db"] = min(s["floor_db"], DB_MAX - 1.0)
        s["ceiling_db"] = s["floor_db"] + 1.0
    return s


def _combo(items: list[tuple[str, object]], tip: str) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    box.setToolTip(tip)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return box


class SpectrogramControls(QWidget):
    """Title, scale, FFT, hop, window, dB range, colours, box mode, readout, status.

    ``changed(dict)`` carries the settings the widgets now show.
    """

    changed = Signal(dict)

    def __init__(self, settings: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        c = colours()
        self.setObjectName("spectrogramControls")
        self.setAutoFillBackground(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 1, 6, 1)
        row.setSpacing(4)
        # A tool bar folds what does not fit into its ">>" menu, so the pane
        # can be narrower than all of its controls.
        bar = QToolBar()
        bar.setObjectName("spectrogramToolBar")
        bar.setStyleSheet("QToolBar { border: none; padding: 0px; spacing: 3px; }")
        row.addWidget(bar)
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: 600; padding-right: 4px;")
        bar.addWidget(self.title)
        self.scale = _combo([("Linear", "linear"), ("Log", "log"), ("Mel", "mel")],
                            "Frequency scale (Log shows note names)")
        self.fft = _combo([(str(n), n) for n in FFT_SIZES],
                          "FFT size in samples: larger = sharper pitch, blurrier time")
        self.hop = _combo([("", d) for d in HOP_DIVISORS],
                          "Hop between frames in samples: smaller = smoother in time, slower")
        self.window = _combo([(w.title(), w) for w in WINDOWS], "Analysis window")
        self.floor = QSpinBox()
        self.ceiling = QSpinBox()
        for spin, tip in ((self.floor, "Level drawn darkest (dB)"),
                          (self.ceiling, "Level drawn brightest (dB, 0 = full-scale sine)")):
            spin.setRange(DB_MIN, DB_MAX)
            spin.setSuffix(" dB")
            spin.setSingleStep(5)
            spin.setKeyboardTracking(False)
            spin.setToolTip(tip)
        self.cmap = _combo([(m.title(), m) for m in COLORMAPS], "Colour map")
        self.box = QToolButton()
        self.box.setText("Box")
        self.box.setCheckable(True)
        self.box.setStyleSheet(
            f"QToolButton {{ padding: 1px 6px; border: 1px solid {c.border}; border-radius: 3px; }}"
            f"QToolButton:checked {{ background: {c.accent}; color: #ffffff; }}")
        self.box.setToolTip("Drag selects a time × frequency box (or hold Shift while dragging)")
        for label, w in (("Scale", self.scale), ("FFT", self.fft), ("Hop", self.hop),
                         ("", self.window), ("Range", self.floor), ("to", self.ceiling),
                         ("", self.cmap), ("", self.box)):
            if label:
                lab = QLabel(label)
                lab.setStyleSheet(f"color: {c.text_dim}; padding-left: 3px;")
                bar.addWidget(lab)
            bar.addWidget(w)
        self.readout = QLabel("")
        self.readout.setObjectName("readout")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.readout.setStyleSheet("font-family: monospace;")
        row.addWidget(self.readout, 1)
        self.status = QLabel("")
        self.status.setStyleSheet(f"color: {c.text_dim};")
        row.addWidget(self.status)
        self.show_settings(settings)
        for box in (self.scale, self.fft, self.hop, self.window, self.cmap):
            box.currentIndexChanged.connect(self._emit)
        for spin in (self.floor, self.ceiling):
            spin.valueChanged.connect(self._emit)

    @property
    def box_mode(self) -> bool:
        return self.box.isChecked()

    def set_title(self, text: str) -> None:
        self.title.setText(text)
        self.title.setVisible(bool(text))

    def set_readout(self, text: str) -> None:
        self.readout.setText(text)

    def set_status(self, text: str, *, error: bool = False) -> None:
        colour = "#ff6b6b" if error else colours().text_dim
        self.status.setStyleSheet(f"color: {colour};")
        self.status.setText(text)
        self.status.setToolTip(text if error else "")

    def show_settings(self, s: dict) -> None:
        """Show ``s`` (a normalized settings dict) without emitting ``changed``."""
        widgets = (self.scale, self.fft, self.hop, self.window, self.cmap, self.floor,
                   self.ceiling)
        for w in widgets:
            w.blockSignals(True)
        try:
            for i, d in enumerate(HOP_DIVISORS):
                self.hop.setItemText(i, str(s["n_fft"] // d))
            self.scale.setCurrentIndex(self.scale.findData(s["scale"]))
            self.fft.setCurrentIndex(self.fft.findData(s["n_fft"]))
            self.hop.setCurrentIndex(self.hop.findData(s["n_fft"] // s["hop_length"]))
            self.window.setCurrentIndex(self.window.findData(s["window"]))
            self.cmap.setCurrentIndex(self.cmap.findData(s["cmap"]))
            self.floor.setValue(int(s["floor_db"]))
            self.ceiling.setValue(int(s["ceiling_db"]))
        finally:
            for w in widgets:
                w.blockSignals(False)

    def current(self) -> dict:
        n_fft = int(self.fft.currentData())
        floor, ceiling = float(self.floor.value()), float(self.ceiling.value())
        if ceiling <= floor:  # keep the pair ordered whichever one moved
            if self.sender() is self.floor:
                ceiling = floor + 1
            else:
                floor = ceiling - 1
        return {"scale": self.scale.currentData(), "n_fft": n_fft,
                "hop_length": n_fft // int(self.hop.currentData()),
                "window": self.window.currentData(), "floor_db": floor,
                "ceiling_db": ceiling, "cmap": self.cmap.currentData()}

    def _emit(self, *_) -> None:
        self.changed.emit(self.current())
