"""``resonote batch ... --cluster``: a real Dask scheduler and worker processes on 127.0.0.1.

The test starts ``dask scheduler`` and ``dask worker`` (3 single-threaded worker
processes) as subprocesses, exactly as on a real cluster, then runs the batch
through the console entry point against the scheduler's address.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
from batch_data import make_songs  # noqa: E402

WORKERS = 3


def _start(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dask")
    sched_file = tmp / "scheduler.json"
    procs = [_start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(sched_file), log=tmp / "scheduler.log")]
    client = None
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            assert time.monotonic() < deadline, (tmp / "scheduler.log").read_text()
            assert procs[0].poll() is None, (tmp / "scheduler.log").read_text()
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(_start("worker", address, "--nworkers", str(WORKERS), "--nthreads", "1",
                            "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0",
                            log=tmp / "workers.log"))
        from distributed import Client

        client = Client(address, timeout=30)
        client.wait_for_workers(WORKERS, timeout=90)
        yield address
    finally:
        if client is not None:
            client.shutdown()  # scheduler and workers stop together, quickly
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def resonote(*args, timeout=240):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "app.entry", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_batch_on_a_local_cluster_writes_outputs_and_retries_failures(scheduler, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    names = make_songs(src, good=6)
    r = resonote("batch", "restore", "loudness", src, "-o", out, "--target", "-18",
                 "--cluster", scheduler, "--retries", "2")
    assert r.returncode == 1, r.stdout + r.stderr  # the damaged file
    assert f"({WORKERS} workers)" in r.stdout and "7 files: 6 ok" in r.stdout
    doc = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    files = {f["input"]: f for f in doc["files"]}
    for rel in names["good"]:
        assert files[rel]["status"] == "ok" and files[rel]["attempts"] == 1
        assert (out / rel).is_file()
    # The damaged file was tried three times (1 + 2 retries), on the cluster, then reported.
    assert files["broken.wav"]["status"] == "failed" and files["broken.wav"]["attempts"] == 3
    assert "damaged" in files["broken.wav"]["error"]

    from core.audio import load
    from core.restore.loudness import measure_loudness

    lufs = measure_loudness(load(out / names["good"][0]))["integrated_lufs"]
    assert lufs == pytest.approx(-18.0, abs=0.5)

    again = resonote("batch", "restore", "loudness", src, "-o", out, "--target", "-18",
                     "--cluster", scheduler, "--retries", "0")
    assert "7 files: 0 ok, 6 skipped, 1 failed" in again.stdout, again.stdout + again.stderr
