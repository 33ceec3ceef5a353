"""A small folder of audio files for the batch tests and benchmark.

``make_songs(root)`` writes seeded test signals (tones in noise, different levels)
as WAV files, one in a subfolder, plus one damaged WAV, a text file and a hidden
WAV that a batch must ignore.  Returns the relative paths of the audio files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16000


def song(i: int, seconds: float = 1.0, sr: int = SR) -> np.ndarray:
    """A seeded stereo tone-plus-noise clip at a level that differs per ``i``."""
    rng = np.random.default_rng(i)
    t = np.arange(int(seconds * sr)) / sr
    x = np.sin(2 * np.pi * (220 + 55 * i) * t) + 0.05 * rng.standard_normal(t.size)
    gain = 10 ** ((-30 + 4 * i) / 20)
    return (gain * np.stack([x, 0.8 * x])).astype(np.float32)


def make_songs(root: Path, *, good: int = 5, seconds: float = 1.0, damaged: bool = True,
               subfolder: bool = True) -> dict[str, list[str]]:
    """Write ``good`` clips (the last one in ``sub/`` when ``subfolder``) and a damaged WAV.

    Returns ``{"good": [...], "bad": [...]}`` of POSIX paths relative to ``root``.
    """
    root.mkdir(parents=True, exist_ok=True)
    names = {"good": [], "bad": []}
    for i in range(good):
        rel = f"sub/deep{i}.wav" if subfolder and i == good - 1 else f"song{i}.wav"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, song(i, seconds).T, SR, subtype="PCM_16")
        names["good"].append(rel)
    if damaged:
        # A RIFF header that promises far more data than there is: looks like audio, is not.
        (root / "broken.wav").write_bytes(b"RIFF\xff\xff\x00\x00WAVEfmt " + b"\x01" * 20)
        names["bad"].append("broken.wav")
    (root / "notes.txt").write_text("not audio", encoding="utf-8")
    sf.write(root / ".hidden.wav", song(0, 0.1).T, SR)
    return names
