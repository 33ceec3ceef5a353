"""The Restore tool's panel: denoise, declip, declick, dehum, dereverb, loudness, chains.

Apply turns the current track (or only the selected part of it, cross-faded at the
edges so it lines up) into a NEW "restored" track whose source is the original, as
one undo step; the lane's A/B button then compares the two.  Preview renders a few
seconds and plays them at once with instant before/after A/B at the same playhead.
Engine work runs on the job runner; the engine is imported inside the jobs.
"""

from __future__ import annotations

import functools
from typing import Any, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import ToolPanel
from app.panels.restore_chain import ChainEditor
from app.panels.restore_options import ToolOptions
from app.panels.restore_work import (
    TOOL_LABELS,
    describe,
    measure,
    preview_region,
    process,
    render_preview,
)

#: Key of the temporary preview source in the playback mix.
PREVIEW_KEY = "__restore_preview__"


def _clock(t: float) -> str:
    m, s = divmod(max(0.0, t), 60.0)
    return f"{int(m)}:{s:04.1f}"


class RestorePanel(ToolPanel):
    TITLE = "Restore"
    SUMMARY = "Clean up recordings: reduce noise, hum, clicks, clipping and room reverb."
    PLANNED = "Restoration will process the current track or selection into a new track, so the original is always kept for comparison."
    AVAILABLE = True

    # -- construction ----------------------------------------------------------------------
    def build(self) -> None:
        self.noise_profile: Any = None  # core.audio.Audio of the learned noise
        self.noise_region: Optional[tuple[str, float, float]] = None  # (track id, t0, t1)
        self.last_report: Optional[dict] = None
        self.last_job: Any = None
        self.preview_audio: Any = None
        self.preview_region_s: Optional[tuple[float, float]] = None
        self.previewing = False
        self._ab_active = "a"
        self._preview_track: Optional[str] = None

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 4, 0)
        lay.setSpacing(8)
        scroll.setWidget(body)
        self.layout_.addWidget(scroll, 100)  # the base adds a stretch(1) after build()

        self.scope_label = QLabel()
        self.scope_label.setObjectName("restoreScope")
        self.scope_label.setWordWrap(True)
        lay.addWidget(self.scope_label)

        self.options = ToolOptions()
        self.options.learnNoiseRequested.connect(self.learn_noise)
        self.options.clearNoiseRequested.connect(self.forget_noise)
        self.options.measureRequested.connect(self.measure)
        lay.addWidget(self.options)

        self.difference_check = QCheckBox("Also add what was removed (difference track)")
        self.difference_check.setObjectName("restoreDifference")
        self.difference_check.setToolTip("Adds original − restored as its own track, to hear "
                                         "exactly what the tool took out")
        lay.addWidget(self.difference_check)

        row = QHBoxLayout()
        self.preview_button = QPushButton("▶ Preview")
        self.preview_button.setObjectName("restorePreview")
        self.preview_button.setToolTip("Render a few seconds (the selection, or 5 s from the "
                                       "playhead) and play them with before/after A/B")
        self.preview_button.clicked.connect(self.preview)
        self.ab_button = QPushButton("Hearing: restored")
        self.ab_button.setObjectName("restoreAB")
        self.ab_button.setCheckable(True)
        self.ab_button.setToolTip("Switch between the restored preview and the original at the "
                                  "same playhead")
        self.ab_button.toggled.connect(self._ab_toggled)
        self.stop_button = QPushButton("■")
        self.stop_button.setObjectName("restoreStopPreview")
        self.stop_button.setToolTip("Stop the preview")
        self.stop_button.setFixedWidth(34)
        self.stop_button.clicked.connect(self.stop_preview)
        row.addWidget(self.preview_button)
        row.addWidget(self.ab_button, 1)
        row.addWidget(self.stop_button)
        lay.addLayout(row)

        self.apply_button = QPushButton("Apply → new track")
        self.apply_button.setObjectName("restoreApply")
        self.apply_button.setDefault(True)
        self.apply_button.setToolTip("Process into a new version of the track (undoable); the "
                                     "original is kept for A/B")
        self.apply_button.clicked.connect(self.apply)
        lay.addWidget(self.apply_button)

        self.status_label = QLabel()
        self.status_label.setObjectName("restoreStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.status_label)
        self.report_label = QLabel()
        self.report_label.setObjectName("restoreReport")
        self.report_label.setWordWrap(True)
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_label.setStyleSheet("QLabel { padding: 6px; border-radius: 4px; "
                                        "background: rgba(127, 127, 127, 40); }")
        self.report_label.hide()
        lay.addWidget(self.report_label)

        self.chain_editor = ChainEditor()
        self.chain_editor.addRequested.connect(self.add_chain_step)
        self.chain_editor.runRequested.connect(self.run_chain)
        self.chain_editor.message.connect(self.set_status)
        lay.addWidget(self.chain_editor)
        from app.batch_dialog import batch_button

        lay.addWidget(batch_button(self.host, lambda: f"restore {self.options.tool()}"))
        lay.addStretch(1)

        host = self.host
        if hasattr(host, "currentTrackChanged"):
            host.currentTrackChanged.connect(lambda _tid: self._update_scope())
        vs = getattr(host, "view_state", None)
        if vs is not None:
            vs.selectionChanged.connect(lambda *_a: self._update_scope())
        model = getattr(host, "model", None)
        if model is not None:
            # the window rebuilds the playback mix when tracks change: the preview is gone
            model.trackInserted.connect(lambda *_a: self._preview_gone())
            model.trackRemoved.connect(lambda *_a: self._preview_gone())
            model.projectReset.connect(self._preview_gone)
        self._update_preview_ui()
        self._update_scope()

    # -- scope -------------------------------------------------------------------------------
    def _scope(self) -> tuple[Any, Optional[tuple[float, float]]]:
        """The current track and the selection in the track's own seconds (None: all)."""
        track = self.current_track()
        sel = self.selection_s()
        if track is None or sel is None:
            return track, None
        t0 = max(0.0, sel[0] - track.offset_s)
        t1 = min(track.audio.duration_s, sel[1] - track.offset_s)
        return track, ((t0, t1) if t1 > t0 else None)

    def _update_scope(self) -> None:
        track, region = self._scope()
        if track is None:
            text = "Open or record a track to restore it."
        elif region is None:
            text = f"Applies to the whole track “{track.name}”."
        else:
            text = (f"Applies to the selection {_clock(region[0])}–{_clock(region[1])} of "
                    f"“{track.name}” (the rest is kept as is).")
        self.scope_label.setText(text)
        has = track is not None
        for b in (self.apply_button, self.preview_button, self.options.measure_button):
            b.setEnabled(has)
        self.options.learn_button.setEnabled(region is not None)
        self.chain_editor.run_button.setEnabled(has and bool(self.chain_editor.steps()))

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def show_report(self, report: dict) -> None:
        self.last_report = report
        self.report_label.setText(describe(report))
        self.report_label.show()

    # -- settings → engine params -----------------------------------------------------------
    def _params(self, track: Any) -> dict:
        tool = self.options.tool()
        params = self.options.params(tool)
        if tool == "denoise" and params["method"] == "gate" and self.noise_profile is not None:
            params["noise_profile"] = self.noise_profile
        return params

    def _runtime_chain(self, track: Any):
        """The editor's chain with each noise-profile region turned into the noise audio."""
        from core.audio import Audio
        from core.restore.chain import Chain, ChainStep

        chain = self.chain_editor.chain()
        steps = []
        for s in chain.steps:
            p = dict(s.params)
            prof = p.get("noise_profile")
            if isinstance(prof, (tuple, list)):
                t0, t1 = float(prof[0]), float(prof[1])
                if (self.noise_profile is not None and self.noise_region is not None
                        and self.noise_region[1:] == (t0, t1)):
                    p["noise_profile"] = self.noise_profile
                else:
                    a, b = (int(round(t * track.audio.sr)) for t in (t0, t1))
                    p["noise_profile"] = Audio(track.audio.samples[:, max(0, a):b],
                                               track.audio.sr)
            steps.append(ChainStep(s.tool, p))
        return Chain(steps, chain.name)

    # -- apply ---------------------------------------------------------------------------------
    def apply(self) -> Any:
        """Process the selection (or the whole track) into a new "restored" track."""
        track, region = self._scope()
        if track is None:
            self.set_status("Open or record a track first.")
            return None
        tool = self.options.tool()
        return self._submit_apply(track, region, tool, self._params(track), None,
                                  TOOL_LABELS[tool])

    def run_chain(self) -> Any:
        """Apply every step of the chain in order, as one new version."""
        track, region = self._scope()
        if track is None:
            self.set_status("Open or record a track first.")
            return None
        from core.errors import ResonoteError

        try:
            chain = self._runtime_chain(track)
        except ResonoteError as exc:
            self.set_status(str(exc))
            return None
        label = f"chain {chain.name}" if chain.name else "chain"
        return self._submit_apply(track, region, "", {}, chain, label)

    def _submit_apply(self, track, region, tool, params, chain, label) -> Any:
        diff = self.difference_check.isChecked()
        where = "" if region is None else f" {_clock(region[0])}–{_clock(region[1])}"
        name = f"{track.name} ({label.lower()}{where})"
        fn = functools.partial(process, track.audio, tool, params, region_s=region,
                               chain=chain, difference=diff)
        self.set_status(f"{label}: working on “{track.name}”…")

        def done(result, tid=track.id, tname=track.name, name=name, label=label):
            self._apply_done(result, tid, tname, name, label)

        self.last_job = self.host.submit_job(f"Restore: {label} on “{track.name}”", fn,
                                             on_result=done, on_error=self._failed)
        return self.last_job

    def _apply_done(self, result, track_id: str, track_name: str, name: str, label: str) -> None:
        self.show_report(result.report)
        try:
            self.host.model.track(track_id)
        except KeyError:
            self.set_status(f"“{track_name}” was removed before {label} finished; "
                            "nothing was added.")
            return
        stack = self.host.undo_stack
        stack.beginMacro(f"{label} “{track_name}”")
        try:
            self.host.add_track_from_job(result.audio, name, kind="restored",
                                         source_id=track_id)
            if result.difference is not None:
                self.host.add_track_from_job(result.difference,
                                             f"{track_name} (removed by {label.lower()})",
                                             kind="residual", source_id=track_id)
        finally:
            stack.endMacro()
        self.set_status(f"Added “{name}”. Use its A/B button to compare with the original; "
                        "Undo removes it.")

    def _failed(self, message: str) -> None:
        self.set_status(message)
        show = getattr(self.host, "show_error", None)
        if show is not None:
            show("Restore", message)

    # -- noise profile ---------------------------------------------------------------------------
    def learn_noise(self) -> bool:
        """Keep the selection as the spectral gate's noise profile."""
        from core.audio import Audio
        from core.restore.denoise import MIN_PROFILE_S

        track, region = self._scope()
        if track is None or region is None:
            self.set_status("Select a stretch of noise only (a pause) first.")
            return False
        t0, t1 = region
        if t1 - t0 < MIN_PROFILE_S:
            self.set_status(f"The selection is too short for a noise profile ({t1 - t0:.2f} s);"
                            f" select at least {MIN_PROFILE_S:g} s of noise only.")
            return False
        sr = track.audio.sr
        a, b = int(round(t0 * sr)), int(round(t1 * sr))
        self.noise_profile = Audio(track.audio.samples[:, a:b].copy(), sr)
        self.noise_region = (track.id, round(t0, 3), round(t1, 3))
        self.options.set_tool("denoise")
        self.options.set_method("gate")
        self.options.set_profile_text(
            f"Noise profile: {self.noise_profile.duration_s:.2f} s learned from “{track.name}” "
            f"({_clock(t0)}–{_clock(t1)}).")
        self.set_status("Noise learned. Select what to clean (or nothing for the whole track) "
                        "and press Preview or Apply.")
        return True

    def forget_noise(self) -> None:
        self.noise_profile = None
        self.noise_region = None
        self.options.set_profile_text(None)

    # -- chain -----------------------------------------------------------------------------------
    def add_chain_step(self) -> None:
        tool = self.options.tool()
        params = self.options.params(tool)
        if tool == "denoise" and params["method"] == "gate" and self.noise_region is not None:
            params["noise_profile"] = self.noise_region[1:]  # a region: presets can hold it
        self.chain_editor.add_step(tool, params)
        self._update_scope()

    # -- loudness measurement ----------------------------------------------------------------------
    def measure(self) -> Any:
        track, region = self._scope()
        if track is None:
            return None
        scope = "selection" if region is not None else "whole track"
        fn = functools.partial(measure, track.audio, region_s=region)
        self.options.measure_label.setText("Measuring…")
        self.last_job = self.host.submit_job(
            f"Measure loudness of “{track.name}”", fn,
            on_result=lambda m: self.options.show_measurement(m, scope),
            on_error=lambda msg: (self.options.show_measurement(None), self.set_status(msg)))
        return self.last_job

    # -- preview -----------------------------------------------------------------------------------
    def preview(self) -> Any:
        """Render a few seconds and play them with before/after A/B."""
        track, region = self._scope()
        if track is None:
            self.set_status("Open or record a track first.")
            return None
        playhead = self.host.view_state.playhead - track.offset_s
        t0, t1 = preview_region(track.audio.duration_s, region, playhead)
        tool = self.options.tool()
        fn = functools.partial(render_preview, track.audio, tool, self._params(track),
                               region_s=(t0, t1))
        self.set_status(f"Rendering a {t1 - t0:.1f} s preview…")

        def done(res, tid=track.id, t0=t0, t1=t1):
            self._start_preview(res[0], res[1], tid, t0, t1)

        self.last_job = self.host.submit_job(f"Preview {TOOL_LABELS[tool]}", fn, on_result=done,
                                             on_error=self._failed)
        return self.last_job

    def _sources(self, extra: list | None = None) -> list:
        from core.playback import PlaySource

        return [PlaySource(t.id, t.audio, gain_db=t.gain_db, mute=t.mute, solo=t.solo,
                           offset_s=t.offset_s) for t in self.host.model.tracks] + (extra or [])

    def _start_preview(self, audio, report: dict, track_id: str, t0: float, t1: float) -> None:
        from core.playback import PlaySource

        self.preview_audio = audio
        self.preview_region_s = (t0, t1)
        self.show_report(report)
        try:
            track = self.host.model.track(track_id)
        except KeyError:
            return
        pb = getattr(self.host, "playback", None)
        if pb is None or not pb.available:
            reason = "" if pb is None else f" ({pb.unavailable_reason})"
            self.set_status(f"Preview rendered ({t1 - t0:.1f} s), but there is no audio output "
                            f"to play it{reason}. Apply still works; connect an output and "
                            "press Refresh outputs to listen.")
            self._update_preview_ui()
            return
        start = track.offset_s + t0
        # solo: the preview pair is heard alone, whichever side of the A/B is active
        src = PlaySource(PREVIEW_KEY, audio, offset_s=start, solo=True)
        pb.set_sources(self._sources([src]))
        self._ab_active = "a"
        pb.set_ab(PREVIEW_KEY, track_id, active="a")
        pb.play(start)
        if pb.player is not None:
            pb.player.set_loop(start, track.offset_s + t1)
        self.previewing = True
        self._preview_track = track_id
        self._update_preview_ui()
        self.set_status(f"Previewing {_clock(t0)}–{_clock(t1)} in a loop: switch A/B to hear "
                        "the original at the same moment.")

    def _ab_toggled(self, on: bool) -> None:
        pb = getattr(self.host, "playback", None)
        self._ab_active = "b" if on else "a"
        if self.previewing and pb is not None and self._preview_track is not None:
            pb.set_ab(PREVIEW_KEY, self._preview_track, active=self._ab_active)
        self._update_preview_ui()

    def stop_preview(self) -> None:
        pb = getattr(self.host, "playback", None)
        if self.previewing and pb is not None:
            pb.stop()
            pb.set_ab(None)
            pb.set_sources(self._sources())
            pb.set_loop_enabled(pb.actions()["loop"].isChecked())  # the user's own loop again
        self.previewing = False
        self._preview_track = None
        self._update_preview_ui()

    def _preview_gone(self) -> None:
        if self.previewing:
            self.previewing = False
            self._preview_track = None
            self._update_preview_ui()

    def _update_preview_ui(self) -> None:
        self.ab_button.blockSignals(True)
        self.ab_button.setChecked(self._ab_active == "b")
        self.ab_button.blockSignals(False)
        self.ab_button.setText("Hearing: original (B)" if self._ab_active == "b"
                               else "Hearing: restored (A)")
        self.ab_button.setEnabled(self.previewing)
        self.stop_button.setEnabled(self.previewing)
