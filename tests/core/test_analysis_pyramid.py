"""MinMaxPyramid: envelopes equal brute-force min/max at every level and range."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import MinMaxPyramid
from core.errors import InvalidParameterError


def signal(channels, n, seed=0):
    return np.random.default_rng(seed).standard_normal((channels, n)).astype(np.float32)


def brute(x, edges):
    spans = list(zip(edges[:-1], edges[1:], strict=True))
    lo = np.stack([x[:, a:b].min(axis=1) for a, b in spans], axis=1)
    hi = np.stack([x[:, a:b].max(axis=1) for a, b in spans], axis=1)
    return lo, hi


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("n", [100_003, 65_536, 4_097])
@pytest.mark.parametrize("base,factor", [(64, 4), (16, 2), (5, 3)])
def test_levels_equal_brute_force(channels, n, base, factor):
    x = signal(channels, n, n)
    p = MinMaxPyramid.from_samples(x, base=base, factor=factor)
    assert p.channels == channels and p.frames == n
    for size, mins, maxs in p.levels:
        edges = np.append(np.arange(0, n, size), n)
        lo, hi = brute(x, edges)
        assert np.array_equal(mins, lo) and np.array_equal(maxs, hi), size
    assert p.levels[-1][1].shape[1] == 1


RANGES = [(0, 100_003), (0, 1), (1, 2), (17, 1017), (12_345, 99_999), (99_000, 100_003),
          (50_000, 50_000), (-10, 5_000_000), (99_990, 100_003)]


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("start,stop", RANGES)
@pytest.mark.parametrize("max_points", [1, 7, 100, 1000, 5000])
def test_envelope_equals_brute_force(channels, start, stop, max_points):
    n = 100_003
    x = signal(channels, n, 7)
    p = MinMaxPyramid.from_samples(x, base=16, factor=4)
    a, b = max(0, min(n, start)), max(0, min(n, stop))
    b = max(a, b)
    edges, lo, hi = p.envelope_bounds(start, stop, max_points)
    xs, mins, maxs = p.envelope(start, stop, max_points)
    m = lo.shape[1]
    assert mins.shape == maxs.shape == (channels, m) and xs.shape == (m,)
    assert mins.dtype == np.float32 and xs.dtype == np.float64
    assert m <= max_points + 1
    if b - a == 0:
        assert m == 0
        return
    assert edges[0] <= a and edges[-1] >= b and np.all(np.diff(edges) > 0)
    width = edges[1] - edges[0]
    assert a - edges[0] < max(width, 1) and edges[-1] - b < max(width, 1)
    blo, bhi = brute(x, edges)
    assert np.array_equal(lo, blo) and np.array_equal(hi, bhi)
    assert np.array_equal(mins, lo) and np.array_equal(maxs, hi)
    if b - a <= max_points:  # raw samples
        assert np.array_equal(mins, x[:, a:b]) and np.array_equal(mins, maxs)
        assert np.array_equal(xs, np.arange(a, b, dtype=np.float64))
    else:
        assert np.all((xs >= edges[:-1]) & (xs < edges[1:]))


@pytest.mark.parametrize("max_points", [200, 1000, 3000])
def test_envelope_reads_few_values(max_points):
    """The coarsest adequate level is used: values read <= max_points * factor (+ edges)."""
    x = signal(1, 1_000_000, 3)
    p = MinMaxPyramid.from_samples(x, base=64, factor=4)
    for start, stop in [(0, 1_000_000), (123_456, 456_789), (10_000, 10_000 + 64 * max_points)]:
        edges, lo, _ = p.envelope_bounds(start, stop, max_points)
        # buckets per point tell which level was read
        per_point = np.diff(edges)[:-1]
        if per_point.size:
            sizes = [s for s, _, _ in p.levels]
            bucket = max([s for s in sizes if per_point[0] % s == 0] or [1])
            read = (edges[-1] - edges[0]) / bucket
            assert read <= max_points * p.factor + 2 * p.factor


def test_one_dimensional_and_odd_input():
    x = signal(1, 999, 4)[0]
    p = MinMaxPyramid.from_samples(x, base=8, factor=2)
    assert p.channels == 1 and p.frames == 999
    _, lo, hi = p.envelope(0, 999, 10)
    assert lo.min() == x.min() and hi.max() == x.max()


def test_empty_and_bad_args():
    p = MinMaxPyramid.from_samples(np.zeros((2, 0), np.float32))
    xs, lo, hi = p.envelope(0, 10, 100)
    assert xs.shape == (0,) and lo.shape == (2, 0)
    with pytest.raises(InvalidParameterError):
        MinMaxPyramid.from_samples(np.zeros((2, 10), np.float32), base=1)
    with pytest.raises(InvalidParameterError):
        MinMaxPyramid.from_samples(np.zeros((2, 100), np.float32)).envelope(0, 100, 0)
