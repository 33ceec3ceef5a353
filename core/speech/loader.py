"""Whisper models for speech: registry names, devices, and a cache of loaded models.

The only place in :mod:`core.speech` that talks to the model registry
(:mod:`core.models`) and constructs ``faster_whisper.WhisperModel``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from core.errors import InvalidParameterError
from core.jobs import CancelToken

log = logging.getLogger(__name__)

#: The embedded model that works offline with nothing downloaded.
DEFAULT_MODEL = "whisper-tiny.en"

#: How many loaded models stay in memory (tiny.en int8 is ~40 MB, large-v3 ~1.5 GB).
CACHE_SIZE = 2

_cache: OrderedDict[tuple[str, str, int, str], Any] = OrderedDict()
_cache_lock = threading.Lock()


def resolve_name(name: str) -> str:
    """Registry name for a speech model given as a registry name or a Whisper size.

    ``"tiny.en"`` resolves to the embedded ``"whisper-tiny.en"``; ``"base"``
    to ``"faster-whisper-base"``; registry names pass through.

    Raises
    ------
    UnknownModelError
        No speech model of that name (the message suggests close names).
    InvalidParameterError
        The name is a model for another task.
    """
    from core import models

    name = name.strip()
    known = {s.name: s for s in models.all_models()}
    candidates = [name]
    if name.startswith("whisper-"):
        candidates.append("faster-" + name)
    elif not name.startswith("faster-whisper-"):
        candidates += [f"whisper-{name}", f"faster-whisper-{name}"]
    for cand in candidates:
        spec = known.get(cand)
        if spec is not None:
            if spec.task != "speech":
                raise InvalidParameterError(
                    f"'{cand}' is a {spec.task} model, not a speech model. "
                    f"Speech models: {', '.join(speech_model_names())}.")
            return cand
    models.get(name)  # raises UnknownModelError with suggestions
    raise AssertionError("unreachable")  # pragma: no cover


def speech_model_names() -> list[str]:
    """Registry names of every speech-to-text model."""
    from core import models

    return [s.name for s in models.all_models("speech")]


def is_english_only(name: str) -> bool:
    """True for Whisper ``.en`` models, which only transcribe English and cannot translate."""
    return name.endswith(".en")


def model_path(name: str, *, cancel: Optional[CancelToken] = None) -> Path:
    """Local folder of an installed speech model, checksum-verified when bundled.

    Never downloads: a missing model raises
    :class:`~core.errors.ModelNotInstalledError` whose message says to run
    ``resonote models download NAME``.  The registry's answer is remembered
    for as long as the folder's files keep their size and modification time
    (the registry look-up costs ~15 ms, a stat of the files microseconds).
    """
    from core import models

    with _cache_lock:
        known = _verified.get(name)
    if known is not None and _signature(known[0]) == known[1]:
        return known[0]
    folder = Path(models.ensure(name, cancel=cancel, allow_download=False))
    with _cache_lock:
        _verified[name] = (folder, _signature(folder))
    return folder


_verified: dict[str, tuple[Path, tuple]] = {}


def _signature(folder: Path) -> tuple:
    try:
        return tuple(sorted((p.name, st.st_size, st.st_mtime_ns)
                            for p in folder.iterdir() if p.is_file() for st in [p.stat()]))
    except OSError:
        return ()


@dataclass(frozen=True)
class Placement:
    """Where CTranslate2 runs a model: ``device`` ("cuda"/"cpu"), GPU index, number type."""

    device: str
    index: int
    compute_type: str


def placement(device: Optional[str] = None, compute_type: Optional[str] = None) -> Placement:
    """Choose device and compute type: CUDA with float16 when available, else CPU with int8.

    ``device`` is a preference as for :func:`core.devices.pick` (None, "auto",
    "cuda", "cuda:1", "cpu"; "mps" runs on the CPU, CTranslate2 has no Metal
    backend).  ``compute_type`` overrides the number type ("int8",
    "int8_float16", "float16", "float32", ...).
    """
    from core import devices

    pref = (device or os.environ.get("RESONOTE_DEVICE") or "auto").strip().lower()
    if pref.split(":")[0] not in devices.CHOICES:
        raise InvalidParameterError(
            f"Unknown device '{pref}': choose one of {', '.join(devices.CHOICES)}.")
    chosen = "cpu"
    if pref != "cpu" and _cuda_devices() > 0:
        chosen = devices.pick(device)
    if chosen.startswith("cuda"):
        index = int(chosen.split(":")[1]) if ":" in chosen else 0
        return Placement("cuda", index, compute_type or "float16")
    return Placement("cpu", 0, compute_type or "int8")


def _cuda_devices() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # noqa: BLE001 - a broken CUDA install means "no GPU"
        return 0


def load_model(path: Path, where: Placement) -> Any:
    """A ``faster_whisper.WhisperModel`` for ``path`` on ``where``, from the cache when loaded.

    The least recently used model is dropped when more than
    :data:`CACHE_SIZE` are loaded.  A GPU that fails to load the model (no
    CUDA libraries, out of memory) falls back to the CPU with int8 and logs why.
    """
    key = (str(Path(path).resolve()), where.device, where.index, where.compute_type)
    with _cache_lock:
        model = _cache.get(key)
        if model is not None:
            _cache.move_to_end(key)
            return model
    from faster_whisper import WhisperModel

    try:
        model = WhisperModel(str(path), device=where.device, device_index=where.index,
                             compute_type=where.compute_type)
    except (RuntimeError, ValueError) as exc:
        if where.device == "cpu":
            if "compute type" in str(exc).lower():
                raise InvalidParameterError(
                    f"Compute type '{where.compute_type}' is not supported here: {exc}") from exc
            raise
        log.warning("Could not use the GPU for speech (%s); continuing on the CPU.", exc)
        return load_model(path, Placement("cpu", 0, "int8"))
    with _cache_lock:
        _cache[key] = model
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return model


def clear_cache() -> None:
    """Forget every loaded model (frees its memory once no transcription uses it)."""
    with _cache_lock:
        _cache.clear()
        _verified.clear()


def cached_models() -> list[tuple[str, str, int, str]]:
    """Keys ``(path, device, index, compute_type)`` of the loaded models, oldest first."""
    with _cache_lock:
        return list(_cache)
