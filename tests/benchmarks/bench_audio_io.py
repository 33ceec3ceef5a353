"""Decode speed of core.audio.load vs soundfile.read and librosa.load on long WAV and FLAC.

Run: ``make bench`` (all benchmarks) or ``.venv/bin/python tests/benchmarks/bench_audio_io.py``.
Each figure is the median of 3 runs after one warm-up run (the first touch of fresh memory
in a new VM costs seconds that a desktop does not pay).
"""

from __future__ import annotations

import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench"


def make_file(name: str, minutes: int, subtype: str = "PCM_16", sr: int = 44100) -> Path:
    """A stereo test file (tones + noise), written once into .bench/."""
    path = CACHE / name
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(sr * 60) / sr
    tmp = path.with_suffix(".part" + path.suffix)
    with sf.SoundFile(tmp, "w", sr, 2, subtype=subtype, format=path.suffix[1:].upper()) as f:
        for i in range(minutes):
            x = 0.3 * np.sin(2 * np.pi * (220 + 5 * i) * t) + 0.05 * rng.standard_normal(t.size)
            f.write(np.stack([x, 0.8 * x], 1).astype(np.float32))
    tmp.rename(path)
    return path


def timeit(fn, runs: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run() -> list[tuple[str, str, float]]:
    from core.audio import load

    rows = []
    cases = [("10 min WAV 16-bit", make_file("stereo10.wav", 10)),
             ("10 min FLAC 16-bit", make_file("stereo10.flac", 10)),
             ("60 min WAV 16-bit", make_file("stereo60.wav", 60))]
    for label, path in cases:
        rows.append((label, "core.audio.load", timeit(lambda p=path: load(p))))
        rows.append((label, "soundfile.read (float32)",
                     timeit(lambda p=path: sf.read(p, dtype="float32", always_2d=True))))
        if "60" not in label:
            import librosa

            rows.append((label, "librosa.load(sr=None, mono=False)",
                         timeit(lambda p=path: librosa.load(p, sr=None, mono=False))))
    return rows


def report(rows) -> str:
    lines = [f"Machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
             f"Python {platform.python_version()}", "", "| file | decoder | median s |",
             "|---|---|---|"]
    lines += [f"| {a} | {b} | {t:.3f} |" for a, b, t in rows]
    lines.append(f"\npeak RSS of this benchmark process: "
                 f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return "\n".join(lines)


def test_audio_io_benchmark():
    print("\n" + report(run()))


if __name__ == "__main__":
    print(report(run()))
