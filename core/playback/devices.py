"""Audio output devices as PortAudio (through ``sounddevice``) sees them.

``sounddevice`` is imported lazily: importing it initialises PortAudio, which
probes every host API (slow, noisy on ALSA) and fails outright on machines
without the PortAudio library.  Nothing here runs at module import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import AudioDeviceError

_NO_OUTPUT = "No audio output is available: "


@dataclass(frozen=True)
class OutputDevice:
    """One output device.

    Attributes
    ----------
    index : int
        PortAudio device index (valid until the next rescan).
    name : str
        Device name, e.g. ``"pulse"`` or ``"HDA Intel PCH: ALC257 Analog (hw:0,0)"``.
    hostapi : str
        Host API name (``"ALSA"``, ``"Core Audio"``, ``"Windows WASAPI"``...).
    channels : int
        Maximum output channels.
    default_sr : float
        The device's preferred sample rate, Hz.
    is_default : bool
        Whether this is the system's default output.
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
    """Import and return ``sounddevice``, or raise :class:`AudioDeviceError`.

    Raises
    ------
    AudioDeviceError
        The PortAudio library is missing or cannot be initialised.
    """
    try:
        import sounddevice
    except (OSError, ImportError) as exc:  # PortAudio library missing
        raise AudioDeviceError(
            _NO_OUTPUT + f"the PortAudio sound library could not be loaded ({exc})."
        ) from exc
    return sounddevice


def rescan() -> None:
    """Make PortAudio look for devices again (new headphones, a restarted sound server).

    Only call this while no stream is open: PortAudio is shut down and
    re-initialised, which invalidates every open stream.
    """
    sd = sounddevice_module()
    try:
        sd._terminate()
    finally:
        sd._initialize()


def _default_output_index(sd: Any) -> int:
    try:
        idx = int(sd.default.device[1])
    except Exception:
        idx = -1
    if idx < 0:
        try:
            idx = int(sd.query_hostapis(0)["default_output_device"])
        except Exception:
            idx = -1
    return idx


def output_devices(*, rescan_first: bool = False) -> list[OutputDevice]:
    """List every device that can play sound.

    Parameters
    ----------
    rescan_first : bool
        Re-initialise PortAudio first (see :func:`rescan`) to pick up devices
        plugged in since start-up.  Only safe while no stream is open.

    Returns
    -------
    list of OutputDevice
        At least one device, the default marked ``is_default``.

    Raises
    ------
    AudioDeviceError
        PortAudio is missing or reports no output device.
    """
    sd = sounddevice_module()
    if rescan_first:
        rescan()
    try:
        raw = sd.query_devices()
        hostapis = sd.query_hostapis()
    except Exception as exc:
        raise AudioDeviceError(_NO_OUTPUT + f"the sound system did not answer ({exc}).") from exc
    default = _default_output_index(sd)
    out = []
    for d in raw:
        if int(d["max_output_channels"]) <= 0:
            continue
        out.append(
            OutputDevice(
                index=int(d["index"]),
                name=str(d["name"]),
                hostapi=str(hostapis[d["hostapi"]]["name"]),
                channels=int(d["max_output_channels"]),
                default_sr=float(d["default_samplerate"]),
                is_default=int(d["index"]) == default,
            )
        )
    if not out:
        raise AudioDeviceError(
            _NO_OUTPUT + "no sound card or sound server was found. "
            "Connect an output (or start PulseAudio/PipeWire) and press refresh."
        )
    return out


def resolve_output(device: int | str | None) -> OutputDevice:
    """Find the output device for ``device`` (index, name or name fragment, None = default).

    Raises
    ------
    AudioDeviceError
        No such device, the device cannot play, or no output exists at all.
    """
    devices = output_devices()
    if device is None:
        for d in devices:
            if d.is_default:
                return d
        return devices[0]
    if isinstance(device, int):
        for d in devices:
            if d.index == device:
                return d
        raise AudioDeviceError(
            f"The audio output #{device} does not exist (any more). "
            f"Available: {', '.join(d.name for d in devices)}."
        )
    name = str(device)
    exact = [d for d in devices if d.name == name]
    if exact:
        return exact[0]
    low = name.lower()
    partial = [d for d in devices if low in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise AudioDeviceError(
            f"The audio output \u201c{name}\u201d was not found. "
            f"Available: {', '.join(d.name for d in devices)}."
        )
    raise AudioDeviceError(
        f"\u201c{name}\u201d matches several audio outputs "
        f"({', '.join(d.name for d in partial)}); choose one from the list."
    )
