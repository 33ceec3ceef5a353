"""A WAV file written incrementally whose header is made valid as it grows.

Layout (little-endian)::

    RIFF <size> WAVE
    JUNK <28>  28 zero bytes        (becomes "ds64" when the file passes 4 GiB)
    fmt  <16|18|40> ...
    fact <4> <sample frames>        (float only, as the WAV spec asks)
    data <size> samples...

The sample data is written straight to the file descriptor as it arrives;
:meth:`WavWriter.update_header` rewrites only the size fields (``pwrite`` into
bytes that already exist, so it works on a full disk too).  Between updates a
reader sees a valid file holding everything up to the last update.  Past
4 GiB the file becomes RF64 (EBU Tech 3306): ``RIFF`` → ``RF64``, ``JUNK`` →
``ds64`` with 64-bit sizes, 32-bit sizes set to 0xFFFFFFFF.

:func:`repair_wav` sets the size fields from the file's real length, which is
how a take interrupted by a crash is recovered.
"""

from __future__ import annotations

import errno
import os
import struct
from pathlib import Path

import numpy as np

from core.errors import AudioFileError, CorruptAudioError

#: Sample formats a take can be written in.
SUBTYPES = {"FLOAT": (3, 4), "PCM_24": (1, 3), "PCM_16": (1, 2)}  # (format tag, bytes/sample)

_U32_MAX = 0xFFFFFFFF
_EXTENSIBLE = 0xFFFE
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_JUNK_OFFSET = 12  # where the JUNK/ds64 chunk header starts


class DiskFullError(AudioFileError):
    """The disk (or the user's quota) ran out of space while recording."""


def _fmt_chunk(subtype: str, sr: int, channels: int) -> bytes:
    tag, width = SUBTYPES[subtype]
    block = width * channels
    base = struct.pack("<HHIIHH", tag, channels, sr, sr * block, block, 8 * width)
    if channels > 2:
        mask = (1 << channels) - 1 if channels <= 18 else 0
        guid = struct.pack("<H", tag) + _GUID_TAIL
        body = struct.pack("<HHIIHH", _EXTENSIBLE, channels, sr, sr * block, block, 8 * width)
        body += struct.pack("<HHI", 22, 8 * width, mask) + guid
    elif tag == 3:
        body = base + struct.pack("<H", 0)
    else:
        body = base
    return b"fmt " + struct.pack("<I", len(body)) + body


def _header(subtype: str, sr: int, channels: int) -> tuple[bytes, int | None, int]:
    """The header bytes, the offset of the fact count (or None), and the data size offset."""
    head = b"RIFF" + struct.pack("<I", 0) + b"WAVE"
    head += b"JUNK" + struct.pack("<I", 28) + bytes(28)
    head += _fmt_chunk(subtype, sr, channels)
    fact_at = None
    if SUBTYPES[subtype][0] == 3:
        fact_at = len(head) + 8
        head += b"fact" + struct.pack("<II", 4, 0)
    head += b"data"
    data_size_at = len(head)
    head += struct.pack("<I", 0)
    return head, fact_at, data_size_at


def _to_bytes(x: np.ndarray, subtype: str) -> np.ndarray | bytes:
    """Interleaved sample bytes for ``x`` (frames, channels) float32."""
    if subtype == "FLOAT":
        return np.ascontiguousarray(x, dtype="<f4")
    if subtype == "PCM_16":
        return np.round(np.clip(x, -1.0, 32767 / 32768) * 32768).astype("<i2")
    v = np.round(np.clip(x, -1.0, 8388607 / 8388608) * 8388608).astype("<i4")
    return v.reshape(-1, 1).view(np.uint8)[:, :3].tobytes()


def _write_all(fd: int, data) -> int:
    """Write everything or raise; returns bytes written.  A short write on a full
    disk is followed by a write that raises ENOSPC, reported as DiskFullError
    carrying the bytes that did reach the file."""
    view = memoryview(data).cast("B")
    done = 0
    while done < len(view):
        try:
            n = os.write(fd, view[done:])
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                err = DiskFullError("The disk is full.")
                err.written = done
                raise err from exc
            raise
        if n <= 0:
            err = DiskFullError("The disk is full.")
            err.written = done
            raise err
        done += n
    return done


class WavWriter:
    """Write a WAV take incrementally (see module docstring).

    Parameters
    ----------
    path : Path
        File to create; it must not exist (never overwrites).
    sr : int
        Sample rate, Hz.
    channels : int
        Channel count.
    subtype : {"FLOAT", "PCM_24", "PCM_16"}
        Sample format; float keeps overs above 0 dBFS, PCM clips them.
    riff_limit : int
        File size above which the file becomes RF64 (4 GiB; smaller in tests).

    Raises
    ------
    AudioFileError
        The file exists or cannot be created.
    """

    def __init__(
        self,
        path: Path,
        *,
        sr: int,
        channels: int,
        subtype: str = "FLOAT",
        riff_limit: int = _U32_MAX,
    ) -> None:
        if subtype not in SUBTYPES:
            raise AudioFileError(f"Takes can be recorded as {', '.join(SUBTYPES)}; not {subtype!r}.")
        self.path = Path(path)
        self.sr, self.channels, self.subtype = int(sr), int(channels), subtype
        self.block_align = SUBTYPES[subtype][1] * self.channels
        self.riff_limit = int(riff_limit)
        head, self._fact_at, self._data_size_at = _header(subtype, self.sr, self.channels)
        self.data_offset = len(head)
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError as exc:
            raise AudioFileError(f"{self.path} already exists; a take never overwrites a file.",
                                 path=str(self.path)) from exc
        except OSError as exc:
            raise AudioFileError(f"Cannot create the take file {self.path}: {exc.strerror}.",
                                 path=str(self.path)) from exc
        self.data_bytes = 0  # bytes of sample data that reached the file
        self._rf64 = False
        try:
            _write_all(self._fd, head)
        except Exception:
            os.close(self._fd)
            self.path.unlink(missing_ok=True)
            raise
        self.update_header()

    @property
    def frames(self) -> int:
        """Whole frames written so far."""
        return self.data_bytes // self.block_align

    def write(self, x: np.ndarray) -> None:
        """Append ``x`` (frames, channels) float32 to the file.

        Raises
        ------
        DiskFullError
            Out of space; the file keeps every whole frame that was written.
        """
        if x.shape[0] == 0:
            return
        try:
            self.data_bytes += _write_all(self._fd, _to_bytes(x, self.subtype))
        except DiskFullError as err:
            self.data_bytes += err.written
            raise

    def update_header(self) -> None:
        """Make the header describe every whole frame written so far."""
        _patch_sizes(self._fd, self.data_offset, self.frames * self.block_align, self.block_align,
                     self._fact_at, self._data_size_at, self.riff_limit)

    def sync(self) -> None:
        """Push written data to the storage device (survives a power cut, not only a crash)."""
        try:
            os.fdatasync(self._fd)
        except OSError:
            pass

    def close(self) -> None:
        """Drop a partial trailing frame, finalise the header and close the file."""
        if self._fd < 0:
            return
        whole = self.frames * self.block_align
        try:
            if whole != self.data_bytes:
                os.ftruncate(self._fd, self.data_offset + whole)
                self.data_bytes = whole
            self.update_header()
            self.sync()
        finally:
            os.close(self._fd)
            self._fd = -1


def _patch_sizes(fd: int, data_offset: int, data_bytes: int, block_align: int,
                 fact_at: int | None, data_size_at: int, riff_limit: int) -> None:
    riff = data_offset + data_bytes - 8
    frames = data_bytes // block_align
    if riff > riff_limit or data_bytes > riff_limit:  # RF64
        ds64 = b"ds64" + struct.pack("<IQQQI", 28, riff, data_bytes, frames, 0)
        os.pwrite(fd, ds64, _JUNK_OFFSET)
        if fact_at is not None:
            os.pwrite(fd, struct.pack("<I", _U32_MAX), fact_at)
        os.pwrite(fd, struct.pack("<I", _U32_MAX), data_size_at)
        os.pwrite(fd, b"RF64" + struct.pack("<I", _U32_MAX), 0)
    else:
        if fact_at is not None:
            os.pwrite(fd, struct.pack("<I", min(frames, _U32_MAX)), fact_at)
        os.pwrite(fd, struct.pack("<I", min(data_bytes, _U32_MAX)), data_size_at)
        os.pwrite(fd, struct.pack("<I", min(riff, _U32_MAX)), 4)


def _parse(head: bytes) -> tuple[int, int | None, int, int]:
    """``(block_align, fact_at, data_size_at, data_offset)`` of a take's header."""
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise CorruptAudioError("This is not a WAV take (no RIFF/WAVE header).")
    pos, block_align, fact_at = 12, None, None
    while pos + 8 <= len(head):
        cid = head[pos : pos + 4]
        size = struct.unpack_from("<I", head, pos + 4)[0]
        if cid == b"fmt ":
            block_align = struct.unpack_from("<H", head, pos + 8 + 12)[0]
        elif cid == b"fact":
            fact_at = pos + 8
        elif cid == b"data":
            if not block_align:
                break
            return block_align, fact_at, pos + 4, pos + 8
        pos += 8 + size + (size & 1)
    raise CorruptAudioError("The take's header is damaged (no format or data chunk).")


def repair_wav(path: Path, *, riff_limit: int = _U32_MAX) -> int:
    """Set a WAV's size fields from the file's real length; return its frame count.

    A trailing partial frame is cut off.  Files over ``riff_limit`` bytes
    become RF64.  The sample data is not touched.

    Raises
    ------
    CorruptAudioError
        The file is not a WAV written by :class:`WavWriter` (or a plain WAV).
    """
    path = Path(path)
    with open(path, "r+b") as f:
        block_align, fact_at, data_size_at, data_offset = _parse(f.read(4096))
        size = os.fstat(f.fileno()).st_size
        data_bytes = max(0, size - data_offset) // block_align * block_align
        if data_offset + data_bytes != size:
            f.truncate(data_offset + data_bytes)
        fd = f.fileno()
        # Only our own layout has the 28-byte JUNK placeholder that becomes ds64.
        reserved = os.pread(fd, 8, _JUNK_OFFSET) in (b"JUNK\x1c\x00\x00\x00", b"ds64\x1c\x00\x00\x00")
        if reserved and data_offset + data_bytes - 8 <= riff_limit:
            # Back to (or still) a plain RIFF file.
            os.pwrite(fd, b"RIFF", 0)
            os.pwrite(fd, b"JUNK" + struct.pack("<I", 28) + bytes(28), _JUNK_OFFSET)
        limit = riff_limit if reserved else 1 << 62  # foreign layout: clamp, never RF64
        _patch_sizes(fd, data_offset, data_bytes, block_align, fact_at, data_size_at, limit)
        os.fsync(fd)
    return data_bytes // block_align
