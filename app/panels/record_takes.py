"""Turning a recorded take (a WAV file on disk) into a project track.

Shared by the Record panel (a take just finished) and start-up recovery
(:mod:`app.recovery_takes`).  The file is decoded and its waveform overview
built on the job runner with the same worker the main window uses to open
files (:func:`app.mainwindow_files.load_for_track`); the track is added on
the UI thread through the host's undo stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_TAKE_NAME = re.compile(r"^Take (\d+)\b")


def next_take_number(model: Any) -> int:
    """1 + the highest N of the project's tracks named "Take N" (1 for none)."""
    numbers = [int(m.group(1)) for t in model.tracks if (m := _TAKE_NAME.match(t.name))]
    return max(numbers, default=0) + 1


def describe_take(take: Any) -> str:
    """``"take-20250101-120000.wav (1:23.4, 2 ch, 48 kHz)"``."""
    s = take.frames / take.sr if take.sr else 0.0
    return (f"{take.path.name} ({int(s // 60)}:{s % 60:04.1f}, {take.channels} ch, "
            f"{take.sr / 1000:g} kHz)")


def load_take_as_track(host: Any, take: Any, name: str, *, offset_s: float = 0.0,
                       on_added: Callable[[Any], None] | None = None,
                       on_error: Callable[[str], None] | None = None) -> Any:
    """Load ``take`` on the job runner and add it as a ``"recording"`` track called ``name``.

    Parameters
    ----------
    host : MainWindow
        Gives ``runner`` and ``add_track_from_job``.
    take : core.record.Take
        A finished (complete, error or recovered) take.
    offset_s : float
        Where the track starts on the project's time axis, seconds.
    on_added : callable(Track) or None
        Called on the UI thread once the track is in the project.
    on_error : callable(str) or None
        Called with a plain message when the file cannot be read
        (default: the host shows the error).

    Returns
    -------
    app.jobs.runner.Job
    """
    from app.mainwindow_files import load_for_track

    path = take.path

    def loaded(result: Any) -> None:
        if not isinstance(result, tuple):  # invalid samples: open_audio's question is moot
            fail(getattr(result, "message", "The take holds invalid samples."))
            return
        audio, pyramid = result
        if take.overflows:
            audio.metadata["dropped_buffers"] = int(take.overflows)
        track = host.add_track_from_job(audio, name, kind="recording",
                                        offset_s=max(0.0, float(offset_s)), pyramid=pyramid)
        track.source_path = str(path)
        if on_added is not None:
            on_added(track)

    def fail(message: str) -> None:
        text = f"The take {path.name} could not be loaded: {message} (the file is kept in {path.parent})."
        if on_error is not None:
            on_error(text)
        else:
            host.show_error("Recording", text)

    return host.runner.submit(f"Load {name}", load_for_track, str(path), "clean",
                              options={"path": str(path)}, on_result=loaded, on_error=fail)


def add_take_now(host: Any, take: Any, *, offset_s: float = 0.0) -> Any:
    """Load ``take`` on this thread and add it as a track (the window is closing: no time
    for a job).  Returns the track, or None if the file could not be read."""
    from app.mainwindow_files import load_for_track
    from core.errors import ResonoteError

    try:
        result = load_for_track(str(take.path), "clean")
    except ResonoteError as exc:
        host.last_error = str(exc)
        return None
    audio, pyramid = result
    track = host.add_track_from_job(audio, f"Take {next_take_number(host.model)}",
                                    kind="recording", offset_s=max(0.0, float(offset_s)),
                                    pyramid=pyramid)
    track.source_path = str(take.path)
    return track


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def disk_space_text(free_bytes: int | None, bytes_per_s: float) -> tuple[str, bool]:
    """``("66.0 GB free (≈ 52 h)", low)`` for the takes folder; ``low`` under 15 minutes.

    ``free_bytes`` None: measured here for :func:`core.record.default_takes_dir`."""
    import shutil

    from core.record import default_takes_dir

    if free_bytes is None:
        where = default_takes_dir()
        while not where.exists() and where != where.parent:
            where = where.parent
        try:
            free_bytes = shutil.disk_usage(where).free
        except OSError:
            return "Free disk space: unknown", False
    hours = free_bytes / max(1.0, bytes_per_s) / 3600
    left = (f"{hours:.0f} h" if hours >= 10 else f"{hours:.1f} h" if hours >= 1
            else f"{hours * 60:.0f} min")
    return f"{_size(free_bytes)} free (≈ {left} of recording)", hours < 0.25
