"""A track's notes layer: reading it as a NoteTrack, and replacing it as one undo step.

A notes layer is a :class:`core.project.Layer` with ``kind="notes"``:

* ``data``: :meth:`core.notes.NoteTrack.to_dict` plus ``"start_s"`` (where the
  transcribed audio begins in the track, seconds: non-zero when a selection was
  transcribed) and optionally ``"analysis"`` (tempo, beats, key, chords);
* ``arrays``: :meth:`core.notes.Posteriors.to_arrays`, so the thresholds can be
  changed later without running the model.

Note times in ``data`` are relative to ``start_s``; views show them in project
time (``+ start_s + track.offset_s``).
"""

from __future__ import annotations

from typing import Any

from core.notes.types import Note, NoteTrack, Posteriors
from core.project import Layer

KIND = "notes"


def notes_layer(track: Any) -> Layer | None:
    """The newest notes layer of ``track`` (a core.project.Track), or None."""
    if track is None:
        return None
    for layer in reversed(track.layers):
        if layer.kind == KIND:
            return layer
    return None


def make_layer(note_track: NoteTrack, name: str, *, start_s: float = 0.0,
               analysis: dict | None = None) -> Layer:
    """A project layer holding ``note_track`` (and its posteriors, when it has them)."""
    data = {**note_track.to_dict(), "start_s": float(start_s)}
    if analysis:
        data["analysis"] = analysis
    arrays = note_track.posteriors.to_arrays() if note_track.posteriors is not None else {}
    return Layer(KIND, name, data, arrays)


class NotesLayerView:
    """Read-side helper over one notes layer (posteriors decoded once per layer arrays)."""

    _cache: dict[int, tuple[Any, Posteriors]] = {}

    def __init__(self, track: Any, layer: Layer) -> None:
        self.track, self.layer = track, layer

    @property
    def start_s(self) -> float:
        return float(self.layer.data.get("start_s", 0.0))

    @property
    def base_s(self) -> float:
        """Project time of the layer's 0 s."""
        return self.start_s + float(self.track.offset_s)

    @property
    def analysis(self) -> dict:
        return dict(self.layer.data.get("analysis") or {})

    def posteriors(self) -> Posteriors | None:
        arrays = self.layer.arrays
        if not arrays or "note" not in arrays:
            return None
        hit = self._cache.get(id(arrays))
        if hit is not None and hit[0] is arrays:
            return hit[1]
        post = Posteriors.from_arrays(arrays)
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[id(arrays)] = (arrays, post)
        return post

    def note_track(self) -> NoteTrack:
        """The layer as a NoteTrack (layer-relative times, posteriors attached)."""
        return NoteTrack.from_dict(self.layer.data, posteriors=self.posteriors())

    def absolute_notes(self) -> list[Note]:
        """The notes in project time, sorted."""
        return shift_notes(self.note_track().notes, self.base_s)

    def with_notes(self, notes: list[Note], **params: Any) -> Layer:
        """A new layer like this one holding ``notes`` (layer-relative) and changed ``params``."""
        nt = self.note_track()
        if params:
            from dataclasses import replace

            nt = replace(nt, params=replace(nt.params, **params))
        data = {**self.layer.data, **nt.with_notes(notes).to_dict()}
        return Layer(self.layer.kind, self.layer.name, data, self.layer.arrays)


def shift_notes(notes: list[Note], dt: float) -> list[Note]:
    """``notes`` moved by ``dt`` seconds (pitch bends and loudness kept)."""
    from dataclasses import replace

    if dt == 0.0:
        return list(notes)
    return [replace(n, start_s=n.start_s + dt, end_s=n.end_s + dt) for n in notes]
