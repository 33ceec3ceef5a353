"""The CTC acoustic model of lyrics alignment: loading it and computing frame log-probabilities.

A model is a Hugging Face ``Wav2Vec2ForCTC`` folder (``config.json``,
``model.safetensors``, ``vocab.json``, optionally ``preprocessor_config.json``)
installed through the registry (:mod:`core.models`, task ``"align"``).  Its
vocabulary is characters plus ``|`` between words; ``<pad>`` is the CTC blank.

Long audio is run through the network in windows (with a little context on
each side, whose frames are discarded) so memory stays bounded; the windows'
frames join into one emission matrix that is aligned in one pass.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from core.errors import InvalidParameterError, ModelError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

log = logging.getLogger(__name__)

#: Registry name of the default alignment model (a download, English characters).
DEFAULT_MODEL = "wav2vec2-base-960h"

_cache: dict[tuple[str, str], CtcModel] = {}
_cache_lock = threading.Lock()


@dataclass
class CtcModel:
    """A loaded CTC model and what alignment needs to know about it.

    Attributes
    ----------
    name : str
        Registry name.
    network : transformers.Wav2Vec2ForCTC
        In eval mode, on ``device``.
    labels : list of str
        Token string of every output index.
    blank : int
        Index of the CTC blank (``<pad>``).
    delimiter : int or None
        Index of the word delimiter ``|``, if the vocabulary has one.
    sample_rate : int
        Input rate in Hz (16000 for wav2vec2).
    hop : int
        Input samples per output frame (320 for wav2vec2: 20 ms at 16 kHz).
    receptive : int
        Input samples seen by one output frame (400 for wav2vec2).
    normalize : bool
        Whether input is scaled to zero mean and unit variance first.
    device : str
    """

    name: str
    network: Any
    labels: list[str]
    blank: int
    delimiter: Optional[int]
    sample_rate: int
    hop: int
    receptive: int
    normalize: bool
    device: str

    @property
    def characters(self) -> set[str]:
        """Single characters the model can align (the delimiter excluded)."""
        return {t for t in self.labels if len(t) == 1 and t != "|"}

    @property
    def frame_s(self) -> float:
        """Seconds per output frame."""
        return self.hop / self.sample_rate

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.labels)}

    def token_ids(self, word: str) -> list[int]:
        """Output indices of the characters of ``word`` (already spelled for this model)."""
        return [self._index[c] for c in word if c in self._index]

    def frames_for(self, n_samples: int) -> int:
        """Output frames for ``n_samples`` input samples (0 when shorter than one frame)."""
        if n_samples < self.receptive:
            return 0
        return (n_samples - self.receptive) // self.hop + 1


def align_model_names() -> list[str]:
    """Registry names of every lyrics-alignment model."""
    from core import models

    return [s.name for s in models.all_models("align")]


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The alignment model file {path.name} is unreadable ({exc}).") from None
    if not isinstance(data, dict):
        raise ModelError(f"The alignment model file {path.name} is not a JSON object.")
    return data


def load_model(name: str = DEFAULT_MODEL, *, device: Optional[str] = None,
               cancel: Optional[CancelToken] = None) -> CtcModel:
    """Load alignment model ``name`` (kept in memory for the next call).

    Never downloads: a missing model raises
    :class:`~core.errors.ModelNotInstalledError` saying how to get it.

    Raises
    ------
    UnknownModelError, ModelNotInstalledError
    InvalidParameterError
        ``name`` is a model for another task.
    ModelError
        The folder is not a usable CTC model.
    """
    from core import devices, models

    spec = models.get(name)
    if spec.task != "align":
        raise InvalidParameterError(
            f"'{name}' is a {spec.task} model, not a lyrics-alignment model. "
            f"Alignment models: {', '.join(align_model_names())}.")
    folder = Path(models.ensure(name, allow_download=False, cancel=cancel))
    dev = devices.pick(device)
    key = (str(folder.resolve()), dev)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    vocab = _read_json(folder / "vocab.json")
    labels = [""] * len(vocab)
    for token, idx in vocab.items():
        if not isinstance(idx, int) or not 0 <= idx < len(vocab):
            raise ModelError(f"The vocabulary of alignment model '{name}' is damaged.")
        labels[idx] = token
    pre = folder / "preprocessor_config.json"
    features = _read_json(pre) if pre.is_file() else {}
    cfg = _read_json(folder / "config.json")
    kernels = cfg.get("conv_kernel") or [10, 3, 3, 3, 3, 2, 2]
    strides = cfg.get("conv_stride") or [5, 2, 2, 2, 2, 2, 2]
    receptive, hop = 1, 1
    for k, s in zip(reversed(kernels), reversed(strides), strict=True):
        receptive = (receptive - 1) * s + k
    for s in strides:
        hop *= s
    pad_id = cfg.get("pad_token_id")
    blank = pad_id if isinstance(pad_id, int) and 0 <= pad_id < len(labels) else \
        (labels.index("<pad>") if "<pad>" in labels else 0)
    check(cancel)
    network = _load_network(folder, name, dev)
    if network.config.vocab_size != len(labels):
        raise ModelError(f"Alignment model '{name}' has {network.config.vocab_size} outputs but "
                         f"{len(labels)} vocabulary entries.")
    model = CtcModel(
        name=name, network=network, labels=labels, blank=blank,
        delimiter=labels.index("|") if "|" in labels else None,
        sample_rate=int(features.get("sampling_rate", 16000)), hop=hop, receptive=receptive,
        normalize=bool(features.get("do_normalize", True)), device=dev)
    with _cache_lock:
        _cache.clear()  # one alignment model at a time: they are large
        _cache[key] = model
    return model


def _load_network(folder: Path, name: str, device: str) -> Any:
    from transformers import Wav2Vec2ForCTC
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        network = Wav2Vec2ForCTC.from_pretrained(str(folder), use_safetensors=True,
                                                 local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"Alignment model '{name}' could not be loaded: {exc}") from None
    network.eval()
    return network.to(device)


def clear_cache() -> None:
    """Forget the loaded model."""
    with _cache_lock:
        _cache.clear()


def emissions(model: CtcModel, samples: np.ndarray, *, window_s: float = 30.0,
              context_s: float = 1.0, progress: ProgressCallback = no_progress,
              cancel: Optional[CancelToken] = None) -> np.ndarray:
    """Frame log-probabilities of mono ``samples`` at ``model.sample_rate``.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)], float32
        Mono audio at ``model.sample_rate`` Hz.
    window_s : float
        Seconds of audio per network call (memory grows with its square).
    context_s : float
        Extra seconds on both sides of each window, run but discarded, so a
        window's edge frames hear what comes before and after.

    Returns
    -------
    np.ndarray [shape=(frames, len(model.labels))], float32
        ``log_softmax`` of the network's logits; frame ``i`` starts at
        ``i * model.frame_s`` seconds.
    """
    from core import devices

    x = np.asarray(samples, dtype=np.float32)
    if model.normalize:
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    total = model.frames_for(x.size)
    out = np.empty((total, len(model.labels)), dtype=np.float32)
    window = max(1, int(round(window_s / model.frame_s)))
    context = max(0, int(round(context_s / model.frame_s)))

    def run(dev: str, chunk: int) -> np.ndarray:
        import torch

        net = model.network.to(dev)
        done = 0
        with torch.inference_mode():
            for start in range(0, total, chunk):
                check(cancel)
                stop = min(total, start + chunk)
                a, b = max(0, start - context), min(total, stop + context)
                piece = x[a * model.hop:(b - 1) * model.hop + model.receptive]
                logits = net(torch.from_numpy(piece)[None].to(dev)).logits[0]
                lp = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
                out[start:stop] = lp[start - a:stop - a]
                done = stop
                progress(Progress("align", done, total,
                                  f"listening: {done * model.frame_s:.0f} of "
                                  f"{total * model.frame_s:.0f} s"))
        return out

    return devices.run_with_fallback(run, device=model.device, chunk=window,
                                     min_chunk=max(1, window // 8))
