"""The transcript pane: a track's transcript, in step with playback.

Shows the transcript layers of the current track (:class:`core.speech.Transcript`
stored as ``Layer(kind="transcript", data=transcript.to_dict())``).  The segment
and word under the playhead are highlighted as they play; clicking a word moves
the playhead there; search steps through matches; double-clicking a segment
edits its text (timings kept) as one undo step; a segment can be looped and
slowed down (the speed box is the transport's: 50-200 %, pitch kept); the
transcript exports to TXT, SRT, VTT or JSON.

Times in a transcript layer are seconds from the start of the track's audio;
the pane adds the track's ``offset_s`` to place them on the project time line,
so moving a track keeps its transcript in step.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.views.transcript_text import (
    TRANSCRIPT_KIND,
    ReplaceLayerCommand,
    TranscriptText,
    format_time,
    transcript_layers,
)
from core.project import Layer
from core.speech.types import Transcript

__all__ = ["EXPORT_FORMATS", "TRANSCRIPT_KIND", "ReplaceLayerCommand", "TranscriptPane",
           "format_time", "transcript_layers"]

EXPORT_FORMATS = (("txt", "Plain text"), ("srt", "SubRip subtitles"),
                  ("vtt", "WebVTT subtitles"), ("json", "JSON with word timings"))


class TranscriptPane(QWidget):
    """Transcript of the current track, synced with the shared playhead.

    Parameters
    ----------
    host : MainWindow
        Provides ``view_state``, ``model``, ``undo_stack``, ``playback``,
        ``current_track()``, ``show_error`` and ``currentTrackChanged``.
    """

    def __init__(self, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.setObjectName("transcriptPane")
        self.transcript: Transcript | None = None
        self.track_id: str | None = None
        self.offset_s = 0.0
        self._layer_pos = -1          # index among the track's transcript layers
        self._starts: list[float] = []
        self._current: tuple[int | None, int | None] = (None, None)
        self.focus_segment: int | None = None
        self.hits: list[tuple[int, int]] = []
        self.hit_index = -1
        self._query_words = 1
        self._build()
        host.currentTrackChanged.connect(lambda tid: self.show_track(tid or None))
        host.model.layersChanged.connect(self._layers_changed)
        host.model.trackChanged.connect(self._track_changed)
        host.model.projectReset.connect(lambda: self.show_track(self._current_track_id()))
        host.view_state.playheadChanged.connect(self.follow_playhead)
        self.show_track(self._current_track_id())

    # -- construction ------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.setSpacing(4)
        bar = QHBoxLayout()
        self.title = QLabel("No transcript")
        self.title.setObjectName("transcriptTitle")
        bar.addWidget(self.title)
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("Which transcript of this track to show")
        self.layer_combo.activated.connect(self._choose_layer)
        bar.addWidget(self.layer_combo)
        bar.addStretch(1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find words…")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(220)
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self.next_hit)
        bar.addWidget(self.search)
        self.prev_button = self._tool("◀", "Previous match (Shift+Enter)", self.previous_hit)
        self.next_button = self._tool("▶", "Next match (Enter)", self.next_hit)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        self.hit_label = QLabel("")
        self.hit_label.setMinimumWidth(70)
        bar.addWidget(self.hit_label)
        lay.addLayout(bar)

        self.text = TranscriptText()
        self.text.setObjectName("transcriptText")
        self.text.anchorClicked.connect(self._anchor_clicked)
        self.text.segmentDoubleClicked.connect(self.edit_segment_dialog)
        lay.addWidget(self.text, 1)

        tools = QHBoxLayout()
        self.loop_button = QPushButton("Loop segment")
        self.loop_button.setToolTip("Select the current segment and loop it (transport Loop, L)")
        self.loop_button.clicked.connect(lambda: self.loop_segment(self._segment_for_action()))
        self.edit_button = QPushButton("Edit text…")
        self.edit_button.setToolTip("Edit the current segment's text; its timing is kept "
                                    "(or double-click a segment)")
        self.edit_button.clicked.connect(lambda: self.edit_segment_dialog(self._segment_for_action()))
        tools.addWidget(self.loop_button)
        tools.addWidget(self.edit_button)
        tools.addSpacing(12)
        self.speed_box = self._make_speed_box()
        speed_label = QLabel("Speed:")
        speed_label.setBuddy(self.speed_box)
        tools.addWidget(speed_label)
        tools.addWidget(self.speed_box)
        tools.addStretch(1)
        tools.addWidget(QLabel("Export:"))
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt, what in EXPORT_FORMATS:
            b = QPushButton(fmt.upper())
            b.setToolTip(f"Save the transcript as {what} (.{fmt})")
            b.clicked.connect(lambda _c=False, f=fmt: self.export_dialog(f))
            tools.addWidget(b)
            self.export_buttons[fmt] = b
        lay.addLayout(tools)
        self.note = QLabel("")
        self.note.setObjectName("panelNote")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)

    def _make_speed_box(self) -> QSpinBox:
        """The playback speed, shared with the transport (slow a passage down to follow it)."""
        playback = getattr(self.host, "playback", None)
        if playback is not None and hasattr(playback, "make_speed_box"):
            box = playback.make_speed_box(self)
        else:
            box = QSpinBox()
            box.setRange(50, 200)
            box.setValue(100)
            box.setSuffix("%")
            box.setEnabled(False)
            box.setToolTip("Playback is not available")
        box.setObjectName("transcriptSpeed")
        return box

    def _tool(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def keyPressEvent(self, e) -> None:  # noqa: N802 (Qt API)
        if self.search.hasFocus() and e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and e.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.previous_hit()
            return
        super().keyPressEvent(e)

    # -- which transcript -------------------------------------------------------------
    def _current_track_id(self) -> str | None:
        track = self.host.current_track()
        return None if track is None else track.id

    def _track(self) -> Any:
        try:
            return self.host.model.track(self.track_id) if self.track_id else None
        except KeyError:
            return None

    def layer(self) -> Layer | None:
        """The transcript layer shown now."""
        layers = transcript_layers(self._track())
        return layers[self._layer_pos] if 0 <= self._layer_pos < len(layers) else None

    def show_track(self, track_id: str | None, layer_pos: int = -1) -> None:
        """Show the transcript of ``track_id`` (``layer_pos``: which one; -1: the newest)."""
        if track_id != self.track_id:
            self.focus_segment = None
        self.track_id = track_id
        layers = transcript_layers(self._track())
        self._layer_pos = (len(layers) - 1 if layer_pos < 0 or layer_pos >= len(layers)
                           else layer_pos)
        self._reload()

    def _layers_changed(self, track_id: str) -> None:
        if track_id != self.track_id:
            return
        n = len(transcript_layers(self._track()))
        keep = self._layer_pos if 0 <= self._layer_pos < n else -1
        self.show_track(track_id, keep)

    def _track_changed(self, track_id: str, field: str) -> None:
        if track_id == self.track_id and field in ("offset_s", "name"):
            self._reload()

    def _choose_layer(self, row: int) -> None:
        self.show_track(self.track_id, row)

    def _reload(self) -> None:
        track, layer = self._track(), self.layer()
        layers = transcript_layers(track)
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for lr in layers:
            self.layer_combo.addItem(lr.name)
        self.layer_combo.setCurrentIndex(self._layer_pos)
        self.layer_combo.blockSignals(False)
        self.layer_combo.setVisible(len(layers) > 1)
        self.transcript = None
        if layer is not None:
            try:
                self.transcript = Transcript.from_dict(layer.data)
            except ValueError as exc:
                self.note.setText(f"This transcript cannot be shown: {exc}")
        self.offset_s = float(track.offset_s) if track is not None else 0.0
        has = self.transcript is not None
        for w in (self.search, self.prev_button, self.next_button, self.loop_button,
                  self.edit_button, *self.export_buttons.values()):
            w.setEnabled(has)
        if track is None:
            self.title.setText("No track")
            self.note.setText("Open a track to see its transcript.")
        elif not has:
            self.title.setText(track.name)
            if layer is None:
                self.note.setText("No transcript for this track yet: use Transcribe → "
                                  "Speech → text in the Tools panel.")
        else:
            t = self.transcript
            words = len(t.words)
            self.title.setText(f"<b>{track.name}</b> — {len(t.segments)} segments"
                               + (f", {words} words" if words else "")
                               + (f" · {t.language}" if t.language else ""))
            self.note.setText("" if t.segments else "No speech was found.")
            if t.segments and not words:
                self.note.setText("No word timings (transcribe with word timings to click "
                                  "single words).")
        self._render()
        self._search_changed(self.search.text())

    # -- drawing --------------------------------------------------------------------------
    def _render(self) -> None:
        t = self.transcript
        self._current = (None, None)
        self._starts = [s.start_s for s in t.segments] if t else []
        self.text.render(t, self.offset_s)
        self._update_highlight()
        self.follow_playhead(self.host.view_state.playhead)

    def _update_highlight(self) -> None:
        hit = None
        if 0 <= self.hit_index < len(self.hits):
            hit = self.text.hit_range(self.hits[self.hit_index], self._query_words)
        self.text.mark(self._current, hit)

    # -- following playback -----------------------------------------------------------------
    def position_of(self, t: float) -> tuple[int | None, int | None]:
        """(segment, word) playing at project time ``t`` seconds (None where nothing is)."""
        tr = self.transcript
        if not tr or not tr.segments:
            return None, None
        tt = t - self.offset_s
        si = bisect.bisect_right(self._starts, tt) - 1
        if si < 0 or tt >= tr.segments[si].end_s:
            return None, None
        words = tr.segments[si].words
        wi = bisect.bisect_right([w.start_s for w in words], tt) - 1
        return si, (wi if wi >= 0 and tt < words[wi].end_s else None)

    def follow_playhead(self, t: float) -> None:
        """Highlight what plays at ``t`` and keep it in view."""
        pos = self.position_of(t)
        if pos == self._current:
            return
        self._current = pos
        self._update_highlight()
        si, wi = pos
        if si is not None:
            self.text.scroll_to(self.text.range_of(si, wi))

    def current_segment(self) -> int | None:
        """Index of the segment under the playhead (None between segments)."""
        return self._current[0]

    def _segment_for_action(self) -> int | None:
        if self._current[0] is not None:
            return self._current[0]
        if self.focus_segment is not None:
            return self.focus_segment
        return 0 if self.transcript and self.transcript.segments else None

    # -- clicking ---------------------------------------------------------------------
    def _anchor_clicked(self, url: QUrl) -> None:
        frag = url.fragment()
        t = self.transcript
        if not t or not frag:
            return
        try:
            if frag.startswith("w"):
                si, wi = (int(x) for x in frag[1:].split("_"))
                self.seek_word(si, wi)
            elif frag.startswith("s"):
                self.seek_segment(int(frag[1:]))
        except (ValueError, IndexError):
            return

    def seek_word(self, si: int, wi: int) -> None:
        """Move the playhead to the start of word ``wi`` of segment ``si``."""
        self.focus_segment = si
        self._seek(self.transcript.segments[si].words[wi].start_s)

    def seek_segment(self, si: int) -> None:
        """Move the playhead to the start of segment ``si``."""
        self.focus_segment = si
        self._seek(self.transcript.segments[si].start_s)

    def _seek(self, t_track: float) -> None:
        # The playback controller follows the shared playhead (it seeks the
        # player when a view moves it), so this is the one place to set.
        self.host.view_state.set_playhead(t_track + self.offset_s)

    # -- search -----------------------------------------------------------------------
    def _search_changed(self, query: str) -> None:
        self.hits = self.transcript.find(query) if (self.transcript and query.strip()) else []
        self._query_words = max(1, len(query.split()))
        self.hit_index = -1
        if not query.strip():
            self.hit_label.setText("")
        else:
            self.hit_label.setText(f"{len(self.hits)} found" if self.hits else "Not found")
        self._update_highlight()

    def next_hit(self) -> None:
        self._step_hit(+1)

    def previous_hit(self) -> None:
        self._step_hit(-1)

    def _step_hit(self, step: int) -> None:
        if not self.hits:
            return
        if self.hit_index < 0:
            self.hit_index = 0 if step > 0 else len(self.hits) - 1
        else:
            self.hit_index = (self.hit_index + step) % len(self.hits)
        self.hit_label.setText(f"{self.hit_index + 1} of {len(self.hits)}")
        si, wi = self.hits[self.hit_index]
        seg = self.transcript.segments[si]
        self.focus_segment = si
        self._seek(seg.words[wi].start_s if wi < len(seg.words) else seg.start_s)
        self._update_highlight()
        rng = self.text.hit_range((si, wi))
        if rng is not None:
            self.text.scroll_to(rng)

    # -- loop ----------------------------------------------------------------------------
    def loop_segment(self, si: int | None) -> None:
        """Select segment ``si`` on the time line, loop the selection and play it."""
        if si is None or not self.transcript:
            return
        seg = self.transcript.segments[si]
        vs = self.host.view_state
        vs.set_selection(seg.start_s + self.offset_s, seg.end_s + self.offset_s)
        self.focus_segment = si
        self._seek(seg.start_s)
        playback = getattr(self.host, "playback", None)
        if playback is None or not playback.available:
            self.note.setText("Segment selected; there is no audio output to loop it on.")
            return
        playback.set_loop_enabled(True)
        playback.play(seg.start_s + self.offset_s)

    # -- editing ------------------------------------------------------------------------
    def edit_segment_dialog(self, si: int | None) -> None:
        """Ask for new text of segment ``si`` and apply it (undoable)."""
        if si is None or not self.transcript:
            return
        seg = self.transcript.segments[si]
        text, ok = QInputDialog.getMultiLineText(
            self, "Edit transcript",
            f"Text of the segment at {format_time(seg.start_s + self.offset_s)} "
            "(its timing is kept):", seg.text)
        if ok:
            self.edit_segment(si, text)

    def edit_segment(self, si: int, text: str) -> bool:
        """Replace the text of segment ``si`` as one undo step; False when nothing changed."""
        layer, t, track = self.layer(), self.transcript, self._track()
        if layer is None or t is None or track is None or not text.strip():
            return False
        seg = t.segments[si]
        if text.strip() == seg.text:
            return False
        segments = list(t.segments)
        segments[si] = seg.with_text(text)
        edited = Transcript(segments, t.language, t.duration_s, t.model, t.task)
        data = {**layer.data, **edited.to_dict()}
        new = Layer(layer.kind, layer.name, data, dict(layer.arrays))
        pos = self._layer_pos
        self.host.undo_stack.push(ReplaceLayerCommand(
            self.host.model, track.id, layer, new,
            f"Edit transcript at {format_time(seg.start_s + self.offset_s)}"))
        self.show_track(track.id, pos)
        self.focus_segment = si
        return True

    # -- export ------------------------------------------------------------------------------
    def export_dialog(self, fmt: str) -> Path | None:
        """Ask where to save the transcript as ``fmt`` and write it."""
        if not self.transcript:
            return None
        track = self._track()
        settings = getattr(self.host, "settings", None)
        folder = Path(getattr(settings, "last_folder", "") or Path.home())
        name = (track.name if track is not None else "transcript") + f".{fmt}"
        what = dict(EXPORT_FORMATS)[fmt]
        path, _ = QFileDialog.getSaveFileName(self, f"Export transcript as {fmt.upper()}",
                                              str(folder / name), f"{what} (*.{fmt})")
        if not path:
            return None
        if not path.lower().endswith(f".{fmt}"):
            path += f".{fmt}"
        return self.export(path, fmt)

    def export(self, path: str | Path, fmt: str | None = None) -> Path | None:
        """Write the shown transcript (times from the start of the track's audio)."""
        from core.errors import ResonoteError
        from core.speech.export import write

        try:
            out = write(self.transcript, path, fmt=fmt)
        except ResonoteError as exc:
            self.host.show_error("Export transcript", str(exc))
            return None
        settings = getattr(self.host, "settings", None)
        if settings is not None:
            settings.last_folder = str(out.parent)
        self.host.statusBar().showMessage(f"Exported {out}", 6000)
        return out
