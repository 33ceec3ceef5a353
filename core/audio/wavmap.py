"""Zero-copy access to plain PCM/float WAV data, for fast decoding of long files.

libsndfile converts sample by sample through its own buffers; for a 60-minute
WAV that dominates opening time.  For the common plain formats (8/16/32-bit
int, 32/64-bit float, little-endian RIFF) the data chunk is memory-mapped and
converted with numpy on several threads instead.  Anything unusual (24-bit,
RF64, compressed WAV, odd chunk layouts) returns None and goes through
libsndfile.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
# Sub-format GUID tail shared by KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


@dataclass(frozen=True)
class MappedWav:
    """A WAV's sample data as a read-only array ``data`` of shape (frames, channels).

    ``float = data * scale - offset`` brings samples to [-1, 1].
    """

    data: np.ndarray
    sr: int
    subtype: str
    scale: float
    offset: float
    mapping: mmap.mmap
    data_offset: int

    def release(self, start_frame: int, stop_frame: int) -> None:
        """Tell the kernel frames [start, stop) are done with, so they leave our RSS.

        The pages are file-backed and clean: dropping them loses nothing.
        """
        row = self.data.strides[0]
        a = self.data_offset + start_frame * row
        b = self.data_offset + stop_frame * row
        a = -(-a // mmap.PAGESIZE) * mmap.PAGESIZE
        b = b // mmap.PAGESIZE * mmap.PAGESIZE
        if b > a and hasattr(self.mapping, "madvise"):
            self.mapping.madvise(mmap.MADV_DONTNEED, a, b - a)


def map_wav(path: str | Path) -> Optional[MappedWav]:
    """Memory-map a plain WAV's data chunk, or return None if it is not a plain WAV."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            fmt = None
            size_on_disk = Path(path).stat().st_size
            while True:
                ch = f.read(8)
                if len(ch) < 8:
                    return None
                cid, clen = ch[:4], struct.unpack("<I", ch[4:])[0]
                if cid == b"fmt ":
                    body = f.read(clen)
                    if len(body) < 16:
                        return None
                    tag, channels, sr, _, block_align, bits = struct.unpack("<HHIIHH", body[:16])
                    if tag == _EXTENSIBLE and len(body) >= 40 and body[26:40] == _GUID_TAIL:
                        tag = struct.unpack("<H", body[24:26])[0]
                    fmt = (tag, channels, sr, block_align, bits)
                    if clen % 2:
                        f.read(1)
                elif cid == b"data":
                    if fmt is None:
                        return None
                    offset = f.tell()
                    break
                else:
                    f.seek(clen + (clen % 2), 1)
    except OSError:
        return None
    tag, channels, sr, block_align, bits = fmt
    kinds = {(_PCM, 8): ("<u1", "PCM_U8", 1 / 128, 1.0), (_PCM, 16): ("<i2", "PCM_16", 1 / 32768, 0.0),
             (_PCM, 32): ("<i4", "PCM_32", 1 / 2147483648, 0.0),
             (_FLOAT, 32): ("<f4", "FLOAT", 1.0, 0.0), (_FLOAT, 64): ("<f8", "DOUBLE", 1.0, 0.0)}
    if (tag, bits) not in kinds or channels <= 0 or sr <= 0:
        return None
    dtype, subtype, scale, off = kinds[(tag, bits)]
    if block_align != channels * bits // 8:
        return None
    # A truncated file (or a header that lies) maps only the bytes really there.
    avail = max(0, min(clen, size_on_disk - offset))
    frames = avail // block_align
    if frames == 0:
        return None
    with open(path, "rb") as f:
        mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    data = np.frombuffer(mapping, dtype=dtype, count=frames * channels, offset=offset)
    return MappedWav(data.reshape(frames, channels), int(sr), subtype, scale, off, mapping, offset)
