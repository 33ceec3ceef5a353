"""SpectrumView: the frequency profile of the selection or of the audio at the cursor."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

from app.views.spectrum_view import SpectrumView, find_peak
from app.viewstate import ViewState
from core.analysis import note_name
from core.audio import Audio

SR = 22050


def two_tones() -> Audio:
    t = np.arange(3 * SR) / SR
    x = np.where(t < 1.5, np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t))
    return Audio((0.5 * x).astype(np.float32)[None, :], SR)


@pytest.fixture
def vs():
    v = ViewState()
    v.set_duration(3.0)
    v.zoom_to_fit()
    return v


@pytest.fixture
def view(qtbot, vs):
    w = SpectrumView(vs)
    qtbot.addWidget(w)
    w.resize(700, 300)
    w.show()
    qtbot.waitExposed(w)
    w.set_audio(two_tones())
    yield w
    w.shutdown()


def test_selection_in_the_first_tone_peaks_at_a4(qtbot, view, vs):
    with qtbot.waitSignal(view.updated, timeout=5000):
        vs.set_selection(0.2, 1.0)
    assert view.source == "selection"
    f, level = view.peak
    assert f == pytest.approx(440, abs=1.5)
    assert note_name(f)[0] == "A4"
    assert level == pytest.approx(-6.0, abs=1.5)  # a 0.5-amplitude sine
    assert "A4" in view._peak_text.toPlainText()
    x, y = view.curve.getData()
    # x is log10(Hz) of the FFT bins from ~20 Hz up.
    assert 15 < 10 ** x[0] < 25
    assert np.allclose(np.diff(10 ** x), SR / 8192)


def test_cursor_window_follows_the_cursor(qtbot, view, vs):
    with qtbot.waitSignal(view.updated, timeout=5000):
        vs.set_cursor(2.2, 1000.0, -10.0)
    assert view.source == "cursor"
    assert view.peak[0] == pytest.approx(880, abs=1.5)
    with qtbot.waitSignal(view.updated, timeout=5000):
        vs.set_cursor(0.3)
    assert view.peak[0] == pytest.approx(440, abs=1.5)


def test_long_selection_is_analysed_in_the_background(qtbot, vs):
    t = np.arange(20 * SR) / SR
    audio = Audio((0.3 * np.sin(2 * np.pi * 261.63 * t)).astype(np.float32)[None, :], SR)
    vs.set_duration(20.0)
    w = SpectrumView(vs)
    qtbot.addWidget(w)
    w.set_audio(audio)
    vs.set_selection(1.0, 19.0)
    qtbot.waitUntil(lambda: w.source == "selection" and w.peak is not None, timeout=10000)
    assert note_name(w.peak[0])[0] == "C4"
    w.shutdown()


def test_box_selection_limits_the_peak_search(qtbot, view, vs):
    with qtbot.waitSignal(view.updated, timeout=5000):
        vs.set_selection(1.0, 2.0, 600.0, 2000.0)  # both tones, but only 880 Hz in the box
    assert view.peak[0] == pytest.approx(880, abs=1.5)
    assert view._band.isVisible()


def test_no_audio_clears_the_plot(qtbot, view):
    with qtbot.waitSignal(view.updated, timeout=5000):
        view.set_audio(None)
    assert view.peak is None
    assert len(view.curve.getData()[0] or []) == 0


@pytest.mark.parametrize("f", [55.0, 440.0, 3520.0])
def test_find_peak_refines_between_bins(f):
    n = 8192
    t = np.arange(n) / SR
    x = np.sin(2 * np.pi * f * t) * np.hanning(n)
    db = 20 * np.log10(np.abs(np.fft.rfft(x)) + 1e-12)
    freqs = np.fft.rfftfreq(n, 1 / SR)
    peak_f, _ = find_peak(freqs, db)
    assert abs(peak_f - f) < 0.25 * SR / n


def test_screenshot(qtbot, view, vs):
    with qtbot.waitSignal(view.updated, timeout=5000):
        vs.set_selection(0.2, 1.0)
    img = view.grab().toImage()
    assert img.save("/tmp/resonote_spectrum_view.png")
    assert len({img.pixel(x, y) for x in range(60, img.width(), 23)
                for y in range(30, img.height() - 30, 9)}) > 5


def test_find_peak_on_the_slope_of_a_stronger_low_bin_stays_in_its_bin():
    """The strongest bin above f_min can be on the slope of a bigger peak below f_min (a DC
    offset, rumble): it must not be 'refined' far away (it once came out at a negative
    frequency and the view's log10 raised)."""
    freqs = np.arange(0, 200) * 10.0  # 10 Hz bins
    db = -100.0 + 0 * freqs
    db[2], db[3], db[4] = 0.0, -1.0, -2.0001  # f_min = 30 Hz excludes the 20 Hz peak
    f, level = find_peak(freqs, db, 30.0)
    assert f == 30.0 and level == -1.0
    db[2], db[3], db[4] = -10.0, -1.0, -1.0000001  # nearly flat top: p clipped to half a bin
    f, _ = find_peak(freqs, db, 30.0)
    assert 25.0 <= f <= 35.0
