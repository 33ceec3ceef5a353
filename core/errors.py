"""The one exception tree for errors a user can cause.

Every error a musician can trigger (a bad file, an unknown model, no input
device, out of memory, a failed download) is a :class:`ResonoteError`.  Its
``str()`` is a single plain sentence fit for a status bar or a CLI's stderr;
the GUI and the CLI show it without a traceback.  Programming errors stay
ordinary Python exceptions.
"""

from __future__ import annotations


class ResonoteError(Exception):
    """Base of every user-facing error.  ``str(err)`` is the message to show."""


class AudioFileError(ResonoteError):
    """A file could not be read or written as audio."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class UnsupportedFormatError(AudioFileError):
    """The file exists and is readable, but is not an audio format we can decode."""


class CorruptAudioError(AudioFileError):
    """The file looks like audio but its data is damaged or truncated."""


class EmptyAudioError(AudioFileError):
    """The file decodes to zero samples."""


class NonFiniteAudioError(ResonoteError):
    """Samples contain NaN or Inf; ``count`` says how many."""

    def __init__(self, message: str, *, count: int) -> None:
        super().__init__(message)
        self.count = count


class InvalidParameterError(ResonoteError, ValueError):
    """A tool was given a parameter outside its valid range."""


class ModelError(ResonoteError):
    """Base of model-registry errors."""


class UnknownModelError(ModelError):
    """No model of that name is in the registry."""


class ModelNotInstalledError(ModelError):
    """The model exists but is neither bundled nor downloaded yet."""


class DownloadError(ModelError):
    """A download failed: network, HTTP status, timeout or checksum."""


class ChecksumError(DownloadError):
    """A file's SHA-256 does not match the registry."""


class DeviceError(ResonoteError):
    """An audio or compute device is missing or failed."""


class AudioDeviceError(DeviceError):
    """No usable audio input/output device, or the device failed."""


class ComputeOutOfMemoryError(DeviceError, MemoryError):
    """The computation did not fit in memory even after retrying smaller."""


class ProjectError(ResonoteError):
    """A project could not be opened or saved."""
