"""``project.json``: the manifest of a saved project, and its validation.

The manifest holds everything but the samples and the layer arrays: the
project's name and view settings, and per track its fields, where its audio
file is (and how to read it back: sample rate, channels, frames, the scale it
was stored at) and its layers' JSON data.  Reading validates every field so a
damaged file gives one plain :class:`~core.errors.ProjectError`, never a
``KeyError`` deep in the GUI.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from core.errors import ProjectError
from core.project.model import _COLOUR_RE, TRACK_KINDS, Layer, Project, Track

#: Version of the on-disk layout; bump when an older Resonote could misread a project.
FORMAT_VERSION = 1
MANIFEST_NAME = "project.json"
FORMAT_TAG = "resonote-project"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class DamagedManifest(Exception):
    """Internal: a manifest field is missing or has the wrong type; ``str`` says which."""


def safe_file_stem(text: str, *, limit: int = 40) -> str:
    """``text`` reduced to characters safe in a file name on every OS."""
    s = _SAFE_NAME.sub("_", text).strip("._")[:limit]
    return s or "x"


def json_safe(d: dict) -> dict:
    """The items of ``d`` that survive JSON (used for audio metadata, which is best-effort)."""
    out = {}
    for k, v in d.items():
        try:
            json.dumps(v, allow_nan=True)
        except (TypeError, ValueError):
            continue
        out[str(k)] = v
    return out


def check_serialisable(value: Any, what: str) -> None:
    """Raise :class:`ProjectError` if ``value`` cannot be written as JSON."""
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ProjectError(
            f"Cannot save the project: {what} holds data that cannot be saved ({exc})."
        ) from None


# -- writing -----------------------------------------------------------------

def track_entry(track: Track, audio_entry: dict, layer_entries: list[dict]) -> dict:
    """The manifest dict of one track."""
    return {
        "id": track.id,
        "name": track.name,
        "kind": track.kind,
        "colour": track.colour,
        "mute": bool(track.mute),
        "solo": bool(track.solo),
        "gain_db": float(track.gain_db),
        "source_id": track.source_id,
        "source_path": track.source_path,
        "offset_s": float(track.offset_s),
        "metadata": json_safe(track.audio.metadata),
        "audio": audio_entry,
        "layers": layer_entries,
    }


def layer_entry(layer: Layer, array_files: dict[str, str]) -> dict:
    """The manifest dict of one layer; ``array_files`` maps array key -> relative file."""
    return {"kind": layer.kind, "name": layer.name, "data": layer.data, "arrays": array_files}


def manifest(project: Project, tracks: list[dict], *, app_version: str, saved_at: str,
             extra: dict | None = None) -> dict:
    """The whole manifest dict."""
    m = {
        "format": FORMAT_TAG,
        "format_version": FORMAT_VERSION,
        "app_version": app_version,
        "saved_at": saved_at,
        "name": project.name,
        "view": project.view,
        "tracks": tracks,
    }
    if extra:
        m.update(extra)
    return m


def dumps(m: dict) -> str:
    return json.dumps(m, indent=1, ensure_ascii=False, allow_nan=True)


# -- reading -----------------------------------------------------------------

@dataclass
class AudioEntry:
    file: str | None          # relative POSIX path inside the project folder; None if no frames
    format: str               # "flac" | "wav" | "none"
    sr: int
    channels: int
    frames: int
    scale: float


@dataclass
class LayerEntry:
    kind: str
    name: str
    data: dict
    arrays: dict[str, str]


@dataclass
class TrackEntry:
    fields: dict              # keyword arguments for Track (without audio and layers)
    metadata: dict
    audio: AudioEntry
    layers: list[LayerEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # harmless oddities fixed while reading


@dataclass
class Manifest:
    name: str
    view: dict
    tracks: list[TrackEntry]
    app_version: str
    saved_at: str
    raw: dict


def _get(d: dict, key: str, types, where: str, *, default=...):
    if key not in d:
        if default is ...:
            raise DamagedManifest(f"{where} has no '{key}'")
        return default
    v = d[key]
    if types is float:
        types = (int, float)
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in _as_tuple(types)):
        raise DamagedManifest(f"{where}: '{key}' has the wrong type")
    return v


def _as_tuple(t) -> tuple:
    return t if isinstance(t, tuple) else (t,)


def _relative_file(value: str, where: str) -> str:
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts or "\\" in value or not p.parts:
        raise DamagedManifest(f"{where}: file name {value!r} points outside the project")
    return value


def check_version(raw: Any) -> int:
    """The manifest's format version; :class:`ProjectError` if it is newer than ours."""
    if not isinstance(raw, dict):
        raise DamagedManifest("it is not a JSON object")
    v = raw.get("format_version")
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise DamagedManifest("it has no valid format_version")
    if v > FORMAT_VERSION:
        raise ProjectError(
            f"This project was saved by a newer version of Resonote (format {v}); "
            "update Resonote to open it."
        )
    return v


def parse(raw: Any) -> Manifest:
    """Validate a decoded ``project.json``; raises :class:`DamagedManifest` or :class:`ProjectError`."""
    check_version(raw)
    if "format" in raw and raw["format"] != FORMAT_TAG:
        raise DamagedManifest("it is not a Resonote project file")
    name = _get(raw, "name", str, "the project")
    view = _get(raw, "view", dict, "the project", default={})
    tracks_raw = _get(raw, "tracks", list, "the project")
    tracks = [_parse_track(t, i) for i, t in enumerate(tracks_raw)]
    ids = [t.fields["id"] for t in tracks]
    if len(set(ids)) != len(ids):
        raise DamagedManifest("two tracks have the same id")
    return Manifest(name=name, view=view, tracks=tracks,
                    app_version=str(raw.get("app_version", "")),
                    saved_at=str(raw.get("saved_at", "")), raw=raw)


def _parse_track(t: Any, i: int) -> TrackEntry:
    where = f"track {i + 1}"
    if not isinstance(t, dict):
        raise DamagedManifest(f"{where} is not a JSON object")
    notes: list[str] = []
    tid = _get(t, "id", str, where)
    if not tid:
        raise DamagedManifest(f"{where} has an empty id")
    name = _get(t, "name", str, where)
    kind = _get(t, "kind", str, where, default="original")
    if kind not in TRACK_KINDS:
        notes.append(f"Track '{name}' has an unknown kind '{kind}'; it is shown as an original.")
        kind = "original"
    colour = _get(t, "colour", str, where, default="")
    if colour and not _COLOUR_RE.match(colour):
        colour = ""
    gain_db = float(_get(t, "gain_db", float, where, default=0.0))
    offset_s = float(_get(t, "offset_s", float, where, default=0.0))
    if not (math.isfinite(gain_db) and math.isfinite(offset_s)):
        raise DamagedManifest(f"{where}: gain or offset is not a finite number")
    fields = {
        "id": tid,
        "name": name,
        "kind": kind,
        "colour": colour,
        "mute": _get(t, "mute", bool, where, default=False),
        "solo": _get(t, "solo", bool, where, default=False),
        "gain_db": gain_db,
        "source_id": _get(t, "source_id", (str, type(None)), where, default=None),
        "source_path": _get(t, "source_path", (str, type(None)), where, default=None),
        "offset_s": offset_s,
    }
    metadata = _get(t, "metadata", dict, where, default={})
    audio = _parse_audio(_get(t, "audio", dict, where), f"{where} audio")
    layers = [_parse_layer(lr, f"{where} layer {j + 1}")
              for j, lr in enumerate(_get(t, "layers", list, where, default=[]))]
    return TrackEntry(fields=fields, metadata=metadata, audio=audio, layers=layers, notes=notes)


def _parse_audio(a: dict, where: str) -> AudioEntry:
    fmt = _get(a, "format", str, where)
    if fmt not in ("flac", "wav", "none"):
        raise DamagedManifest(f"{where}: unknown format {fmt!r}")
    sr = _get(a, "sr", int, where)
    channels = _get(a, "channels", int, where)
    frames = _get(a, "frames", int, where)
    scale = float(_get(a, "scale", float, where, default=1.0))
    if sr <= 0 or channels <= 0 or frames < 0 or not (math.isfinite(scale) and scale > 0):
        raise DamagedManifest(f"{where}: impossible sample rate, channels, length or scale")
    file = None
    if fmt != "none":
        file = _relative_file(_get(a, "file", str, where), where)
    elif frames:
        raise DamagedManifest(f"{where}: audio without a file")
    return AudioEntry(file=file, format=fmt, sr=sr, channels=channels, frames=frames, scale=scale)


def _parse_layer(lr: Any, where: str) -> LayerEntry:
    if not isinstance(lr, dict):
        raise DamagedManifest(f"{where} is not a JSON object")
    arrays = _get(lr, "arrays", dict, where, default={})
    for k, v in arrays.items():
        if not isinstance(v, str):
            raise DamagedManifest(f"{where}: array '{k}' has no file name")
        _relative_file(v, where)
    return LayerEntry(kind=_get(lr, "kind", str, where), name=_get(lr, "name", str, where),
                      data=_get(lr, "data", dict, where, default={}), arrays=dict(arrays))
