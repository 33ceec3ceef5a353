"""Monophonic pitch tracking (vocals, bass, solos): CREPE tiny (torchcrepe) or pYIN (librosa)."""

from __future__ import annotations

import threading
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.notes.types import PitchTrack

CREPE_SR = 16000
CREPE_WINDOW = 1024
PYIN_SR = 22050
METHODS = ("crepe", "pyin")

_crepe_lock = threading.Lock()


def _load_crepe(device: str) -> None:
    """Load the registry's verified CREPE-tiny weights into torchcrepe (weights only)."""
    import torch
    import torchcrepe

    from core import models

    with _crepe_lock:
        if getattr(torchcrepe.infer, "capacity", None) == "tiny" and \
                getattr(torchcrepe.infer, "model", None) is not None:
            torchcrepe.infer.model = torchcrepe.infer.model.to(device)
            return
        net = torchcrepe.Crepe("tiny")
        state = torch.load(str(models.ensure("crepe-tiny")), map_location="cpu",
                           weights_only=True)
        net.load_state_dict(state)
        net.eval()
        torchcrepe.infer.model = net.to(device)
        torchcrepe.infer.capacity = "tiny"


def pitch_track(
    audio: Audio,
    *,
    method: str = "crepe",
    fmin: float = 50.0,
    fmax: float = 1500.0,
    hop_s: float = 0.01,
    voicing_threshold: float = 0.5,
    chunk_s: float = 20.0,
    device: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> PitchTrack:
    """Fundamental frequency of a monophonic voice or instrument over time.

    Parameters
    ----------
    audio : Audio
        Any rate and channels (mixed to mono).
    method : {"crepe", "pyin"}
        ``"crepe"``: CREPE tiny neural tracker (16 kHz, robust, ~10 cents);
        ``"pyin"``: probabilistic YIN (22050 Hz, no model, slower on long audio).
    fmin, fmax : float
        Search range in Hz.
    hop_s : float
        Frame spacing in seconds (rounded to whole samples).
    voicing_threshold : float
        Frames with confidence below this are unvoiced (``f0_hz`` NaN).
    chunk_s : float
        Audio per step between progress reports and cancel checks.

    Returns
    -------
    PitchTrack
        ``times_s`` frame centres, ``f0_hz`` (NaN when unvoiced), ``confidence`` 0-1
        (CREPE periodicity, or pYIN voicing probability).
    """
    if method not in METHODS:
        raise InvalidParameterError(f"Unknown pitch method '{method}': choose crepe or pyin.")
    if not 0 < fmin < fmax:
        raise InvalidParameterError(f"The pitch range must satisfy 0 < fmin < fmax; "
                                    f"got {fmin}-{fmax} Hz.")
    if not 0.001 <= hop_s <= 0.1:
        raise InvalidParameterError(f"The pitch hop must be 1-100 ms; got {hop_s * 1000:g} ms.")
    if method == "crepe":
        t, f0, conf = _crepe(audio, fmin, fmax, hop_s, chunk_s, device, progress, cancel)
    else:
        t, f0, conf = _pyin(audio, fmin, fmax, hop_s, chunk_s, progress, cancel)
    f0 = np.where(conf >= voicing_threshold, f0, np.nan)
    return PitchTrack(t, f0, conf)


def _crepe(audio, fmin, fmax, hop_s, chunk_s, device, progress, cancel):
    import torch
    import torchcrepe

    from core.notes.transcribe import prepare

    want = (device or "auto").lower()
    dev = want if want.split(":")[0] == "cuda" else "cuda"
    if want.split(":")[0] not in ("auto", "cuda") or not torch.cuda.is_available():
        dev = "cpu"
    _load_crepe(dev)
    y = prepare(audio, CREPE_SR)
    hop = max(1, int(round(hop_s * CREPE_SR)))
    n_frames = 1 + y.shape[0] // hop
    # Centre the frames once on the whole signal, then cut exact frame ranges
    # (pad=False), so chunking changes nothing.
    padded = np.pad(y, (CREPE_WINDOW // 2, CREPE_WINDOW // 2))
    per_chunk = max(1, int(chunk_s * CREPE_SR / hop))
    f0_parts, conf_parts = [], []
    for f0 in range(0, n_frames, per_chunk):
        check(cancel)
        f1 = min(n_frames, f0 + per_chunk)
        seg = padded[f0 * hop:(f1 - 1) * hop + CREPE_WINDOW]
        x = torch.from_numpy(np.ascontiguousarray(seg))[None]
        with torch.inference_mode():
            pitch, periodicity = torchcrepe.predict(
                x, CREPE_SR, hop, fmin, fmax, model="tiny",
                decoder=torchcrepe.decode.weighted_argmax, return_periodicity=True,
                batch_size=512, device=dev, pad=False)
        f0_parts.append(pitch[0].cpu().numpy().astype(np.float64))
        conf_parts.append(periodicity[0].cpu().numpy().astype(np.float64))
        progress(Progress("pitch", f1, n_frames, "Tracking pitch"))
    times = np.arange(n_frames) * hop / CREPE_SR
    return times, np.concatenate(f0_parts), np.clip(np.concatenate(conf_parts), 0, 1)


def _pyin(audio, fmin, fmax, hop_s, chunk_s, progress, cancel):
    import librosa

    from core.notes.transcribe import prepare

    y = prepare(audio, PYIN_SR)
    hop = max(1, int(round(hop_s * PYIN_SR)))
    frame_length = 2048 if fmin >= 40 else 4096
    n_frames = 1 + y.shape[0] // hop
    per_chunk = max(1, int(chunk_s * PYIN_SR / hop))
    ctx = int(np.ceil(PYIN_SR * 1.0 / hop))  # 1 s of context on each side of a chunk
    f0_all = np.full(n_frames, np.nan)
    conf_all = np.zeros(n_frames)
    for a in range(0, n_frames, per_chunk):
        check(cancel)
        b = min(n_frames, a + per_chunk)
        ca = max(0, a - ctx)
        seg = y[ca * hop:(b + ctx) * hop]
        f0, _, prob = librosa.pyin(seg, fmin=fmin, fmax=fmax, sr=PYIN_SR,
                                   frame_length=frame_length, hop_length=hop)
        take = slice(a - ca, a - ca + (b - a))
        got_f0, got_p = f0[take], prob[take]
        f0_all[a:a + got_f0.shape[0]] = got_f0
        conf_all[a:a + got_p.shape[0]] = got_p
        progress(Progress("pitch", b, n_frames, "Tracking pitch"))
    times = np.arange(n_frames) * hop / PYIN_SR
    # pYIN leaves unvoiced frames NaN: report their confidence, keep f0 for voiced ones.
    return times, f0_all, np.nan_to_num(conf_all)
