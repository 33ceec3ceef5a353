"""The Restore panel's per-tool settings: one page per tool, each giving the tool's params."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QWidget,
)

from app.panels.restore_work import TOOL_LABELS, describe_loudness

TOOLS = ("denoise", "declip", "declick", "dehum", "dereverb", "loudness")
METHODS = (("deepfilter", "DeepFilterNet3 (voice, best)"), ("rnnoise", "RNNoise (voice, light)"),
           ("gate", "Spectral gate (learned noise)"))


def _form() -> tuple[QWidget, QFormLayout]:
    w = QWidget()
    f = QFormLayout(w)
    f.setContentsMargins(0, 0, 0, 0)
    f.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    return w, f


def _slider(lo: int, hi: int, value: int, name: str) -> tuple[QWidget, QSlider, QLabel]:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    s = QSlider(Qt.Orientation.Horizontal)
    s.setObjectName(name)
    s.setRange(lo, hi)
    s.setValue(value)
    label = QLabel()
    label.setMinimumWidth(44)
    row.addWidget(s, 1)
    row.addWidget(label)
    s.valueChanged.connect(lambda v: label.setText(f"{v} %"))
    label.setText(f"{value} %")
    return box, s, label


class ToolOptions(QWidget):
    """Tool chooser plus the chosen tool's settings.

    Signals
    -------
    toolChanged(str)
    learnNoiseRequested(), clearNoiseRequested(), measureRequested()
    """

    toolChanged = Signal(str)
    learnNoiseRequested = Signal()
    clearNoiseRequested = Signal()
    measureRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QFormLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.tool_combo = QComboBox()
        self.tool_combo.setObjectName("restoreTool")
        for t in TOOLS:
            self.tool_combo.addItem(TOOL_LABELS[t], t)
        outer.addRow("Tool", self.tool_combo)
        self.pages = QStackedWidget()
        outer.addRow(self.pages)
        self._build_denoise()
        self._build_declip()
        self._build_declick()
        self._build_dehum()
        self._build_dereverb()
        self._build_loudness()
        self.tool_combo.currentIndexChanged.connect(self._tool_changed)
        self._tool_changed(0)

    def _method_changed(self, *_args) -> None:
        """The limit's "default" reads what the engine does for the chosen method."""
        self.limit_spin.setSpecialValueText(self._gate_default_text if self.method() == "gate"
                                            else "no limit")

    # -- pages -------------------------------------------------------------------------------
    def _build_denoise(self) -> None:
        w, f = _form()
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("restoreMethod")
        for key, text in METHODS:
            self.method_combo.addItem(text, key)
        f.addRow("Method", self.method_combo)
        box, self.strength_slider, _ = _slider(0, 100, 100, "restoreStrength")
        self.strength_slider.setToolTip("How much of the denoised sound is used (100 %: all; "
                                        "lower blends the original back in)")
        f.addRow("Strength", box)
        self.limit_spin = QSpinBox()
        self.limit_spin.setObjectName("restoreAttenLimit")
        self.limit_spin.setRange(0, 60)
        self.limit_spin.setSuffix(" dB")
        self.limit_spin.setSpecialValueText("no limit")
        self.limit_spin.setToolTip("The most the noise is turned down (e.g. 12 dB keeps some "
                                   "natural room tone)")
        f.addRow("Reduce by at most", self.limit_spin)
        from core.restore.denoise import GATE_DEFAULT_DB  # numpy only, already loaded

        self._gate_default_text = f"default ({GATE_DEFAULT_DB:g} dB)"
        # The spin box sizes itself for the first text it shows: make room for the longer.
        self.limit_spin.setMinimumWidth(
            self.limit_spin.fontMetrics().horizontalAdvance(self._gate_default_text) + 48)
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self._method_changed()
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        self.learn_button = QPushButton("Learn noise from selection")
        self.learn_button.setObjectName("restoreLearnNoise")
        self.learn_button.setToolTip("Select a stretch with only noise (a pause), then press: "
                                     "the spectral gate removes what sounds like it")
        self.learn_button.clicked.connect(self.learnNoiseRequested.emit)
        self.clear_noise_button = QPushButton("Forget")
        self.clear_noise_button.setObjectName("restoreForgetNoise")
        self.clear_noise_button.clicked.connect(self.clearNoiseRequested.emit)
        h.addWidget(self.learn_button, 1)
        h.addWidget(self.clear_noise_button)
        f.addRow(row)
        self.profile_label = QLabel()
        self.profile_label.setObjectName("restoreProfile")
        self.profile_label.setWordWrap(True)
        f.addRow(self.profile_label)
        self.set_profile_text(None)
        self.pages.addWidget(w)

    def _build_declip(self) -> None:
        w, f = _form()
        self.clip_auto = QCheckBox("Find the clip level automatically")
        self.clip_auto.setObjectName("restoreClipAuto")
        self.clip_auto.setChecked(True)
        self.clip_threshold = QDoubleSpinBox()
        self.clip_threshold.setObjectName("restoreClipThreshold")
        self.clip_threshold.setRange(0.01, 1.0)
        self.clip_threshold.setSingleStep(0.01)
        self.clip_threshold.setValue(0.99)
        self.clip_threshold.setToolTip("Samples at or beyond ± this level count as clipped")
        self.clip_threshold.setEnabled(False)
        self.clip_auto.toggled.connect(lambda on: self.clip_threshold.setEnabled(not on))
        f.addRow(self.clip_auto)
        f.addRow("Threshold", self.clip_threshold)
        self.pages.addWidget(w)

    def _build_declick(self) -> None:
        w, f = _form()
        box, self.sensitivity_slider, _ = _slider(0, 100, 50, "restoreSensitivity")
        self.sensitivity_slider.setToolTip("Higher finds smaller clicks; 70–90 % for vinyl "
                                           "crackle")
        f.addRow("Sensitivity", box)
        self.pages.addWidget(w)

    def _build_dehum(self) -> None:
        w, f = _form()
        self.hum_combo = QComboBox()
        self.hum_combo.setObjectName("restoreHumFreq")
        for text, hz in (("Auto (measure)", None), ("50 Hz", 50.0), ("60 Hz", 60.0)):
            self.hum_combo.addItem(text, hz)
        f.addRow("Hum", self.hum_combo)
        self.harmonics_spin = QSpinBox()
        self.harmonics_spin.setObjectName("restoreHarmonics")
        self.harmonics_spin.setRange(1, 60)
        self.harmonics_spin.setValue(8)
        self.harmonics_spin.setToolTip("Number of harmonics removed, the fundamental included")
        f.addRow("Harmonics", self.harmonics_spin)
        self.pages.addWidget(w)

    def _build_dereverb(self) -> None:
        w, f = _form()
        box, self.dereverb_mix, _ = _slider(0, 100, 100, "restoreDereverbMix")
        f.addRow("Strength", box)
        self.taps_spin = QSpinBox()
        self.taps_spin.setObjectName("restoreTaps")
        self.taps_spin.setRange(1, 40)
        self.taps_spin.setValue(10)
        self.taps_spin.setToolTip("Length of the reverb tail removed (frames of ~8 ms); more "
                                  "removes longer tails, slower")
        f.addRow("Tail length", self.taps_spin)
        self.pages.addWidget(w)

    def _build_loudness(self) -> None:
        w, f = _form()
        self.target_combo = QComboBox()
        self.target_combo.setObjectName("restoreTarget")
        for text, v in (("-14 LUFS (streaming)", -14.0), ("-23 LUFS (broadcast)", -23.0),
                        ("Custom", None)):
            self.target_combo.addItem(text, v)
        f.addRow("Target", self.target_combo)
        self.custom_target = QDoubleSpinBox()
        self.custom_target.setObjectName("restoreCustomTarget")
        self.custom_target.setRange(-70.0, 0.0)
        self.custom_target.setDecimals(1)
        self.custom_target.setValue(-16.0)
        self.custom_target.setSuffix(" LUFS")
        self.custom_target.setEnabled(False)
        self.target_combo.currentIndexChanged.connect(
            lambda _i: self.custom_target.setEnabled(self.target_combo.currentData() is None))
        f.addRow("Custom target", self.custom_target)
        self.ceiling_spin = QDoubleSpinBox()
        self.ceiling_spin.setObjectName("restoreCeiling")
        self.ceiling_spin.setRange(-20.0, 0.0)
        self.ceiling_spin.setDecimals(1)
        self.ceiling_spin.setSingleStep(0.5)
        self.ceiling_spin.setValue(-1.0)
        self.ceiling_spin.setSuffix(" dBTP")
        f.addRow("True-peak ceiling", self.ceiling_spin)
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        self.measure_button = QPushButton("Measure")
        self.measure_button.setObjectName("restoreMeasure")
        self.measure_button.setToolTip("Measure the selection (or the whole track)")
        self.measure_button.clicked.connect(self.measureRequested.emit)
        self.measure_label = QLabel("Integrated — · True peak — · LRA —")
        self.measure_label.setObjectName("restoreMeasurement")
        self.measure_label.setWordWrap(True)
        h.addWidget(self.measure_button)
        h.addWidget(self.measure_label, 1)
        f.addRow(row)
        self.pages.addWidget(w)

    # -- state ---------------------------------------------------------------------------------
    def _tool_changed(self, index: int) -> None:
        # a stack is as tall as its tallest page: let only the shown page count
        for i in range(self.pages.count()):
            pol = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.pages.widget(i).setSizePolicy(pol, pol)
        self.pages.setCurrentIndex(index)
        self.pages.adjustSize()
        self.toolChanged.emit(self.tool())

    def tool(self) -> str:
        return self.tool_combo.currentData()

    def set_tool(self, tool: str) -> None:
        self.tool_combo.setCurrentIndex(TOOLS.index(tool))

    def method(self) -> str:
        return self.method_combo.currentData()

    def set_method(self, method: str) -> None:
        self.method_combo.setCurrentIndex(self.method_combo.findData(method))

    def set_profile_text(self, text: str | None) -> None:
        self.profile_label.setText(text or "No noise profile: the gate estimates the noise "
                                           "itself (weaker). Learn one from a pause.")
        self.clear_noise_button.setEnabled(text is not None)

    def show_measurement(self, m: dict | None, scope: str = "") -> None:
        if m is None:
            self.measure_label.setText("Integrated — · True peak — · LRA —")
            return
        self.measure_label.setText(describe_loudness(m) + (f"  ({scope})" if scope else ""))

    def params(self, tool: str | None = None) -> dict:
        """Keyword settings of ``tool`` (the chosen one by default), as the engine takes them.
        Denoise's noise profile is added by the panel."""
        tool = tool or self.tool()
        if tool == "denoise":
            lim = self.limit_spin.value()
            return {"method": self.method(), "atten_limit_db": float(lim) if lim else None,
                    "mix": self.strength_slider.value() / 100.0}
        if tool == "declip":
            return {"threshold": None if self.clip_auto.isChecked()
                    else round(self.clip_threshold.value(), 4)}
        if tool == "declick":
            return {"sensitivity": self.sensitivity_slider.value() / 100.0}
        if tool == "dehum":
            return {"fundamental_hz": self.hum_combo.currentData(),
                    "harmonics": self.harmonics_spin.value()}
        if tool == "dereverb":
            return {"taps": self.taps_spin.value(), "mix": self.dereverb_mix.value() / 100.0}
        target = self.target_combo.currentData()
        return {"target_lufs": float(self.custom_target.value()) if target is None else target,
                "true_peak_dbtp": round(self.ceiling_spin.value(), 2)}
