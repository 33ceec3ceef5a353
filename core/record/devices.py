"""Audio input devices as PortAudio (through ``sounddevice``) sees them.

``sounddevice`` is imported lazily (importing it initialises PortAudio).  The
device list changes when a microphone is plugged in or the sound server
restarts; :func:`input_devices` with ``rescan_first=True`` picks that up (only
while no stream is open), and :func:`devices_signature` lets a caller poll
cheaply for a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import AudioDeviceError

_NO_INPUT = "No audio input is available: "


@dataclass(frozen=True)
class InputDevice:
    """One input device.

    Attributes
    ----------
    index : int
        PortAudio device index (valid until the next rescan).
    name : str
        Device name, e.g. ``"pulse"`` or ``"USB Audio: ... (hw:1,0)"``.
    hostapi : str
        Host API name (``"ALSA"``, ``"Core Audio"``, ``"Windows WASAPI"``...).
    channels : int
        Maximum input channels.
    default_sr : float
        The device's preferred sample rate, Hz.
    is_default : bool
        Whether this is the system's default input.
    """

    index: int
    name: str
    hostapi: str
    channels: int
    default_sr: float
    is_default: bool

    @property
    def label(self) -> str:
        """Text for a device menu: ``"pulse (ALSA)"``."""
        return f"{self.name} ({self.hostapi})"


def sounddevice_module() -> Any:
    """Import and return ``sounddevice``, or raise :class:`AudioDeviceError`."""
    try:
        import sounddevice
    except (OSError, ImportError) as exc:
        raise AudioDeviceError(
            _NO_INPUT + f"the PortAudio sound library could not be loaded ({exc})."
        ) from exc
    return sounddevice


def rescan() -> None:
    """Make PortAudio look for devices again.  Only while no stream is open."""
    sd = sounddevice_module()
    try:
        sd._terminate()
    finally:
        sd._initialize()


def _default_input_index(sd: Any) -> int:
    try:
        idx = int(sd.default.device[0])
    except Exception:
        idx = -1
    if idx < 0:
        try:
            idx = int(sd.query_hostapis(0)["default_input_device"])
        except Exception:
            idx = -1
    return idx


def input_devices(*, rescan_first: bool = False) -> list[InputDevice]:
    """List every device that can record.

    Parameters
    ----------
    rescan_first : bool
        Re-initialise PortAudio first to see devices plugged in since start-up
        (only safe while no stream is open).

    Returns
    -------
    list of InputDevice
        Possibly empty; the default is marked ``is_default``.

    Raises
    ------
    AudioDeviceError
        PortAudio is missing or the sound system does not answer.
    """
    sd = sounddevice_module()
    if rescan_first:
        rescan()
    try:
        raw = sd.query_devices()
        hostapis = sd.query_hostapis()
    except Exception as exc:
        raise AudioDeviceError(_NO_INPUT + f"the sound system did not answer ({exc}).") from exc
    default = _default_input_index(sd)
    return [
        InputDevice(
            index=int(d["index"]),
            name=str(d["name"]),
            hostapi=str(hostapis[d["hostapi"]]["name"]),
            channels=int(d["max_input_channels"]),
            default_sr=float(d["default_samplerate"]),
            is_default=int(d["index"]) == default,
        )
        for d in raw
        if int(d["max_input_channels"]) > 0
    ]


def devices_signature(devices: list[InputDevice]) -> tuple[tuple[str, str, int], ...]:
    """What identifies a device list, to tell whether it changed after a rescan."""
    return tuple((d.name, d.hostapi, d.channels) for d in devices)


def resolve_input(device: int | str | None) -> InputDevice:
    """The input for ``device``: index, name, unique part of a name, or None (default).

    Raises
    ------
    AudioDeviceError
        No input exists at all, or no such device, or the name is ambiguous.
    """
    devices = input_devices()
    if not devices:
        raise AudioDeviceError(
            _NO_INPUT + "no microphone, sound card or sound server was found. "
            "Connect an input (or start PulseAudio/PipeWire) and press refresh."
        )
    names = ", ".join(d.name for d in devices)
    if device is None:
        return next((d for d in devices if d.is_default), devices[0])
    if isinstance(device, int) or (isinstance(device, str) and device.strip().isdigit()):
        idx = int(device)
        for d in devices:
            if d.index == idx:
                return d
        raise AudioDeviceError(
            f"The audio input #{idx} does not exist (any more), or cannot record. "
            f"Available inputs: {names}."
        )
    name = str(device)
    exact = [d for d in devices if d.name == name]
    if exact:
        return exact[0]
    partial = [d for d in devices if name.lower() in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise AudioDeviceError(
            f"The audio input \u201c{name}\u201d was not found. Available inputs: {names}."
        )
    raise AudioDeviceError(
        f"\u201c{name}\u201d matches several audio inputs "
        f"({', '.join(d.name for d in partial)}); choose one from the list."
    )
