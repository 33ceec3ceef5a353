"""The model registry: every model any Resonote tool uses, where it is, how to get it.

Typical use by a tool::

    from core import models
    folder = models.ensure("whisper-tiny.en", progress=progress, cancel=cancel)

Importing this package is cheap: no torch, no network, and the catalogue is
built on first use.
"""

from core.models.cache import cache_root, model_dir, models_dir
from core.models.registry import (
    ModelStatus,
    all_models,
    download,
    ensure,
    get,
    path,
    register,
    status,
    unregister,
)
from core.models.spec import LOADERS, FileSpec, ModelSpec


def remove(name: str) -> bool:
    """Delete downloaded model ``name`` (and any unfinished download) from the cache.

    Returns True when something was deleted.  Bundled models are never touched.
    """
    from core.models.install import remove_model

    get(name)  # unknown names raise UnknownModelError
    return remove_model(name)


__all__ = [
    "LOADERS", "FileSpec", "ModelSpec", "ModelStatus", "all_models", "cache_root", "download",
    "ensure", "get", "model_dir", "models_dir", "path", "register", "remove", "status",
    "unregister",
]
