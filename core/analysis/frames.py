"""Numpy building blocks shared by every spectrogram path (no torch here).

Windows, framing with reflect padding at the file's edges, power normalisation
and the power-to-dB conversion.  The torch paths in :mod:`core.analysis.stft`
and the sparse-frame paths in :mod:`core.analysis.lod` both use these, so all
of them agree on frame positions and levels.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from core.errors import InvalidParameterError

WindowSpec = Union[str, np.ndarray]

#: Power below this is treated as this (-200 dB): keeps log10 finite.
AMIN = 1e-20

WINDOWS = ("hann", "hamming", "blackman", "rect")


def as_channels(samples: np.ndarray) -> np.ndarray:
    """``samples`` as float32 (channels, frames) without copying when possible."""
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2:
        raise InvalidParameterError(
            f"Audio must be (frames,) or (channels, frames); got shape {x.shape}.")
    if x.dtype != np.float32:
        x = x.astype(np.float32)
    return x


def require_audio(x: np.ndarray) -> None:
    """Raise a plain error for zero-length audio (nothing to analyse)."""
    if x.shape[1] == 0 or x.shape[0] == 0:
        raise InvalidParameterError("There is no audio to analyse (zero length).")


def check_fft(n_fft: int, hop_length: int) -> None:
    if int(n_fft) != n_fft or n_fft < 16 or n_fft > 1 << 18:
        raise InvalidParameterError(f"FFT size must be a whole number from 16 to 262144; got {n_fft}.")
    if int(hop_length) != hop_length or hop_length < 1:
        raise InvalidParameterError(f"Hop length must be a positive whole number; got {hop_length}.")


def window(spec: WindowSpec, n_fft: int) -> np.ndarray:
    """Periodic analysis window of length ``n_fft`` (float32), by name or as given."""
    if isinstance(spec, np.ndarray):
        w = np.asarray(spec, dtype=np.float32)
        if w.shape != (n_fft,):
            raise InvalidParameterError(f"The window must have {n_fft} points; got {w.shape}.")
        return w
    name = str(spec).lower()
    phase = 2.0 * np.pi * np.arange(n_fft) / n_fft
    if name in ("hann", "hanning"):
        w = 0.5 - 0.5 * np.cos(phase)
    elif name == "hamming":
        w = 0.54 - 0.46 * np.cos(phase)
    elif name == "blackman":
        w = 0.42 - 0.5 * np.cos(phase) + 0.08 * np.cos(2 * phase)
    elif name in ("rect", "rectangular", "boxcar", "ones"):
        w = np.ones(n_fft)
    else:
        raise InvalidParameterError(
            f"Unknown window '{spec}': choose one of {', '.join(WINDOWS)}.")
    return w.astype(np.float32)


def power_window(spec: WindowSpec, n_fft: int) -> np.ndarray:
    """The window scaled by ``2/sum(w)``: ``|rfft(x*w)|**2`` of a full-scale sine is then 1."""
    w = window(spec, n_fft)
    s = float(np.sum(w, dtype=np.float64))
    if s <= 0:
        raise InvalidParameterError("The window must have a positive sum.")
    return (w * np.float32(2.0 / s)).astype(np.float32)


def n_frames(n_samples: int, n_fft: int, hop_length: int, center: bool) -> int:
    """Number of STFT frames (same convention as ``torch.stft`` / ``librosa.stft``)."""
    if center:
        return 1 + n_samples // hop_length
    if n_samples < n_fft:
        return 0
    return 1 + (n_samples - n_fft) // hop_length


def reflect_index(idx: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Map sample indices outside ``[0, n)`` by reflection (``np.pad(mode="reflect")``).

    Returns ``(index, valid)``: ``valid`` is None when every index maps inside
    the signal, otherwise a bool mask of the indices that did (the rest must
    read as 0: the signal is too short to reflect that far).
    """
    if n <= 0:
        return np.zeros_like(idx), np.zeros(idx.shape, bool)
    out = np.where(idx < 0, -idx, idx)
    out = np.where(out > n - 1, 2 * (n - 1) - out, out)
    bad = (out < 0) | (out > n - 1)
    if bad.any():
        return np.clip(out, 0, n - 1), ~bad
    return out, None


def segment(x: np.ndarray, a: int, b: int) -> np.ndarray:
    """``x[:, a:b]`` for any ``a <= b``, reflect-padded outside the signal (a view inside)."""
    n = x.shape[1]
    if a >= 0 and b <= n:
        return x[:, a:b]
    idx, valid = reflect_index(np.arange(a, b), n)
    seg = x[:, idx]
    if valid is not None:
        seg[:, ~valid] = 0.0
    return seg


def gather_frames(x: np.ndarray, frame_idx: np.ndarray, n_fft: int, hop_length: int,
                  center: bool = True) -> np.ndarray:
    """Frames at arbitrary frame numbers: float32 (channels, len(frame_idx), n_fft).

    Frame ``t`` starts at ``t*hop_length`` (minus ``n_fft//2`` when centred);
    samples outside the signal are reflected, as ``torch.stft(center=True)`` does.
    """
    starts = np.asarray(frame_idx, dtype=np.int64) * hop_length - (n_fft // 2 if center else 0)
    n = x.shape[1]
    inside = (starts >= 0) & (starts + n_fft <= n)
    out = np.empty((x.shape[0], len(starts), n_fft), np.float32)
    if inside.any():
        # A strided view of every possible frame; indexing it copies only the
        # chosen ones (row copies, much faster than an index array per sample).
        from numpy.lib.stride_tricks import sliding_window_view

        view = sliding_window_view(x, n_fft, axis=1)
        if inside.all():
            return view[:, starts]
        out[:, inside] = view[:, starts[inside]]
    edge = ~inside
    idx, valid = reflect_index(starts[edge][:, None] + np.arange(n_fft), n)
    fr = x[:, idx]
    if valid is not None:
        fr[:, ~valid] = 0.0
    out[:, edge] = fr
    return out


def power_to_db(power: np.ndarray, *, ref: float = 1.0, top_db: float | None = 120.0,
                floor_db: float | None = None) -> np.ndarray:
    """In place: ``10*log10(max(power, AMIN)/ref)``, then floored at ``max - top_db``
    and/or ``floor_db``.  Returns the same (float32) array."""
    if ref <= 0:
        raise InvalidParameterError(f"The dB reference must be positive; got {ref}.")
    np.maximum(power, np.float32(AMIN), out=power)
    np.log10(power, out=power)
    power *= np.float32(10.0)
    if ref != 1.0:
        power -= np.float32(10.0 * np.log10(ref))
    apply_floor(power, top_db=top_db, floor_db=floor_db)
    return power


def apply_floor(db: np.ndarray, *, top_db: float | None, floor_db: float | None) -> None:
    """In place: clip dB values below ``max(db) - top_db`` and below ``floor_db``."""
    lo = -np.inf
    if top_db is not None:
        if top_db <= 0:
            raise InvalidParameterError(f"top_db must be positive; got {top_db}.")
        if db.size:
            lo = float(db.max()) - float(top_db)
    if floor_db is not None:
        lo = max(lo, float(floor_db))
    if np.isfinite(lo):
        np.maximum(db, np.float32(lo), out=db)
