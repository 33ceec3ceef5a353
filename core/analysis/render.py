"""Spectrogram images for files and reports (the CLI's ``resonote spectrogram``).

The image is built from a :class:`~core.analysis.lod.SpectrogramLOD` region with
one frame per pixel column at most, so its cost depends on the image size, not
on the audio's length.  Pillow is imported only to draw labels.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from core.analysis.colors import to_uint8
from core.analysis.lod import SpectrogramLOD
from core.analysis.types import Spectrogram
from core.jobs import ProgressCallback, no_progress


def render(samples: np.ndarray, sr: int, *, width: int, height: int, lut: np.ndarray,
           n_fft: int = 2048, hop_length: int = 512, scale: str = "log",
           fmin: Optional[float] = None, fmax: Optional[float] = None,
           range_db: float = 80.0, progress: ProgressCallback = no_progress,
           ) -> tuple[np.ndarray, Spectrogram]:
    """Colour image of the spectrogram of ``samples`` (channels, n) at ``sr`` Hz.

    Returns
    -------
    image : np.ndarray [shape=(height, width, 3), dtype=uint8]
        Low frequencies at the bottom; the loudest point is the top of the
        colour map and ``range_db`` below it the bottom.
    spec : Spectrogram
        The frames the image was made from (for labels).
    """
    lod = SpectrogramLOD(samples, sr, n_fft=n_fft, hop_length=hop_length, scale=scale,
                         n_bins=height if scale != "linear" else None, fmin=fmin, fmax=fmax,
                         floor_db=-200.0)
    spec = lod.region(0.0, lod.duration_s, width, progress=progress)
    v = spec.values
    # Rows: peak-preserving when squeezing, nearest when stretching.
    if v.shape[0] > height:
        edges = np.linspace(0, v.shape[0], height + 1).astype(np.int64)[:-1]
        v = np.maximum.reduceat(v, edges, axis=0)
    elif v.shape[0] < height:
        v = v[(np.arange(height) * v.shape[0]) // height]
    v = v[:, (np.arange(width) * v.shape[1]) // width]
    hi = float(v.max())
    idx = to_uint8(v[::-1], hi - range_db, hi)
    return np.ascontiguousarray(lut[idx]), spec


def _nice_step(span: float, target: int) -> float:
    raw = span / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _fmt_time(t: float, step: float) -> str:
    if t >= 60:
        return f"{int(t // 60)}:{t % 60:0{5 if step < 1 else 2}.{1 if step < 1 else 0}f}"
    return f"{t:.{max(0, -math.floor(math.log10(step)))}f}s" if step < 1 else f"{t:.0f}s"


def _fmt_hz(f: float) -> str:
    return f"{f / 1000:g}k" if f >= 1000 else f"{f:g}"


def freq_ticks(spec: Spectrogram, height: int) -> list[tuple[int, str]]:
    """(pixel row from the top, label) for the frequency axis of an image ``height`` tall."""
    f = spec.freqs
    lo, hi = float(f[0]), float(f[-1])
    if spec.scale == "linear":
        step = _nice_step(hi - lo, 6)
        cands = np.arange(math.ceil(lo / step) * step, hi + 1e-9, step)
    elif spec.scale == "log":
        cands = [55.0 * 2 ** k for k in range(-1, 10)]  # the A of every octave
    else:
        cands = [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0]
    ticks = []
    for c in cands:
        if lo <= c <= hi:
            row = float(np.interp(c, f, np.arange(len(f))))
            y = int(round((1 - (row + 0.5) / len(f)) * height))
            label = _fmt_hz(c)
            if spec.scale == "log":
                from core.analysis.notes import note_name

                label = f"{note_name(c)[0]} {label}"
            ticks.append((y, label))
    return ticks


def draw_labels(image, spec: Spectrogram, *, t_offset: float = 0.0,
                duration_s: Optional[float] = None) -> None:
    """Draw time ticks along the bottom and frequency ticks on the left, in place.

    ``image`` is a Pillow RGB image; labels sit inside it (its size is kept).
    """
    from PIL import ImageDraw, ImageFont

    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    w, h = image.size
    ink, shadow = (235, 235, 235), (0, 0, 0)

    def text(x, y, s):
        for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
            draw.text((x + dx, y + dy), s, fill=shadow, font=font)
        draw.text((x, y), s, fill=ink, font=font)

    for y, label in freq_ticks(spec, h):
        if 6 <= y <= h - 24:
            draw.line([(0, y), (5, y)], fill=ink)
            text(8, y - 6, label)
    dur = duration_s if duration_s is not None else spec.sr and spec.times[-1]
    if dur and dur > 0:
        step = _nice_step(dur, max(2, w // 140))
        t = math.ceil(t_offset / step) * step
        while t <= t_offset + dur + 1e-9:
            x = int(round((t - t_offset) / dur * w))
            if 20 <= x <= w - 40:
                draw.line([(x, h - 5), (x, h - 1)], fill=ink)
                text(x - 10, h - 18, _fmt_time(t, step))
            t += step
