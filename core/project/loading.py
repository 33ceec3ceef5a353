"""Opening project folders written by :mod:`core.project.storage`.

Opening never writes anything.  A damaged or too-new ``project.json`` is one
plain :class:`~core.errors.ProjectError`; a missing or damaged audio or layer
file costs only that track (or that array), and ``Project.problems`` says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import numpy as np

from core.audio import Audio
from core.audio import load as load_audio
from core.errors import AudioFileError, ProjectError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.project import filecache
from core.project.manifest import MANIFEST_NAME, DamagedManifest, Manifest, parse
from core.project.model import Layer, Project, Track
from core.project.storage import _backup_of, _sub_progress, project_folder


def read_manifest(folder: Path) -> Manifest:
    """Read and validate ``folder/project.json``; plain :class:`ProjectError` on any problem."""
    mpath = folder / MANIFEST_NAME
    label = folder.name
    if not mpath.is_file():
        raise ProjectError(f"'{label}' is not a Resonote project (it has no {MANIFEST_NAME}).")
    try:
        text = mpath.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"Cannot read the project '{label}': {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise ProjectError(
            f"The project file of '{label}' is damaged (not text); it cannot be opened.") from None
    try:
        raw = json.loads(text)
    except ValueError:
        raise ProjectError(
            f"The project file of '{label}' is damaged (not valid JSON); it cannot be opened."
        ) from None
    try:
        return parse(raw)
    except DamagedManifest as exc:
        raise ProjectError(
            f"The project file of '{label}' is damaged ({exc}); it cannot be opened.") from None


def load_project(
    folder: str | os.PathLike,
    *,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Project:
    """Open a project folder saved by :func:`save_project`.  Nothing on disk is modified.

    Parameters
    ----------
    folder : path-like
        The ``.resonote`` folder (or its ``project.json``).
    progress, cancel
        See :mod:`core.jobs`; progress per track (stage ``"load"``, fractional
        while a track decodes), cancel checked between tracks and while decoding.

    Returns
    -------
    Project
        With ``path`` set to the folder.  Tracks whose audio file is missing or
        unreadable are left out and ``problems`` says so, one sentence each;
        the rest of the project loads.

    Raises
    ------
    ProjectError
        No project there, a damaged ``project.json``, or a project saved by a
        newer Resonote.
    """
    p = Path(folder)
    if p.name == MANIFEST_NAME and p.is_file():
        p = p.parent
    if not p.exists() and project_folder(p).exists():
        p = project_folder(p)  # "x/My Song" for "x/My Song.resonote", as save_project allows
    problems: list[str] = []
    if not p.exists():
        backup = _backup_of(p)
        if (backup / MANIFEST_NAME).is_file():
            # Resonote stopped between moving the old save aside and putting
            # the new one in place: the backup is the last complete save.
            problems.append("Resonote was interrupted while saving this project; "
                            "the last complete save was opened.")
            p_read = backup
        else:
            raise ProjectError(f"There is no project at '{p}'.")
    elif not p.is_dir():
        raise ProjectError(f"'{p.name}' is not a Resonote project folder.")
    else:
        p_read = p
    m = read_manifest(p_read)
    project = Project(name=m.name, view=m.view, path=p, problems=problems)
    n = len(m.tracks)
    for i, te in enumerate(m.tracks):
        check(cancel)
        msg = f"Loading track '{te.fields['name']}'"
        progress(Progress("load", i, n, msg))
        problems.extend(te.notes)
        audio = _read_audio(p_read, te, problems, cancel,
                            _sub_progress(progress, "load", i, n, msg))
        if audio is None:
            continue
        layers = [_read_layer(p_read, te, le, problems) for le in te.layers]
        project.add_track(Track(audio=audio, layers=layers, **te.fields))
    progress(Progress("load", n, n, "Project loaded"))
    return project


def _read_audio(folder: Path, te, problems: list[str], cancel,
                progress: ProgressCallback = no_progress) -> Optional[Audio]:
    ae, name = te.audio, te.fields["name"]
    if ae.format == "none":
        return Audio(np.zeros((ae.channels, 0), np.float32), ae.sr, dict(te.metadata))
    path = folder / ae.file
    if not path.is_file():
        problems.append(f"Track '{name}' could not be loaded: {ae.file} is missing.")
        return None
    try:
        a = load_audio(path, nonfinite="keep", progress=progress, cancel=cancel)
    except AudioFileError:
        problems.append(f"Track '{name}' could not be loaded: {ae.file} is damaged.")
        return None
    if a.sr != ae.sr or a.channels != ae.channels:
        problems.append(f"Track '{name}' could not be loaded: {ae.file} does not match the "
                        "project file (another file was put in its place?).")
        return None
    samples = a.samples
    if a.frames < ae.frames:
        missing_s = (ae.frames - a.frames) / ae.sr
        problems.append(f"Track '{name}': {ae.file} is damaged; its last {missing_s:.1f} s "
                        "could not be read and are silent.")
        samples = np.concatenate(
            [samples, np.zeros((ae.channels, ae.frames - a.frames), np.float32)], axis=1)
    elif a.frames > ae.frames:
        samples = samples[:, :ae.frames]
    if ae.scale != 1.0:
        samples = samples * np.float32(ae.scale)
    audio = Audio(samples, ae.sr, dict(te.metadata))
    # What this file decodes to is now known: re-saving it unchanged can reuse it.
    entry = {"format": ae.format, "file": ae.file, "scale": ae.scale, "sr": ae.sr,
             "channels": ae.channels, "frames": ae.frames}
    if samples.shape[1] == a.frames:
        filecache.remember(filecache.digest(audio), path, entry)
    return audio


def _read_layer(folder: Path, te, le, problems: list[str]) -> Layer:
    arrays = {}
    for key, rel in le.arrays.items():
        path = folder / rel
        try:
            arrays[key] = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            problems.append(f"Layer '{le.name}' of track '{te.fields['name']}' is incomplete: "
                            f"{rel} is missing.")
        except (OSError, ValueError, EOFError):
            problems.append(f"Layer '{le.name}' of track '{te.fields['name']}' is incomplete: "
                            f"{rel} is damaged.")
    return Layer(kind=le.kind, name=le.name, data=le.data, arrays=arrays)
