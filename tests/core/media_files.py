"""Make real test media with FFmpeg (PyAV) and libsndfile: AAC in M4A, audio in a video file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def tone(freq_hz: float = 440.0, sr: int = 44100, duration_s: float = 1.0, channels: int = 2,
         amp: float = 0.5) -> np.ndarray:
    """A sine, shape (channels, frames) float32; channel k is detuned by k Hz so channels differ."""
    t = np.arange(int(sr * duration_s)) / sr
    return np.stack([amp * np.sin(2 * np.pi * (freq_hz + k) * t) for k in range(channels)]
                    ).astype(np.float32)


def write_with_ffmpeg(path: Path, samples: np.ndarray, sr: int, *, codec: str = "aac",
                      video: bool = False) -> Path:
    """Encode ``samples`` (channels, frames) with PyAV; with ``video`` add a small video stream."""
    import av

    layout = {1: "mono", 2: "stereo"}[samples.shape[0]]
    with av.open(str(path), "w") as out:
        vs = None
        if video:
            vs = out.add_stream("mpeg4", rate=10)
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream(codec, rate=sr, layout=layout)
        fsz = a.codec_context.frame_size or 1024
        pts = 0
        for start in range(0, samples.shape[1], fsz):
            block = np.ascontiguousarray(samples[:, start:start + fsz])
            fr = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
            fr.sample_rate, fr.pts, fr.time_base = sr, pts, Fraction(1, sr)
            pts += block.shape[1]
            for pkt in a.encode(fr):
                out.mux(pkt)
        for pkt in a.encode(None):
            out.mux(pkt)
        if vs is not None:
            n = int(samples.shape[1] / sr * 10)
            for i in range(max(n, 1)):
                img = np.full((48, 64, 3), (i * 20) % 255, np.uint8)
                vf = av.VideoFrame.from_ndarray(img, format="rgb24")
                vf.pts = i
                for pkt in vs.encode(vf):
                    out.mux(pkt)
            for pkt in vs.encode(None):
                out.mux(pkt)
    return path


def dominant_freq(x: np.ndarray, sr: int) -> float:
    """Frequency (Hz) of the largest FFT peak of a 1-D signal."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * sr / len(x))
