"""The widgets of a transport toolbar (see :meth:`PlaybackController.make_toolbar`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QToolBar, QToolButton

from core.errors import AudioDeviceError
from core.playback import output_devices

if TYPE_CHECKING:
    from app.playback_controller import PlaybackController


class TransportWidgets:
    """The widgets of one toolbar; kept in step by the controller."""

    def __init__(self, ctl: PlaybackController, bar: QToolBar) -> None:
        self.ctl = ctl
        acts = ctl._actions
        for key in ("play_pause", "stop", "play_from_cursor", "loop", "ab"):
            bar.addAction(acts[key])
        self.speed = ctl.make_speed_box(bar)
        self.speed.setObjectName("transportSpeed")
        self.speed.setPrefix("Speed ")
        bar.addWidget(self.speed)
        bar.addSeparator()
        self.volume = QSlider(Qt.Orientation.Horizontal, bar)
        self.volume.setObjectName("transportVolume")
        self.volume.setRange(0, 100)
        self.volume.setFixedWidth(90)
        self.volume.setValue(round(ctl._volume * 100))
        self.volume.setToolTip("Master volume")
        self.volume.valueChanged.connect(lambda v: ctl.set_volume(v / 100))
        bar.addWidget(QLabel("Vol", bar))
        bar.addWidget(self.volume)
        bar.addSeparator()
        self.devices = QComboBox(bar)
        self.devices.setObjectName("transportDevice")
        self.devices.setMinimumContentsLength(14)
        self.devices.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.devices.setToolTip("Audio output")
        self.devices.activated.connect(self._device_chosen)
        bar.addWidget(self.devices)
        refresh = QToolButton(bar)
        refresh.setDefaultAction(acts["refresh_devices"])
        bar.addWidget(refresh)
        self.notice = QLabel(bar)
        self.notice.setObjectName("transportNotice")
        self.notice.setStyleSheet("color: #c0392b; padding-left: 6px;")
        self.notice_action = bar.addWidget(self.notice)

    def sync_volume(self, v: float) -> None:
        if self.volume.value() != round(v * 100):
            self.volume.blockSignals(True)
            self.volume.setValue(round(v * 100))
            self.volume.blockSignals(False)
        self.volume.setToolTip(f"Master volume: {round(v * 100)} %")

    def update(self) -> None:
        ctl = self.ctl
        try:
            devices = output_devices()
        except AudioDeviceError:
            devices = []
        self.devices.blockSignals(True)
        self.devices.clear()
        current = ctl.player.device_name if ctl.player else None
        for d in devices:
            self.devices.addItem(d.label + ("  \u2605" if d.is_default else ""), d.name)
            if d.name == current:
                self.devices.setCurrentIndex(self.devices.count() - 1)
        if current is None:
            self.devices.addItem("(no output)", None)
            self.devices.setCurrentIndex(self.devices.count() - 1)
        self.devices.blockSignals(False)
        self.devices.setEnabled(bool(devices))
        self.volume.setEnabled(ctl.available)
        for a in ctl._actions.values():
            tip = a.property("baseTip")
            if not ctl.available and a.objectName() != "transport_refresh_devices":
                tip += "\n" + ctl.unavailable_reason
            a.setToolTip(tip)
        if ctl.available:
            self.notice.setText("")
            self.notice.setToolTip("")
            self.notice_action.setVisible(False)
        else:
            self.notice.setText("No audio output")
            self.notice.setToolTip(
                ctl.unavailable_reason
                + "\n\nEverything else works. Connect an output, then press refresh."
            )
            self.notice_action.setVisible(True)

    def _device_chosen(self, row: int) -> None:
        name = self.devices.itemData(row)
        if name is not None:
            self.ctl.set_device(name)
