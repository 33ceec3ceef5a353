"""The ``resonote`` console script: a subcommand runs headless, anything else opens the GUI.

This module imports no Qt and no torch, so ``resonote info`` starts instantly.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from core.cli import main as cli_main, subcommand_names

    if args and (args[0] in subcommand_names() or args[0] in ("-h", "--help", "-v", "--verbose")):
        return cli_main(args)
    from app.main import run_gui  # Qt loads only here

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
