"""The ``resonote`` command line: the same engine functions the GUI calls.

Each subcommand lives in its own module exposing ``register(subparsers)``;
the module list is :data:`COMMAND_MODULES`.  Modules must import nothing
heavy at import time (torch, librosa load inside the command's function).
"""

from core.cli.main import COMMAND_MODULES, build_parser, main, subcommand_names

__all__ = ["COMMAND_MODULES", "build_parser", "main", "subcommand_names"]
