"""Codec section: encode -> decode with EnCodec or Opus, result as a track to A/B, SI-SDR shown."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.analyse_models import ModelRow
from app.panels.analyse_panel import target_range

ENCODEC_KBPS = (1.5, 3.0, 6.0, 12.0, 24.0)
OPUS_KBPS = (6.0, 12.0, 24.0, 32.0, 48.0, 64.0, 96.0, 128.0)


def _roundtrip(audio, codec, kbps, model, start_s, end_s, *, progress=None, cancel=None):
    from core.codec import roundtrip

    clip = audio.slice_seconds(start_s, end_s)
    return roundtrip(clip, codec=codec, kbps=kbps, model=model, progress=progress,
                     cancel=cancel)


class CodecSection(QWidget):
    def __init__(self, panel: Any) -> None:
        super().__init__()
        self.panel, self.host = panel, panel.host
        self.job = None
        self.result = None
        self.result_track_id: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 8, 0, 0)
        form = QFormLayout()
        self.codec_combo = QComboBox()
        self.codec_combo.addItem("EnCodec (neural, 24 kHz)", "encodec")
        self.codec_combo.addItem("Opus (libopus)", "opus")
        self.codec_combo.currentIndexChanged.connect(self._codec_changed)
        form.addRow("Codec", self.codec_combo)
        self.kbps_combo = QComboBox()
        form.addRow("Bitrate", self.kbps_combo)
        self.models = ModelRow(self.host, "codec")
        self.models.changed.connect(self._update)
        self.model_label = QLabel("Model")
        form.addRow(self.model_label, self.models)
        form.addRow("", self.models.state)
        lay.addLayout(form)
        self.selection_box = QCheckBox("Only the selection")
        lay.addWidget(self.selection_box)
        self.run_button = QPushButton("Encode → decode")
        self.run_button.setObjectName("primaryButton")
        self.run_button.clicked.connect(self.run_codec)
        lay.addWidget(self.run_button)
        self.figures = QLabel()
        self.figures.setObjectName("codecFigures")
        self.figures.setWordWrap(True)
        lay.addWidget(self.figures)
        self.ab_button = QPushButton("A/B: hear the original")
        self.ab_button.setCheckable(True)
        self.ab_button.setToolTip("While pressed, the original plays in place of the coded "
                                  "version, at the same playhead")
        self.ab_button.toggled.connect(self._ab)
        lay.addWidget(self.ab_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.host.currentTrackChanged.connect(lambda *_: self._update())
        self.host.view_state.selectionChanged.connect(lambda *_: self._update())
        self._codec_changed()

    def codec(self) -> str:
        return self.codec_combo.currentData()

    def set_codec(self, codec: str, kbps: float) -> None:
        self.codec_combo.setCurrentIndex(self.codec_combo.findData(codec))
        self.kbps_combo.setCurrentIndex(self.kbps_combo.findData(float(kbps)))

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color: #ff6b6b;" if error else "")
        self.message.setText(text)

    def _codec_changed(self, *_args) -> None:
        keep = self.kbps_combo.currentData() or 6.0
        rates = ENCODEC_KBPS if self.codec() == "encodec" else OPUS_KBPS
        self.kbps_combo.clear()
        for r in rates:
            self.kbps_combo.addItem(f"{r:g} kbit/s per channel", r)
        i = self.kbps_combo.findData(keep)
        self.kbps_combo.setCurrentIndex(i if i >= 0 else rates.index(6.0))
        neural = self.codec() == "encodec"
        for w in (self.model_label, self.models, self.models.state):
            w.setVisible(neural)
        self._update()

    def _update(self, *_args) -> None:
        ready = self.codec() == "opus" or self.models.installed()
        track = self.host.current_track() is not None
        self.selection_box.setEnabled(self.host.selection_s() is not None)
        self.run_button.setEnabled(ready and track and self.job is None)
        self.ab_button.setEnabled(self.result_track_id is not None)

    def run_codec(self) -> Any:
        target = target_range(self.panel, self.selection_box.isChecked())
        if target is None:
            self.say("Open a track (and select a range inside it) first.", error=True)
            return None
        track, t0, t1 = target
        codec, kbps = self.codec(), float(self.kbps_combo.currentData())
        model = self.models.name() if codec == "encodec" else None
        self.say(f"Coding {track.name} with {codec} at {kbps:g} kbit/s…")
        self.job = self.host.submit_job(
            f"{'EnCodec' if codec == 'encodec' else 'Opus'} {kbps:g} kbps of {track.name}", _roundtrip, track.audio, codec, kbps,
            model, t0, t1,
            on_result=lambda r, tr=track, a=t0: self._done(r, tr, a), on_error=self._failed)
        self._update()
        return self.job

    def _done(self, result: Any, track: Any, start_s: float) -> None:
        self.job = None
        self.result = result
        name = "EnCodec" if result.codec == "encodec" else "Opus"
        new = self.host.add_track_from_job(result.audio, f"{track.name} – {name} {result.kbps:g} "
                                           "kbps", kind="restored", source_id=track.id,
                                           offset_s=track.offset_s + start_s)
        self.result_track_id = getattr(new, "id", None)
        sdr = "n/a (silent)" if result.si_sdr_db is None else f"{result.si_sdr_db:.1f} dB"
        self.figures.setText(
            f"<b>SI-SDR {sdr}</b> against the original · {result.actual_kbps:.2f} kbit/s per "
            f"channel actual · {result.encoded_bytes / 1024:.1f} KiB · {result.seconds:.2f} s")
        self.say("The coded version is a new track under the original; use A/B to compare.")
        self.ab_button.setChecked(False)
        self._update()

    def _failed(self, message: str) -> None:
        self.job = None
        self.say(f"Could not code the audio: {message}", error=True)
        self.models.refresh_state()
        self._update()

    def _ab(self, hear_original: bool) -> None:
        if self.result_track_id is None:
            return
        try:
            self.host.set_ab(self.result_track_id, hear_original)
        except KeyError:  # the coded track was removed
            self.result_track_id = None
            self.ab_button.setChecked(False)
            self._update()
