"""``resonote transcribe {speech,notes} ...``: one group, one module per kind of transcription."""

from __future__ import annotations

import importlib

#: Modules that each add one ``transcribe`` sub-subcommand (``register(subparsers)``).
KIND_MODULES = ("core.cli.speech_cmd", "core.cli.notes_cmd")


def register(sub) -> None:
    p = sub.add_parser("transcribe", help="speech to text, or music to notes/MIDI")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    for name in KIND_MODULES:
        importlib.import_module(name).register(kinds)
