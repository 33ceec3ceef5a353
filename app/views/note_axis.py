"""Frequency axes for views: Hz ticks, and note names (C2, C3, A4...) on log axes.

A view places frequency along a *coordinate* that is not always Hz: a log or
mel spectrogram uses its row index, the spectrum view uses log10(Hz).
:class:`FreqMap` converts between Hz and a spectrogram's coordinate;
:class:`FrequencyAxis` is a pyqtgraph axis that takes any such mapping and puts
its ticks at musically useful frequencies.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg

from core.analysis import note_name

Mapping = Callable[[np.ndarray], np.ndarray]

#: Semitones (from C) ticked per octave, sparsest first, with the smallest gap in semitones.
_NOTE_TIERS: tuple[tuple[tuple[int, ...], int], ...] = (
    ((0,), 12),
    ((0, 7), 5),
    ((0, 4, 7), 3),
    ((0, 2, 4, 7, 9), 2),
    (tuple(range(12)), 1),
)
#: Mantissas for Hz ticks on non-linear axes, sparsest first.
_HZ_TIERS: tuple[tuple[float, ...], ...] = ((1.0,), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0, 7.0),
                                            tuple(float(m) for m in range(1, 10)))


def format_hz(hz: float) -> str:
    """Short Hz label: ``"55"``, ``"440"``, ``"1.2k"``, ``"16k"``."""
    if not math.isfinite(hz):
        return ""
    a = abs(hz)
    if a >= 10000:
        return f"{hz / 1000:.0f}k" if a % 1000 < 50 else f"{hz / 1000:.1f}k"
    if a >= 1000:
        return f"{hz / 1000:.2f}".rstrip("0").rstrip(".") + "k"
    if a >= 100 or a == 0:
        return f"{hz:.0f}"
    return f"{hz:.1f}".rstrip("0").rstrip(".")


def format_cents(cents: float) -> str:
    """``"+3¢"``, ``"-12¢"``, ``"+0¢"`` (never ``"-0¢"``); empty when not finite."""
    if not math.isfinite(cents):
        return ""
    c = int(round(cents))
    return f"{c:+d}¢" if c else "+0¢"


def midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


class FreqMap:
    """Hz <-> view coordinate for one frequency scale.

    ``linear``: the coordinate is Hz.  ``log``/``mel``: the coordinate is the
    fractional row index of ``freqs`` (a spectrogram's ascending bin centres),
    so rows drawn one unit tall line up exactly, whatever formula the engine
    used; outside the bins the mapping extends linearly.
    """

    def __init__(self, scale: str, freqs: np.ndarray) -> None:
        self.scale = scale
        self.freqs = np.asarray(freqs, dtype=np.float64)
        self.linear = scale == "linear" or self.freqs.size < 2
        self._rows = np.arange(self.freqs.size, dtype=np.float64)

    def hz_to_y(self, hz):
        if self.linear:
            return np.asarray(hz, dtype=np.float64) * 1.0
        return _interp_extrap(hz, self.freqs, self._rows)

    def y_to_hz(self, y):
        if self.linear:
            return np.asarray(y, dtype=np.float64) * 1.0
        return _interp_extrap(y, self._rows, self.freqs)

    def full_range(self) -> tuple[float, float]:
        """The y extent covering every bin, half a bin beyond the outer centres."""
        if self.freqs.size == 0:
            return 0.0, 1.0
        if self.linear:
            half = (self.freqs[-1] - self.freqs[0]) / max(1, self.freqs.size - 1) / 2
            return float(self.freqs[0] - half), float(self.freqs[-1] + half)
        return -0.5, self.freqs.size - 0.5


def _interp_extrap(x, xp: np.ndarray, fp: np.ndarray):
    x = np.asarray(x, dtype=np.float64)
    out = np.interp(x, xp, fp)
    if xp.size >= 2:
        lo, hi = x < xp[0], x > xp[-1]
        if np.any(lo):
            out = np.where(lo, fp[0] + (x - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0]), out)
        if np.any(hi):
            out = np.where(hi, fp[-1] + (x - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2]), out)
    return out


class FrequencyAxis(pg.AxisItem):
    """An axis over a frequency coordinate.

    Parameters
    ----------
    orientation : str
        ``"left"``, ``"right"``, ``"bottom"`` or ``"top"``.
    notes : bool
        True: ticks at notes (every C, more notes as room allows), labelled
        ``"A4 440"``.  False: ticks at round Hz values (``"500"``, ``"1k"``).
    """

    def __init__(self, orientation: str = "left", *, notes: bool = False, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._to_hz: Mapping = lambda y: np.asarray(y, dtype=np.float64)
        self._from_hz: Mapping = lambda hz: np.asarray(hz, dtype=np.float64)
        self._notes = notes
        self._linear = True
        self._labels: dict[float, str] = {}
        vertical = orientation in ("left", "right")
        self._min_gap_px = 15.0 if vertical else 58.0
        self.setStyle(textFillLimits=[(0, 0.95), (2, 0.95), (4, 0.9)])

    @property
    def notes(self) -> bool:
        return self._notes

    def set_mapping(self, to_hz: Mapping, from_hz: Mapping, *, notes: bool, linear: bool) -> None:
        """Use ``to_hz``/``from_hz`` (coordinate <-> Hz); ``linear``: coordinate is Hz-linear."""
        self._to_hz, self._from_hz, self._notes, self._linear = to_hz, from_hz, notes, linear
        self.picture = None
        self.update()

    # -- ticks ---------------------------------------------------------------
    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        self._labels = {}
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal or size <= 0:
            return []
        if self._linear and not self._notes:
            levels = super().tickValues(minVal, maxVal, size)
            for _, values in levels:
                for v in values:
                    self._labels[round(float(v), 6)] = format_hz(float(v))
            return levels
        hz_lo, hz_hi = (float(h) for h in self._to_hz(np.array([minVal, maxVal])))
        hz_lo = max(hz_lo, 1.0)
        if hz_hi <= hz_lo:
            return []
        px_per_unit = size / (maxVal - minVal)
        if self._notes:
            return self._note_ticks(hz_lo, hz_hi, px_per_unit)
        return self._hz_ticks(hz_lo, hz_hi, px_per_unit)

    def _positions(self, hz: np.ndarray) -> np.ndarray:
        return np.asarray(self._from_hz(hz), dtype=np.float64)

    def _fits(self, pos: np.ndarray, px_per_unit: float) -> bool:
        return pos.size < 2 or float(np.min(np.diff(pos))) * px_per_unit >= self._min_gap_px

    def _note_ticks(self, hz_lo: float, hz_hi: float, px_per_unit: float):
        m_lo = math.floor(69 + 12 * math.log2(hz_lo / 440.0))
        m_hi = math.ceil(69 + 12 * math.log2(hz_hi / 440.0))
        octaves = range(m_lo // 12 - 1, m_hi // 12 + 2)
        chosen: list[int] = []
        for semis, _ in _NOTE_TIERS:
            midis = [12 * o + s for o in octaves for s in semis if m_lo <= 12 * o + s <= m_hi]
            pos = self._positions(np.array([midi_hz(m) for m in midis]))
            if not self._fits(pos, px_per_unit):
                break
            chosen = midis
        if not chosen:  # not even every C fits: every other C
            chosen = [12 * o for o in octaves if o % 2 == 0 and m_lo <= 12 * o <= m_hi]
        major = [m for m in chosen if m % 12 == 0]
        minor = [m for m in chosen if m % 12 != 0]
        levels = []
        for group in (major, minor):
            hz = np.array([midi_hz(m) for m in group])
            pos = self._positions(hz)
            for p, h in zip(pos, hz, strict=True):
                self._labels[round(float(p), 6)] = f"{note_name(float(h))[0]} {format_hz(h)}"
            levels.append((_spacing(pos), [float(p) for p in pos]))
        return levels

    def _hz_ticks(self, hz_lo: float, hz_hi: float, px_per_unit: float):
        # Greedy by importance (powers of ten, then 2 and 5, ...): a tick is kept
        # when it is far enough from every tick already kept, so a warped axis
        # (mel) gets dense labels where it is stretched and sparse where squeezed.
        floor_hz = 20.0 if hz_hi > 200 else hz_lo
        decades = range(math.floor(math.log10(hz_lo)) - 1, math.ceil(math.log10(hz_hi)) + 1)
        kept_pos: list[float] = []
        kept_hz: list[float] = []
        for mantissas in _HZ_TIERS:
            for m in mantissas:
                for d in decades:
                    hz = m * 10.0**d
                    if not (max(hz_lo, floor_hz) <= hz <= hz_hi) or hz in kept_hz:
                        continue
                    p = float(self._positions(np.array([hz]))[0])
                    if all(abs(p - q) * px_per_unit >= self._min_gap_px for q in kept_pos):
                        kept_pos.append(p)
                        kept_hz.append(hz)
        major = np.array(sorted(h for h in kept_hz if _is_power_of_ten(h)))
        minor = np.array(sorted(h for h in kept_hz if not _is_power_of_ten(h)))
        levels = []
        for group in (major, minor):
            pos = self._positions(group)
            for p, h in zip(pos, group, strict=True):
                self._labels[round(float(p), 6)] = format_hz(float(h))
            levels.append((_spacing(pos), [float(p) for p in pos]))
        return levels

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        out = []
        for v in values:
            label = self._labels.get(round(float(v), 6))
            if label is None:
                label = format_hz(float(self._to_hz(np.array([v]))[0]))
            out.append(label)
        return out

    def label_texts(self) -> list[str]:
        """The labels of the ticks drawn last (for tests and tooltips)."""
        return list(self._labels.values())


def _spacing(pos: np.ndarray) -> float:
    return float(np.median(np.diff(pos))) if pos.size >= 2 else 1.0


def _is_power_of_ten(hz: float) -> bool:
    return abs(math.log10(hz) - round(math.log10(hz))) < 1e-9
