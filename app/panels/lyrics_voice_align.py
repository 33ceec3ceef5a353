"""The lyrics part of the Lyrics & Voice panel: paste lyrics, align them, export LRC/SRT.

Aligning runs :func:`core.align.align_lyrics` on the job runner over the
current track (or the selected part).  The result is a ``"transcript"`` layer
(the same kind the speech transcriber makes, with ``task == "align"``), so the
transcript pane shows the lyrics and lights up each word as it plays —
karaoke style.  Layer times are seconds from the start of the track's audio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.lyrics_voice_jobs import JobRow, align_region, download, state_text
from app.panels.model_choice import STATE_ROLE, chosen_state, fill_model_combo
from core.project import Layer

DEFAULT_MODEL = "wav2vec2-base-960h"  # core.align.DEFAULT_MODEL, without importing the engine


def lyrics_from_file(path: str | Path) -> str:
    """The lyrics in a .txt or .lrc file (LRC time and header tags removed)."""
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    if p.suffix.lower() == ".lrc":
        from core.align.lrc import strip_lrc

        text = strip_lrc(text)
    return text


def alignment_layers(track: Any) -> list[Any]:
    """The track's lyrics-alignment layers (transcript layers made by aligning), oldest first."""
    if track is None:
        return []
    return [lr for lr in track.layers
            if lr.kind == "transcript" and lr.data.get("task") == "align"]


class LyricsSection(QWidget):
    """Lyrics alignment controls; ``panel`` is the owning LyricsVoicePanel.

    Attributes
    ----------
    download_base_url : str or None
        Where model downloads come from (None: each model's own address; tests
        point it at a local server).
    last_message : str
        What the status line last said.
    """

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.host = panel.host
        self.download_base_url: str | None = None
        self.last_message = ""
        self.last_export: Path | None = None
        self._models_loaded = False
        self._build()
        self.host.currentTrackChanged.connect(lambda *_: self._update_buttons())
        self.host.model.layersChanged.connect(lambda *_: self._update_buttons())
        self.host.view_state.selectionChanged.connect(lambda *_: self._update_buttons())

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("Lyrics, one sung line per line:"), 1)
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip("Load lyrics from a .txt or .lrc file")
        self.load_button.clicked.connect(self.load_dialog)
        head.addWidget(self.load_button)
        lay.addLayout(head)
        self.lyrics_edit = QPlainTextEdit()
        self.lyrics_edit.setObjectName("lyricsText")
        self.lyrics_edit.setPlaceholderText(
            "Paste the lyrics here.\n[Chorus] tags and blank lines are skipped;\n"
            "best results on a separated vocal stem.")
        self.lyrics_edit.setMinimumHeight(110)
        self.lyrics_edit.textChanged.connect(self._update_buttons)
        lay.addWidget(self.lyrics_edit, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("alignModel")
        self.model_combo.addItem(DEFAULT_MODEL, DEFAULT_MODEL)
        self.model_combo.currentIndexChanged.connect(lambda _i: self._model_chosen())
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download the chosen model (needs an internet connection)")
        self.download_button.clicked.connect(self.download_selected)
        row = QHBoxLayout()
        row.addWidget(self.model_combo, 1)
        row.addWidget(self.download_button)
        form.addRow("Model", row)
        self.model_info = QLabel("")
        self.model_info.setObjectName("panelNote")
        self.model_info.setWordWrap(True)
        form.addRow("", self.model_info)
        lay.addLayout(form)

        buttons = QHBoxLayout()
        self.track_button = QPushButton("Align track")
        self.track_button.setObjectName("alignTrack")
        self.track_button.setToolTip("Place every word of the lyrics in time in the current track")
        self.track_button.clicked.connect(lambda: self.align(selection=False))
        self.selection_button = QPushButton("Align selection")
        self.selection_button.setToolTip("Align the lyrics to the selected time range only")
        self.selection_button.clicked.connect(lambda: self.align(selection=True))
        buttons.addWidget(self.track_button)
        buttons.addWidget(self.selection_button)
        lay.addLayout(buttons)
        self.align_row = JobRow(self.host.runner, self._update_buttons)
        self.download_row = JobRow(self.host.runner, self._update_buttons)
        lay.addWidget(self.align_row)
        lay.addWidget(self.download_row)

        export = QHBoxLayout()
        self.show_button = QPushButton("Show karaoke")
        self.show_button.setToolTip("Show the timed lyrics in the transcript pane; the sung "
                                    "word lights up during playback")
        self.show_button.clicked.connect(self.show_pane)
        export.addWidget(self.show_button)
        export.addStretch(1)
        self.word_tags_check = QCheckBox("Word tags")
        self.word_tags_check.setChecked(True)
        self.word_tags_check.setToolTip("Enhanced LRC: a <mm:ss.xx> time before every word")
        export.addWidget(self.word_tags_check)
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt, what in (("lrc", "LRC lyrics"), ("srt", "SubRip subtitles")):
            b = QPushButton(f"Export {fmt.upper()}…")
            b.setToolTip(f"Save the timed lyrics of the current track as {what} (.{fmt})")
            b.clicked.connect(lambda _c=False, f=fmt: self.export_dialog(f))
            export.addWidget(b)
            self.export_buttons[fmt] = b
        lay.addLayout(export)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.status)
        self._model_chosen()

    def showEvent(self, e) -> None:  # noqa: N802 (Qt API)
        self.refresh_models()  # the registry is read on first show, not at start-up
        super().showEvent(e)

    # -- lyrics -------------------------------------------------------------------------------
    def lyrics(self) -> str:
        return self.lyrics_edit.toPlainText()

    def set_lyrics(self, text: str) -> None:
        self.lyrics_edit.setPlainText(text)

    def load_dialog(self) -> None:
        settings = getattr(self.host, "settings", None)
        folder = str(getattr(settings, "last_folder", "") or Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Load lyrics", folder,
                                              "Lyrics (*.txt *.lrc);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> None:
        try:
            self.set_lyrics(lyrics_from_file(path))
        except OSError as exc:
            self._say(f"Cannot read {Path(path).name}: {exc.strerror or exc}")
            return
        self._say(f"Loaded {Path(path).name}.")

    # -- models -------------------------------------------------------------------------------
    def refresh_models(self, *, force: bool = False) -> None:
        """Fill the model list from the registry, with each model's install state."""
        if self._models_loaded and not force:
            return
        from core import models

        fill_model_combo(self.model_combo, [m.name for m in models.all_models("align")],
                         chosen=self.model_name(), state_text=state_text)
        self._models_loaded = True
        self._model_chosen()

    def model_name(self) -> str:
        return self.model_combo.currentData() or DEFAULT_MODEL

    def model_state(self) -> str:
        """Install state of the chosen model ("bundled", "downloaded", "not-installed"...)."""
        return chosen_state(self.model_combo, self.model_name())

    def select_model(self, name: str) -> None:
        self.refresh_models(force=True)
        i = self.model_combo.findData(name)
        if i < 0:
            raise KeyError(name)
        self.model_combo.setCurrentIndex(i)

    def _model_chosen(self) -> None:
        state = self.model_combo.currentData(STATE_ROLE) or "not-installed"
        installed = state in ("bundled", "downloaded")
        self.download_button.setVisible(not installed)
        self.download_button.setText("Resume download" if state == "partial" else "Download")
        tip = self.model_combo.currentData(Qt.ItemDataRole.ToolTipRole) or ""
        info = tip.split("\n")[1] if "\n" in tip else ""
        if not installed and self._models_loaded:
            info = (f"{info}. " if info else "") + "Download it once (needs an internet " \
                                                   "connection); then alignment works offline."
        self.model_info.setText(info)
        self._update_buttons()

    def download_selected(self) -> Any:
        """Download the chosen model on the job runner (progress and Cancel below)."""
        name = self.model_name()
        if self.download_row.running:
            return None
        job = self.host.runner.submit(
            f"Download {name}", download, name, base_url=self.download_base_url,
            options={"model": name},
            on_result=lambda _p, n=name: self._downloaded(n),
            on_error=lambda m, n=name: self._download_done(f"Could not download {n}: {m}"),
            on_cancel=lambda n=name: self._download_done(
                f"Download of {n} cancelled; it resumes where it stopped next time."))
        self.download_row.start(job)
        self._say(f"Downloading {name}…")
        return job

    def _downloaded(self, name: str) -> None:
        self._download_done(f"{name} is ready: press Align track.")

    def _download_done(self, message: str) -> None:
        self.refresh_models(force=True)
        self._say(message)

    # -- aligning ------------------------------------------------------------------------------
    def align(self, *, selection: bool = False) -> Any:
        """Align the lyrics to the current track (or its selected part) on the job runner.

        Returns the job, or None when something is missing (the status line says what).
        """
        track = self.host.current_track()
        if track is None:
            return self._say("Open or select the vocal track first.")
        lyrics = self.lyrics()
        from core.align.align import check_lyrics
        from core.errors import InvalidParameterError

        try:
            check_lyrics(lyrics)
        except InvalidParameterError as exc:
            return self._say(str(exc))
        name = self.model_name()
        if self.model_state() not in ("bundled", "downloaded"):
            return self._say(f"The alignment model {name} is not downloaded yet. Press "
                             "Download (needs an internet connection), then align.")
        start, stop = 0.0, track.audio.duration_s
        if selection:
            sel = self.host.selection_s()
            if sel is None:
                return self._say("Select a time range first (drag on a track).")
            start = max(0.0, sel[0] - track.offset_s)
            stop = min(track.audio.duration_s, sel[1] - track.offset_s)
            if stop - start < 0.5:
                return self._say(f"The selection does not overlap “{track.name}”.")
        job = self.host.runner.submit(
            f"Align lyrics to {track.name}", align_region, track.audio, lyrics, start, stop,
            model=name, options={"model": name, "track": track.name, "start_s": start,
                                 "stop_s": stop},
            on_result=lambda t, tid=track.id, a=start, b=stop: self._aligned(tid, t, a, b),
            on_error=lambda m, n=track.name: self._failed(n, m),
            on_cancel=lambda: self._say("Alignment cancelled."))
        self.align_row.start(job)
        self._say(f"Aligning the lyrics to “{track.name}”…")
        self._update_buttons()
        return job

    def _aligned(self, track_id: str, timing: Any, start: float, stop: float) -> None:
        try:
            track = self.host.model.track(track_id)
        except KeyError:
            self._say("The track was removed before the lyrics were aligned.")
            return
        data = timing.to_dict()
        data["range_s"] = [start, stop]
        self.host.add_layer_from_job(track_id, Layer(kind="transcript",
                                                     name=f"Lyrics ({timing.model})", data=data))
        words = timing.words
        doubtful = sum(1 for w in words if w.probability < 0.2)
        note = (" Many words were placed with low confidence: check that the lyrics match "
                "this recording (a vocal stem aligns best).") if doubtful > len(words) // 2 \
            else ""
        self._say(f"“{track.name}”: {len(timing.segments)} lines, {len(words)} words timed."
                  + note)
        self.show_pane()

    def _failed(self, track_name: str, message: str) -> None:
        self._say(f"Could not align the lyrics to “{track_name}”: {message}")
        self.host.show_error("Align lyrics", message)

    # -- showing and exporting -----------------------------------------------------------------
    def _speech_section(self) -> Any:
        panels = getattr(self.host, "tool_panels", {}) or {}
        transcribe = panels.get("Transcribe")
        return getattr(transcribe, "speech", None)

    def show_pane(self) -> Any:
        """Show the transcript pane (the Transcribe panel's) on the current track's newest
        lyrics; returns the pane, or None when the window has none."""
        speech = self._speech_section()
        if speech is None or not hasattr(speech, "show_pane"):
            return None
        speech.show_pane()
        pane = speech.pane
        track = self.host.current_track()
        if track is not None and alignment_layers(track):
            from app.views.transcript_text import transcript_layers

            layers = transcript_layers(track)
            newest = alignment_layers(track)[-1]
            pos = next((i for i, lr in enumerate(layers) if lr is newest), -1)
            pane.show_track(track.id, pos)
        return pane

    def timing(self) -> Any:
        """The current track's newest lyrics timing as a Transcript, or None."""
        layers = alignment_layers(self.host.current_track())
        if not layers:
            return None
        from core.speech import Transcript

        return Transcript.from_dict(layers[-1].data)

    def export(self, path: str | Path, fmt: str | None = None) -> Path | None:
        """Write the current track's lyrics timing to ``path`` (LRC, SRT, ...)."""
        timing = self.timing()
        if timing is None:
            return self._say("Align the lyrics first; then export them.")
        from core.align import write
        from core.errors import ResonoteError

        try:
            out = write(timing, path, fmt=fmt, words=self.word_tags_check.isChecked())
        except ResonoteError as exc:
            self._say(f"Could not export: {exc}")
            return None
        self.last_export = out
        self._say(f"Saved {out.name}.")
        return out

    def export_dialog(self, fmt: str) -> Path | None:
        track = self.host.current_track()
        if self.timing() is None:
            return self._say("Align the lyrics first; then export them.")
        settings = getattr(self.host, "settings", None)
        folder = Path(getattr(settings, "last_folder", "") or Path.home())
        name = f"{Path(track.name).stem}.{fmt}"
        what = "LRC lyrics" if fmt == "lrc" else "SubRip subtitles"
        path, _ = QFileDialog.getSaveFileName(self, f"Export lyrics as {fmt.upper()}",
                                              str(folder / name), f"{what} (*.{fmt})")
        if not path:
            return None
        if not path.lower().endswith(f".{fmt}"):
            path += f".{fmt}"
        return self.export(path, fmt)

    # -- state ---------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        track = self.host.current_track()
        busy = self.align_row.running
        has_lyrics = bool(self.lyrics().strip())
        self.track_button.setEnabled(track is not None and not busy and has_lyrics)
        self.selection_button.setEnabled(track is not None and not busy and has_lyrics
                                         and self.host.view_state.has_selection)
        self.download_button.setEnabled(not self.download_row.running)
        timed = bool(alignment_layers(track))
        for b in (*self.export_buttons.values(), self.show_button):
            b.setEnabled(timed)

    def _say(self, message: str) -> None:
        self.last_message = message
        self.status.setText(message)
        self._update_buttons()
        return None
