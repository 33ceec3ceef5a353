"""The Analyse panel in the real window with the real engines (Opus for real; a tiny random
AST placed in an isolated model cache; never a download)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import Qt

from core import models
from core.codec import si_sdr


def _panel(window):
    from app.panels.analyse_panel import AnalysePanel

    panel = window.tool_panels.get("Analyse")
    if panel is None:  # until the lead registers it in app/panels/__init__.py
        panel = AnalysePanel(window)
        window.tool_panels["Analyse"] = panel
        window.tools.addTab(panel, "Analyse")
    window.docks["tools"].show()
    window.tools.setCurrentWidget(panel)
    return panel


def _click(qtbot, button):
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_features_of_a_selection_become_a_layer_plot_and_export(qtbot, window, tone_wav,
                                                                 tmp_path, cache):
    track = open_and_wait(qtbot, window, tone_wav)
    panel = _panel(window)
    sec = panel.features
    sec.set_chosen(["rms", "centroid", "chroma"])
    window.view_state.set_selection(1.0, 2.0)
    sec.selection_box.setChecked(True)
    _click(qtbot, sec.compute_button)
    wait_idle(qtbot, window, 60000)
    layers = [la for la in window.model.track(track.id).layers if la.kind == "features"]
    assert len(layers) == 1
    lay = layers[0]
    assert lay.data["features"] == ["chroma", "centroid", "rms"]
    t = lay.arrays["times_s"]
    assert t[0] == pytest.approx(1.0) and t[-1] <= 2.0 + 0.02
    assert lay.arrays["chroma"].shape == (12, t.size)
    # The test tone is 440 Hz (A) on the left, 660 Hz (E) on the right.
    top2 = np.argsort(lay.arrays["chroma"].mean(axis=1))[-2:]
    assert {lay.data["rows"]["chroma"][i] for i in top2} == {"chroma_A", "chroma_E"}
    # Plot: a dock with the chosen feature on the shared time axis.
    assert sec.dock is not None and sec.dock.isVisible()
    sec.plot_combo.setCurrentIndex(sec.plot_combo.findData("centroid"))
    xs, ys = sec.plot.curve.getData()
    np.testing.assert_allclose(xs, t)
    np.testing.assert_allclose(ys, lay.arrays["centroid"][0])
    window.view_state.set_range(0.5, 2.5)
    assert sec.plot.plot.getPlotItem().vb.viewRange()[0] == pytest.approx([0.5, 2.5], abs=0.01)
    sec.plot_combo.setCurrentIndex(sec.plot_combo.findData("chroma"))
    assert sec.plot.image.isVisible() and sec.plot.image.image.shape == (12, t.size)
    qtbot.wait(50)
    window.grab().save("/tmp/analyse_panel_features.png")
    # Export, then undo removes the layer.
    out = sec.export_to(str(tmp_path / "feat.csv"))
    assert out.read_text().startswith("time_s,chroma_C,")
    window.undo_stack.undo()
    assert not [la for la in window.model.track(track.id).layers if la.kind == "features"]


def test_tags_with_a_tiny_model_in_the_cache_seek_on_click(qtbot, window, tone_wav, cache,
                                                           tmp_path):
    from core.tagging.testing import TINY_LABELS, install_as_downloaded, make_tiny_ast

    track = open_and_wait(qtbot, window, tone_wav)
    panel = _panel(window)
    sec = panel.tags
    panel.tabs.setCurrentWidget(sec)
    sec.models.set_name("ast-audioset")
    assert not sec.tag_button.isEnabled()
    assert "Not downloaded yet" in sec.models.state.text() and sec.models.button.isVisible()
    install_as_downloaded("ast-tiny-test", make_tiny_ast(tmp_path / "ast"), task="tagging")
    try:
        sec.models.set_name("ast-tiny-test")
        assert sec.models.state.text() == "✓ ready" and not sec.models.button.isVisible()
        sec.window_spin.setValue(1.0)
        sec.hop_spin.setValue(1.0)
        sec.top_spin.setValue(3)
        _click(qtbot, sec.tag_button)
        wait_idle(qtbot, window, 60000)
        layers = [la for la in window.model.track(track.id).layers if la.kind == "tags"]
        assert len(layers) == 1 and len(layers[0].data["segments"]) == 3
        assert layers[0].arrays["scores"].shape == (3, len(TINY_LABELS))
        assert sec.list.topLevelItemCount() == 3
        item = sec.list.topLevelItem(2)
        assert item.text(0).startswith("0:02.0") and len(item.text(1).split("·")) == 3
        rect = sec.list.visualItemRect(item)
        qtbot.mouseClick(sec.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.view_state.playhead == pytest.approx(2.0)
        window.resize(1600, 1000)
        qtbot.wait(50)
        window.grab().save("/tmp/analyse_panel_tags.png")
    finally:
        models.unregister("ast-tiny-test")


def test_opus_round_trip_becomes_an_ab_track_with_si_sdr(qtbot, window, tone_wav, cache):
    track = open_and_wait(qtbot, window, tone_wav)
    panel = _panel(window)
    sec = panel.codec
    panel.tabs.setCurrentWidget(sec)
    assert "Not downloaded yet" in sec.models.state.text()
    assert not sec.run_button.isEnabled()  # EnCodec without its model
    sec.set_codec("opus", 48.0)
    _click(qtbot, sec.run_button)
    wait_idle(qtbot, window, 60000)
    tracks = window.model.tracks
    assert len(tracks) == 2
    coded = tracks[1]
    assert coded.name == "tone – Opus 48 kbps" and coded.source_id == track.id
    assert coded.audio.samples.shape == track.audio.samples.shape
    score = si_sdr(track.audio.samples, coded.audio.samples)
    assert score > 10 and sec.result.si_sdr_db == pytest.approx(score, abs=1e-6)
    assert f"SI-SDR {score:.1f} dB" in sec.figures.text()
    assert sec.ab_button.isEnabled()
    sec.ab_button.setChecked(True)  # hear the original in place of the coded track
    if window.playback is not None:
        assert window.playback._ab[:2] == (coded.id, track.id)
    sec.ab_button.setChecked(False)
    panel.tabs.setCurrentWidget(sec)
    qtbot.wait(50)
    window.grab().save("/tmp/analyse_panel.png")


def test_download_button_fetches_the_model_then_tagging_is_possible(qtbot, window, tone_wav,
                                                                    cache, tmp_path):
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from core.tagging.testing import download_spec, make_tiny_ast

    folder = make_tiny_ast(tmp_path / "served")
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        models.register(download_spec("ast-served-test", folder, task="tagging",
                                      base_url=f"http://127.0.0.1:{httpd.server_address[1]}"),
                        replace=True)
        open_and_wait(qtbot, window, tone_wav)
        panel = _panel(window)
        sec = panel.tags
        panel.tabs.setCurrentWidget(sec)
        sec.models.set_name("ast-served-test")
        assert not sec.tag_button.isEnabled() and sec.models.button.text() == "Download"
        _click(qtbot, sec.models.button)
        wait_idle(qtbot, window, 30000)
        assert sec.models.state.text() == "✓ ready" and not sec.models.button.isVisible()
        assert sec.tag_button.isEnabled()
        assert models.status("ast-served-test").state == "downloaded"
    finally:
        models.unregister("ast-served-test")
        httpd.shutdown()
        httpd.server_close()


def test_encodec_with_a_tiny_model_in_the_cache_codes_the_selection(qtbot, window, tone_wav,
                                                                    cache, tmp_path):
    from core.codec.testing import make_tiny_encodec
    from core.tagging.testing import install_as_downloaded

    track = open_and_wait(qtbot, window, tone_wav)
    install_as_downloaded("encodec-tiny-test", make_tiny_encodec(tmp_path / "enc"), task="codec")
    try:
        panel = _panel(window)
        sec = panel.codec
        panel.tabs.setCurrentWidget(sec)
        sec.models.set_name("encodec-tiny-test")
        sec.set_codec("encodec", 3.0)
        assert sec.models.state.text() == "✓ ready"
        window.view_state.set_selection(0.5, 1.5)
        sec.selection_box.setChecked(True)
        _click(qtbot, sec.run_button)
        wait_idle(qtbot, window, 60000)
        coded = window.model.tracks[-1]
        assert coded.name == "tone – EnCodec 3 kbps" and coded.source_id == track.id
        assert coded.offset_s == pytest.approx(0.5)
        assert coded.audio.samples.shape == (2, int(round(1.0 * track.audio.sr)))
        assert "3.00 kbit/s per channel actual" in sec.figures.text()
    finally:
        models.unregister("encodec-tiny-test")
