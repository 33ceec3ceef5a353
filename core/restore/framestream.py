"""Run a 48 kHz frame-by-frame C denoiser (DeepFilterNet3, RNNoise) over any audio.

Both libraries take fixed 480-sample mono frames at 48 kHz and return output
that lags the input by a fixed number of samples.  :func:`stream_denoise`
resamples each channel to 48 kHz, feeds the frames (plus enough trailing
silence to flush the lag), drops the lag so the output lines up sample-accurately
with the input, and resamples back.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np

from core.audio import Audio, resample
from core.restore.common import Steps

MODEL_SR = 48000
FRAME = 480
#: Frames between progress reports / cancel checks (0.5 s of 48 kHz audio).
FRAMES_PER_STEP = 50

FloatPtr = ctypes.POINTER(ctypes.c_float)


def stream_denoise(x: np.ndarray, sr: int, *, new_state: Callable[[], object],
                   free_state: Callable[[object], None],
                   process: Callable[[object, np.ndarray, np.ndarray], None],
                   delay: int, steps_factory: Callable[[int], Steps]) -> np.ndarray:
    """Denoise ``x`` [shape=(channels, frames), float64, rate ``sr``] channel by channel.

    ``process(state, frame_in, frame_out)`` fills ``frame_out`` (480 float32) from
    ``frame_in``; ``delay`` is the library's output lag in 48 kHz samples.
    Returns float64 ``(channels, frames)`` at ``sr``, aligned with ``x``.
    """
    channels, n = x.shape
    x48 = resample(Audio(x.astype(np.float32), sr), MODEL_SR).samples if sr != MODEL_SR \
        else x.astype(np.float32)
    n48 = x48.shape[1]
    n_frames = -(-(n48 + delay) // FRAME)
    steps = steps_factory(channels * -(-n_frames // FRAMES_PER_STEP))
    out48 = np.zeros((channels, n48), dtype=np.float32)
    for ch in range(channels):
        padded = np.zeros(n_frames * FRAME, dtype=np.float32)
        padded[:n48] = x48[ch]
        y = np.empty_like(padded)
        state = new_state()
        try:
            for i in range(n_frames):
                s = i * FRAME
                process(state, padded[s:s + FRAME], y[s:s + FRAME])
                if (i + 1) % FRAMES_PER_STEP == 0 or i == n_frames - 1:
                    steps.advance(1)
        finally:
            free_state(state)
        out48[ch] = y[delay:delay + n48]
    if sr == MODEL_SR:
        return out48.astype(np.float64)
    back = resample(Audio(out48, MODEL_SR), sr).samples.astype(np.float64)
    if back.shape[1] >= n:
        return back[:, :n]
    return np.pad(back, ((0, 0), (0, n - back.shape[1])))


def as_ptr(a: np.ndarray):
    """A ``float*`` into a C-contiguous float32 array (no copy)."""
    return a.ctypes.data_as(FloatPtr)
