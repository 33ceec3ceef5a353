"""Neural speech with Meta's MMS-TTS voices (VITS, through transformers), downloaded on demand.

A voice is a registry model of task ``"tts"`` (``mms-tts-eng``...), a folder
with ``config.json``, ``model.safetensors``, ``vocab.json`` and
``tokenizer_config.json``.  VITS draws random noise, so synthesis is seeded:
the same text, voice and speed give the same audio.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError, ModelError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.tts.types import TtsError, Voice, chunks

DEFAULT_VOICE = "mms-tts-eng"

#: Two-letter codes for the three-letter MMS language codes in the catalogue.
_ISO1 = {"en": "eng", "de": "deu", "fr": "fra", "es": "spa"}

#: Silence between synthesised sentences, in seconds.
GAP_S = 0.25

_cache: dict[str, tuple[Any, Any]] = {}
_lock = threading.Lock()


def voices() -> list[Voice]:
    """Every MMS-TTS voice in the registry, with its install state."""
    from core import models

    out = []
    for spec in models.all_models("tts"):
        if spec.extra.get("engine", "mms") != "mms":
            continue
        st = models.status(spec.name)
        size = "" if st.installed else f", {spec.size_bytes / 1e6:,.0f} MB download"
        out.append(Voice(spec.name, spec.description, str(spec.extra.get("language", "")),
                         "mms", st.installed, f"licence {spec.licence}{size}; {st.detail}"))
    return out


def resolve_voice(voice: Optional[str]) -> str:
    """Registry name for ``voice``: a registry name, an MMS code (``"deu"``) or ``"de"``."""
    from core import models

    if not voice:
        return DEFAULT_VOICE
    v = voice.strip()
    known = {s.name: s for s in models.all_models()}
    for cand in (v, f"mms-tts-{v}", f"mms-tts-{_ISO1.get(v.lower(), v.lower())}"):
        spec = known.get(cand)
        if spec is not None:
            if spec.task != "tts":
                raise InvalidParameterError(f"'{cand}' is a {spec.task} model, not a voice.")
            if spec.extra.get("engine", "mms") != "mms":
                raise InvalidParameterError(f"'{cand}' is a {spec.extra['engine']} voice: use "
                                            f"engine {spec.extra['engine']}.")
            return cand
    models.get(v)  # raises UnknownModelError with close names
    raise AssertionError("unreachable")  # pragma: no cover


def _load(name: str, cancel: Optional[CancelToken]) -> tuple[Any, Any]:
    from core import models

    folder = Path(models.ensure(name, allow_download=False, cancel=cancel))
    key = str(folder.resolve())
    with _lock:
        if key in _cache:
            return _cache[key]
    from transformers import VitsModel, VitsTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        net = VitsModel.from_pretrained(key, use_safetensors=True, local_files_only=True)
        tok = VitsTokenizer.from_pretrained(key, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"Voice '{name}' could not be loaded: {exc}") from None
    if getattr(tok, "is_uroman", False):
        raise ModelError(f"Voice '{name}' needs text romanised with uroman, which Resonote "
                         "does not do yet.")
    net.eval()
    with _lock:
        _cache.clear()  # one voice in memory at a time
        _cache[key] = (net, tok)
    return net, tok


def clear_cache() -> None:
    """Forget the loaded voice."""
    with _lock:
        _cache.clear()


def _spell_numbers(text: str, language: str) -> str:
    if language != "eng":
        return text
    from core.align.text import number_words

    return re.sub(r"\d+", lambda m: f" {number_words(int(m.group(0)))} ", text)


def synthesize(text: str, *, voice: Optional[str] = None, speed: float = 1.0, seed: int = 0,
               progress: ProgressCallback = no_progress,
               cancel: Optional[CancelToken] = None) -> Audio:
    """Speak ``text`` with an MMS-TTS voice.

    Parameters
    ----------
    text : str
        Already checked (see :func:`core.tts.types.check_request`).
    voice : str, optional
        Registry name (``"mms-tts-deu"``), MMS code (``"deu"``) or two-letter
        code (``"de"``); default English.
    speed : float
        Speaking rate, 1.0 normal.
    seed : int
        Seed of the model's noise: same seed, same audio.

    Returns
    -------
    Audio
        Mono float32 at the voice's rate (16000 Hz for MMS).

    Raises
    ------
    ModelNotInstalledError
        The voice must be downloaded first (the message says how).
    """
    import torch

    from core import models

    name = resolve_voice(voice)
    net, tok = _load(name, cancel)
    language = str(models.get(name).extra.get("language", ""))
    pieces = chunks(_spell_numbers(text, language), max_chars=300)
    sr = int(net.config.sampling_rate)
    gap = np.zeros(int(GAP_S * sr), np.float32)
    parts: list[np.ndarray] = []
    net.speaking_rate = float(speed)
    for i, piece in enumerate(pieces):
        check(cancel)
        progress(Progress("speak", i, len(pieces), f"speaking part {i + 1} of {len(pieces)}"))
        ids = tok(piece, return_tensors="pt")
        if ids["input_ids"].shape[-1] <= 1:
            continue  # nothing this voice can pronounce (e.g. only foreign script)
        with torch.inference_mode(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + i)
            wave = net(**ids).waveform[0].float().cpu().numpy()
        if parts:
            parts.append(gap)
        parts.append(np.clip(wave, -1.0, 1.0).astype(np.float32))
    if not parts:
        raise TtsError(f"Voice '{name}' cannot pronounce any of this text; is it in the "
                       "voice's language?")
    progress(Progress("speak", len(pieces), len(pieces), "done"))
    return Audio(np.concatenate(parts)[None, :], sr)
