"""Playback speed: cost of the real-time stretcher vs librosa's offline time stretch.

The same 60 s of stereo music-like audio at 44.1 kHz (a chord progression with
harmonics, a bass line and noise-burst "drums") is stretched at 0.5x, 0.75x,
1.0x, 1.5x and 2x

* by :class:`core.playback.stretch.TimeStretcher`, block by block as the
  player's feeder does it: push 1024-frame input blocks, pull 1024-frame output
  blocks (the device's block size) -- per-block times give the worst case
  against the block's real-time budget (23.2 ms);
* by the player's whole feed (:class:`core.playback.feed.Feed`: mixer + stretcher);
* by ``librosa.effects.time_stretch`` on the whole buffer (phase vocoder,
  offline; the number it cannot give is a per-block cost).

Real-time factor (RTF) = processing time / duration of the audio produced
(below 1 is faster than real time; the player needs well below 1 per block).

Run: ``make bench`` or ``.venv/bin/python tests/benchmarks/bench_stretch.py``
(``RESONOTE_BENCH_STRETCH_S`` changes the 60 s).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SR = 44100
BLOCK = 1024
RATES = (0.5, 0.75, 1.0, 1.5, 2.0)


def music(seconds: float) -> np.ndarray:
    """Stereo test music [shape=(2, n), float32]: chords, bass, noise-burst drums."""
    n = round(seconds * SR)
    t = np.arange(n) / SR
    rng = np.random.default_rng(0)
    chords = ((261.63, 329.63, 392.0), (220.0, 261.63, 329.63), (174.61, 220.0, 261.63),
              (196.0, 246.94, 293.66))
    left = np.zeros(n)
    right = np.zeros(n)
    bar = 2.0
    for i in range(int(np.ceil(seconds / bar))):
        a, b = round(i * bar * SR), min(n, round((i + 1) * bar * SR))
        tt = t[a:b] - t[a]
        env = np.exp(-1.5 * tt)
        notes = chords[i % len(chords)]
        for k, f in enumerate(notes):
            tone = sum(np.sin(2 * np.pi * f * h * tt) / h for h in (1, 2, 3))
            (left if k % 2 == 0 else right)[a:b] += 0.12 * env * tone
        bass = 0.25 * np.sin(2 * np.pi * notes[0] / 2 * tt)
        left[a:b] += bass
        right[a:b] += bass
    beat = round(0.5 * SR)
    hit = rng.standard_normal(round(0.05 * SR)) * np.exp(-np.arange(round(0.05 * SR)) / 300)
    for a in range(0, n - len(hit), beat):
        left[a : a + len(hit)] += 0.2 * hit
        right[a : a + len(hit)] += 0.15 * hit
    return np.stack([left, right]).astype(np.float32)


def bench_streaming(x: np.ndarray, rate: float) -> dict:
    from core.playback.stretch import TimeStretcher

    st = TimeStretcher(2, SR, rate=rate)
    out = np.empty((2, BLOCK), np.float32)
    fed = 0
    times = []
    produced = 0
    n_out = int(x.shape[1] / rate) - 4 * BLOCK
    while produced < n_out:
        t0 = time.perf_counter()
        got = st.pull(out)
        while got < BLOCK:
            st.push(x[:, fed : fed + BLOCK])
            fed += BLOCK
            got += st.pull(out[:, got:])
        times.append(time.perf_counter() - t0)
        produced += BLOCK
    return _summary(np.array(times), produced)


def bench_feed(x: np.ndarray, rate: float) -> dict:
    from core.audio import Audio
    from core.playback import Mixer, PlaySource
    from core.playback.feed import Feed

    m = Mixer(sr=SR, channels=2, blocksize=BLOCK)
    m.set_tracks(m.prepare([PlaySource("music", Audio(x, SR))]))
    feed = Feed(m, history_blocks=12)
    feed.rate = rate
    out = np.empty((2, BLOCK), np.float32)
    times = []
    produced = 0
    while True:
        t0 = time.perf_counter()
        _, _, ended = feed.render(out)
        feed.snapshot()
        times.append(time.perf_counter() - t0)
        produced += BLOCK
        if ended:
            break
    return _summary(np.array(times), produced)


def _summary(times: np.ndarray, produced: int) -> dict:
    budget = BLOCK / SR
    return {
        "rtf": float(times.sum() / (produced / SR)),
        "mean_ms": float(times.mean() * 1e3),
        "p99_ms": float(np.percentile(times, 99) * 1e3),
        "max_ms": float(times.max() * 1e3),
        "worst_share": float(times.max() / budget),
    }


def bench_librosa(x: np.ndarray, rate: float) -> dict:
    import librosa

    t0 = time.perf_counter()
    y = librosa.effects.time_stretch(x, rate=rate)
    dt = time.perf_counter() - t0
    return {"rtf": dt / (y.shape[-1] / SR), "total_s": dt}


def run(seconds: float) -> list[dict]:
    import librosa

    x = music(seconds)
    librosa.effects.time_stretch(x[:, :SR], rate=0.5)  # warm-up: imports, FFT plans
    bench_streaming(x[:, : 2 * SR], 0.75)
    rows = []
    for rate in RATES:
        t0 = time.perf_counter()
        s = bench_streaming(x, rate)
        s_total = time.perf_counter() - t0
        f = bench_feed(x, rate)
        lib = bench_librosa(x, rate)
        rows.append({"rate": rate, "stream": s, "stream_total_s": s_total, "feed": f, "librosa": lib})
    return rows


def report(rows: list[dict], seconds: float) -> str:
    lines = [
        f"Time stretch of {seconds:g} s stereo 44.1 kHz music, {BLOCK}-frame blocks "
        f"(budget {BLOCK / SR * 1e3:.1f} ms per block); {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs",
        "",
        "| rate | stretcher RTF | per block mean / p99 / max ms | feed (mix+stretch) RTF "
        "| feed max ms | librosa RTF (whole buffer) | librosa total s | speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s, f, lib = r["stream"], r["feed"], r["librosa"]
        lines.append(
            f"| {r['rate']:g}x | {s['rtf']:.4f} | {s['mean_ms']:.3f} / {s['p99_ms']:.3f} / "
            f"{s['max_ms']:.2f} | {f['rtf']:.4f} | {f['max_ms']:.2f} | {lib['rtf']:.4f} | "
            f"{lib['total_s']:.2f} | {lib['rtf'] / s['rtf']:.1f}x |"
        )
    return "\n".join(lines)


def test_stretch_benchmark():
    seconds = float(os.environ.get("RESONOTE_BENCH_STRETCH_S", "60"))
    print("\n" + report(run(seconds), seconds))


if __name__ == "__main__":
    secs = float(os.environ.get("RESONOTE_BENCH_STRETCH_S", "60"))
    print(report(run(secs), secs))
