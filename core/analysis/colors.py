"""Colour lookup tables and dB-to-byte scaling for spectrogram images (pure numpy).

The perceptually uniform maps (magma, inferno, viridis; by Nathaniel J. Smith,
Stefan van der Walt and Eric Firing, released CC0) are stored as 33 evenly
spaced control points and interpolated linearly in RGB: within 2/255 of the
original 256-entry tables.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from core.errors import InvalidParameterError

_CONTROL_POINTS = {
    "magma": (
        "0000040303120a0822130d341d114729115a36106b440f7651127c5d177f6a1c81762181832681"
        "902a819c2e7faa337db73779c23b75cf4070db476ae55064ee5b5ef4695cf9785dfb8761fd9668"
        "fea571feb47bfec287fed194fde0a1fceeb0fcfdbf"),
    "inferno": (
        "0000040403120b0724150b37210c4a2f0a5b3d09654a0c6b57106e64156e71196e7d1e6d8a226a"
        "972766a32c61b0315bbc3754c63d4dd04545da4e3ce35933eb6429f1711ff67e14f98c0afb9b06"
        "fcaa0ffbba1ff9c932f5d949f2e865f3f586fcffa4"),
    "viridis": (
        "440154470d6048186a482374472d7b4537814240863e49893b528b375b8d33638d2f6b8e2c728e"
        "297a8e26828e23898e21918c1f978b1f9f8821a68527ad8131b57b3dbc744cc26c5cc8636ece58"
        "81d34d95d840aadc32c0df25d5e21aeae51afde725"),
}

#: Names :func:`colormap_lut` accepts.
COLORMAPS: tuple[str, ...] = ("magma", "inferno", "viridis", "grey")


@cache
def _lut(name: str) -> np.ndarray:
    if name == "grey":
        ramp = np.arange(256, dtype=np.uint8)
        return np.stack([ramp, ramp, ramp], axis=1)
    hexs = _CONTROL_POINTS[name]
    cp = np.frombuffer(bytes.fromhex(hexs), dtype=np.uint8).reshape(-1, 3).astype(np.float64)
    xp = np.linspace(0.0, 1.0, cp.shape[0])
    x = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(x, xp, cp[:, c]) for c in range(3)], axis=1)
    return np.clip(np.round(lut), 0, 255).astype(np.uint8)


def colormap_lut(name: str) -> np.ndarray:
    """256-entry colour table, dark (quiet) to bright (loud).

    Parameters
    ----------
    name : str
        One of :data:`COLORMAPS` (``"gray"`` is accepted for ``"grey"``).

    Returns
    -------
    np.ndarray [shape=(256, 3), dtype=uint8]
        A fresh, writable, C-contiguous copy.
    """
    key = str(name).lower()
    key = "grey" if key == "gray" else key
    if key not in COLORMAPS:
        raise InvalidParameterError(
            f"Unknown colour map '{name}': choose one of {', '.join(COLORMAPS)}.")
    return _lut(key).copy()


def to_uint8(db: np.ndarray, lo_db: float, hi_db: float, *, out: np.ndarray | None = None
             ) -> np.ndarray:
    """Scale dB values to 0..255: ``lo_db`` and below -> 0, ``hi_db`` and above -> 255.

    Parameters
    ----------
    db : np.ndarray
        Any shape, float; NaN maps to 0.
    lo_db, hi_db : float
        Display range, ``lo_db < hi_db``.
    out : np.ndarray, optional
        uint8 array of the same shape to write into (saves an allocation per tile).

    Returns
    -------
    np.ndarray [dtype=uint8]
        Same shape as ``db``, C-contiguous.
    """
    lo, hi = float(lo_db), float(hi_db)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise InvalidParameterError(
            f"The display range must go from a lower to a higher dB value; got {lo:g} to {hi:g}.")
    a = np.asarray(db)
    if out is None:
        out = np.empty(a.shape, np.uint8)
    elif out.shape != a.shape or out.dtype != np.uint8:
        raise InvalidParameterError("out must be a uint8 array of the same shape.")
    scale = np.float32(255.0 / (hi - lo))
    offset = np.float32(lo)
    # Row blocks keep the float temporary small (tiles can be large).
    flat_in = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(1, -1)
    flat_out = out.reshape(flat_in.shape)
    rows = max(1, (1 << 18) // max(1, flat_in.shape[1]))
    for r0 in range(0, flat_in.shape[0], rows):
        t = np.subtract(flat_in[r0:r0 + rows], offset, dtype=np.float32)
        t *= scale
        t += np.float32(0.5)
        np.clip(t, 0.0, 255.0, out=t)
        np.nan_to_num(t, copy=False, nan=0.0)
        flat_out[r0:r0 + rows] = t  # float -> uint8 truncates; +0.5 made it round
    return out
