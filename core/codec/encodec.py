"""EnCodec (Meta's neural audio codec) through ``transformers``: encode -> decode.

Weights come only from the model registry's local folder (``encodec-24khz``);
the hub is never contacted and only safetensors are read.  Long audio is coded
in chunks with a short cross-fade, each channel on its own (the 24 kHz model
is mono).  torch and transformers are imported on first use.
"""

from __future__ import annotations

import math
import os
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError, ModelError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

DEFAULT_MODEL = "encodec-24khz"
_loaded: dict[tuple, tuple] = {}


def load_encodec(model: str = DEFAULT_MODEL, *, device: Optional[str] = None):
    """(network, device) of an installed EnCodec model (cached).

    Raises
    ------
    UnknownModelError, ModelNotInstalledError
        Not in the registry, or not downloaded yet (the message says how to get it).
    ModelError
        The folder does not hold an EnCodec model.
    """
    from core import models
    from core.devices import pick

    spec = models.get(model)
    if spec.loader != "transformers-dir":
        raise ModelError(f"Model '{model}' is not an EnCodec model.")
    folder = models.ensure(model, allow_download=False)
    dev = pick(device)
    key = (str(folder), dev)
    if key not in _loaded:
        os.environ["HF_HUB_OFFLINE"] = "1"
        from transformers import EncodecModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            net = EncodecModel.from_pretrained(str(folder), local_files_only=True,
                                               use_safetensors=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"Model '{model}' could not be loaded ({exc}). Download it again "
                             f"with `resonote models download --force {model}`.") from exc
        _loaded.clear()
        _loaded[key] = (net.to(dev).eval(), dev)
    return _loaded[key]


def model_bandwidths(net) -> tuple[float, ...]:
    """Bitrates (kbit/s) the loaded model supports."""
    return tuple(float(b) for b in net.config.target_bandwidths)


def _frame_rate(net) -> float:
    cfg = net.config
    return cfg.sampling_rate / float(np.prod(cfg.upsampling_ratios))


def _code_chunk(net, dev, x: np.ndarray, kbps: float) -> tuple[np.ndarray, int]:
    """Encode and decode one (frames,) mono chunk; (decoded, number of code frames)."""
    import torch

    with torch.inference_mode():
        t = torch.from_numpy(x).to(dev)[None, None, :]
        mask = torch.ones_like(t, dtype=torch.long)[:, 0]
        enc = net.encode(t, mask, bandwidth=kbps)
        dec = net.decode(enc.audio_codes, enc.audio_scales, mask)[0]
    y = dec[0, 0].float().cpu().numpy()[:x.shape[0]]
    if y.shape[0] < x.shape[0]:
        y = np.pad(y, (0, x.shape[0] - y.shape[0]))
    return y, int(enc.audio_codes.shape[-1])


def encodec_roundtrip(
    audio: Audio,
    *,
    kbps: float = 6.0,
    model: str = DEFAULT_MODEL,
    chunk_s: float = 10.0,
    overlap_s: float = 0.05,
    device: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> tuple[Audio, dict]:
    """Compress ``audio`` with EnCodec at ``kbps`` and decode it again.

    Parameters
    ----------
    audio : Audio
        Any rate (resampled to the model's, 24 kHz, and back) and channel
        count (each channel is coded on its own: ``kbps`` is per channel).
    kbps : float
        One of the model's bandwidths (1.5, 3, 6, 12 or 24 for EnCodec 24 kHz).
    model : str
        Registry name of an EnCodec model.
    chunk_s, overlap_s : float
        Audio is coded ``chunk_s`` seconds at a time; neighbouring chunks
        overlap by ``overlap_s`` seconds and are cross-faded linearly.
    device : str, optional
        ``cpu``, ``cuda``, ``mps`` or None for the configured default.
    progress, cancel
        Stage ``"encodec"`` per chunk; cancelling raises
        :class:`~core.jobs.JobCancelled` between chunks.

    Returns
    -------
    (Audio, dict)
        Decoded audio (input's rate, channels and length) and facts:
        ``actual_kbps`` (per channel), ``encoded_bytes``, ``codebooks``,
        ``frame_rate_hz``, ``model_sr``.

    Raises
    ------
    InvalidParameterError
        ``kbps`` is not one of the model's bandwidths, or bad chunking.
    ModelNotInstalledError, UnknownModelError, ModelError
    """
    if chunk_s <= 0 or overlap_s < 0 or overlap_s * 2 >= chunk_s:
        raise InvalidParameterError("chunk_s must be positive and more than twice overlap_s.")
    progress(Progress("encodec", 0, 0, f"loading {model}"))
    net, dev = load_encodec(model, device=device)
    allowed = model_bandwidths(net)
    if not any(math.isclose(kbps, b) for b in allowed):
        raise InvalidParameterError(
            f"EnCodec model '{model}' codes at {', '.join(f'{b:g}' for b in allowed)} kbit/s; "
            f"{kbps:g} is not one of them.")
    kbps = next(b for b in allowed if math.isclose(kbps, b))
    from core.audio import resample

    msr = int(net.config.sampling_rate)
    src = audio.cleaned()
    x = resample(src, msr).samples if src.sr != msr else src.samples
    n = x.shape[1]
    chunk = max(int(chunk_s * msr), 1)
    ov = int(overlap_s * msr)
    step = chunk - ov
    starts = list(range(0, max(n - ov, 1), step)) if n > chunk else [0]
    total = len(starts) * x.shape[0]
    out = np.zeros_like(x)
    weight = np.zeros(n, dtype=np.float32)
    code_frames = 0
    done = 0
    for c in range(x.shape[0]):
        for s in starts:
            check(cancel)
            e = min(n, s + chunk)
            y, nf = _code_chunk(net, dev, np.ascontiguousarray(x[c, s:e]), kbps)
            w = np.ones(e - s, dtype=np.float32)
            if ov and s > 0:
                w[:ov] = np.linspace(0, 1, ov + 2, dtype=np.float32)[1:-1]
            if ov and e < n:
                w[-ov:] = np.minimum(w[-ov:], np.linspace(1, 0, ov + 2, dtype=np.float32)[1:-1])
            out[c, s:e] += w * y
            if c == 0:
                weight[s:e] += w
            code_frames += nf
            done += 1
            progress(Progress("encodec", done, total, f"EnCodec {kbps:g} kbps: chunk {done}"
                              f" of {total}"))
    out /= np.maximum(weight, 1e-6)
    dec = Audio(out, msr)
    if audio.sr != msr:
        dec = resample(dec, audio.sr)
    s = dec.samples
    if s.shape[1] < audio.frames:
        s = np.pad(s, ((0, 0), (0, audio.frames - s.shape[1])))
    cfg = net.config
    frame_rate = _frame_rate(net)
    bits = math.log2(cfg.codebook_size)
    codebooks = max(1, int(1000 * kbps // (frame_rate * bits)))
    encoded_bytes = int(math.ceil(code_frames * codebooks * bits / 8))
    facts = {"actual_kbps": codebooks * bits * frame_rate / 1000.0,
             "encoded_bytes": encoded_bytes, "codebooks": codebooks,
             "frame_rate_hz": frame_rate, "model_sr": msr}
    return Audio(s[:, :audio.frames], audio.sr, dict(audio.metadata)), facts
