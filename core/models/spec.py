"""What the registry knows about one model: :class:`ModelSpec` and :class:`FileSpec`.

A model is one or more files that come from exactly one source:

``"bundled"``
    Files inside an installed pip package (found through its metadata, never by
    importing it) or inside Resonote's ``resources/`` folder.
``"download"``
    Files fetched on demand over HTTPS into the user cache (see
    :mod:`core.models.fetch`).

Specs are plain frozen dataclasses: the catalogue builds them, tests build tiny
ones pointing at a local server, and :func:`core.models.register` adds either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Optional

SourceKind = Literal["bundled", "download"]

#: Known loader kinds, i.e. how a tool turns the files into a model.  None of
#: them unpickles arbitrary code.
LOADERS = {
    "ctranslate2-dir": "CTranslate2 model directory (faster-whisper)",
    "onnx": "ONNX graph (onnxruntime)",
    "torchscript": "TorchScript archive (torch.jit.load)",
    "torch-state-dict": "PyTorch state dict, loaded with torch.load(weights_only=True)",
    "safetensors": "safetensors tensors",
    "transformers-dir": "Hugging Face transformers directory (safetensors weights)",
    "onnx-tar": "tar.gz of ONNX graphs read by a native runtime library",
    "native-lib": "weights compiled into a native shared library",
    "demucs-pickle": "Demucs pickle package: needs conversion before a safe load",
}

#: Loader kinds whose model is a directory even when only one file is listed.
DIR_LOADERS = frozenset({"ctranslate2-dir", "transformers-dir"})

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX_PREFIX = re.compile(r"^[0-9a-f]{4,63}$")


@dataclass(frozen=True)
class FileSpec:
    """One file of a model.

    Attributes
    ----------
    name : str
        Path relative to the model's folder (``"model.bin"``,
        ``"_models/DeepFilterNet3_onnx.tar.gz"``).  Forward slashes.
    url : str or None
        Download URL (download models only).  ``None`` means
        ``ModelSpec.base_url + name``.
    sha256 : str or None
        Lower-case hex SHA-256 the file must have.  For bundled files it is
        checked only when the installed package version equals
        ``ModelSpec.package_version`` (otherwise pip's own RECORD hash is used).
    sha256_prefix : str or None
        Leading hex digits of the SHA-256 when only those are published
        (Demucs names its files ``<sig>-<first 8 hex of sha256>.th``).
    size : int or None
        Exact size in bytes when known.
    optional : bool
        A download that answers 404 for this file is skipped, not an error.
    """

    name: str
    url: Optional[str] = None
    sha256: Optional[str] = None
    sha256_prefix: Optional[str] = None
    size: Optional[int] = None
    optional: bool = False

    def __post_init__(self) -> None:
        if not self.name or self.name.startswith("/") or ".." in self.name.split("/"):
            raise ValueError(f"bad model file name {self.name!r}")
        if self.sha256 is not None and not _HEX64.match(self.sha256):
            raise ValueError(f"sha256 of {self.name!r} must be 64 lower-case hex digits")
        if self.sha256_prefix is not None and not _HEX_PREFIX.match(self.sha256_prefix):
            raise ValueError(f"sha256_prefix of {self.name!r} must be lower-case hex")


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry.

    Attributes
    ----------
    name : str
        Registry key used everywhere (``"htdemucs"``, ``"whisper-tiny.en"``).
    task : str
        ``"speech"``, ``"notes"``, ``"separation"``, ``"denoise"``, ``"vad"``,
        ``"pitch"``, ``"generation"`` (tests may use others).
    description : str
        One line for the model list.
    source : {"bundled", "download"}
        Where the files come from.
    licence : str
        SPDX-style licence of the weights (``"MIT"``, ``"CC-BY-NC-4.0"``).
    loader : str
        One of :data:`LOADERS`.
    files : tuple of FileSpec
        Every file the model needs.
    size_bytes : int
        Total size in bytes; exact when every file has a ``size``, else the
        publisher's approximate figure (see :attr:`size_exact`).
    package, package_dir, package_version : str or None
        Bundled in a pip package: distribution name (``"basic-pitch"``),
        folder inside site-packages holding the files
        (``"basic_pitch/saved_models/icassp_2022"``), and the version the
        recorded SHA-256 values were taken from.
    resource_dir : str or None
        Bundled in Resonote's ``resources/`` folder: sub-folder holding the files.
    base_url : str or None
        Download models: prefix joined with ``FileSpec.name`` when a file has
        no ``url`` of its own.
    origin : str
        Human-readable provenance (``"huggingface.co/Systran/faster-whisper-base"``).
    notes : str
        Anything a maintainer or user should know (licence caveats, unsafe format).
    """

    name: str
    task: str
    description: str
    source: SourceKind
    licence: str
    loader: str
    files: tuple[FileSpec, ...]
    size_bytes: int = 0
    package: Optional[str] = None
    package_dir: Optional[str] = None
    package_version: Optional[str] = None
    resource_dir: Optional[str] = None
    base_url: Optional[str] = None
    origin: str = ""
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", self.name):
            raise ValueError(f"bad model name {self.name!r}")
        if self.source not in ("bundled", "download"):
            raise ValueError(f"{self.name}: source must be 'bundled' or 'download'")
        if self.loader not in LOADERS:
            raise ValueError(f"{self.name}: unknown loader kind {self.loader!r}")
        if not self.files:
            raise ValueError(f"{self.name}: a model needs at least one file")
        if len({f.name for f in self.files}) != len(self.files):
            raise ValueError(f"{self.name}: duplicate file names")
        if self.source == "bundled":
            if (self.package is None) == (self.resource_dir is None):
                raise ValueError(f"{self.name}: bundled models need package or resource_dir")
            if self.package is not None and not self.package_dir:
                raise ValueError(f"{self.name}: bundled in a package needs package_dir")
        else:
            for f in self.files:
                if f.url is None and self.base_url is None:
                    raise ValueError(f"{self.name}: file {f.name} has no URL and no base_url")
        if not self.size_bytes:
            object.__setattr__(self, "size_bytes", sum(f.size or 0 for f in self.files))

    @property
    def size_exact(self) -> bool:
        """True when every file's size is known, so :attr:`size_bytes` is exact."""
        return all(f.size is not None for f in self.files)

    @property
    def is_dir(self) -> bool:
        """True when the model's path is a folder (several files or a folder loader)."""
        return self.loader in DIR_LOADERS or len(self.files) > 1

    def url_for(self, f: FileSpec, base_url: Optional[str] = None) -> str:
        """Download URL of file ``f``; ``base_url`` overrides the spec's own."""
        if base_url is not None:
            return base_url.rstrip("/") + "/" + f.name
        if f.url is not None:
            return f.url
        assert self.base_url is not None
        return self.base_url.rstrip("/") + "/" + f.name
