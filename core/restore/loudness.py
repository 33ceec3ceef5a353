"""Loudness: measure (ITU-R BS.1770-4 / EBU R128) and normalise with a true-peak ceiling.

* Integrated loudness: BS.1770-4 K-weighting (pyloudnorm's filters) and gating (400 ms
  blocks, 75 % overlap, -70 LUFS absolute and -10 LU relative gates), vectorised here;
  tests check it against ``pyloudnorm.Meter.integrated_loudness`` to 0.01 LU.  Channel
  weights follow BS.1770: 1.41 for surrounds, LFE excluded (6 channels = 5.1 in
  L R C LFE Ls Rs order); other layouts weigh every channel 1.
* Loudness range (LRA): pyloudnorm has none, so it is implemented per EBU Tech 3342:
  3 s short-term blocks every 100 ms (here: 3 s blocks from 100 ms sub-blocks), -70 LUFS
  absolute and -20 LU relative gates, 10th to 95th percentile.
* True peak: the maximum of the 4x oversampled signal (2x above 96 kHz), in dBTP.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.restore.common import RestoreResult, Steps, check_range, float_samples, to_audio

TARGETS = {"streaming": -14.0, "broadcast": -23.0}
MIN_SECONDS = 0.4


def _weights(channels: int) -> np.ndarray:
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41])
    return np.ones(channels)


def _k_weighted_power(x: np.ndarray, sr: int, step_s: float) -> np.ndarray:
    """Mean square of the K-weighted signal in consecutive ``step_s`` sub-blocks, (ch, m).

    The two K-weighting biquads are pyloudnorm's (its ``Meter`` designs them for any
    rate); they run here as one second-order-section cascade over all channels at once.
    """
    import pyloudnorm
    from scipy import signal

    meter = pyloudnorm.Meter(sr)
    stages = list(meter._filters.values())
    sos = np.array([np.concatenate([st.b * st.passband_gain, st.a]) for st in stages])
    y = signal.sosfilt(sos, x, axis=1)
    step = int(round(step_s * sr))
    m = y.shape[1] // step
    return (y[:, : m * step] ** 2).reshape(y.shape[0], m, step).mean(axis=2)


def _blocks(sub: np.ndarray, per_block: int, w: np.ndarray) -> np.ndarray:
    """Loudness (LUFS) of sliding blocks of ``per_block`` sub-blocks, hop one sub-block."""
    if sub.shape[1] < per_block:
        return np.zeros(0)
    c = np.cumsum(np.pad(sub, ((0, 0), (1, 0))), axis=1)
    z = (c[:, per_block:] - c[:, :-per_block]) / per_block
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(np.maximum(w @ z, 1e-30))


def _integrated(x: np.ndarray, sr: int) -> Optional[float]:
    return _integrated_sub(_k_weighted_power(x, sr, 0.1), _weights(x.shape[0]))


def _integrated_sub(sub: np.ndarray, w: np.ndarray) -> Optional[float]:
    """Gated integrated loudness (LUFS) from 100 ms K-weighted sub-block powers."""
    # 400 ms blocks with 75 % overlap = 4 sub-blocks of 100 ms, hop 100 ms.
    if sub.shape[1] < 4:
        return None
    c = np.cumsum(np.pad(sub, ((0, 0), (1, 0))), axis=1)
    z = (c[:, 4:] - c[:, :-4]) / 4
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(np.maximum(w @ z, 1e-30))
    keep = lk >= -70.0
    if not keep.any():
        return None
    rel = -0.691 + 10 * np.log10(w @ z[:, keep].mean(axis=1)) - 10.0
    keep &= lk > rel
    if not keep.any():
        return None
    return float(-0.691 + 10 * np.log10(w @ z[:, keep].mean(axis=1)))


def _lra(sub: np.ndarray, w: np.ndarray) -> Optional[float]:
    """Loudness range (LU) from 100 ms K-weighted sub-block powers."""
    st = _blocks(sub, 30, w)
    st = st[st >= -70.0]
    if st.size == 0:
        return None
    rel = 10 * np.log10(np.mean(10 ** (st / 10))) - 20.0
    st = st[st >= rel]
    if st.size < 2:
        return 0.0
    return float(np.percentile(st, 95) - np.percentile(st, 10))


def true_peak_db(x: np.ndarray, sr: int) -> float:
    """True peak of ``x`` (channels, n) in dBTP (4x oversampled; 2x above 96 kHz)."""
    from scipy import signal

    if x.size == 0:
        return float("-inf")
    factor = 4 if sr <= 96000 else 2
    # float32 is ample for a peak (1e-7 relative) and halves the cost of the FIR.
    up = signal.resample_poly(x.astype(np.float32), factor, 1, axis=1, window=("kaiser", 8.0))
    peak = max(float(np.max(np.abs(up))), float(np.max(np.abs(x))))
    return float(20 * np.log10(peak)) if peak > 0 else float("-inf")


def measure_loudness(audio: Audio) -> dict:
    """Measure loudness.

    Returns
    -------
    dict
        ``integrated_lufs`` (None if shorter than 0.4 s or silent), ``lra_lu`` (None when
        shorter than 3 s or silent), ``true_peak_dbtp``, ``sample_peak_dbfs`` (None for
        silence: -inf is not JSON).
    """
    return _measure(float_samples(audio), audio.sr)[0]


def _measure(x: np.ndarray, sr: int) -> tuple[dict, Optional[float], float]:
    """(:func:`measure_loudness` dict, unrounded integrated LUFS, unrounded dBTP) of ``x``."""
    sp = float(np.max(np.abs(x))) if x.size else 0.0
    tp = true_peak_db(x, sr)
    w = _weights(x.shape[0])
    sub = _k_weighted_power(x, sr, 0.1)  # once, for both the integrated loudness and LRA
    lufs = _integrated_sub(sub, w)
    return {"integrated_lufs": _r(lufs), "lra_lu": _r(_lra(sub, w)), "true_peak_dbtp": _r(tp),
            "sample_peak_dbfs": _r(20 * np.log10(sp) if sp else None)}, lufs, tp


def _r(v) -> Optional[float]:
    return None if v is None or not np.isfinite(v) else round(float(v), 2)


def normalize_loudness(audio: Audio, *, target_lufs: float | str = -14.0,
                       true_peak_dbtp: float = -1.0, limit: bool = True,
                       progress: ProgressCallback = no_progress,
                       cancel: Optional[CancelToken] = None) -> RestoreResult:
    """Set the integrated loudness to ``target_lufs``, keeping true peaks under a ceiling.

    Parameters
    ----------
    audio : Audio
        At least 0.4 s; any rate and channel count.
    target_lufs : float or {"streaming", "broadcast"}
        Target in LUFS (-70..0): streaming = -14, broadcast (EBU R128) = -23.
    true_peak_dbtp : float
        Ceiling in dBTP (-20..0).
    limit : bool
        True: a look-ahead peak limiter (1.5 ms, linked channels) holds the ceiling and the
        gain is re-trimmed so the loudness still hits the target.  False: peaks above the
        ceiling are reported in ``report["warning"]``.

    Returns
    -------
    RestoreResult
        ``report``: ``tool``, ``target_lufs``, ``gain_db``, ``before`` and ``after``
        (:func:`measure_loudness` dicts), ``limited`` (bool), ``warning`` (str or None).
        Silence is returned unchanged with a warning.
    """
    if isinstance(target_lufs, str):
        if target_lufs not in TARGETS:
            raise InvalidParameterError(
                f"Unknown loudness target {target_lufs!r}; use a number in LUFS or one of "
                f"{', '.join(TARGETS)}.")
        target_lufs = TARGETS[target_lufs]
    target_lufs = check_range("target_lufs", target_lufs, -70.0, 0.0, "The loudness target")
    ceiling = check_range("true_peak_dbtp", true_peak_dbtp, -20.0, 0.0, "The true-peak ceiling")
    if audio.duration_s < MIN_SECONDS:
        raise InvalidParameterError(
            f"The audio is too short to measure loudness ({audio.duration_s:.2f} s); "
            f"it needs at least {MIN_SECONDS} s.")
    steps = Steps(progress, cancel, "loudness", 4, "measuring loudness")
    x = float_samples(audio)
    before, lufs, tp = _measure(x, audio.sr)
    steps.advance(1)
    report = {"tool": "loudness", "target_lufs": target_lufs, "gain_db": 0.0,
              "before": before, "after": before, "limited": False, "warning": None}
    if before["integrated_lufs"] is None:
        report["warning"] = "The audio is silent: nothing to normalise."
        return RestoreResult(to_audio(x, audio), report)
    # K-weighting, gating and true peak are linear in a gain: no need to measure y again.
    gain_db = target_lufs - lufs
    y = x * 10 ** (gain_db / 20)
    steps.advance(1)
    limited = tp + gain_db > ceiling + 0.05
    if limited:
        if limit:
            for _ in range(3):  # limit, re-measure, re-trim: converges in 2–3 passes
                y = _limit(y, audio.sr, ceiling)
                trim = target_lufs - _integrated(y, audio.sr)
                gain_db += trim
                if abs(trim) < 0.02:
                    break
                y = y * 10 ** (trim / 20)
            y = _limit(y, audio.sr, ceiling)
            report["limited"] = True
            check_tp = true_peak_db(y, audio.sr)
            if check_tp > ceiling + 0.3:
                report["warning"] = f"True peak {check_tp:.1f} dBTP is above the ceiling."
        else:
            report["warning"] = (f"True peak reaches {tp + gain_db:.1f} dBTP, above the "
                                 f"{ceiling:g} dBTP ceiling; turn limiting on or choose a "
                                 "lower target.")
    steps.advance(1)
    out = to_audio(y, audio)
    report["gain_db"] = round(float(gain_db), 2)
    if limited and limit:
        report["after"] = measure_loudness(out)
    else:  # a plain gain: every figure moves by gain_db, LRA stays
        shift = {k: _r(before[k] + gain_db) if before[k] is not None else None
                 for k in ("integrated_lufs", "true_peak_dbtp", "sample_peak_dbfs")}
        report["after"] = {**before, **shift}
    got = report["after"]["integrated_lufs"]
    if got is not None and abs(got - target_lufs) > 0.1 and report["warning"] is None:
        report["warning"] = (f"Reached {got:.1f} LUFS, not {target_lufs:g}: the true-peak "
                             "ceiling holds it back.")
    steps.finish()
    return RestoreResult(out, report)


def _limit(y: np.ndarray, sr: int, ceiling_db: float) -> np.ndarray:
    """Linked look-ahead limiter: gain ≤ ceiling / (4x oversampled peak), smoothed."""
    from scipy import ndimage, signal

    c = 10 ** (ceiling_db / 20) * 0.995
    factor = 4 if sr <= 96000 else 2
    up = np.abs(signal.resample_poly(y.astype(np.float32), factor, 1, axis=1,
                                     window=("kaiser", 8.0)))
    peak = up[:, : y.shape[1] * factor].reshape(y.shape[0], y.shape[1], factor).max(axis=(0, 2))
    peak = np.maximum(peak, np.abs(y).max(axis=0))
    need = np.minimum(1.0, c / np.maximum(peak, 1e-12))
    look = max(1, int(0.0015 * sr))
    # The minimum over ±look then a ±look/2 moving average: smooth, and never above `need`
    # at a peak (every averaged value lies inside the minimum's window).
    g = ndimage.minimum_filter1d(need, size=2 * look + 1, mode="nearest")
    g = ndimage.uniform_filter1d(g, size=look | 1, mode="nearest")
    g = np.minimum(g, ndimage.minimum_filter1d(need, size=3, mode="nearest"))
    return y * g
