"""Typed results of audio tagging (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TagSegment:
    """The likeliest labels of one analysis window.

    Attributes
    ----------
    start_s, end_s : float
        Window bounds in seconds on the source's time axis.
    labels : list of (str, float)
        ``(label, score)`` best first; scores are independent probabilities
        in [0, 1] (sigmoid: several sounds can be present at once).
    """

    start_s: float
    end_s: float
    labels: list[tuple[str, float]]

    def as_dict(self) -> dict:
        return {"start_s": self.start_s, "end_s": self.end_s,
                "labels": [[lab, float(s)] for lab, s in self.labels]}


@dataclass
class TagResult:
    """Top labels over time for a track or selection.

    Attributes
    ----------
    segments : list of TagSegment
        One per window, in time order.
    label_names : list of str
        Every class the model knows, in its output order.
    scores : np.ndarray [shape=(n_windows, n_labels), dtype=float32]
        Every window's score of every class (probabilities in [0, 1]).
    model : str
        Registry name of the model used.
    window_s, hop_s : float
        Window length and hop in seconds.
    """

    segments: list[TagSegment]
    label_names: list[str]
    scores: np.ndarray
    model: str
    window_s: float
    hop_s: float
    params: dict = field(default_factory=dict)

    def overall(self, top_k: int = 5) -> list[tuple[str, float]]:
        """The ``top_k`` labels of the whole range: each class's mean score over windows."""
        if self.scores.size == 0:
            return []
        mean = self.scores.mean(axis=0)
        order = np.argsort(-mean, kind="stable")[:top_k]
        return [(self.label_names[i], float(mean[i])) for i in order]

    def as_dict(self, top_k: int = 5) -> dict:
        """JSON-ready summary: model, window, overall labels and every segment."""
        return {"model": self.model, "window_s": self.window_s, "hop_s": self.hop_s,
                "overall": [[lab, s] for lab, s in self.overall(top_k)],
                "segments": [s.as_dict() for s in self.segments]}

    def to_csv(self) -> str:
        """One line per (window, label): ``start_s,end_s,rank,label,score``."""
        lines = ["start_s,end_s,rank,label,score"]
        for seg in self.segments:
            for rank, (lab, s) in enumerate(seg.labels, start=1):
                safe = '"' + lab.replace('"', '""') + '"' if ("," in lab or '"' in lab) else lab
                lines.append(f"{seg.start_s:.3f},{seg.end_s:.3f},{rank},{safe},{s:.4f}")
        return "\n".join(lines) + "\n"
