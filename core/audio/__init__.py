"""Audio type, file I/O and resampling.  See :class:`Audio`."""

from core.audio.io import AudioInfo, info, load, save, write_formats
from core.audio.resample import resample
from core.audio.types import Audio

__all__ = ["Audio", "AudioInfo", "info", "load", "save", "resample", "write_formats"]
