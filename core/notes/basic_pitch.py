"""Basic Pitch (Spotify, ICASSP 2022) inference with onnxruntime: audio to posteriors.

The model sees windows of ``WINDOW_SAMPLES`` samples at 22050 Hz and gives
172 frames per window (256-sample hop) of note, onset and contour
probabilities.  Windows overlap by 30 frames; half of the overlap is cut from
each side and the rest concatenated, exactly as Basic Pitch's own
``run_inference`` does, so the posteriors (and the notes) match its
``predict()``.
"""

from __future__ import annotations

import logging
import threading
from typing import Optional

import numpy as np

from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.notes.types import Posteriors

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
FFT_HOP = 256
FRAMES_PER_SECOND = SAMPLE_RATE // FFT_HOP          # 86 (Basic Pitch's integer rate)
WINDOW_FRAMES = 2 * FRAMES_PER_SECOND               # 172 output frames per window
WINDOW_SAMPLES = 2 * SAMPLE_RATE - FFT_HOP          # 43844
OVERLAP_FRAMES = 30
OVERLAP_SAMPLES = OVERLAP_FRAMES * FFT_HOP          # 7680
HOP_SAMPLES = WINDOW_SAMPLES - OVERLAP_SAMPLES      # 36164
MIDI_OFFSET = 21
N_KEYS = 88

INPUT_NAME = "serving_default_input_2:0"
OUTPUTS = {"note": "StatefulPartitionedCall:1", "onset": "StatefulPartitionedCall:2",
           "contour": "StatefulPartitionedCall:0"}

_sessions: dict[tuple, object] = {}
_lock = threading.Lock()


def providers_for(device: Optional[str]) -> list[str]:
    """onnxruntime execution providers for ``device`` (None/"auto": CUDA when ORT has it)."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    want = (device or "auto").split(":")[0].lower()
    if want in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if want == "cuda":
        log.warning("onnxruntime has no CUDA provider here; transcribing notes on the CPU.")
    return ["CPUExecutionProvider"]


def session(device: Optional[str] = None):
    """The cached onnxruntime session for the registry's verified ``nmp.onnx``."""
    from core import models

    path = models.ensure("basic-pitch")
    onnx_path = path / "nmp.onnx" if path.is_dir() else path
    providers = providers_for(device)
    key = (str(onnx_path), tuple(providers))
    with _lock:
        if key not in _sessions:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            _sessions[key] = ort.InferenceSession(str(onnx_path), sess_options=opts,
                                                  providers=providers)
        return _sessions[key]


def frame_times(n_frames: int) -> np.ndarray:
    """Time (s) of each unwrapped output frame, shape (n_frames,).

    Basic Pitch's ``model_frames_to_time``: the nominal frame time, corrected per
    window for the 172-frame/86-fps rounding (plus its empirical 1.8 ms).
    """
    idx = np.arange(n_frames)
    nominal = idx * FFT_HOP / SAMPLE_RATE
    window_offset = (FFT_HOP / SAMPLE_RATE) * (WINDOW_FRAMES - WINDOW_SAMPLES / FFT_HOP) + 0.0018
    return nominal - window_offset * np.floor(idx / WINDOW_FRAMES)


def windows(y: np.ndarray) -> np.ndarray:
    """Cut mono 22050 Hz samples into model windows, shape (n_windows, WINDOW_SAMPLES, 1)."""
    padded = np.concatenate([np.zeros(OVERLAP_SAMPLES // 2, np.float32), y.astype(np.float32)])
    starts = np.arange(0, padded.shape[0], HOP_SAMPLES)
    out = np.zeros((len(starts), WINDOW_SAMPLES, 1), np.float32)
    for i, s in enumerate(starts):
        seg = padded[s:s + WINDOW_SAMPLES]
        out[i, :seg.shape[0], 0] = seg
    return out


def infer(
    y: np.ndarray,
    *,
    device: Optional[str] = None,
    batch_windows: int = 4,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Posteriors:
    """Run Basic Pitch on mono audio.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), dtype=float32]
        Mono samples at 22050 Hz.
    device : str, optional
        ``"cpu"``, ``"cuda"`` or None/``"auto"``.
    batch_windows : int
        Windows (2 s each) per model call; progress and cancel are checked between calls.

    Returns
    -------
    Posteriors
        ``floor(n * 86 / 22050)`` frames.
    """
    from core.devices import run_with_fallback

    wins = windows(y)
    n_win = wins.shape[0]

    def run(dev: str, batch: int) -> dict[str, np.ndarray]:
        sess = session(dev)
        outs: dict[str, list[np.ndarray]] = {k: [] for k in OUTPUTS}
        names = list(OUTPUTS.values())
        for start in range(0, n_win, batch):
            check(cancel)
            res = sess.run(names, {INPUT_NAME: wins[start:start + batch]})
            for k, r in zip(OUTPUTS, res, strict=True):
                outs[k].append(r)
            done = min(n_win, start + batch)
            progress(Progress("notes", done, n_win, f"Transcribing notes: window {done}/{n_win}"))
        return {k: np.concatenate(v) for k, v in outs.items()}

    progress(Progress("notes", 0, n_win, "Transcribing notes"))
    out = run_with_fallback(run, device=_device_name(device), chunk=max(1, batch_windows),
                            min_chunk=1)
    n_keep = int(np.floor(y.shape[0] * (FRAMES_PER_SECOND / SAMPLE_RATE)))
    half = OVERLAP_FRAMES // 2

    def unwrap(a: np.ndarray) -> np.ndarray:
        a = a[:, half:-half, :]
        return np.ascontiguousarray(a.reshape(-1, a.shape[2])[:n_keep], dtype=np.float32)

    note, onset, contour = (unwrap(out[k]) for k in ("note", "onset", "contour"))
    return Posteriors(note, onset, contour, frame_times(note.shape[0]))


def _device_name(device: Optional[str]) -> str:
    return "cuda" if providers_for(device)[0].startswith("CUDA") else "cpu"
