"""The speech part of the Transcribe panel: Whisper options, model downloads, transcribing.

Transcribing runs :func:`core.speech.transcribe` on the job runner over the
current track or the selection; the result becomes a ``"transcript"`` layer of
the track (undoable, saved with the project) and shows in the transcript pane
(:mod:`app.views.transcript_view`), a dock this section adds to the window.
Layer times are seconds from the start of the track's audio (a selection's
start is added), so the pane places them on the project time line by adding
the track's offset.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.jobs.inline_row import InlineJobRow as _JobRow
from app.panels.model_choice import STATE_ROLE, chosen_state, fill_model_combo
from core.project import Layer

DEFAULT_MODEL = "whisper-tiny.en"  # core.speech.DEFAULT_MODEL, without importing the engine

#: Languages offered by name (Whisper knows more; these cover most users).
LANGUAGES = (
    ("en", "English"), ("de", "German"), ("fr", "French"), ("es", "Spanish"),
    ("it", "Italian"), ("pt", "Portuguese"), ("nl", "Dutch"), ("sv", "Swedish"),
    ("no", "Norwegian"), ("da", "Danish"), ("fi", "Finnish"), ("is", "Icelandic"),
    ("pl", "Polish"), ("cs", "Czech"), ("sk", "Slovak"), ("hu", "Hungarian"),
    ("ro", "Romanian"), ("bg", "Bulgarian"), ("el", "Greek"), ("ru", "Russian"),
    ("uk", "Ukrainian"), ("hr", "Croatian"), ("sr", "Serbian"), ("sl", "Slovenian"),
    ("tr", "Turkish"), ("ar", "Arabic"), ("he", "Hebrew"), ("fa", "Persian"),
    ("hi", "Hindi"), ("bn", "Bengali"), ("ta", "Tamil"), ("ur", "Urdu"),
    ("zh", "Chinese"), ("yue", "Cantonese"), ("ja", "Japanese"), ("ko", "Korean"),
    ("vi", "Vietnamese"), ("th", "Thai"), ("id", "Indonesian"), ("ms", "Malay"),
    ("tl", "Tagalog"), ("sw", "Swahili"), ("ca", "Catalan"), ("eu", "Basque"),
    ("gl", "Galician"), ("cy", "Welsh"), ("la", "Latin"),
)

_STATE_TEXT = {"bundled": "built in", "downloaded": "downloaded", "partial": "download paused",
               "not-installed": "not downloaded", "damaged": "damaged"}


def short_name(name: str) -> str:
    """How a model is called in the panel: ``faster-whisper-base.en`` -> ``base.en``,
    ``whisper-tiny.en`` -> ``tiny.en``; the downloadable twin of the built-in model is
    ``tiny.en (Hugging Face)``."""
    for prefix in ("faster-whisper-", "whisper-"):
        if name.startswith(prefix):
            short = name[len(prefix):]
            if prefix == "faster-whisper-" and f"whisper-{short}" == DEFAULT_MODEL:
                return f"{short} (Hugging Face)"
            return short
    return name


def transcribe_region(audio: Any, start_s: float, stop_s: float, *, progress=None,
                      cancel=None, **options: Any):
    """Worker: transcribe ``audio[start_s:stop_s]``; times in the result count from the
    start of ``audio`` (``start_s`` is added), and ``duration_s`` is ``stop_s``."""
    from dataclasses import replace

    from core.jobs import no_progress
    from core.speech import Transcript, transcribe

    part = audio.slice_seconds(start_s, stop_s) if (start_s > 0 or stop_s < audio.duration_s) \
        else audio
    t = transcribe(part, progress=progress or no_progress, cancel=cancel, **options)
    if start_s == 0:
        return t
    segments = [replace(s, start_s=s.start_s + start_s, end_s=s.end_s + start_s,
                        words=[replace(w, start_s=w.start_s + start_s, end_s=w.end_s + start_s)
                               for w in s.words]) for s in t.segments]
    return Transcript(segments, t.language, start_s + t.duration_s, t.model, t.task)


def download_model(name: str, *, base_url: str | None = None, progress=None, cancel=None):
    """Worker: download registry model ``name`` into the cache; returns its path."""
    from core import models

    return models.download(name, progress=progress, cancel=cancel, base_url=base_url)


class SpeechSection(QWidget):
    """Controls for speech transcription; ``panel`` is the owning TranscribePanel.

    Attributes
    ----------
    download_base_url : str or None
        Where model downloads come from (None: each model's own address).
    last_message : str
        The last thing the status line said (also for tests).
    """

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.host = panel.host
        self.download_base_url: str | None = None
        self.last_message = ""
        self._models_loaded = False
        self.pane = None
        self.dock: QDockWidget | None = None
        self._build()
        self.host.currentTrackChanged.connect(self._track_or_layers_changed)
        self.host.model.layersChanged.connect(self._track_or_layers_changed)
        self.host.view_state.selectionChanged.connect(lambda *_: self._update_buttons())

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("speechModel")
        self.model_combo.addItem(f"{short_name(DEFAULT_MODEL)} — built in", DEFAULT_MODEL)
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

        self.language_combo = QComboBox()
        self.language_combo.addItem("Detect automatically", "")
        for code, name in LANGUAGES:
            self.language_combo.addItem(f"{name} ({code})", code)
        form.addRow("Language", self.language_combo)
        self.translate_check = QCheckBox("Translate to English")
        self.words_check = QCheckBox("Word timings (click words to play them)")
        self.words_check.setChecked(True)
        form.addRow("", self.translate_check)
        form.addRow("", self.words_check)
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setPlaceholderText("Names and words to expect, e.g. band or song names")
        self.prompt_edit.setToolTip("Initial prompt: primes Whisper's vocabulary and spelling")
        form.addRow("Vocabulary", self.prompt_edit)
        self.beam_spin = QSpinBox()
        self.beam_spin.setRange(1, 20)
        self.beam_spin.setValue(5)
        self.beam_spin.setToolTip("Beam size: 1 is fastest; larger is a little more accurate")
        form.addRow("Beam size", self.beam_spin)
        lay.addLayout(form)

        buttons = QHBoxLayout()
        self.track_button = QPushButton("Transcribe track")
        self.track_button.setObjectName("transcribeTrack")
        self.track_button.setDefault(True)
        self.track_button.clicked.connect(lambda: self.transcribe(selection=False))
        self.selection_button = QPushButton("Transcribe selection")
        self.selection_button.clicked.connect(lambda: self.transcribe(selection=True))
        buttons.addWidget(self.track_button)
        buttons.addWidget(self.selection_button)
        lay.addLayout(buttons)
        self.transcribe_row = _JobRow(self.host.runner, self._update_buttons)
        self.download_row = _JobRow(self.host.runner, self._update_buttons)
        lay.addWidget(self.transcribe_row)
        lay.addWidget(self.download_row)
        from app.batch_dialog import batch_button

        lay.addWidget(batch_button(self.host, "transcribe speech"))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.status)
        self.show_pane_button = QPushButton("Show transcript")
        self.show_pane_button.clicked.connect(self.show_pane)
        lay.addWidget(self.show_pane_button, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addStretch(1)
        self._model_chosen()

    def showEvent(self, e) -> None:  # noqa: N802 (Qt API)
        self.refresh_models()  # the registry is read on first show, not at start-up
        super().showEvent(e)

    # -- models -------------------------------------------------------------------------
    def refresh_models(self, *, force: bool = False) -> None:
        """Fill the model list from the registry, with each model's install state."""
        if self._models_loaded and not force:
            return
        from core.speech.loader import speech_model_names

        fill_model_combo(self.model_combo, speech_model_names(), chosen=self.model_name(),
                         state_text=lambda st: _STATE_TEXT.get(st, st), label=short_name)
        self._models_loaded = True
        self._model_chosen()

    def model_name(self) -> str:
        return self.model_combo.currentData() or DEFAULT_MODEL

    def model_state(self) -> str:
        """Install state of the chosen model ("bundled", "downloaded", "not-installed"...)."""
        return chosen_state(self.model_combo, self.model_name())

    def select_model(self, name: str) -> None:
        self.refresh_models()
        i = self.model_combo.findData(name)
        if i < 0:
            raise KeyError(name)
        self.model_combo.setCurrentIndex(i)

    def _model_chosen(self) -> None:
        name = self.model_name()
        english = name.endswith(".en")
        tip = "This model understands English only." if english else ""
        if english:
            self.language_combo.setCurrentIndex(self.language_combo.findData("en"))
            self.translate_check.setChecked(False)
        self.language_combo.setEnabled(not english)
        self.translate_check.setEnabled(not english)
        self.language_combo.setToolTip(tip or "The spoken language (detecting costs a moment)")
        self.translate_check.setToolTip(tip or "Write English text whatever the spoken language")
        state = self.model_combo.currentData(STATE_ROLE) or "bundled"
        installed = state in ("bundled", "downloaded")
        self.download_button.setVisible(not installed)
        self.download_button.setText("Resume download" if state == "partial" else "Download")
        tooltip = self.model_combo.currentData(Qt.ItemDataRole.ToolTipRole) or ""
        self.model_info.setText(tooltip.split("\n")[1] if "\n" in tooltip else "")
        self._update_buttons()

    def download_selected(self) -> None:
        """Download the chosen model on the job runner (progress and Cancel below)."""
        name = self.model_name()
        if self.download_row.running:
            return
        job = self.host.runner.submit(
            f"Download {short_name(name)}", download_model, name,
            base_url=self.download_base_url, options={"model": name},
            on_result=lambda _p, n=name: self._downloaded(n),
            on_error=lambda m, n=name: self._download_failed(n, m),
            on_cancel=lambda n=name: self._say(
                f"Download of {short_name(n)} cancelled; nothing was installed."))
        self.download_row.start(job)
        self._say(f"Downloading {short_name(name)}…")
        self._update_buttons()

    def _downloaded(self, name: str) -> None:
        self.refresh_models(force=True)
        self._say(f"{short_name(name)} is ready.")

    def _download_failed(self, name: str, message: str) -> None:
        self.refresh_models(force=True)
        self._say(f"Could not download {short_name(name)}: {message}")

    # -- transcribing ---------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`core.speech.transcribe` from the controls."""
        english = self.model_name().endswith(".en")
        return {
            "model": self.model_name(),
            "language": "en" if english else (self.language_combo.currentData() or None),
            "task": "translate" if self.translate_check.isChecked() and not english
            else "transcribe",
            "word_timestamps": self.words_check.isChecked(),
            "initial_prompt": self.prompt_edit.text().strip() or None,
            "beam_size": self.beam_spin.value(),
        }

    def transcribe(self, *, selection: bool = False) -> Any:
        """Transcribe the current track (or the selected part of it) on the job runner.

        Returns the job, or None when something is missing (the status line says what).
        """
        track = self.host.current_track()
        if track is None:
            return self._say("Open a track first, then transcribe it.")
        name = self.model_name()
        state = self.model_state()
        if state not in ("bundled", "downloaded"):
            return self._say(self._unavailable_message(name, state))
        start, stop = 0.0, track.audio.duration_s
        if selection:
            sel = self.host.selection_s()
            if sel is None:
                return self._say("Select a time range first (drag on a track).")
            start = max(0.0, sel[0] - track.offset_s)
            stop = min(track.audio.duration_s, sel[1] - track.offset_s)
            if stop - start < 0.1:
                return self._say(f"The selection does not overlap “{track.name}”.")
        opts = self.options()
        job = self.host.runner.submit(
            f"Transcribe {track.name}", transcribe_region, track.audio, start, stop,
            options={**opts, "track": track.name, "start_s": start, "stop_s": stop},
            on_result=lambda t, tid=track.id, a=start, b=stop: self._transcribed(tid, t, a, b),
            on_error=lambda m, n=track.name: self._failed(n, m),
            on_cancel=lambda: self._say("Transcription cancelled."), **opts)
        self.transcribe_row.start(job)
        self._say(f"Transcribing “{track.name}” with {short_name(name)}…")
        self._update_buttons()
        return job

    def _unavailable_message(self, name: str, state: str) -> str:
        from core import models

        detail = models.status(name).detail
        if state == "damaged":
            return (f"The model {short_name(name)} is damaged ({detail}). Download it again, "
                    f"or choose {short_name(DEFAULT_MODEL)}, which is built in.")
        return (f"The model {short_name(name)} is not downloaded yet. Press Download (needs "
                f"an internet connection), or choose {short_name(DEFAULT_MODEL)}, which is "
                f"built in and works offline.")

    def _transcribed(self, track_id: str, transcript: Any, start: float, stop: float) -> None:
        try:
            track = self.host.model.track(track_id)
        except KeyError:
            self._say("The track was removed before its transcript was ready.")
            return
        if not transcript.segments:
            self._say(f"No speech found in “{track.name}”.")
            return
        whole = start <= 0.0 and stop >= track.audio.duration_s - 1e-6
        from app.views.transcript_view import format_time

        where = "" if whole else f" {format_time(start + track.offset_s)}–" \
                                 f"{format_time(stop + track.offset_s)}"
        data = transcript.to_dict()
        data["range_s"] = [start, stop]
        layer = Layer(kind="transcript", name=f"Transcript{where} ({short_name(transcript.model)})",
                      data=data)
        self.host.add_layer_from_job(track_id, layer)
        words = len(transcript.words)
        self._say(f"“{track.name}”: {len(transcript.segments)} segments"
                  + (f", {words} words" if words else "")
                  + (f", language {transcript.language}" if transcript.language else "") + ".")
        self.show_pane()
        if self.host.current_track() is not None and self.host.current_track().id == track_id:
            self.pane.show_track(track_id)

    def _failed(self, track_name: str, message: str) -> None:
        self._say(f"Could not transcribe “{track_name}”: {message}")
        self.host.show_error("Transcribe", message)

    # -- the transcript pane ---------------------------------------------------------------
    def ensure_pane(self) -> Any:
        """Create the transcript dock on first use (it restores its saved place)."""
        if self.pane is None:
            from app.views.transcript_view import TranscriptPane

            self.pane = TranscriptPane(self.host)
            dock = QDockWidget("Transcript", self.host)
            dock.setObjectName("transcriptDock")
            dock.setWidget(self.pane)
            self.dock = dock
            if not self.host.restoreDockWidget(dock):
                self.host.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
                spectrogram = getattr(self.host, "docks", {}).get("spectrogram")
                if spectrogram is not None and not spectrogram.isFloating():
                    self.host.splitDockWidget(spectrogram, dock, Qt.Orientation.Horizontal)
                    self.host.resizeDocks([spectrogram, dock], [3, 2], Qt.Orientation.Horizontal)
        return self.pane

    def show_pane(self) -> None:
        self.ensure_pane()
        self.dock.show()
        self.dock.raise_()

    def _track_or_layers_changed(self, *_args) -> None:
        track = self.host.current_track()
        if self.pane is None and track is not None and any(
                lr.kind == "transcript" for lr in track.layers):
            self.ensure_pane()  # a project opened with transcripts
        self._update_buttons()

    # -- state -----------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        has_track = self.host.current_track() is not None
        busy = self.transcribe_row.running
        self.track_button.setEnabled(has_track and not busy)
        self.selection_button.setEnabled(has_track and not busy
                                         and self.host.view_state.has_selection)
        self.download_button.setEnabled(not self.download_row.running)

    def _say(self, message: str) -> None:
        self.last_message = message
        self.status.setText(message)
        self._update_buttons()
        return None
