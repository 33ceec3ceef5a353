"""Short-time Fourier transform and spectrograms, torch-backed (GPU when asked).

torch is imported inside the functions: importing :mod:`core.analysis` must
not load it (the GUI imports this package at start-up).
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import numpy as np

from core.analysis import frames as fr
from core.analysis.frames import WindowSpec, as_channels, check_fft, n_frames, segment
from core.analysis.scales import frequency_axis
from core.analysis.types import Spectrogram
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

#: Frames per chunk on the CPU.  Small chunks stay in cache, but every torch op
#: is an OpenMP parallel region, and on a busy machine each region waits for its
#: slowest thread: 1024 frames (16 MB of frames at n_fft 2048) measured as fast
#: as 128 on an idle machine and several times faster on a loaded one.
CPU_CHUNK_FRAMES = 1024
GPU_CHUNK_FRAMES = 8192


def torch_setup(device: Optional[str]):
    """Import torch (see below) and resolve ``device`` with :func:`core.devices.pick`.

    If torch is not loaded yet, ``OMP_WAIT_POLICY=PASSIVE`` is set first (unless
    the environment says otherwise): libgomp reads it once, when torch loads it.
    By default idle OpenMP workers spin, and on a busy machine they take the CPU
    from the thread doing the work: a 10-minute spectrogram took 3.7 s instead
    of 0.7 s on 2 loaded cores.  torch's own thread count (the physical cores)
    is left alone, so a user's ``torch.set_num_threads`` stands.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    from core.devices import pick

    return torch, pick(device)


def stft(samples: np.ndarray, *, n_fft: int = 2048, hop_length: int = 512,
         window: WindowSpec = "hann", center: bool = True,
         device: Optional[str] = None) -> np.ndarray:
    """Complex short-time Fourier transform (no normalisation, like ``librosa.stft``).

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (channels, n)]
        Audio, float32 preferred.
    n_fft, hop_length : int
        FFT size and hop, samples.
    window : str or np.ndarray [shape=(n_fft,)]
        ``"hann"`` (periodic), ``"hamming"``, ``"blackman"``, ``"rect"`` or the window itself.
    center : bool
        Frame ``t`` is centred on sample ``t*hop_length`` (reflect padding at the edges).
    device : str, optional
        ``"cpu"``, ``"cuda"``, ``"auto"``... (see :func:`core.devices.pick`).

    Returns
    -------
    np.ndarray [shape=(channels, n_fft//2+1, n_frames), dtype=complex64]
        ``channels`` is 1 for 1-D input.
    """
    check_fft(n_fft, hop_length)
    x = as_channels(samples)
    fr.require_audio(x)
    w = fr.window(window, n_fft)
    torch, dev = torch_setup(device)
    nfr = n_frames(x.shape[1], n_fft, hop_length, center)
    if nfr == 0:
        return np.zeros((x.shape[0], n_fft // 2 + 1, 0), np.complex64)
    if center:
        x = segment(x, -(n_fft // 2), (nfr - 1) * hop_length + n_fft - n_fft // 2)
    xt = torch.from_numpy(np.ascontiguousarray(x)).to(dev)
    wt = torch.from_numpy(w).to(dev)
    with torch.no_grad():
        out = torch.stft(xt, n_fft, hop_length, window=wt, center=False, return_complex=True)
    return out.cpu().numpy()


def spectrogram(samples: np.ndarray, sr: int, *, n_fft: int = 2048, hop_length: int = 512,
                window: WindowSpec = "hann", scale: str = "linear",
                n_bins: Optional[int] = None, fmin: Optional[float] = None,
                fmax: Optional[float] = None, db: bool = True, top_db: Optional[float] = 120.0,
                ref: float = 1.0, reduce: str = "max", center: bool = True,
                device: Optional[str] = None, chunk_frames: Optional[int] = None,
                progress: ProgressCallback = no_progress,
                cancel: Optional[CancelToken] = None) -> Spectrogram:
    """Power spectrogram of a whole signal, on a linear, log or mel frequency axis.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (channels, n)]
        Audio at ``sr`` Hz.  Channels are averaged in power, not in samples, so
        out-of-phase content does not cancel.
    sr : int
        Sample rate, Hz.
    n_fft, hop_length, window, center
        As :func:`stft`.
    scale : {"linear", "log", "mel"}
        Frequency axis (see :mod:`core.analysis.scales`).
    n_bins : int, optional
        Rows of a log (default 384) or mel (default 128) axis.
    fmin, fmax : float, optional
        Frequency range, Hz (log default 27.5 Hz, A0; ``fmax`` default ``sr/2``).
    db : bool
        Return ``10*log10(power/ref)`` (True) or linear power.
    top_db : float or None
        dB values are floored at ``max - top_db``.
    ref : float
        Power that reads 0 dB.  Power is normalised so a full-scale sine reads ~1.
    reduce : {"max", "mean"}
        How FFT bins sharing a log/mel row combine.
    device : str, optional
        Compute device (see :func:`core.devices.pick`); the result is always a numpy array.
    chunk_frames : int, optional
        Frames per chunk (memory stays bounded: the output plus one chunk).
    progress, cancel
        See :mod:`core.jobs`; checked after every chunk.

    Returns
    -------
    Spectrogram
        ``values`` float32 (n_bins, n_frames) with ``n_frames = 1 + n//hop_length``
        when centred.
    """
    check_fft(n_fft, hop_length)
    sr = int(sr)
    if sr <= 0:
        raise InvalidParameterError(f"Sample rate must be positive; got {sr}.")
    x = as_channels(samples)
    fr.require_audio(x)
    axis = frequency_axis(sr, n_fft, scale=scale, n_bins=n_bins, fmin=fmin, fmax=fmax,
                          reduce=reduce)
    if ref <= 0:
        raise InvalidParameterError(f"The dB reference must be positive; got {ref}.")
    pw = fr.power_window(window, n_fft)
    torch, dev = torch_setup(device)
    nfr = n_frames(x.shape[1], n_fft, hop_length, center)
    out = np.empty((axis.n_rows, nfr), np.float32)
    on_cpu = dev == "cpu"
    m = chunk_frames or (CPU_CHUNK_FRAMES if on_cpu else GPU_CHUNK_FRAMES)
    pad = n_fft // 2 if center else 0
    c = x.shape[0]
    # 1/channels folded into the window: summing the channels' power then
    # gives their mean, with no extra pass.
    wt = torch.from_numpy(pw * np.float32(1.0 / np.sqrt(c))).to(dev)
    out_t = torch.from_numpy(out)
    buf = torch.empty((m, n_fft // 2 + 1), dtype=torch.float32, device=dev)
    total = max(nfr, 1)
    with torch.no_grad():
        for t0 in range(0, nfr, m):
            check(cancel)
            t1 = min(nfr, t0 + m)
            seg = segment(x, t0 * hop_length - pad, (t1 - 1) * hop_length - pad + n_fft)
            xt = torch.from_numpy(seg)
            if not on_cpu:
                xt = xt.to(dev, non_blocking=True)
            frames = xt.unfold(-1, n_fft, hop_length) * wt              # (C, M, n_fft)
            spec = torch.view_as_real(torch.fft.rfft(frames, dim=-1))   # (C, M, F, 2)
            # Power summed over channels in a few fused element-wise passes
            # (each torch op is a parallel region: fewer, bigger ones win).
            power = buf[:t1 - t0]
            re, im = spec[0, ..., 0], spec[0, ..., 1]
            torch.mul(re, re, out=power)
            power.addcmul_(im, im)
            for ch in range(1, c):
                re, im = spec[ch, ..., 0], spec[ch, ..., 1]
                power.addcmul_(re, re).addcmul_(im, im)                 # (M, F)
            if axis.scale == "linear":
                rows = power[:, axis.lin_slice]
                out_t[:, t0:t1] = rows.T.cpu() if not on_cpu else rows.T
            else:
                mapped = axis.apply(power.cpu().numpy())
                out[:, t0:t1] = mapped.T
            progress(Progress("spectrogram", t1, total, "Computing spectrogram"))
        check(cancel)
        if db:
            # log10 through torch: multi-threaded and in place on the output.
            out_t.clamp_(min=1e-20).log10_().mul_(10.0)
            if ref != 1.0:
                out -= np.float32(10.0 * np.log10(ref))
            fr.apply_floor(out, top_db=top_db, floor_db=None)
    freqs = axis.freqs.astype(np.float64)
    times = np.arange(nfr, dtype=np.float64) * hop_length / sr
    if not center:
        times += (n_fft / 2) / sr
    return Spectrogram(out, freqs, times, sr, int(n_fft), int(hop_length), axis.scale, db)


__all__ = ["stft", "spectrogram", "torch_setup"]
