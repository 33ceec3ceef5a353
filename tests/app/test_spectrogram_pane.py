"""SpectrogramPane: level of detail, controls and mouse, driven by real Qt events."""

from __future__ import annotations

import math
import os
import re
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.views.spectrogram_controls import normalize_settings
from app.views.spectrogram_pane import SpectrogramPane
from app.views.tile_worker import TileWorker
from app.viewstate import ViewState
from core.analysis import note_name
from core.audio import Audio

SR = 22050
NOTE_RE = re.compile(r"^[A-G]#?-?\d")


def two_tones() -> Audio:
    """440 Hz for 1.5 s, then 880 Hz for 1.5 s."""
    t = np.arange(3 * SR) / SR
    x = np.where(t < 1.5, np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t))
    return Audio((0.5 * x).astype(np.float32)[None, :], SR)


@pytest.fixture
def vs():
    v = ViewState()
    v.set_duration(3.0)
    v.zoom_to_fit()
    return v


def make_pane(qtbot, vs, **settings) -> SpectrogramPane:
    pane = SpectrogramPane(vs)
    qtbot.addWidget(pane)
    pane.resize(900, 420)
    pane.show()
    qtbot.waitExposed(pane)
    if settings:
        pane.apply_settings(settings)
    pane.set_audio(two_tones(), title="Two tones")
    qtbot.waitUntil(lambda: pane.overview is not None and not pane.busy, timeout=30000)
    return pane


@pytest.fixture
def pane(qtbot, vs):
    p = make_pane(qtbot, vs, scale="linear")
    yield p
    p.shutdown()


def viewport_point(pane: SpectrogramPane, t: float, hz: float) -> QPoint:
    return pane.view_to_widget(t, hz).toPoint()


def row_of(spec, hz: float) -> int:
    return int(np.argmin(np.abs(spec.freqs - hz)))


def test_overview_shows_the_tones_where_they_are(pane):
    img = pane.overview_item.image
    assert img is not None and img.dtype == np.uint8 and img.flags.c_contiguous
    spec = pane.overview
    assert img.shape == spec.values.shape
    first = spec.times < 1.4
    second = spec.times > 1.6
    r440, r880, r3k = row_of(spec, 440), row_of(spec, 880), row_of(spec, 3000)
    assert img[r440, first].mean() > 180
    assert img[r880, second].mean() > 180
    assert img[r440, second].mean() < 90
    assert img[r3k].mean() < 60
    # Positioned in seconds x Hz: the image's rect spans the audio and the spectrum.
    rect = pane.overview_item.mapRectToParent(pane.overview_item.boundingRect())
    assert rect.left() == pytest.approx(0.0, abs=0.05) and rect.right() == pytest.approx(3.0, abs=0.05)
    assert rect.top() <= 1 and rect.bottom() == pytest.approx(SR / 2, rel=0.01)


def test_wheel_zooms_time_around_the_mouse(pane, vs):
    t0, t1 = vs.range
    anchor_t = 0.75
    pos = QPointF(pane.view_to_widget(anchor_t, 2000))
    ev = QWheelEvent(pos, QPointF(pane.plot.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0),
                     QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(pane.plot.viewport(), ev)
    n0, n1 = vs.range
    assert (n1 - n0) == pytest.approx((t1 - t0) / 1.25**2, rel=1e-6)
    assert (anchor_t - n0) / (n1 - n0) == pytest.approx((anchor_t - t0) / (t1 - t0), abs=0.01)
    # The pane follows the shared range.
    assert pane.vb.viewRange()[0] == pytest.approx([n0, n1], abs=1e-6)


def test_zoomed_in_region_is_computed_and_drawn_over_the_overview(qtbot, vs):
    # Long enough that the overview (2048 columns) is coarser than the full STFT.
    t = np.arange(120 * SR) / SR
    audio = Audio((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :], SR)
    vs.set_duration(120.0)
    vs.zoom_to_fit()
    pane = SpectrogramPane(vs)
    qtbot.addWidget(pane)
    pane.resize(900, 420)
    pane.show()
    pane.apply_settings({"scale": "linear"})
    pane.set_audio(audio)
    qtbot.waitUntil(lambda: pane.overview is not None and not pane.busy, timeout=30000)
    assert not pane.region_item.isVisible()  # zoomed out, the overview is enough
    with qtbot.waitSignal(pane.imageUpdated, timeout=30000, check_params_cb=lambda k: k == "region"):
        vs.set_range(10.0, 20.0)
    spec = pane.region
    ov = pane.overview
    assert pane.region_item.isVisible()
    assert spec.times[0] == pytest.approx(10.0, abs=0.05) and spec.times[-1] == pytest.approx(20.0, abs=0.05)
    in_view = np.count_nonzero((ov.times >= 10) & (ov.times <= 20))
    assert spec.n_frames > 2 * in_view  # finer than the overview
    assert pane.region_item.image[row_of(spec, 440)].mean() > 180
    pane.shutdown()


def test_drag_selects_time_and_shift_drag_selects_a_box(qtbot, pane, vs):
    vp = pane.plot.viewport()
    a, b = viewport_point(pane, 0.5, 3000), viewport_point(pane, 1.25, 3000)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(vp, QPoint((a.x() + b.x()) // 2, a.y()))
    QTest.mouseMove(vp, b)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    t0, t1, f0, f1 = vs.selection
    assert t0 == pytest.approx(0.5, abs=0.01) and t1 == pytest.approx(1.25, abs=0.01)
    assert math.isnan(f0) and math.isnan(f1)
    assert pane._sel_region.isVisible()

    a, b = viewport_point(pane, 1.6, 700), viewport_point(pane, 2.4, 1100)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, a)
    QTest.mouseMove(vp, b)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, b)
    t0, t1, f0, f1 = vs.selection
    assert (t0, t1) == pytest.approx((1.6, 2.4), abs=0.01)
    assert (f0, f1) == pytest.approx((700, 1100), abs=60)
    assert pane._sel_box.isVisible()

    # A click without dragging clears the selection and moves the playhead.
    c = viewport_point(pane, 2.0, 3000)
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, c)
    assert not vs.has_selection
    assert vs.playhead == pytest.approx(2.0, abs=0.01)


def test_ctrl_drag_pans(pane, vs):
    vs.set_range(1.0, 2.0)
    vp = pane.plot.viewport()
    a, b = viewport_point(pane, 1.5, 3000), viewport_point(pane, 1.25, 3000)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, a)
    QTest.mouseMove(vp, b)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, b)
    t0, t1 = vs.range
    assert t1 - t0 == pytest.approx(1.0)
    assert t0 == pytest.approx(1.25, abs=0.01)
    assert not vs.has_selection


def test_mouse_move_reports_frequency_note_and_level(qtbot, pane, vs):
    p = viewport_point(pane, 0.7, 440)
    with qtbot.waitSignal(vs.cursorChanged, timeout=2000):
        QTest.mouseMove(pane.plot.viewport(), p)
    t, f, level = vs.cursor
    bin_hz = SR / pane.settings()["n_fft"]
    assert t == pytest.approx(0.7, abs=0.01)
    assert abs(f - 440) < bin_hz
    assert note_name(f)[0] == "A4"
    assert level > -25  # the bright tone row
    assert "A4" in pane.controls.readout.text()
    QTest.mouseMove(pane.plot.viewport(), viewport_point(pane, 0.7, 5000))
    assert vs.cursor[2] < level - 30


def test_colour_map_and_range_recolour_without_recomputing(qtbot, pane):
    before = pane.grab().toImage()
    overview = pane.overview
    pane.apply_settings({"cmap": "viridis"})
    assert not pane.busy and pane.overview is overview
    after = pane.grab().toImage()
    assert after != before
    image_before = pane.overview_item.image.copy()
    pane.apply_settings({"floor_db": -40, "ceiling_db": -10})
    assert not pane.busy and pane.overview is overview
    assert not np.array_equal(pane.overview_item.image, image_before)
    assert pane.controls.floor.value() == -40


def test_log_scale_recomputes_and_labels_notes(qtbot, pane):
    overview = pane.overview
    pane.controls.scale.setCurrentIndex(pane.controls.scale.findData("log"))
    assert pane.busy
    qtbot.waitUntil(lambda: pane.overview is not overview and not pane.busy, timeout=30000)
    assert pane.overview.scale == "log" and pane.settings()["scale"] == "log"
    pane.grab()  # paint, so the axis generates its ticks
    labels = pane.freq_axis.label_texts()
    assert any(label.startswith("C4 ") for label in labels)
    assert all(NOTE_RE.match(label) for label in labels)
    # The tone is still found at the right height on the log axis.
    img, spec = pane.overview_item.image, pane.overview
    assert img[row_of(spec, 440), spec.times < 1.4].mean() > 180


def test_fft_change_recomputes_with_new_parameters(qtbot, pane):
    pane.controls.fft.setCurrentIndex(pane.controls.fft.findData(4096))
    qtbot.waitUntil(lambda: pane.overview.n_fft == 4096 and not pane.busy, timeout=30000)
    assert pane.settings()["hop_length"] == 1024
    assert pane.overview.hop_length == 1024


def test_settings_roundtrip_and_normalisation(qtbot, vs):
    pane = SpectrogramPane(vs)
    qtbot.addWidget(pane)
    pane.apply_settings({"scale": "mel", "n_fft": 3000, "hop_length": 1100, "window": "blackman",
                         "floor_db": -120, "ceiling_db": 10, "cmap": "grey", "bogus": 1})
    s = pane.settings()
    assert s == {"scale": "mel", "n_fft": 4096, "hop_length": 1024, "window": "blackman",
                 "floor_db": -120.0, "ceiling_db": 10.0, "cmap": "grey"}
    assert pane.controls.window.currentData() == "blackman"
    assert normalize_settings({"floor_db": 5, "ceiling_db": -5})["ceiling_db"] == 6.0
    assert normalize_settings({"scale": "bark", "n_fft": "x"})["scale"] == "log"


def test_tile_worker_drops_stale_results(qtbot):
    worker = TileWorker()
    release = threading.Event()
    seen = []
    worker.finished.connect(lambda kind, rid, result: seen.append(result))

    def slow(cancel):
        release.wait(5)
        return "old"

    worker.submit("x", slow)
    worker.submit("x", lambda cancel: "new")
    release.set()
    qtbot.waitUntil(lambda: not worker.busy, timeout=5000)
    qtbot.wait(50)
    assert seen == ["new"]
    worker.shutdown()


def test_screenshot_of_a_log_spectrogram(qtbot, vs):
    pane = make_pane(qtbot, vs, scale="log")
    vs.set_selection(0.4, 1.1)
    vs.set_playhead(2.0)
    path = "/tmp/resonote_spectrogram_pane.png"
    img = pane.grab().toImage()
    assert img.save(path)
    # Mostly dark background with a few bright tone rows: not blank, not a flat colour.
    colours = {img.pixel(x, y) for x in range(80, img.width() - 20, 37)
               for y in range(40, img.height() - 30, 11)}
    assert len(colours) > 10
    pane.shutdown()


def test_alt_wheel_zooms_frequency_and_double_click_shows_all(qtbot, pane, vs):
    vp = pane.plot.viewport()
    pos = QPointF(pane.view_to_widget(1.0, 4000))
    ev = QWheelEvent(pos, QPointF(vp.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 360),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.AltModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    time_range = vs.range
    QApplication.sendEvent(vp, ev)
    lo, hi = pane.frequency_view()
    assert lo < 4000 < hi and hi - lo < SR / 2 / 1.9
    assert vs.range == time_range  # time untouched
    # The mouse's frequency stays under the mouse.
    assert pane.view_to_widget(1.0, 4000).y() == pytest.approx(pos.y(), abs=1.5)
    QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      pos.toPoint())
    assert pane.frequency_view() is None


@pytest.mark.parametrize("scale", ["linear", "log", "mel"])
def test_frequency_axis_ticks_for_each_scale(qtbot, scale):
    from app.views.note_axis import FreqMap, FrequencyAxis
    from core.analysis import frequency_axis

    fmap = FreqMap(scale, frequency_axis(44100, 2048, scale=scale).freqs)
    axis = FrequencyAxis("left")
    axis.set_mapping(fmap.y_to_hz, fmap.hz_to_y, notes=scale == "log", linear=fmap.linear)
    lo, hi = fmap.full_range()
    levels = axis.tickValues(lo, hi, 400)
    # pyqtgraph's own linear ticks label the finer level only when there is room.
    used = levels[:1] if fmap.linear else levels
    positions = sorted(p for _, values in used for p in values)
    labels = axis.label_texts()
    assert len(positions) >= 5
    assert min(np.diff(positions)) * 400 / (hi - lo) >= 14  # labels never overlap
    if scale == "log":
        assert "C4 262" in labels and all(NOTE_RE.match(label) for label in labels)
    else:
        assert any(label in ("1k", "1000") or label.endswith("k") for label in labels)
        assert not any(NOTE_RE.match(label) for label in labels)
