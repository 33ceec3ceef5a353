"""Loading audio files (saving: :mod:`core.audio.write`); with it, the one place that
touches audio files.

Decoding goes through libsndfile (``soundfile``: WAV/RF64, FLAC, OGG Vorbis,
Opus, MP3, AIFF...) and falls back to FFmpeg (``av``) for what libsndfile does
not read (M4A/AAC, the audio of video files, WMA...).  Writes are atomic: the
data goes to a temporary file in the destination folder, which is then renamed
over the destination, so a crash never leaves a half-written file behind and
the source file is never modified.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

import numpy as np

from core.audio.types import Audio
from core.errors import (
    AudioFileError,
    CorruptAudioError,
    EmptyAudioError,
    InvalidParameterError,
    UnsupportedFormatError,
)
from core.jobs import CancelToken, JobCancelled, Progress, ProgressCallback, check, no_progress

# Frames decoded per block.  Big enough that Python overhead is negligible,
# small enough that the temporary block (frames x channels float32) stays a
# few MB: a 60-minute file is never held twice in memory.
BLOCK_FRAMES = 1 << 18

# Leading bytes of containers we recognise: a file that starts like one of
# these but fails to decode is "damaged", anything else is "not audio".
_MAGIC = (
    b"RIFF", b"RF64", b"BW64", b"FORM", b"fLaC", b"OggS", b"ID3", b"\xff\xfb",
    b"\xff\xf3", b"\xff\xf2", b"\xff\xf1", b"\xff\xf9", b".snd", b"caff", b"wvpk",
    b"MAC ", b"\x1aE\xdf\xa3", b"0&\xb2u",
)

NonFinitePolicy = Literal["error", "clean", "keep"]
BlockHook = Callable[[int, np.ndarray], None]


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header without decoding the audio.

    ``frames`` may be an estimate (-1 if unknown) for compressed formats read
    through FFmpeg.
    """

    path: str
    sr: int
    channels: int
    frames: int
    format: str
    subtype: str
    backend: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sr if self.frames > 0 else 0.0


def _check_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise AudioFileError(f"No file at '{p}'.", path=str(p))
    if p.is_dir():
        raise AudioFileError(f"'{p}' is a folder, not an audio file.", path=str(p))
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(16)
    except PermissionError:
        raise AudioFileError(f"No permission to read '{p}'.", path=str(p)) from None
    except OSError as exc:
        raise AudioFileError(f"Cannot read '{p}': {exc.strerror or exc}.", path=str(p)) from None
    if size == 0:
        raise EmptyAudioError(f"'{p.name}' is empty (0 bytes).", path=str(p))
    return p, head


def _looks_like_audio(head: bytes) -> bool:
    return any(head.startswith(m) for m in _MAGIC) or head[4:8] == b"ftyp"


def _decode_failure(p: Path, head: bytes, detail: str) -> AudioFileError:
    if _looks_like_audio(head):
        return CorruptAudioError(
            f"'{p.name}' looks like an audio file but is damaged or truncated ({detail}).",
            path=str(p),
        )
    return UnsupportedFormatError(
        f"'{p.name}' is not an audio file Resonote can read (format not recognised).",
        path=str(p),
    )


def info(path: str | os.PathLike) -> AudioInfo:
    """Read a file's header: sample rate, channels, length, format.

    Raises an :class:`~core.errors.AudioFileError` subclass for missing, empty,
    unreadable, damaged or non-audio files.
    """
    p, head = _check_path(path)
    import soundfile as sf

    try:
        i = sf.info(str(p))
        if i.samplerate > 0 and i.channels > 0:
            return AudioInfo(str(p), int(i.samplerate), int(i.channels), int(i.frames),
                             i.format, i.subtype, "soundfile")
    except Exception:  # libsndfile cannot open it: try FFmpeg
        pass
    return _av_info(p, head)


def _stream_params(p: Path, head: bytes, stream) -> tuple[int, int, str]:
    """(sample rate, channels, layout name) of a PyAV audio stream, or a clean error.

    Damaged files can yield streams without a codec context, whose attributes raise.
    """
    try:
        ctx = stream.codec_context
        sr = int(getattr(stream, "rate", 0) or ctx.sample_rate or 0)
        ch = int(getattr(stream, "channels", 0) or ctx.channels or 0)
        layout = stream.layout.name if stream.layout is not None else ""
    except Exception:
        raise _decode_failure(p, head, "unreadable stream parameters") from None
    if sr <= 0 or ch <= 0:
        raise _decode_failure(p, head, "no sample rate or channel count")
    return sr, ch, layout


def _av_info(p: Path, head: bytes) -> AudioInfo:
    import av

    try:
        with av.open(str(p), metadata_errors="ignore") as c:
            if not c.streams.audio:
                raise UnsupportedFormatError(f"'{p.name}' has no audio stream.", path=str(p))
            s = c.streams.audio[0]
            sr, ch, _ = _stream_params(p, head, s)
            if s.duration is not None and s.time_base is not None:
                frames = int(round(float(s.duration * s.time_base) * sr))
            elif c.duration is not None:
                frames = int(round(c.duration / 1_000_000 * sr))
            else:
                frames = -1
            return AudioInfo(str(p), sr, ch, frames, c.format.name.upper(),
                             s.codec_context.name.upper(), "ffmpeg")
    except AudioFileError:
        raise
    except Exception as exc:
        raise _decode_failure(p, head, type(exc).__name__) from None


def load(
    path: str | os.PathLike,
    *,
    sr: Optional[int] = None,
    mono: bool = False,
    start_s: float = 0.0,
    duration_s: Optional[float] = None,
    nonfinite: NonFinitePolicy = "error",
    on_block: Optional[BlockHook] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Audio:
    """Decode an audio file into :class:`Audio`.

    Parameters
    ----------
    path : path-like
        Any format libsndfile or FFmpeg decodes, any channel count and rate.
    sr : int, optional
        Resample to this rate (Hz) with a band-limited resampler; None keeps the file's.
    mono : bool
        Average the channels into one.
    start_s, duration_s : float
        Read only this region, in seconds (None: to the end).
    nonfinite : {"error", "clean", "keep"}
        NaN/Inf samples raise :class:`~core.errors.NonFiniteAudioError`
        ("error"), are replaced by silence ("clean"), or are kept.
    on_block : callable(start_frame, block), optional
        Called with each decoded region while it is still in the CPU cache
        (``block`` float32 (channels, n), a view of the result), so callers can
        summarise the audio in the same pass (the waveform pyramid does).  The
        regions are consecutive, non-overlapping, cover every decoded frame and
        start at multiples of 4096 frames except the first; calls may come from
        several threads at once and in any order.  They see the samples before
        cleaning, mono mixing and resampling.
    progress, cancel
        See :mod:`core.jobs`; decoding checks ``cancel`` after every block.

    Returns
    -------
    Audio
        ``samples`` float32 (channels, frames); ``metadata`` has ``path``,
        ``format``, ``subtype``, ``backend``, ``source_sr``.
    """
    if nonfinite not in ("error", "clean", "keep"):
        raise InvalidParameterError(f"nonfinite must be error, clean or keep; got {nonfinite!r}.")
    if start_s < 0 or (duration_s is not None and duration_s < 0):
        raise InvalidParameterError("start_s and duration_s must not be negative.")
    p, head = _check_path(path)
    try:
        fast = _load_mapped_wav(p, start_s, duration_s, on_block, progress, cancel)
        if fast is not None:
            samples, file_sr, fmt, subtype, backend = fast
        else:
            samples, file_sr, fmt, subtype, backend = _load_soundfile(
                p, start_s, duration_s, on_block, progress, cancel)
    except _NotForSoundfile:
        samples, file_sr, fmt, subtype, backend = _load_av(
            p, head, start_s, duration_s, progress, cancel)
        if on_block is not None and samples.shape[1]:
            on_block(0, samples)
    if samples.shape[1] == 0:
        if start_s > 0:
            raise InvalidParameterError(f"'{p.name}' is shorter than {start_s:g} s.")
        raise EmptyAudioError(f"'{p.name}' contains no audio (zero length).", path=str(p))
    meta = {"path": str(p), "format": fmt, "subtype": subtype, "backend": backend,
            "source_sr": file_sr}
    audio = Audio(samples, file_sr, meta)
    if _integer_coded(fmt, subtype):
        pass  # integers scaled to float are always finite: skip the scan (0.2 s per hour)
    elif nonfinite == "clean":
        if audio.count_nonfinite():
            audio = audio.cleaned()
    elif nonfinite == "error":
        audio.check_finite()
    if mono:
        audio = audio.mono()
    if sr is not None and sr != audio.sr:
        from core.audio.resample import resample

        audio = resample(audio, sr)
    return audio


def _integer_coded(fmt: str, subtype: str) -> bool:
    """True when the file stores integer samples (PCM, A-/u-law, FLAC, ALAC): no NaN/Inf."""
    sub = (subtype or "").upper()
    if sub.startswith("PCM_F"):  # FFmpeg's pcm_f32le / pcm_f64le: floats
        return False
    return (sub.startswith(("PCM_", "DPCM_", "ALAC_")) or sub in ("ALAW", "ULAW")
            or (fmt or "").upper() == "FLAC")


class _NotForSoundfile(Exception):
    pass


def _salvage(f, frame: int, dest: np.ndarray, step: int = 4096) -> int:
    """Read frames from ``frame`` into ``dest`` (channels, n) until decoding fails; return count."""
    got_total = 0
    try:
        f.seek(frame)
        while got_total < dest.shape[1]:
            n = min(step, dest.shape[1] - got_total)
            got = f.read(n, dtype="float32", always_2d=True)
            if got.shape[0] == 0:
                break
            dest[:, got_total:got_total + got.shape[0]] = got.T
            got_total += got.shape[0]
    except Exception:
        pass
    return got_total


def _load_mapped_wav(p, start_s, duration_s, on_block, progress, cancel):
    """Plain WAVs: memory-map and convert on all cores (about 3x libsndfile's speed)."""
    if head_is_not_riff(p):
        return None
    from core.audio.wavmap import map_wav

    m = map_wav(p)
    if m is None:
        return None
    data = m.data
    total, channels = data.shape
    start = min(total, int(round(start_s * m.sr)))
    stop = total if duration_s is None else min(total, start + int(round(duration_s * m.sr)))
    n = stop - start
    out = np.empty((channels, n), dtype=np.float32)
    scale, offset = np.float32(m.scale), np.float32(m.offset)

    done = [0] * 8  # frames converted, one slot per worker (no shared writes)

    def convert(w: int, a: int, b: int) -> None:
        for s in range(a, b, BLOCK_FRAMES):
            check(cancel)
            e = min(b, s + BLOCK_FRAMES)
            o = out[:, s:e]
            np.multiply(data[start + s:start + e].T, scale, out=o, casting="unsafe")
            if offset:
                o -= offset
            m.release(start + s, start + e)
            if on_block is not None:
                on_block(s, o)
            done[w] += e - s

    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    workers = _worker_count(n)
    n_blocks = -(-n // BLOCK_FRAMES)
    bounds = np.minimum(np.linspace(0, n_blocks, workers + 1).astype(int) * BLOCK_FRAMES, n)
    with ThreadPoolExecutor(workers) as ex:
        futs = [ex.submit(convert, w, int(a), int(b))
                for w, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))]
        pending = futs
        while pending:
            _, pending = wait(pending, timeout=0.05, return_when=FIRST_EXCEPTION)
            progress(Progress("decode", sum(done), n, f"Reading {p.name}"))
            if cancel is not None and cancel.cancelled:
                break  # workers see the same token and stop at their next block
            if any(f.done() and f.exception() for f in futs):
                break
        for f in futs:
            f.result()  # re-raises JobCancelled or a decode error
    check(cancel)
    return out, m.sr, "WAV", m.subtype, "numpy-mmap"


def _worker_count(frames: int) -> int:
    if frames < 4 * BLOCK_FRAMES:
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))


def head_is_not_riff(p: Path) -> bool:
    with open(p, "rb") as fh:
        return fh.read(4) != b"RIFF"


def _load_soundfile(p, start_s, duration_s, on_block, progress, cancel):
    import soundfile as sf

    try:
        f = sf.SoundFile(str(p))
    except Exception:
        raise _NotForSoundfile() from None
    with f:
        if f.samplerate <= 0 or f.channels <= 0:
            raise _NotForSoundfile()
        file_sr, channels = int(f.samplerate), int(f.channels)
        # Some headers (MP3, broken WAV) report a length that is wrong; never
        # trust it for more than a size hint.
        total = int(f.frames) if f.frames and f.frames > 0 else 0
        start = int(round(start_s * file_sr))
        want = total - start if duration_s is None else int(round(duration_s * file_sr))
        if total:
            want = max(0, min(want, total - start))
        if start:
            try:
                f.seek(min(start, total) if total else start)
            except Exception as exc:
                raise CorruptAudioError(f"'{p.name}' cannot be seeked ({exc}).", path=str(p)) from None
        out = np.empty((channels, max(want, 0)), dtype=np.float32)
        block = np.empty((min(BLOCK_FRAMES, max(want, 1)), channels), dtype=np.float32)
        pos = 0
        while pos < want:
            check(cancel)
            n = min(block.shape[0], want - pos)
            try:
                got = f.read(n, dtype="float32", always_2d=True, out=block[:n])
            except Exception as exc:
                # Damaged data: salvage what decodes before the damage in small steps.
                k = _salvage(f, start + pos, out[:, pos:want])
                if on_block is not None and k:
                    on_block(pos, out[:, pos:pos + k])
                pos += k
                if pos == 0:
                    raise _decode_failure(p, _check_path(p)[1], str(exc).splitlines()[0]) from None
                break
            k = got.shape[0]
            if k == 0:
                break
            out[:, pos:pos + k] = got[:k].T
            if on_block is not None:
                on_block(pos, out[:, pos:pos + k])
            pos += k
            progress(Progress("decode", pos, want, f"Reading {p.name}"))
            if k < n:
                break
        if pos < out.shape[1]:
            out = np.ascontiguousarray(out[:, :pos])
        return out, file_sr, f.format, f.subtype, "soundfile"


# PyAV sample format -> (dtype, offset, scale) to reach float in [-1, 1].
_AV_SAMPLE = {
    "u8": (np.uint8, 128.0, 128.0), "s16": (np.int16, 0.0, 32768.0),
    "s32": (np.int32, 0.0, 2147483648.0), "s64": (np.int64, 0.0, 9223372036854775808.0),
    "flt": (np.float32, 0.0, 1.0), "dbl": (np.float64, 0.0, 1.0),
}


def _frame_to_float(frame, channels: int) -> np.ndarray:
    """One decoded PyAV frame -> float32 (channels, samples).

    Converted here rather than with FFmpeg's resampler, which crashed the
    process on fuzzed headers that claim odd channel counts.
    """
    arr = frame.to_ndarray()
    n = int(frame.samples)
    name = frame.format.name.rstrip("p")
    if name not in _AV_SAMPLE or n <= 0 or arr.size == 0:
        return np.zeros((channels, 0), np.float32)
    if not frame.format.is_planar:
        width = arr.size // n
        arr = arr.reshape(-1)[: n * width].reshape(n, width).T
    dtype, offset, scale = _AV_SAMPLE[name]
    out = arr.astype(np.float32)
    if offset:
        out -= offset
    if scale != 1.0:
        out *= 1.0 / scale
    if out.shape[0] != channels:  # layout changed mid-stream: keep the first one's width
        out = np.resize(out, (channels, out.shape[1])) if out.shape[0] < channels else out[:channels]
    return out


def _load_av(p, head, start_s, duration_s, progress, cancel):
    import av

    chunks: list[np.ndarray] = []
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except Exception as exc:
        raise _decode_failure(p, head, type(exc).__name__) from None
    with container:
        if not container.streams.audio:
            raise UnsupportedFormatError(f"'{p.name}' has no audio stream.", path=str(p))
        stream = container.streams.audio[0]
        file_sr, channels, _ = _stream_params(p, head, stream)
        est_total = 0
        if container.duration:
            est_total = int(container.duration / 1_000_000 * file_sr)
        start = int(round(start_s * file_sr))
        stop = None if duration_s is None else start + int(round(duration_s * file_sr))
        pos = 0
        decoded_any = False
        try:
            for packet in container.demux(stream):
                check(cancel)
                for frame in packet.decode():
                    arr = _frame_to_float(frame, channels)
                    decoded_any = True
                    a, b = pos, pos + arr.shape[1]
                    pos = b
                    lo, hi = max(a, start), b if stop is None else min(b, stop)
                    if hi > lo:
                        chunks.append(np.ascontiguousarray(arr[:, lo - a:hi - a]))
                progress(Progress("decode", pos, est_total, f"Decoding {p.name}"))
                if stop is not None and pos >= stop:
                    break
        except JobCancelled:
            raise
        except Exception as exc:  # damaged packets surface as many exception types
            if not decoded_any:
                raise _decode_failure(p, head, type(exc).__name__) from None
            # damaged tail: keep what decoded
        fmt = container.format.name.upper()
        codec = stream.codec_context.name.upper()
    samples = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), np.float32)
    return samples, file_sr, fmt, codec, "ffmpeg"
