"""Restoration tools: denoise, declip, declick, dehum, dereverb, loudness, and chains.

Every tool is ``tool(audio, *, ...keyword-only settings..., progress=, cancel=)`` and
returns a :class:`~core.restore.common.RestoreResult` (``audio`` + ``report`` dict).
Submodules are imported lazily so importing :mod:`core.restore` stays cheap.
"""

from __future__ import annotations

import importlib
import sys
import types

from core.restore.common import RestoreResult

_LAZY = {
    "denoise": "core.restore.denoise", "declip": "core.restore.declip",
    "detect_clipping": "core.restore.declip", "declick": "core.restore.declick",
    "dehum": "core.restore.dehum", "find_hum": "core.restore.dehum",
    "dereverb": "core.restore.dereverb", "measure_loudness": "core.restore.loudness",
    "normalize_loudness": "core.restore.loudness", "Chain": "core.restore.chain",
    "ChainStep": "core.restore.chain", "run_chain": "core.restore.chain",
    "save_chain": "core.restore.chain", "load_chain": "core.restore.chain",
}

__all__ = ["RestoreResult", *_LAZY]


class _Package(types.ModuleType):
    """``core.restore.denoise`` is both a submodule and a function: once the submodule is
    imported, Python sets the package attribute to the module, which would make
    ``from core.restore import denoise`` return the module.  Hand out the function."""

    def __getattribute__(self, name: str):
        value = super().__getattribute__(name)
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == value.__name__:
            return getattr(value, name)
        return value


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core.restore' has no attribute {name!r}")
