"""Disk-backed scratch arrays: big results that must not stay in memory.

A long song's stems are four to six times the song itself.  Where the caller only
writes them to files (the CLI, batch jobs), they are accumulated in a
:func:`scratch_array` instead: a float32 array memory-mapped on a file that is
unlinked as soon as it is mapped (nothing is left behind, even after a crash or a
cancel), and :func:`release` after each step hands its pages back to the page
cache, so the process's resident memory holds only what the current step touches.
The data stays intact: the mapping is shared, and released pages are read back
from the page cache (or the file) on the next access.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np

from core.errors import AudioFileError, ResonoteError

#: Frames per step for whole-array passes over scratch arrays (:func:`blockwise`).
BLOCK_FRAMES = 1 << 20


def scratch_array(shape: tuple[int, ...], directory: str | os.PathLike) -> np.ndarray:
    """A zero-filled float32 array of ``shape`` backed by an unlinked file in ``directory``.

    Raises
    ------
    AudioFileError
        The folder has no room for the array.
    ResonoteError
        The folder cannot hold a scratch file (missing, read-only).
    """
    d = Path(directory)
    nbytes = int(np.prod(shape, dtype=np.int64)) * 4
    try:
        free = os.statvfs(d).f_bavail * os.statvfs(d).f_frsize
    except OSError as exc:
        raise ResonoteError(f"No scratch space in {d}: {exc.strerror or exc}.") from exc
    if nbytes > free:
        raise AudioFileError(
            f"Not enough free disk space in {d} for the work file: {nbytes / 2**20:.0f} MB "
            f"needed, {free / 2**20:.0f} MB free.")
    fd, name = tempfile.mkstemp(prefix=".resonote-scratch-", suffix=".f32", dir=d)
    try:
        os.ftruncate(fd, max(1, nbytes))  # sparse: zeros cost no disk until written
        mm = mmap.mmap(fd, max(1, nbytes), access=mmap.ACCESS_WRITE)
    finally:
        os.close(fd)
        os.unlink(name)  # the mapping keeps the data; the name is gone
    arr = np.frombuffer(mm, dtype=np.float32, count=nbytes // 4).reshape(shape)
    return arr


def _mapping(arr: np.ndarray) -> Optional[mmap.mmap]:
    a = arr
    while a is not None:
        if isinstance(a, mmap.mmap):
            return a
        b = getattr(a, "base", None)
        if b is None and isinstance(a, memoryview):
            b = a.obj
        a = b
    return None


def is_scratch(arr: np.ndarray) -> bool:
    """True when ``arr`` (or what it views) lives in a memory mapping."""
    return _mapping(arr) is not None


def release(arr: np.ndarray) -> None:
    """Drop the resident pages of the mapping under ``arr`` (no-op for ordinary arrays)."""
    mm = _mapping(arr)
    if mm is not None and hasattr(mm, "madvise"):
        mm.madvise(mmap.MADV_DONTNEED)


def blockwise(arr: np.ndarray, fn, *, block: int = BLOCK_FRAMES) -> None:
    """Call ``fn(view)`` on ``arr[..., a:b]`` block by block (last axis), releasing the
    pages of a scratch array after each block so a whole-array pass stays small."""
    n = arr.shape[-1]
    scratch = is_scratch(arr)
    for a in range(0, n, block):
        fn(arr[..., a:a + block])
        if scratch:
            release(arr)
