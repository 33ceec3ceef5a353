"""Following the current track in the Generate panel: key, tempo, metre and notes.

:class:`FollowMixin` gives :class:`~app.panels.generate_panel.GeneratePanel`
what it needs to "follow your key": the current track's newest notes layer
(its analysis — key, tempo, metre, beats — or, failing that, the key of its
notes), estimates of key and tempo from the track's audio (made by Detect, or
kept from a generation that had to estimate them), which notes to work from
(the piano roll's selection, the time selection, or the whole layer) and where
their bar 1 starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.panels.generate_jobs import DEFAULT_KEY, DEFAULT_TEMPO, estimate_key_tempo, key_name


@dataclass
class Context:
    """What the panel follows: the current track, its notes, its key/tempo/metre if known."""

    track: Any = None
    view: Any = None  # NotesLayerView of the track's newest notes layer
    notes: list | None = None  # that layer's notes in project time
    key: str | None = None
    key_from: str = ""
    tempo: float | None = None
    tempo_from: str = ""
    metre: str | None = None
    beats: list | None = None  # project seconds


def _fmt_time(t: float) -> str:
    m, s = divmod(max(0.0, t), 60)
    return f"{int(m)}:{s:05.2f}"


class FollowMixin:
    """Context and key/tempo following for the Generate panel (which owns the widgets)."""

    # -- what the panel follows ----------------------------------------------------------------
    def _roll(self) -> Any:
        transcribe = getattr(self.host, "tool_panels", {}).get("Transcribe")
        roll = getattr(getattr(transcribe, "notes", None), "roll", None)
        if roll is not None and not self._roll_connected:
            roll.selectionChanged.connect(self._fill_sources)
            self._roll_connected = True
        return roll

    def context(self) -> Context:
        """The current track, its notes and what is known of its key, tempo and metre."""
        from app.panels.notes_layer import NotesLayerView, notes_layer

        track = self.host.current_track()
        ctx = Context(track=track)
        if track is None:
            return ctx
        layer = notes_layer(track)
        if layer is not None:
            ctx.view = NotesLayerView(track, layer)
            ctx.notes = ctx.view.absolute_notes()
            a = ctx.view.analysis
            if a.get("key"):
                ctx.key, ctx.key_from = f"{a['key']['tonic']} {a['key']['mode']}", "notes layer"
            elif ctx.notes:
                from core.generate import key_of_notes

                ctx.key, ctx.key_from = key_name(key_of_notes(ctx.notes)), "its notes"
            if a.get("tempo_bpm"):
                ctx.tempo, ctx.tempo_from = float(a["tempo_bpm"]), "notes layer"
            ctx.metre = a.get("metre")
            if a.get("beats_s"):
                ctx.beats = [b + ctx.view.base_s for b in a["beats_s"]]
        est_key, est_tempo = self._estimates.get(track.id, (None, None))
        if ctx.key is None and est_key:
            ctx.key, ctx.key_from = est_key, "detected"
        if ctx.tempo is None and est_tempo:
            ctx.tempo, ctx.tempo_from = est_tempo, "detected"
        return ctx

    def refresh(self, *_args: Any) -> None:
        """Follow the current track (key/tempo when following, notes sources, labels)."""
        ctx = self.context()
        if self.follow.isChecked():
            self._show_values(ctx)
        self._show_context(ctx)
        self._fill_sources()

    def _show_context(self, ctx: Context) -> None:
        t = ctx.track
        if t is None:
            self.context_label.setText("<i>No track yet</i> — new ideas and grooves start at the "
                                       "playhead; set the key and tempo below.")
            return
        bits = [f"Following <b>“{t.name}”</b>"]
        if ctx.notes is not None:
            bits.append(f"notes layer: {len(ctx.notes)} notes")
        else:
            bits.append("no notes yet")
        if ctx.key:
            bits.append(f"<b>{ctx.key}</b> <span style='color:#8a8f98'>({ctx.key_from})</span>")
        if ctx.tempo:
            bits.append(f"<b>{ctx.tempo:g} BPM</b> "
                        f"<span style='color:#8a8f98'>({ctx.tempo_from})</span>")
        text = " · ".join(bits)
        if not ctx.key or not ctx.tempo:
            text += ("<br><span style='color:#8a8f98'>Unknown key or tempo is estimated from "
                     "the track's audio when you generate (or press Detect).</span>")
        self.context_label.setText(text)

    def _show_values(self, ctx: Context) -> None:
        self._setting = True
        try:
            # Nothing to follow yet: the usual defaults (not "Auto", which reads a track).
            key = ctx.key or (DEFAULT_KEY if ctx.track is None else None)
            tempo = ctx.tempo or (DEFAULT_TEMPO if ctx.track is None else None)
            self.key_box.setCurrentIndex(self._key_index(key))
            self.tempo_box.setValue(tempo if tempo else self.tempo_box.minimum())
            if ctx.metre:
                self.metre_box.setCurrentIndex(max(0, self.metre_box.findData(ctx.metre)))
        finally:
            self._setting = False

    def _key_index(self, key: str | None) -> int:
        """Menu row of ``key`` (any enharmonic spelling), 0 (Auto) when unknown."""
        if not key:
            return 0
        from core.generate.sample import parse_key
        from core.generate.tokens import KEY_TONICS

        try:
            pc, mode = parse_key(key)
        except Exception:
            return 0
        return max(0, self.key_box.findData(f"{KEY_TONICS[pc]} {mode}"))

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self._show_values(self.context())
        self._update_controls()

    def _user_override(self, *_args: Any) -> None:
        if not self._setting and self.follow.isChecked():
            self.follow.blockSignals(True)
            self.follow.setChecked(False)
            self.follow.blockSignals(False)
        self._update_controls()

    # -- notes to work from ----------------------------------------------------------------------
    def _fill_sources(self, *_args: Any) -> None:
        ctx = self.context()
        current = self.source_box.currentData()
        self.source_box.blockSignals(True)
        self.source_box.clear()
        roll = self._roll()
        selected = roll.selected_notes() if roll is not None and ctx.notes else []
        if selected:
            self.source_box.addItem(f"Selected notes in the piano roll ({len(selected)})",
                                    "selected")
        sel = self.host.selection_s()
        # What the user just selected (notes in the roll, or a time range) is what they mean.
        fresh = (len(selected), sel) != getattr(self, "_last_sources", (0, None))
        self._last_sources = (len(selected), sel)
        if fresh and selected:
            current = "selected"
        elif fresh and sel is not None and current != "selected":
            current = "range"
        if sel is not None and ctx.notes:
            n = sum(1 for x in ctx.notes if sel[0] <= x.start_s < sel[1])
            self.source_box.addItem(f"Notes in the time selection {_fmt_time(sel[0])}–"
                                    f"{_fmt_time(sel[1])} ({n})", "range")
        if ctx.notes:
            self.source_box.addItem(f"All notes of “{ctx.track.name}” ({len(ctx.notes)})", "all")
        if not self.source_box.count():
            self.source_box.addItem("No notes on the current track", None)
        i = self.source_box.findData(current)
        self.source_box.setCurrentIndex(i if i >= 0 else 0)
        self.source_box.blockSignals(False)
        self._update_controls()

    def source_notes(self, ctx: Context | None = None) -> list:
        """The chosen notes, in project time."""
        ctx = ctx or self.context()
        which = self.source_box.currentData()
        if not ctx.notes or which is None:
            return []
        if which == "selected":
            roll = self._roll()
            return list(roll.selected_notes()) if roll is not None else []
        if which == "range":
            sel = self.host.selection_s()
            if sel is None:
                return []
            return [n for n in ctx.notes if sel[0] <= n.start_s < sel[1]]
        return list(ctx.notes)

    @staticmethod
    def _origin(notes: list, ctx: Context, tempo: float | None) -> float:
        """Where bar 1 of ``notes`` starts: the beat at or just before the first note."""
        first = min(n.start_s for n in notes)
        if ctx.beats:
            beat_s = 60.0 / (tempo or DEFAULT_TEMPO)
            before = [b for b in ctx.beats if b <= first + 0.03]
            if before and first - before[-1] < beat_s:
                return max(0.0, before[-1])
        return max(0.0, first)

    # -- key and tempo detection -----------------------------------------------------------------
    def detect(self) -> Any:
        """Estimate the current track's key and tempo from its audio (a job)."""
        track = self.host.current_track()
        if track is None or self.detect_job is not None:
            return None
        tid = track.id

        def done(result: tuple) -> None:
            self.detect_job = None
            key, tempo = result
            self._estimates[tid] = (key_name(key), tempo)
            self.follow.setChecked(True)
            self.refresh()
            self.say(f"“{track.name}”: {key_name(key)}"
                     + (f", {tempo:g} BPM." if tempo else "; no steady beat found."))

        def failed(message: str) -> None:
            self.detect_job = None
            self._update_controls()
            self.say(f"Could not detect the key and tempo: {message}", error=True)

        def cancelled() -> None:
            self.detect_job = None
            self._update_controls()

        self.detect_job = self.host.runner.submit(
            f"Key and tempo of “{track.name}”", estimate_key_tempo, track.audio,
            on_result=done, on_error=failed, on_cancel=cancelled, options={"track": track.name})
        self._update_controls()
        return self.detect_job
