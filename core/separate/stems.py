"""Stem selection and the typed result of a separation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError


@dataclass
class Separation:
    """The result of :func:`core.separate.separate`.

    Attributes
    ----------
    stems : dict of str to Audio
        The stems asked for, in the model's order; each has the input's sample
        rate, channel count and length (or the preview region's).
    model : str
        Name of the method or registry model that made them.
    residual : Audio or None
        ``mix - sum(stems)``: "everything else".  With it, the returned stems
        always add back to the mix exactly.
    start_s : float
        Where the rendered region starts in the input (non-zero for a preview
        of a region).
    info : dict
        Facts for the user: ``device``, ``shifts``, ``preview``, ``all_stems``.
    """

    stems: dict
    model: str
    residual: Optional[Audio] = None
    start_s: float = 0.0
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        extra = ", residual" if self.residual is not None else ""
        return f"Separation(model={self.model!r}, stems={list(self.stems)}{extra})"


def _as_names(value, what: str) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace("+", ",").split(",")]
    names = tuple(v.strip().lower() for v in value if v and v.strip())
    if not names:
        raise InvalidParameterError(f"No {what} given.")
    return names


def select_stems(available: Sequence[str], stems=None, exclude=None) -> list[int]:
    """Indices (into ``available``) of the stems to render.

    Parameters
    ----------
    available : sequence of str
        The model's stems in output order.
    stems : str or sequence of str, optional
        Stems to keep (``"vocals"``, ``("drums", "bass")``, ``"vocals,drums"``);
        None keeps all.
    exclude : str or sequence of str, optional
        Stems to leave out ("everything but vocals": ``exclude=("vocals",)``).

    Raises
    ------
    InvalidParameterError
        A name the model does not make, or nothing left to render.
    """
    keep, drop = _as_names(stems, "stems"), _as_names(exclude, "stems to exclude")
    avail = [a.lower() for a in available]
    for name in keep + drop:
        if name not in avail:
            raise InvalidParameterError(
                f"This model makes no '{name}' stem; it makes {', '.join(available)}.")
    chosen = [i for i, a in enumerate(avail) if (not keep or a in keep) and a not in drop]
    if not chosen:
        raise InvalidParameterError("That leaves no stem to separate; keep at least one.")
    return chosen


def residual_of(mix: np.ndarray, stems: Sequence[np.ndarray]) -> np.ndarray:
    """``mix - sum(stems)`` computed in float64, returned float32 (channels, frames)."""
    acc = np.array(mix, dtype=np.float64)
    for s in stems:
        acc -= s
    return acc.astype(np.float32)
