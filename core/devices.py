"""Compute-device choice and the out-of-memory fallback, in one place.

The device is chosen once (settings or the ``RESONOTE_DEVICE`` environment
variable) and passed explicitly to tools; nothing is picked at import time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Optional, TypeVar

from core.errors import ComputeOutOfMemoryError, InvalidParameterError

log = logging.getLogger(__name__)

T = TypeVar("T")

CHOICES = ("auto", "cuda", "mps", "cpu")


def pick(preference: Optional[str] = None) -> str:
    """Return the compute device to use: ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"cpu"``.

    ``preference`` (a setting) wins over ``RESONOTE_DEVICE``; ``"auto"`` or
    None picks CUDA, then Apple MPS, then CPU.  Asking for a device that is not
    present falls back to the CPU with a log message rather than failing, so a
    project saved on a GPU machine opens anywhere.
    """
    pref = (preference or os.environ.get("RESONOTE_DEVICE") or "auto").strip().lower()
    base = pref.split(":")[0]
    if base not in CHOICES:
        raise InvalidParameterError(
            f"Unknown device '{pref}': choose one of {', '.join(CHOICES)}.")
    if base == "cpu":
        return "cpu"
    import torch  # deferred: torch must never load at GUI start-up

    if base in ("auto", "cuda") and torch.cuda.is_available():
        return pref if base == "cuda" else "cuda"
    mps = getattr(torch.backends, "mps", None)
    if base in ("auto", "mps") and mps is not None and mps.is_available():
        return "mps"
    if base != "auto":
        log.warning("Device '%s' is not available; using the CPU.", pref)
    return "cpu"


def describe(device: str) -> str:
    """Human-readable name of a device, e.g. ``"NVIDIA H100 (cuda:0)"`` or ``"CPU (2 cores)"``."""
    if device.startswith("cuda"):
        import torch

        idx = int(device.split(":")[1]) if ":" in device else torch.cuda.current_device()
        return f"{torch.cuda.get_device_name(idx)} (cuda:{idx})"
    if device == "mps":
        return "Apple GPU (mps)"
    return f"CPU ({os.cpu_count()} cores)"


def is_oom(exc: BaseException) -> bool:
    """True if ``exc`` is an accelerator or host out-of-memory error."""
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except Exception:
        pass
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def run_with_fallback(
    fn: Callable[[str, int], T],
    *,
    device: str,
    chunk: int,
    min_chunk: int,
    notify: Callable[[str], None] = log.warning,
) -> T:
    """Call ``fn(device, chunk)``, halving ``chunk`` on out-of-memory, then retrying on the CPU.

    Parameters
    ----------
    fn : callable(device, chunk) -> T
        The work; must be safe to call again from the start.
    device : str
        Device to try first.
    chunk, min_chunk : int
        Initial chunk size (samples, frames, whatever ``fn`` understands) and the
        smallest worth trying before giving up on this device.
    notify : callable(str)
        Receives one plain sentence each time the plan changes (shown to the user).

    Raises
    ------
    ComputeOutOfMemoryError
        If even ``min_chunk`` on the CPU does not fit.
    """
    devices = [device] if device == "cpu" else [device, "cpu"]
    for dev in devices:
        c = chunk
        while True:
            try:
                return fn(dev, c)
            except Exception as exc:  # noqa: BLE001 - filtered by is_oom
                if not is_oom(exc):
                    raise
                _free_cache(dev)
                if c // 2 >= min_chunk:
                    c //= 2
                    notify(f"Out of memory on {dev}; retrying with smaller chunks ({c}).")
                    continue
                break
        if dev != "cpu":
            notify(f"Out of memory on {dev} even with small chunks; continuing on the CPU.")
    raise ComputeOutOfMemoryError(
        "Not enough memory for this job, even in small pieces. "
        "Close other programs or process a shorter selection.")


def _free_cache(device: str) -> None:
    if device.startswith("cuda"):
        try:
            import torch

            torch.cuda.empty_cache()
        except Exception:
            pass
