"""Separation methods that need no download: HPSS, REPET-SIM, centre/sides.

They run on any sample rate and channel count.  HPSS and REPET-SIM are
spectrogram masking: a mask is computed from the magnitude of the mono mix
and applied to every channel's complex STFT, and the two masks are
complementary, so the two stems add back to the mix.  Both run window by window
through :func:`core.separate.apply.apply_chunked` (REPET's similarity matrix is
quadratic in window length, so windows keep memory flat in song length).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from core.errors import InvalidParameterError
from core.jobs import CancelToken, ProgressCallback, no_progress

#: Stems of each embedded method, in output order.
EMBEDDED = {
    "hpss": ("harmonic", "percussive"),
    "repet": ("vocals", "accompaniment"),
    "midside": ("center", "sides"),
}
DESCRIPTIONS = {
    "hpss": "Harmonic/percussive split (median filtering): sustained notes vs drums and clicks",
    "repet": "Vocals/accompaniment by repetition (REPET-SIM): repeating backing vs the rest",
    "midside": "Stereo centre/sides: what is panned centre vs what is wide (stereo only)",
}
#: Default window length in seconds (REPET looks for repetitions inside one window).
DEFAULT_SEGMENT_S = {"hpss": 30.0, "repet": 30.0}


def stft_size(sr: int) -> int:
    """FFT size for ~46 ms frames at ``sr`` Hz (2048 at 44.1 kHz), a power of two."""
    return int(2 ** max(8, round(np.log2(0.0464 * sr))))


def _stft(x: np.ndarray, n_fft: int) -> np.ndarray:
    import librosa

    return librosa.stft(x, n_fft=n_fft, hop_length=n_fft // 4)


def _istft(spec: np.ndarray, n_fft: int, length: int) -> np.ndarray:
    import librosa

    return librosa.istft(spec, hop_length=n_fft // 4, n_fft=n_fft, length=length)


def _masked_pair(x: np.ndarray, mask_fn, n_fft: int) -> np.ndarray:
    """Apply ``mask_fn(mono magnitude) -> mask`` and its complement; (2, C, N) float32."""
    n = x.shape[-1]
    spec = _stft(x, n_fft)  # (C, F, T)
    mag = np.abs(spec).mean(axis=0)
    mask = mask_fn(mag).astype(np.float32)
    first = _istft(spec * mask, n_fft, n)
    second = _istft(spec * (1.0 - mask), n_fft, n)
    return np.stack([first, second]).astype(np.float32)


def hpss_window(x: np.ndarray, sr: int, *, kernel_size: int = 31, margin: float = 1.0,
                power: float = 2.0) -> np.ndarray:
    """Harmonic and percussive parts of one window.

    Parameters
    ----------
    x : np.ndarray [shape=(channels, frames)]
    sr : int
        Hz (sets the FFT size).
    kernel_size, margin, power :
        As in :func:`librosa.decompose.hpss` (median filter length in bins/frames).

    Returns
    -------
    np.ndarray [shape=(2, channels, frames)]
        ``[harmonic, percussive]``; they sum to ``x`` up to STFT round-off.
    """
    import librosa

    def mask(mag):
        h, p = librosa.decompose.hpss(mag, kernel_size=kernel_size, mask=True,
                                      margin=margin, power=power)
        return h / np.maximum(h + p, 1e-10)

    return _masked_pair(x, mask, stft_size(sr))


def repet_window(x: np.ndarray, sr: int, *, similarity_width_s: float = 2.0,
                 margin_background: float = 2.0, margin_foreground: float = 10.0,
                 power: float = 2.0) -> np.ndarray:
    """Vocals and accompaniment of one window by repetition (REPET-SIM).

    Each spectrogram frame is compared (cosine similarity) with every frame at
    least ``similarity_width_s`` away; the median of its nearest neighbours is
    the repeating background.  Soft masks (Rafii & Pardo 2012, as in librosa's
    vocal separation example) split foreground from background.

    Returns
    -------
    np.ndarray [shape=(2, channels, frames)]
        ``[vocals, accompaniment]``; they sum to ``x`` up to STFT round-off.
    """
    import librosa

    n_fft = stft_size(sr)
    hop = n_fft // 4

    def mask(mag):
        frames = mag.shape[-1]
        width = int(round(similarity_width_s * sr / hop))
        if frames <= 2 * width + 2:  # too short to find repetitions: all accompaniment
            return np.zeros_like(mag)
        bg = librosa.decompose.nn_filter(mag, aggregate=np.median, metric="cosine",
                                         width=width)
        bg = np.minimum(mag, bg)
        fg = mag - bg
        m_bg = librosa.util.softmask(bg, margin_background * fg, power=power)
        m_fg = librosa.util.softmask(fg, margin_foreground * bg, power=power)
        return m_fg / np.maximum(m_fg + m_bg, 1e-10)

    return _masked_pair(x, mask, n_fft)


def midside(x: np.ndarray) -> np.ndarray:
    """Centre and sides of a stereo signal; (2, 2, frames), ``center + sides == x`` exactly.

    ``center`` is ``(L+R)/2`` on both channels, ``sides`` is ``(L-R)/2`` on the
    left and its negative on the right.
    """
    if x.shape[0] != 2:
        raise InvalidParameterError(
            "Centre/sides extraction needs a stereo recording (2 channels); this one has "
            f"{x.shape[0]}. Choose harmonic/percussive or vocals/accompaniment instead.")
    mid = (x[0] + x[1]) * np.float32(0.5)
    center = np.stack([mid, mid])
    sides = x - center  # exact complement, no rounding drift
    return np.stack([center, sides]).astype(np.float32)


def run_embedded(method: str, x: np.ndarray, sr: int, wanted: list[int], *,
                 segment_s: Optional[float] = None, overlap: float = 0.25,
                 progress: ProgressCallback = no_progress,
                 cancel: Optional[CancelToken] = None, scratch_dir=None) -> np.ndarray:
    """Run embedded ``method`` on ``x`` (channels, frames) at ``sr``; stems ``wanted``.

    Returns float32 (len(wanted), channels, frames); with ``scratch_dir`` a
    disk-backed :func:`core.scratch.scratch_array` there (memory flat in song length).
    """
    import torch

    from core.jobs import Progress, check
    from core.separate.apply import apply_chunked

    if method == "midside":
        check(cancel)
        progress(Progress("separate", 0, 1, "centre/sides"))
        if scratch_dir is None:
            out = midside(x)[wanted]
        else:
            from core.scratch import BLOCK_FRAMES, release, scratch_array

            midside(x[:, :0])  # the stereo check, before any work
            out = scratch_array((len(wanted), x.shape[0], x.shape[1]), scratch_dir)
            for a in range(0, x.shape[1], BLOCK_FRAMES):
                out[..., a:a + BLOCK_FRAMES] = midside(x[:, a:a + BLOCK_FRAMES])[wanted]
                release(out)
        progress(Progress("separate", 1, 1, "centre/sides"))
        return out
    fn = {"hpss": hpss_window, "repet": repet_window}[method]
    seg_s = DEFAULT_SEGMENT_S[method] if segment_s is None else float(segment_s)
    n_fft = stft_size(sr)
    segment = max(int(seg_s * sr), 8 * n_fft)
    if x.shape[-1] <= segment:  # one window: no need for overlap-add
        check(cancel)
        progress(Progress("separate", 0, 1, method))
        out = fn(x, sr)[wanted]
        check(cancel)
        progress(Progress("separate", 1, 1, method))
        return out

    def model_fn(xb):
        return torch.from_numpy(np.stack([fn(w, sr)[wanted] for w in xb.numpy()]))

    out = None
    if scratch_dir is not None:
        from core.scratch import scratch_array

        out = scratch_array((len(wanted), x.shape[0], x.shape[1]), scratch_dir)
    return apply_chunked(model_fn, x, segment=segment, overlap=overlap, batch=1,
                         progress=progress, cancel=cancel, out=out)
