"""Which audio files on disk already hold which samples, so saves can skip encoding.

Saving a long project again (or autosaving it every two minutes) should not
re-encode tracks that did not change.  Each time a track's audio is written to
or read from a project, its samples' digest is remembered with the file's
identity (inode, size, modification time).  The next save that finds the same
digest hard-links (or copies) that file instead of encoding again, provided
the file is still exactly the one remembered.  The digest covers the sample
rate, the shape and every sample, so a changed sample never reuses a file.

In-process memory only; nothing here touches disk except ``stat``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Optional

from core.audio import Audio

_MAX_ENTRIES = 512
_lock = threading.Lock()
# digest -> list of (path, (ino, size, mtime_ns), manifest audio entry)
_known: OrderedDict[str, list[tuple[Path, tuple[int, int, int], dict]]] = OrderedDict()


def digest(audio: Audio) -> str:
    """A 128-bit BLAKE2b digest of the sample rate, shape and samples of ``audio``."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{audio.sr}:{audio.channels}:{audio.frames}:".encode())
    for row in audio.samples:  # rows of a C-contiguous (channels, frames) array are contiguous
        h.update(memoryview(row).cast("B"))
    return h.hexdigest()


def _identity(path: Path) -> Optional[tuple[int, int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def remember(d: str, path: Path, entry: dict) -> None:
    """Record that ``path`` decodes (with ``entry``'s scale) to samples with digest ``d``."""
    ident = _identity(path)
    if ident is None:
        return
    path = Path(path).absolute()
    with _lock:
        items = [it for it in _known.pop(d, []) if it[0] != path]
        items.append((path, ident, dict(entry)))
        _known[d] = items[-4:]
        while len(_known) > _MAX_ENTRIES:
            _known.popitem(last=False)


def lookup(d: str) -> Optional[tuple[Path, dict]]:
    """A file remembered for digest ``d`` and unchanged since, with its manifest entry, or None."""
    with _lock:
        items = list(_known.get(d, []))
    for path, ident, entry in reversed(items):
        if path.suffix in (".flac", ".wav") and _identity(path) == ident:
            return path, entry
    return None


def forget_all() -> None:
    """Drop everything remembered (tests use it to force encoding)."""
    with _lock:
        _known.clear()
