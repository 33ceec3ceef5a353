"""Tiny randomly initialised AST taggers saved locally, so the real loader runs offline.

:func:`make_tiny_ast` writes a transformers folder (safetensors + feature
extractor config); :func:`install_as_downloaded` puts any such folder into the
model cache exactly as the registry's downloader leaves a model
(``models/<name>/`` + ``manifest.json``) and registers a download spec for it.
Used by tests, the GUI tests and benchmarks.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

TINY_LABELS = ("Music", "Speech", "Guitar", "Drum kit", "Singing", "Silence")


def make_tiny_ast(folder: os.PathLike, *, labels=TINY_LABELS, seed: int = 0,
                  max_length: int = 128, num_mel_bins: int = 32) -> Path:
    """Write a tiny random ``ASTForAudioClassification`` to ``folder``; return it.

    16 kHz input, ``max_length`` fbank frames of 10 ms (1.28 s windows by
    default), ``num_mel_bins`` mel bins, 1 transformer layer of width 32.
    """
    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    id2label = dict(enumerate(labels))
    cfg = ASTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=64, patch_size=16, frequency_stride=10, time_stride=10,
                    max_length=max_length, num_mel_bins=num_mel_bins, id2label=id2label,
                    label2id={v: k for k, v in id2label.items()})
    net = ASTForAudioClassification(cfg).eval()
    net.save_pretrained(str(folder), safe_serialization=True)
    fe = ASTFeatureExtractor(num_mel_bins=num_mel_bins, max_length=max_length,
                             sampling_rate=16000)
    fe.save_pretrained(str(folder))
    return folder


def model_files(folder: os.PathLike) -> list[str]:
    """Names of the files in a saved model folder (sorted, top level only)."""
    return sorted(p.name for p in Path(folder).iterdir() if p.is_file())


def download_spec(name: str, folder: os.PathLike, *, task: str, base_url: str,
                  description: str = "tiny random model (tests)"):
    """A ``source="download"`` spec for the files of ``folder`` served at ``base_url``."""
    from core.models import FileSpec, ModelSpec

    return ModelSpec(name=name, task=task, description=description, source="download",
                     licence="MIT", loader="transformers-dir", base_url=base_url,
                     files=tuple(FileSpec(n) for n in model_files(folder)))


def install_as_downloaded(name: str, folder: os.PathLike, *, task: str):
    """Register ``name`` as a download model and place ``folder``'s files in the cache.

    The cache folder is ``core.models.model_dir(name)`` (under
    ``$RESONOTE_CACHE_DIR``) with the same ``manifest.json`` the downloader
    writes, so :func:`core.models.status` reports it as downloaded.
    """
    from core import models
    from core.models.cache import MANIFEST, sha256_file, write_json_atomic

    spec = models.register(download_spec(name, folder, task=task,
                                         base_url="http://127.0.0.1:9/unused"), replace=True)
    dest = models.model_dir(name)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    files = {}
    for n in model_files(folder):
        shutil.copy2(Path(folder) / n, dest / n)
        files[n] = {"url": spec.url_for(spec.files[0]), "size": (dest / n).stat().st_size,
                    "sha256": sha256_file(dest / n), "verified_by": "none"}
    write_json_atomic(dest / MANIFEST, {
        "name": name, "origin": "local test model", "licence": "MIT",
        "loader": "transformers-dir", "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": files})
    return spec
