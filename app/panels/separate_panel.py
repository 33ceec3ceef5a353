"""The Separate tool's panel: choose a method and stems, preview, separate, export.

Methods that ship with Resonote work offline; Demucs models show whether they
are downloaded and offer a Download button.  Preview renders the first 20 s
(or the selection) and plays it at once; Separate renders the whole track as a
job, and the stems arrive as coloured "stem" tracks right under their source
(one undo step), where mute/solo/A-B and drag-out work as for any track.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import ToolPanel
from app.panels.separate_download import DownloadMixin, model_size_mb
from app.panels.separate_export import ExportBox
from app.panels.separate_jobs import (
    MODEL_LABELS,
    PREVIEW_S,
    StemResult,
    format_time,
    run_separation,
    stem_colour,
)
from app.panels.separate_preview import PreviewStrip


class SeparatePanel(DownloadMixin, ToolPanel):
    TITLE = "Separate"
    SUMMARY = "Split a mix into stems — vocals, drums, bass and other instruments — each as a new track."
    PLANNED = "Separation will create one new track per stem, which you can compare with the original (A/B) and export."
    AVAILABLE = True

    # -- construction -----------------------------------------------------------------------
    def build(self) -> None:
        self._models: dict[str, Any] = {}
        self.stem_boxes: dict[str, QCheckBox] = {}
        self.job: Any = None
        self.download_job: Any = None
        self.last_result: StemResult | None = None
        host = self.host

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        scroll.setWidget(body)
        self.scroll = scroll
        # The base class adds a stretch after build(): the controls take the space.
        self.layout_.addWidget(scroll, 1000)

        self.source_label = QLabel()
        self.source_label.setObjectName("separateSource")
        self.source_label.setWordWrap(True)
        self.source_label.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.source_label)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.model_box = QComboBox()
        self.model_box.setObjectName("separateModel")
        self.model_box.setToolTip("How to split the mix. Offline methods need no download.")
        form.addRow("Method:", self.model_box)
        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        self.model_note.setObjectName("panelNote")
        form.addRow("", self.model_note)
        status_row = QHBoxLayout()
        self.model_status = QLabel()
        self.model_status.setObjectName("separateModelStatus")
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download this model into Resonote's model cache")
        self.download_button.clicked.connect(self.download_model)
        self.download_cancel = QPushButton("Cancel")
        self.download_cancel.clicked.connect(self.cancel_download)
        self.download_bar = QProgressBar()
        self.download_bar.setRange(0, 1000)
        self.download_bar.setTextVisible(True)
        status_row.addWidget(self.model_status, 1)
        status_row.addWidget(self.download_bar, 1)
        status_row.addWidget(self.download_button)
        status_row.addWidget(self.download_cancel)
        form.addRow("Status:", status_row)
        lay.addLayout(form)

        stems = QGroupBox("Stems")
        sl = QVBoxLayout(stems)
        modes = QHBoxLayout()
        self.keep_mode = QRadioButton("Only these")
        self.keep_mode.setToolTip("Render the ticked stems")
        self.exclude_mode = QRadioButton("Everything but these")
        self.exclude_mode.setToolTip("Render every stem except the ticked ones "
                                     "(e.g. everything but vocals)")
        self.keep_mode.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.keep_mode)
        group.addButton(self.exclude_mode)
        modes.addWidget(self.keep_mode)
        modes.addWidget(self.exclude_mode)
        modes.addStretch(1)
        sl.addLayout(modes)
        self.stem_grid = QGridLayout()
        self.stem_grid.setHorizontalSpacing(16)
        sl.addLayout(self.stem_grid)
        self.residual_box = QCheckBox("Residual track (everything else)")
        self.residual_box.setToolTip("Also make a track of the mix minus the rendered stems, "
                                     "so stems + residual add back to the mix exactly")
        self.combine_box = QCheckBox("Mix the rendered stems into one track")
        self.combine_box.setToolTip("One track instead of one per stem — for example a "
                                    "karaoke track with “Everything but” vocals")
        sl.addWidget(self.residual_box)
        sl.addWidget(self.combine_box)
        lay.addWidget(stems)

        quality = QHBoxLayout()
        self.shifts_label = QLabel("Shifts:")
        self.shifts_box = QSpinBox()
        self.shifts_box.setRange(0, 10)
        self.shifts_box.setToolTip("Quality vs speed: each shift adds one more pass over "
                                   "shifted audio (N times slower, slightly cleaner). 0 = fastest.")
        self.shifts_hint = QLabel("0 = fastest; more = slower, slightly cleaner")
        self.shifts_hint.setObjectName("panelNote")
        quality.addWidget(self.shifts_label)
        quality.addWidget(self.shifts_box)
        quality.addWidget(self.shifts_hint, 1)
        lay.addLayout(quality)

        run = QHBoxLayout()
        self.preview_button = QPushButton()
        self.preview_button.setObjectName("separatePreviewButton")
        self.preview_button.clicked.connect(lambda: self.start(preview=True))
        self.separate_button = QPushButton("Separate whole track")
        self.separate_button.setObjectName("separateButton")
        self.separate_button.setDefault(True)
        self.separate_button.setToolTip("Render the whole track; the stems become new tracks "
                                        "under it (progress and ETA in the Jobs panel)")
        self.separate_button.clicked.connect(lambda: self.start(preview=False))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running separation (nothing is added)")
        self.cancel_button.clicked.connect(self.cancel)
        run.addWidget(self.preview_button)
        run.addWidget(self.separate_button)
        run.addWidget(self.cancel_button)
        lay.addLayout(run)
        self.hint = QLabel()
        self.hint.setObjectName("separateHint")
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setStyleSheet("color: #ffb347;")
        lay.addWidget(self.hint)

        self.preview = PreviewStrip(host, body)
        self.preview.keepRequested.connect(self._keep_preview)
        self.preview.discarded.connect(self._update_controls)
        lay.addWidget(self.preview)

        self.export = ExportBox(self)
        lay.addWidget(self.export)
        from app.batch_dialog import batch_button

        lay.addWidget(batch_button(self.host, "separate"))

        self.message = QLabel()
        self.message.setObjectName("separateMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.message)
        lay.addStretch(1)

        self.model_box.currentIndexChanged.connect(self._model_changed)
        self.exclude_mode.toggled.connect(self._mode_changed)
        host.currentTrackChanged.connect(self._track_changed)
        host.view_state.selectionChanged.connect(lambda *_: self._update_controls())
        host.runner.jobChanged.connect(self._job_changed)
        host.model.changed.connect(self._update_controls)
        self.download_bar.hide()
        self.download_cancel.hide()
        self._update_controls()

    # -- models ------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self._models:  # after the first paint: the window shows at once
            QTimer.singleShot(0, self.ensure_models)

    def ensure_models(self) -> None:
        """Fill the method menu (on first use: keeps the window's start-up light)."""
        if not self._models:
            self.refresh_models()

    def refresh_models(self) -> None:
        """Re-read which models exist and which are installed."""
        from core.separate import list_models

        current = self.model_name()
        self._models = {m.name: m for m in list_models()}
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for m in self._models.values():
            label = MODEL_LABELS.get(m.name, m.name)
            tag = "offline" if m.embedded else ("installed" if m.installed else "not downloaded")
            self.model_box.addItem(f"{label}  ·  {tag}", m.name)
        i = self.model_box.findData(current) if current else 0
        self.model_box.setCurrentIndex(max(0, i))
        self.model_box.blockSignals(False)
        self._model_changed()

    def model_name(self) -> str:
        return self.model_box.currentData() or ""

    def model_info(self) -> Any:
        self.ensure_models()
        return self._models.get(self.model_name())

    def set_model(self, name: str) -> None:
        self.ensure_models()
        i = self.model_box.findData(name)
        if i < 0:
            raise KeyError(f"no separation method {name!r}")
        self.model_box.setCurrentIndex(i)

    def set_stems(self, names: Any, *, exclude: bool = False) -> None:
        """Tick exactly ``names`` (helper for scripts and tests; the user clicks)."""
        (self.exclude_mode if exclude else self.keep_mode).setChecked(True)
        for name, box in self.stem_boxes.items():
            box.setChecked(name in names)

    def _mode_changed(self, exclude: bool) -> None:
        # Start each mode from its useful default: "everything but" nothing ticked
        # yet, "only these" everything ticked (when switching would leave nothing).
        ticked = [b for b in self.stem_boxes.values() if b.isChecked()]
        if exclude and len(ticked) == len(self.stem_boxes):
            for b in ticked:
                b.setChecked(False)
        elif not exclude and not ticked:
            for b in self.stem_boxes.values():
                b.setChecked(True)
        self._update_controls()

    def _model_changed(self, *_args: Any) -> None:
        m = self._models.get(self.model_name())
        while self.stem_grid.count():
            item = self.stem_grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.stem_boxes = {}
        if m is None:
            self._update_controls()
            return
        for i, stem in enumerate(m.stems):
            box = QCheckBox(stem)
            box.setObjectName(f"stem_{stem}")
            box.setChecked(True)
            box.setStyleSheet(f"QCheckBox::indicator:checked {{ background: {stem_colour(stem)};"
                              " border: 1px solid #202020; border-radius: 2px; }")
            box.toggled.connect(self._update_controls)
            self.stem_grid.addWidget(box, i // 3, i % 3)
            self.stem_boxes[stem] = box
        self.model_note.setText(m.description)
        is_demucs = not m.embedded
        for w in (self.shifts_label, self.shifts_box, self.shifts_hint):
            w.setVisible(is_demucs)
        self._update_controls()

    # -- state shown to the user -----------------------------------------------------------------
    def say(self, text: str, *, error: bool = False) -> None:
        """Show a plain message under the controls (red for problems)."""
        self.message.setStyleSheet("color: #ff6b6b;" if error else "")
        self.message.setText(text)
        if text:
            self.host.statusBar().showMessage(text, 6000)

    def _track_changed(self, *_args: Any) -> None:
        self._update_controls()

    def chosen_stems(self) -> tuple[list[str], list[str]]:
        """(stems, exclude) as the engine takes them."""
        ticked = [n for n, b in self.stem_boxes.items() if b.isChecked()]
        return ([], ticked) if self.exclude_mode.isChecked() else (ticked, [])

    def preview_region(self, track: Any) -> float | tuple[float, float]:
        """The selection, in the track's own seconds, or the first 20 s."""
        sel = self.host.selection_s()
        if sel is not None:
            t0 = max(0.0, sel[0] - track.offset_s)
            t1 = min(track.audio.duration_s, sel[1] - track.offset_s)
            if t1 - t0 > 0.05:
                return (t0, t1)
        return min(PREVIEW_S, track.audio.duration_s)

    def problem(self) -> str:
        """Why Preview/Separate cannot run now ("" when they can)."""
        track = self.host.current_track()
        m = self._models.get(self.model_name())
        if track is None:
            return "Open a file or select a track to separate."
        if m is None:
            return "Choose a separation method."
        if not m.installed:
            size = model_size_mb(m.name)
            about = f" (about {size:.0f} MB)" if size else ""
            return f"{MODEL_LABELS.get(m.name, m.name)} is not downloaded yet: press Download{about}."
        if m.name == "midside" and track.audio.channels != 2:
            what = "mono" if track.audio.channels == 1 else f"{track.audio.channels}-channel"
            return (f"Centre / sides needs a stereo track, and “{track.name}” is {what}. "
                    "Choose Harmonic / percussive or Vocals / accompaniment instead.")
        stems, exclude = self.chosen_stems()
        if not self.exclude_mode.isChecked() and not stems:
            return "Tick at least one stem."
        if exclude and len(exclude) == len(self.stem_boxes):
            return "“Everything but” all stems leaves nothing: untick at least one."
        return ""

    def _update_controls(self, *_args: Any) -> None:
        track = self.host.current_track()
        if track is None:
            self.source_label.setText("No track selected.")
        else:
            a = track.audio
            chans = {1: "mono", 2: "stereo"}.get(a.channels, f"{a.channels} channels")
            self.source_label.setText(f"Track: “{track.name}” — {chans}, {a.sr / 1000:g} kHz, "
                                      f"{format_time(a.duration_s)}")
        m = self._models.get(self.model_name())
        if m is not None:
            if m.embedded:
                self.model_status.setText("● Offline — built in, nothing to download")
            elif m.installed:
                self.model_status.setText("● Downloaded")
            else:
                self.model_status.setText("○ Not downloaded")
        downloading = self.download_job is not None
        self.download_button.setVisible(m is not None and not m.installed and not downloading)
        self.download_cancel.setVisible(downloading)
        self.download_bar.setVisible(downloading)
        self.combine_box.setEnabled(self._rendered_count() > 1)
        running = self.job is not None
        problem = self.problem() if self._models else ""
        for b in (self.preview_button, self.separate_button):
            b.setEnabled(not running and not problem and bool(self._models))
        self.cancel_button.setVisible(running)
        if track is not None and isinstance(self.preview_region(track), tuple):
            t0, t1 = self.preview_region(track)
            self.preview_button.setText(f"Preview {format_time(t0)}–{format_time(t1)}")
            self.preview_button.setToolTip("Render only the selection, quickly, and play it")
        else:
            self.preview_button.setText(f"Preview first {PREVIEW_S:g} s")
            self.preview_button.setToolTip("Render the first 20 s quickly and play it, "
                                           "before committing to the whole track")
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))
        self.export.update_state()

    def _rendered_count(self) -> int:
        stems, exclude = self.chosen_stems()
        if self.exclude_mode.isChecked():
            return len(self.stem_boxes) - len(exclude)
        return len(stems)

    # -- separating ------------------------------------------------------------------------------
    def start(self, *, preview: bool) -> Any:
        """Run a preview or a full separation of the current track as a job."""
        self.ensure_models()
        problem = self.problem()
        if problem:
            self.say(problem, error=True)
            return None
        if self.job is not None:
            self.say("A separation is already running; wait for it or cancel it.", error=True)
            return None
        track = self.host.current_track()
        stems, exclude = self.chosen_stems()
        model = self.model_name()
        region = self.preview_region(track) if preview else None
        self.preview.discard()
        what = "Preview" if preview else "Separate"
        options = dict(source_id=track.id, model=model, stems=stems, exclude=exclude,
                       residual=self.residual_box.isChecked(),
                       combine=self.combine_box.isChecked() and self.combine_box.isEnabled(),
                       shifts=self.shifts_box.value() if self.shifts_box.isVisible() else 0,
                       preview_s=region)
        self.job = self.host.runner.submit(
            f"{what} “{track.name}” ({MODEL_LABELS.get(model, model)})", run_separation,
            track.audio, on_result=self._separated, on_error=self._failed,
            on_cancel=self._cancelled, options=dict(options), **options)
        self.say(f"{'Previewing' if preview else 'Separating'} “{track.name}”… "
                 "(progress in the Jobs panel)")
        self._update_controls()
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.host.runner.cancel(self.job.id)

    def _separated(self, result: StemResult) -> None:
        self.job = None
        self.last_result = result
        try:
            source = self.host.model.track(result.source_id)
        except KeyError:
            self.say("The track was removed while it was being separated; nothing was added.",
                     error=True)
            self._update_controls()
            return
        if result.preview:
            self.preview.show_result(result, source)
            self.scroll.ensureWidgetVisible(self.preview, 0, 0)
            self.say("Preview ready — it plays through the transport. Keep it, discard it, "
                     "or separate the whole track.")
        else:
            self.add_stem_tracks(result, source)
        self._update_controls()

    def add_stem_tracks(self, result: StemResult, source: Any) -> list:
        """Add ``result``'s stems as tracks right under ``source`` (one undo step)."""
        host = self.host
        offset = source.offset_s + result.start_s
        suffix = ""
        if result.preview:
            n = result.stems[0][1].duration_s if result.stems else 0.0
            suffix = f" (preview {format_time(result.start_s)}–{format_time(result.start_s + n)})"
        added = []
        host.undo_stack.beginMacro(f"Separate “{source.name}”")
        try:
            for label, audio, kind in result.stems:
                track = host.add_track_from_job(audio, f"{source.name} – {label}{suffix}",
                                                kind=kind, source_id=source.id, offset_s=offset)
                host.set_track_colour(track.id, stem_colour(label))
                added.append(track)
        finally:
            host.undo_stack.endMacro()
        host.set_current_track(source.id)
        names = ", ".join(label for label, _, _ in result.stems)
        device = result.info.get("device", "cpu")
        self.say(f"Separated “{source.name}” into {names} (on {device}). "
                 "Mute/solo the stems or press A/B on a stem to compare with the mix.")
        return added

    def _keep_preview(self, result: StemResult) -> None:
        try:
            source = self.host.model.track(result.source_id)
        except KeyError:
            return
        self.add_stem_tracks(result, source)
        self._update_controls()

    def _failed(self, message: str) -> None:
        self.job = None
        self.say(message, error=True)
        self.host.show_error("Separate", message)
        self._update_controls()

    def _cancelled(self) -> None:
        self.job = None
        self.say("Separation cancelled; nothing was added.")
        self._update_controls()
