"""Autoregressive (AR) modelling: coefficients, residuals and least-squares interpolation.

Least-squares AR interpolation (LSAR, Janssen et al. 1986; Godsill & Rayner 1998):
given a segment with some samples missing and an AR model ``a`` (``a[0] = 1``), the
missing samples are the ones that minimise the energy of the prediction error
``e[n] = sum_k a[k] x[n-k]`` over the whole segment — a small linear least-squares
problem.  Declip and declick both fill their gaps with it.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg


def ar_coefficients(x: np.ndarray, order: int) -> np.ndarray:
    """AR polynomial ``[1, a1, ..., a_order]`` of ``x`` (autocorrelation method, Levinson).

    Falls back to ``[1, 0, ...]`` (no prediction) when ``x`` is silent or too short.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size <= order + 1 or not np.any(x):
        out = np.zeros(order + 1)
        out[0] = 1.0
        return out
    x = x - x.mean()
    # Only lags 0..order are needed: order+1 dot products, O(n order), not the
    # O(n^2) of a full correlation (which took minutes on long clipped stretches).
    n = x.size
    r = np.array([np.dot(x[: n - k], x[k:]) for k in range(order + 1)]) / n
    r[0] *= 1.0 + 1e-6  # a little white-noise floor keeps the system well conditioned
    if r[0] <= 0:
        out = np.zeros(order + 1)
        out[0] = 1.0
        return out
    try:
        a = linalg.solve_toeplitz(r[:order], -r[1: order + 1])
    except (linalg.LinAlgError, ValueError):
        out = np.zeros(order + 1)
        out[0] = 1.0
        return out
    return np.concatenate([[1.0], a])


def ar_coefficients_known(x: np.ndarray, known: np.ndarray, order: int) -> np.ndarray:
    """AR polynomial of ``x`` fitted only where it is known (covariance method).

    Least squares over the prediction equations whose ``order + 1`` samples are all
    known, so gaps (clipped peaks, clicks) neither enter the model nor bias it as
    zero-padding would.  Falls back to :func:`ar_coefficients` on the whole of ``x``
    when fewer than ``4 * order`` equations are usable.
    """
    x = np.asarray(x, dtype=np.float64)
    known = np.asarray(known, dtype=bool)
    if x.size <= order + 1:
        return ar_coefficients(x, order)
    win = np.lib.stride_tricks.sliding_window_view(x, order + 1)  # rows: x[n-p .. n]
    ok = np.lib.stride_tricks.sliding_window_view(known, order + 1).all(axis=1)
    rows = win[ok]
    if rows.shape[0] < 4 * order or not np.any(rows):
        return ar_coefficients(x, order)
    rows = rows - x[known].mean()
    # x[n] = -sum_k a_k x[n-k]: target is the last column, regressors the earlier ones
    # (reversed so column k-1 is lag k).
    lagged = np.ascontiguousarray(rows[:, -2::-1])  # BLAS needs contiguous rows to be fast
    target = np.ascontiguousarray(rows[:, -1])
    g = lagged.T @ lagged
    g[np.diag_indices_from(g)] *= 1.0 + 1e-6
    try:
        coef = linalg.solve(g, lagged.T @ target, assume_a="pos")
    except (linalg.LinAlgError, ValueError):
        return ar_coefficients(x, order)
    return np.concatenate([[1.0], -coef])


def lsar_interpolate(x: np.ndarray, missing: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Fill ``x[missing]`` by least-squares AR interpolation; returns a new array.

    Parameters
    ----------
    x : np.ndarray [shape=(n,)]
        The segment (values at missing positions are ignored).
    missing : np.ndarray [shape=(n,), dtype=bool]
    a : np.ndarray [shape=(p + 1,)]
        AR polynomial with ``a[0] = 1``.
    """
    x = np.asarray(x, dtype=np.float64).copy()
    n, p = x.size, a.size - 1
    unknown = np.flatnonzero(missing)
    if unknown.size == 0 or n <= p:
        return x
    # Prediction-error matrix A (rows n = p..N-1): e = A @ x.  It is banded
    # (p + 1 diagonals), so it is built and solved sparse: O(n p) instead of the
    # O(n^2) memory and cubic time a dense matrix costs on long clipped stretches.
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    rows = n - p
    A = sparse.diags([np.full(rows, a[p - j]) for j in range(p + 1)], offsets=list(range(p + 1)),
                     shape=(rows, n), format="csc")
    known = ~missing
    Au, Ak = A[:, unknown], A[:, known]
    rhs = -(Au.T @ (Ak @ x[known]))
    M = (Au.T @ Au).tocsc()
    reg = 1e-9 * (M.diagonal().sum() / max(1, M.shape[0]) + 1e-12)
    M = M + reg * sparse.identity(M.shape[0], format="csc")
    try:
        sol = spsolve(M, rhs)
        if not np.all(np.isfinite(sol)):
            raise ValueError("singular")
        x[unknown] = sol
    except (linalg.LinAlgError, ValueError, RuntimeError):
        x[unknown] = sparse.linalg.lsqr(Au, -(Ak @ x[known]))[0]
    return x


def runs(mask: np.ndarray) -> np.ndarray:
    """``(k, 2)`` array of ``[start, stop)`` for each run of True in a 1-D bool ``mask``."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return np.stack([np.flatnonzero(d == 1), np.flatnonzero(d == -1)], axis=1)


def group_runs(r: np.ndarray, gap: int) -> list[np.ndarray]:
    """Split runs into groups whose neighbours are closer than ``gap`` samples."""
    if len(r) == 0:
        return []
    groups, cur = [], [r[0]]
    for run in r[1:]:
        if run[0] - cur[-1][1] < gap:
            cur.append(run)
        else:
            groups.append(np.array(cur))
            cur = [run]
    groups.append(np.array(cur))
    return groups
