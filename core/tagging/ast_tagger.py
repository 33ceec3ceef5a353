"""Audio tagging with an Audio Spectrogram Transformer (AST) through ``transformers``.

The weights come only from the model registry's local folder (default
``ast-audioset``: MIT's AST fine-tuned on AudioSet, 527 sound classes such as
"Guitar", "Singing", "Drum kit", "Rock music", "Dog").  The hub is never
contacted (``HF_HUB_OFFLINE=1``, ``local_files_only``, safetensors only, so
nothing is unpickled).  torch and transformers are imported on first use.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError, ModelError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.tagging.types import TagResult, TagSegment

DEFAULT_MODEL = "ast-audioset"
_loaded: dict[tuple, tuple] = {}


def tagging_models() -> list[str]:
    """Registry names of every tagging model (task ``"tagging"``)."""
    from core import models

    return [s.name for s in models.all_models("tagging")]


def load_tagger(model: str = DEFAULT_MODEL, *, device: Optional[str] = None):
    """(network, feature extractor, device) of an installed AST model (cached).

    Raises
    ------
    UnknownModelError, ModelNotInstalledError
        Not in the registry, or not downloaded yet (the message says how to get it).
    ModelError
        The folder does not hold an audio classification model.
    """
    from core import models
    from core.devices import pick

    spec = models.get(model)
    if spec.loader != "transformers-dir":
        raise ModelError(f"Model '{model}' is not an audio tagging model.")
    folder = models.ensure(model, allow_download=False)
    dev = pick(device)
    key = (str(folder), dev)
    if key not in _loaded:
        os.environ["HF_HUB_OFFLINE"] = "1"
        from transformers import ASTFeatureExtractor, ASTForAudioClassification
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        try:
            net = ASTForAudioClassification.from_pretrained(
                str(folder), local_files_only=True, use_safetensors=True)
            fe = ASTFeatureExtractor.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"Model '{model}' could not be loaded ({exc}). Download it again "
                             f"with `resonote models download --force {model}`.") from exc
        _loaded.clear()
        _loaded[key] = (net.to(dev).eval(), fe, dev)
    return _loaded[key]


def _windows(duration_s: float, window_s: float, hop_s: float) -> list[tuple[float, float]]:
    """Window bounds covering ``[0, duration_s]``; the last one ends at the end."""
    if duration_s <= window_s:
        return [(0.0, duration_s)]
    out = []
    t = 0.0
    while True:
        end = t + window_s
        if end >= duration_s - 1e-9:
            out.append((t, duration_s))
            break
        out.append((t, end))
        t += hop_s
    return out


def tag(
    audio: Audio,
    *,
    model: str = DEFAULT_MODEL,
    window_s: float = 10.0,
    hop_s: Optional[float] = None,
    top_k: int = 5,
    start_s: Optional[float] = None,
    end_s: Optional[float] = None,
    batch_size: int = 4,
    device: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> TagResult:
    """Label ``audio`` window by window: instruments, genres, sound events.

    Parameters
    ----------
    audio : Audio
        Any rate and channel count; mixed to mono and resampled to the model's
        rate (16 kHz for AST).
    model : str
        Registry name of a tagging model (``ast-audioset``).
    window_s : float
        Window length in seconds (AST sees at most 10.24 s; longer windows
        are cut by the feature extractor, shorter ones padded).
    hop_s : float, optional
        Step between window starts in seconds; default ``window_s`` (no overlap).
    top_k : int
        Labels kept per window.
    start_s, end_s : float, optional
        Analyse only this range (seconds); segment times stay on the
        source's time axis.
    batch_size : int
        Windows per forward pass.
    device : str, optional
        ``cpu``, ``cuda``, ``mps`` or None for the configured default.
    progress, cancel
        Progress per batch (stage ``"tagging"``); cancelling raises
        :class:`~core.jobs.JobCancelled` between batches.

    Returns
    -------
    TagResult
        ``segments[i].labels`` = ``[(label, probability), ...]`` best first.

    Raises
    ------
    InvalidParameterError, ModelNotInstalledError, UnknownModelError, ModelError
    """
    if window_s <= 0 or (hop_s is not None and hop_s <= 0):
        raise InvalidParameterError("The window and hop must be longer than 0 seconds.")
    if top_k < 1 or batch_size < 1:
        raise InvalidParameterError("top_k and batch_size must be at least 1.")
    hop = float(window_s if hop_s is None else hop_s)
    t0 = 0.0 if start_s is None else float(start_s)
    t1 = audio.duration_s if end_s is None else min(float(end_s), audio.duration_s)
    if t0 < 0 or t1 <= t0:
        raise InvalidParameterError(
            f"The range {t0:.2f}-{t1:.2f} s is empty or outside the audio.")
    progress(Progress("tagging", 0, 0, f"loading {model}"))
    net, fe, dev = load_tagger(model, device=device)
    check(cancel)

    import torch

    from core.audio import resample

    sr = int(fe.sampling_rate)
    clip = audio.slice_seconds(t0, t1).mono()
    clip = resample(clip, sr) if clip.sr != sr else clip
    y = np.nan_to_num(clip.samples[0], nan=0.0, posinf=0.0, neginf=0.0)
    bounds = _windows(clip.duration_s, float(window_s), hop)
    id2label = net.config.id2label
    names = [str(id2label.get(i, id2label.get(str(i), f"class {i}")))
             for i in range(net.config.num_labels)]
    single = getattr(net.config, "problem_type", None) == "single_label_classification"
    scores = np.zeros((len(bounds), len(names)), dtype=np.float32)
    total = len(bounds)
    progress(Progress("tagging", 0, total, f"{total} window(s)"))
    for b0 in range(0, total, batch_size):
        check(cancel)
        chunk = bounds[b0:b0 + batch_size]
        waves = []
        for a, b in chunk:
            w = y[int(round(a * sr)):int(round(b * sr))]
            if w.size < 400:  # shorter than one 25 ms analysis frame: pad with silence
                w = np.pad(w, (0, 400 - w.size))
            waves.append(w.astype(np.float32))
        inputs = fe(waves, sampling_rate=sr, return_tensors="pt")
        with torch.inference_mode():
            logits = net(input_values=inputs["input_values"].to(dev)).logits.float()
        probs = torch.softmax(logits, -1) if single else torch.sigmoid(logits)
        scores[b0:b0 + len(chunk)] = probs.cpu().numpy()
        progress(Progress("tagging", b0 + len(chunk), total,
                          f"window {b0 + len(chunk)} of {total}"))
    k = min(top_k, len(names))
    segments = []
    for (a, b), row in zip(bounds, scores, strict=True):
        order = np.argsort(-row, kind="stable")[:k]
        segments.append(TagSegment(round(t0 + a, 6), round(t0 + b, 6),
                                   [(names[i], float(row[i])) for i in order]))
    return TagResult(segments=segments, label_names=names, scores=scores, model=model,
                     window_s=float(window_s), hop_s=hop,
                     params={"top_k": k, "start_s": t0, "end_s": t1, "sr": sr})
