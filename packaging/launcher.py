"""Entry script of the packaged app (PyInstaller runs this, not ``app/entry.py`` directly).

It does what the ``resonote`` console script does (a subcommand runs headless,
anything else opens the window) plus three things only a frozen bundle needs:

* ``multiprocessing.freeze_support()`` so worker processes start the bundle correctly;
* a CPU-only bundle (built with ``RESONOTE_BUNDLE_CUDA=0``, which leaves out the
  CUDA libraries torch loads lazily) hides GPUs from torch, so no tool picks a
  GPU it could not use;
* ``--smoke-test OUT.png FILE``: the packaging smoke test (:mod:`app.smoke`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path


def _bundle_dir() -> Path:
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent))


def main() -> int:
    multiprocessing.freeze_support()
    if (_bundle_dir() / "RESONOTE_CPU_ONLY").exists():
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    args = sys.argv[1:]
    if args[:1] == ["--smoke-test"]:
        from app.smoke import main as smoke_main

        return smoke_main(args[1:])
    from app.entry import main as entry_main

    return entry_main(args)


if __name__ == "__main__":
    sys.exit(main())
