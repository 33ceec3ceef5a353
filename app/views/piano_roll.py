"""The piano roll: the current notes layer as editable rectangles on the shared time axis.

A keyboard with note names runs down the left; time follows the shared
:class:`~app.viewstate.ViewState` (range, selection, playhead), so the roll
lines up with the track lanes and the spectrogram.

Editing (each edit is emitted as :attr:`PianoRoll.editRequested` with the whole
new note list; the owner turns it into one undo step):

* click a note to select it (Shift/Ctrl+click adds), drag on empty space to
  select a box; Ctrl+A selects all, Escape clears;
* drag a note to move it in time and pitch; drag its right edge to resize;
* double-click empty space to add a note; Delete/Backspace deletes;
* Up/Down transpose by a semitone (Shift: an octave), Left/Right nudge by 10 ms;
* wheel scrolls pitch, Alt+wheel zooms pitch, Ctrl+wheel zooms time, Shift+wheel
  scrolls time.
"""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.theme import colours
from app.views.piano_roll_paint import (
    _BLACK,
    HEADER_H,
    HIGHEST,
    KEYBOARD_W,
    LOWEST,
    RIGHT_MARGIN,
    paint_keyboard,
    paint_notes,
    paint_time_grid,
)
from app.viewstate import ViewState
from core.notes.types import Note

_EDGE_PX = 6
_MIN_NOTE_S = 0.02


def _key(n: Note) -> tuple:
    return (round(n.start_s, 5), round(n.end_s, 5), int(n.pitch))


class PianoRoll(QWidget):
    """Editable piano roll of one list of notes in project time.

    Signals
    -------
    editRequested(list, str)
        The user edited the notes: the full new list (project time) and an undo text.
    selectionChanged()
        The set of selected notes changed.
    """

    editRequested = Signal(list, str)
    selectionChanged = Signal()

    def __init__(self, view_state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pianoRoll")
        self.vs = view_state
        self._notes: list[Note] = []
        self._selected: set[int] = set()
        self._pending: set[tuple] = set()
        self._editable = True
        self._lo, self._hi = 48, 84  # visible pitches, inclusive
        #: Left margin (keyboard, px) and right margin; the window's TimeAxisAligner widens
        #: them so the roll's time axis lines up with the track lanes above.
        self.keyboard_w, self.right_margin = KEYBOARD_W, RIGHT_MARGIN
        self._drag: dict | None = None
        self._preview: list[Note] | None = None
        self._hover_pitch: int | None = None
        self._add_len_s = 0.25
        self._auto_fit = False
        self.empty_text = "No notes yet: use Tools → Transcribe → Music → notes."
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        for sig in (view_state.rangeChanged, view_state.playheadChanged,
                    view_state.selectionChanged):
            sig.connect(self.update)

    # -- data ------------------------------------------------------------------------
    def set_notes(self, notes: list[Note], *, editable: bool = True, fit: bool = False) -> None:
        """Show ``notes`` (project time).  Selected notes that still exist stay selected."""
        keep = {_key(self._notes[i]) for i in self._selected if i < len(self._notes)}
        keep |= self._pending
        self._notes = sorted(notes, key=lambda n: (n.start_s, n.pitch, n.end_s))
        self._editable = editable
        self._drag = self._preview = None
        sel = {i for i, n in enumerate(self._notes) if _key(n) in keep}
        if notes:
            self._pending = set()
        changed = sel != self._selected
        self._selected = sel
        if fit:
            self.fit_pitches()
        self.update()
        if changed:
            self.selectionChanged.emit()

    def notes(self) -> list[Note]:
        return list(self._notes)

    def selected_indices(self) -> list[int]:
        return sorted(self._selected)

    def selected_notes(self) -> list[Note]:
        return [self._notes[i] for i in sorted(self._selected)]

    def select(self, indices) -> None:
        sel = {i for i in indices if 0 <= i < len(self._notes)}
        if sel != self._selected:
            self._selected = sel
            self.selectionChanged.emit()
            self.update()

    def pitch_range(self) -> tuple[int, int]:
        return self._lo, self._hi

    def set_pitch_range(self, lo: int, hi: int) -> None:
        self._auto_fit = False
        lo, hi = int(lo), int(hi)
        span = max(12, hi - lo)
        lo = max(LOWEST, min(lo, HIGHEST - span))
        self._lo, self._hi = lo, min(HIGHEST, lo + span)
        self.update()

    def fit_pitches(self) -> None:
        """Show the notes' pitches (two octaves at least, fewer rows when the pane is short)."""
        if not self._notes:
            return
        p = sorted(n.pitch for n in self._notes)
        lo, hi = p[0] - 3, p[-1] + 3
        most = max(12, int((self.height() - HEADER_H) / 9))  # keep rows >= ~9 px
        span = min(max(24, hi - lo), most)
        mid = (lo + hi) // 2 if hi - lo <= most else p[len(p) // 2]
        self.set_pitch_range(mid - span // 2, mid - span // 2 + span)
        self._auto_fit = True

    def set_time_margins(self, left: int, right: int) -> None:
        """Put the time axis ``left`` px from the left edge and ``right`` px from the right
        (the keyboard keeps its width at the right of the left margin)."""
        left, right = max(KEYBOARD_W, int(left)), max(0, int(right))
        if (left, right) != (self.keyboard_w, self.right_margin):
            self.keyboard_w, self.right_margin = left, right
            self.update()

    def time_margins(self) -> tuple[int, int]:
        return self.keyboard_w, self.right_margin

    def time_bounds(self) -> tuple[int, int]:
        """Where the time axis would start/end with no margins (this widget's pixels)."""
        return 0, self.width()

    def resizeEvent(self, e) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(e)
        if getattr(self, "_auto_fit", False):
            self.fit_pitches()

    # -- geometry --------------------------------------------------------------------
    def _roll_rect(self) -> QRectF:
        return QRectF(self.keyboard_w, HEADER_H,
                      max(1, self.width() - self.keyboard_w - self.right_margin),
                      max(1, self.height() - HEADER_H))

    def row_height(self) -> float:
        return self._roll_rect().height() / (self._hi - self._lo + 1)

    def x_of(self, t: float) -> float:
        t0, t1 = self.vs.range
        r = self._roll_rect()
        return r.left() + (t - t0) / max(t1 - t0, 1e-12) * r.width()

    def t_of(self, x: float) -> float:
        t0, t1 = self.vs.range
        r = self._roll_rect()
        return t0 + (x - r.left()) / r.width() * (t1 - t0)

    def y_of(self, pitch: float) -> float:
        """Top of ``pitch``'s row (pixels)."""
        r = self._roll_rect()
        return r.top() + (self._hi - pitch) * self.row_height()

    def pitch_at(self, y: float) -> int:
        r = self._roll_rect()
        return int(self._hi - math.floor((y - r.top()) / self.row_height()))

    def note_rect(self, n: Note) -> QRectF:
        x0, x1 = self.x_of(n.start_s), self.x_of(n.end_s)
        return QRectF(x0, self.y_of(n.pitch), max(2.0, x1 - x0), self.row_height())

    def note_rects(self) -> list[QRectF]:
        """Rectangles (widget pixels) of the notes drawn now (inside the visible roll)."""
        r = self._roll_rect()
        return [rect for rect in (self.note_rect(n) for n in self._shown())
                if rect.intersects(r)]

    def note_at(self, pos: QPointF) -> int | None:
        for i in reversed(range(len(self._notes))):
            if self.note_rect(self._notes[i]).adjusted(0, 0, 2, 0).contains(pos):
                return i
        return None

    def _shown(self) -> list[Note]:
        return self._preview if self._preview is not None else self._notes

    # -- painting --------------------------------------------------------------------
    def paintEvent(self, _e) -> None:  # noqa: N802 (Qt API)
        c = colours()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        r = self._roll_rect()
        bg, lane = QColor(c.background), QColor(c.lane)
        p.fillRect(self.rect(), bg)
        rh = self.row_height()
        grid = QColor(c.grid)
        for pitch in range(self._lo, self._hi + 1):
            y = self.y_of(pitch)
            row = QRectF(r.left(), y, r.width(), rh)
            p.fillRect(row, bg.darker(118) if pitch % 12 in _BLACK else lane)
            if pitch % 12 == 0:
                p.setPen(QPen(grid.lighter(130), 1))
                p.drawLine(QPointF(r.left(), y + rh), QPointF(r.right(), y + rh))
        paint_time_grid(self, p, r, c)
        t0, t1, _, _ = self.vs.selection
        if t1 > t0:
            sel = QColor(c.selection)
            sel.setAlpha(40)
            p.fillRect(QRectF(QPointF(self.x_of(t0), r.top()), QPointF(self.x_of(t1), r.bottom()))
                       .intersected(r), sel)
        paint_notes(self, p, r, c)
        if self._drag and self._drag.get("mode") == "box" and self._drag.get("box") is not None:
            box = self._drag["box"]
            fill = QColor(c.selection)
            fill.setAlpha(50)
            p.fillRect(box, fill)
            p.setPen(QPen(QColor(c.selection), 1, Qt.PenStyle.DashLine))
            p.drawRect(box)
        x = self.x_of(self.vs.playhead)
        if r.left() <= x <= r.right():
            p.setPen(QPen(QColor(c.playhead), 1.5))
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        paint_keyboard(self, p, r, c)
        if not self._notes:
            p.setPen(QColor(c.text_dim))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.empty_text)
        p.end()

    # -- editing helpers -----------------------------------------------------------------
    def _emit(self, notes: list[Note], text: str, select: list[Note]) -> None:
        self._pending = {_key(n) for n in select}
        self.editRequested.emit(notes, text)

    def delete_selected(self) -> None:
        if not self._selected or not self._editable:
            return
        n = len(self._selected)
        keep = [x for i, x in enumerate(self._notes) if i not in self._selected]
        self._emit(keep, f"Delete {n} note{'s' if n != 1 else ''}", [])

    def transpose_selected(self, semitones: int) -> None:
        self._edit_selected(lambda n: replace(n, pitch=n.pitch + semitones), "Transpose notes")

    def nudge_selected(self, dt: float) -> None:
        self._edit_selected(lambda n: replace(n, start_s=max(0.0, n.start_s + dt),
                                              end_s=max(0.0, n.start_s + dt) + n.duration_s),
                            "Move notes")

    def _edit_selected(self, fn, text: str) -> None:
        if not self._selected or not self._editable:
            return
        moved = [fn(n) for n in self.selected_notes()]
        if any(not LOWEST <= n.pitch <= HIGHEST for n in moved):
            return
        rest = [x for i, x in enumerate(self._notes) if i not in self._selected]
        self._emit(rest + moved, text, moved)

    def add_note(self, start_s: float, pitch: int, length_s: float | None = None) -> None:
        if not self._editable or not LOWEST <= pitch <= HIGHEST:
            return
        note = Note(max(0.0, start_s), max(0.0, start_s) + (length_s or self._add_len_s),
                    int(pitch), 0.8)
        self._emit(self._notes + [note], f"Add note {note.name}", [note])

    def _dragged(self, pos: QPointF) -> tuple[list[Note], set[int]]:
        d = self._drag
        dt = self.t_of(pos.x()) - self.t_of(d["press"].x())
        orig: list[Note] = d["orig"]
        idx: set[int] = d["indices"]
        out, moved = [], set()
        if d["mode"] == "move":
            dp = self.pitch_at(pos.y()) - self.pitch_at(d["press"].y())
            dt = max(dt, -min(orig[i].start_s for i in idx))
            dp = max(LOWEST - min(orig[i].pitch for i in idx),
                     min(dp, HIGHEST - max(orig[i].pitch for i in idx)))
            for i, n in enumerate(orig):
                if i in idx:
                    n = replace(n, start_s=n.start_s + dt, end_s=n.end_s + dt, pitch=n.pitch + dp,
                                pitch_bends=n.pitch_bends)
                    moved.add(i)
                out.append(n)
        else:  # resize the right edge
            for i, n in enumerate(orig):
                if i in idx:
                    end = max(n.start_s + _MIN_NOTE_S, n.end_s + dt)
                    n = replace(n, end_s=end, pitch_bends=None if end != n.end_s else n.pitch_bends)
                    moved.add(i)
                out.append(n)
        return out, moved

    # -- mouse -----------------------------------------------------------------------------
    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        pos = e.position()
        if e.button() != Qt.MouseButton.LeftButton or pos.x() < self.keyboard_w or pos.y() < HEADER_H:
            if pos.y() < HEADER_H and pos.x() >= self.keyboard_w:
                self.vs.set_playhead(max(0.0, self.t_of(pos.x())))
            return super().mousePressEvent(e)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        hit = self.note_at(pos)
        additive = bool(e.modifiers() & (Qt.KeyboardModifier.ShiftModifier
                                         | Qt.KeyboardModifier.ControlModifier))
        if hit is None:
            if not additive:
                self.select([])
            self._drag = {"mode": "box", "press": pos, "box": None, "additive": additive}
            return
        if additive:
            self.select(self._selected ^ {hit})
            return
        if hit not in self._selected:
            self.select([hit])
        rect = self.note_rect(self._notes[hit])
        mode = "resize" if rect.right() - pos.x() <= _EDGE_PX and rect.width() > 3 * _EDGE_PX \
            else "move"
        if self._editable:
            self._drag = {"mode": mode, "press": pos, "orig": list(self._notes),
                          "indices": set(self._selected) if mode == "move" else {hit},
                          "moved": set()}

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        pos = e.position()
        if pos.x() >= self.keyboard_w:
            pitch = self.pitch_at(pos.y())
            hz = 440.0 * 2 ** ((pitch - 69) / 12)
            self.vs.set_cursor(self.t_of(pos.x()), hz)
            if pitch != self._hover_pitch:
                self._hover_pitch = pitch
                self.update(QRectF(0, 0, self.keyboard_w, self.height()).toRect())
        d = self._drag
        if d is None:
            self._update_cursor(pos)
            return
        if d["mode"] == "box":
            d["box"] = QRectF(d["press"], pos).normalized()
        elif (pos - d["press"]).manhattanLength() >= 3 or self._preview is not None:
            self._preview, d["moved"] = self._dragged(pos)
        self.update()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        d, self._drag = self._drag, None
        preview, self._preview = self._preview, None
        if d is None:
            return
        if d["mode"] == "box":
            box = d.get("box")
            if box is None or box.width() < 3 and box.height() < 3:
                self.vs.set_playhead(max(0.0, self.t_of(e.position().x())))
            else:
                hits = {i for i, n in enumerate(self._notes) if self.note_rect(n).intersects(box)}
                self.select(self._selected | hits if d["additive"] else hits)
            self.update()
            return
        if preview is None:
            self.update()
            return
        moved = [preview[i] for i in d["moved"]]
        if [_key(n) for n in preview] != [_key(n) for n in d["orig"]]:
            if d["mode"] == "resize" and moved:
                self._add_len_s = moved[0].duration_s
            n = len(moved)
            text = (f"Move {n} note{'s' if n != 1 else ''}" if d["mode"] == "move"
                    else f"Resize note {moved[0].name}")
            self._emit(preview, text, moved)
        self.update()

    def mouseDoubleClickEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        pos = e.position()
        if e.button() != Qt.MouseButton.LeftButton or pos.x() < self.keyboard_w or pos.y() < HEADER_H:
            return
        if self.note_at(pos) is None:
            self._drag = None
            self.add_note(self.t_of(pos.x()), self.pitch_at(pos.y()))

    def leaveEvent(self, _e) -> None:  # noqa: N802 (Qt API)
        self._hover_pitch = None
        self.vs.set_cursor(math.nan)
        self.update()

    def _update_cursor(self, pos: QPointF) -> None:
        hit = self.note_at(pos) if pos.x() >= self.keyboard_w else None
        if hit is None:
            self.setCursor(Qt.CursorShape.ArrowCursor)
            return
        rect = self.note_rect(self._notes[hit])
        edge = rect.right() - pos.x() <= _EDGE_PX and rect.width() > 3 * _EDGE_PX
        self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.OpenHandCursor)

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802 (Qt API)
        delta = e.angleDelta().y() or e.angleDelta().x()
        if not delta:
            return
        mods = e.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier:
            self.vs.zoom(1.25 if delta > 0 else 0.8, self.t_of(e.position().x()))
        elif mods & Qt.KeyboardModifier.ShiftModifier:
            t0, t1 = self.vs.range
            self.vs.pan(-(t1 - t0) * 0.1 * (1 if delta > 0 else -1))
        elif mods & Qt.KeyboardModifier.AltModifier:  # zoom pitch around the mouse
            anchor = self.pitch_at(e.position().y())
            span = self._hi - self._lo
            new = max(12, min(HIGHEST - LOWEST, int(span * (0.8 if delta > 0 else 1.25))))
            lo = anchor - round((anchor - self._lo) * new / max(span, 1))
            self._auto_fit = False
            self.set_pitch_range(lo, lo + new)
        else:
            step = 2 if delta > 0 else -2
            self._auto_fit = False
            self.set_pitch_range(self._lo + step, self._hi + step)
        e.accept()

    # -- keyboard ------------------------------------------------------------------------
    _KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Up, Qt.Key.Key_Down,
             Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Escape)

    def event(self, e: QEvent) -> bool:
        # Keep the keys that are also window shortcuts (Up/Down select tracks,
        # Left/Right scroll, Ctrl+A selects all time) while notes are selected.
        if e.type() == QEvent.Type.ShortcutOverride:
            ke: QKeyEvent = e  # type: ignore[assignment]
            ctrl_a = (ke.key() == Qt.Key.Key_A
                      and ke.modifiers() & Qt.KeyboardModifier.ControlModifier and self._notes)
            if ctrl_a or (self._selected and ke.key() in self._KEYS):
                e.accept()
                return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        key, mods = e.key(), e.modifiers()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
        elif key == Qt.Key.Key_A and mods & Qt.KeyboardModifier.ControlModifier:
            self.select(range(len(self._notes)))
        elif key == Qt.Key.Key_Escape:
            self.select([])
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self._selected:
            step = 12 if mods & Qt.KeyboardModifier.ShiftModifier else 1
            self.transpose_selected(step if key == Qt.Key.Key_Up else -step)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self._selected:
            step = 0.1 if mods & Qt.KeyboardModifier.ShiftModifier else 0.01
            self.nudge_selected(step if key == Qt.Key.Key_Right else -step)
        else:
            super().keyPressEvent(e)


def make_dock(view_state: ViewState, parent: QWidget | None = None):
    """A dock ("pianoRollDock", so the layout is saved) holding a new :class:`PianoRoll`."""
    from PySide6.QtWidgets import QDockWidget

    dock = QDockWidget("Piano roll", parent)
    dock.setObjectName("pianoRollDock")
    roll = PianoRoll(view_state, dock)
    dock.setWidget(roll)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    return dock, roll
