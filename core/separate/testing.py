"""Randomly initialised Demucs models saved exactly like the published ones.

Used by the tests (tiny models, so the whole registry -> safe conversion ->
inference path runs offline in seconds) and by the benchmark (a full-size
``htdemucs`` with random weights, to compare speed with the ``demucs`` command
line on identical weights).  Nothing here is needed to separate audio.
"""

from __future__ import annotations

import hashlib
import io
from fractions import Fraction
from pathlib import Path

SOURCES = ("drums", "bass", "other", "vocals")

#: Constructor arguments of a tiny HTDemucs (~7k parameters, runs in milliseconds).
TINY = dict(channels=4, depth=2, t_layers=1, t_heads=1, nfft=512, bottom_channels=0,
            dconv_comp=2, segment=Fraction(1, 2), samplerate=44100)
#: Constructor arguments of a full-size HTDemucs like the published one (41.5M parameters).
FULL = dict(bottom_channels=512, segment=Fraction(39, 5), samplerate=44100)


def make_htdemucs(*, sources=SOURCES, seed: int = 0, **kwargs):
    """A randomly initialised ``demucs.htdemucs.HTDemucs`` (eval mode)."""
    import warnings

    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HTDemucs(sources=list(sources), **kwargs).eval()


def save_package(model, folder: Path, sig: str, *, half: bool = True) -> Path:
    """Save ``model`` as Demucs publishes models: ``<folder>/<sig>-<sha256[:8]>.th``.

    The file is a torch pickle of ``{"klass", "args", "kwargs", "state",
    "training_args"}`` with a half-precision state, as ``demucs.states``
    writes it.  Returns the path.
    """
    import torch

    args, kwargs = model._init_args_kwargs
    state = {k: v.detach().to("cpu", torch.half if half else None)
             for k, v in model.state_dict().items()}
    package = {"klass": type(model), "args": args, "kwargs": kwargs, "state": state,
               "training_args": {"seed": 42, "optim": {"lr": 3e-4}, "dset": {"name": "test"}}}
    buf = io.BytesIO()
    torch.save(package, buf)
    data = buf.getvalue()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sig}-{hashlib.sha256(data).hexdigest()[:8]}.th"
    path.write_bytes(data)
    return path


def model_spec(name: str, files: list[Path], base_url: str, *, sources=SOURCES):
    """A registry entry for Demucs files served at ``base_url`` (checksummed)."""
    from core.models import FileSpec, ModelSpec

    specs = tuple(FileSpec(p.name, sha256=hashlib.sha256(p.read_bytes()).hexdigest(),
                           size=p.stat().st_size) for p in files)
    return ModelSpec(name=name, task="separation", description="random test Demucs",
                     source="download", licence="MIT", loader="demucs-pickle",
                     base_url=base_url, files=specs, extra={"sources": tuple(sources)})
