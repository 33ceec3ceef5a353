"""Chunked inference with weighted overlap-add: :func:`apply_chunked`.

A separation model sees a fixed-length window of the song at a time.  The
song is cut into windows that overlap by ``overlap``; each window's output is
weighted by a triangle (rising over the first half, falling over the second),
accumulated with ``out += w * chunk`` and divided by the summed weights, so
window edges fade into each other and no seam is audible.  The layout of the
windows (offsets, padding of the last one, the triangle) is the one Demucs
uses, so with identical weights our output equals ``demucs.apply.apply_model``.

Memory: the only buffer that grows with the song is the output itself
(``sources x channels x frames`` float32 on the CPU), and even that can live on
disk (``out=`` a :func:`core.scratch.scratch_array`); the weight sum is computed
per window, windows are built one batch at a time and moved to the compute
device only while they are processed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Optional, Union

import numpy as np

from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

ArrayLike = Union[np.ndarray, "torch.Tensor"]  # noqa: F821 - torch imported lazily


def window_starts(length: int, segment: int, overlap: float) -> list[int]:
    """Start frames of the windows covering ``length`` frames (Demucs layout)."""
    stride = max(1, int((1.0 - overlap) * segment))
    return list(range(0, max(length, 1), stride))


def transition_weight(segment: int, power: float = 1.0):
    """Triangle window of ``segment`` frames, peak 1 (float32 torch tensor)."""
    import torch

    half = segment // 2
    w = torch.cat([torch.arange(1, half + 1), torch.arange(segment - half, 0, -1)])
    return (w / w.max()).pow(power).to(torch.float32)


def _read(x, start: int, stop: int, shift: float = 0.0, scale: float = 1.0):
    """``(x[..., start:stop] - shift) * scale`` with zeros outside ``[0, x.shape[-1])``."""
    import torch.nn.functional as F

    n = x.shape[-1]
    lo, hi = max(0, start), min(n, stop)
    if lo >= hi:
        return x.new_zeros(x.shape[:-1] + (stop - start,))
    part = x[..., lo:hi]
    if shift or scale != 1.0:
        part = (part - shift) * scale
    if lo - start or stop - hi:
        part = F.pad(part, (lo - start, stop - hi))
    return part


def apply_chunked(
    model_fn: Callable,
    samples: ArrayLike,
    *,
    segment: int,
    overlap: float = 0.25,
    shifts: int = 0,
    max_shift: Optional[int] = None,
    batch: int = 1,
    transition_power: float = 1.0,
    device: str = "cpu",
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
    stage: str = "separate",
    progress_offset: int = 0,
    progress_total: Optional[int] = None,
    out: Optional[np.ndarray] = None,
    out_scale: float = 1.0,
    in_shift: float = 0.0,
    in_scale: float = 1.0,
) -> ArrayLike:
    """Run ``model_fn`` over ``samples`` in overlapping windows and overlap-add the results.

    Parameters
    ----------
    model_fn : callable
        ``model_fn(x) -> y`` with ``x`` a float32 ``torch.Tensor`` of shape
        ``(b, channels, segment)`` on ``device`` and ``y`` of shape
        ``(b, sources, out_channels, segment)``.
    samples : np.ndarray or torch.Tensor [shape=(channels, frames)]
        The whole signal (kept where it is; windows are copied out of it).
    segment : int
        Window length in frames (the model's input length).
    overlap : float
        Fraction of a window shared with the next one, in [0, 1).
    shifts : int
        0: one pass.  N > 0: N passes on copies of the signal delayed by
        N evenly spaced offsets in ``[0, max_shift]``, averaged (the
        "shift trick": less window-position dependence, N times slower).
    max_shift : int, optional
        Largest delay in frames for ``shifts``; default ``segment // 16``.
    batch : int
        Windows per ``model_fn`` call.
    transition_power : float
        Exponent applied to the triangle weight (1 = linear cross-fade).
    device : str
        Device the windows are moved to before ``model_fn``.
    progress : callable(Progress)
        One report per window: ``Progress(stage, done, total)``.
    cancel : CancelToken, optional
        Checked before every batch; cancelling raises ``JobCancelled``.
    stage, progress_offset, progress_total :
        Let a caller running several passes (models, channel pairs) report
        one continuous progress: windows done so far and the overall total.
    out : np.ndarray [shape=(sources, out_channels, frames), float32], optional
        Accumulate into this array (``out += out_scale * result``) instead of
        allocating the result: a caller summing several passes (a bag of
        models, channel pairs) then holds one stems buffer, not two.
    out_scale : float
        Factor on what is added to ``out``.  ``out`` may be a
        :func:`core.scratch.scratch_array`: its pages are released after every
        batch, so a long song's stems never sit in memory.
    in_shift, in_scale : float
        Windows are ``(samples - in_shift) * in_scale`` (padding stays zero), so a
        model that wants normalised input needs no normalised copy of the song.

    Returns
    -------
    np.ndarray or torch.Tensor [shape=(sources, out_channels, frames)]
        float32, on the CPU; a numpy array when ``samples`` was one.
    """
    import torch

    if not 0.0 <= overlap < 1.0:
        raise InvalidParameterError(f"Overlap must be in [0, 1); got {overlap}.")
    if segment < 1 or batch < 1 or shifts < 0:
        raise InvalidParameterError("segment and batch must be at least 1, shifts at least 0.")
    as_numpy = isinstance(samples, np.ndarray)
    x = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)) if as_numpy \
        else samples.detach().to("cpu", torch.float32)
    if x.ndim != 2:
        raise InvalidParameterError(f"samples must be (channels, frames); got {tuple(x.shape)}.")
    length = int(x.shape[-1])
    if max_shift is None:
        max_shift = segment // 16
    delays = [0] if shifts == 0 else \
        [round(k * max_shift / max(1, shifts - 1)) if shifts > 1 else max_shift // 2
         for k in range(shifts)]
    # Pass p processes the signal as if it started `delay` frames earlier.
    plans = []
    for d in delays:
        starts = window_starts(length + d, segment, overlap)
        plans.append((d, starts))
    n_windows = sum(len(s) for _, s in plans)
    total = progress_total if progress_total is not None else n_windows
    weight = transition_weight(segment, transition_power)

    given = out
    out = torch.from_numpy(given) if given is not None else None
    done = 0
    progress(Progress(stage, progress_offset, total, "separating"))
    from core.scratch import is_scratch, release

    scratch = given is not None and is_scratch(given)
    for d, starts in plans:
        stride = starts[1] - starts[0] if len(starts) > 1 else segment

        def wsum_of(a: int, b: int, starts=starts, stride=stride, d=d):
            """Summed window weights over pass frames [a, b) (known before the model
            runs, so chunks are normalised as they arrive; nothing song-sized)."""
            w = torch.zeros(b - a)
            first = max(0, (a - segment) // stride)
            for s in starts[first:]:
                if s >= b:
                    break
                n = min(segment, length + d - s)
                lo, hi = max(a, s), min(b, s + n)
                if lo < hi:
                    w[lo - a:hi - a] += weight[lo - s:hi - s]
            return w

        scale = out_scale / len(delays)
        for b0 in range(0, len(starts), batch):
            check(cancel)
            group = starts[b0:b0 + batch]
            windows = []
            for s in group:
                n = min(segment, length + d - s)
                pad = segment - n  # last window: centred, with real context on the left
                lo = s - d - pad // 2
                windows.append(_read(x, lo, lo + segment, in_shift, in_scale))
            xb = torch.stack(windows).to(device)
            with torch.inference_mode():
                yb = model_fn(xb)
            if yb.ndim != 4 or yb.shape[0] != len(group) or yb.shape[-1] != segment:
                raise ValueError(f"model_fn returned shape {tuple(yb.shape)} for input "
                                 f"{tuple(xb.shape)}; expected (b, sources, channels, "
                                 f"{segment}).")
            yb = yb.to("cpu", torch.float32)
            if out is None:
                out = torch.zeros((yb.shape[1], yb.shape[2], length))
            for i, s in enumerate(group):
                n = min(segment, length + d - s)
                pad = segment - n
                chunk = yb[i, :, :, pad // 2: pad // 2 + n] * weight[:n]
                # Window covers pass frames [s, s+n) = signal frames [s-d, s-d+n).
                a, b = s - d, s - d + n
                lo, hi = max(0, a), min(length, b)
                if lo < hi:
                    wsum = wsum_of(lo + d, hi + d)
                    out[..., lo:hi] += chunk[..., lo - a:hi - a] * (scale / wsum)
            if scratch:
                release(given)
            done += len(group)
            progress(Progress(stage, progress_offset + done, total,
                              f"window {progress_offset + done} of {total}"))
    if given is not None:
        return given
    if out is None:  # zero-length input
        with torch.inference_mode():
            probe = model_fn(torch.zeros((1, x.shape[0], segment), device=device))
        out = torch.zeros((probe.shape[1], probe.shape[2], 0))
    return out.numpy() if as_numpy else out


def count_windows(length: int, *, segment: int, overlap: float, shifts: int = 0,
                  max_shift: Optional[int] = None) -> int:
    """How many windows :func:`apply_chunked` will run (for an overall progress total)."""
    if max_shift is None:
        max_shift = segment // 16
    if shifts == 0:
        return len(window_starts(length, segment, overlap))
    delays = [round(k * max_shift / max(1, shifts - 1)) if shifts > 1 else max_shift // 2
              for k in range(shifts)]
    return sum(len(window_starts(length + d, segment, overlap)) for d in delays)


def free_memory_bytes(device: str) -> int:
    """Memory available for new work on ``device`` right now, in bytes."""
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)


def plan_batch(device: str, bytes_per_window: int, *, max_batch: int = 8,
               budget_bytes: Optional[int] = None, fraction: float = 0.5) -> int:
    """Windows per model call that fit in ``fraction`` of the free memory.

    Parameters
    ----------
    device : str
    bytes_per_window : int
        Working memory one window needs (activations, spectrograms), in bytes.
    max_batch : int
        Upper bound (on a CPU more than 1 or 2 rarely helps).
    budget_bytes : int, optional
        Use this instead of the measured free memory (tests, user setting).
    """
    free = budget_bytes if budget_bytes is not None else free_memory_bytes(device)
    return int(max(1, min(max_batch, math.floor(free * fraction / max(1, bytes_per_window)))))
