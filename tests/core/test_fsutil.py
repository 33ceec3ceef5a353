"""Atomic writes: all or nothing, with normal file permissions."""

from __future__ import annotations

import os
import stat

import pytest

from core.errors import AudioFileError, ProjectError
from core.fsutil import atomic_path, write_text_atomic


def test_written_file_has_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        p = write_text_atomic(tmp_path / "a.txt", "hello")
    finally:
        os.umask(old)
    assert p.read_text() == "hello"
    assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    p = tmp_path / "keep.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(p) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert p.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["keep.txt"]


def test_missing_folder_is_a_plain_error(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        write_text_atomic(tmp_path / "no" / "x.json", "{}", error=ProjectError)
    with pytest.raises(AudioFileError, match="folder"):
        write_text_atomic(tmp_path, "x")
