"""Restoration benchmarks (``make bench``): denoise quality and every tool's speed.

1. Denoise quality: real recorded speech (``tests/data/arctic_a0007.wav`` and the
   LibriVox / pocketsphinx clips in ``tests/data/speech``, 16 kHz) after a 1 s pause,
   mixed at 0, 5 and 10 dB SNR with real recorded noise (restaurant babble, traffic,
   a pump, a river: field recordings fetched from Debian packages by
   ``noise_data.py``) and with seeded white and pink noise as a floor.  Each
   method (deepfilter, rnnoise, gate with the pause as noise profile) and the bare
   ``noisereduce`` library (same profile, at its own defaults: a full gate) is scored on
   the speech part with SI-SDR, PESQ (wideband, ``pesq``) and STOI (``pystoi``), as
   the mean over clips; "noisy" is the unprocessed input.
2. Speed: each tool on 20 s of 44.1 kHz stereo (speech with hum, clicks and noise),
   as a multiple of real time, beside the bare library it wraps where there is one.

Run as a script (``.venv/bin/python tests/benchmarks/bench_restore.py``, writes
docs/bench-restore.md with ``--write``) or under
``pytest tests/benchmarks -s -o python_files='bench_*.py'``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
sys.path.insert(0, str(ROOT))
import restore_data as rd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import noise_data as nd  # noqa: E402

SR = 16000
SNRS = (0.0, 5.0, 10.0)
NOISES = ("white", "pink", *nd.NOISES)
METHODS = ("deepfilter", "rnnoise", "gate", "noisereduce (bare)")
DOC = ROOT / "docs" / "bench-restore.md"


def speech_clips() -> dict[str, np.ndarray]:
    """Real speech clips at 16 kHz, peak 0.5 (the ARCTIC flac duplicates the wav: skipped)."""
    clips = {"arctic_a0007": rd.speech(SR)}
    for p in sorted((rd.DATA / "speech").glob("*.flac")):
        if p.stem == "cmu_arctic_a0007":
            continue
        x, sr = sf.read(p, dtype="float64")
        assert sr == SR
        clips[p.stem] = 0.5 * x / np.max(np.abs(x))
    return clips


def make_noise(kind: str, n: int, seed: int) -> np.ndarray:
    if kind == "white":
        return rd.white(n, seed)
    if kind == "pink":
        return rd.pink(n, seed)
    return nd.segment(kind, n, seed, SR)


def available_noises() -> tuple[list[str], dict[str, str]]:
    """The noises that can be used here, and why the others cannot."""
    ok, missing = [], {}
    for kind in NOISES:
        try:
            make_noise(kind, SR, 0)
            ok.append(kind)
        except nd.NoiseUnavailable as exc:
            missing[kind] = str(exc)
    return ok, missing


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    return (f"{cpu_name()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def _metrics(clean: np.ndarray, est: np.ndarray) -> tuple[float, float, float]:
    from pesq import pesq
    from pystoi import stoi

    return (rd.si_sdr(clean, est), float(pesq(SR, clean, est, "wb")),
            float(stoi(clean, est, SR, extended=False)))


def _denoise(method: str, noisy: np.ndarray) -> np.ndarray:
    if method == "noisereduce (bare)":
        import noisereduce

        return np.asarray(noisereduce.reduce_noise(y=noisy, sr=SR, y_noise=noisy[:SR],
                                                   stationary=True, n_fft=1024))
    from core.audio import Audio
    from core.restore.denoise import denoise

    r = denoise(Audio(noisy.astype(np.float32), SR), method=method, noise_profile=(0.0, 1.0))
    return r.audio.samples[0].astype(np.float64)


def denoise_quality() -> dict:
    """``{(noise, snr): {method: (si_sdr, pesq, stoi)}}``, means over the clips."""
    clips = speech_clips()
    noises, missing = available_noises()
    for kind, why in missing.items():
        print(f"noise {kind!r} left out: {why}", file=sys.stderr)
    sums: dict = {}
    for ci, (_name, s) in enumerate(clips.items()):
        clean = np.concatenate([np.zeros(SR), s])
        for ni, kind in enumerate(noises):
            noise = make_noise(kind, clean.size, seed=100 * ci + ni)
            for snr in SNRS:
                noisy = rd.mix_at_snr(clean, noise, snr)
                cell = sums.setdefault((kind, snr), {})
                outs = {"noisy": noisy}
                for m in METHODS:
                    outs[m] = _denoise(m, noisy)
                for m, y in outs.items():
                    vals = _metrics(s, y[SR:SR + s.size])
                    cell.setdefault(m, []).append(vals)
    return {k: {m: tuple(np.mean(v, axis=0)) for m, v in cell.items()}
            for k, cell in sums.items()}, len(clips), sum(c.size for c in clips.values()) / SR


def _speed_signal(seconds: float = 20.0, sr: int = 44100) -> np.ndarray:
    s = rd.speech(sr)
    x = np.tile(s, int(seconds * sr) // s.size + 1)[: int(seconds * sr)]
    t = np.arange(x.size) / sr
    x = x + 0.03 * np.sin(2 * np.pi * 50 * t) + 0.01 * rd.pink(x.size, 1)
    x[:: sr // 3] += 0.5  # clicks
    right = np.roll(x, 441) * 0.8
    return np.clip(np.stack([x, right]), -0.45, 0.45)  # and clipping


def _best_of(fn, runs: int = 2) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def speed(seconds: float = 20.0) -> list[tuple[str, float, str]]:
    """``[(tool, x real time, bare library comparison)]`` on 44.1 kHz stereo."""
    import noisereduce
    import pyloudnorm

    from core.audio import Audio
    from core.restore import (
        declick,
        declip,
        dehum,
        denoise,
        dereverb,
        measure_loudness,
        normalize_loudness,
    )

    sr = 44100
    x = _speed_signal(seconds, sr)
    a = Audio(x.astype(np.float32), sr)
    rows = []

    def bare_gate():
        for ch in x:
            noisereduce.reduce_noise(y=ch, sr=sr, y_noise=ch[:sr], stationary=True, n_fft=2048,
                                     use_tqdm=False, n_jobs=1)

    def bare_lufs():
        pyloudnorm.Meter(sr).integrated_loudness(x.T)

    def bare_wpe():  # the package's own STFT and default wpe, whole signal at once
        from nara_wpe.utils import istft, stft
        from nara_wpe.wpe import wpe

        Y = stft(x, size=1024, shift=256)
        istft(wpe(Y.transpose(2, 0, 1)).transpose(1, 2, 0), size=1024, shift=256)

    import ctypes

    import soxr

    from core.restore.denoise_deepfilter import UNLIMITED_DB
    from core.restore.denoise_deepfilter import _library as df_library
    from core.restore.denoise_rnnoise import _library
    from core.restore.loudness import _integrated

    x48_unit = [np.ascontiguousarray(soxr.resample(ch, sr, 48000), np.float32) for ch in x]
    x48 = [ch * np.float32(32768) for ch in x48_unit]

    p_t = ctypes.POINTER(ctypes.c_float)

    def frame_loop(channels, new_state, process, free):
        """A C denoiser frame by frame, channels one after the other, as a caller would."""
        out = np.empty(480, np.float32)
        po = out.ctypes.data_as(p_t)
        for ch in channels:
            st = new_state()
            base = ch.ctypes.data
            for i in range(0, ch.size - 479, 480):
                process(st, ctypes.cast(base + 4 * i, p_t), po)
            free(st)

    def bare_rnnoise():
        lib = _library()
        frame_loop(x48, lambda: lib.rnnoise_create(None),
                   lambda st, pi, po: lib.rnnoise_process_frame(st, po, pi), lib.rnnoise_destroy)

    def bare_deepfilter():
        lib, model = df_library()
        frame_loop(x48_unit, lambda: lib.df_create(model, ctypes.c_float(UNLIMITED_DB), None),
                   lib.df_process_frame, lib.df_free)

    jobs = [
        ("denoise deepfilter", lambda: denoise(a, method="deepfilter"),
         ("libdeepfilter frame loop (48 kHz input ready)", bare_deepfilter)),
        ("denoise rnnoise", lambda: denoise(a, method="rnnoise"),
         ("librnnoise frame loop (48 kHz input ready)", bare_rnnoise)),
        ("denoise gate", lambda: denoise(a, method="gate", noise_profile=(0.0, 1.0)),
         ("noisereduce.reduce_noise", bare_gate)),
        ("declip", lambda: declip(a), None),
        ("declick", lambda: declick(a), None),
        ("dehum (auto)", lambda: dehum(a), None),
        ("dereverb (WPE)", lambda: dereverb(a),
         ("nara_wpe stft + wpe (v7) + istft", bare_wpe)),
        ("loudness integrated only", lambda: _integrated(x, sr),
         ("pyloudnorm Meter.integrated_loudness", bare_lufs)),
        ("loudness measure (integrated, LRA, true peak)", lambda: measure_loudness(a), None),
        ("loudness normalise -14", lambda: normalize_loudness(a, target_lufs=-14), None),
    ]
    for name, fn, bare in jobs:
        fn()  # warm-up: library loading, caches
        t = _best_of(fn)
        note = ""
        if bare is not None:
            bare[1]()
            tb = _best_of(bare[1])
            note = f"{bare[0]}: {seconds / tb:.0f}x (ours {100 * (t / tb - 1):+.0f} %)"
        rows.append((name, seconds / t, note))
    return rows


def report(quality, n_clips: int, speech_s: float, rows) -> str:
    from importlib.metadata import version

    lines = ["# Restoration benchmarks", "",
             f"Machine: {machine()}; no GPU.",
             "Run: `.venv/bin/python tests/benchmarks/bench_restore.py --write` (or "
             "`.venv/bin/pytest tests/benchmarks/bench_restore.py -s -o "
             "python_files='bench_*.py'`).", "",
             "## Denoise: noisy vs restored speech", "",
             f"{n_clips} real speech clips ({speech_s:.0f} s: CMU ARCTIC a0007, five LibriVox "
             "clips, two pocketsphinx clips; 16 kHz) each after a 1 s pause, mixed at 0, 5 "
             "and 10 dB SNR with real recorded noise (a seeded stretch of each recording "
             "below) and with seeded white and pink (1/f) noise as a floor. `gate` and bare "
             f"`noisereduce` ({version('noisereduce')}, stationary, same profile, its default "
             "full gate; ours reduces by at most 12 dB) learn the "
             "noise from the pause; the neural methods get no profile. Scores on the speech "
             "part, mean over the clips: SI-SDR (dB), PESQ wideband (1–4.5), STOI (0–1).",
             "", "| noise | recording | source (licence) |", "|---|---|---|"]
    lines += [f"| {n.key} | {n.description} | Debian `{n.package}`: `{n.member}`"
              f"{' → ' + n.inner if n.inner else ''}; {n.credit} |" for n in nd.NOISES.values()]
    lines += ["", "| noise | SNR | method | SI-SDR | PESQ-wb | STOI |", "|---|---|---|---|---|---|"]
    for (kind, snr), cell in quality.items():
        for m in ("noisy", *METHODS):
            s, p, o = cell[m]
            mark = ""
            if m != "noisy":
                n = cell["noisy"]
                mark = " ✓" if s > n[0] and p > n[1] and o > n[2] else " ✗"
            lines.append(f"| {kind} | {snr:g} dB | {m}{mark} | {s:.2f} | {p:.2f} | {o:.3f} |")
    lines += ["", "✓: every metric better than the noisy input; ✗: at least one is not.", "",
              "## Speed (44.1 kHz stereo, 20 s of speech with hum, clicks, clipping, noise)",
              "", "Best of 2 runs after a warm-up; × real time = audio seconds per second of "
              "work.", "", "| tool | × real time | bare library |", "|---|---|---|"]
    for name, rtf, note in rows:
        lines.append(f"| {name} | {rtf:.1f} | {note} |")
    return "\n".join(lines) + "\n"


def run_all() -> str:
    quality, n, speech_s = denoise_quality()
    rows = speed()
    return report(quality, n, speech_s, rows)


def test_restore_benchmark():
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
