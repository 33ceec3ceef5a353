"""Recording takes that are never lost.

``Recorder`` captures from an audio input into a WAV take that is valid at
any moment; ``recover_takes`` repairs takes interrupted by a crash.  Nothing
here imports Qt; ``sounddevice`` is imported only when a device is used.
"""

from core.record.devices import InputDevice, input_devices, resolve_input
from core.record.meters import FLOOR_DB, Meters
from core.record.recorder import STATES, Recorder
from core.record.recovery import orphaned_takes, recover_takes
from core.record.takes import Take, default_takes_dir, sidecar_path
from core.record.wavfile import DiskFullError, WavWriter, repair_wav

__all__ = [
    "FLOOR_DB",
    "STATES",
    "DiskFullError",
    "InputDevice",
    "Meters",
    "Recorder",
    "Take",
    "WavWriter",
    "default_takes_dir",
    "input_devices",
    "orphaned_takes",
    "recover_takes",
    "repair_wav",
    "resolve_input",
    "sidecar_path",
]
