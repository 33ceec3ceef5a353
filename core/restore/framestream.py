"""Run a 48 kHz frame-by-frame C denoiser (DeepFilterNet3, RNNoise) over any audio.

Both libraries take fixed 480-sample mono frames at 48 kHz and return output
that lags the input by a fixed number of samples.  :func:`stream_denoise`
resamples each channel to 48 kHz, feeds the frames (plus enough trailing
silence to flush the lag), drops the lag so the output lines up sample-accurately
with the input, and resamples back.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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
                   delay: int, steps_factory: Callable[[int], Steps],
                   scale: float = 1.0) -> np.ndarray:
    """Denoise ``x`` [shape=(channels, frames), float64, rate ``sr``] channel by channel.

    ``process(state, frame_in, frame_out)`` fills ``frame_out`` (480 float32) from
    ``frame_in`` and must not share buffers between calls on different states;
    ``delay`` is the library's output lag in 48 kHz samples; the library sees the
    input multiplied by ``scale`` (its output is divided by it).  Channels run on
    parallel threads (one library state each; ctypes releases the GIL during the C
    call), so stereo takes about the time of mono on two cores.
    Returns float64 ``(channels, frames)`` at ``sr``, aligned with ``x``.
    """
    channels, n = x.shape
    x48 = resample(Audio(x.astype(np.float32), sr), MODEL_SR).samples if sr != MODEL_SR \
        else x.astype(np.float32)
    n48 = x48.shape[1]
    n_frames = -(-(n48 + delay) // FRAME)
    steps = steps_factory(channels * -(-n_frames // FRAMES_PER_STEP))
    lock = threading.Lock()
    out48 = np.zeros((channels, n48), dtype=np.float32)

    def one_channel(ch: int) -> None:
        padded = np.zeros(n_frames * FRAME, dtype=np.float32)
        np.multiply(x48[ch], scale, out=padded[:n48])
        y = np.empty_like(padded)
        state = new_state()
        try:
            for i in range(n_frames):
                s = i * FRAME
                process(state, padded[s:s + FRAME], y[s:s + FRAME])
                if (i + 1) % FRAMES_PER_STEP == 0 or i == n_frames - 1:
                    with lock:
                        steps.advance(1)
        finally:
            free_state(state)
        np.multiply(y[delay:delay + n48], 1.0 / scale, out=out48[ch])

    workers = min(channels, os.cpu_count() or 1)
    if workers <= 1:
        for ch in range(channels):
            one_channel(ch)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="denoise") as pool:
            for f in [pool.submit(one_channel, ch) for ch in range(channels)]:
                f.result()  # re-raises JobCancelled or a library error
    if sr == MODEL_SR:
        return out48.astype(np.float64)
    back = resample(Audio(out48, MODEL_SR), sr).samples.astype(np.float64)
    if back.shape[1] >= n:
        return back[:, :n]
    return np.pad(back, ((0, 0), (0, n - back.shape[1])))


def as_ptr(a: np.ndarray):
    """A ``float*`` into a C-contiguous float32 array (no copy)."""
    return a.ctypes.data_as(FloatPtr)
