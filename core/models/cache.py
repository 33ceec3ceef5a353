"""Where downloaded models live, their manifests, and the bundled-file hash cache.

Layout under :func:`cache_root` (``$RESONOTE_CACHE_DIR`` or the platform's user
cache folder, e.g. ``~/.cache/resonote`` on Linux)::

    models/<name>/                  a complete model: its files + manifest.json
    models/.staging/<name>/         a download in progress: finished files and
                                    <file>.part partial files, staging.json
    verified.json                   bundled files already hashed, keyed on
                                    path + size + mtime

A model folder appears only by an atomic rename of its finished staging folder,
so a folder under ``models/`` is always complete and verified.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Optional

MANIFEST = "manifest.json"
STAGING_MANIFEST = "staging.json"
_CHUNK = 1 << 20
_verify_lock = threading.Lock()


def cache_root() -> Path:
    """Root of Resonote's cache (``$RESONOTE_CACHE_DIR`` overrides; not created here)."""
    env = os.environ.get("RESONOTE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("resonote", appauthor=False))


def models_dir() -> Path:
    """Folder holding one sub-folder per downloaded model."""
    return cache_root() / "models"


def model_dir(name: str) -> Path:
    """Final folder of downloaded model ``name`` (may not exist)."""
    return models_dir() / name


def staging_dir(name: str) -> Path:
    """Staging folder of an unfinished download of ``name``."""
    return models_dir() / ".staging" / name


def sha256_file(path: Path, *, cancel=None) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (checks ``cancel`` per chunk)."""
    from core.jobs import check

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            check(cancel)
            h.update(chunk)
    return h.hexdigest()


def read_json(path: Path) -> Optional[dict]:
    """A JSON object from ``path``, or None when missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` through a temp file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


def read_manifest(name: str) -> Optional[dict]:
    """Manifest of downloaded model ``name``, or None when it is not downloaded."""
    return read_json(model_dir(name) / MANIFEST)


# --- bundled-file verification cache ---------------------------------------------------

def _verified_path() -> Path:
    return cache_root() / "verified.json"


def cached_sha256(path: Path) -> Optional[str]:
    """SHA-256 recorded earlier for ``path`` if its size and mtime are unchanged."""
    st = path.stat()
    entry = (read_json(_verified_path()) or {}).get(str(path))
    if (isinstance(entry, dict) and entry.get("size") == st.st_size
            and entry.get("mtime_ns") == st.st_mtime_ns):
        sha = entry.get("sha256")
        return sha if isinstance(sha, str) else None
    return None


def remember_sha256(path: Path, sha: str) -> None:
    """Record ``sha`` for ``path`` at its current size and mtime (best effort)."""
    st = path.stat()
    with _verify_lock:
        data = read_json(_verified_path()) or {}
        data[str(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}
        try:
            write_json_atomic(_verified_path(), data)
        except OSError:  # a read-only cache only costs a re-hash next time
            pass
