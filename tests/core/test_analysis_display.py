"""Colour maps, dB-to-byte scaling, note names and the cursor/selection read-outs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.analysis import (
    COLORMAPS,
    colormap_lut,
    level_db,
    note_name,
    note_to_freq,
    spectrum,
    to_uint8,
)
from core.errors import InvalidParameterError


def luminance(lut):
    return lut.astype(float) @ np.array([0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("name", COLORMAPS)
def test_lut_shape_and_monotonic_luminance(name):
    lut = colormap_lut(name)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8 and lut.flags.c_contiguous
    lum = luminance(lut)
    assert np.all(np.diff(lum) >= -1.0)    # non-decreasing up to rounding
    assert lum[-1] - lum[0] > 150
    lut[0] = 7  # a copy: the cached table is untouched
    assert not np.array_equal(colormap_lut(name)[0], [7, 7, 7])


@pytest.mark.parametrize("name,i,rgb", [("viridis", 0, (68, 1, 84)), ("viridis", 255, (253, 231, 37)),
                                        ("magma", 0, (0, 0, 4)), ("magma", 255, (252, 253, 191)),
                                        ("inferno", 255, (252, 255, 164)), ("grey", 128, (128,) * 3)])
def test_lut_endpoints_match_matplotlib(name, i, rgb):
    assert tuple(int(v) for v in colormap_lut(name)[i]) == rgb


def test_unknown_colormap():
    with pytest.raises(InvalidParameterError):
        colormap_lut("jet")


def test_to_uint8_scaling_and_clipping():
    db = np.array([[-200.0, -80.0, -40.0, 0.0, 10.0, np.nan]], np.float32)
    u = to_uint8(db, -80.0, 0.0)
    assert u.dtype == np.uint8 and u.shape == db.shape and u.flags.c_contiguous
    assert u.tolist() == [[0, 0, 128, 255, 255, 0]]
    big = np.linspace(-100, 20, 300_000, dtype=np.float32).reshape(3, -1)
    assert np.array_equal(to_uint8(big, -60, 0),
                          np.clip(np.round((big + 60) / 60 * 255), 0, 255).astype(np.uint8))
    out = np.empty(big.shape, np.uint8)
    assert to_uint8(big, -60, 0, out=out) is out
    with pytest.raises(InvalidParameterError):
        to_uint8(db, 0.0, 0.0)


@pytest.mark.parametrize("freq,name,cents", [(440.0, "A4", 0.0), (466.16, "A#4", 0.0),
                                             (261.6256, "C4", 0.0), (27.5, "A0", 0.0),
                                             (4186.01, "C8", 0.0), (450.0, "A4", 38.9),
                                             (430.0, "A4", -39.8), (16.3516, "C0", 0.0)])
def test_note_name(freq, name, cents):
    got, c = note_name(freq)
    assert got == name
    assert c == pytest.approx(cents, abs=0.1)


def test_note_name_cents_sign_and_invalid():
    assert note_name(445.0)[1] > 0 and note_name(435.0)[1] < 0
    for bad in (0.0, -5.0, float("nan")):
        n, c = note_name(bad)
        assert n == "" and math.isnan(c)


@pytest.mark.parametrize("name,freq", [("A4", 440.0), ("C4", 261.6256), ("A#4", 466.1638),
                                       ("Bb4", 466.1638), (69, 440.0), (60.5, 269.2918),
                                       ("c#-1", 8.6620)])
def test_note_to_freq(name, freq):
    assert note_to_freq(name) == pytest.approx(freq, rel=1e-5)


def test_note_round_trip():
    for midi in range(12, 120):
        name, cents = note_name(note_to_freq(midi))
        assert note_to_freq(name) == pytest.approx(note_to_freq(midi)) and abs(cents) < 1e-6


def test_note_to_freq_bad():
    with pytest.raises(InvalidParameterError):
        note_to_freq("H2")


def test_level_db():
    sr = 8000
    t = np.arange(sr) / sr
    sine = np.sin(2 * np.pi * 100 * t).astype(np.float32)
    assert level_db(sine, 0, sr) == pytest.approx(-3.01, abs=0.01)
    x = np.stack([sine * 0.5, sine * 0.5])
    assert level_db(x, 0, sr) == pytest.approx(-9.03, abs=0.01)
    assert level_db(np.zeros((2, 100), np.float32), 0, 100) == -math.inf
    assert level_db(x, 50, 50) == -math.inf
    assert level_db(np.ones((1, 10), np.float32), -5, 99) == 0.0


@pytest.mark.parametrize("n", [500, 8192, 44100])
def test_spectrum_peak(n):
    sr = 44100
    f = 100 * sr / 8192
    x = np.sin(2 * np.pi * f * np.arange(n) / sr).astype(np.float32)
    freqs, db = spectrum(np.stack([x, x]), sr)
    assert freqs.shape == db.shape == (4097,)
    assert abs(freqs[db.argmax()] - f) <= sr / min(n, 8192)
    if n >= 8192:
        assert db.max() == pytest.approx(0.0, abs=0.1)
    with pytest.raises(InvalidParameterError):
        spectrum(np.zeros((1, 0), np.float32), sr)
