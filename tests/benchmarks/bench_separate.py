"""Separation benchmarks (``make bench``): SDR of the embedded methods, speed vs Demucs.

1. SDR per stem (fast_bss_eval) for hpss / repet / midside on a song with known
   stems: four General MIDI parts (lead, chords, bass, drums) rendered one by
   one through a SoundFont (tinysoundfont + pretty_midi's TimGM6mb.sf2).
2. Speed and peak memory: a randomly initialised full-size htdemucs saved like
   the published file; ``resonote separate`` vs ``python -m demucs.separate``
   on the same song, each in a fresh process, plus the largest output difference.

Run: ``.venv/bin/pytest tests/benchmarks/bench_separate.py -s -o python_files='bench_*.py'``.
``RESONOTE_BENCH_SEPARATE_S`` sets the song length for part 2 (default 60).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
SR = 44100


def _render(notes, program: int, drums: bool, seconds: float, path: Path) -> np.ndarray:
    import pretty_midi
    import tinysoundfont

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=program, is_drum=drums)
    for pitch, start, end, vel in notes:
        inst.notes.append(pretty_midi.Note(velocity=vel, pitch=pitch, start=start, end=end))
    pm.instruments.append(inst)
    mid = path.with_suffix(".mid")
    pm.write(str(mid))
    synth = tinysoundfont.Synth(samplerate=SR)
    sf2 = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    synth.sfload(str(sf2))
    seq = tinysoundfont.Sequencer(synth)
    seq.midi_load(str(mid))
    n = int(seconds * SR)
    buf = np.frombuffer(synth.generate(n), dtype=np.float32).reshape(-1, 2)
    return buf.T.copy()


def song_parts(seconds: float = 16.0, seed: int = 0) -> dict:
    """lead (through-composed), chords, bass, drums (a repeating 2 s bar), stereo 44.1 kHz."""
    rng = np.random.default_rng(seed)
    bar = 2.0
    prog = [(57, 60, 64), (53, 57, 60), (55, 59, 62), (52, 55, 59)]  # Am F G Em
    chords, bass, drums, lead = [], [], [], []
    t = 0.0
    k = 0
    while t < seconds:
        c = prog[k % 4]
        chords += [(p, t, t + bar, 70) for p in c]
        bass += [(c[0] - 24, t + i * 0.5, t + i * 0.5 + 0.45, 90) for i in range(4)]
        for i in range(8):
            drums.append((42, t + i * 0.25, t + i * 0.25 + 0.1, 80))
        drums += [(36, t, t + 0.1, 110), (38, t + 0.5, t + 0.6, 100),
                  (36, t + 1.0, t + 1.1, 110), (38, t + 1.5, t + 1.6, 100)]
        t += bar
        k += 1
    t = 0.25
    scale = [69, 71, 72, 74, 76, 77, 79, 81]
    while t < seconds - 0.5:
        d = float(rng.choice([0.25, 0.5, 0.75]))
        lead.append((int(rng.choice(scale)), t, t + d * 0.95, 100))
        t += d
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        parts = {
            "lead": _render(lead, 73, False, seconds, tmp / "lead"),  # flute
            "chords": _render(chords, 0, False, seconds, tmp / "chords"),  # piano
            "bass": _render(bass, 33, False, seconds, tmp / "bass"),
            "drums": _render(drums, 0, True, seconds, tmp / "drums"),
        }
    # pan: lead centre, chords wide
    parts["chords"] = parts["chords"] * np.array([[1.0], [0.35]], np.float32)
    return parts


def _sdr(ref, est) -> float:
    import fast_bss_eval

    return float(np.mean(fast_bss_eval.sdr(ref[:, None].astype(np.float64),
                                           est[:, None].astype(np.float64))))


def test_sdr_of_embedded_methods():
    from core.audio import Audio
    from core.separate import separate

    parts = song_parts()
    mix = sum(parts.values())
    refs = {
        "hpss": {"harmonic": parts["lead"] + parts["chords"] + parts["bass"],
                 "percussive": parts["drums"]},
        "repet": {"vocals": parts["lead"],
                  "accompaniment": parts["chords"] + parts["bass"] + parts["drums"]},
        "midside": {"center": parts["lead"] + parts["bass"] + parts["drums"],
                    "sides": parts["chords"]},
    }
    lines = ["| method | stem | SDR of stem (dB) | SDR of the mix as estimate (dB) | "
             "improvement | time (s) |", "|---|---|---|---|---|---|"]
    for method, ref in refs.items():
        t0 = time.perf_counter()
        r = separate(Audio(mix, SR), model=method)
        dt = time.perf_counter() - t0
        for stem, target in ref.items():
            est = r.stems[stem].samples
            a, b = _sdr(target, est), _sdr(target, mix)
            lines.append(f"| {method} | {stem} | {a:.1f} | {b:.1f} | {a - b:+.1f} | {dt:.1f} |")
    print("\n" + "\n".join(lines))


_OURS = textwrap.dedent("""
    import importlib, sys
    from core import models
    from core.models import FileSpec, ModelSpec
    cli = importlib.import_module("core.cli.main")
    folder, name = sys.argv[1], sys.argv[2]
    models.register(ModelSpec(name="bench-htdemucs", task="separation", description="bench",
        source="bundled", licence="MIT", loader="demucs-pickle", resource_dir="bench",
        files=(FileSpec(name),)))
    sys.exit(cli.main(sys.argv[3:]))
""")


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _run_measured(cmd, env) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one child process.

    The peak is the child's own VmHWM (the high-water mark of the memory of the program
    it runs), polled every 10 ms until it exits; it is monotonic, so only the last few
    milliseconds can be missed.  Not ``wait4``'s ``ru_maxrss``: Linux carries the
    *parent's* high-water mark into a child across fork/exec, so a big test process made
    every child look as big as itself (a 10-minute run read 1046 MB, 825 MB measured so).
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    err = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _vm_hwm_kb(proc.pid))
        time.sleep(0.01)
    dt = time.perf_counter() - t0
    reader.join(timeout=10)
    assert proc.returncode == 0, b"".join(err).decode(errors="replace")[-2000:]
    return dt, peak / 1024


def test_speed_vs_demucs_cli(tmp_path):
    from core.separate.testing import FULL, make_htdemucs, save_package

    seconds = float(os.environ.get("RESONOTE_BENCH_SEPARATE_S", "60"))
    res = tmp_path / "resources" / "bench"
    path = save_package(make_htdemucs(**FULL), res, "b3nch000")
    reps = int(np.ceil(seconds / 16))
    parts = song_parts(16.0)
    mix = np.tile(sum(parts.values()), reps)[:, : int(seconds * SR)]
    song = tmp_path / "song.wav"
    sf.write(song, mix.T, SR, subtype="FLOAT")
    env = dict(os.environ, RESONOTE_RESOURCES_DIR=str(tmp_path / "resources"),
               RESONOTE_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    runner = tmp_path / "ours.py"
    runner.write_text(_OURS)
    py = sys.executable
    # convert once (what a user's first run does), then time a normal run
    _run_measured([py, str(runner), str(res), path.name, "separate", str(song), "-o",
                   str(tmp_path / "warm"), "-m", "bench-htdemucs", "--preview", "1"], env)
    ours_t, ours_mb = _run_measured(
        [py, str(runner), str(res), path.name, "separate", str(song), "-o",
         str(tmp_path / "ours"), "-m", "bench-htdemucs", "--bits", "32f", "--device", "cpu"], env)
    theirs_t, theirs_mb = _run_measured(
        [py, "-m", "demucs.separate", "-n", "b3nch000", "--repo", str(res), "--shifts", "0",
         "--float32", "--clip-mode", "none", "-d", "cpu", "-o", str(tmp_path / "demucs"),
         str(song)], env)
    diffs = []
    for stem in ("drums", "bass", "other", "vocals"):
        a, _ = sf.read(tmp_path / "ours" / f"song.{stem}.wav", always_2d=True)
        b, _ = sf.read(tmp_path / "demucs" / "b3nch000" / "song" / f"{stem}.wav",
                       always_2d=True)
        diffs.append(float(np.max(np.abs(a - b))))
    dc = float(mix.mean(axis=0).mean())
    print(f"\nhtdemucs (random weights, 41.5M params) on {seconds:.0f} s stereo 44.1 kHz, CPU:\n"
          f"| | wall time (s) | peak RSS (MB) |\n|---|---|---|\n"
          f"| resonote separate | {ours_t:.1f} | {ours_mb:.0f} |\n"
          f"| python -m demucs.separate | {theirs_t:.1f} | {theirs_mb:.0f} |\n"
          f"ratio ours/demucs: time {ours_t / theirs_t:.2f}x, memory {ours_mb / theirs_mb:.2f}x\n"
          f"max |ours - demucs| per stem: {', '.join(f'{d:.2e}' for d in diffs)} "
          f"(mix DC offset {dc:.1e})")


def test_peak_memory_flat_in_song_length(tmp_path):
    """Peak RSS of `resonote separate` on a 2- and a 10-minute song (tiled rendered parts):
    the same chunked pipeline as with real weights, run with a tiny random htdemucs (the
    network's size adds the same constant to both) and with the embedded HPSS method."""
    from core.separate.testing import TINY, make_htdemucs, save_package

    res = tmp_path / "resources" / "bench"
    path = save_package(make_htdemucs(**TINY), res, "t1ny0000")
    env = dict(os.environ, RESONOTE_RESOURCES_DIR=str(tmp_path / "resources"),
               RESONOTE_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    runner = tmp_path / "ours.py"
    runner.write_text(_OURS)
    base = sum(song_parts(16.0).values())
    rows = []
    for minutes in (2, 10):
        n = minutes * 60 * SR
        song = tmp_path / f"song{minutes}.wav"
        sf.write(song, np.tile(base, int(np.ceil(n / base.shape[1])))[:, :n].T, SR,
                 subtype="PCM_16")
        audio_mb = 2 * n * 4 / 2**20  # the decoded float32 audio
        for label, extra in (("tiny htdemucs", ["-m", "bench-htdemucs", "--device", "cpu"]),
                             ("hpss", ["-m", "hpss"])):
            out = tmp_path / f"out-{label.split()[-1]}-{minutes}"
            dt, mb = _run_measured([sys.executable, str(runner), str(res), path.name,
                                    "separate", str(song), "-o", str(out), *extra], env)
            rows.append((label, minutes, dt, mb, audio_mb))
    print("\n| method | song | wall (s) | peak RSS (MB) | float32 audio (MB) |\n|---|---|---|---|---|")
    for label, minutes, dt, mb, audio_mb in rows:
        print(f"| {label} | {minutes} min | {dt:.1f} | {mb:.0f} | {audio_mb:.0f} |")
    for label in ("tiny htdemucs", "hpss"):
        two, ten = (r for r in rows if r[0] == label)
        print(f"{label}: 10 min − 2 min = {ten[3] - two[3]:.0f} MB; the audio's growth "
              f"{ten[4] - two[4]:.0f} MB")
