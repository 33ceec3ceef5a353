"""The ``resonote`` console script: a subcommand runs headless, anything else opens the GUI.

This module imports no Qt and no torch, so ``resonote info`` starts instantly.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    # torch's OpenMP workers spin while idle by default and starve our own
    # threads on small machines (a 5x slowdown measured on 2 cores): set it
    # before anything imports torch.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    args = list(sys.argv[1:] if argv is None else argv)
    from core.cli import main as cli_main
    from core.cli import subcommand_names

    if args and (args[0] in subcommand_names() or args[0] in ("-h", "--help", "-v", "--verbose")):
        return cli_main(args)
    from app.main import run_gui  # Qt loads only here

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
