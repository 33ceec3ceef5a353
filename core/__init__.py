"""Resonote's engine: audio I/O, analysis, jobs, models and tools.  No Qt here.

Import submodules explicitly (``from core.audio import load``); this package
imports nothing heavy so ``import core`` stays instant.
"""

__version__ = "0.1.0"
