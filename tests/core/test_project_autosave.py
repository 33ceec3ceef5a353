"""Autosave timing and change detection, and crash recovery across real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import test_project_storage as st

from core.audio import Audio
from core.jobs import CancelToken, JobCancelled
from core.project import Autosaver, Layer, Project, Track, find_recoverable, load_project
from core.project.autosave import LOCK_NAME, _process_start_time, autosave_dir

REPO = Path(__file__).resolve().parents[2]

# Runs in a child process: start a session, autosave the test project, then end as told.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import test_project_storage as st
    from core.project import Autosaver

    directory, original, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    saver = Autosaver(directory=directory, interval_s=3600)
    saver.session_started()
    project = st.make_project()
    project.path = Path(original) if original else None
    assert saver.maybe_save(project, force=True) is not None
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif how == "exit1":
        os._exit(1)
    elif how == "clean":
        saver.session_ended_cleanly()
    elif how == "wait":
        print("ready", flush=True)
        sys.stdin.read()
        saver.session_ended_cleanly()
""")


def _child(directory: Path, how: str, original: str = "", **kw) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests" / "core")])
    return subprocess.Popen([sys.executable, "-c", CHILD, str(directory), original, how],
                            env=env, cwd=str(REPO), **kw)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def autosave_root(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state" / "autosave"


# -- recovery across processes -------------------------------------------------

@pytest.mark.parametrize("how,rc", [("sigkill", -9), ("exit1", 1)])
def test_crashed_session_is_offered_and_loads_the_same_project(autosave_root, tmp_path, how, rc):
    original = tmp_path / "My Song.resonote"
    proc = _child(autosave_root, how, str(original))
    assert proc.wait(timeout=120) == rc
    found = find_recoverable()
    assert len(found) == 1
    cand = found[0]
    assert cand.project_name == st.make_project().name
    assert cand.original_path == original
    assert cand.saved_at.tzinfo is not None and cand.saved_at <= datetime.now(UTC)
    project = cand.load()
    st.assert_same_project(st.make_project(), project)
    assert project.path == original and project.problems == []
    cand.discard()
    assert find_recoverable() == [] and not cand.folder.exists()


def test_cleanly_ended_session_leaves_nothing(autosave_root):
    assert _child(autosave_root, "clean").wait(timeout=120) == 0
    assert find_recoverable() == []
    assert list(autosave_root.iterdir()) == []


def test_live_session_is_not_offered_until_it_dies(autosave_root):
    proc = _child(autosave_root, "wait", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert find_recoverable() == []
        assert len(list(autosave_root.iterdir())) == 1  # its autosave exists, it is just not ours
    finally:
        proc.kill()
        proc.wait(timeout=60)
    found = find_recoverable()
    assert len(found) == 1 and found[0].original_path is None
    assert found[0].load().path is None


def test_own_session_is_never_offered(autosave_root):
    saver = Autosaver()
    saver.session_started()
    assert saver.maybe_save(st.make_project(), force=True) == saver.autosave_folder
    assert saver.autosave_folder.parent.parent == autosave_root
    assert find_recoverable() == []
    saver.session_ended_cleanly()
    assert list(autosave_root.iterdir()) == []


def _fake_session(root: Path, lock: dict | None, *, lock_text: str | None = None) -> Path:
    saver = Autosaver(directory=root)
    saver.maybe_save(st.make_project(), force=True)
    lock_path = saver.session_folder / LOCK_NAME
    if lock is not None:
        lock_path.write_text(json.dumps(lock))
    elif lock_text is not None:
        lock_path.write_text(lock_text)
    else:
        lock_path.unlink()
    return saver.session_folder


def test_reused_pid_does_not_hide_a_crash(tmp_path):
    me = os.getpid()
    _fake_session(tmp_path, {"pid": me, "process_start": _process_start_time(me) - 3600,
                             "host": socket.gethostname()})
    assert len(find_recoverable(directory=tmp_path)) == 1


@pytest.mark.parametrize("lock_text", ["{broken", "[]", ""])
def test_damaged_or_missing_lock_counts_as_crashed(tmp_path, lock_text):
    _fake_session(tmp_path, None, lock_text=lock_text)
    assert len(find_recoverable(directory=tmp_path)) == 1


def test_missing_lock_counts_as_crashed(tmp_path):
    _fake_session(tmp_path, None)
    assert len(find_recoverable(directory=tmp_path)) == 1


@pytest.mark.parametrize("age_s,offered", [(60, False), (3 * 86400, True)])
def test_lock_from_another_computer_is_judged_by_its_heartbeat(tmp_path, age_s, offered):
    _fake_session(tmp_path, {"pid": 12345, "host": "some-other-host.invalid",
                             "heartbeat": time.time() - age_s})
    assert len(find_recoverable(directory=tmp_path)) == (1 if offered else 0)


def test_crashed_session_without_autosave_is_cleaned_up(tmp_path):
    dead = tmp_path / "999999-deadbeef"
    dead.mkdir()
    (dead / LOCK_NAME).write_text(json.dumps({"pid": 2 ** 22 + 7, "process_start": 1.0,
                                              "host": socket.gethostname()}))
    assert find_recoverable(directory=tmp_path) == []
    assert not dead.exists()
    assert find_recoverable(directory=tmp_path / "does-not-exist") == []


def test_candidates_are_newest_first(tmp_path):
    a = _fake_session(tmp_path, {"pid": -1})
    b = _fake_session(tmp_path, {"pid": -1})

    def set_time(folder, iso):
        m = folder / "autosave.resonote" / "project.json"
        raw = json.loads(m.read_text(encoding="utf-8"))
        raw["saved_at"] = iso
        m.write_text(json.dumps(raw), encoding="utf-8")
    set_time(a, "2030-01-02T00:00:00+00:00")
    set_time(b, "2030-01-01T00:00:00+00:00")
    assert [c.folder.parent for c in find_recoverable(directory=tmp_path)] == [a, b]


# -- when the autosaver writes ----------------------------------------------------

def test_writes_only_when_interval_passed_and_revision_changed(tmp_path):
    clock = FakeClock()
    saver = Autosaver(directory=tmp_path, interval_s=100, clock=clock)
    p = st.make_project()
    assert saver.maybe_save(p, revision=1) is None          # interval not yet passed
    assert not saver.autosave_folder.exists()
    clock.now += 100
    assert saver.maybe_save(p, revision=1) == saver.autosave_folder
    manifest = saver.autosave_folder / "project.json"
    first = manifest.read_bytes()
    clock.now += 50
    p.name = "edited"
    assert saver.maybe_save(p, revision=2) is None           # changed, but too soon
    clock.now += 50
    assert saver.maybe_save(p, revision=2) is not None
    assert load_project(saver.autosave_folder).name == "edited"
    assert manifest.read_bytes() != first
    clock.now += 500
    second = manifest.read_bytes()
    assert saver.maybe_save(p, revision=2) is None           # unchanged
    assert saver.maybe_save(p, revision=2, force=True) is None
    assert manifest.read_bytes() == second
    p.name = "forced"
    assert saver.maybe_save(p, revision=3, force=True) is not None   # force skips the wait
    assert load_project(saver.autosave_folder).name == "forced"
    other = st.make_project()  # a newly opened project whose counter restarted
    assert saver.maybe_save(other, revision=3, force=True) is not None


@pytest.mark.parametrize("edit", [
    lambda p: p.tracks[1].audio.samples.__setitem__((0, 100), 0.123),   # in place
    lambda p: setattr(p.tracks[0], "gain_db", 1.0),
    lambda p: p.tracks[0].layers[0].data["segments"].append({"text": "more"}),
    lambda p: p.tracks[0].layers[1].arrays["pitch"].__setitem__(3, 0.0),
    lambda p: p.view.update(zoom=3),
    lambda p: p.add_track(Track("new", Audio(np.ones((1, 10), np.float32), 1000))),
    lambda p: p.move_track("silent000003", 0),
], ids=["samples", "gain", "layer-data", "layer-array", "view", "add", "move"])
def test_without_revision_any_change_is_detected(tmp_path, edit):
    clock = FakeClock()
    saver = Autosaver(directory=tmp_path, interval_s=10, clock=clock)
    p = st.make_project()
    assert saver.maybe_save(p, force=True) is not None
    assert saver.maybe_save(p, force=True) is None
    edit(p)
    clock.now += 10
    assert saver.maybe_save(p) is not None
    st.assert_same_project(p, load_project(saver.autosave_folder))


def test_autosave_keeps_project_path_and_reuses_unchanged_audio(tmp_path):
    saver = Autosaver(directory=tmp_path / "auto")
    p = st.make_project()
    p.path = tmp_path / "mine.resonote"
    folder = saver.maybe_save(p, force=True)
    assert p.path == tmp_path / "mine.resonote"
    inode = (folder / "audio" / "mix00000001.flac").stat().st_ino
    p.tracks[1].audio = Audio(p.tracks[1].audio.samples * 0.1, 22050)
    saver.maybe_save(p, force=True)
    assert (folder / "audio" / "mix00000001.flac").stat().st_ino == inode
    st.assert_same_project(p, load_project(folder))


def test_empty_project_is_not_autosaved_and_clears_an_old_autosave(tmp_path):
    saver = Autosaver(directory=tmp_path)
    assert saver.maybe_save(Project(), force=True) is None
    p = st.make_project()
    assert saver.maybe_save(p, force=True) is not None
    for t in list(p.tracks):
        p.remove_track(t.id)
    assert saver.maybe_save(p, force=True) is None
    assert not saver.autosave_folder.exists()
    assert (saver.session_folder / LOCK_NAME).is_file()       # the session is still live
    saver.session_ended_cleanly()
    assert not saver.session_folder.exists()


def test_cancelled_autosave_keeps_the_previous_one(tmp_path):
    saver = Autosaver(directory=tmp_path)
    p = st.make_project()
    saver.maybe_save(p, force=True)
    before = st.snapshot(saver.autosave_folder)
    p.tracks[0].layers.append(Layer("beats", "Beats", {"bpm": 90}))
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        saver.maybe_save(p, force=True, cancel=token)
    assert st.snapshot(saver.autosave_folder) == before
    assert saver.maybe_save(p, force=True) is not None          # not marked as saved


def test_state_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RESONOTE_STATE_DIR", str(tmp_path))
    assert autosave_dir() == tmp_path / "autosave"
    assert Autosaver().directory == tmp_path / "autosave"
    monkeypatch.delenv("RESONOTE_STATE_DIR")
    assert autosave_dir().name == "autosave" and "resonote" in str(autosave_dir()).lower()
