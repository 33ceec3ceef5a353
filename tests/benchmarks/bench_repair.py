"""Repair benchmarks (``make bench``): declip, declick and dehum quality on speech and music.

Material: the real speech clips of ``tests/data`` (CMU ARCTIC, LibriVox, 16 kHz) and
music rendered from a score (J. S. Bach, BWV 66.6 from the music21 corpus, four
General MIDI instruments through the bundled SoundFont, 44.1 kHz).  Damage is added at
known positions, so detection can be scored as well as the repair:

* clipping at -3, -6 and -10 dB below the peak → ``declip``; SDR of the clipped and the
  repaired signal against the original; precision/recall of the clipped samples found.
* 150 clicks (1–8 samples, 0.1–0.5 of the peak, random sign, decaying) → ``declick``
  (default sensitivity); SDR before/after; a click counts as found when a repaired
  region overlaps it (±2 samples); a repaired region is correct when it overlaps a click.
* 50 Hz and 60 Hz hum with 8 harmonics at -10 and -25 dB below the signal's RMS →
  ``dehum`` (fundamental found automatically, default 2 Hz notches); SDR before/after and
  the fundamental found.  Notches also take the signal's own energy at the hum
  frequencies (about -17 dB of SDR on clean audio), so SDR rises for loud hum and can
  fall for faint hum, which is still heard and removed.

Run as a script (``--write`` writes docs/bench-repair.md) or under pytest
(``RESONOTE_BENCH_WRITE=1`` writes it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
sys.path.insert(0, str(ROOT))
import restore_data as rd  # noqa: E402

DOC = ROOT / "docs" / "bench-repair.md"
CLIP_DB = (-3.0, -6.0, -10.0)


def materials() -> dict[str, tuple[np.ndarray, int]]:
    """name -> (mono float64 signal with peak 0.9, sample rate)."""
    out = {}
    x = rd.speech(16000)
    for p in sorted((rd.DATA / "speech").glob("librivox*.flac")):
        y, sr = sf.read(p, dtype="float64")
        x = np.concatenate([x, np.zeros(sr // 4), y])
    out["speech (real, 16 kHz)"] = (0.9 * x / np.max(np.abs(x)), 16000)
    out["music (rendered chorale, 44.1 kHz)"] = (chorale(), 44100)
    return out


def chorale(seconds: float = 20.0) -> np.ndarray:
    from music21 import corpus

    from core.notes import Note, render_notes

    score = corpus.parse("bach/bwv66.6")
    mix = None
    for part, prog in zip(score.parts, (0, 48, 42, 32), strict=False):
        notes = []
        for n in part.recurse().notes:
            t0 = float(n.getOffsetInHierarchy(score)) * 0.55
            if t0 > seconds:
                break
            for p in (n.pitches if n.isChord else [n.pitch]):
                notes.append(Note(t0, t0 + float(n.quarterLength) * 0.55 * 0.95, p.midi, 0.7))
        a = render_notes(notes, sr=44100, program=prog).samples[0].astype(np.float64)
        if mix is None:
            mix = a
        else:
            n = max(mix.size, a.size)
            mix = np.pad(mix, (0, n - mix.size)) + np.pad(a, (0, n - a.size))
    mix = mix[: int(seconds * 44100)]
    return 0.9 * mix / np.max(np.abs(mix))


def sdr(ref: np.ndarray, est: np.ndarray) -> float:
    return rd.snr(ref, est)


def prf(hit: int, found: int, true: int) -> tuple[float, float]:
    return (hit / found if found else 1.0), (hit / true if true else 1.0)


def bench_declip(x: np.ndarray, sr: int) -> list[tuple]:
    from core.audio import Audio
    from core.restore import declip

    rows = []
    for db in CLIP_DB:
        level = 0.9 * 10 ** (db / 20)
        clipped = np.clip(x, -level, level)
        truth = np.abs(x) > level
        t = time.perf_counter()
        r = declip(Audio(clipped[None].astype(np.float32), sr))
        dt = time.perf_counter() - t
        found = np.zeros_like(truth)
        for _ch, s, e in r.report.get("runs", []):
            found[s:e] = True
        p, rc = prf(int(np.count_nonzero(found & truth)), int(np.count_nonzero(found)),
                    int(np.count_nonzero(truth)))
        rows.append((f"clip {db:g} dB ({100 * truth.mean():.1f} % clipped)",
                     sdr(x, clipped), sdr(x, r.audio.samples[0]), p, rc, x.size / sr / dt))
    return rows


def add_clicks(x: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    y = x.copy()
    pos = np.sort(rng.choice(np.arange(100, x.size - 100), n, replace=False))
    clicks = []
    for p in pos:
        w = int(rng.integers(1, 9))
        amp = rng.uniform(0.1, 0.5) * 0.9 * rng.choice([-1, 1])
        y[p:p + w] += amp * np.exp(-np.arange(w) / max(1, w / 2))
        clicks.append((int(p), int(p + w)))
    return y, clicks


def bench_declick(x: np.ndarray, sr: int) -> tuple:
    from core.audio import Audio
    from core.restore import declick

    y, clicks = add_clicks(x, 150, 3)
    t = time.perf_counter()
    r = declick(Audio(y[None].astype(np.float32), sr))
    dt = time.perf_counter() - t
    regions = [(s, e) for _ch, s, e in r.report["positions"]]

    def overlaps(a, b):
        return a[0] - 2 < b[1] and b[0] - 2 < a[1]

    found_clicks = sum(any(overlaps(c, g) for g in regions) for c in clicks)
    right = sum(any(overlaps(g, c) for c in clicks) for g in regions)
    p = right / len(regions) if regions else 1.0
    return ("150 clicks", sdr(x, y), sdr(x, r.audio.samples[0]), p,
            found_clicks / len(clicks), x.size / sr / dt)


def bench_dehum(x: np.ndarray, sr: int) -> list[tuple]:
    from core.audio import Audio
    from core.restore import dehum

    rows = []
    t = np.arange(x.size) / sr
    rms = np.sqrt(np.mean(x ** 2))
    for f0, level_db in ((50.0, -10.0), (60.0, -10.0), (50.0, -25.0), (60.0, -25.0)):
        hum = sum(np.sin(2 * np.pi * k * f0 * t + k) / k for k in range(1, 9))
        hum *= rms * 10 ** (level_db / 20) / np.sqrt(np.mean(hum ** 2))
        y = x + hum
        t0 = time.perf_counter()
        r = dehum(Audio(y[None].astype(np.float32), sr))
        dt = time.perf_counter() - t0
        rows.append((f"hum {f0:g} Hz + 7 harmonics, {level_db:g} dB", sdr(x, y), sdr(x, r.audio.samples[0]),
                     r.report.get("fundamental_hz"), x.size / sr / dt))
    return rows


def run_all() -> str:
    from bench_restore import machine

    lines = ["# Repair benchmarks: declip, declick, dehum", "",
             f"Machine: {machine()}; no GPU. Run: `.venv/bin/python "
             "tests/benchmarks/bench_repair.py --write`.", "",
             __doc__.split("\n\n", 1)[1].split("Run as a script")[0].strip(), ""]
    for name, (x, sr) in materials().items():
        lines += [f"## {name}, {x.size / sr:.1f} s", "",
                  "| damage | tool | SDR damaged (dB) | SDR repaired (dB) | precision | recall "
                  "| × real time |", "|---|---|---|---|---|---|---|"]
        for label, before, after, p, rc, speed in bench_declip(x, sr):
            lines.append(f"| {label} | declip | {before:.1f} | {after:.1f} | {p:.3f} | "
                         f"{rc:.3f} | {speed:.0f} |")
        label, before, after, p, rc, speed = bench_declick(x, sr)
        lines.append(f"| {label} | declick | {before:.1f} | {after:.1f} | {p:.3f} | {rc:.3f} "
                     f"| {speed:.0f} |")
        for label, before, after, f0, speed in bench_dehum(x, sr):
            lines.append(f"| {label} | dehum (found {f0} Hz) | {before:.1f} | {after:.1f} | — | "
                         f"— | {speed:.0f} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def test_repair_benchmark():
    """Prints the figures (benchmarks are read by people, not asserted on)."""
    text = run_all()
    print("\n" + text)
    if os.environ.get("RESONOTE_BENCH_WRITE"):
        DOC.write_text(text)


if __name__ == "__main__":
    out = run_all()
    print(out)
    if "--write" in sys.argv:
        DOC.write_text(out)
