"""Codec benchmark (``make bench``): Opus vs EnCodec at the same bitrates.

1. Quality: SI-SDR (dB) of Opus (libopus via PyAV) at EnCodec's bitrates and
   above, on 8 s of General MIDI music (lead, chords, bass, drums rendered with
   tinysoundfont, as in bench_separate) and on a speech-like vowel glide.
2. Speed: EnCodec 24 kHz through the real loader, with **randomly initialised
   weights of the published architecture** (``EncodecConfig()`` defaults: the
   same layers and codebooks as facebook/encodec_24khz), so its speed is the
   real model's; its SI-SDR is meaningless and is not reported.  The published
   weights cannot be downloaded on the benchmark machine (no network); with them
   installed (``resonote models download encodec-24khz``) set
   ``RESONOTE_BENCH_ENCODEC_REAL=1`` to add their SI-SDR.

Writes docs/bench-codec.md.  Run:
``.venv/bin/pytest tests/benchmarks/bench_codec.py -s -o python_files='bench_*.py'``.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "docs"  # bench-codec.md sits with the other benchmark write-ups
SR = 44100
RATES = (1.5, 3.0, 6.0, 12.0, 24.0)
OPUS_EXTRA = (48.0, 64.0)


def _music(seconds: float) -> np.ndarray:
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from bench_separate import song_parts

        parts = song_parts(seconds)
        mix = sum(parts.values())
    finally:
        sys.path.pop(0)
    mix = np.asarray(mix, dtype=np.float32)
    return (0.8 * mix / max(1e-6, float(np.max(np.abs(mix))))).astype(np.float32)


def _speechlike(seconds: float) -> np.ndarray:
    """A glottal pulse train through moving formants: a sung vowel glide (mono)."""
    from scipy.signal import lfilter

    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.5 * t)
    phase = np.cumsum(f0 / SR)
    src = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
    y = np.zeros(n)
    for k0 in range(0, n, 2048):
        k1 = min(n, k0 + 2048)
        mid = (k0 + k1) / 2 / SR
        seg = src[k0:k1]
        for f, bw in ((500 + 300 * np.sin(mid), 80), (1500 + 400 * np.cos(mid), 120),
                      (2500, 160)):
            r = np.exp(-np.pi * bw / SR)
            a = [1, -2 * r * np.cos(2 * np.pi * f / SR), r * r]
            seg = lfilter([1 - r], a, seg)
        y[k0:k1] = seg
    y *= 0.5 / np.max(np.abs(y))
    return y[None].astype(np.float32)


def _x_realtime(seconds_audio: float, seconds_wall: float) -> str:
    return f"{seconds_audio / seconds_wall:.1f}x"


def test_bench_codec():
    from core import models
    from core.audio import Audio
    from core.codec import roundtrip
    from core.tagging.testing import install_as_downloaded

    seconds = float(os.environ.get("RESONOTE_BENCH_CODEC_S", "8"))
    clips = {"music (stereo, GM)": Audio(_music(seconds), SR),
             "vowel glide (mono)": Audio(_speechlike(seconds), SR)}
    lines = ["# Codec benchmark", "",
             f"Machine: {platform.machine()} CPU, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}; {seconds:g} s clips at 44.1 kHz.", "",
             "## Opus (libopus via PyAV): SI-SDR against the original", "",
             "| clip | kbps/ch | actual kbps/ch | SI-SDR dB | speed |", "|---|---|---|---|---|"]
    for name, clip in clips.items():
        for kbps in RATES + OPUS_EXTRA:
            r = roundtrip(clip, codec="opus", kbps=kbps)
            lines.append(f"| {name} | {kbps:g} | {r.actual_kbps:.2f} | {r.si_sdr_db:.1f} | "
                         f"{_x_realtime(clip.duration_s, r.seconds)} |")
            print(lines[-1])

    lines += ["", "## EnCodec 24 kHz: speed (random weights of the published architecture)",
              "", "Wall-clock speed depends on what else runs on the machine; CPU seconds per "
              "second of audio (all threads) is the steadier figure.", "",
              "| clip | kbps/ch | codebooks | speed (wall, encode+decode) | CPU s per audio s |",
              "|---|---|---|---|---|"]
    old_cache = os.environ.get("RESONOTE_CACHE_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RESONOTE_CACHE_DIR"] = str(Path(tmp) / "cache")
        import torch
        from transformers import EncodecConfig, EncodecModel

        torch.manual_seed(0)
        folder = Path(tmp) / "encodec-full-random"
        EncodecModel(EncodecConfig()).eval().save_pretrained(str(folder))
        install_as_downloaded("encodec-bench-random", folder, task="codec")
        try:
            clip = clips["vowel glide (mono)"]  # one channel: per-channel speed
            for name in ("vowel glide (mono)",):
                for kbps in (1.5, 6.0, 24.0):
                    cpu0 = time.process_time()
                    r = roundtrip(clip, codec="encodec", kbps=kbps, model="encodec-bench-random")
                    cpu = time.process_time() - cpu0
                    lines.append(f"| {name} | {kbps:g} | {r.details['codebooks']} | "
                                 f"{_x_realtime(clip.duration_s, r.seconds)} | "
                                 f"{cpu / clip.duration_s:.2f} |")
                    print(lines[-1])
        finally:
            models.unregister("encodec-bench-random")
            if old_cache is None:
                os.environ.pop("RESONOTE_CACHE_DIR", None)
            else:
                os.environ["RESONOTE_CACHE_DIR"] = old_cache
    if os.environ.get("RESONOTE_BENCH_ENCODEC_REAL") == "1":
        lines += ["", "## EnCodec 24 kHz, published weights: SI-SDR", "",
                  "| clip | kbps/ch | SI-SDR dB |", "|---|---|---|"]
        for name, clip in clips.items():
            for kbps in RATES:
                r = roundtrip(clip, codec="encodec", kbps=kbps)
                lines.append(f"| {name} | {kbps:g} | {r.si_sdr_db:.1f} |")
    else:
        lines += ["", "EnCodec's published weights (facebook/encodec_24khz) could not be "
                  "downloaded on this machine (no network), so its SI-SDR is not measured "
                  "here; set RESONOTE_BENCH_ENCODEC_REAL=1 with the model installed."]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "bench-codec.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")
    assert out.stat().st_size > 0
