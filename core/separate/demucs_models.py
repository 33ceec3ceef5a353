"""Demucs v4 models from the registry: safe conversion, loading, and chunked inference.

The published Demucs ``.th`` files are pickles of a whole package
(``{"klass": HTDemucs, "args": ..., "kwargs": ..., "state": ..., "training_args": ...}``).
Unpickling them normally can run any code the file names.  We never do that:

1. :func:`torch.serialization.get_unsafe_globals_in_checkpoint` lists every
   global the pickle refers to *without* loading it; anything outside
   :data:`ALLOWED_GLOBALS` (the Demucs model classes, ``fractions.Fraction``
   and numpy's scalar/dtype rebuilders) refuses the file.
2. ``torch.load(weights_only=True)`` loads it inside
   ``torch.serialization.safe_globals`` holding exactly those objects; the
   restricted unpickler may *reference* the model class (it is stored, never
   called) and rebuild tensors, fractions and numpy scalars, nothing else.
3. The result is written once, next to the cache, as ``weights.safetensors``
   (tensors only) + ``config.json`` (class name and constructor arguments as
   JSON).  Every later load reads only those two files.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Optional

import numpy as np

from core.errors import ComputeOutOfMemoryError, InvalidParameterError, ModelError
from core.jobs import CancelToken, ProgressCallback, check, no_progress

#: Globals a Demucs package may name (module.qualname), each mapped to how to import it.
ALLOWED_GLOBALS = {
    "demucs.htdemucs.HTDemucs": ("demucs.htdemucs", "HTDemucs"),
    "demucs.hdemucs.HDemucs": ("demucs.hdemucs", "HDemucs"),
    "demucs.demucs.Demucs": ("demucs.demucs", "Demucs"),
    "fractions.Fraction": ("fractions", "Fraction"),
    "numpy._core.multiarray.scalar": ("numpy._core.multiarray", "scalar"),
    "numpy.core.multiarray.scalar": ("numpy._core.multiarray", "scalar"),
    "numpy.dtype": ("numpy", "dtype"),
}
MODEL_CLASSES = {"HTDemucs": "demucs.htdemucs", "HDemucs": "demucs.hdemucs",
                 "Demucs": "demucs.demucs"}
CONFIG, WEIGHTS = "config.json", "weights.safetensors"
FORMAT_VERSION = 1


def _import(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(module), name)


def _allowed_objects() -> list:
    out = []
    for mod, name in set(ALLOWED_GLOBALS.values()):
        out.append(_import(mod, name))
    for dt in (np.float64, np.float32, np.int64, np.int32, np.bool_):  # numpy dtype classes
        out.append(type(np.dtype(dt)))
    return out


# --- JSON encoding of constructor arguments ------------------------------------------

def _to_json(v):
    if isinstance(v, Fraction):
        return {"__fraction__": [v.numerator, v.denominator]}
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_to_json(i) for i in v]
    if isinstance(v, dict):
        return {str(k): _to_json(i) for k, i in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise ModelError(f"The model file has a setting of an unexpected type ({type(v).__name__}).")


def _from_json(v):
    if isinstance(v, dict):
        if set(v) == {"__fraction__"}:
            n, d = v["__fraction__"]
            return Fraction(int(n), int(d))
        return {k: _from_json(i) for k, i in v.items()}
    if isinstance(v, list):
        return [_from_json(i) for i in v]
    return v


# --- conversion ---------------------------------------------------------------------

def convert_th(th_path: Path, dest: Path) -> Path:
    """Convert a Demucs ``.th`` package into ``dest/{config.json, weights.safetensors}``.

    Refuses (``ModelError``) any file that names a global outside
    :data:`ALLOWED_GLOBALS`, is not a Demucs package, or is quantized.
    The folder appears atomically (written beside it, then renamed).
    """
    import torch
    from safetensors.torch import save_file

    th_path = Path(th_path)
    bad = [g for g in torch.serialization.get_unsafe_globals_in_checkpoint(str(th_path))
           if g not in ALLOWED_GLOBALS]
    if bad:
        raise ModelError(f"{th_path.name} refers to code Resonote does not trust "
                         f"({', '.join(sorted(bad)[:3])}); it was not loaded.")
    try:
        with torch.serialization.safe_globals(_allowed_objects()):
            pkg = torch.load(str(th_path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad model file
        raise ModelError(f"{th_path.name} is not a readable Demucs model ({exc}).") from exc
    if not isinstance(pkg, dict) or not {"klass", "kwargs", "state"} <= set(pkg):
        raise ModelError(f"{th_path.name} is not a Demucs model package.")
    klass = pkg["klass"]
    name = getattr(klass, "__name__", "")
    if name not in MODEL_CLASSES or getattr(klass, "__module__", "") != MODEL_CLASSES[name]:
        raise ModelError(f"{th_path.name} holds an unsupported model class ({name!r}).")
    state = pkg["state"]
    if not isinstance(state, dict) or state.get("__quantized"):
        raise ModelError(f"{th_path.name} is a quantized Demucs model; those are not supported.")
    tensors = {}
    for k, v in state.items():
        if not isinstance(k, str) or not isinstance(v, torch.Tensor):
            raise ModelError(f"{th_path.name} has a weight that is not a tensor ({k!r}).")
        tensors[k] = v.detach().to(torch.float32).contiguous()
    config = {"format": FORMAT_VERSION, "klass": name, "args": _to_json(list(pkg.get("args", ()))),
              "kwargs": _to_json(dict(pkg["kwargs"]))}
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(tensors, str(tmp / WEIGHTS))
    (tmp / CONFIG).write_text(json.dumps(config, indent=1), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def load_converted(folder: Path):
    """Build the Demucs model described by ``folder/config.json`` with its safetensors weights.

    Returns an ``nn.Module`` in eval mode, float32 on the CPU.
    """
    import inspect

    from safetensors.torch import load_file

    folder = Path(folder)
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        klass = _import(MODEL_CLASSES[config["klass"]], config["klass"])
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"The converted model in {folder} is damaged ({exc}).") from exc
    kwargs = _from_json(config["kwargs"])
    params = inspect.signature(klass).parameters
    kwargs = {k: v for k, v in kwargs.items() if k in params}  # as Demucs does
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = klass(*_from_json(config.get("args", [])), **kwargs)
    try:
        model.load_state_dict(load_file(str(folder / WEIGHTS)), strict=True)
    except (RuntimeError, OSError) as exc:
        raise ModelError(f"The weights in {folder} do not fit the model ({exc}).") from exc
    return model.eval()


def converted_folder(name: str, th_path: Path) -> Path:
    """Where the safe copy of ``th_path`` (of registry model ``name``) lives, converting once."""
    from core.models import cache_root

    th_path = Path(th_path)
    st = th_path.stat()
    dest = cache_root() / "converted" / name / th_path.stem
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "format": FORMAT_VERSION}
    stamp_file = dest / "source.json"
    try:
        if json.loads(stamp_file.read_text(encoding="utf-8")) == stamp:
            return dest
    except (OSError, ValueError):
        pass
    convert_th(th_path, dest)
    stamp_file.write_text(json.dumps(stamp), encoding="utf-8")
    return dest


# --- the model bundle -----------------------------------------------------------------

#: Loaded bundles kept per process (most recently used last).
BUNDLE_CACHE_SIZE = 2
_bundles: OrderedDict[tuple, DemucsBundle] = OrderedDict()
_bundles_lock = threading.Lock()


@dataclass
class DemucsBundle:
    """One registry model: one network, or a bag of networks.

    Attributes
    ----------
    name : str
    models : list of nn.Module
    sources : tuple of str
        Stem names in model output order.
    samplerate : int
        Rate the networks expect, Hz (44100 for v4).
    audio_channels : int
    segment : int
        Window length in frames (the training length).
    specialists : bool
        A bag with one network per stem (``htdemucs_ft``): network i makes stem i,
        so a subset of stems runs only the networks it needs.
    """

    name: str
    models: list
    sources: tuple
    samplerate: int
    audio_channels: int
    segment: int
    specialists: bool
    #: Held while a run uses the networks: a cached bundle is shared within the process
    #: and each run moves its networks to the device and back.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


def load_bundle(name: str, *, allow_download: bool = False,
                progress: ProgressCallback = no_progress,
                cancel: Optional[CancelToken] = None) -> DemucsBundle:
    """Locate (or download), convert once, and load registry model ``name``."""
    from core import models

    spec = models.get(name)
    if spec.task != "separation" or spec.loader != "demucs-pickle":
        raise InvalidParameterError(f"'{name}' is not a source-separation model.")
    path = models.ensure(name, progress=progress, cancel=cancel, allow_download=allow_download)
    files = [path / f.name for f in spec.files] if spec.is_dir else [path]
    folders = [converted_folder(name, f) for f in files]
    # One load per process and model: a batch worker separates many files with it.
    key = (name, tuple((str(d), (d / WEIGHTS).stat().st_mtime_ns) for d in folders))
    with _bundles_lock:
        if key in _bundles:
            _bundles.move_to_end(key)
            return _bundles[key]
    nets = []
    for d in folders:
        check(cancel)
        nets.append(load_converted(d))
    first = nets[0]
    for other in nets[1:]:
        if list(other.sources) != list(first.sources) or other.samplerate != first.samplerate:
            raise ModelError(f"The networks of '{name}' disagree on their stems or rate.")
    segment = int(Fraction(first.segment) * first.samplerate)
    bundle = DemucsBundle(name=name, models=nets, sources=tuple(first.sources),
                          samplerate=int(first.samplerate),
                          audio_channels=int(first.audio_channels), segment=segment,
                          specialists=len(nets) > 1 and len(nets) == len(first.sources))
    with _bundles_lock:
        _bundles[key] = bundle
        while len(_bundles) > BUNDLE_CACHE_SIZE:
            _bundles.popitem(last=False)
    return bundle


def clear_bundle_cache() -> None:
    """Forget the loaded models of this process (frees their memory)."""
    with _bundles_lock:
        _bundles.clear()


def _bytes_per_window(bundle: DemucsBundle, segment: int) -> int:
    # Measured on htdemucs (48 channels): ~0.9 GB of activations per 7.8 s stereo
    # window in inference mode; scale with window length and network width.
    width = getattr(bundle.models[0], "channels", 48) / 48
    return int(segment * bundle.audio_channels * 4 * 330 * max(width, 0.05))


def run_bundle(bundle: DemucsBundle, samples: np.ndarray, wanted: list[int], *,
               device: str = "cpu", shifts: int = 0, overlap: float = 0.25,
               segment: Optional[int] = None, budget_bytes: Optional[int] = None,
               progress: ProgressCallback = no_progress,
               cancel: Optional[CancelToken] = None,
               notify=None, scratch_dir=None) -> np.ndarray:
    """Separate ``samples`` (channels, frames) at ``bundle.samplerate`` into stems ``wanted``.

    Returns float32 (len(wanted), channels, frames).  Any channel count: mono is
    fed as two equal channels and averaged back; more than two channels are
    processed in pairs.  Input is normalised like Demucs does (zero mean, unit
    standard deviation of the mono mix) and the stems are scaled back, each
    getting the mix's mean back, exactly like ``demucs.apply``/``demucs.api``.

    With ``scratch_dir``, the stems are a :func:`core.scratch.scratch_array` in that
    folder: accumulated on disk window by window, so memory does not grow with the
    song (the caller writes them out block by block; :func:`core.audio.save` does).
    """
    import logging

    from core.devices import run_with_fallback
    from core.scratch import blockwise
    from core.separate.apply import apply_chunked, count_windows, plan_batch

    seg = bundle.segment if segment is None else min(int(segment), bundle.segment)
    if seg < 1:
        raise InvalidParameterError("The window length must be positive.")
    # No normalised copy: windows are normalised as they are cut (apply_chunked's
    # in_shift/in_scale), so memory is the input, the stems buffer (accumulated into by
    # apply_chunked, on disk with scratch_dir) and small per-window arrays.
    x = np.asarray(samples, dtype=np.float32)
    c, n = x.shape
    mean, std = _mix_stats(x)
    groups = [x[i:i + 2] for i in range(0, c, 2)] if bundle.audio_channels == 2 else \
        [x[i:i + 1] for i in range(c)]
    # (network, output index) pairs to run
    if bundle.specialists:
        runs = [(bundle.models[k], [k]) for k in wanted]
    else:
        runs = [(m, list(wanted)) for m in bundle.models]
    per = count_windows(n, segment=seg, overlap=overlap, shifts=shifts,
                        max_shift=bundle.samplerate // 2)
    total = per * len(runs) * len(groups)
    if scratch_dir is not None:
        from core.scratch import scratch_array

        out = scratch_array((len(wanted), c, n), scratch_dir)
    else:
        out = np.zeros((len(wanted), c, n), dtype=np.float32)
    ch = 0
    k_done = 0
    notify = notify or logging.getLogger(__name__).warning
    with bundle.lock:  # one run at a time per loaded (shared) model
        for g in groups:
            gc = g.shape[0]
            if gc != bundle.audio_channels:
                g = np.repeat(g, bundle.audio_channels, axis=0)
            scale = 1.0 / (len(runs) if not bundle.specialists else 1)
            for net, idx in runs:
                # Straight into the stems buffer when this run alone fills its part of it
                # (one network, or one specialist per stem) and channels match: no second
                # stems-sized buffer, and a retry (smaller batch after running out of
                # memory) can clear its part and start again.
                if gc != bundle.audio_channels or not (bundle.specialists or len(runs) == 1):
                    target = None
                elif bundle.specialists:
                    k = wanted.index(idx[0])
                    target = out[k:k + 1, ch:ch + gc]
                else:
                    target = out[:, ch:ch + gc]

                def work(dev: str, batch: int, net=net, idx=idx, g=g, k_done=k_done,
                         target=target, scale=scale):
                    net.to(dev)
                    if target is not None:
                        blockwise(target, lambda v: v.fill(0.0))
                    return apply_chunked(lambda xb: net(xb)[:, idx], g, segment=seg,
                                         overlap=overlap, shifts=shifts,
                                         max_shift=bundle.samplerate // 2, batch=batch,
                                         device=dev, progress=progress, cancel=cancel,
                                         progress_offset=k_done * per, progress_total=total,
                                         out=target, out_scale=scale, in_shift=mean,
                                         in_scale=1.0 / std)
                batch = plan_batch(device, _bytes_per_window(bundle, seg), budget_bytes=budget_bytes,
                                   max_batch=1 if device == "cpu" else 8)
                try:
                    y = run_with_fallback(work, device=device, chunk=batch, min_chunk=1,
                                          notify=notify)
                except ComputeOutOfMemoryError:
                    raise
                finally:
                    net.to("cpu")
                if target is None:
                    y = y.mean(axis=1, keepdims=True)
                    if bundle.specialists:
                        out[wanted.index(idx[0]), ch:ch + gc] += y[0]
                    else:
                        out[:, ch:ch + gc] += y * scale
                k_done += 1
            ch += gc

    def unscale(v: np.ndarray) -> None:
        v *= std
        v += mean  # as Demucs does (every stem gets the mix's DC), so outputs match it

    blockwise(out, unscale)
    return out


def _mix_stats(x: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (ddof 1) of the mono mix of ``x`` (channels, frames), as
    Demucs normalises, computed block by block in float64 (no song-sized temporary)."""
    c, n = x.shape
    if n == 0:
        return 0.0, 1.0
    total, block = 0.0, 1 << 20
    for a in range(0, n, block):
        total += float(x[:, a:a + block].mean(axis=0, dtype=np.float64).sum())
    mean = total / n
    if n < 2:
        return mean, 1.0
    ss = 0.0
    for a in range(0, n, block):
        m = x[:, a:a + block].mean(axis=0, dtype=np.float64) - mean
        ss += float(np.dot(m, m))
    return mean, float(np.sqrt(ss / (n - 1))) + 1e-8
