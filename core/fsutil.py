"""Atomic file writes: the one temp-file-then-rename used by every writer in core."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from core.errors import AudioFileError, ResonoteError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, error: type[ResonoteError] = AudioFileError,
                fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The temporary file gets the permissions a plain ``open()`` would give (0666 minus the
    umask; ``mkstemp`` alone makes it private), is fsynced, then renamed over ``path``. On
    any exception (cancelling included) the temporary file is removed and ``path`` is left
    as it was. ``OSError`` becomes ``error`` with a plain message.

    Parameters
    ----------
    path : path-like
        Destination; its folder must exist.
    error : ResonoteError subclass
        Raised for file-system failures (missing folder, no permission, disk full).
    fsync : bool
        Flush the data to disk before the rename (crash-safe); off for scratch files.
    """
    p = Path(path)
    if p.is_dir():
        raise error(f"'{p}' is a folder.")
    if not p.parent.is_dir():
        raise error(f"The folder '{p.parent}' does not exist.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=f".part{p.suffix}",
                                        dir=p.parent)
        os.close(fd)
        os.chmod(tmp_name, 0o666 & ~_umask())
    except OSError as exc:
        raise error(f"Cannot write '{p}': {exc.strerror or exc}.") from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise error(f"Cannot write '{p}': {exc.strerror or exc}.") from None
        raise


def write_text_atomic(path: str | os.PathLike, text: str, *,
                      error: type[ResonoteError] = AudioFileError) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` atomically."""
    with atomic_path(path, error=error) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return Path(path)
