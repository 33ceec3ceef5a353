"""The Qt binding must not corrupt Python's reference counts.

PySide6 6.12.0 released a reference to ``None`` on every ``processEvents()``:
a test session (or a long GUI session) then aborts Python with
"none_dealloc".  pyproject.toml pins a release without the bug; this test
catches a regression if the pin moves.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication


def test_process_events_keeps_none_refcount(qapp):
    before = sys.getrefcount(None)
    for _ in range(2000):
        QCoreApplication.processEvents()
    assert abs(sys.getrefcount(None) - before) < 200
