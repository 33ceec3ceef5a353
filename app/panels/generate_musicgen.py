"""MusicGen options of the Generate panel: model, download, prompt, length, conditioning.

MusicGen weights are large and non-commercially licensed, so they are never
bundled: the model menu says which are downloaded, Download fetches one through
the model registry as a job (progress, cancel, resume), and nothing here ever
blocks or fails when offline — the panel just explains what is missing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from app.panels.generate_jobs import download_model, model_state

MUSICGEN_MODELS = {"musicgen-small": "MusicGen small (text)",
                   "musicgen-medium": "MusicGen medium (text, better, slower)",
                   "musicgen-melody": "MusicGen melody (text + a track's melody)"}
CONDITIONS = {"text": "Text only", "continue": "Continue the current track (or selection)",
              "melody": "Follow the current track's melody"}


class MusicGenOptions(QWidget):
    """The MusicGen page.  ``changed`` fires when readiness may have changed."""

    changed = Signal()

    def __init__(self, panel: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.host = panel.host
        self.download_job: Any = None
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.model_box = QComboBox()
        self.model_box.setObjectName("generateMusicgenModel")
        for name, label in MUSICGEN_MODELS.items():
            self.model_box.addItem(label, name)
        self.model_box.currentIndexChanged.connect(lambda _i: self.refresh())
        form.addRow("Model:", self.model_box)
        self.status = QLabel()
        self.status.setObjectName("generateMusicgenStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("", self.status)
        row = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.download_button.setObjectName("generateMusicgenDownload")
        self.download_button.setToolTip("Download this model into Resonote's model cache "
                                        "(needs the internet once; resumes if interrupted)")
        self.download_button.clicked.connect(self.download)
        self.download_bar = QProgressBar()
        self.download_bar.setRange(0, 1000)
        self.download_cancel = QPushButton("Cancel download")
        self.download_cancel.clicked.connect(self.cancel_download)
        row.addWidget(self.download_button)
        row.addWidget(self.download_bar, 1)
        row.addWidget(self.download_cancel)
        row.addStretch(1)
        form.addRow("", row)
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("generateMusicgenPrompt")
        self.prompt.setPlaceholderText("Describe the music, e.g. “calm lo-fi piano with soft "
                                       "drums, 80 BPM”")
        self.prompt.setFixedHeight(58)
        form.addRow("Prompt:", self.prompt)
        self.duration = QDoubleSpinBox()
        self.duration.setRange(1.0, 300.0)
        self.duration.setValue(10.0)
        self.duration.setSuffix(" s")
        self.duration.setToolTip("Length of new audio; beyond 30 s it is made window by window")
        form.addRow("Length:", self.duration)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(1.0, 10.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setValue(3.0)
        self.guidance.setToolTip("How closely to follow the prompt (3 is MusicGen's default)")
        form.addRow("Prompt strength:", self.guidance)
        self.condition = QComboBox()
        for key, label in CONDITIONS.items():
            self.condition.addItem(label, key)
        self.condition.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form.addRow("Start from:", self.condition)
        self.host.runner.jobChanged.connect(self._job_changed)
        self.refresh()

    # -- state ---------------------------------------------------------------------------------
    def model_name(self) -> str:
        return self.model_box.currentData()

    def installed(self) -> bool:
        return model_state(self.model_name())[0]

    def refresh(self) -> None:
        ok, text = model_state(self.model_name())
        self.status.setText(text)
        self.status.setStyleSheet("" if ok else "color: #ffb347;")
        downloading = self.download_job is not None
        self.download_button.setVisible(not ok and not downloading)
        self.download_bar.setVisible(downloading)
        self.download_cancel.setVisible(downloading)
        melody = self.model_name() == "musicgen-melody"
        # musicgen-melody follows a melody but cannot continue audio; the others the reverse.
        model = self.condition.model()
        for i in range(self.condition.count()):
            key = self.condition.itemData(i)
            bad = (key == "melody" and not melody) or (key == "continue" and melody)
            model.item(i).setEnabled(not bad)
        cur = self.condition.currentData()
        if (cur == "melody" and not melody) or (cur == "continue" and melody):
            self.condition.setCurrentIndex(0)
        self.changed.emit()

    def problem(self) -> str:
        """Why MusicGen cannot run now ("" when it can)."""
        name = self.model_name()
        if not self.installed():
            if self.download_job is not None:
                return f"{MUSICGEN_MODELS[name]} is downloading…"
            return (f"{MUSICGEN_MODELS[name]} is not downloaded yet: press Download (needs the "
                    "internet once), or use the built-in modes, which work offline.")
        if self.condition.currentData() != "text" and self.host.current_track() is None:
            return "Choose a track to continue or to follow, or start from text only."
        return ""

    # -- downloading ------------------------------------------------------------------------------
    def download(self) -> Any:
        name = self.model_name()
        if self.download_job is not None or self.installed():
            return None
        self.download_bar.setValue(0)
        self.download_bar.setFormat("starting…")
        self.download_job = self.host.runner.submit(
            f"Download {MUSICGEN_MODELS[name]}", download_model, name,
            on_result=self._downloaded, on_error=self._download_failed,
            on_cancel=self._download_cancelled, options={"model": name})
        self.refresh()
        return self.download_job

    def cancel_download(self) -> None:
        if self.download_job is not None:
            self.host.runner.cancel(self.download_job.id)

    def _job_changed(self, job: Any) -> None:
        if self.download_job is not None and job.id == self.download_job.id:
            f = job.fraction
            if f is None:
                self.download_bar.setRange(0, 0)
            else:
                self.download_bar.setRange(0, 1000)
                self.download_bar.setValue(int(f * 1000))
                self.download_bar.setFormat(f"{f * 100:.0f} %")

    def _downloaded(self, _path: Any) -> None:
        self.download_job = None
        self.refresh()
        self.panel.say(f"{MUSICGEN_MODELS[self.model_name()]} is downloaded and ready.")

    def _download_failed(self, message: str) -> None:
        self.download_job = None
        self.refresh()
        self.panel.say(f"Download failed: {message} The built-in modes still work offline.",
                       error=True)

    def _download_cancelled(self) -> None:
        self.download_job = None
        self.refresh()
        self.panel.say("Download cancelled; it resumes where it stopped next time.")
