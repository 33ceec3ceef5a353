"""Process-wide memory settings that make big audio buffers cheap to create.

numpy asks the kernel for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on
every allocation of 4 MB or more.  Where the kernel's THP ``defrag`` setting
makes such a request compact memory *synchronously* (``always``, ``madvise``,
``defer+madvise`` — the default on many distributions and on this project's
2-core VM), the first touch of a large fresh buffer stalls while the kernel
assembles 2 MB pages: filling a new 1.27 GB float32 array (60 minutes of
44.1 kHz stereo) took 3.4-4.0 s with the request and 0.5-0.6 s without it here
(``tests/benchmarks/bench_gui.py`` prints both).  Audio buffers are streamed
through once per operation, where 4 kB pages cost nothing measurable, so the
request is switched off on such kernels.

``RESONOTE_HUGEPAGES=on`` keeps numpy's default, ``off`` always switches it off.
"""

from __future__ import annotations

import os
from pathlib import Path

_DEFRAG = Path("/sys/kernel/mm/transparent_hugepage/defrag")
_STALLING = {"always", "madvise", "defer+madvise"}
_done: bool | None = None


def thp_defrag_mode(path: Path = _DEFRAG) -> str | None:
    """The kernel's selected THP defrag mode (``"madvise"``, ...), or None where unknown."""
    try:
        text = path.read_text()
    except OSError:
        return None
    for word in text.split():
        if word.startswith("[") and word.endswith("]"):
            return word[1:-1]
    return None


def avoid_hugepage_stalls(*, mode: str | None = None, env: str | None = None) -> bool:
    """Switch off numpy's huge-page request where it makes first touches stall.

    Parameters
    ----------
    mode : str, optional
        THP defrag mode to decide on (default: read from the kernel).
    env : str, optional
        Override (default: ``$RESONOTE_HUGEPAGES``): ``"on"`` keeps numpy's
        request, ``"off"`` switches it off whatever the kernel does.

    Returns
    -------
    bool
        True when numpy no longer asks for huge pages.
    """
    global _done
    env = (os.environ.get("RESONOTE_HUGEPAGES", "") if env is None else env).strip().lower()
    if env == "on":
        off = False
    elif env == "off":
        off = True
    else:
        off = (thp_defrag_mode() if mode is None else mode) in _STALLING
    if off or _done:
        _set_numpy_madvise(not off)
    _done = off
    return off


def _set_numpy_madvise(enabled: bool) -> None:
    import numpy as np

    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if setter is not None:
        setter(enabled)
