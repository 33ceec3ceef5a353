"""Find and verify bundled model files without importing the package that ships them.

Importing a tool package can be slow or have side effects (basic-pitch pulls
TensorFlow, pyrnnoise loads a library), so files are found through the
distribution's metadata (``importlib.metadata``), falling back to
``importlib.util.find_spec`` of the top-level name, which for a top-level
package finds it on ``sys.path`` without executing it.
"""

from __future__ import annotations

import base64
import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from core.errors import ChecksumError
from core.models.cache import cached_sha256, remember_sha256, sha256_file
from core.models.spec import ModelSpec


@dataclass
class BundledLocation:
    """Where a bundled model's files are, or why they are not there.

    Attributes
    ----------
    folder : Path or None
        Folder holding the files (``None`` when the package is missing).
    version : str or None
        Installed package version, when known from metadata.
    problem : str
        Empty when every required file exists; else a plain reason
        (``"pip package basic-pitch missing"``).
    record : dict
        File name (relative to ``folder``) -> hex SHA-256 from pip's RECORD.
    """

    folder: Optional[Path]
    version: Optional[str] = None
    problem: str = ""
    record: dict[str, str] = field(default_factory=dict)


def resources_root() -> Path:
    """Resonote's ``resources/`` folder (``$RESONOTE_RESOURCES_DIR`` overrides)."""
    env = os.environ.get("RESONOTE_RESOURCES_DIR")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "resources"


def _record_hex(value: str) -> Optional[str]:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
    except (ValueError, TypeError):
        return None


def _from_metadata(spec: ModelSpec) -> Optional[BundledLocation]:
    try:
        dist = importlib.metadata.distribution(spec.package)
    except importlib.metadata.PackageNotFoundError:
        return None
    prefix = spec.package_dir.strip("/") + "/"
    record: dict[str, str] = {}
    for pp in dist.files or ():
        path = str(pp).replace("\\", "/")
        if path.startswith(prefix) and pp.hash is not None and pp.hash.mode == "sha256":
            hexdigest = _record_hex(pp.hash.value)
            if hexdigest:
                record[path[len(prefix):]] = hexdigest
    folder = Path(dist.locate_file(spec.package_dir))
    return BundledLocation(folder=folder, version=dist.version, record=record)


def _from_find_spec(spec: ModelSpec) -> Optional[BundledLocation]:
    top, _, rest = spec.package_dir.strip("/").partition("/")
    try:
        found = importlib.util.find_spec(top)  # top-level: located, not executed
    except (ImportError, ValueError):
        return None
    if found is None:
        return None
    if found.submodule_search_locations:
        pkg = Path(list(found.submodule_search_locations)[0])
    elif found.origin:
        pkg = Path(found.origin).parent
    else:
        return None
    return BundledLocation(folder=pkg / rest if rest else pkg)


def locate_bundled(spec: ModelSpec) -> BundledLocation:
    """Find the folder of bundled model ``spec``; never imports the package."""
    if spec.resource_dir is not None:
        loc = BundledLocation(folder=resources_root() / spec.resource_dir)
        where = f"Resonote's resources folder ({loc.folder})"
    else:
        loc = _from_metadata(spec) or _from_find_spec(spec)
        if loc is None:
            return BundledLocation(folder=None, problem=f"pip package {spec.package} missing")
        where = f"pip package {spec.package}"
    missing = [f.name for f in spec.files if not f.optional and not (loc.folder / f.name).is_file()]
    if missing:
        loc.problem = f"{where} lacks {', '.join(missing)}"
    return loc


def verify_bundled(spec: ModelSpec, loc: BundledLocation, *, cancel=None) -> list[str]:
    """Check every present file of a located bundled model against its SHA-256.

    The registry's ``sha256`` is authoritative when the installed version is
    the one it was recorded from; otherwise pip's RECORD hash is used.  Hashes
    already checked are remembered by path, size and mtime, so a file is
    hashed once, not at every start.

    Returns
    -------
    list of str
        Names of files that could not be verified (no known hash).

    Raises
    ------
    ChecksumError
        A file's content does not match.
    """
    assert loc.folder is not None
    same_version = spec.package_version is None or spec.package_version == loc.version
    unverified = []
    for f in spec.files:
        path = loc.folder / f.name
        if not path.is_file():
            continue
        expected = f.sha256 if (f.sha256 and same_version) else loc.record.get(f.name)
        if expected is None:
            unverified.append(f.name)
            continue
        actual = cached_sha256(path)
        if actual != expected:
            actual = sha256_file(path, cancel=cancel)
        if actual != expected:
            what = f"pip package {spec.package}" if spec.package else "Resonote's resources"
            fix = (f" Reinstall it: pip install --force-reinstall {spec.package}"
                   if spec.package else " Reinstall Resonote.")
            raise ChecksumError(
                f"The file {f.name} of model '{spec.name}' in {what} is damaged "
                f"(its checksum does not match).{fix}")
        remember_sha256(path, actual)
    return unverified
