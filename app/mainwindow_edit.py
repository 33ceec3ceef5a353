"""Undoable track edits, and how tool results (new tracks, layers) enter the project."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog

from app.jobs.runner import Job
from app.undo import (
    AddLayerCommand,
    AddTrackCommand,
    MoveTrackCommand,
    RemoveTrackCommand,
    SetTrackAttrCommand,
)
from core.audio import Audio
from core.project import Track


def build_pyramid(samples, *, progress=None, cancel=None):
    """Waveform overview of ``samples`` (channels, frames), for a worker thread."""
    from core.analysis.pyramid import MinMaxPyramid

    return MinMaxPyramid.from_samples(samples)


class EditMixin:
    """Track edits for :class:`app.mainwindow.MainWindow`; each is one undo step."""

    # -- undo stack --------------------------------------------------------------------------
    def undo(self) -> None:
        self.undo_stack.undo()

    def redo(self) -> None:
        self.undo_stack.redo()

    # -- jobs ---------------------------------------------------------------------------------
    def submit_job(self, name: str, fn: Callable[..., Any], *args: Any,
                   on_result: Callable[[Any], None] | None = None,
                   on_error: Callable[[str], None] | None = None, **kwargs: Any) -> Job:
        """Run ``fn(*args, progress=, cancel=, **kwargs)`` on the job runner.

        Errors go to the jobs panel and the status bar (``on_error`` replaces
        the status-bar message).  Tool panels use this for all their work.
        """
        if on_error is None:
            on_error = lambda message, n=name: self.show_error(n, message)  # noqa: E731
        return self.runner.submit(name, fn, *args, on_result=on_result, on_error=on_error,
                                  options=dict(kwargs), **kwargs)

    # -- adding tracks -----------------------------------------------------------------------
    def add_track(self, track: Track, *, index: int | None = None, pyramid: Any = None,
                  text: str | None = None) -> Track:
        """Add ``track`` as one undo step; its waveform overview is computed in the background
        when ``pyramid`` is not given."""
        self.undo_stack.push(AddTrackCommand(self.model, track, index, pyramid, text))
        if pyramid is None and self.model.pyramid(track.id) is None:
            self.runner.submit(f"Waveform of {track.name}", build_pyramid, track.audio.samples,
                               on_result=lambda pyr, tid=track.id: self.model.set_pyramid(tid, pyr),
                               quiet=True)
        self.set_current_track(track.id)
        return track

    def add_track_from_job(self, audio: Audio, name: str, *, kind: str = "restored",
                           source_id: str | None = None, offset_s: float = 0.0,
                           pyramid: Any = None) -> Track:
        """Add a tool's result as a new track (undoable).  Call on the UI thread, e.g.
        from a job's ``on_result``.  ``kind`` is one of :data:`core.project.TRACK_KINDS`."""
        if source_id is not None and offset_s == 0.0:
            try:
                offset_s = self.model.track(source_id).offset_s
            except KeyError:
                source_id = None
        track = Track(name=name, audio=audio, kind=kind, source_id=source_id, offset_s=offset_s)
        index = None
        if source_id is not None:
            derived = self.model.project.derived_from(source_id)
            anchor = derived[-1].id if derived else source_id
            index = self.model.index_of(anchor) + 1
        return self.add_track(track, index=index, pyramid=pyramid)

    def add_layer_from_job(self, track_id: str, layer: Any) -> None:
        """Attach an analysis layer (transcript, notes) to a track."""
        self.undo_stack.push(AddLayerCommand(self.model, track_id, layer))

    # -- edits -------------------------------------------------------------------------------
    def rename_track(self, track_id: str, name: str) -> None:
        name = name.strip()
        if name and name != self.model.track(track_id).name:
            self.undo_stack.push(SetTrackAttrCommand(self.model, track_id, "name", name))

    def set_track_mute(self, track_id: str, on: bool) -> None:
        self._set_attr(track_id, "mute", bool(on))

    def set_track_solo(self, track_id: str, on: bool) -> None:
        self._set_attr(track_id, "solo", bool(on))

    def set_track_gain(self, track_id: str, gain_db: float) -> None:
        self._set_attr(track_id, "gain_db", round(float(gain_db), 2))

    def set_track_colour(self, track_id: str, colour: str) -> None:
        self._set_attr(track_id, "colour", QColor(colour).name())

    def _set_attr(self, track_id: str, field: str, value: Any) -> None:
        if getattr(self.model.track(track_id), field) != value:
            self.undo_stack.push(SetTrackAttrCommand(self.model, track_id, field, value))

    def move_track(self, track_id: str, index: int) -> None:
        if self.model.index_of(track_id) != max(0, min(len(self.model.tracks) - 1, index)):
            self.undo_stack.push(MoveTrackCommand(self.model, track_id, index))

    def move_track_by(self, track_id: str, delta: int) -> None:
        self.move_track(track_id, self.model.index_of(track_id) + delta)

    def remove_track(self, track_id: str) -> None:
        self.undo_stack.push(RemoveTrackCommand(self.model, track_id))

    def duplicate_track(self, track_id: str) -> Track:
        src = self.model.track(track_id)
        copy_ = Track(name=f"{src.name} (copy)", audio=src.audio, kind=src.kind,
                      gain_db=src.gain_db, source_id=src.source_id, source_path=src.source_path,
                      offset_s=src.offset_s, layers=[copy.deepcopy(layer) for layer in src.layers])
        return self.add_track(copy_, index=self.model.index_of(track_id) + 1,
                              pyramid=self.model.pyramid(track_id),
                              text=f"Duplicate track “{src.name}”")

    # -- current-track actions -------------------------------------------------------------------
    def _current_id_or_none(self) -> str | None:
        track = self.current_track()
        return None if track is None else track.id

    def rename_current(self) -> None:
        tid = self._current_id_or_none()
        lane = self.tracks_area.lane(tid) if tid else None
        if lane is not None:
            lane.start_rename()

    def rename_current_dialog(self) -> None:
        track = self.current_track()
        if track is None:
            return
        name, ok = QInputDialog.getText(self, "Rename track", "Name:", text=track.name)
        if ok:
            self.rename_track(track.id, name)

    def toggle_mute(self) -> None:
        track = self.current_track()
        if track is not None:
            self.set_track_mute(track.id, not track.mute)

    def toggle_solo(self) -> None:
        track = self.current_track()
        if track is not None:
            self.set_track_solo(track.id, not track.solo)

    def choose_colour(self, track_id: str | None = None) -> None:
        track_id = track_id or self._current_id_or_none()
        if track_id is None:
            return
        colour = QColorDialog.getColor(QColor(self.model.track(track_id).colour), self,
                                       "Track colour")
        if colour.isValid():
            self.set_track_colour(track_id, colour.name())

    def move_current_up(self) -> None:
        tid = self._current_id_or_none()
        if tid:
            self.move_track_by(tid, -1)

    def move_current_down(self) -> None:
        tid = self._current_id_or_none()
        if tid:
            self.move_track_by(tid, 1)

    def duplicate_current(self) -> None:
        tid = self._current_id_or_none()
        if tid:
            self.duplicate_track(tid)

    def remove_current(self) -> None:
        tid = self._current_id_or_none()
        if tid:
            self.remove_track(tid)

    def _select_neighbour(self, delta: int) -> None:
        tracks = self.model.tracks
        if not tracks:
            return
        tid = self._current_id_or_none()
        i = self.model.index_of(tid) + delta if tid else 0
        self.set_current_track(tracks[max(0, min(len(tracks) - 1, i))].id)

    def select_previous_track(self) -> None:
        self._select_neighbour(-1)

    def select_next_track(self) -> None:
        self._select_neighbour(1)
