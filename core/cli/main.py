"""Argument parsing, error reporting and exit codes for every subcommand."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Optional

from core.errors import ResonoteError
from core.jobs import JobCancelled

#: Modules that each add one subcommand (``register(subparsers)``).
COMMAND_MODULES = (
    "core.cli.info_cmd",
    "core.cli.convert_cmd",
    "core.cli.spectrogram_cmd",
    "core.cli.models_cmd",
    "core.cli.restore_cmd",
    "core.cli.transcribe_cmd",
    "core.cli.record_cmd",
    "core.cli.separate_cmd",
    "core.cli.generate_cmd",
    "core.cli.train_generator_cmd",
    "core.cli.features_cmd",
    "core.cli.tag_cmd",
    "core.cli.codec_cmd",
    "core.cli.batch_cmd",
    "core.cli.align_cmd",
    "core.cli.tts_cmd",
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resonote",
        description="Resonote: see, hear, transcribe, separate, restore and generate audio. "
        "With no command (or with audio files) it opens the workstation window.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def subcommand_names() -> set[str]:
    """Names of every subcommand (used to tell ``resonote FILE`` from ``resonote info``)."""
    parser = build_parser()
    for action in parser._actions:  # argparse keeps subparsers here
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one subcommand; return the process exit code.

    A :class:`~core.errors.ResonoteError` prints one line ``resonote: error: …``
    and returns 1; cancelling (Ctrl+C) returns 130.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="resonote: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except ResonoteError as exc:
        print(f"resonote: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (JobCancelled, KeyboardInterrupt):
        print("resonote: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
