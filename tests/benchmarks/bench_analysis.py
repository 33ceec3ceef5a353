"""Analysis speed: spectrogram throughput vs scipy/librosa, and opening a 60-minute file.

Run: ``make bench`` (all benchmarks) or ``.venv/bin/python tests/benchmarks/bench_analysis.py``.
Test audio is generated once into ``.bench/`` (git-ignored).  Timings are the best
of several runs after a warm-up (the minimum is the least disturbed by other
processes); they are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench"
SR = 44100
N_FFT, HOP, TOP_DB = 2048, 512, 120.0


def make_file(name: str, minutes: int, sr: int = SR) -> Path:
    """A stereo 16-bit WAV (tones, a glide and noise), written once into .bench/."""
    path = CACHE / name
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(sr * 60) / sr
    tmp = path.with_suffix(".part.wav")
    with sf.SoundFile(tmp, "w", sr, 2, subtype="PCM_16", format="WAV") as f:
        for i in range(minutes):
            x = 0.3 * np.sin(2 * np.pi * (220 + 5 * i) * t) + 0.05 * rng.standard_normal(t.size)
            f.write(np.stack([x, 0.8 * x], 1).astype(np.float32))
    tmp.rename(path)
    return path


def machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{os.cpu_count()}-core {platform.machine()} ({platform.processor() or 'cpu'}), "
            f"{gpu}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"numpy {np.__version__}")


def _cpu_s() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def best_of(fn, runs: int) -> tuple[float, float, float, object]:
    """(min, median) wall seconds and min CPU seconds over ``runs`` calls after one
    warm-up, and the last result.  CPU seconds (all threads) are less disturbed by
    other processes than wall time."""
    out = fn()
    times, cpus = [], []
    for _ in range(runs):
        c = _cpu_s()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        cpus.append(_cpu_s() - c)
    return min(times), float(np.median(times)), min(cpus), out


# ------------------------------------------------------------------ spectrogram
def ours(x):
    from core.analysis import spectrogram

    return spectrogram(x, SR, n_fft=N_FFT, hop_length=HOP, top_db=TOP_DB, device="cpu").values


def with_scipy(x):
    import scipy.signal

    # boundary="even" is reflect padding, like center=True; same frames as ours.
    _, _, z = scipy.signal.stft(x, fs=SR, window="hann", nperseg=N_FFT, noverlap=N_FFT - HOP,
                                boundary="even", padded=False, axis=-1)
    p = (z.real ** 2 + z.imag ** 2).mean(axis=0) * 4  # scipy divides by sum(w); ours 2/sum(w)
    np.maximum(p, 1e-20, out=p)
    db = 10 * np.log10(p)
    return np.maximum(db, db.max() - TOP_DB)


def with_librosa(x):
    import librosa

    s = librosa.stft(x, n_fft=N_FFT, hop_length=HOP, window="hann", center=True,
                     pad_mode="reflect")
    p = (np.abs(s) ** 2).mean(axis=0)
    p *= np.float32((2 / (N_FFT / 2)) ** 2)  # same level convention as ours (sum(hann) = n/2)
    return librosa.power_to_db(p, ref=1.0, amin=1e-20, top_db=TOP_DB)


def with_numpy(x):
    """Hand-written float32 numpy (pocketfft, one thread): the plain-numpy floor."""
    from numpy.lib.stride_tricks import sliding_window_view

    w = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    w *= np.float32(2 / w.sum())
    xp = np.pad(x, ((0, 0), (N_FFT // 2, N_FFT // 2)), mode="reflect")
    frames = sliding_window_view(xp, N_FFT, axis=1)[:, ::HOP]
    nfr = frames.shape[1]
    out = np.empty((N_FFT // 2 + 1, nfr), np.float32)
    for a in range(0, nfr, 256):
        s = np.fft.rfft(frames[:, a:a + 256] * w, axis=-1)
        p = (s.real ** 2 + s.imag ** 2).mean(axis=0)
        out[:, a:a + 256] = p.T
    np.maximum(out, 1e-20, out=out)
    np.log10(out, out=out)
    out *= 10
    return np.maximum(out, out.max() - TOP_DB, out=out)


def bench_spectrogram(minutes: int = 10) -> list[dict]:
    from core.audio import load

    path = make_file(f"stereo{minutes}.wav", minutes)
    x = load(path).samples
    rows = []
    ref = None
    for name, fn, runs in [("resonote spectrogram (torch)", ours, 5),
                           ("scipy.signal.stft + dB", with_scipy, 2),
                           ("librosa.stft + power_to_db", with_librosa, 2),
                           ("numpy rfft float32 (hand-written)", with_numpy, 2)]:
        tmin, tmed, cpu, val = best_of(lambda f=fn: f(x), runs)
        if ref is None:
            ref = val
            diff = 0.0
        else:
            # Same frames, same bins; compare where there is signal (the noise
            # floor of float32 FFTs differs between libraries).
            assert val.shape == ref.shape, (name, val.shape, ref.shape)
            loud = ref > ref.max() - 80
            diff = float(np.abs(val[loud] - ref[loud]).max())
        rows.append({"method": name, "best_s": tmin, "median_s": tmed, "cpu_s": cpu,
                     "shape": list(val.shape), "max_diff_db": diff,
                     "x_realtime": minutes * 60 / tmin})
    return rows


# ------------------------------------------------------------------ opening
_OPEN_CHILD = r"""
import json, resource, sys, time, gc
import numpy as np
path, mode, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
from core.audio import load
from core.analysis import MinMaxPyramid, SpectrogramLOD
from core.analysis.open_fast import open_for_view

def status(key):
    # VmHWM/VmRSS of this process (ru_maxrss would include the parent's peak: it
    # survives fork+exec).
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

base_rss = status("VmRSS")
times, peaks, cpus = [], [], []

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

for _ in range(runs):
    gc.collect()
    reset_peak()
    c = cpu()
    t = time.perf_counter()
    if mode == "standard":
        audio = load(path)
        pyr = MinMaxPyramid.from_samples(audio.samples)
        ov = SpectrogramLOD(audio.samples, audio.sr).overview(2048)
    else:
        opened = open_for_view(path)
        audio, ov = opened.audio, opened.overview
    times.append(time.perf_counter() - t)
    cpus.append(cpu() - c)
    peaks.append(status("VmHWM"))
    nbytes = audio.samples.nbytes
    shape = ov.values.shape
    del audio, ov
    opened = pyr = None
    gc.collect()
print(json.dumps({"times": times, "cpu": cpus, "peak_rss": max(peaks),
                  "base_rss": base_rss, "audio_bytes": nbytes, "overview": list(shape),
                  "torch_loaded": "torch" in sys.modules}))
"""


def bench_open(minutes: int = 60, runs: int = 4) -> list[dict]:
    path = make_file(f"stereo{minutes}.wav", minutes)
    rows = []
    for mode, label in [("standard", "core.audio.load + pyramid + overview"),
                        ("fast", "open_for_view (threaded WAV reader)")]:
        r = subprocess.run([sys.executable, "-c", _OPEN_CHILD, str(path), mode, str(runs)],
                           cwd=ROOT, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        first, rest = d["times"][0], d["times"][1:] or d["times"]
        rows.append({"method": label, "first_s": first, "best_s": min(rest),
                     "cpu_s": float(np.median(d["cpu"][1:] or d["cpu"])),
                     "median_s": float(np.median(rest)), "peak_rss_mb": d["peak_rss"] / 2**20,
                     "audio_mb": d["audio_bytes"] / 2**20,
                     "over_audio_mb": (d["peak_rss"] - d["audio_bytes"]) / 2**20,
                     "base_rss_mb": d["base_rss"] / 2**20, "torch_loaded": d["torch_loaded"]})
    return rows


def report(spec_rows, open_rows) -> str:
    lines = [f"Machine: {machine()}", "",
             "Spectrogram, 10-min stereo 44.1 kHz, n_fft 2048, hop 512, power dB, all channels",
             f"{'method':<36} {'best s':>7} {'median s':>9} {'CPU s':>6} {'x realtime':>10} "
             f"{'max dB diff':>11}"]
    for r in spec_rows:
        lines.append(f"{r['method']:<36} {r['best_s']:7.2f} {r['median_s']:9.2f} "
                     f"{r['cpu_s']:6.2f} {r['x_realtime']:10.0f} {r['max_diff_db']:11.4f}")
    ours_t = spec_rows[0]["best_s"]
    ref_t = min(r["best_s"] for r in spec_rows[1:3])
    lines.append(f"speed-up over the faster of scipy/librosa: {ref_t / ours_t:.1f}x")
    lines += ["", "Open 60-min stereo 44.1 kHz 16-bit WAV -> samples + pyramid + overview (2048 cols)",
              f"{'method':<40} {'1st s':>6} {'best s':>7} {'median s':>8} {'CPU s':>6} "
              f"{'peak RSS MB':>11} {'RSS-audio MB':>12}"]
    for r in open_rows:
        lines.append(f"{r['method']:<40} {r['first_s']:6.2f} {r['best_s']:7.2f} "
                     f"{r['median_s']:8.2f} {r['cpu_s']:6.2f} {r['peak_rss_mb']:11.0f} "
                     f"{r['over_audio_mb']:12.0f}")
    lines.append("(CPU s: user+system seconds of all threads; wall time on 2 idle cores is"
                 " about CPU s / 2 for the threaded reader)")
    return "\n".join(lines)


def test_analysis_benchmarks():
    print(f"\nload average before: {os.getloadavg()}")
    spec_rows = bench_spectrogram()
    open_rows = bench_open()
    text = report(spec_rows, open_rows)
    print("\n" + text + f"\nload average after: {os.getloadavg()}")
    CACHE.mkdir(exist_ok=True)
    (CACHE / "bench_analysis.json").write_text(json.dumps(
        {"machine": machine(), "spectrogram": spec_rows, "open": open_rows}, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    test_analysis_benchmarks()
