"""Frequency axes: map linear FFT bins onto linear, log or mel rows.

Rows of the log and mel axes keep the *peak* power of the FFT bins that fall
inside them (``reduce="max"``, the default), so a pure tone reads the same
level on every axis; ``reduce="mean"`` averages instead.  Where rows are
narrower than one FFT bin (the bass end of a log axis) a row that holds no bin
gets the power linearly interpolated between the two nearest bins: the picture
there is smooth, not blocky, but the resolution is still the FFT's
(``sr / n_fft`` Hz).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from core.errors import InvalidParameterError

SCALES = ("linear", "log", "mel")
DEFAULT_BINS = {"log": 384, "mel": 128}
#: Lowest row of a log axis unless told otherwise: A0, the piano's lowest note.
LOG_FMIN = 27.5


def hz_to_mel(f):
    """HTK mel scale: ``2595 * log10(1 + f/700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@dataclass(frozen=True)
class FrequencyAxis:
    """A precomputed mapping from ``n_fft//2+1`` FFT bins to the rows of a display axis.

    Use :meth:`apply` on power arrays whose *last* axis is the FFT bins.
    """

    scale: str
    freqs: np.ndarray            # (n_rows,) Hz
    reduce: str
    lin_slice: slice             # linear scale: the kept bins
    band_lo: int                 # first FFT bin assigned to a band row
    band_starts: np.ndarray      # offsets (relative to band_lo) of each non-empty band row
    band_rows: np.ndarray        # row of each segment of consecutive bins
    band_keep: np.ndarray        # bool: that row is a band row (holds a bin)
    band_counts: np.ndarray      # bins in each segment
    band_hi: int                 # one past the last assigned FFT bin
    interp_rows: np.ndarray      # rows narrower than a bin
    interp_k0: np.ndarray
    interp_w: np.ndarray         # float32 weight of bin k0+1

    @property
    def n_rows(self) -> int:
        return int(self.freqs.shape[0])

    def apply(self, power: np.ndarray) -> np.ndarray:
        """Map power (..., n_fft//2+1) float32 to (..., n_rows) float32."""
        if self.scale == "linear":
            return power[..., self.lin_slice]
        out = np.zeros(power.shape[:-1] + (self.n_rows,), np.float32)
        if len(self.band_rows):
            band = power[..., self.band_lo:self.band_hi]
            if self.reduce == "max":
                red = np.maximum.reduceat(band, self.band_starts, axis=-1)
            else:
                red = np.add.reduceat(band, self.band_starts, axis=-1)
                red /= self.band_counts.astype(np.float32)
            out[..., self.band_rows[self.band_keep]] = red[..., self.band_keep]
        if len(self.interp_rows):
            k0 = self.interp_k0
            w = self.interp_w
            out[..., self.interp_rows] = power[..., k0] * (1 - w) + power[..., k0 + 1] * w
        return out


def frequency_axis(sr: int, n_fft: int, *, scale: str = "linear", n_bins: Optional[int] = None,
                   fmin: Optional[float] = None, fmax: Optional[float] = None,
                   reduce: str = "max") -> FrequencyAxis:
    """Build the row mapping for ``scale`` (see the module docstring).

    Parameters
    ----------
    sr : int
        Sample rate, Hz.
    n_fft : int
        FFT size; the input has ``n_fft//2 + 1`` bins spaced ``sr/n_fft`` Hz.
    scale : {"linear", "log", "mel"}
    n_bins : int, optional
        Rows of a log (default 384) or mel (default 128) axis; ignored for linear.
    fmin, fmax : float, optional
        Frequency range in Hz.  Defaults: log 27.5 Hz (A0), mel and linear 0 Hz;
        ``fmax`` defaults to ``sr/2``.
    reduce : {"max", "mean"}
        How bins that share a row combine.
    """
    if scale not in SCALES:
        raise InvalidParameterError(
            f"Unknown frequency scale '{scale}': choose one of {', '.join(SCALES)}.")
    if reduce not in ("max", "mean"):
        raise InvalidParameterError(f"reduce must be 'max' or 'mean'; got {reduce!r}.")
    nyq = sr / 2.0
    n_lin = n_fft // 2 + 1
    df = sr / n_fft
    lo = (LOG_FMIN if scale == "log" else 0.0) if fmin is None else float(fmin)
    hi = nyq if fmax is None else float(fmax)
    if not (0 <= lo < hi <= nyq + 1e-9):
        raise InvalidParameterError(
            f"The frequency range must satisfy 0 <= fmin < fmax <= {nyq:g} Hz "
            f"(half the sample rate); got {lo:g} to {hi:g} Hz.")
    if scale == "log" and lo <= 0:
        raise InvalidParameterError("A log frequency axis needs fmin above 0 Hz.")
    empty_i = np.zeros(0, np.int64)
    if scale == "linear":
        k0 = int(np.ceil(lo / df - 1e-9))
        k1 = int(np.floor(hi / df + 1e-9)) + 1
        k1 = min(max(k1, k0 + 1), n_lin)
        return FrequencyAxis("linear", np.arange(k0, k1) * df, reduce, slice(k0, k1),
                             0, empty_i, empty_i, np.zeros(0, bool), empty_i, 0, empty_i, empty_i,
                             np.zeros(0, np.float32))
    n = DEFAULT_BINS[scale] if n_bins is None else int(n_bins)
    if n < 2 or n > 16384:
        raise InvalidParameterError(f"The number of frequency rows must be 2 to 16384; got {n}.")
    if scale == "log":
        warp, unwarp = np.log, np.exp
    else:
        warp, unwarp = hz_to_mel, mel_to_hz
    wc = np.linspace(warp(lo), warp(hi), n)
    centres = unwarp(wc)
    step = wc[1] - wc[0]
    edges = unwarp(np.concatenate([[wc[0] - step / 2], (wc[:-1] + wc[1:]) / 2, [wc[-1] + step / 2]]))
    # Every FFT bin belongs to the row whose band holds its frequency.
    bin_f = np.arange(n_lin) * df
    row_of_bin = np.searchsorted(edges, bin_f, side="right") - 1
    inside = (row_of_bin >= 0) & (row_of_bin < n)
    counts = np.bincount(row_of_bin[inside], minlength=n)[:n]
    # A row holding no bin is narrower than the FFT resolution: its value is
    # interpolated at its centre.  A row holding one bin takes it as it is, so
    # a tone on a bin keeps its exact level on every axis.
    band_mask = counts >= 1
    assigned = np.flatnonzero(inside)
    if band_mask.any() and len(assigned):
        # Bins inside the axis are contiguous and sorted by row: one reduceat
        # over them gives every row's segment; only band rows are kept.
        band_lo, band_hi = int(assigned[0]), int(assigned[-1]) + 1
        rows_seq = row_of_bin[band_lo:band_hi]
        band_starts = np.flatnonzero(np.r_[True, rows_seq[1:] != rows_seq[:-1]])
        seg_rows = rows_seq[band_starts]
        keep = band_mask[seg_rows]
        band_counts = counts[seg_rows]
    else:
        band_lo = band_hi = 0
        band_starts = seg_rows = band_counts = empty_i
        keep = np.zeros(0, bool)
    interp_rows = np.flatnonzero(~band_mask)
    pos = np.clip(centres[interp_rows] / df, 0, n_lin - 1 - 1e-6)
    k0 = np.floor(pos).astype(np.int64)
    w = (pos - k0).astype(np.float32)
    return FrequencyAxis(scale, centres, reduce, slice(0, n_lin), band_lo, band_starts,
                         seg_rows, keep, band_counts, band_hi, interp_rows, k0, w)
