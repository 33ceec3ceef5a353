"""Tags section: label instruments, genres and sounds over time; a list that seeks on click."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.analyse_models import ModelRow
from app.panels.analyse_panel import fmt_time, target_range

LAYER_KIND = "tags"


def _tag(audio, model, window_s, hop_s, top_k, start_s, end_s, *, progress=None, cancel=None):
    from core.tagging import tag

    return tag(audio, model=model, window_s=window_s, hop_s=hop_s, top_k=top_k,
               start_s=start_s, end_s=end_s, progress=progress, cancel=cancel)


def tags_layer(result: Any):
    """A :class:`core.project.Layer` holding a TagResult (segments in data, scores as .npy)."""
    from core.project import Layer

    data = {"model": result.model, "window_s": result.window_s, "hop_s": result.hop_s,
            "labels": list(result.label_names),
            "segments": [s.as_dict() for s in result.segments],
            "overall": [[lab, s] for lab, s in result.overall(5)]}
    top = ", ".join(lab for lab, _ in result.overall(2))
    return Layer(LAYER_KIND, f"Tags: {top}" if top else "Tags", data,
                 {"scores": np.asarray(result.scores, dtype=np.float32)})


class TagsSection(QWidget):
    def __init__(self, panel: Any) -> None:
        super().__init__()
        self.panel, self.host = panel, panel.host
        self.job = None
        self.result = None
        self.offset_s = 0.0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 8, 0, 0)
        self.models = ModelRow(self.host, "tagging")
        self.models.changed.connect(self._update)
        form = QFormLayout()
        form.addRow("Model", self.models)
        form.addRow("", self.models.state)
        self.window_spin = QDoubleSpinBox()
        self.window_spin.setRange(0.5, 30.0)
        self.window_spin.setValue(10.0)
        self.window_spin.setSuffix(" s")
        self.window_spin.setToolTip("Length of each labelled window (AST hears 10 s at a time)")
        self.hop_spin = QDoubleSpinBox()
        self.hop_spin.setRange(0.25, 30.0)
        self.hop_spin.setValue(5.0)
        self.hop_spin.setSuffix(" s")
        self.hop_spin.setToolTip("Step between window starts (smaller = finer, slower)")
        self.top_spin = QSpinBox()
        self.top_spin.setRange(1, 20)
        self.top_spin.setValue(5)
        win = QHBoxLayout()
        win.addWidget(self.window_spin)
        win.addWidget(QLabel("every"))
        win.addWidget(self.hop_spin)
        form.addRow("Window", win)
        form.addRow("Labels per window", self.top_spin)
        lay.addLayout(form)
        self.selection_box = QCheckBox("Only the selection")
        lay.addWidget(self.selection_box)
        self.tag_button = QPushButton("Tag")
        self.tag_button.setObjectName("primaryButton")
        self.tag_button.clicked.connect(self.run_tagging)
        lay.addWidget(self.tag_button)
        self.overall = QLabel()
        self.overall.setWordWrap(True)
        lay.addWidget(self.overall)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Time", "Labels"])
        self.list.setRootIsDecorated(False)
        self.list.setMinimumHeight(150)
        self.list.setColumnWidth(0, 95)
        self.list.itemClicked.connect(self._seek)
        lay.addWidget(self.list, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.host.currentTrackChanged.connect(self._track_changed)
        self.host.view_state.selectionChanged.connect(lambda *_: self._update())
        self._update()

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color: #ff6b6b;" if error else "")
        self.message.setText(text)

    def _update(self, *_args) -> None:
        ready = self.models.installed()
        track = self.host.current_track() is not None
        self.selection_box.setEnabled(self.host.selection_s() is not None)
        self.tag_button.setEnabled(ready and track and self.job is None)
        self.tag_button.setToolTip("" if ready else "Download the model first")

    def _track_changed(self, *_args) -> None:
        self._update()
        track = self.host.current_track()
        layers = [] if track is None else [la for la in track.layers if la.kind == LAYER_KIND]
        if layers:
            self.show_segments(layers[-1].data.get("segments", []), track.offset_s,
                               layers[-1].data.get("overall", []))

    # -- tagging --------------------------------------------------------------------------------
    def run_tagging(self) -> Any:
        target = target_range(self.panel, self.selection_box.isChecked())
        model = self.models.name()
        if target is None or not model:
            self.say("Open a track (and select a range inside it) first.", error=True)
            return None
        track, t0, t1 = target
        window = self.window_spin.value()
        hop = min(self.hop_spin.value(), window)
        self.say(f"Tagging {track.name} with {model}…")
        self.job = self.host.submit_job(
            f"Tags of {track.name}", _tag, track.audio, model, window, hop,
            self.top_spin.value(), t0, t1,
            on_result=lambda r, tid=track.id, off=track.offset_s: self._done(r, tid, off),
            on_error=self._failed)
        self._update()
        return self.job

    def _done(self, result: Any, track_id: str, offset_s: float) -> None:
        self.job = None
        self.result = result
        self.host.add_layer_from_job(track_id, tags_layer(result))
        self.show_segments([s.as_dict() for s in result.segments], offset_s,
                           result.overall(5))
        self.say(f"{len(result.segments)} window(s) labelled; kept as a layer of the track. "
                 "Click a row to hear it.")
        self._update()

    def _failed(self, message: str) -> None:
        self.job = None
        self.say(f"Could not tag: {message}", error=True)
        self.models.refresh_state()
        self._update()

    # -- list -----------------------------------------------------------------------------------
    def show_segments(self, segments: list[dict], offset_s: float, overall=()) -> None:
        self.offset_s = offset_s
        self.list.clear()
        for seg in segments:
            a, b = float(seg["start_s"]) + offset_s, float(seg["end_s"]) + offset_s
            labels = "  ·  ".join(f"{lab} {float(s) * 100:.0f}%" for lab, s in seg["labels"])
            item = QTreeWidgetItem([f"{fmt_time(a)}–{fmt_time(b)}", labels])
            item.setData(0, Qt.ItemDataRole.UserRole, a)
            item.setToolTip(1, "\n".join(f"{lab}: {float(s):.3f}" for lab, s in seg["labels"]))
            self.list.addTopLevelItem(item)
        self.overall.setText("Overall: " + ", ".join(f"{lab} ({float(s) * 100:.0f}%)"
                                                     for lab, s in overall) if overall else "")

    def _seek(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        t = item.data(0, Qt.ItemDataRole.UserRole)
        if t is not None:
            self.host.view_state.set_playhead(float(t))
