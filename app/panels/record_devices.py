"""The Record panel's input chooser: device, sample rate, channels, and the device-list watch.

PortAudio only sees a device plugged in after start-up when it is
re-initialised (:func:`core.record.devices.input_devices` with
``rescan_first=True``), and that is only safe while no stream is open in the
process.  The watch therefore rescans every ~2 s only while the Record panel
is on screen, nothing is being recorded or armed, and playback is not running;
it runs on the UI thread (about 50 ms) because a rescan racing a stream
being opened elsewhere would break that stream.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QToolButton, QWidget

from core.errors import ResonoteError

#: Sample rates offered, Hz.
SAMPLE_RATES = (44100, 48000, 88200, 96000, 192000)
#: How often the device list is checked while the panel is visible, ms.
DEVICE_POLL_MS = 2000


class InputChooser(QObject):
    """Owns the device / sample-rate / channel combo boxes and keeps the device list fresh.

    Signals
    -------
    devicesChanged(list)
        The list of :class:`core.record.InputDevice` changed (also on the first scan).
    problem(str)
        Listing devices failed, or the chosen device disappeared ("" clears it).
    """

    devicesChanged = Signal(list)
    problem = Signal(str)

    def __init__(self, parent: QWidget, *, can_rescan: Callable[[], bool]) -> None:
        super().__init__(parent)
        self._can_rescan = can_rescan
        self.devices: list = []
        self._signature: tuple | None = None

        self.device_combo = QComboBox()
        self.device_combo.setObjectName("recordDevice")
        self.device_combo.setToolTip("The microphone or audio interface input to record from")
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.setMinimumContentsLength(12)
        self.refresh_button = QToolButton()
        self.refresh_button.setText("⟳")
        self.refresh_button.setToolTip("Look for inputs again (new microphones, interfaces)")
        self.refresh_button.clicked.connect(lambda: self.refresh(rescan=True))
        self.device_row = QWidget()
        row = QHBoxLayout(self.device_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.device_combo, 1)
        row.addWidget(self.refresh_button)

        self.rate_combo = QComboBox()
        self.rate_combo.setObjectName("recordRate")
        self.rate_combo.setToolTip("Sample rate of the take")
        for sr in SAMPLE_RATES:
            self.rate_combo.addItem(f"{sr / 1000:g} kHz", sr)
        self.rate_combo.setCurrentIndex(SAMPLE_RATES.index(48000))
        self.channels_combo = QComboBox()
        self.channels_combo.setObjectName("recordChannels")
        self.channels_combo.setToolTip("Channels to record")
        self.device_combo.currentIndexChanged.connect(self._device_chosen)

        self.timer = QTimer(self)
        self.timer.setInterval(DEVICE_POLL_MS)
        self.timer.timeout.connect(self.poll)

    # -- choices -----------------------------------------------------------------------------
    @property
    def device_name(self) -> str | None:
        """The chosen input's name (None when there is none)."""
        data = self.device_combo.currentData()
        return None if data is None else str(data)

    @property
    def sample_rate(self) -> int:
        return int(self.rate_combo.currentData())

    @property
    def channels(self) -> int:
        data = self.channels_combo.currentData()
        return 1 if data is None else int(data)

    def set_enabled(self, on: bool) -> None:
        for w in (self.device_combo, self.refresh_button, self.rate_combo, self.channels_combo):
            w.setEnabled(on)
        if on and not self.devices:
            self.device_combo.setEnabled(False)

    # -- the list ----------------------------------------------------------------------------
    def poll(self) -> None:
        """Timer tick: rescan if it is safe now."""
        if self._can_rescan():
            self.refresh(rescan=True)

    def refresh(self, *, rescan: bool = False) -> bool:
        """List the inputs again; refill the menu if the list changed.  Returns whether it did."""
        from core.record.devices import devices_signature, input_devices

        if rescan and not self._can_rescan():
            rescan = False
        try:
            devices = input_devices(rescan_first=rescan)
        except ResonoteError as exc:
            devices = []
            self._fill([], str(exc))
            return True
        sig = devices_signature(devices)
        if sig == self._signature:
            self.devices = devices  # indices may have moved; names are what we keep
            return False
        self._fill(devices, "")
        return True

    def _fill(self, devices: list, error: str) -> None:
        previous = self.device_name
        self.devices = devices
        self._signature = None if error else tuple(
            (d.name, d.hostapi, d.channels) for d in devices)
        combo = self.device_combo
        combo.blockSignals(True)
        combo.clear()
        for d in devices:
            combo.addItem(d.label + ("  — system default" if d.is_default else ""), d.name)
        if not devices:
            combo.addItem("No audio input found", None)
        names = [d.name for d in devices]
        if previous in names:
            combo.setCurrentIndex(names.index(previous))
        else:
            default = next((i for i, d in enumerate(devices) if d.is_default), 0)
            combo.setCurrentIndex(default)
        combo.setEnabled(bool(devices))
        combo.blockSignals(False)
        self._device_chosen(choose_rate=previous not in names)
        if error:
            self.problem.emit(error)
        elif not devices:
            self.problem.emit("No audio input is available: no microphone, sound card or sound "
                              "server was found. Connect an input and press ⟳.")
        elif previous is not None and previous not in names:
            self.problem.emit(f"The input “{previous}” is no longer available; "
                              f"“{self.device_name}” is selected instead.")
        else:
            self.problem.emit("")
        self.devicesChanged.emit(list(devices))

    def _device_chosen(self, *_args, choose_rate: bool = True) -> None:
        device = next((d for d in self.devices if d.name == self.device_name), None)
        # keep the user's choice; the first time, stereo where the input has it
        keep = self.channels if self.channels_combo.count() else 2
        self.channels_combo.blockSignals(True)
        self.channels_combo.clear()
        n = 2 if device is None else max(1, min(device.channels, 8))
        for c in range(1, n + 1):
            self.channels_combo.addItem({1: "1 (mono)", 2: "2 (stereo)"}.get(c, str(c)), c)
        self.channels_combo.setCurrentIndex(min(keep, n) - 1)
        self.channels_combo.blockSignals(False)
        if device is not None and choose_rate and int(device.default_sr) in SAMPLE_RATES:
            self.rate_combo.setCurrentIndex(SAMPLE_RATES.index(int(device.default_sr)))
