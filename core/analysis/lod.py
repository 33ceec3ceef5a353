"""Spectrogram levels of detail: cost scales with screen columns, not file length.

A view never needs more STFT frames than it has pixel columns.  The overview of
a whole file and a zoomed region are both computed from *sparse* frames: only
the frames at the columns' positions are transformed, each one exactly the
frame the full STFT would have there (same grid, same padding), so zooming in
until a region has fewer hops than columns gives the full-resolution STFT.

By default the frames are transformed with numpy on the CPU: a screenful is a
few thousand FFTs, and opening a file must not load torch (hundreds of MB).
Pass ``device="cuda"`` (or ``"auto"``) to run them through torch instead.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import numpy as np

from core.analysis import frames as fr
from core.analysis.scales import frequency_axis
from core.analysis.types import Spectrogram
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

#: Columns transformed per batch: (channels x 256 x n_fft) float32 temporaries.
BATCH_COLUMNS = 256


class SpectrogramLOD:
    """Spectrogram of one signal at whatever resolution a view asks for.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (channels, n), dtype=float32]
        Referenced, not copied: do not modify it while this object is in use.
    sr : int
        Sample rate, Hz.
    n_fft, hop_length, window
        STFT parameters (frames are centred, reflect-padded at the edges).
    scale, n_bins, fmin, fmax, reduce
        Frequency axis (see :func:`core.analysis.scales.frequency_axis`); log by default.
    floor_db : float
        dB values are floored here (an absolute floor, so tiles computed at
        different times share one level scale).
    device : str, optional
        None: numpy on the CPU.  ``"auto"``, ``"cuda"``, ...: torch on that device.
    cache_size : int
        Results kept for repeated requests (least recently used dropped first).
    threads : int, optional
        Threads for the numpy path (default: CPU count, at most 4).

    Thread safety: methods may be called from worker threads; the cache is locked.
    """

    def __init__(self, samples: np.ndarray, sr: int, *, n_fft: int = 2048,
                 hop_length: int = 512, window: fr.WindowSpec = "hann", scale: str = "log",
                 n_bins: Optional[int] = None, fmin: Optional[float] = None,
                 fmax: Optional[float] = None, reduce: str = "max",
                 floor_db: float = -120.0, device: Optional[str] = None,
                 cache_size: int = 8, threads: Optional[int] = None) -> None:
        fr.check_fft(n_fft, hop_length)
        self.samples = fr.as_channels(samples)
        fr.require_audio(self.samples)
        self.sr = int(sr)
        if self.sr <= 0:
            raise InvalidParameterError(f"Sample rate must be positive; got {sr}.")
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.axis = frequency_axis(self.sr, self.n_fft, scale=scale, n_bins=n_bins,
                                   fmin=fmin, fmax=fmax, reduce=reduce)
        self.scale = self.axis.scale
        self.floor_db = float(floor_db)
        self.device = device
        self.threads = int(threads or min(4, os.cpu_count() or 1))
        self.n_frames = fr.n_frames(self.samples.shape[1], self.n_fft, self.hop_length, True)
        self._window = fr.power_window(window, self.n_fft)
        self._cache: OrderedDict[tuple, Spectrogram] = OrderedDict()
        self._cache_size = int(cache_size)
        self._lock = threading.Lock()

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sr

    @property
    def freqs(self) -> np.ndarray:
        """Row centre frequencies, Hz (ascending)."""
        return self.axis.freqs.astype(np.float64)

    def frame_of_time(self, t: float) -> float:
        """Fractional frame number whose centre is at ``t`` seconds."""
        return t * self.sr / self.hop_length

    # ------------------------------------------------------------------ API
    def overview(self, n_columns: int = 2048, *, cancel: Optional[CancelToken] = None
                 ) -> Spectrogram:
        """The whole signal in at most ``n_columns`` frames (all frames if fewer)."""
        return self._columns(0, self.n_frames - 1, n_columns, no_progress, cancel)

    def region(self, t0: float, t1: float, n_columns: int, *,
               progress: ProgressCallback = no_progress,
               cancel: Optional[CancelToken] = None) -> Spectrogram:
        """Frames centred in ``[t0, t1]`` seconds, at most ``n_columns`` of them.

        When the region holds at most ``n_columns`` hops these are exactly the
        full STFT's frames; otherwise ``n_columns`` frames evenly spread over it.
        """
        if not (math.isfinite(t0) and math.isfinite(t1)) or t1 < t0:
            raise InvalidParameterError(f"Invalid time range {t0:g} to {t1:g} s.")
        f0 = max(0, math.ceil(self.frame_of_time(t0) - 1e-9))
        f1 = min(self.n_frames - 1, math.floor(self.frame_of_time(t1) + 1e-9))
        if f1 < f0:  # narrower than one hop: the nearest frame
            f0 = f1 = min(self.n_frames - 1, max(0, round(self.frame_of_time((t0 + t1) / 2))))
        return self._columns(f0, f1, n_columns, progress, cancel)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # ------------------------------------------------------------ internals
    def column_frames(self, f0: int, f1: int, n_columns: int) -> np.ndarray:
        """Frame numbers shown for frames ``f0..f1`` in ``n_columns`` columns."""
        if n_columns < 1:
            raise InvalidParameterError(f"n_columns must be at least 1; got {n_columns}.")
        count = f1 - f0 + 1
        if count <= n_columns:
            return np.arange(f0, f1 + 1, dtype=np.int64)
        return np.unique(np.round(np.linspace(f0, f1, n_columns)).astype(np.int64))

    def _columns(self, f0: int, f1: int, n_columns: int, progress: ProgressCallback,
                 cancel: Optional[CancelToken]) -> Spectrogram:
        key = (f0, f1, int(n_columns))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        idx = self.column_frames(f0, f1, n_columns)
        values = self.power_at(idx, progress=progress, cancel=cancel)
        fr.power_to_db(values, top_db=None, floor_db=self.floor_db)
        spec = Spectrogram(values, self.freqs, idx * (self.hop_length / self.sr), self.sr,
                           self.n_fft, self.hop_length, self.scale, True)
        with self._lock:
            self._cache[key] = spec
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return spec

    def power_at(self, frame_idx: np.ndarray, *, progress: ProgressCallback = no_progress,
                 cancel: Optional[CancelToken] = None) -> np.ndarray:
        """Normalised power (n_rows, len(frame_idx)) float32 of the given STFT frames.

        On the numpy path batches run on ``threads`` threads (numpy's FFT
        releases the GIL); progress is reported and ``cancel`` checked on the
        calling thread after every batch.
        """
        frame_idx = np.asarray(frame_idx, dtype=np.int64)
        m = len(frame_idx)
        out = np.empty((self.axis.n_rows, m), np.float32)
        starts = list(range(0, m, BATCH_COLUMNS))
        if self.device is not None:
            batch = self._torch_batch()
        else:
            batch = self._numpy_batch
        stop = threading.Event()

        def run(a: int) -> None:
            if stop.is_set():
                return
            b = min(m, a + BATCH_COLUMNS)
            out[:, a:b] = self.axis.apply(batch(frame_idx[a:b])).T

        workers = 1 if self.device is not None else max(1, min(self.threads, len(starts)))
        try:
            if workers == 1:
                for a in starts:
                    check(cancel)
                    run(a)
                    progress(Progress("spectrogram", min(m, a + BATCH_COLUMNS), m,
                                      "Computing spectrogram"))
            else:
                with ThreadPoolExecutor(workers) as pool:
                    futures = [pool.submit(run, a) for a in starts]
                    for a, fut in zip(starts, futures, strict=True):
                        if cancel is not None and cancel.cancelled:
                            stop.set()
                        fut.result()
                        check(cancel)
                        progress(Progress("spectrogram", min(m, a + BATCH_COLUMNS), m,
                                          "Computing spectrogram"))
        finally:
            stop.set()
        check(cancel)
        return out

    def _numpy_batch(self, idx: np.ndarray) -> np.ndarray:
        """(B, n_fft//2+1) channel-averaged power of frames ``idx``, numpy."""
        frames = fr.gather_frames(self.samples, idx, self.n_fft, self.hop_length)
        frames *= self._window                                   # (C, B, n_fft)
        with np.errstate(invalid="ignore", over="ignore"):       # NaN/Inf kept by the caller
            spec = np.fft.rfft(frames, axis=-1)
        power = np.square(spec.real)
        power += np.square(spec.imag)                            # (C, B, F)
        acc = power[0]
        for c in range(1, power.shape[0]):
            acc += power[c]
        if power.shape[0] > 1:
            acc *= np.float32(1.0 / power.shape[0])
        return acc

    def _torch_batch(self):
        from core.analysis.stft import torch_setup

        torch, dev = torch_setup(self.device)
        wt = torch.from_numpy(self._window).to(dev)

        def batch(idx: np.ndarray) -> np.ndarray:
            frames = fr.gather_frames(self.samples, idx, self.n_fft, self.hop_length)
            with torch.no_grad():
                t = torch.from_numpy(frames).to(dev) * wt
                s = torch.view_as_real(torch.fft.rfft(t, dim=-1))
                return s.square_().sum(-1).mean(0).cpu().numpy()

        return batch
