"""Write a :class:`~core.features.compute.FeatureSet` to CSV, NPY or NPZ (atomically)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from core.errors import InvalidParameterError, ResonoteError
from core.features.compute import FeatureSet
from core.fsutil import atomic_path, write_text_atomic

FORMATS = (".csv", ".npy", ".npz")


def save_features(fs: FeatureSet, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``fs`` to ``path``; the format follows the extension.

    ``.csv``
        Header ``time_s,<row labels...>`` then one line per frame (times in
        seconds, 6 decimals; values with 7 significant digits).
    ``.npy``
        One float64 matrix ``(n_frames, 1 + rows)`` = :meth:`FeatureSet.table`:
        column 0 is the time in seconds, then the rows in CSV header order.
    ``.npz``
        ``times_s`` ``(n_frames,)`` plus one ``(n_rows, n_frames)`` float32
        array per feature under its name.

    Raises
    ------
    InvalidParameterError
        Unknown extension.
    ResonoteError
        The file exists (without ``overwrite``) or cannot be written.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in FORMATS:
        raise InvalidParameterError(
            f"Cannot export features as '{ext or p.name}': use {', '.join(FORMATS)}.")
    if p.exists() and not overwrite:
        raise ResonoteError(f"{p} already exists; choose another name or overwrite it.")
    if ext == ".csv":
        buf = io.StringIO()
        buf.write(",".join(fs.columns()) + "\n")
        table = fs.table()
        fmt = ["%.6f"] + ["%.7g"] * (table.shape[1] - 1)
        np.savetxt(buf, table, fmt=fmt, delimiter=",")
        return write_text_atomic(p, buf.getvalue(), error=ResonoteError)
    with atomic_path(p, error=ResonoteError) as tmp:
        with open(tmp, "wb") as fh:
            if ext == ".npy":
                np.save(fh, fs.table(), allow_pickle=False)
            else:
                np.savez(fh, times_s=fs.times_s, **fs.values)
    return p


def load_features_csv(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Read a CSV written by :func:`save_features`: (column names, matrix (frames, columns))."""
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
        data = np.loadtxt(fh, delimiter=",", ndmin=2)
    return header, data
