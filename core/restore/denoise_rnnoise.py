"""RNNoise through ``librnnoise.so`` from the PyPI package ``pyrnnoise``.

Only the shared library is used (the package's high-level class pulls heavy
dependencies), located without importing the package.  RNNoise takes
480-sample float frames at 48 kHz scaled to ±32768; its output lags the input
by :data:`DELAY_SAMPLES` (measured: 960 samples = 20 ms), which is removed.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
from typing import Optional

import numpy as np

from core.errors import ModelNotInstalledError
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.common import Steps
from core.restore.framestream import FRAME, as_ptr, stream_denoise

#: Output lag of rnnoise_process_frame in 48 kHz samples, measured by cross-correlation.
DELAY_SAMPLES = 960
SCALE = 32768.0


@functools.lru_cache(maxsize=1)
def _library():
    spec = importlib.util.find_spec("pyrnnoise")
    path = None
    if spec is not None and spec.submodule_search_locations:
        path = os.path.join(list(spec.submodule_search_locations)[0], "librnnoise.so")
    try:
        if path is None:
            raise OSError("pyrnnoise not found")
        lib = ctypes.CDLL(path)
    except OSError as exc:
        raise ModelNotInstalledError(
            "The RNNoise denoiser is not installed (package pyrnnoise). "
            "Reinstall Resonote, or choose another denoise method."
        ) from exc
    lib.rnnoise_create.restype = ctypes.c_void_p
    lib.rnnoise_create.argtypes = [ctypes.c_void_p]
    lib.rnnoise_destroy.restype = None
    lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    lib.rnnoise_get_frame_size.restype = ctypes.c_int
    lib.rnnoise_process_frame.restype = ctypes.c_float
    lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
                                          ctypes.POINTER(ctypes.c_float)]
    if lib.rnnoise_get_frame_size() != FRAME:
        raise ModelNotInstalledError("The installed RNNoise build has an unexpected frame size.")
    return lib


def denoise_rnnoise(x: np.ndarray, sr: int, *, progress: ProgressCallback = no_progress,
                    cancel: Optional[CancelToken] = None) -> np.ndarray:
    """Denoise ``x`` [shape=(channels, frames), float, rate ``sr`` Hz] with RNNoise.

    Returns float64 ``(channels, frames)`` at ``sr``, time-aligned with ``x``
    (full strength; the caller applies any attenuation limit or mix).
    """
    lib = _library()

    def process(state, fin, fout):
        lib.rnnoise_process_frame(state, as_ptr(fout), as_ptr(fin))

    return stream_denoise(
        x, sr, new_state=lambda: lib.rnnoise_create(None), free_state=lib.rnnoise_destroy,
        process=process, delay=DELAY_SAMPLES, scale=SCALE,
        steps_factory=lambda total: Steps(progress, cancel, "denoise", total, "RNNoise"))
