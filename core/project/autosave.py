"""Autosave and crash recovery.

Each running Resonote is a *session* with its own folder in the autosave
directory::

    <state dir>/autosave/<pid>-<random>/
        session.json            the lock: our PID, process start time, host, start time
        autosave.resonote/      the latest autosave, a normal project folder

:class:`Autosaver` writes the lock when the session starts and replaces the
autosave (atomically, like any save) when the project changed and the interval
has passed.  A clean exit removes the session folder.  After a crash the
folder stays; the next start calls :func:`find_recoverable`, which offers
every autosave whose owning process is gone.

No threads here: the GUI calls :meth:`Autosaver.maybe_save` from a timer or a
worker.  The state directory is ``platformdirs.user_state_dir("resonote")``,
or ``$RESONOTE_STATE_DIR`` when set (tests, portable installs).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

from core.errors import ProjectError
from core.jobs import CancelToken
from core.project.loading import load_project
from core.project.manifest import MANIFEST_NAME
from core.project.model import Project
from core.project.storage import PROJECT_SUFFIX, write_project

LOCK_NAME = "session.json"
AUTOSAVE_NAME = "autosave" + PROJECT_SUFFIX
# Locks from another computer (a shared home folder) cannot be checked by PID:
# they count as abandoned once their last heartbeat is this old.
_FOREIGN_LOCK_STALE_S = 24 * 3600.0


def autosave_dir(directory: Optional[Path] = None) -> Path:
    """The autosave directory: ``directory``, else ``$RESONOTE_STATE_DIR/autosave``, else
    ``platformdirs.user_state_dir("resonote")/autosave``.  Not created here."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get("RESONOTE_STATE_DIR")
    if env:
        return Path(env) / "autosave"
    import platformdirs

    return Path(platformdirs.user_state_dir("resonote", appauthor=False)) / "autosave"


def _process_start_time(pid: int) -> Optional[float]:
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError, ValueError):
        return None


def _write_json_atomic(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Autosaver:
    """Periodic autosave of one session's project.

    Parameters
    ----------
    directory : Path, optional
        Autosave directory (see :func:`autosave_dir`).
    interval_s : float
        Minimum time between two autosaves, seconds.
    clock : callable
        Monotonic time in seconds (tests pass a fake clock).

    Notes
    -----
    Change detection: pass ``revision=`` (a counter the GUI bumps on every
    edit) to :meth:`maybe_save`; without it the autosaver compares a
    fingerprint of the whole project (its manifest and a digest of every
    track's samples), which costs about a second per GB of audio.

    Threads: :meth:`maybe_save` reads the project while it writes.  To
    autosave from a worker thread while the user keeps editing, pass it
    ``project.snapshot()`` taken on the GUI thread (cheap: no audio is copied).
    """

    def __init__(
        self,
        *,
        directory: Optional[Path] = None,
        interval_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = autosave_dir(directory)
        self.interval_s = float(interval_s)
        self.session_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self._started = False
        self._last_save = clock()
        self._saved_project: Optional[weakref.ref] = None
        self._saved_revision: Optional[int] = None
        self._saved_fingerprint: Optional[str] = None
        self._has_autosave = False

    @property
    def session_folder(self) -> Path:
        """This session's folder (lock and autosave)."""
        return self.directory / self.session_id

    @property
    def autosave_folder(self) -> Path:
        """This session's autosaved project folder (exists after the first autosave)."""
        return self.session_folder / AUTOSAVE_NAME

    def session_started(self) -> None:
        """Write the lock (PID, process start time, host) so a crash can be told from a live
        session.  Called implicitly by the first :meth:`maybe_save`."""
        try:
            self.session_folder.mkdir(parents=True, exist_ok=True)
            self._write_lock()
        except OSError as exc:
            raise ProjectError(
                f"Cannot use the autosave folder '{self.directory}': {exc.strerror or exc}."
            ) from None
        self._started = True
        self._last_save = self._clock()

    def _write_lock(self, **more) -> None:
        pid = os.getpid()
        lock = {
            "pid": pid,
            "process_start": _process_start_time(pid),
            "host": socket.gethostname(),
            "started_at": getattr(self, "_started_at", None) or _now_iso(),
            "heartbeat": time.time(),
            **more,
        }
        self._started_at = lock["started_at"]
        _write_json_atomic(self.session_folder / LOCK_NAME, lock)

    def maybe_save(
        self,
        project: Project,
        *,
        force: bool = False,
        revision: Optional[int] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Optional[Path]:
        """Autosave ``project`` if the interval has passed (or ``force``) and it changed.

        Parameters
        ----------
        project : Project
            Saved as it is; ``project.path`` is not changed (it is recorded so a
            recovered project saves back to where it came from).
        force : bool
            Ignore the interval (the change check still applies).
        revision : int, optional
            The GUI's edit counter; the project counts as changed when it
            differs from the revision of the last autosave.
        cancel : CancelToken, optional
            Stops the autosave; the previous autosave stays.

        Returns
        -------
        Path or None
            The autosave folder when one was written, else None.  A project
            with no tracks is not autosaved (an earlier autosave is removed:
            there is nothing to recover).
        """
        if not force and self._clock() - self._last_save < self.interval_s:
            return None
        if not self._started:
            self.session_started()
        same_project = self._saved_project is not None and self._saved_project() is project
        if revision is not None:
            if self._has_autosave and same_project and revision == self._saved_revision:
                return None
            fingerprint = None
        else:
            fingerprint = _fingerprint(project)
            if self._has_autosave and same_project and fingerprint == self._saved_fingerprint:
                return None
        if not project.tracks:
            self._remove_autosave()
            self._saved_revision, self._saved_fingerprint = revision, fingerprint
            self._last_save = self._clock()
            return None
        extra = {"autosave": {
            "original_path": str(project.path) if project.path is not None else None,
            "session": self.session_id,
            "revision": revision,
        }}
        try:
            self.session_folder.mkdir(parents=True, exist_ok=True)
            write_project(project, self.autosave_folder, cancel=cancel, extra=extra)
            self._write_lock()  # heartbeat
        except OSError as exc:
            raise ProjectError(f"Autosave failed: {exc.strerror or exc}.") from None
        self._has_autosave = True
        self._saved_project = weakref.ref(project)
        self._saved_revision, self._saved_fingerprint = revision, fingerprint
        self._last_save = self._clock()
        return self.autosave_folder

    def _remove_autosave(self) -> None:
        if self.autosave_folder.exists():
            shutil.rmtree(self.autosave_folder, ignore_errors=True)
        self._has_autosave = False

    def session_ended_cleanly(self) -> None:
        """Remove this session's lock and autosave: nothing to recover after a clean exit."""
        shutil.rmtree(self.session_folder, ignore_errors=True)
        self._started = False
        self._has_autosave = False


def _fingerprint(project: Project) -> str:
    import hashlib

    from core.project import filecache
    from core.project.manifest import json_safe

    h = hashlib.blake2b(digest_size=16)
    state = {
        "name": project.name, "view": project.view,
        "path": str(project.path) if project.path else None,
        "tracks": [{
            "id": t.id, "name": t.name, "kind": t.kind, "colour": t.colour, "mute": t.mute,
            "solo": t.solo, "gain_db": t.gain_db, "source_id": t.source_id,
            "source_path": t.source_path, "offset_s": t.offset_s,
            "metadata": json_safe(t.audio.metadata),
            "audio": filecache.digest(t.audio),
            "layers": [{"kind": lr.kind, "name": lr.name, "data": lr.data,
                        "arrays": {str(k): _array_digest(v) for k, v in lr.arrays.items()}}
                       for lr in t.layers],
        } for t in project.tracks],
    }
    h.update(json.dumps(state, sort_keys=True, default=repr).encode())
    return h.hexdigest()


def _array_digest(a) -> str:
    import hashlib

    import numpy as np

    a = np.ascontiguousarray(a)
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{a.dtype.str}:{a.shape}:".encode())
    if not a.dtype.hasobject:
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


@dataclass
class RecoveryCandidate:
    """An autosave left behind by a session that did not end cleanly.

    Attributes
    ----------
    folder : Path
        The autosaved project folder.
    project_name : str
    saved_at : datetime
        When it was autosaved (timezone-aware, UTC).
    original_path : Path or None
        Where the project was saved by the user, if it ever was.
    """

    folder: Path
    project_name: str
    saved_at: datetime
    original_path: Optional[Path]

    def load(self, **kwargs) -> Project:
        """Open the autosave (keyword arguments go to :func:`load_project`).

        The returned project's ``path`` is ``original_path``, so saving it
        writes back to the user's project, not into the autosave folder.  Call
        :meth:`discard` once the recovered project is safe (autosaved by the
        new session or saved by the user).
        """
        project = load_project(self.folder, **kwargs)
        project.path = self.original_path
        return project

    def discard(self) -> None:
        """Delete this autosave and its session's lock."""
        shutil.rmtree(self.folder.parent, ignore_errors=True)


def _owner_alive(lock: dict) -> bool:
    pid = lock.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if lock.get("host") != socket.gethostname():
        beat = lock.get("heartbeat")
        return isinstance(beat, (int, float)) and time.time() - beat < _FOREIGN_LOCK_STALE_S
    start = _process_start_time(pid)
    if start is None:
        return False
    recorded = lock.get("process_start")
    # Another process may have been given the same PID since: compare start times.
    return not isinstance(recorded, (int, float)) or abs(start - recorded) < 2.0


def find_recoverable(*, directory: Optional[Path] = None) -> list[RecoveryCandidate]:
    """Autosaves whose owning Resonote is no longer running (it crashed), newest first.

    Sessions still running (this one included) are never offered.  Session
    folders of crashed sessions that never autosaved are removed.
    """
    root = autosave_dir(directory)
    try:
        sessions = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return []
    found: list[RecoveryCandidate] = []
    for s in sessions:
        try:
            lock = json.loads((s / LOCK_NAME).read_text(encoding="utf-8"))
            if not isinstance(lock, dict):
                lock = {}
        except (OSError, ValueError):
            lock = {}  # a missing or damaged lock has no owner to protect
        if lock and _owner_alive(lock):
            continue
        folder = s / AUTOSAVE_NAME
        if not (folder / MANIFEST_NAME).is_file():
            if not lock and time.time() - _mtime(s) < 60:
                continue  # maybe a session being created right now
            shutil.rmtree(s, ignore_errors=True)
            continue
        found.append(_candidate(folder))
    found.sort(key=lambda c: c.saved_at, reverse=True)
    return found


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def _candidate(folder: Path) -> RecoveryCandidate:
    name, original, saved_at = folder.parent.name, None, None
    try:
        raw = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        name = str(raw.get("name", name))
        auto = raw.get("autosave") or {}
        if isinstance(auto.get("original_path"), str):
            original = Path(auto["original_path"])
        saved_at = datetime.fromisoformat(raw["saved_at"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # load() will say what is wrong with it
    if saved_at is None:
        saved_at = datetime.fromtimestamp(_mtime(folder / MANIFEST_NAME), UTC)
    return RecoveryCandidate(folder=folder, project_name=name, saved_at=saved_at,
                             original_path=original)
