"""The Generate tool's panel: new ideas, continuations, harmony, basslines, drums, MusicGen.

The built-in modes run Resonote's own small note model (offline, a second or
two on a CPU) and render the notes through a General MIDI SoundFont; MusicGen
makes audio from a text prompt once its model is downloaded.  Key, tempo and
metre *follow the current track*: its notes layer's analysis when it has one,
else an estimate from its audio (made inside the job, or on demand with
Detect); changing any of them overrides the track.  Each result is a
candidate you can preview where it would go, regenerate with a new seed, add
as a *generated* track (with its notes in the piano roll) or export as MIDI.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import ToolPanel
from app.panels.generate_follow import FollowMixin
from app.panels.generate_jobs import (
    MODES,
    NOTE_MODES,
    SOUNDS,
    GenRequest,
    GenResult,
    key_name,
    run_generation,
)
from app.panels.generate_musicgen import MusicGenOptions
from app.panels.generate_result import ResultBox

MODE_NOTES = {
    "idea": "A new melody (folk) or four-part chorale from scratch, in your key and tempo.",
    "continue": "Carry on from your notes: the piano roll's selected notes, the notes in the "
                "time selection, or the whole notes layer of the current track.",
    "harmonize": "Alto, tenor and bass under a melody from the current track's notes "
                 "(transcribe it in Transcribe → Music → notes, or generate an idea first).",
    "bassline": "A bassline under the current track's melody or chords.",
    "drums": "A drum groove for a style, in the project's tempo, with fills every 4 bars.",
    "musicgen": "Audio from a text description with Meta's MusicGen (downloaded on demand).",
}
METRE_CHOICES = ("4/4", "3/4", "2/4", "6/8", "9/8", "12/8", "2/2", "3/2", "6/4", "3/8")
DRUM_STYLES = ("rock", "pop", "funk", "disco", "hiphop", "shuffle", "waltz", "folk", "bossa",
               "reggae", "jig")
TEMPERATURE = {"idea": 0.9, "continue": 0.9, "harmonize": 0.7, "bassline": 0.7}
BARS = {"idea": 8, "continue": 4, "drums": 8}


class GeneratePanel(FollowMixin, ToolPanel):
    TITLE = "Generate"
    SUMMARY = ("Write new music in your key and tempo — ideas, continuations, harmony, basslines "
               "and drum grooves — hear it, and keep it as a track with editable notes.")
    PLANNED = ""
    AVAILABLE = True

    # -- construction ---------------------------------------------------------------------------
    def build(self) -> None:
        self.job: Any = None
        self.detect_job: Any = None
        self._estimates: dict[str, tuple[str | None, float | None]] = {}
        self._roll_connected = False
        self._setting = False
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        scroll.setWidget(body)
        self.scroll = scroll
        self.layout_.addWidget(scroll, 1000)

        self.context_label = QLabel()
        self.context_label.setObjectName("generateContext")
        self.context_label.setWordWrap(True)
        lay.addWidget(self.context_label)

        top = QFormLayout()
        top.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.mode_box = QComboBox()
        self.mode_box.setObjectName("generateMode")
        for key, label in MODES.items():
            self.mode_box.addItem(label, key)
        top.addRow("Make:", self.mode_box)
        self.mode_note = QLabel()
        self.mode_note.setObjectName("panelNote")
        self.mode_note.setWordWrap(True)
        top.addRow(self.mode_note)
        lay.addLayout(top)

        self.what_box = QGroupBox("Music")
        self.what = QFormLayout(self.what_box)
        self.what.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.style_box = QComboBox()
        self.style_box.addItem("Folk melody (one line)", "folk")
        self.style_box.addItem("Chorale (four voices)", "chorale")
        self.what.addRow("Style:", self.style_box)
        self.drum_style_box = QComboBox()
        for s in DRUM_STYLES:
            self.drum_style_box.addItem(s.capitalize() if s != "hiphop" else "Hip-hop", s)
        self.what.addRow("Groove:", self.drum_style_box)
        self.source_box = QComboBox()
        self.source_box.setObjectName("generateNotesFrom")
        self.source_box.setToolTip("Which notes to work from")
        self.what.addRow("Notes from:", self.source_box)
        self.bars_box = QSpinBox()
        self.bars_box.setObjectName("generateBars")
        self.bars_box.setRange(1, 64)
        self.bars_box.setValue(8)
        self.bars_box.setSuffix(" bars")
        self.what.addRow("Length:", self.bars_box)
        self.keep_source = QCheckBox("Put the original notes in the new track too")
        self.keep_source.setToolTip("Off: the new track holds only what was generated (the "
                                    "original stays on its own track)")
        self.what.addRow("", self.keep_source)
        self.in_key = QCheckBox("Stay in the key (no chromatic notes)")
        self.what.addRow("", self.in_key)
        lay.addWidget(self.what_box)

        self.musicgen = MusicGenOptions(self)
        self.musicgen_box = QGroupBox("MusicGen")
        QVBoxLayout(self.musicgen_box).addWidget(self.musicgen)
        lay.addWidget(self.musicgen_box)

        self.music_box = QGroupBox("Key and tempo")
        mf = QFormLayout(self.music_box)
        mf.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.music_form = mf
        follow_row = QHBoxLayout()
        self.follow = QCheckBox("Follow the current track")
        self.follow.setObjectName("generateFollow")
        self.follow.setChecked(True)
        self.follow.setToolTip("Use the track's key, tempo and metre (from its notes layer, or "
                               "estimated from its audio). Change any value to override.")
        self.detect_button = QPushButton("Detect")
        self.detect_button.setToolTip("Estimate the current track's key and tempo from its audio")
        self.detect_button.clicked.connect(self.detect)
        follow_row.addWidget(self.follow, 1)
        follow_row.addWidget(self.detect_button)
        mf.addRow(follow_row)
        self.key_box = QComboBox()
        self.key_box.setObjectName("generateKey")
        self.key_box.addItem("Auto — from the track", None)
        from core.generate.tokens import KEY_TONICS

        for mode in ("major", "minor"):
            for tonic in KEY_TONICS:
                self.key_box.addItem(f"{tonic} {mode}", f"{tonic} {mode}")
        self.key_box.setMaxVisibleItems(14)
        mf.addRow("Key:", self.key_box)
        self.metre_box = QComboBox()
        for m in METRE_CHOICES:
            self.metre_box.addItem(m, m)
        mf.addRow("Metre:", self.metre_box)
        self.tempo_box = QDoubleSpinBox()
        self.tempo_box.setObjectName("generateTempo")
        self.tempo_box.setRange(19.0, 300.0)
        self.tempo_box.setDecimals(1)
        self.tempo_box.setSpecialValueText("Auto — from the track")
        self.tempo_box.setSuffix(" BPM")
        self.tempo_box.setValue(19.0)
        mf.addRow("Tempo:", self.tempo_box)
        lay.addWidget(self.music_box)

        self.var_box = QGroupBox("Variation and sound")
        vf = QFormLayout(self.var_box)
        vf.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.var_form = vf
        seed_row = QHBoxLayout()
        self.seed_box = QSpinBox()
        self.seed_box.setObjectName("generateSeed")
        self.seed_box.setRange(0, 999_999)
        self.seed_box.setToolTip("Same seed and settings → the same music")
        self.new_seed_button = QPushButton("New seed")
        self.new_seed_button.setToolTip("Pick a random seed (Regenerate does this and runs)")
        self.new_seed_button.clicked.connect(self.new_seed)
        seed_row.addWidget(self.seed_box, 1)
        seed_row.addWidget(self.new_seed_button)
        vf.addRow("Seed:", seed_row)
        self.temperature_box = QDoubleSpinBox()
        self.temperature_box.setObjectName("generateTemperature")
        self.temperature_box.setRange(0.0, 2.0)
        self.temperature_box.setSingleStep(0.05)
        self.temperature_box.setValue(0.9)
        self.temperature_box.setToolTip("Lower is safer and more predictable, higher is wilder "
                                        "(0 always picks the likeliest note)")
        vf.addRow("Temperature:", self.temperature_box)
        self.sound_box = QComboBox()
        for label, program in SOUNDS.items():
            self.sound_box.addItem(label, program)
        self.sound_box.setToolTip("General MIDI instrument the notes are rendered with "
                                  "(the notes layer keeps the notes either way)")
        vf.addRow("Sound:", self.sound_box)
        lay.addWidget(self.var_box)

        run = QHBoxLayout()
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(lambda: self.generate())
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setObjectName("generateRegenerate")
        self.regenerate_button.setToolTip("Same settings, new seed: another variation")
        self.regenerate_button.clicked.connect(lambda: self.regenerate())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("generateCancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.autoplay = QCheckBox("Play results")
        self.autoplay.setChecked(True)
        self.autoplay.setToolTip("Start the preview as soon as a result is ready")
        run.addWidget(self.generate_button)
        run.addWidget(self.regenerate_button)
        run.addWidget(self.cancel_button)
        run.addStretch(1)
        run.addWidget(self.autoplay)
        lay.addLayout(run)
        self.progress = QProgressBar()
        self.progress.setObjectName("generateProgress")
        self.progress.setRange(0, 1000)
        self.progress.hide()
        lay.addWidget(self.progress)
        self.hint = QLabel()
        self.hint.setObjectName("generateHint")
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setStyleSheet("color: #ffb347;")
        lay.addWidget(self.hint)

        self.results = ResultBox(self)
        lay.addWidget(self.results)
        self.message = QLabel()
        self.message.setObjectName("generateMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.message)
        lay.addStretch(1)

        self.mode_box.currentIndexChanged.connect(self._mode_changed)
        self.follow.toggled.connect(self._follow_toggled)
        self.key_box.currentIndexChanged.connect(self._user_override)
        self.tempo_box.valueChanged.connect(self._user_override)
        self.metre_box.currentIndexChanged.connect(self._user_override)
        for sig in (self.source_box.currentIndexChanged, self.bars_box.valueChanged,
                    self.musicgen.changed):
            sig.connect(self._update_controls)
        host = self.host
        host.currentTrackChanged.connect(lambda _tid: self.refresh())
        host.model.layersChanged.connect(lambda _tid: self.refresh())
        host.model.changed.connect(self.refresh)
        host.view_state.selectionChanged.connect(lambda *_: self._fill_sources())
        host.runner.jobChanged.connect(self._job_changed)
        self._mode_changed()

    # -- modes and controls ------------------------------------------------------------------------
    def mode(self) -> str:
        return self.mode_box.currentData()

    def set_mode(self, mode: str) -> None:
        self.mode_box.setCurrentIndex(self.mode_box.findData(mode))

    def _mode_changed(self, *_args: Any) -> None:
        m = self.mode()
        self.mode_note.setText(MODE_NOTES.get(m, ""))
        if m in BARS:
            self.bars_box.setValue(BARS[m])
        self.bars_box.setPrefix("+ " if m == "continue" else "")
        if m in TEMPERATURE:
            self.temperature_box.setValue(TEMPERATURE[m])
        self.keep_source.setText("Put the melody in the new track too" if m == "harmonize"
                                 else "Put the original notes in the new track too")
        w = self.what
        w.setRowVisible(self.style_box, m == "idea")
        w.setRowVisible(self.drum_style_box, m == "drums")
        w.setRowVisible(self.source_box, m in NOTE_MODES)
        w.setRowVisible(self.bars_box, m in ("idea", "continue", "drums"))
        w.setRowVisible(self.keep_source, m in ("continue", "harmonize"))
        w.setRowVisible(self.in_key, m == "idea")
        if m == "musicgen":
            self.musicgen.refresh()  # a model may have been downloaded meanwhile (CLI)
        self.what_box.setVisible(m != "musicgen")
        self.musicgen_box.setVisible(m == "musicgen")
        self.music_box.setVisible(m != "musicgen")
        self.music_form.setRowVisible(self.key_box, m != "drums")
        self.music_form.setRowVisible(self.metre_box, m != "drums")
        self.var_form.setRowVisible(self.temperature_box, m not in ("drums", "musicgen"))
        self.var_form.setRowVisible(self.sound_box, m in ("idea", "continue", "harmonize"))
        self.var_box.setTitle("Variation" if m in ("drums", "musicgen", "bassline")
                              else "Variation and sound")
        self.refresh()

    def problem(self) -> str:
        """Why Generate cannot run now ("" when it can)."""
        m = self.mode()
        if m == "musicgen":
            return self.musicgen.problem()
        if m in NOTE_MODES:
            ctx = self.context()
            if ctx.track is None:
                return "Select a track with notes to work from."
            if not ctx.notes:
                return (f"“{ctx.track.name}” has no notes yet: transcribe it in Transcribe → "
                        "Music → notes, or generate a new idea and add it as a track first.")
            if not self.source_notes(ctx):
                return "There are no notes in the chosen range: pick other notes to work from."
        return ""

    def _update_controls(self, *_args: Any) -> None:
        running = self.job is not None
        problem = self.problem()
        self.generate_button.setEnabled(not running and not problem)
        self.regenerate_button.setEnabled(not running and not problem)
        self.cancel_button.setVisible(running)
        self.detect_button.setEnabled(self.host.current_track() is not None
                                      and self.detect_job is None)
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))

    def say(self, text: str, *, error: bool = False) -> None:
        """Show a plain message under the controls (red for problems)."""
        self.message.setStyleSheet("color: #ff6b6b;" if error else "")
        self.message.setText(text)
        if text and hasattr(self.host, "statusBar"):
            self.host.statusBar().showMessage(text, 6000)

    # -- generating ----------------------------------------------------------------------------
    def make_request(self) -> GenRequest:
        """The request the current settings describe."""
        m = self.mode()
        ctx = self.context()
        track = ctx.track
        key = self.key_box.currentData()
        tempo = self.tempo_box.value()
        tempo = None if tempo <= self.tempo_box.minimum() else float(tempo)
        sel = self.host.selection_s()
        at = sel[0] if sel is not None else float(self.host.view_state.playhead or 0.0)
        req = GenRequest(
            mode=m, origin_s=max(0.0, at), key=key, tempo_bpm=tempo,
            metre=self.metre_box.currentData(), bars=self.bars_box.value(),
            seed=self.seed_box.value(), temperature=self.temperature_box.value(),
            style=self.style_box.currentData(), in_key_only=self.in_key.isChecked(),
            drum_style=self.drum_style_box.currentData(), program=self.sound_box.currentData(),
            include_source=self.keep_source.isChecked(),
            source_name=track.name if track is not None else "")
        if m in NOTE_MODES:
            notes = self.source_notes(ctx)
            if notes:
                from app.panels.notes_layer import shift_notes

                req.origin_s = self._origin(notes, ctx, tempo)
                req.notes = [n if n.start_s >= 0 else replace(n, start_s=0.0)
                             for n in shift_notes(notes, -req.origin_s)]
        if m == "musicgen":
            mg = self.musicgen
            req.model, req.prompt = mg.model_name(), mg.prompt.toPlainText().strip()
            req.duration_s, req.guidance = mg.duration.value(), mg.guidance.value()
            req.condition = mg.condition.currentData()
            if req.condition != "text" and track is not None:
                req.audio = self._track_audio(track, sel)
                if req.condition == "continue":
                    req.origin_s = max(track.offset_s, sel[0]) if sel else track.offset_s
        elif track is not None and (tempo is None or (key is None and m in ("idea",))
                                    or (key is None and m in NOTE_MODES and not req.notes)):
            req.audio = track.audio  # for the estimate made inside the job
        return req

    @staticmethod
    def _track_audio(track: Any, sel: tuple[float, float] | None) -> Any:
        """The track's audio, or the part of it inside the selection."""
        a = track.audio
        if sel is None:
            return a
        t0 = max(0.0, sel[0] - track.offset_s)
        t1 = min(a.duration_s, sel[1] - track.offset_s)
        if t1 - t0 < 0.1:
            return a
        return a.slice_frames(round(t0 * a.sr), round(t1 * a.sr))

    def generate(self, request: GenRequest | None = None) -> Any:
        """Start a generation job (returns the Job, or None with the reason shown)."""
        problem = self.problem()
        if problem:
            self.say(problem, error=True)
            return None
        if self.job is not None:
            self.say("A generation is running: wait for it or cancel it.", error=True)
            return None
        req = request or self.make_request()
        self.results.stop_preview()
        label = MODES[req.mode]
        where = f" for “{req.source_name}”" if req.source_name and req.mode in NOTE_MODES else ""
        self.job = self.host.runner.submit(
            f"{label}{where}", run_generation, req, on_result=self._generated,
            on_error=self._failed, on_cancel=self._cancelled, options=req.summary())
        self.progress.setRange(0, 0)
        self.progress.setFormat("starting…")
        self.progress.show()
        self.say(f"{label}… (seed {req.seed})")
        self._update_controls()
        return self.job

    def new_seed(self) -> int:
        seed = random.randrange(1, 1_000_000)
        while seed == self.seed_box.value():
            seed = random.randrange(1, 1_000_000)
        self.seed_box.setValue(seed)
        return seed

    def regenerate(self) -> Any:
        """Another variation: a new seed, same settings."""
        if self.job is not None or self.problem():
            return self.generate()
        self.new_seed()
        return self.generate()

    def cancel(self) -> None:
        if self.job is not None:
            self.host.runner.cancel(self.job.id)

    def _job_changed(self, job: Any) -> None:
        if self.job is None or job.id != self.job.id:
            return
        f = job.fraction
        if f is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(f * 1000))
        self.progress.setFormat(job.message or "%p %")

    def _finish_job(self) -> None:
        self.job = None
        self.progress.hide()
        self._update_controls()

    def _generated(self, result: GenResult) -> None:
        self._finish_job()
        track = self.host.current_track()
        if result.estimated and track is not None and result.request.audio is track.audio:
            old_key, old_tempo = self._estimates.get(track.id, (None, None))
            key = key_name(result.key) if "key" in result.estimated and result.key else old_key
            tempo = result.tempo_bpm if "tempo" in result.estimated else old_tempo
            self._estimates[track.id] = (key, tempo)
            self.refresh()
        self.results.add_result(result)
        self.scroll.ensureWidgetVisible(self.results, 0, 0)
        self.say(f"Ready: {result.label} — {result.describe()}. Preview it, regenerate, "
                 "or add it as a track.")
        pb = self.host.playback
        if self.autoplay.isChecked() and pb is not None and pb.available:
            self.results.start_preview()

    def _failed(self, message: str) -> None:
        self._finish_job()
        self.say(message, error=True)
        self.host.show_error("Generate", message)

    def _cancelled(self) -> None:
        self._finish_job()
        self.say("Generation cancelled; nothing was added.")

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().hideEvent(event)
        self.results.stop_preview()  # another tool is shown: the project plays again

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        QTimer.singleShot(0, self.refresh)  # the Transcribe panel's roll exists by now
