"""Undoable edits.  Every change a user makes to the project is one of these commands."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from app.project_model import ProjectModel
from core.project import Track

_FIELD_NAMES = {
    "name": "Rename", "colour": "Change colour of", "mute": "Mute", "solo": "Solo",
    "gain_db": "Change gain of", "offset_s": "Move",
}
_MERGE_ID = 0x7E5


class AddTrackCommand(QUndoCommand):
    """Add a track (from a file, a tool's result, a duplicate...)."""

    def __init__(self, model: ProjectModel, track: Track, index: int | None = None,
                 pyramid: Any = None, text: str | None = None) -> None:
        super().__init__(text or f"Add track “{track.name}”")
        self._model, self._track, self._index, self._pyramid = model, track, index, pyramid

    def redo(self) -> None:
        self._model.insert_track(self._track, self._index, self._pyramid
                                 or self._model.pyramid(self._track.id))

    def undo(self) -> None:
        self._track, self._index, pyr = self._model.take_track(self._track.id)
        self._pyramid = pyr or self._pyramid


class RemoveTrackCommand(QUndoCommand):
    def __init__(self, model: ProjectModel, track_id: str) -> None:
        super().__init__(f"Remove track “{model.track(track_id).name}”")
        self._model, self._id = model, track_id
        self._track: Track | None = None
        self._index = 0
        self._pyramid: Any = None

    def redo(self) -> None:
        self._track, self._index, self._pyramid = self._model.take_track(self._id)

    def undo(self) -> None:
        assert self._track is not None
        self._model.insert_track(self._track, self._index, self._pyramid)


class MoveTrackCommand(QUndoCommand):
    def __init__(self, model: ProjectModel, track_id: str, index: int) -> None:
        super().__init__(f"Move track “{model.track(track_id).name}”")
        self._model, self._id = model, track_id
        self._old = model.index_of(track_id)
        self._new = max(0, min(len(model.tracks) - 1, index))

    def redo(self) -> None:
        self._model.move_track(self._id, self._new)

    def undo(self) -> None:
        self._model.move_track(self._id, self._old)


class SetTrackAttrCommand(QUndoCommand):
    """Change one attribute (name, colour, mute, solo, gain_db) of one track.

    Consecutive gain changes of the same track merge into one undo step, so
    dragging the gain slider is undone in one go.
    """

    def __init__(self, model: ProjectModel, track_id: str, field: str, value: Any) -> None:
        track = model.track(track_id)
        verb = _FIELD_NAMES.get(field, f"Change {field} of")
        if field in ("mute", "solo") and not value:
            verb = "Un" + verb.lower()
        super().__init__(f"{verb} “{track.name}”")
        self._model, self._id, self._field = model, track_id, field
        self._old, self._new = getattr(track, field), value

    def id(self) -> int:
        return _MERGE_ID if self._field == "gain_db" else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetTrackAttrCommand):
            return False
        if other._id != self._id or other._field != self._field:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._model.set_track_attr(self._id, self._field, self._new)

    def undo(self) -> None:
        self._model.set_track_attr(self._id, self._field, self._old)


class AddLayerCommand(QUndoCommand):
    """Attach an analysis layer (transcript, notes...) to a track."""

    def __init__(self, model: ProjectModel, track_id: str, layer: Any) -> None:
        super().__init__(f"Add {getattr(layer, 'name', 'layer')}")
        self._model, self._id, self._layer = model, track_id, layer
        self._index: int | None = None

    def redo(self) -> None:
        self._model.add_layer(self._id, self._layer, self._index)

    def undo(self) -> None:
        self._index = self._model.remove_layer(self._id, self._layer)


_REPLACE_MERGE_ID = 0x6E07  # consecutive merge=True replacements of one layer: one undo step


class ReplaceLayerCommand(QUndoCommand):
    """Swap one layer of a track for an edited copy at the same position (edited notes or
    transcript, new thresholds).

    Built on the model's remove/add primitives, so views, autosave and the project's
    modified state hear of it like any other layer change; views hear one
    ``layersChanged`` (from the add), never a moment without the layer.  With
    ``merge=True`` consecutive replacements of the same layer (dragging a threshold
    slider) become one undo step.
    """

    def __init__(self, model: ProjectModel, track_id: str, old: Any, new: Any, text: str,
                 *, merge: bool = False) -> None:
        super().__init__(text)
        self._model, self._track_id = model, track_id
        self._old, self._new, self._merge = old, new, merge

    @property
    def new_layer(self) -> Any:
        return self._new

    def id(self) -> int:
        return _REPLACE_MERGE_ID if self._merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        if not isinstance(other, ReplaceLayerCommand) or not other._merge:
            return False
        if other._track_id != self._track_id or other._old is not self._new:
            return False
        self._new = other._new
        return True

    def _swap(self, out: Any, into: Any) -> None:
        blocked = self._model.blockSignals(True)
        try:
            index = self._model.remove_layer(self._track_id, out)
        finally:
            self._model.blockSignals(blocked)
        self._model.add_layer(self._track_id, into, index)

    def redo(self) -> None:
        self._swap(self._old, self._new)

    def undo(self) -> None:
        self._swap(self._new, self._old)
