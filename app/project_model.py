"""Qt-side wrapper of a :class:`core.project.Project` that tells views what changed.

Every change to the project goes through this model (undo commands call it),
so the views, the playback mix and autosave all hear about it.  It also keeps
each track's min/max pyramid (the waveform overview), computed off the UI
thread by whoever adds the track.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from core.project import Project, Track

#: Track attributes that :meth:`ProjectModel.set_track_attr` may change.
EDITABLE = ("name", "colour", "mute", "solo", "gain_db", "offset_s")


class ProjectModel(QObject):
    """Observable project.

    Signals
    -------
    projectReset()
        A different project was loaded (or a new one started): rebuild everything.
    trackInserted(id: str, index: int), trackRemoved(id: str), trackMoved(id: str, index: int)
    trackChanged(id: str, field: str)
        One of :data:`EDITABLE` changed.
    pyramidReady(id: str)
        The waveform overview of a track is available.
    changed()
        Anything above; ``revision`` was incremented.
    """

    projectReset = Signal()
    trackInserted = Signal(str, int)
    trackRemoved = Signal(str)
    trackMoved = Signal(str, int)
    trackChanged = Signal(str, str)
    pyramidReady = Signal(str)
    layersChanged = Signal(str)
    changed = Signal()

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project if project is not None else Project()
        self._pyramids: dict[str, Any] = {}
        self.revision = 0

    # -- whole project -----------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self._project

    def set_project(self, project: Project, pyramids: dict[str, Any] | None = None) -> None:
        self._project = project
        self._pyramids = dict(pyramids or {})
        self._bump()
        self.projectReset.emit()

    @property
    def tracks(self) -> list[Track]:
        return list(self._project.tracks)

    def track(self, track_id: str) -> Track:
        return self._project.track(track_id)

    def index_of(self, track_id: str) -> int:
        return next(i for i, t in enumerate(self._project.tracks) if t.id == track_id)

    @property
    def duration_s(self) -> float:
        return float(self._project.duration_s) if self._project.tracks else 0.0

    # -- tracks --------------------------------------------------------------------------
    def insert_track(self, track: Track, index: int | None = None, pyramid: Any = None) -> None:
        self._project.add_track(track, index=index)
        if pyramid is not None:
            self._pyramids[track.id] = pyramid
        self._bump()
        self.trackInserted.emit(track.id, self.index_of(track.id))

    def take_track(self, track_id: str) -> tuple[Track, int, Any]:
        """Remove a track; returns it, its index and its pyramid (for undo)."""
        index = self.index_of(track_id)
        track = self._project.remove_track(track_id)
        pyramid = self._pyramids.pop(track_id, None)
        self._bump()
        self.trackRemoved.emit(track_id)
        return track, index, pyramid

    def move_track(self, track_id: str, index: int) -> None:
        index = max(0, min(len(self._project.tracks) - 1, int(index)))
        if self.index_of(track_id) == index:
            return
        self._project.move_track(track_id, index)
        self._bump()
        self.trackMoved.emit(track_id, self.index_of(track_id))

    def set_track_attr(self, track_id: str, field: str, value: Any) -> None:
        if field not in EDITABLE:
            raise ValueError(f"track attribute {field!r} is not editable")
        track = self.track(track_id)
        if getattr(track, field) == value:
            return
        setattr(track, field, value)
        self._bump()
        self.trackChanged.emit(track_id, field)

    def add_layer(self, track_id: str, layer: Any, index: int | None = None) -> None:
        layers = self.track(track_id).layers
        layers.insert(len(layers) if index is None else index, layer)
        self._bump()
        self.layersChanged.emit(track_id)

    def remove_layer(self, track_id: str, layer: Any) -> int:
        layers = self.track(track_id).layers
        index = next(i for i, lr in enumerate(layers) if lr is layer)
        del layers[index]
        self._bump()
        self.layersChanged.emit(track_id)
        return index

    # -- waveform overviews ----------------------------------------------------------------
    def pyramid(self, track_id: str) -> Any:
        return self._pyramids.get(track_id)

    def set_pyramid(self, track_id: str, pyramid: Any) -> None:
        if not any(t.id == track_id for t in self._project.tracks):
            return  # the track went away while its overview was computed
        self._pyramids[track_id] = pyramid
        self.pyramidReady.emit(track_id)

    def _bump(self) -> None:
        self.revision += 1
        self.changed.emit()
