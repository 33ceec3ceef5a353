"""Audio type, file I/O and resampling.  See :class:`Audio`.

Importing this package switches off numpy's huge-page request on kernels where it
stalls the first touch of big buffers (see :mod:`core.memory`).
"""

from core.audio.io import AudioInfo, info, load
from core.audio.resample import resample
from core.audio.types import Audio
from core.audio.write import save, write_formats
from core.memory import avoid_hugepage_stalls

avoid_hugepage_stalls()

__all__ = ["Audio", "AudioInfo", "info", "load", "save", "resample", "write_formats"]
