"""Recording under load: dropped buffers, writer memory and meter latency on a real device.

Records 48 kHz stereo from the PulseAudio null sink's monitor (PortAudio device
"pulse") for ``RESONOTE_BENCH_RECORD_S`` seconds (default 60; the issue's long
run is 3600) while

* ``paplay`` plays tone bursts into the sink (1.2 s of silence, 0.3 s of a
  −6 dBFS 1 kHz tone, repeated),
* a "view" thread polls ``latest(0.5 s)`` and ``meters()`` at 30 Hz, as the
  live waveform/spectrogram and meters do,
* a probe thread polls ``meters()`` at 1 kHz to time each burst's onset.

Figures: overflows (dropped buffers), RSS growth of the process after the
first 5 s, the cost of ``latest``/``meters`` calls, and meter latency: from
the PortAudio capture (ADC) time of a burst's first sample to the moment the
meters first show it above −20 dBFS.

``RESONOTE_BENCH_RECORD_FORMAT=flac`` records FLAC (encoded in the writer
thread); ``RESONOTE_BENCH_RECORD_MONITOR=1`` monitors the input on the output
(a separate output stream fed from a second ring) at −40 dB.

Run: ``make bench`` or ``.venv/bin/python tests/benchmarks/bench_record.py``.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

SR = 48000
BURST_ON_S, BURST_OFF_S = 0.3, 1.2
ARM_DB = -26.0  # the peak meter falls 20 dB/s: below this it is ready for the next burst
THRESH_DB = -20.0


def _pattern(path: Path, seconds: float) -> None:
    t = np.arange(round(BURST_ON_S * SR)) / SR
    on = 0.5 * np.sin(2 * np.pi * 1000 * t)
    one = np.concatenate([np.zeros(round(BURST_OFF_S * SR)), on])
    x = np.tile(one, max(1, int(seconds / (BURST_ON_S + BURST_OFF_S)))).astype(np.float32)
    sf.write(str(path), np.stack([x, x], 1), SR, subtype="FLOAT")


def run_bench(sink, duration_s: float) -> dict:
    import psutil

    from core.record import Recorder

    proc = psutil.Process()
    work = Path(tempfile.mkdtemp(prefix="resonote-bench-record-"))
    pattern = work / "bursts.wav"
    _pattern(pattern, 10.0)
    stop = threading.Event()

    def player() -> None:  # loop the 10 s pattern for the whole run
        while not stop.is_set():
            p = subprocess.Popen(["paplay", "-d", sink.sink, "--latency-msec=10", str(pattern)])
            while p.poll() is None:
                if stop.wait(0.05):
                    p.kill()
            p.wait()

    fmt = os.environ.get("RESONOTE_BENCH_RECORD_FORMAT", "wav")
    monitor = os.environ.get("RESONOTE_BENCH_RECORD_MONITOR", "0") == "1"
    # monitoring at -40 dB: the null sink loops the output back into the input
    rec = Recorder(device=sink.device, sr=SR, channels=2, directory=work / "takes",
                   format=fmt, monitor=monitor, monitor_gain_db=-40.0)
    view_costs: list[float] = []
    detections: list[float] = []  # PortAudio time when the meter first showed a burst
    # (input frame, its ADC time) every view poll: onsets are placed in PortAudio time from
    # the nearest anchor, not projected from the take's start (over an hour the sample clock
    # and PortAudio's clock drift apart by hundreds of ms)
    anchors: list[tuple[int, float]] = []

    def view() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            rec.latest(SR // 2)
            rec.meters()
            view_costs.append(time.perf_counter() - t0)
            frame, adc, _ = rec.input_clock()
            if adc > 0:
                anchors.append((frame, adc))
            stop.wait(1 / 30)

    def probe() -> None:
        armed = False
        while not stop.is_set():
            m = rec.meters()
            level = float(m.peak_db.max())
            if level < ARM_DB:
                armed = True
            elif armed and level > THRESH_DB:
                detections.append(rec.input_clock()[2])
                armed = False
            time.sleep(0.001)

    rss: list[tuple[float, int]] = []
    cpu0 = proc.cpu_times()
    take = rec.start()
    t_start = time.monotonic()
    threads = [threading.Thread(target=f, daemon=True) for f in (player, view, probe)]
    for th in threads:
        th.start()
    while (elapsed := time.monotonic() - t_start) < duration_s:
        rss.append((elapsed, proc.memory_info().rss))
        time.sleep(min(1.0, duration_s - elapsed) if duration_s > elapsed else 0)
    take = rec.stop()
    cpu1 = proc.cpu_times()
    wall = time.monotonic() - t_start
    stop.set()
    for th in threads:
        th.join(timeout=5)
    rec.close()

    # Onsets in the take (first sample above threshold after ≥ 0.3 s below -40 dBFS).
    y, _ = sf.read(str(take.path), dtype="float32")
    env = np.abs(y).max(axis=1)
    above = np.flatnonzero(env > 10 ** (THRESH_DB / 20))
    onsets = [int(a) for i, a in enumerate(above)
              if i == 0 or a - above[i - 1] > 0.3 * SR]
    t0_adc = rec.take_start_adc_time
    anchor_frames = np.array([a[0] for a in anchors], np.int64)
    anchor_times = np.array([a[1] for a in anchors])
    # input frame index of the take's first frame, from the anchor nearest the start
    f0 = int(anchor_frames[0] + round((t0_adc - anchor_times[0]) * SR))
    latencies = []
    for k in onsets:
        i = int(np.clip(np.searchsorted(anchor_frames, f0 + k) - 1, 0, anchor_frames.size - 1))
        adc = float(anchor_times[i] + (f0 + k - anchor_frames[i]) / SR)
        later = [d for d in detections if d >= adc - 0.01]
        if later and later[0] - adc < 0.5:
            latencies.append(later[0] - adc)
    after5 = [r for t, r in rss if t >= 5.0] or [rss[-1][1]]
    result = {
        "duration_s": take.duration_s,
        "overflows": take.overflows,
        "input_overflows": take.input_overflows,
        "dropped_frames": take.dropped_frames,
        "rss_start_mb": after5[0] / 2**20,
        "rss_growth_mb": (max(after5) - after5[0]) / 2**20,
        "cpu_percent": 100 * (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall,
        "view_call_ms_median": 1e3 * statistics.median(view_costs),
        "view_call_ms_max": 1e3 * max(view_costs),
        "bursts": len(onsets),
        "timed": len(latencies),
        "latency_ms_median": 1e3 * statistics.median(latencies) if latencies else float("nan"),
        "latency_ms_p95": 1e3 * float(np.percentile(latencies, 95)) if latencies else float("nan"),
        "latency_ms_max": 1e3 * max(latencies) if latencies else float("nan"),
        "file_mb": take.path.stat().st_size / 2**20,
        "format": fmt,
        "monitor": monitor,
    }
    for p in (take.path, take.metadata_path, pattern):
        p.unlink(missing_ok=True)
    return result


def report(r: dict) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PulseAudio null sink via PortAudio ALSA 'pulse', blocksize 512, latency 'low'",
        f"recorded {r['duration_s']:.1f} s (48 kHz stereo, {r['format'].upper()}, "
        f"{r['file_mb']:.0f} MB), monitoring {'on' if r['monitor'] else 'off'}",
        f"overflows (dropped buffers): {r['overflows']} "
        f"(device {r['input_overflows']}, writer {r['dropped_frames']} frames)",
        f"RSS after 5 s: {r['rss_start_mb']:.0f} MB, growth after that: {r['rss_growth_mb']:.2f} MB",
        f"process CPU: {r['cpu_percent']:.1f} % of one core",
        f"latest(0.5 s)+meters() at 30 Hz: median {r['view_call_ms_median']:.3f} ms, "
        f"max {r['view_call_ms_max']:.2f} ms",
        f"meter latency over {r['timed']} of {r['bursts']} bursts (ADC time -> meter above {THRESH_DB:g} dBFS, "
        f"polled at 1 kHz): median {r['latency_ms_median']:.1f} ms, "
        f"p95 {r['latency_ms_p95']:.1f} ms, max {r['latency_ms_max']:.1f} ms",
    ]
    return "\n".join(lines)


def _duration() -> float:
    return float(os.environ.get("RESONOTE_BENCH_RECORD_S", "60"))


def test_record_benchmark(pulse_sink):
    r = run_bench(pulse_sink, _duration())
    print("\n" + report(r))
    assert r["duration_s"] > 0.9 * _duration()


if __name__ == "__main__":
    from audio_device import start_pulse, stop_pulse

    sink = start_pulse()
    try:
        print(report(run_bench(sink, _duration())))
    finally:
        stop_pulse(sink)
