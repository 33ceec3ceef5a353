"""Finding and repairing takes whose recording process died (crash, SIGKILL, power cut).

A take's sidecar says ``"recording"`` while its process writes it.  If that
process no longer exists, the take is an orphan: its WAV header may describe
only what was there at the last header update (≤ 0.5 s old), but every block
the writer had written is in the file.  :func:`recover_takes` sets the header
from the file's real length (RF64 past 4 GiB) and marks the take
``"recovered"``.  A FLAC take keeps every complete FLAC frame (all but the
last ≤ 4096 frames) and is rewritten with its length set
(:func:`core.record.flacfile.repair_flac`).
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from core.errors import CorruptAudioError
from core.record.takes import LIVE_STATES, SIDECAR_SUFFIX, Take, default_takes_dir
from core.record.wavfile import repair_wav

log = logging.getLogger(__name__)


def _process_alive(pid: int, started: float | None) -> bool:
    """Whether ``pid`` is still the process that wrote the take (zombies count as gone)."""
    if pid <= 0:
        return False
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if started is not None and abs(proc.create_time() - float(started)) > 1.0:
            return False  # the pid was reused by another program
        return True
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


def orphaned_takes(directory: Path | None = None) -> list[Take]:
    """Takes in ``directory`` still marked as recording whose process is gone.

    Takes recorded on another computer (a shared folder) are left alone: this
    one cannot tell whether they are still being recorded.
    """
    directory = Path(directory) if directory is not None else default_takes_dir()
    if not directory.is_dir():
        return []
    host = socket.gethostname()
    found = []
    for meta in sorted(directory.glob("*" + SIDECAR_SUFFIX)):
        try:
            take = Take.from_sidecar(meta)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping unreadable take sidecar %s: %s", meta, exc)
            continue
        if take.state not in LIVE_STATES or (take.host and take.host != host):
            continue
        if _process_alive(take.pid, take.pid_started):
            continue
        found.append(take)
    return found


def recover_takes(directory: Path | None = None) -> list[Take]:
    """Repair every orphaned take in ``directory`` (default: the takes folder).

    Parameters
    ----------
    directory : Path or None
        Folder to scan; None: :func:`core.record.default_takes_dir`.

    Returns
    -------
    list of Take
        The recovered takes (``state == "recovered"``, ``frames`` = what the
        file really holds), oldest first.  A take whose audio file is missing
        or unreadable is marked ``"error"`` with the reason and not returned.
    """
    recovered = []
    for take in orphaned_takes(directory):
        try:
            if take.path.suffix.lower() == ".flac":
                from core.record.flacfile import repair_flac

                frames = repair_flac(take.path)
            else:
                frames = repair_wav(take.path)
        except (OSError, CorruptAudioError) as exc:
            take.state = "error"
            take.error = f"The take could not be recovered: {exc}"
            log.warning("%s", take.error)
        else:
            lost_note = f"Recovered after the recording stopped unexpectedly ({frames / take.sr:.1f} s)."
            take.frames, take.state, take.error = frames, "recovered", lost_note
            recovered.append(take)
        try:
            take.save_sidecar()
        except OSError as exc:
            log.warning("could not update %s: %s", take.metadata_path, exc)
    recovered.sort(key=lambda t: t.started_at)
    return recovered
