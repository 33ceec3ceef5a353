"""core.batch: a folder tree through one CLI tool, resumable, reported, local workers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from batch_data import make_songs

from core.audio import load
from core.batch import (
    FAILED,
    OK,
    SKIPPED,
    find_audio,
    plan,
    run_batch,
    run_tasks,
    tool_options,
)
from core.cli import build_parser
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled


def batch_args(*argv: str):
    args = build_parser().parse_args(["batch", *map(str, argv)])
    return args


def loudness_batch(src: Path, out: Path, *extra: str, **kw):
    args = batch_args("restore", "loudness", src, "-o", out, "--target", "-20", *extra)
    kw.setdefault("jobs", args.jobs)
    return run_batch(args.batch_tool, args.input, args.output, tool_options(args),
                     force=args.force, retries=args.retries, **kw)


@pytest.fixture
def songs(tmp_path) -> tuple[Path, dict]:
    names = make_songs(tmp_path / "in")
    return tmp_path / "in", names


def test_find_audio_recurses_and_skips_hidden_and_non_audio(songs):
    src, names = songs
    found = [p.relative_to(src).as_posix() for p in find_audio(src)]
    assert sorted(found) == sorted(names["good"] + names["bad"])


def test_loudness_batch_mirrors_tree_and_reports_every_file(songs, tmp_path):
    src, names = songs
    out = tmp_path / "out"
    summary = loudness_batch(src, out)
    by_input = {f.input: f for f in summary.files}
    assert set(by_input) == set(names["good"] + names["bad"])
    from core.restore.loudness import measure_loudness

    for rel in names["good"]:
        r = by_input[rel]
        assert r.status == OK and r.attempts == 1 and r.error == ""
        assert Path(r.output) == out / rel
        lufs = measure_loudness(load(out / rel))["integrated_lufs"]
        assert lufs == pytest.approx(-20.0, abs=0.5)
        assert "LUFS" in r.detail and ".part" not in r.detail
    bad = by_input["broken.wav"]
    assert bad.status == FAILED and "broken.wav" in bad.error and "damaged" in bad.error
    assert not (out / "broken.wav").exists()
    assert not [p for p in out.rglob("*") if ".part" in p.name]  # no temp file left behind
    assert not summary.ok and summary.counts == {OK: 5, SKIPPED: 0, FAILED: 1}

    rows = list(csv.DictReader((out / "batch-report.csv").open(encoding="utf-8")))
    assert [r["input"] for r in rows] == [f.input for f in summary.files]
    assert {r["status"] for r in rows} == {OK, FAILED}
    assert all(float(r["seconds"]) >= 0 for r in rows)
    doc = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    assert doc["tool"] == "restore loudness" and doc["counts"][FAILED] == 1
    assert len(doc["files"]) == 6
    assert {"input", "output", "status", "seconds", "error"} <= set(doc["files"][0])


def test_second_run_skips_finished_files_and_force_redoes_them(songs, tmp_path):
    src, names = songs
    out = tmp_path / "out"
    loudness_batch(src, out)
    first = out / names["good"][0]
    stamp = first.stat().st_mtime_ns
    again = loudness_batch(src, out)
    assert {f.input: f.status for f in again.files} == {
        **{g: SKIPPED for g in names["good"]}, "broken.wav": FAILED}
    assert first.stat().st_mtime_ns == stamp
    assert all(f.attempts == 0 for f in again.files if f.status == SKIPPED)
    forced = loudness_batch(src, out, "--force")
    assert forced.count(OK) == 5 and first.stat().st_mtime_ns != stamp


def test_an_unfinished_output_is_redone(songs, tmp_path):
    src, names = songs
    out = tmp_path / "out"
    out.mkdir()
    # What a killed run leaves: only a temporary file, never the output name itself.
    (out / ".song0.abc123.part.wav").write_bytes(b"RIFF partial")
    summary = loudness_batch(src, out)
    assert {f.input: f.status for f in summary.files}["song0.wav"] == OK
    assert load(out / "song0.wav").frames == 16000


def test_two_worker_processes_give_the_same_files(songs, tmp_path):
    src, names = songs
    one = loudness_batch(src, tmp_path / "one")
    two = loudness_batch(src, tmp_path / "two", "--jobs", "2")
    assert two.workers == "2 processes"
    assert [(f.input, f.status) for f in two.files] == [(f.input, f.status) for f in one.files]
    for rel in names["good"]:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()


def test_failed_file_is_retried_then_reported(songs, tmp_path):
    src, _ = songs
    summary = loudness_batch(src, tmp_path / "out", "--retries", "2")
    attempts = {f.input: f.attempts for f in summary.files}
    assert attempts["broken.wav"] == 3
    assert {a for name, a in attempts.items() if name != "broken.wav"} == {1}


def crash_once_then_copy(args) -> int:
    """A tool whose worker process dies on its first file (a crash in native code)."""
    import os
    import shutil

    marker = Path(args.output).parent / "crashed-once"
    if Path(args.input).name == "song1.wav" and not marker.exists():
        marker.write_text("x")
        os._exit(3)
    shutil.copyfile(args.input, args.output)
    return 0


def test_a_worker_process_that_dies_is_replaced_and_its_file_retried(tmp_path):
    from core.batch import LocalPool

    make_songs(tmp_path / "in", good=3, damaged=False, subfolder=False)
    tasks = plan("convert", tmp_path / "in", tmp_path / "out", {"func": crash_once_then_copy})
    (tmp_path / "out").mkdir()
    results = run_tasks(tasks, executor=LocalPool(2), retries=1)
    assert [r.status for r in results] == [OK, OK, OK]
    assert {r.input: r.attempts for r in results}["song1.wav"] == 2
    assert (tmp_path / "out" / "crashed-once").exists()
    for r in results:
        assert Path(r.output).read_bytes() == (tmp_path / "in" / r.input).read_bytes()


def test_cancel_stops_between_files(songs, tmp_path):
    src, _ = songs
    args = batch_args("restore", "loudness", src, "-o", tmp_path / "out")
    tasks = plan(args.batch_tool, src, tmp_path / "out", tool_options(args))
    token = CancelToken()
    seen = []

    def progress(p):
        seen.append(p.done)
        if p.done >= 2:
            token.cancel()

    with pytest.raises(JobCancelled):
        run_tasks(tasks, progress=progress, cancel=token)
    assert max(seen) == 2
    written = [p for p in (tmp_path / "out").rglob("*.wav")]
    assert len(written) <= 2


def test_info_batch_saves_what_the_tool_prints(songs, tmp_path):
    src, names = songs
    args = batch_args("info", src, "-o", tmp_path / "info")
    summary = run_batch(args.batch_tool, args.input, args.output, tool_options(args))
    assert summary.count(OK) == 5
    doc = json.loads((tmp_path / "info" / "sub" / "deep4.json").read_text(encoding="utf-8"))
    assert doc["sample_rate"] == 16000 and doc["channels"] == 2 and doc["frames"] == 16000


def test_outputs_that_would_collide_keep_their_own_extension(tmp_path):
    make_songs(tmp_path / "in", good=1, damaged=False, subfolder=False)
    (tmp_path / "in" / "song0.flac").write_bytes((tmp_path / "in" / "song0.wav").read_bytes())
    tasks = plan("restore declick", tmp_path / "in", tmp_path / "out", {}, out_ext="wav")
    assert sorted(Path(t.dst).name for t in tasks) == ["song0.flac.wav", "song0.wav"]


@pytest.mark.parametrize("tool, ext, expected", [
    ("transcribe speech", None, "song0.txt"),
    ("transcribe speech", "srt", "song0.srt"),
    ("transcribe notes", None, "song0.mid"),
    ("spectrogram", None, "song0.png"),
    ("convert", ".flac", "song0.flac"),
    ("restore denoise", None, "song0.wav"),
    ("separate", None, "song0"),
])
def test_each_tool_has_its_natural_output(tmp_path, tool, ext, expected):
    make_songs(tmp_path / "in", good=1, damaged=False, subfolder=False)
    (task,) = plan(tool, tmp_path / "in", tmp_path / "out", {}, out_ext=ext)
    assert Path(task.dst) == (tmp_path / "out" / expected).resolve()


@pytest.mark.parametrize("tool, ext", [("spectrogram", "wav"), ("separate", "wav"),
                                       ("transcribe notes", "txt")])
def test_wrong_output_format_is_refused(tmp_path, tool, ext):
    make_songs(tmp_path / "in", good=1, damaged=False)
    with pytest.raises(InvalidParameterError):
        plan(tool, tmp_path / "in", tmp_path / "out", {}, out_ext=ext)


def test_output_inside_input_is_not_read_back(songs):
    src, names = songs
    loudness_batch(src, src / "normalised")
    tasks = plan("restore loudness", src, src / "normalised", {})
    assert sorted(t.rel for t in tasks) == sorted(names["good"] + names["bad"])
    with pytest.raises(InvalidParameterError):
        plan("restore loudness", src, src, {})


def test_batch_parsers_reuse_each_tools_options():
    args = batch_args("restore", "loudness", "in", "-o", "out", "--target", "streaming",
                      "--true-peak", "-2", "-j", "3")
    assert (args.target, args.true_peak, args.jobs) == ("streaming", -2.0, 3)
    from core.cli import restore_cmd

    assert args.batch_tool_func is restore_cmd.run
    args = batch_args("transcribe", "speech", "in", "-o", "out", "--beam-size", "1",
                      "--out-ext", "srt")
    assert (args.batch_tool, args.beam_size, args.out_ext) == ("transcribe speech", 1, "srt")
    args = batch_args("convert", "in", "-o", "out", "--mono", "--sr", "8000")
    assert (args.mono, args.sr, args.output) == (True, 8000, "out")
    with pytest.raises(SystemExit):
        batch_args("restore", "loudness", "in", "-o", "out", "--target", "loud")
    with pytest.raises(SystemExit):  # OUT_FOLDER is required
        batch_args("separate", "in")


def test_unreachable_cluster_is_a_plain_error():
    pytest.importorskip("distributed")
    from core.batch.cluster import ClusterError, DaskExecutor

    with pytest.raises(ClusterError, match="Cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout_s=1)
