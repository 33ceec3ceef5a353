"""Smoke test of an installed or packaged Resonote: the real window, one real tool, a screenshot.

``resonote --smoke-test OUT.png [FILE]`` (the packaged app's launcher and, with the
hook in :mod:`app.main`, the console script) or ``python -m app.smoke OUT.png [FILE]``:

1. starts the application and its main window (works with ``QT_QPA_PLATFORM=offscreen``);
2. opens ``FILE`` (default: the bundled demo clip) as a track, through the same
   worker the File menu uses;
3. runs the embedded *Music → notes* transcription (Basic Pitch, a model bundled in
   a pip package, found through :mod:`core.models`) from the Transcribe panel;
4. saves a screenshot of the window to ``OUT.png`` and exits 0.

Any failure prints one line to stderr and exits 1, so a packaging step can rely on
the status.  Settings and autosave go to a temporary folder unless
``RESONOTE_CONFIG_DIR``/``RESONOTE_STATE_DIR`` say otherwise: the smoke test never
touches a user's settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

USAGE = "usage: resonote --smoke-test OUT.png [AUDIO_FILE]"


class SmokeFailure(RuntimeError):
    """A smoke-test step did not complete."""


def demo_clip() -> Path:
    """The demo clip that ships in ``resources/demo``."""
    from core.models.locate import resources_root

    return resources_root() / "demo" / "demo.flac"


def process_age_s() -> float:
    """Seconds since this process started (includes a frozen bundle's unpacking)."""
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())
    except Exception:  # psutil missing or no permission: time since import instead
        return time.perf_counter() - _IMPORTED_AT


_IMPORTED_AT = time.perf_counter()


def _wait(app, done: Callable[[], bool], timeout_s: float, what: str,
          failed: Callable[[], str] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        message = failed() if failed else ""
        if message:
            raise SmokeFailure(f"{what}: {message}")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what}: not done after {timeout_s:.0f} s")
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def run(out_png: str | os.PathLike, audio_path: str | os.PathLike | None = None, *,
        timeout_s: float = 600.0, log: Callable[[str], None] = print) -> dict:
    """Run the smoke test in this process; returns what it measured.

    Returns
    -------
    dict
        ``startup_s`` (process start to window shown), ``open_s``, ``tool_s``,
        ``notes`` (notes found), ``screenshot`` (path), ``size`` (w, h).

    Raises
    ------
    SmokeFailure
        A step failed or timed out (the message says which).
    """
    from app.main import build_window, create_app

    audio = Path(audio_path) if audio_path else demo_clip()
    if not audio.is_file():
        raise SmokeFailure(f"no audio file at {audio}")
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)

    app = create_app()
    window = build_window([], autosave=False)
    _wait(app, window.isVisible, 30, "showing the window")
    startup_s = process_age_s()
    log(f"smoke: window shown {startup_s:.1f} s after the process started")

    def failed() -> str:
        return window.last_error

    t0 = time.monotonic()
    window.open_path(str(audio))
    _wait(app, lambda: bool(window.model.tracks) and not window.runner.running_jobs(),
          timeout_s, f"opening {audio.name}", failed)
    track = window.model.tracks[0]
    open_s = time.monotonic() - t0
    log(f"smoke: opened {audio.name} ({track.audio.duration_s:.1f} s) in {open_s:.1f} s")

    panel = window.tool_panels["Transcribe"]
    notes = panel.notes
    window.tools.setCurrentWidget(panel)
    panel.tabs.setCurrentWidget(notes)
    notes.analyse_check.setChecked(False)
    t0 = time.monotonic()
    notes.transcribe()

    def notes_layer():
        return next((lr for lr in track.layers if lr.kind == "notes"), None)

    _wait(app, lambda: notes_layer() is not None and not window.runner.running_jobs(),
          timeout_s, "transcribing notes", failed)
    tool_s = time.monotonic() - t0
    n_notes = len(notes_layer().data.get("notes", []))
    if n_notes == 0:
        raise SmokeFailure("transcribing notes: the tool found no notes")
    log(f"smoke: transcribed {n_notes} notes with Basic Pitch in {tool_s:.1f} s")

    _wait(app, lambda: True, 1, "drawing")
    for _ in range(20):  # let the spectrogram tiles and the piano roll paint
        app.processEvents()
        time.sleep(0.05)
    image = window.grab().toImage()
    if image.isNull() or not image.save(str(out), "PNG"):
        raise SmokeFailure(f"could not save the screenshot to {out}")
    log(f"smoke: screenshot {out} ({image.width()}x{image.height()})")
    result = {"startup_s": startup_s, "open_s": open_s, "tool_s": tool_s,
              "notes": n_notes, "screenshot": str(out), "size": (image.width(), image.height())}
    window.close_discarding()
    app.processEvents()
    return result


def main(argv: list[str] | None = None) -> int:
    """``resonote --smoke-test OUT.png [FILE]``: exit status 0 when every step worked."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) > 2 or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    scratch = None
    if not os.environ.get("RESONOTE_CONFIG_DIR") or not os.environ.get("RESONOTE_STATE_DIR"):
        scratch = tempfile.TemporaryDirectory(prefix="resonote-smoke-")
        os.environ.setdefault("RESONOTE_CONFIG_DIR", os.path.join(scratch.name, "config"))
        os.environ.setdefault("RESONOTE_STATE_DIR", os.path.join(scratch.name, "state"))
    try:
        run(args[0], args[1] if len(args) > 1 else None)
    except SmokeFailure as exc:
        print(f"resonote smoke test failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if scratch is not None:
            scratch.cleanup()
    print("smoke: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
