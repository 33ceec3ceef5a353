"""Scale-invariant signal-to-distortion ratio (SI-SDR), the codec quality figure."""

from __future__ import annotations

import numpy as np

from core.errors import InvalidParameterError


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """SI-SDR of ``estimate`` against ``reference`` in dB (Le Roux et al., 2019).

    Both are zero-meaned; the reference is scaled by the least-squares factor
    ``a = <est, ref> / <ref, ref>`` and the ratio ``|a ref|^2 / |est - a ref|^2``
    is returned in dB.  Multi-channel input gives the mean over channels.

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(frames,) or (channels, frames)]
        Same sample rate; the longer one is cut to the shorter length.

    Returns
    -------
    float
        dB; higher is better (identical signals give a very large value,
        capped at 150 dB).

    Raises
    ------
    InvalidParameterError
        Shapes disagree in channels, or the reference is silent.
    """
    ref = np.atleast_2d(np.asarray(reference, dtype=np.float64))
    est = np.atleast_2d(np.asarray(estimate, dtype=np.float64))
    if ref.shape[0] != est.shape[0]:
        raise InvalidParameterError(
            f"SI-SDR needs the same channel count ({ref.shape[0]} vs {est.shape[0]}).")
    n = min(ref.shape[1], est.shape[1])
    ref = ref[:, :n] - ref[:, :n].mean(axis=1, keepdims=True)
    est = est[:, :n] - est[:, :n].mean(axis=1, keepdims=True)
    out = []
    for r, e in zip(ref, est, strict=True):
        energy = float(r @ r)
        if n == 0 or energy <= 1e-20:
            raise InvalidParameterError("SI-SDR needs a reference that is not silent.")
        target = (float(e @ r) / energy) * r
        noise = e - target
        num, den = float(target @ target), float(noise @ noise)
        out.append(150.0 if den <= num * 1e-15 else
                   float(np.clip(10 * np.log10(max(num, 1e-30) / den), -150.0, 150.0)))
    return float(np.mean(out))
