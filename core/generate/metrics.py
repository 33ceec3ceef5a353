"""Musical statistics and a smoothed n-gram baseline for judging the generator."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from core.generate.tokens import HEADER_LEN, Event, scale_pcs


def in_key_rate(pitches: Iterable[int], key_pc: int, mode: str) -> float:
    """Fraction of notes whose pitch class is in the key (NaN when there are no notes)."""
    ps = list(pitches)
    if not ps:
        return float("nan")
    scale = scale_pcs(key_pc, mode)
    return sum(p % 12 in scale for p in ps) / len(ps)


def pitch_class_histogram(events: Iterable[Event], *, relative_to: int = 0) -> np.ndarray:
    """Duration-weighted pitch-class histogram (12,), summing to 1, rotated so ``relative_to`` is bin 0."""
    h = np.zeros(12)
    for e in events:
        h[(e.pitch - relative_to) % 12] += e.dur
    return h / h.sum() if h.sum() else h


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Half the L1 distance of two normalised histograms (0 = same, 1 = disjoint)."""
    return float(0.5 * np.abs(np.asarray(a) - np.asarray(b)).sum())


def note_density(events: Sequence[Event], n_bars: int) -> float:
    """Notes per bar."""
    return len(events) / max(1, n_bars)


class NGramModel:
    """Interpolated n-gram language model over token ids (absolute-discount smoothing).

    The baseline the transformer's held-out likelihood is compared with.
    """

    def __init__(self, order: int, vocab_size: int, discount: float = 0.75) -> None:
        self.order, self.vocab_size, self.d = order, vocab_size, discount
        self.counts: list[Counter] = [Counter() for _ in range(order)]
        self.ctx: list[Counter] = [Counter() for _ in range(order)]
        self.types: list[Counter] = [Counter() for _ in range(order)]

    def fit(self, sequences: Iterable[Sequence[int]]) -> NGramModel:
        for seq in sequences:
            for i in range(HEADER_LEN - 1, len(seq)):
                for n in range(self.order):
                    if i - n < 0:
                        break
                    gram = tuple(seq[i - n:i + 1])
                    if self.counts[n][gram] == 0:
                        self.types[n][gram[:-1]] += 1
                    self.counts[n][gram] += 1
                    self.ctx[n][gram[:-1]] += 1
        return self

    def prob(self, history: Sequence[int], token: int) -> float:
        p = 1.0 / self.vocab_size
        for n in range(self.order):
            if n > len(history):
                break
            ctx = tuple(history[len(history) - n:]) if n else ()
            total = self.ctx[n][ctx]
            if total == 0:
                continue
            c = self.counts[n][ctx + (token,)]
            lam = self.d * self.types[n][ctx] / total
            p = max(c - self.d, 0.0) / total + lam * p
        return p

    def nll(self, seq: Sequence[int]) -> tuple[float, int]:
        """Summed negative log-likelihood (nats) of the tokens after the header, and their count."""
        total, n = 0.0, 0
        for i in range(HEADER_LEN, len(seq)):
            total -= math.log(self.prob(seq[max(0, i - self.order + 1):i], seq[i]))
            n += 1
        return total, n
