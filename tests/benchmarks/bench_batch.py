"""Batch benchmark (``make bench``): 50 files through one tool, several ways.

50 seeded 10 s stereo 44.1 kHz WAV files (tones in noise at different levels; 8 min of
audio) are normalised to -16 LUFS (``restore loudness``) and, as a cheaper second
tool, converted to FLAC (``convert``), by:

- a plain Python loop in one process calling the engine (load, tool, save): the floor;
- a shell-style loop starting ``resonote restore loudness FILE -o OUT`` once per file;
- ``sox`` in a loop (peak normalisation ``gain -n -3`` / FLAC conversion: sox has no
  LUFS, so this is the speed of a bare C tool doing comparable work);
- ``resonote batch`` with ``--jobs 1`` and ``--jobs 2``;
- ``resonote batch --cluster`` on a local Dask cluster (2 single-threaded worker
  processes on 127.0.0.1, started here, start-up not counted);
- a resumed ``resonote batch`` where every output exists (all skipped).

Every ``resonote`` figure includes the process start.  Run as a script
(``.venv/bin/python tests/benchmarks/bench_batch.py``, ``--write`` writes
docs/bench-batch.md) or under ``pytest tests/benchmarks -s -o python_files='bench_*.py'``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "bench-batch.md"
N_FILES, SECONDS, SR = 50, 10.0, 44100


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"


def make_folder(root: Path) -> None:
    t = np.arange(int(SECONDS * SR)) / SR
    for i in range(N_FILES):
        rng = np.random.default_rng(i)
        x = np.sin(2 * np.pi * (110 + 7 * i) * t) + 0.1 * rng.standard_normal(t.size)
        x *= 10 ** ((-35 + (i % 25)) / 20)
        sub = root / f"disc{i // 10}"
        sub.mkdir(parents=True, exist_ok=True)
        sf.write(sub / f"track{i:02d}.wav", np.stack([x, 0.9 * x]).T.astype(np.float32), SR,
                 subtype="PCM_16")


def _resonote(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.entry", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


def _files(src: Path) -> list[Path]:
    return sorted(src.rglob("*.wav"))


def plain_loop(src: Path, out: Path, tool: str) -> None:
    from core.audio import load, save
    from core.restore.loudness import normalize_loudness

    for f in _files(src):
        dst = out / f.relative_to(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        audio = load(f)
        if tool == "loudness":
            save(normalize_loudness(audio, target_lufs=-16.0).audio, dst)
        else:
            save(audio, dst.with_suffix(".flac"))


def cli_loop(src: Path, out: Path, tool: str) -> None:
    for f in _files(src):
        dst = out / f.relative_to(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if tool == "loudness":
            r = _resonote("restore", "loudness", f, "-o", dst, "--target", "-16")
        else:
            r = _resonote("convert", f, dst.with_suffix(".flac"))
        assert r.returncode == 0, r.stderr


def sox_loop(src: Path, out: Path, tool: str) -> None:
    for f in _files(src):
        dst = out / f.relative_to(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["sox", str(f), str(dst), "gain", "-n", "-3"] if tool == "loudness" else \
            ["sox", str(f), str(dst.with_suffix(".flac"))]
        subprocess.run(cmd, check=True, capture_output=True)


def batch_args(tool: str) -> list[str]:
    return ["restore", "loudness", "--target", "-16"] if tool == "loudness" else \
        ["convert", "--out-ext", "flac"]


def batch(src: Path, out: Path, tool: str, *extra: str) -> dict:
    head, *opts = batch_args(tool)
    tool_path = [head, opts.pop(0)] if head == "restore" else [head]
    r = _resonote("batch", *tool_path, src, "-o", out, *opts, *extra)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads((out / "batch-report.json").read_text())


class LocalDask:
    """``dask scheduler`` + ``dask worker --nworkers N`` on 127.0.0.1, as subprocesses."""

    def __init__(self, tmp: Path, workers: int = 2) -> None:
        sched_file = tmp / "scheduler.json"
        self.procs = [subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched_file)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        while not sched_file.exists():
            time.sleep(0.2)
        self.address = json.loads(sched_file.read_text())["address"]
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "dask", "worker", self.address, "--nworkers", str(workers),
             "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(self.address) as c:
            c.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
            p.wait(timeout=30)


def measure(tool: str, src: Path, tmp: Path, cluster: LocalDask) -> list[tuple]:
    """``(tool, way, seconds, x real time)`` for every way of running ``tool`` on ``src``."""
    ways = [("plain Python loop, 1 process (engine calls)", plain_loop, ()),
            ("`resonote` started once per file (shell loop)", cli_loop, ())]
    if shutil.which("sox"):
        ways.append(("`sox` once per file (shell loop)", sox_loop, ()))
    ways += [("`resonote batch --jobs 1`", batch, ()),
             ("`resonote batch --jobs 2`", batch, ("--jobs", "2")),
             ("`resonote batch --cluster` (2 local Dask workers)", batch,
              ("--cluster", cluster.address))]
    rows = []
    for i, (name, fn, extra) in enumerate(ways):
        out = tmp / f"out-{tool}-{i}"
        t0 = time.perf_counter()
        fn(src, out, tool, *extra)
        secs = time.perf_counter() - t0
        rows.append((tool, name, secs, N_FILES * SECONDS / secs))
    done = tmp / f"out-{tool}-{len(ways) - 2}"  # the --jobs 2 run: every output exists
    t0 = time.perf_counter()
    report = batch(src, done, tool, "--jobs", "2")
    assert report["counts"]["skipped"] == N_FILES
    rows.append((tool, "`resonote batch --jobs 2` again (all 50 skipped)",
                 time.perf_counter() - t0, None))
    return rows


def run_all() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "in"
        make_folder(src)
        cluster = LocalDask(tmp)
        try:
            for tool in ("loudness", "convert"):
                rows += measure(tool, src, tmp, cluster)
        finally:
            cluster.close()
    lines = ["# Batch benchmark", "", f"Machine: {machine()}; no GPU. Shared machine: "
             "the load from other work can change figures 2x between runs.",
             "Run: `.venv/bin/python tests/benchmarks/bench_batch.py --write`.", "",
             f"{N_FILES} WAV files of {SECONDS:g} s, 44.1 kHz stereo, in 5 subfolders "
             f"({N_FILES * SECONDS / 60:.0f} min of audio). Wall time of the whole run, "
             "`resonote` process start included; one run each.", "",
             "| tool | how | seconds | × real time |", "|---|---|---|---|"]
    for tool, name, secs, rtf in rows:
        tool_name = "restore loudness -16 LUFS" if tool == "loudness" else "convert to FLAC"
        lines.append(f"| {tool_name} | {name} | {secs:.1f} | "
                     f"{'' if rtf is None else f'{rtf:.0f}'} |")
    lines += ["", "sox normalises the peak (`gain -n -3`), not loudness: a bare C tool doing "
              "comparable work, for scale."]
    return "\n".join(lines) + "\n"


def test_batch_benchmark():
    """Prints the figures (benchmarks are read by people, not asserted on)."""
    text = run_all()
    print("\n" + text)
    if os.environ.get("RESONOTE_BENCH_WRITE"):
        DOC.write_text(text)


if __name__ == "__main__":
    out_text = run_all()
    print(out_text)
    if "--write" in sys.argv:
        DOC.write_text(out_text)
