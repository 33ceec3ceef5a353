"""Speech → text in the window: the Transcribe panel's speech section and the transcript pane.

Real engine (the bundled Whisper tiny.en) on real recorded speech from
tests/data/speech, loaded through the window's own open path.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QDockWidget, QFileDialog, QInputDialog

from core.speech import Transcript
from core.speech.metrics import word_error_rate

DATA = Path(__file__).resolve().parents[1] / "data" / "speech"
CLIPS = ("cmu_arctic_a0007", "pocketsphinx_goforward", "librivox_sense_and_sensibility_0880")
GAP_S = 1.0


def references() -> dict[str, str]:
    rows = [ln.split("\t") for ln in (DATA / "references.tsv").read_text().splitlines()
            if ln and not ln.startswith("#")]
    return {k: v for k, v in rows}


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory) -> Path:
    """Three real clips with a second of silence after each: three segments of speech."""
    from core.audio import Audio, load, save

    parts = []
    for name in CLIPS:
        a = load(DATA / f"{name}.flac")
        parts += [a.samples, np.zeros((1, int(GAP_S * a.sr)), np.float32)]
    path = tmp_path_factory.mktemp("speech") / "memo.wav"
    save(Audio(np.concatenate(parts, axis=1), 16000), path, subtype="16")
    return path


@pytest.fixture(scope="session")
def engine_transcript(speech_wav) -> Transcript:
    """What the engine itself makes of the clip (for the pane tests)."""
    from core.audio import load
    from core.speech import transcribe

    return transcribe(load(speech_wav), word_timestamps=True)


def speech_section(window):
    panel = window.tool_panels["Transcribe"]
    window.docks["tools"].show()
    window.tools.setCurrentWidget(panel)
    panel.tabs.setCurrentWidget(panel.speech)
    return panel.speech


def with_transcript(qtbot, window, speech_wav, transcript: Transcript, *, offset_s=0.0):
    """Open the clip and attach ``transcript`` as a layer (as a finished job would)."""
    from core.project import Layer

    track = open_and_wait(qtbot, window, speech_wav)
    if offset_s:
        window.model.set_track_attr(track.id, "offset_s", offset_s)
    section = speech_section(window)
    window.add_layer_from_job(track.id, Layer("transcript", "Transcript (tiny.en)",
                                              transcript.to_dict()))
    section.show_pane()
    return track, section, section.pane


def click_text(qtbot, pane, position: int, *, double: bool = False) -> None:
    cur = QTextCursor(pane.text.document())
    cur.setPosition(position)
    rect = pane.text.cursorRect(cur)
    point = QPoint(rect.right() + 3, rect.center().y())
    if double:
        qtbot.mouseDClick(pane.text.viewport(), Qt.MouseButton.LeftButton, pos=point)
    else:
        qtbot.mouseClick(pane.text.viewport(), Qt.MouseButton.LeftButton, pos=point)


def find_word(t: Transcript, text: str) -> tuple[int, int]:
    for si, seg in enumerate(t.segments):
        for wi, w in enumerate(seg.words):
            if re.sub(r"\W", "", w.text.lower()) == text:
                return si, wi
    raise AssertionError(f"{text!r} not in {t.text!r}")


# -- transcribing through the panel ---------------------------------------------------------
def test_transcribe_track_then_click_and_follow(qtbot, window, speech_wav):
    track = open_and_wait(qtbot, window, speech_wav)
    section = speech_section(window)
    assert section.model_name() == "whisper-tiny.en"
    assert "built in" in section.model_combo.currentText()
    qtbot.mouseClick(section.track_button, Qt.MouseButton.LeftButton)
    assert section.transcribe_row.isVisible()
    wait_idle(qtbot, window, 90000)

    layers = [lr for lr in track.layers if lr.kind == "transcript"]
    assert len(layers) == 1, section.last_message
    t = Transcript.from_dict(layers[0].data)
    assert t.model == "whisper-tiny.en" and t.words
    refs = references()
    wer = word_error_rate([" ".join(refs[c] for c in CLIPS)], [t.text])
    assert wer < 0.3, t.text
    assert len(t.segments) >= 3
    assert not section.transcribe_row.isVisible() and section.track_button.isEnabled()

    dock = window.findChild(QDockWidget, "transcriptDock")
    pane = section.pane
    assert dock is not None and dock.isVisible() and dock.widget() is pane
    assert "superlative" in pane.text.toPlainText()

    # Click a word: the playhead goes to its start.
    si, wi = find_word(t, "forward")
    click_text(qtbot, pane, pane.text.word_ranges[(si, wi)][0])
    assert window.view_state.playhead == pytest.approx(t.segments[si].words[wi].start_s)
    assert pane.current_segment() == si

    # Moving the playhead highlights the segment (and word) playing.
    last = t.segments[-1]
    window.view_state.set_playhead((last.start_s + last.end_s) / 2)
    assert pane.current_segment() == len(t.segments) - 1
    marked = [s.cursor.selectedText() for s in pane.text.extraSelections()]
    assert last.text.split()[0].strip(".,") in marked[0] and len(marked) == 2
    window.view_state.set_playhead(t.segments[0].end_s + 0.5)  # in the gap
    assert pane.current_segment() is None and pane.text.extraSelections() == []

    # The layer is one undo step.
    window.undo_stack.undo()
    assert not [lr for lr in track.layers if lr.kind == "transcript"]
    assert pane.transcript is None


def test_transcribe_selection_offsets_times(qtbot, window, speech_wav):
    track = open_and_wait(qtbot, window, speech_wav)
    offset = 2.0
    window.model.set_track_attr(track.id, "offset_s", offset)
    section = speech_section(window)
    second = 4.0 + GAP_S  # where the second clip starts in the track
    window.view_state.set_selection(offset + second - 0.5, offset + second + 3.3)
    assert section.selection_button.isEnabled()
    qtbot.mouseClick(section.selection_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 90000)

    layer = next(lr for lr in track.layers if lr.kind == "transcript")
    t = Transcript.from_dict(layer.data)
    assert word_error_rate([references()["pocketsphinx_goforward"]], [t.text]) <= 0.25, t.text
    assert layer.data["range_s"] == pytest.approx([second - 0.5, second + 3.3])
    # Times count from the track's start: the speech begins ~0.1 s into the clip.
    assert second <= t.segments[0].start_s <= second + 0.6
    si, wi = find_word(t, "forward")
    word = t.segments[si].words[wi]
    assert second + 0.5 < word.start_s < second + 1.2
    pane = section.pane
    assert pane.offset_s == offset
    click_text(qtbot, pane, pane.text.word_ranges[(si, wi)][0])
    assert window.view_state.playhead == pytest.approx(word.start_s + offset)


def test_unavailable_model_is_explained(qtbot, window, speech_wav, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    open_and_wait(qtbot, window, speech_wav)
    section = speech_section(window)
    section.select_model("faster-whisper-base")
    assert "not downloaded" in section.model_combo.currentText()
    assert section.download_button.isVisible()
    n_jobs = len(window.runner.jobs)
    qtbot.mouseClick(section.track_button, Qt.MouseButton.LeftButton)
    assert len(window.runner.jobs) == n_jobs  # nothing started
    assert "base is not downloaded yet" in section.status.text()
    assert "tiny.en" in section.status.text()
    # English-only models cannot translate or take another language.
    section.select_model("faster-whisper-base.en")
    assert not section.language_combo.isEnabled() and not section.translate_check.isEnabled()
    section.select_model("faster-whisper-small")
    assert section.language_combo.isEnabled() and section.translate_check.isEnabled()


# -- the pane on a transcript made by the engine ---------------------------------------------
def test_search_steps_through_matches(qtbot, window, speech_wav, engine_transcript):
    t = engine_transcript
    _track, _section, pane = with_transcript(qtbot, window, speech_wav, t)
    qtbot.keyClicks(pane.search, "superlative")
    assert pane.hit_label.text() == "1 found"
    qtbot.keyClick(pane.search, Qt.Key.Key_Return)
    assert pane.hit_label.text() == "1 of 1"
    si, wi = find_word(t, "superlative")
    assert pane.hits == [(si, wi)]
    assert window.view_state.playhead == pytest.approx(t.segments[si].words[wi].start_s)
    marked = [s.cursor.selectedText() for s in pane.text.extraSelections()]
    assert "superlative" in marked
    pane.search.clear()
    qtbot.keyClicks(pane.search, "xylophone")
    assert pane.hit_label.text() == "Not found" and pane.hits == []


def test_edit_segment_text_is_undoable(qtbot, window, speech_wav, engine_transcript,
                                       monkeypatch):
    t = engine_transcript
    track, _section, pane = with_transcript(qtbot, window, speech_wav, t, offset_s=1.5)
    si, _ = find_word(t, "forward")
    old = t.segments[si]
    monkeypatch.setattr(QInputDialog, "getMultiLineText",
                        staticmethod(lambda *a, **k: ("Go forward ten metres!", True)))
    click_text(qtbot, pane, pane.text.seg_ranges[si][0] + 12, double=True)

    def shown() -> Transcript:
        layer = next(lr for lr in track.layers if lr.kind == "transcript")
        return Transcript.from_dict(layer.data)

    edited = shown().segments[si]
    assert edited.text == "Go forward ten metres!"
    assert (edited.start_s, edited.end_s) == (old.start_s, old.end_s)
    assert "metres!" in pane.text.toPlainText()
    assert window.undo_stack.undoText().startswith("Edit transcript")
    window.undo_stack.undo()
    assert shown().segments[si] == old
    assert pane.transcript.segments[si].text == old.text
    window.undo_stack.redo()
    assert shown().segments[si].text == "Go forward ten metres!"
    # Punctuation-only edits keep the word timings.
    assert pane.edit_segment(si, "Go, forward ten metres")
    assert shown().segments[si].words == edited.words or not edited.words


def test_loop_segment_selects_it(qtbot, window, speech_wav, engine_transcript):
    t = engine_transcript
    _track, _section, pane = with_transcript(qtbot, window, speech_wav, t, offset_s=0.5)
    window.view_state.set_playhead(t.segments[1].start_s + 0.5 + 0.1)
    qtbot.mouseClick(pane.loop_button, Qt.MouseButton.LeftButton)
    t0, t1 = window.view_state.selection[:2]
    assert (t0, t1) == pytest.approx((t.segments[1].start_s + 0.5, t.segments[1].end_s + 0.5))
    if window.playback is not None and window.playback.available:
        assert window.playback.actions()["loop"].isChecked()
        window.playback.stop()


@pytest.mark.parametrize("fmt", ["srt", "vtt", "json", "txt"])
def test_export_parses_back(qtbot, window, speech_wav, engine_transcript, tmp_path, monkeypatch,
                            fmt):
    from core.speech import read_json

    t = engine_transcript
    _track, _section, pane = with_transcript(qtbot, window, speech_wav, t)
    target = tmp_path / "out"  # no extension: the pane adds it
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    qtbot.mouseClick(pane.export_buttons[fmt], Qt.MouseButton.LeftButton)
    path = target.with_suffix(f".{fmt}")
    text = path.read_text(encoding="utf-8")
    if fmt == "json":
        assert read_json(path).to_dict() == t.to_dict()
        return
    if fmt == "txt":
        assert text.split() == t.text.split()
        return
    sep = "," if fmt == "srt" else r"\."
    cues = re.findall(rf"(\d\d):(\d\d):(\d\d){sep}(\d\d\d) --> (\d\d):(\d\d):(\d\d){sep}(\d\d\d)",
                      text)
    assert len(cues) >= len(t.segments)
    first = [int(x) for x in cues[0]]
    start = first[0] * 3600 + first[1] * 60 + first[2] + first[3] / 1000
    assert start == pytest.approx(t.segments[0].start_s, abs=0.002)
    assert fmt != "vtt" or text.startswith("WEBVTT")
    assert "superlative" in text


def test_pane_follows_current_track(qtbot, window, speech_wav, engine_transcript):
    t = engine_transcript
    track, _section, pane = with_transcript(qtbot, window, speech_wav, t)
    other = open_and_wait(qtbot, window, speech_wav)
    window.set_current_track(other.id)
    assert pane.track_id == other.id and pane.transcript is None
    assert "No transcript" in pane.note.text()
    window.set_current_track(track.id)
    assert pane.transcript is not None and len(pane.transcript.segments) == len(t.segments)


def test_screenshot_of_pane(qtbot, window, speech_wav, engine_transcript):
    t = engine_transcript
    _track, section, pane = with_transcript(qtbot, window, speech_wav, t)
    si, wi = find_word(t, "forward")
    window.view_state.set_playhead(t.segments[si].words[wi].start_s + 0.01)
    qtbot.keyClicks(pane.search, "young man")
    qtbot.keyClick(pane.search, Qt.Key.Key_Return)
    qtbot.wait(50)
    out = Path("/tmp/resonote-transcript.png")
    assert window.grab().save(str(out))
    assert pane.grab().save("/tmp/resonote-transcript-pane.png")
    assert section.grab().save("/tmp/resonote-speech-section.png")


def test_edited_transcript_saved_and_reopened(qtbot, window, speech_wav, engine_transcript,
                                              tmp_path):
    from app.mainwindow import MainWindow

    t = engine_transcript
    track, _section, pane = with_transcript(qtbot, window, speech_wav, t)
    assert pane.edit_segment(0, "And you always want to see it in the superlative degree!")
    window.save_project_to(tmp_path / "memo")
    wait_idle(qtbot, window)
    assert not window.isWindowModified()

    # A fresh window opening the project shows the edited transcript in its pane.
    other = MainWindow()
    other.ask = window.ask
    qtbot.addWidget(other)
    other.show()
    other.open_project(tmp_path / "memo.resonote")
    qtbot.waitUntil(lambda: len(other.model.tracks) == 1, timeout=20000)
    wait_idle(qtbot, other)
    section = other.tool_panels["Transcribe"].speech
    assert section.pane is not None
    assert section.pane.transcript.segments[0].text.endswith("degree!")
    assert section.pane.transcript.segments[1] == t.segments[1]
    other.close()


# -- playback speed (slow a passage down to follow it) ------------------------------------------
def _set_speed_by_keyboard(qtbot, box, percent: int) -> None:
    qtbot.mouseClick(box.lineEdit(), Qt.MouseButton.LeftButton)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), str(percent))
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)


def test_speed_box_sets_the_playback_rate(qtbot, window, speech_wav, engine_transcript):
    from PySide6.QtWidgets import QSpinBox

    from app.playback_controller import PlaybackController

    _track, _section, pane = with_transcript(qtbot, window, speech_wav, engine_transcript)
    ctl = window.playback
    box = pane.speed_box
    transport = window.findChild(QSpinBox, "transportSpeed")
    assert box.isEnabled() and box.value() == 100 and ctl.rate == 1.0
    assert transport is not None and transport is not box

    with qtbot.waitSignal(ctl.rateChanged) as sig:
        _set_speed_by_keyboard(qtbot, box, 75)
    assert sig.args == [0.75] and ctl.rate == 0.75
    assert transport.value() == 75  # the transport shows the same speed
    qtbot.keyClick(box, Qt.Key.Key_Up)  # one 5 % step
    assert ctl.rate == pytest.approx(0.8)
    qtbot.keyClick(box, Qt.Key.Key_PageUp)  # ten steps
    assert ctl.rate == pytest.approx(1.3) and transport.value() == 130
    ctl.set_rate(3.0)  # beyond the range: clamped
    assert ctl.rate == 2.0 and box.value() == 200 and not ctl.actions()["faster"].isEnabled()

    # The controller (the transport's [, ] and \ shortcuts) moves the pane's box too.
    ctl.set_rate(1.5)
    assert box.value() == 150
    ctl.actions()["slower"].trigger()
    assert ctl.rate == pytest.approx(1.45) and box.value() == 145
    ctl.actions()["normal_speed"].trigger()
    assert ctl.rate == 1.0 and box.value() == 100 and not ctl.actions()["normal_speed"].isEnabled()
    ctl.actions()["faster"].trigger()
    assert ctl.rate == pytest.approx(1.05) and transport.value() == 105
    if ctl.player is not None:
        assert ctl.player.rate == pytest.approx(1.05)

    # The speed is remembered: a new controller (next start of the app) begins with it.
    _set_speed_by_keyboard(qtbot, box, 60)
    later = PlaybackController(window.view_state, None, device="no such device")
    try:
        assert later.rate == 0.6
    finally:
        later.close()
    pane.grab().save("/tmp/resonote-transcript-pane-speed.png")


@pytest.mark.audio_device
def test_half_speed_playback_keeps_the_transcript_in_step(pulse_sink, qtbot, window, speech_wav,
                                                          engine_transcript):
    import time

    t = engine_transcript
    _track, _section, pane = with_transcript(qtbot, window, speech_wav, t)
    ctl = window.playback
    assert ctl.available, ctl.unavailable_reason
    _set_speed_by_keyboard(qtbot, pane.speed_box, 50)
    assert ctl.player.rate == 0.5
    si, wi = find_word(t, "forward")
    start = t.segments[si].words[wi].start_s
    ctl.play(start)
    qtbot.waitUntil(lambda: window.view_state.playhead > start + 0.05, timeout=3000)
    p0, w0 = window.view_state.playhead, time.monotonic()
    qtbot.wait(600)
    p1, w1 = window.view_state.playhead, time.monotonic()
    ctl.pause()
    # The playhead is in the recording's time: half a second per second of listening.
    assert (p1 - p0) / (w1 - w0) == pytest.approx(0.5, abs=0.15)
    # ...and the pane highlights what is playing at that time.
    assert pane.current_segment() == pane.position_of(window.view_state.playhead)[0] == si
