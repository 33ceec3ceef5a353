"""The Record panel's widgets (split from record_panel.py): input, transport, meters, status.

The extras (file format, monitoring, count-in, backing and latency, live
transcription) are built by :class:`app.panels.record_extras.RecordExtrasMixin`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
)

from app.panels.record_devices import InputChooser
from app.views.level_meter import LevelMeter


def clock(seconds: float) -> str:
    """``h:mm:ss.s``."""
    s = max(0.0, seconds)
    h, rem = divmod(s, 3600)
    return f"{int(h)}:{int(rem // 60):02d}:{rem % 60:04.1f}"


class RecordWidgetsMixin:
    """Builds the controls of :class:`app.panels.record_panel.RecordPanel` into ``layout_``."""

    def _build_widgets(self) -> None:
        self.chooser = InputChooser(self, can_rescan=self._can_rescan)
        self.chooser.problem.connect(self._device_problem)
        self.chooser.devicesChanged.connect(lambda _d: self._update_buttons())
        self.chooser.device_combo.currentIndexChanged.connect(self._settings_changed)
        self.chooser.rate_combo.currentIndexChanged.connect(self._settings_changed)
        self.chooser.channels_combo.currentIndexChanged.connect(self._settings_changed)

        self.gain = QDoubleSpinBox()
        self.gain.setObjectName("recordGain")
        self.gain.setRange(-60.0, 40.0)
        self.gain.setSingleStep(0.5)
        self.gain.setDecimals(1)
        self.gain.setSuffix(" dB")
        self.gain.setToolTip("Input gain trim, applied before the meters and the take")
        self.gain.valueChanged.connect(self._gain_changed)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)
        form.addRow("Input", self.chooser.device_row)
        fmt = QHBoxLayout()
        fmt.setSpacing(6)
        fmt.addWidget(self.chooser.rate_combo, 1)
        fmt.addWidget(self.chooser.channels_combo, 1)
        form.addRow("Format", fmt)
        form.addRow("Gain", self.gain)
        self.layout_.addLayout(form)
        self._form = form

        buttons = QGridLayout()
        buttons.setSpacing(4)
        self.arm_button = QPushButton("Arm")
        self.arm_button.setCheckable(True)
        self.arm_button.setToolTip("Open the input: the meters move, nothing is recorded")
        self.record_button = QPushButton("● Record")
        self.record_button.setObjectName("recordButton")
        self.record_button.setToolTip("Start a new take (Ctrl+R)")
        self.record_button.setShortcut("Ctrl+R")
        self.record_button.setStyleSheet(
            "QPushButton#recordButton { color: #ff5a4f; font-weight: 700; }"
            "QPushButton#recordButton:disabled { color: #7a4a47; }")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause the take; Resume continues the same take")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Finish the take; it becomes a new track at the playhead")
        for i, b in enumerate((self.arm_button, self.record_button, self.pause_button,
                               self.stop_button)):
            buttons.addWidget(b, 0, i)
        self.layout_.addLayout(buttons)
        self.arm_button.toggled.connect(self._arm_toggled)
        self.record_button.clicked.connect(self.record)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.stop_button.clicked.connect(self.stop)

        self.meter = LevelMeter(2)
        self.meter.clipResetRequested.connect(self._reset_clip)
        self.layout_.addWidget(self.meter)

        status = QGridLayout()
        status.setHorizontalSpacing(10)
        status.setVerticalSpacing(2)
        self.elapsed_label = QLabel(clock(0))
        self.elapsed_label.setObjectName("recordElapsed")
        self.elapsed_label.setStyleSheet("font-family: monospace; font-size: 18px; font-weight: 600;")
        self.elapsed_label.setToolTip("Length of the take (pauses excluded)")
        self.state_label = QLabel("Idle")
        self.state_label.setObjectName("recordState")
        self.disk_label = QLabel("")
        self.disk_label.setObjectName("panelNote")
        self.disk_label.setToolTip("Free space where takes are saved")
        self.dropped_label = QLabel("Dropped buffers: 0")
        self.dropped_label.setObjectName("recordDropped")
        self.dropped_label.setToolTip("Input buffers lost because the computer could not keep "
                                      "up; they are replaced by silence and noted in the take")
        status.addWidget(self.elapsed_label, 0, 0)
        status.addWidget(self.state_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        status.addWidget(self.disk_label, 1, 0)
        status.addWidget(self.dropped_label, 1, 1, Qt.AlignmentFlag.AlignRight)
        self.layout_.addLayout(status)

        extras = QFormLayout()
        extras.setContentsMargins(0, 4, 0, 0)
        extras.setHorizontalSpacing(8)
        extras.setVerticalSpacing(4)
        self._build_extras(extras)
        self.layout_.addLayout(extras)

        self.error_label = QLabel("")
        self.error_label.setObjectName("recordError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(
            "QLabel#recordError { color: #ffb4ab; background: #4a2326; border: 1px solid #7c3430;"
            " border-radius: 4px; padding: 6px; }")
        self.error_label.hide()
        self.layout_.addWidget(self.error_label)
        self.note_label = QLabel("")
        self.note_label.setObjectName("panelNote")
        self.note_label.setWordWrap(True)
        self.layout_.addWidget(self.note_label)

