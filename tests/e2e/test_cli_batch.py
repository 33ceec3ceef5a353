"""``resonote batch ...`` end to end through the real console entry point, on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
from batch_data import make_songs  # noqa: E402


def resonote(*args, timeout=180):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "app.entry", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("batch") / "in"
    return root, make_songs(root)


def test_loudness_folder_with_two_jobs_then_resume(songs, tmp_path):
    src, names = songs
    out = tmp_path / "out"
    r = resonote("batch", "restore", "loudness", src, "-o", out, "--target", "-16", "--jobs", 2)
    assert r.returncode == 1, r.stderr  # one damaged file
    assert "6 files: 5 ok, 0 skipped, 1 failed" in r.stdout and "2 processes" in r.stdout
    failed = [ln for ln in r.stderr.splitlines() if ln.startswith("resonote: failed: ")]
    assert len(failed) == 1 and "broken.wav" in failed[0] and "Traceback" not in r.stderr
    for rel in names["good"]:
        assert (out / rel).is_file()
    doc = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    assert {f["input"]: f["status"] for f in doc["files"]} == {
        **{g: "ok" for g in names["good"]}, "broken.wav": "failed"}

    again = resonote("batch", "restore", "loudness", src, "-o", out, "--target", "-16")
    assert "6 files: 0 ok, 5 skipped, 1 failed" in again.stdout, again.stdout + again.stderr


def test_all_good_files_exit_zero_and_custom_report(tmp_path):
    src = tmp_path / "in"
    make_songs(src, good=2, damaged=False)
    report = tmp_path / "reports" / "run1"
    r = resonote("batch", "convert", src, "-o", tmp_path / "out", "--out-ext", "flac", "--mono",
                 "--report", report)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "song0.flac").is_file()
    assert (tmp_path / "out" / "sub" / "deep1.flac").is_file()
    assert (tmp_path / "reports" / "run1.csv").read_text(encoding="utf-8").startswith(
        "input,output,status,seconds")
    assert json.loads((tmp_path / "reports" / "run1.json").read_text())["counts"]["ok"] == 2


def test_separate_writes_one_folder_of_stems_per_file(tmp_path):
    src = tmp_path / "in"
    make_songs(src, good=2, damaged=False, seconds=0.5)
    out = tmp_path / "stems"
    r = resonote("batch", "separate", src, "-o", out, "--stems", "harmonic")
    assert r.returncode == 0, r.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.wav")) == [
        "song0/song0.harmonic.wav", "sub/deep1/deep1.harmonic.wav"]


def test_help_shows_the_tools_own_options_and_batch_options():
    r = resonote("batch", "restore", "loudness", "--help")
    assert r.returncode == 0
    for opt in ("--target", "--true-peak", "--jobs", "--cluster", "--retries", "IN_FOLDER"):
        assert opt in r.stdout


@pytest.mark.parametrize("argv, words", [
    (["restore", "loudness", "{missing}", "-o", "{out}"], "does not exist"),
    (["spectrogram", "{src}", "-o", "{out}", "--out-ext", "jpg"], "cannot write"),
    (["restore", "loudness", "{src}", "-o", "{out}", "--jobs", "0"], "--jobs"),
])
def test_mistakes_end_in_one_error_line(songs, tmp_path, argv, words):
    src, _ = songs
    fill = {"missing": tmp_path / "nope", "out": tmp_path / "out", "src": src}
    r = resonote("batch", *[a.format(**fill) for a in argv])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert lines[0].startswith("resonote: error: ") and words in lines[0]
