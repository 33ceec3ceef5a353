"""core.memory: numpy's huge-page request follows the kernel's THP defrag mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import memory

ROOT = Path(__file__).resolve().parents[2]


def numpy_madvise_state() -> bool:
    """numpy's current huge-page setting (the setter returns the previous value)."""
    core = getattr(np, "_core", None) or np.core
    prev = core.multiarray._set_madvise_hugepage(True)
    core.multiarray._set_madvise_hugepage(prev)
    return bool(prev)


@pytest.fixture
def restore_numpy():
    before = numpy_madvise_state()
    yield
    memory._set_numpy_madvise(before)


def test_defrag_mode_is_read_from_the_bracketed_word(tmp_path):
    f = tmp_path / "defrag"
    f.write_text("always defer defer+madvise [madvise] never\n")
    assert memory.thp_defrag_mode(f) == "madvise"
    f.write_text("always defer never\n")
    assert memory.thp_defrag_mode(f) is None
    assert memory.thp_defrag_mode(tmp_path / "missing") is None


@pytest.mark.parametrize("mode, off", [("madvise", True), ("always", True),
                                       ("defer+madvise", True), ("defer", False),
                                       ("never", False), ("unknown", False)])
def test_request_is_switched_off_only_where_it_compacts_synchronously(mode, off, restore_numpy):
    memory._set_numpy_madvise(True)
    assert memory.avoid_hugepage_stalls(mode=mode, env="") is off
    assert numpy_madvise_state() is (not off)


def test_environment_overrides_the_kernel(restore_numpy):
    memory._set_numpy_madvise(True)
    assert memory.avoid_hugepage_stalls(mode="madvise", env="on") is False
    assert numpy_madvise_state() is True
    assert memory.avoid_hugepage_stalls(mode="never", env="off") is True
    assert numpy_madvise_state() is False
    # back on after being switched off
    assert memory.avoid_hugepage_stalls(mode="never", env="") is False
    assert numpy_madvise_state() is True


def test_importing_core_audio_applies_the_kernel_setting():
    """In a fresh interpreter: numpy asks for huge pages until core.audio is imported,
    then only where this kernel would not stall on them."""
    code = ("import numpy as np; c = np._core.multiarray\n"
            "def state():\n    p = c._set_madvise_hugepage(True); c._set_madvise_hugepage(p); return p\n"
            "before = state()\nimport core.audio\nprint(before, state())")
    env = {k: v for k, v in os.environ.items() if k != "RESONOTE_HUGEPAGES"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=env, check=True).stdout.split()
    stalls = memory.thp_defrag_mode() in {"always", "madvise", "defer+madvise"}
    assert out == ["True", str(not stalls)], out
