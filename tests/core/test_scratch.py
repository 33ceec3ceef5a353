"""core.scratch: disk-backed scratch arrays that leave nothing behind and stay out of RSS."""

from __future__ import annotations

import os

import numpy as np
import psutil
import pytest

from core.errors import AudioFileError
from core.scratch import blockwise, is_scratch, release, scratch_array


def test_zero_filled_and_no_file_left_behind(tmp_path):
    a = scratch_array((3, 2, 1000), tmp_path)
    assert a.shape == (3, 2, 1000) and a.dtype == np.float32 and not a.any()
    assert os.listdir(tmp_path) == []  # unlinked as soon as it is mapped
    assert is_scratch(a) and is_scratch(a[1]) and is_scratch(np.ascontiguousarray(a[1, :1]))
    assert not is_scratch(np.zeros(3))


def test_released_pages_keep_their_data_and_leave_resident_memory(tmp_path):
    proc = psutil.Process()
    a = scratch_array((4, 2, 8_000_000), tmp_path)  # 256 MB
    base = proc.memory_info().rss
    blockwise(a, lambda v: v.fill(0.5))  # a whole pass, block by block
    after_pass = proc.memory_info().rss
    a[2, 1, 12345] = 7.0
    release(a)
    after = proc.memory_info().rss
    assert after_pass - base < 64 * 2**20, (after_pass - base) / 2**20
    assert after - base < 32 * 2**20, (after - base) / 2**20
    assert a[2, 1, 12345] == 7.0 and a[0, 0, -1] == 0.5 and a[3, 0, 0] == 0.5


def test_no_room_is_a_clear_message(tmp_path):
    with pytest.raises(AudioFileError, match="Not enough free disk space"):
        scratch_array((1 << 20, 1 << 20, 1 << 10), tmp_path)
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_a_clear_message(tmp_path):
    with pytest.raises(Exception, match="No scratch space"):
        scratch_array((2, 10), tmp_path / "missing")
