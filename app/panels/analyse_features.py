"""Features section: choose features, compute them as a job, plot one, keep them as a layer."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.analyse_panel import target_range

#: Feature names and their labels (kept here so the panel never imports core.features'
#: heavy dependencies; the names match core.features.FEATURES).
FEATURE_LABELS = {"mfcc": "MFCC", "mel": "Mel spectrogram", "chroma": "Chroma",
                  "centroid": "Spectral centroid", "bandwidth": "Spectral bandwidth",
                  "rolloff": "Spectral roll-off", "onset": "Onset strength", "rms": "RMS level"}
UNITS = {"centroid": "Hz", "bandwidth": "Hz", "rolloff": "Hz", "mel": "dB"}
LAYER_KIND = "features"


def _compute(audio, names, start_s, end_s, *, progress=None, cancel=None):
    from core.features import compute_features

    return compute_features(audio, features=names, start_s=start_s, end_s=end_s,
                            progress=progress, cancel=cancel)


def feature_layer(fs: Any, offset_s: float):
    """A :class:`core.project.Layer` holding a FeatureSet (arrays saved as .npy)."""
    from core.project import Layer

    data = {"features": fs.names, "rows": fs.rows, "sr": fs.sr, "hop_length": fs.hop_length,
            "n_fft": fs.n_fft, "start_s": fs.params.get("start_s", 0.0),
            "end_s": fs.params.get("end_s"), "offset_s": offset_s}
    arrays = {"times_s": fs.times_s.astype(np.float64)}
    arrays.update({n: v for n, v in fs.values.items()})
    label = ", ".join(FEATURE_LABELS.get(n, n) for n in fs.names[:3])
    more = f" +{len(fs.names) - 3}" if len(fs.names) > 3 else ""
    return Layer(LAYER_KIND, f"Features: {label}{more}", data, arrays)


class FeaturesSection(QWidget):
    def __init__(self, panel: Any) -> None:
        super().__init__()
        self.panel, self.host = panel, panel.host
        self.result = None  # the last FeatureSet
        self.result_offset_s = 0.0
        self.job = None
        self.dock: QDockWidget | None = None
        self.plot = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 8, 0, 0)
        grid = QGridLayout()
        self.boxes: dict[str, QCheckBox] = {}
        for i, (name, label) in enumerate(FEATURE_LABELS.items()):
            box = QCheckBox(label)
            box.setChecked(name != "mel")
            box.toggled.connect(self._update)
            self.boxes[name] = box
            grid.addWidget(box, i // 2, i % 2)
        lay.addLayout(grid)
        self.selection_box = QCheckBox("Only the selection")
        self.selection_box.setToolTip("Analyse only the selected time range of the track")
        lay.addWidget(self.selection_box)
        row = QHBoxLayout()
        self.compute_button = QPushButton("Compute")
        self.compute_button.setObjectName("primaryButton")
        self.compute_button.clicked.connect(self.compute)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self._export_clicked)
        row.addWidget(self.compute_button)
        row.addWidget(self.export_button)
        lay.addLayout(row)
        prow = QHBoxLayout()
        prow.addWidget(QLabel("Plot"))
        self.plot_combo = QComboBox()
        self.plot_combo.currentIndexChanged.connect(self._plot_chosen)
        prow.addWidget(self.plot_combo, 1)
        lay.addLayout(prow)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.host.currentTrackChanged.connect(self._track_changed)
        self.host.view_state.selectionChanged.connect(lambda *_: self._update())
        self._update()

    # -- state -------------------------------------------------------------------------------
    def chosen(self) -> list[str]:
        return [n for n, b in self.boxes.items() if b.isChecked()]

    def set_chosen(self, names) -> None:
        for n, b in self.boxes.items():
            b.setChecked(n in names)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color: #ff6b6b;" if error else "")
        self.message.setText(text)

    def _update(self, *_args) -> None:
        has_track = self.host.current_track() is not None
        self.selection_box.setEnabled(self.host.selection_s() is not None)
        self.compute_button.setEnabled(has_track and bool(self.chosen()) and self.job is None)
        self.export_button.setEnabled(self.result is not None)
        self.plot_combo.setEnabled(self.result is not None)

    def _track_changed(self, *_args) -> None:
        self._update()
        track = self.host.current_track()
        if track is None:
            return
        layers = [la for la in track.layers if la.kind == LAYER_KIND]
        if layers and self.result is None:
            self.show_layer(layers[-1], track.offset_s)

    # -- compute -----------------------------------------------------------------------------
    def compute(self) -> Any:
        target = target_range(self.panel, self.selection_box.isChecked())
        names = self.chosen()
        if target is None or not names:
            self.say("Open a track (and select a range inside it) first.", error=True)
            return None
        track, t0, t1 = target
        self.say(f"Computing {len(names)} feature(s) of {track.name}…")
        self.job = self.host.submit_job(
            f"Features of {track.name}", _compute, track.audio, names, t0, t1,
            on_result=lambda fs, tid=track.id, off=track.offset_s: self._done(fs, tid, off),
            on_error=self._failed)
        self._update()
        return self.job

    def _done(self, fs: Any, track_id: str, offset_s: float) -> None:
        self.job = None
        self.result, self.result_offset_s = fs, offset_s
        self.host.add_layer_from_job(track_id, feature_layer(fs, offset_s))
        self._fill_plot_combo(fs.names)
        hop_ms = fs.hop_length / fs.sr * 1000
        self.say(f"{fs.n_frames} frames every {hop_ms:.1f} ms from {fs.times_s[0]:.2f} s; "
                 "kept as a layer of the track. Export writes CSV, NPY or NPZ.")
        self._update()

    def _failed(self, message: str) -> None:
        self.job = None
        self.say(f"Could not compute the features: {message}", error=True)
        self._update()

    # -- plot ---------------------------------------------------------------------------------
    def _fill_plot_combo(self, names) -> None:
        keep = self.plot_combo.currentData()
        self.plot_combo.blockSignals(True)
        self.plot_combo.clear()
        for n in names:
            self.plot_combo.addItem(FEATURE_LABELS.get(n, n), n)
        i = self.plot_combo.findData(keep)
        self.plot_combo.setCurrentIndex(i if i >= 0 else 0)
        self.plot_combo.blockSignals(False)
        self._plot_chosen()

    def ensure_dock(self):
        if self.dock is None:
            from app.views.feature_plot import FeaturePlot

            self.plot = FeaturePlot(self.host.view_state)
            dock = QDockWidget("Feature plot", self.host)
            dock.setObjectName("dock_feature_plot")
            dock.setWidget(self.plot)
            self.host.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            below = getattr(self.host, "docks", {}).get("spectrogram")
            if below is not None and not below.isFloating() and below.isVisible():
                # Under the spectrogram, so the time axes stack like one editor's lanes.
                h = below.height()
                self.host.splitDockWidget(below, dock, Qt.Orientation.Vertical)
                self.host.resizeDocks([below, dock], [max(h - 60, 220), 220],
                                      Qt.Orientation.Vertical)
            aligner = getattr(self.host, "time_aligner", None)
            if aligner is not None:
                aligner.add(self.plot, dock)
            self.dock = dock
        self.dock.show()
        self.dock.raise_()
        return self.plot

    def _plot_chosen(self, *_args) -> None:
        name = self.plot_combo.currentData()
        if self.result is None or not name:
            return
        plot = self.ensure_dock()
        plot.show_feature(FEATURE_LABELS.get(name, name),
                          self.result.times_s + self.result_offset_s, self.result.values[name],
                          unit=UNITS.get(name, ""), rows=self.result.rows[name])

    def show_layer(self, layer: Any, offset_s: float) -> None:
        """Show a saved features layer (e.g. after opening a project)."""
        from core.features import FeatureSet

        d, arr = layer.data, layer.arrays
        names = [n for n in d.get("features", []) if n in arr]
        if not names or "times_s" not in arr:
            return
        self.result = FeatureSet(times_s=np.asarray(arr["times_s"]),
                                 values={n: np.asarray(arr[n]) for n in names},
                                 rows={n: list(d["rows"][n]) for n in names}, sr=int(d["sr"]),
                                 hop_length=int(d["hop_length"]), n_fft=int(d["n_fft"]))
        self.result_offset_s = offset_s
        self._fill_plot_combo(names)
        self._update()

    # -- export -------------------------------------------------------------------------------
    def _export_clicked(self) -> None:
        if self.result is None:
            return
        track = self.host.current_track()
        base = f"{track.name} features.csv" if track is not None else "features.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export features", base,
                                              "CSV (*.csv);;NumPy matrix (*.npy);;"
                                              "NumPy arrays by feature (*.npz)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> Any:
        from core.errors import ResonoteError
        from core.features import save_features

        try:
            out = save_features(self.result, path, overwrite=True)
        except ResonoteError as exc:
            self.say(str(exc), error=True)
            return None
        self.say(f"Exported {out.name}.")
        return out
