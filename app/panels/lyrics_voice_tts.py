"""The voice part of the Lyrics & Voice panel: text to speech as a new track at the playhead.

espeak-ng works offline at once; Piper and MMS neural voices are registry downloads
(Download button, progress, cancel).  Synthesis runs on the job runner and
the result becomes a ``"generated"`` track starting at the playhead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.lyrics_voice_jobs import JobRow, download, espeak_voices, speak, state_text

ENGINES = (("espeak", "espeak-ng — offline, many languages"),
           ("piper", "Piper neural voice — download"),
           ("mms", "MMS neural voice — download, non-commercial"))

#: espeak voices listed first, in this order (the rest follow alphabetically).
FAVOURITES = ("en-us", "en-gb", "de", "fr-fr", "es", "it", "pt", "nl", "sv", "pl", "ru", "ja")


class VoiceSection(QWidget):
    """Text-to-speech controls; ``panel`` is the owning LyricsVoicePanel."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.host = panel.host
        self.download_base_url: str | None = None
        self.last_message = ""
        self.last_track_id: str | None = None
        self._voices_for: str | None = None
        self._build()
        self.host.currentTrackChanged.connect(lambda *_: self._update_buttons())

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("Text to speak:"), 1)
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip("Load the text from a .txt file")
        self.load_button.clicked.connect(self.load_dialog)
        head.addWidget(self.load_button)
        lay.addLayout(head)
        self.text_edit = QPlainTextEdit()
        self.text_edit.setObjectName("ttsText")
        self.text_edit.setPlaceholderText("e.g. “Verse two. One, two, three, four.” — a spoken "
                                          "guide track or a vocal sample.")
        self.text_edit.setMinimumHeight(80)
        self.text_edit.textChanged.connect(self._update_buttons)
        lay.addWidget(self.text_edit, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.engine_combo = QComboBox()
        self.engine_combo.setObjectName("ttsEngine")
        for key, label in ENGINES:
            self.engine_combo.addItem(label, key)
        self.engine_combo.currentIndexChanged.connect(lambda _i: self.refresh_voices())
        form.addRow("Engine", self.engine_combo)
        self.voice_combo = QComboBox()
        self.voice_combo.setObjectName("ttsVoice")
        self.voice_combo.currentIndexChanged.connect(lambda _i: self._voice_chosen())
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download this voice (needs an internet connection)")
        self.download_button.clicked.connect(self.download_selected)
        row = QHBoxLayout()
        row.addWidget(self.voice_combo, 1)
        row.addWidget(self.download_button)
        form.addRow("Voice", row)
        self.voice_info = QLabel("")
        self.voice_info.setObjectName("panelNote")
        self.voice_info.setWordWrap(True)
        form.addRow("", self.voice_info)
        self.speed_spin = QDoubleSpinBox()
        self.speed_spin.setRange(0.5, 3.0)
        self.speed_spin.setSingleStep(0.1)
        self.speed_spin.setValue(1.0)
        self.speed_spin.setSuffix(" ×")
        self.speed_spin.setToolTip("Speaking rate: 1 is normal, 2 twice as fast")
        self.pitch_spin = QSpinBox()
        self.pitch_spin.setRange(0, 99)
        self.pitch_spin.setValue(50)
        self.pitch_spin.setToolTip("espeak-ng pitch: 50 is normal")
        row = QHBoxLayout()
        row.addWidget(self.speed_spin)
        row.addSpacing(12)
        self.pitch_label = QLabel("Pitch")
        row.addWidget(self.pitch_label)
        row.addWidget(self.pitch_spin)
        row.addStretch(1)
        form.addRow("Speed", row)
        lay.addLayout(form)

        self.speak_button = QPushButton("Speak to new track")
        self.speak_button.setObjectName("ttsSpeak")
        self.speak_button.setToolTip("Synthesise the text; it becomes a new track at the playhead")
        self.speak_button.clicked.connect(self.speak)
        lay.addWidget(self.speak_button)
        self.speak_row = JobRow(self.host.runner, self._update_buttons)
        self.download_row = JobRow(self.host.runner, self._update_buttons)
        lay.addWidget(self.speak_row)
        lay.addWidget(self.download_row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.status)
        self._update_buttons()

    def showEvent(self, e) -> None:  # noqa: N802 (Qt API)
        if self._voices_for is None:
            self.refresh_voices()  # espeak-ng is asked on first show, not at start-up
        super().showEvent(e)

    # -- text ----------------------------------------------------------------------------------
    def text(self) -> str:
        return self.text_edit.toPlainText()

    def load_dialog(self) -> None:
        settings = getattr(self.host, "settings", None)
        folder = str(getattr(settings, "last_folder", "") or Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Load text", folder,
                                              "Text (*.txt);;All files (*)")
        if path:
            try:
                self.text_edit.setPlainText(Path(path).read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError) as exc:
                self._say(f"Cannot read {Path(path).name}: {exc}")

    # -- engines and voices --------------------------------------------------------------------
    def engine(self) -> str:
        return self.engine_combo.currentData() or "espeak"

    def voice(self) -> str | None:
        return self.voice_combo.currentData() or None

    def set_engine(self, engine: str) -> None:
        self.engine_combo.setCurrentIndex(self.engine_combo.findData(engine))
        self.refresh_voices()

    def select_voice(self, voice_id: str) -> None:
        i = self.voice_combo.findData(voice_id)
        if i < 0:
            raise KeyError(voice_id)
        self.voice_combo.setCurrentIndex(i)

    def refresh_voices(self) -> None:
        """List the chosen engine's voices (neural ones with their install state)."""
        engine = self.engine()
        chosen = self.voice() if self._voices_for == engine else None
        self.voice_combo.blockSignals(True)
        self.voice_combo.clear()
        problem = ""
        if engine == "espeak":
            found, problem = espeak_voices()
            rank = {v: i for i, v in enumerate(FAVOURITES)}
            found.sort(key=lambda v: (rank.get(v.id, len(rank)), v.name.lower()))
            for v in found:
                self.voice_combo.addItem(f"{v.name} ({v.id})", v.id)
                self.voice_combo.setItemData(self.voice_combo.count() - 1, "bundled",
                                             Qt.ItemDataRole.UserRole + 1)
        else:
            from core import models
            from core.tts import voices

            for v in voices(engine):
                spec, st = models.get(v.id), models.status(v.id)
                size = f", {spec.size_bytes / 1e6:,.0f} MB" if not st.installed else ""
                self.voice_combo.addItem(f"{spec.name} — {state_text(st.state)}{size}", spec.name)
                i = self.voice_combo.count() - 1
                self.voice_combo.setItemData(i, st.state, Qt.ItemDataRole.UserRole + 1)
                self.voice_combo.setItemData(
                    i, f"{spec.description} · licence {spec.licence}",
                    Qt.ItemDataRole.ToolTipRole)
        self.voice_combo.setCurrentIndex(max(0, self.voice_combo.findData(chosen)))
        self.voice_combo.blockSignals(False)
        self._voices_for = engine
        self.pitch_spin.setEnabled(engine == "espeak")
        self.pitch_label.setEnabled(engine == "espeak")
        self._voice_chosen(problem)

    def voice_state(self) -> str:
        return self.voice_combo.currentData(Qt.ItemDataRole.UserRole + 1) or "not-installed"

    def _voice_chosen(self, problem: str = "") -> None:
        state = self.voice_state() if self.voice_combo.count() else "bundled"
        neural = self.engine() != "espeak"
        installed = state in ("bundled", "downloaded")
        self.download_button.setVisible(neural and not installed)
        self.download_button.setText("Resume download" if state == "partial" else "Download")
        if problem:
            info = problem
        elif neural:
            info = (self.voice_combo.currentData(Qt.ItemDataRole.ToolTipRole) or "") + (
                "" if installed else ". Download it once; then it speaks offline.")
        else:
            info = "Robotic but clear; works offline in 100+ languages."
        self.voice_info.setText(info)
        self._update_buttons()

    def download_selected(self) -> Any:
        name = self.voice()
        if name is None or self.download_row.running:
            return None
        job = self.host.runner.submit(
            f"Download {name}", download, name, base_url=self.download_base_url,
            options={"model": name},
            on_result=lambda _p, n=name: self._download_done(f"{n} is ready."),
            on_error=lambda m, n=name: self._download_done(f"Could not download {n}: {m}"),
            on_cancel=lambda n=name: self._download_done(f"Download of {n} cancelled."))
        self.download_row.start(job)
        self._say(f"Downloading {name}…")
        return job

    def _download_done(self, message: str) -> None:
        self.refresh_voices()
        self._say(message)

    # -- speaking ------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`core.tts.synthesize` from the controls."""
        opts: dict[str, Any] = {"engine": self.engine(), "voice": self.voice(),
                                "speed": round(self.speed_spin.value(), 2)}
        if self.engine() == "espeak":
            opts["pitch"] = self.pitch_spin.value()
        return opts

    def speak(self) -> Any:
        """Synthesise the text on the job runner; the result becomes a track at the playhead."""
        text = self.text().strip()
        if not any(c.isalnum() for c in text):
            return self._say("Type the text to speak first.")
        if self.voice_combo.count() == 0:
            return self._say(self.voice_info.text() or "This engine has no voices.")
        if self.voice_state() not in ("bundled", "downloaded"):
            return self._say(f"The voice {self.voice()} is not downloaded yet. Press Download "
                             "(needs an internet connection), or use espeak-ng, which works "
                             "offline.")
        track = self.host.current_track()
        sr = track.audio.sr if track is not None else None
        at = max(0.0, float(self.host.view_state.playhead))
        opts = self.options()
        flat = " ".join(text.split())
        name = "Voice: " + flat[:32] + ("…" if len(flat) > 32 else "")
        job = self.host.runner.submit(
            f"Speak “{name[7:]}”", speak, text, sr=sr, options={**opts, "at_s": at},
            on_result=lambda audio, n=name, t=at: self._spoken(audio, n, t),
            on_error=self._failed, on_cancel=lambda: self._say("Speech cancelled."), **opts)
        self.speak_row.start(job)
        self._say("Speaking…")
        self._update_buttons()
        return job

    def _spoken(self, audio: Any, name: str, at_s: float) -> None:
        track = self.host.add_track_from_job(audio, name, kind="generated", offset_s=at_s)
        self.last_track_id = getattr(track, "id", None)
        self._say(f"Added “{name}” ({audio.duration_s:.1f} s) at {at_s:.1f} s.")

    def _failed(self, message: str) -> None:
        self._say(f"Could not speak the text: {message}")
        self.host.show_error("Text to speech", message)

    # -- state ---------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        busy = self.speak_row.running if hasattr(self, "speak_row") else False
        self.speak_button.setEnabled(bool(self.text().strip()) and not busy)
        if hasattr(self, "download_row"):
            self.download_button.setEnabled(not self.download_row.running)

    def _say(self, message: str) -> None:
        self.last_message = message
        self.status.setText(message)
        self._update_buttons()
        return None
