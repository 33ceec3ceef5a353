"""Saving projects: a folder ``<name>.resonote/`` on disk.

Layout::

    My Song.resonote/
        project.json                     the manifest (see core.project.manifest)
        audio/<track_id>.flac            every track, 24-bit FLAC (or float WAV, see below)
        layers/<track_id>-<n>-<key>.npy  numeric layer payloads (no pickles)

Audio is stored as 24-bit FLAC.  FLAC holds integers in [-1, 1), so a track
that peaks above full scale (float headroom) is stored divided by a power of
two and the manifest records that scale; loading multiplies it back, so the
round trip is exact to 24-bit quantisation.  Tracks FLAC cannot hold (more
than 8 channels, a rate above 655350 Hz, NaN/Inf samples) are stored as 32-bit
float WAV, bit-exact.

Saving is atomic at the project level: everything is written into a hidden
sibling folder, then the old project is renamed to a backup, the new one is
renamed into place and the backup is deleted.  A crash or a cancel at any
point leaves either the old project or the new one, never a mix.  Audio files
of tracks that did not change since they were last saved or loaded are
hard-linked (or copied) instead of encoded again.

Opening is in :mod:`core.project.loading`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

import numpy as np

from core.audio import Audio
from core.audio import save as save_audio
from core.errors import AudioFileError, ProjectError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.project import filecache
from core.project.manifest import (
    MANIFEST_NAME,
    check_serialisable,
    dumps,
    layer_entry,
    manifest,
    safe_file_stem,
    track_entry,
)
from core.project.model import Layer, Project, Track

PROJECT_SUFFIX = ".resonote"
FLAC_MAX_CHANNELS = 8
FLAC_MAX_SR = 655350
# A temporary saving folder this old is left over from a crash, not another save in progress.
_STALE_TEMP_S = 3600.0


def project_folder(folder: str | os.PathLike) -> Path:
    """The ``.resonote`` folder for a chosen path: ``"x/My Song"`` -> ``x/My Song.resonote``."""
    p = Path(folder)
    if p.suffix.lower() != PROJECT_SUFFIX:
        p = p.with_name(p.name + PROJECT_SUFFIX)
    return p


def _backup_of(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.backup")


# -- saving ------------------------------------------------------------------

def save_project(
    project: Project,
    folder: str | os.PathLike,
    *,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Path:
    """Save ``project`` into the folder ``folder`` (``.resonote`` is appended if missing).

    Replaces an earlier save of a project in that folder atomically; a folder
    that exists and is not a Resonote project is never touched.  On success
    sets ``project.path`` to the folder (the name is left as it is).

    Parameters
    ----------
    project : Project
    folder : path-like
        The project folder; its parent must exist.
    progress, cancel
        See :mod:`core.jobs`.  Progress is reported per track (stage
        ``"save"``, ``done`` in tracks, fractional while a track encodes);
        ``cancel`` is checked between tracks and while encoding.
        Cancelling raises :class:`~core.jobs.JobCancelled` and leaves what was
        on disk before unchanged.

    Returns
    -------
    Path
        The project folder written.

    Raises
    ------
    ProjectError
        The folder cannot be written, exists and is not a project, or a layer
        holds data that cannot be saved.
    """
    dest = project_folder(folder)
    write_project(project, dest, progress=progress, cancel=cancel)
    project.path = dest
    return dest


def write_project(
    project: Project,
    dest: Path,
    *,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
    extra: dict | None = None,
) -> Path:
    """Write ``project`` to the folder ``dest`` atomically; ``project.path`` is not changed.

    ``extra`` adds top-level keys to the manifest (the autosaver records where
    the project came from).  Used by :func:`save_project` and the autosaver.
    """
    dest = Path(dest)
    parent = dest.parent
    if not parent.is_dir():
        raise ProjectError(f"Cannot save the project: the folder '{parent}' does not exist.")
    if dest.exists() and not _is_replaceable(dest):
        raise ProjectError(
            f"Cannot save the project: '{dest}' already exists and is not a Resonote "
            "project. Choose another name."
        )
    # Everything that can be refused is refused before any audio is written.
    check_serialisable(project.view, "the view settings")
    for t in project.tracks:
        for lr in t.layers:
            check_serialisable(lr.data, f"the layer '{lr.name}' of track '{t.name}'")
            for key, arr in lr.arrays.items():
                if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
                    raise ProjectError(
                        f"Cannot save the project: the layer '{lr.name}' of track '{t.name}' "
                        f"holds '{key}', which is not a numeric array."
                    )
    ids = [t.id for t in project.tracks]
    if len(set(ids)) != len(ids):
        raise ValueError("Two tracks of the project have the same id.")

    _remove_stale_temps(dest)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.saving-", dir=parent))
    except OSError as exc:
        raise ProjectError(f"Cannot save the project in '{parent}': {exc.strerror or exc}.") from None
    written: list[tuple[str, str, dict]] = []
    try:
        (tmp / "audio").mkdir()
        (tmp / "layers").mkdir()
        n = len(project.tracks)
        entries = []
        used_names: set[str] = set()
        for i, t in enumerate(project.tracks):
            check(cancel)
            msg = f"Saving track '{t.name}'"
            progress(Progress("save", i, n, msg))
            audio_entry, digest = _write_audio(t, tmp, used_names, cancel,
                                               _sub_progress(progress, "save", i, n, msg))
            if digest is not None:
                written.append((digest, audio_entry["file"], audio_entry))
            layers = [layer_entry(lr, _write_arrays(t, j, lr, tmp, used_names))
                      for j, lr in enumerate(t.layers)]
            entries.append(track_entry(t, audio_entry, layers))
        check(cancel)
        saved_at = datetime.now(UTC).isoformat(timespec="seconds")
        m = manifest(project, entries, app_version=_app_version(), saved_at=saved_at,
                     extra=extra)
        _write_text_synced(tmp / MANIFEST_NAME, dumps(m))
        _fsync_dir(tmp / "audio")
        _fsync_dir(tmp)
        check(cancel)
        _swap_into_place(tmp, dest)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, AudioFileError):
            raise ProjectError(f"Cannot save the project: {exc}") from None
        if isinstance(exc, OSError):
            raise ProjectError(
                f"Cannot save the project to '{dest}': {exc.strerror or exc}.") from None
        raise
    for digest, rel, entry in written:
        filecache.remember(digest, dest / rel, entry)
    progress(Progress("save", len(project.tracks), len(project.tracks), "Project saved"))
    return dest


def _app_version() -> str:
    try:
        from core import __version__

        return str(__version__)
    except ImportError:  # ``core`` shadowed by a namespace package (pytest run from tests/)
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("resonote")
        except PackageNotFoundError:
            return ""


def _is_replaceable(dest: Path) -> bool:
    """True for an earlier project save or an empty folder."""
    if not dest.is_dir():
        return False
    if (dest / MANIFEST_NAME).is_file():
        return True
    try:
        return not any(dest.iterdir())
    except OSError:
        return False


def _unique(stem: str, ext: str, used: set[str]) -> str:
    name, k = f"{stem}{ext}", 1
    while name.lower() in used:
        k += 1
        name = f"{stem}~{k}{ext}"
    used.add(name.lower())
    return name


def _sub_progress(progress: ProgressCallback, stage: str, i: int, n: int,
                  msg: str) -> ProgressCallback:
    """Map one track's encode/decode progress into the interval (i, i + 1) of n tracks."""
    def report(r: Progress) -> None:
        f = r.fraction
        if f is not None and f < 1.0:
            progress(Progress(stage, i + f, n, msg))
    return report


def _write_audio(t: Track, tmp: Path, used: set[str], cancel,
                 progress: ProgressCallback = no_progress) -> tuple[dict, Optional[str]]:
    a = t.audio
    base = {"sr": a.sr, "channels": a.channels, "frames": a.frames}
    if a.frames == 0:
        return {"format": "none", "file": None, "scale": 1.0, **base}, None
    digest = filecache.digest(a)
    known = filecache.lookup(digest)
    if known is not None:  # these exact samples are already in a file: reuse it
        src, entry = known
        rel = "audio/" + _unique(safe_file_stem(t.id), src.suffix, used)
        if _link_or_copy(src, tmp / rel):
            return {**entry, "file": rel}, digest
        used.discard(rel[len("audio/"):].lower())
    finite = a.count_nonfinite() == 0
    use_flac = finite and a.channels <= FLAC_MAX_CHANNELS and a.sr <= FLAC_MAX_SR
    ext = ".flac" if use_flac else ".wav"
    rel = "audio/" + _unique(safe_file_stem(t.id), ext, used)
    if use_flac:
        peak = float(np.max(np.abs(a.samples)))
        # A power of two: dividing and multiplying back are exact in float.
        scale = 1.0 if peak <= 1.0 else float(2.0 ** np.ceil(np.log2(peak)))
        stored = a if scale == 1.0 else Audio(a.samples / np.float32(scale), a.sr)
        save_audio(stored, tmp / rel, subtype="24", progress=progress, cancel=cancel)
        entry = {"format": "flac", "file": rel, "scale": scale, **base}
    else:
        save_audio(a, tmp / rel, subtype="32f", progress=progress, cancel=cancel)
        entry = {"format": "wav", "file": rel, "scale": 1.0, **base}
    return entry, digest


def _link_or_copy(src: Path, dst: Path) -> bool:
    try:
        os.link(src, dst)
        return True
    except OSError:
        pass
    try:
        shutil.copyfile(src, dst)
        return True
    except OSError:
        try:
            dst.unlink()
        except OSError:
            pass
        return False


def _write_arrays(t: Track, j: int, lr: Layer, tmp: Path, used: set[str]) -> dict[str, str]:
    files = {}
    for key, arr in lr.arrays.items():
        rel = "layers/" + _unique(f"{safe_file_stem(t.id)}-{j}-{safe_file_stem(str(key))}",
                                  ".npy", used)
        with open(tmp / rel, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        files[str(key)] = rel
    return files


def _write_text_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _swap_into_place(tmp: Path, dest: Path) -> None:
    backup = _backup_of(dest)
    if dest.exists():
        if backup.exists():
            shutil.rmtree(backup)  # left by a crash after an earlier swap completed
        os.rename(dest, backup)
        try:
            os.rename(tmp, dest)
        except BaseException:
            os.rename(backup, dest)
            raise
    else:
        # A backup without a project is the last good save of a crashed swap;
        # it is obsolete only once the new project is in place.
        os.rename(tmp, dest)
    _fsync_dir(dest.parent)
    shutil.rmtree(backup, ignore_errors=True)


def _remove_stale_temps(dest: Path) -> None:
    prefix = f".{dest.name}.saving-"
    try:
        siblings = list(dest.parent.iterdir())
    except OSError:
        return
    now = time.time()
    for p in siblings:
        if p.name.startswith(prefix) and p.is_dir():
            try:
                if now - p.stat().st_mtime > _STALE_TEMP_S:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass
