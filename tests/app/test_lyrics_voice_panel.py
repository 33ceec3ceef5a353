"""The Lyrics & Voice panel in the window: text to speech into a track, lyrics to karaoke timing.

Real engines on small real inputs: espeak-ng speaks; the alignment model is
the tiny random wav2vec2 (core.align.testing), downloaded by the panel's own
Download button from a local HTTP server into an isolated cache.  The vocal
track is espeak-ng reading the lyrics.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import Qt

from core import models

NAME = "tiny-align-panel"
LYRICS = "[Verse]\nRow, row, row your boat\nGently down the stream\n"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def lyrics_panel(window):
    """The panel, in the tools area (added here while the window does not list it yet)."""
    from app.panels.lyrics_voice_panel import LyricsVoicePanel

    panel = window.tool_panels.get(LyricsVoicePanel.TITLE)
    if panel is None:
        panel = LyricsVoicePanel(window)
        window.tool_panels[panel.TITLE] = panel
        window.tools.addTab(panel, panel.TITLE.replace("&", "&&"))  # "&" is a mnemonic
    window.docks["tools"].show()
    window.tools.setCurrentWidget(panel)
    return panel


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory):
    from core.align.testing import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("w2v"))


@pytest.fixture
def tiny_server(cache, tiny_files):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tiny_files)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    models.register(models.ModelSpec(
        name=NAME, task="align", description="tiny random CTC model", source="download",
        licence="MIT", loader="transformers-dir", base_url="https://example.invalid/",
        files=tuple(models.FileSpec(n) for n in ("config.json", "preprocessor_config.json",
                                                 "vocab.json", "model.safetensors"))),
        replace=True)
    yield url
    from core.align import clear_cache

    clear_cache()
    models.unregister(NAME)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def vocals(tmp_path_factory) -> Path:
    from core.audio import save
    from core.tts import synthesize

    path = tmp_path_factory.mktemp("vocals") / "vocals.wav"
    save(synthesize(LYRICS.replace("[Verse]", ""), voice="en-us"), path)
    return path


# -- text to speech ---------------------------------------------------------------------------
def test_speak_adds_a_generated_track_at_the_playhead(qtbot, window, tone_wav):
    source = open_and_wait(qtbot, window, tone_wav)
    panel = lyrics_panel(window)
    section = panel.voice
    panel.tabs.setCurrentWidget(section)
    assert section.engine() == "espeak" and section.voice_combo.count() > 50
    assert section.voice() == "en-us"  # favourites first
    assert not section.speak_button.isEnabled()  # no text yet
    window.view_state.set_playhead(1.5)
    qtbot.keyClicks(section.text_edit, "One, two, three, four. Verse two.")
    section.speed_spin.setValue(1.3)
    qtbot.mouseClick(section.speak_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    track = window.model.tracks[-1]
    assert track.id != source.id and track.kind == "generated"
    assert track.name.startswith("Voice: One, two, three")
    assert track.offset_s == pytest.approx(1.5)
    assert track.audio.sr == source.audio.sr  # resampled to the project's rate
    assert 1.0 < track.audio.duration_s < 6.0
    assert np.sqrt(np.mean(track.audio.samples**2)) > 0.02
    assert "Added" in section.last_message
    window.undo_stack.undo()
    assert window.model.tracks[-1].id == source.id


def test_neural_voice_needs_a_download_first(qtbot, window, cache):
    panel = lyrics_panel(window)
    section = panel.voice
    panel.tabs.setCurrentWidget(section)
    section.set_engine("mms")
    assert section.voice() == "mms-tts-eng"
    assert section.download_button.isVisible() and not section.pitch_spin.isEnabled()
    assert "CC-BY-NC-4.0" in section.voice_info.text()
    section.text_edit.setPlainText("Hello")
    n = len(window.model.tracks)
    assert section.speak() is None
    assert "not downloaded yet" in section.last_message
    assert len(window.model.tracks) == n


def test_piper_voice_download_then_speak(qtbot, window, cache, tmp_path):
    from core.tts import piper
    from core.tts.testing import write_tiny_piper_voice

    files = write_tiny_piper_voice(tmp_path / "voice", "tiny")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(files)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    name = "piper-tiny-panel"
    models.register(models.ModelSpec(
        name=name, task="tts", description="tiny Piper-style voice", source="download",
        licence="MIT", loader="onnx", base_url="https://example.invalid/",
        files=(models.FileSpec("tiny.onnx"), models.FileSpec("tiny.onnx.json")),
        extra={"engine": "piper"}), replace=True)
    try:
        panel = lyrics_panel(window)
        section = panel.voice
        panel.tabs.setCurrentWidget(section)
        section.set_engine("piper")
        section.select_voice(name)
        assert section.download_button.isVisible() and section.voice_state() == "not-installed"
        section.download_base_url = f"http://127.0.0.1:{server.server_address[1]}"
        qtbot.mouseClick(section.download_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, window)
        assert section.voice() == name and section.voice_state() == "downloaded"
        assert not section.download_button.isVisible()
        section.text_edit.setPlainText("Count in: one, two, three, four.")
        window.view_state.set_playhead(0.0)
        qtbot.mouseClick(section.speak_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, window)
        track = window.model.tracks[-1]
        assert track.kind == "generated" and track.audio.sr == 22050
        assert track.audio.duration_s > 0.5
    finally:
        piper.clear_cache()
        models.unregister(name)
        server.shutdown()
        server.server_close()


# -- lyrics alignment -------------------------------------------------------------------------
def test_align_after_download_shows_karaoke_and_exports(qtbot, window, tiny_server, vocals,
                                                          tmp_path):
    track = open_and_wait(qtbot, window, vocals)
    panel = lyrics_panel(window)
    section = panel.lyrics
    panel.tabs.setCurrentWidget(section)
    section.select_model(NAME)
    assert section.model_state() == "not-installed"
    assert not section.track_button.isEnabled()  # no lyrics yet

    # Download through the panel's button, from the local server.
    section.download_base_url = tiny_server
    qtbot.mouseClick(section.download_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert section.model_state() == "downloaded", section.last_message
    assert not section.download_button.isVisible()

    lyrics_file = tmp_path / "song.lrc"
    lyrics_file.write_text("[ar:Trad]\n[00:01.00]Row, row, row your boat\n"
                           "[00:04.00]<00:04.00>Gently <00:04.50>down the stream\n",
                           encoding="utf-8")
    section.load_file(lyrics_file)
    assert section.lyrics() == "Row, row, row your boat\nGently down the stream"
    assert not section.export_buttons["lrc"].isEnabled()
    qtbot.mouseClick(section.track_button, Qt.MouseButton.LeftButton)
    assert section.align_row.isVisible()
    wait_idle(qtbot, window, 60000)

    layer = track.layers[-1]
    assert layer.kind == "transcript" and layer.data["task"] == "align"
    assert layer.name == f"Lyrics ({NAME})"
    timing = section.timing()
    assert [s.text for s in timing.segments] == ["Row, row, row your boat",
                                                 "Gently down the stream"]
    assert len(timing.words) == 9
    assert "2 lines, 9 words" in section.last_message

    # The transcript pane shows it and lights up the word under the playhead.
    pane = window.tool_panels["Transcribe"].speech.pane
    assert pane is not None and pane.isVisible()
    assert pane.transcript.task == "align"
    word = timing.segments[1].words[1]
    window.view_state.set_playhead(track.offset_s + (word.start_s + word.end_s) / 2)
    assert pane._current == (1, 1)

    assert section.export_buttons["lrc"].isEnabled()
    out = section.export(tmp_path / "out.lrc")
    text = out.read_text(encoding="utf-8")
    assert "<" in text and "Gently" in text and text.count("\n[0") == 2
    section.word_tags_check.setChecked(False)
    text = section.export(tmp_path / "plain.lrc").read_text(encoding="utf-8")
    assert "<" not in text
    assert "Gently down the stream" in section.export(tmp_path / "out.srt").read_text()

    window.undo_stack.undo()  # the layer goes, and with it the export
    assert not section.export_buttons["lrc"].isEnabled()


def test_align_selection_keeps_times_on_the_track(qtbot, window, tiny_server, vocals):
    from app.panels.lyrics_voice_jobs import download

    download(NAME, base_url=tiny_server)
    track = open_and_wait(qtbot, window, vocals)
    panel = lyrics_panel(window)
    section = panel.lyrics
    section.select_model(NAME)
    section.set_lyrics("Gently down the stream")
    window.view_state.set_selection(track.offset_s + 1.0, track.offset_s + 3.0)
    assert section.selection_button.isEnabled()
    qtbot.mouseClick(section.selection_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    timing = section.timing()
    assert timing.duration_s == pytest.approx(3.0)
    assert all(1.0 - 1e-6 <= w.start_s <= w.end_s <= 3.0 + 1e-6 for w in timing.words)
    assert track.layers[-1].data["range_s"] == [1.0, 3.0]


def test_align_messages(qtbot, window, cache, vocals):
    panel = lyrics_panel(window)
    section = panel.lyrics
    panel.tabs.setCurrentWidget(section)
    section.set_lyrics("Row your boat")
    assert section.align() is None and "vocal track first" in section.last_message
    open_and_wait(qtbot, window, vocals)
    section.set_lyrics("[Chorus]\n")
    assert section.align() is None and "only section tags" in section.last_message
    section.set_lyrics("Row your boat")
    section.select_model("wav2vec2-base-960h")
    assert section.download_button.isVisible()
    assert section.align() is None and "not downloaded yet" in section.last_message
    assert "Download it once" in section.model_info.text()


def test_screenshot(qtbot, window, tiny_server, vocals):
    from app.panels.lyrics_voice_jobs import download

    download(NAME, base_url=tiny_server)
    open_and_wait(qtbot, window, vocals)
    panel = lyrics_panel(window)
    section = panel.lyrics
    panel.tabs.setCurrentWidget(section)
    section.select_model(NAME)
    section.set_lyrics(LYRICS)
    qtbot.mouseClick(section.track_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    window.view_state.set_playhead(window.model.tracks[-1].offset_s
                                   + section.timing().words[2].start_s + 0.01)
    qtbot.wait(50)
    image = window.grab()
    image.save("/tmp/lyrics_panel.png")
    assert image.width() > 1000
    panel.tabs.setCurrentWidget(panel.voice)
    panel.voice.text_edit.setPlainText("Verse two. One, two, three, four.")
    qtbot.wait(50)
    window.grab().save("/tmp/voice_panel.png")
