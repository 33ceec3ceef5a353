"""The project model: tracks of audio, each with analysis layers, on one time line.

Plain dataclasses, no Qt: the GUI wraps a :class:`Project` in its own observable
model and the CLI uses it directly.  Everything here is in memory; saving and
loading live in :mod:`core.project.storage`.
"""

from __future__ import annotations

import copy
import math
import re
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core.audio import Audio

#: What a track is, by where its audio came from.
TRACK_KINDS = ("original", "recording", "stem", "generated", "restored", "residual")

#: Track colours, in the order new tracks get them.  Saturated mid-lightness
#: hues chosen to stay apart from each other (also for the common forms of
#: colour blindness, as far as 10 colours allow) and readable on a dark
#: (#1e1e1e-ish) background.
PALETTE: tuple[str, ...] = (
    "#4fa3ff",  # blue
    "#ff9f40",  # orange
    "#5fd38d",  # green
    "#ff6b81",  # pink-red
    "#b48cff",  # violet
    "#ffd84f",  # yellow
    "#40d9d9",  # cyan
    "#d98c5f",  # brown / tan
    "#a3e04f",  # lime
    "#e07fd0",  # magenta
)

_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def new_id() -> str:
    """A short unique id for a track: 12 hex digits of a random UUID."""
    return uuid.uuid4().hex[:12]


@dataclass(eq=False)
class Layer:
    """One analysis result attached to a track (a transcript, notes, a pitch curve...).

    Attributes
    ----------
    kind : str
        What the layer is: ``"transcript"``, ``"notes"``, ``"pitch"``, ``"beats"``
        or any later tool's layer kind.  The tool that made it defines ``data``.
    name : str
        Shown to the user (``"Whisper transcript"``).
    data : dict
        JSON-serialisable payload.  After a save/load round trip, tuples come
        back as lists and dict keys as strings (JSON rules).
    arrays : dict[str, np.ndarray]
        Optional numeric payloads (a pitch curve, a piano-roll matrix), saved
        as ``.npy`` files; object arrays are not allowed (no pickles).
    """

    kind: str
    name: str
    data: dict = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(eq=False)
class Track:
    """One lane of audio in a project.

    Attributes
    ----------
    name : str
        Shown in the track header.
    audio : Audio
        The samples, float32 (channels, frames), at the track's own rate
        ``audio.sr`` (tracks of one project may have different rates).
    kind : str
        One of :data:`TRACK_KINDS`.
    id : str
        Unique within the project; stable across save/load.
    colour : str
        ``"#rrggbb"``; ``""`` lets :meth:`Project.add_track` pick from :data:`PALETTE`.
    mute, solo : bool
    gain_db : float
        Playback gain in dB (0 = unchanged).
    source_id : str or None
        Id of the track this one was derived from (a stem's mix, a restored
        track's original); lets the GUI offer A/B comparison.
    source_path : str or None
        The file on disk the audio was loaded from, if any (never modified).
    offset_s : float
        Where the track starts on the project time line, seconds.
    layers : list[Layer]
    """

    name: str
    audio: Audio
    kind: str = "original"
    id: str = field(default_factory=new_id)
    colour: str = ""
    mute: bool = False
    solo: bool = False
    gain_db: float = 0.0
    source_id: str | None = None
    source_path: str | None = None
    offset_s: float = 0.0
    layers: list[Layer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in TRACK_KINDS:
            raise ValueError(f"Track kind must be one of {TRACK_KINDS}; got {self.kind!r}.")
        if self.colour and not _COLOUR_RE.match(self.colour):
            raise ValueError(f"Track colour must be '#rrggbb' or ''; got {self.colour!r}.")
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("Track id must be a non-empty string.")
        if not math.isfinite(self.gain_db) or not math.isfinite(self.offset_s):
            raise ValueError("Track gain_db and offset_s must be finite numbers.")

    @property
    def end_s(self) -> float:
        """Where the track ends on the project time line: ``offset_s + audio.duration_s``."""
        return self.offset_s + self.audio.duration_s


@dataclass(eq=False)
class Project:
    """An ordered set of tracks plus view settings.

    Attributes
    ----------
    name : str
    tracks : list[Track]
        Top to bottom as shown.  Use :meth:`add_track` rather than appending,
        so new tracks get a colour and ids stay unique.
    view : dict
        JSON-serialisable view settings (zoom range, spectrogram settings...).
    path : Path or None
        The ``<name>.resonote`` folder it was last saved to or opened from.
    problems : list[str]
        Plain sentences about what could not be loaded (a missing audio file);
        empty for a healthy project.  Not saved.
    """

    name: str = "Untitled"
    tracks: list[Track] = field(default_factory=list)
    view: dict = field(default_factory=dict)
    path: Path | None = None
    problems: list[str] = field(default_factory=list)

    def add_track(self, track: Track, *, index: int | None = None) -> Track:
        """Insert ``track`` (at the end, or before position ``index``) and return it.

        A track with ``colour == ""`` gets the first :data:`PALETTE` colour no
        other track uses (cycling once all are taken).  A track whose id is
        already in the project raises ``ValueError``.
        """
        if any(t.id == track.id for t in self.tracks):
            raise ValueError(f"A track with id {track.id!r} is already in the project.")
        if not track.colour:
            track.colour = self._next_colour()
        if index is None:
            self.tracks.append(track)
        else:
            self.tracks.insert(max(0, min(len(self.tracks), index)), track)
        return track

    def _next_colour(self) -> str:
        used = {t.colour.lower() for t in self.tracks}
        for c in PALETTE:
            if c not in used:
                return c
        return PALETTE[len(self.tracks) % len(PALETTE)]

    def remove_track(self, track_id: str) -> Track:
        """Remove and return the track with this id (``KeyError`` if there is none).

        Tracks derived from it keep their ``source_id``; use :meth:`derived_from`
        first to decide what to do with them.
        """
        t = self.track(track_id)
        self.tracks.remove(t)
        return t

    def move_track(self, track_id: str, index: int) -> None:
        """Move a track so it ends up at position ``index`` (clipped to the list)."""
        t = self.track(track_id)
        self.tracks.remove(t)
        self.tracks.insert(max(0, min(len(self.tracks), index)), t)

    def track(self, track_id: str) -> Track:
        """The track with this id; ``KeyError`` if there is none."""
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"No track with id {track_id!r} in project {self.name!r}.")

    def index_of(self, track_id: str) -> int:
        """Position of the track with this id; ``KeyError`` if there is none."""
        for i, t in enumerate(self.tracks):
            if t.id == track_id:
                return i
        raise KeyError(f"No track with id {track_id!r} in project {self.name!r}.")

    def snapshot(self) -> Project:
        """A copy safe to save on another thread while this project is edited.

        Everything is copied except the sample arrays and layer arrays, which
        are shared: edits that *replace* audio or arrays (as every tool does)
        do not reach the snapshot, in-place writes into an array would.  Cheap:
        no audio is copied.
        """
        tracks = [
            replace(t, audio=Audio(t.audio.samples, t.audio.sr, copy.deepcopy(t.audio.metadata)),
                    layers=[Layer(lr.kind, lr.name, copy.deepcopy(lr.data), dict(lr.arrays))
                            for lr in t.layers])
            for t in self.tracks
        ]
        return Project(name=self.name, tracks=tracks, view=copy.deepcopy(self.view),
                       path=self.path, problems=list(self.problems))

    @property
    def duration_s(self) -> float:
        """End of the last-ending track, seconds (0 for an empty project)."""
        return max((t.end_s for t in self.tracks), default=0.0)

    def derived_from(self, track_id: str, *, recursive: bool = False) -> list[Track]:
        """Tracks whose ``source_id`` is ``track_id``, in project order.

        With ``recursive=True`` also tracks derived from those (a restored
        version of a stem of the original), still in project order.
        """
        wanted = {track_id}
        if recursive:
            changed = True
            while changed:
                changed = False
                for t in self.tracks:
                    if t.source_id in wanted and t.id not in wanted:
                        wanted.add(t.id)
                        changed = True
            wanted.discard(track_id)
            return [t for t in self.tracks if t.id in wanted]
        return [t for t in self.tracks if t.source_id == track_id]
