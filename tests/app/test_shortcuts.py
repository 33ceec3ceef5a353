"""Every shortcut in the window does one thing: Qt silently ignores ambiguous ones."""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtGui import QAction, QKeySequence


def test_no_two_actions_share_a_shortcut(window):
    owners: dict[str, list[str]] = defaultdict(list)
    for action in window.findChildren(QAction):
        for seq in action.shortcuts():
            key = seq.toString(QKeySequence.SequenceFormat.PortableText)
            if key and action.text() not in owners[key]:
                owners[key].append(action.text())
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not clashes, clashes
