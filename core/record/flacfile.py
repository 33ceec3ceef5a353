"""FLAC takes written block by block through libsndfile, and their repair after a crash.

libsndfile's FLAC encoder (libFLAC) writes each FLAC frame to the file as soon
as it has a whole encoder block (4096 samples per channel), so a take killed
mid-recording holds every complete frame: at most one block (85 ms at 48 kHz)
plus what the writer thread had not yet handed over is lost.  What a killed
file lacks is its STREAMINFO length (libsndfile writes 0, "unknown", and fixes
it on close): libsndfile then reports an absurd length and refuses to read it
whole.  :func:`repair_flac` decodes the complete frames (PyAV/FFmpeg, which
stops cleanly at a cut-off frame) and rewrites them as a valid FLAC file
(temp file + atomic rename), streaming, so memory stays flat for any length.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np

from core.errors import AudioFileError, CorruptAudioError
from core.record.wavfile import DiskFullError

#: Sample formats a FLAC take can be written in (FLAC has no float samples).
FLAC_SUBTYPES = ("PCM_24", "PCM_16")


class FlacWriter:
    """Write a FLAC take incrementally (the :class:`~core.record.writer.AudioWriter` protocol).

    Parameters
    ----------
    path : Path
        File to create; it must not exist (never overwrites).
    sr : int
        Sample rate, Hz.
    channels : int
        Channel count (1–8: FLAC's limit).
    subtype : {"PCM_24", "PCM_16"}
        Sample format; ``"FLOAT"`` is recorded as 24-bit (FLAC has no float).

    Raises
    ------
    AudioFileError
        The file exists or cannot be created.
    """

    def __init__(self, path: Path, *, sr: int, channels: int, subtype: str = "PCM_24") -> None:
        import soundfile as sf

        if subtype not in FLAC_SUBTYPES:
            subtype = "PCM_24"
        if not 1 <= channels <= 8:
            raise AudioFileError(f"FLAC takes can have 1–8 channels; {channels} were asked for.")
        self.path = Path(path)
        self.sr, self.channels, self.subtype = int(sr), int(channels), subtype
        self.frames = 0
        if self.path.exists():
            raise AudioFileError(f"{self.path} already exists; a take never overwrites a file.",
                                 path=str(self.path))
        try:
            self._f = sf.SoundFile(str(self.path), "x", samplerate=self.sr, channels=self.channels,
                                   format="FLAC", subtype=subtype)
        except FileExistsError as exc:
            raise AudioFileError(f"{self.path} already exists; a take never overwrites a file.",
                                 path=str(self.path)) from exc
        except (OSError, RuntimeError) as exc:  # soundfile raises LibsndfileError (RuntimeError)
            raise AudioFileError(f"Cannot create the take file {self.path}: {exc}.",
                                 path=str(self.path)) from exc
        self._fd = os.open(self.path, os.O_RDONLY)  # for fdatasync only

    def write(self, x: np.ndarray) -> None:
        """Append ``x`` (frames, channels) float32.

        Raises
        ------
        DiskFullError
            Out of space (libsndfile could not write a whole encoded frame).
        """
        if x.shape[0] == 0:
            return
        try:
            self._f.write(np.clip(x, -1.0, 1.0))
        except (AssertionError, RuntimeError, OSError) as exc:
            if _disk_full(self.path):
                raise DiskFullError("The disk is full.") from exc
            raise OSError(errno.EIO, f"FLAC encoder failed ({exc})") from exc
        self.frames += x.shape[0]

    def update_header(self) -> None:
        """Hand what libsndfile buffered to the kernel (the FLAC length is fixed on close)."""
        self._f.flush()

    def sync(self) -> None:
        """Push written data to the storage device."""
        self._f.flush()
        try:
            os.fdatasync(self._fd)
        except OSError:
            pass

    def close(self) -> None:
        """Finish the FLAC stream (STREAMINFO length and MD5) and close the file."""
        if self._fd < 0:
            return
        try:
            self._f.close()
            self.sync_fd()
        finally:
            os.close(self._fd)
            self._fd = -1

    def sync_fd(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError:
            pass


def _disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20


def repair_flac(path: Path) -> int:
    """Rewrite an interrupted FLAC take as a valid file; return its frame count.

    Every complete FLAC frame is kept; a frame cut off by the crash is dropped.
    The file is replaced atomically (its sample data is decoded and encoded
    again, losslessly, in blocks).

    Raises
    ------
    CorruptAudioError
        The file holds no decodable FLAC audio.
    """
    import soundfile as sf

    path = Path(path)
    with open(path, "rb") as f:
        if f.read(4) != b"fLaC":
            raise CorruptAudioError("This is not a FLAC take (no fLaC header).")
    subtype = "PCM_16" if _bits(path) <= 16 else "PCM_24"
    tmp = path.with_name(f".{path.name}.repair")
    tmp.unlink(missing_ok=True)
    frames = 0
    out = None
    try:
        for block, sr, channels in _decode_blocks(path):
            if out is None:
                out = sf.SoundFile(str(tmp), "x", samplerate=sr, channels=channels,
                                   format="FLAC", subtype=subtype)
            out.write(block)
            frames += block.shape[0]
        if out is None:
            raise CorruptAudioError("The FLAC take holds no complete audio frame.")
        out.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if out is not None and not out.closed:
            out.close()
        tmp.unlink(missing_ok=True)
    return frames


def _bits(path: Path) -> int:
    """Bits per sample from the STREAMINFO block (24 if unreadable)."""
    with open(path, "rb") as f:
        head = f.read(4 + 4 + 18)
    if len(head) < 26:
        return 24
    b = int.from_bytes(head[8 + 10 : 8 + 14], "big")  # sr(20) ch(3) bps-1(5) total(36)…
    return ((b >> 4) & 0x1F) + 1


def _decode_blocks(path: Path):
    """Yield ``(block (frames, channels) float32, sr, channels)`` of every complete frame."""
    try:
        import av
    except ImportError:  # pragma: no cover - PyAV is a dependency; libsndfile as a fallback
        yield from _decode_blocks_sndfile(path)
        return
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise CorruptAudioError(f"The FLAC take cannot be read ({exc}).") from exc
    with container:
        stream = container.streams.audio[0]
        try:
            for packet in container.demux(stream):
                try:
                    decoded = packet.decode()
                except Exception:
                    break  # the frame the crash cut off
                for frame in decoded:
                    x = frame.to_ndarray()
                    if frame.format.is_planar:
                        x = x.T
                    else:
                        x = x.reshape(-1, frame.layout.nb_channels)
                    x = _to_float(x, frame.format.name)
                    yield np.ascontiguousarray(x), frame.sample_rate, x.shape[1]
        except Exception as exc:
            if not isinstance(exc, (av.error.InvalidDataError, EOFError)):
                raise CorruptAudioError(f"The FLAC take cannot be read ({exc}).") from exc


def _to_float(x: np.ndarray, fmt: str) -> np.ndarray:
    if x.dtype == np.int16:
        return x.astype(np.float32) / 32768.0
    if x.dtype == np.int32:
        return x.astype(np.float32) / 2147483648.0
    return x.astype(np.float32)


def _decode_blocks_sndfile(path: Path):  # pragma: no cover - used only without PyAV
    import soundfile as sf

    with sf.SoundFile(str(path)) as f:
        try:
            while True:
                b = f.read(4096, dtype="float32", always_2d=True)
                if not len(b):
                    return
                yield b, f.samplerate, f.channels
        except RuntimeError:
            return
