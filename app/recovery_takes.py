"""Start-up recovery of takes whose recording was cut off (crash, SIGKILL, power cut).

:func:`offer_take_recovery` is called once the main window is on screen.  It
lists the orphaned takes (:func:`core.record.orphaned_takes`), asks the user,
repairs them (:func:`core.record.recover_takes`: the WAV header is set from
what the file really holds) and adds each as a new ``"recording"`` track.
Declined takes stay in the takes folder, untouched, and are offered again at
the next start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox


def offer_take_recovery(window: Any, directory: Path | None = None) -> list:
    """Offer to recover interrupted takes as new tracks.

    Parameters
    ----------
    window : MainWindow
        Asks with ``window.ask`` and adds tracks with ``add_track_from_job``
        (through the job runner: the tracks appear when loaded).
    directory : Path or None
        Takes folder (default :func:`core.record.default_takes_dir`).

    Returns
    -------
    list of core.record.Take
        The takes recovered and being loaded (empty when there were none or
        the user said no).
    """
    from app.panels.record_takes import describe_take, load_take_as_track, next_take_number
    from core.record import orphaned_takes, recover_takes

    try:
        orphans = orphaned_takes(directory)
    except OSError:
        return []
    if not orphans:
        return []
    lines = "\n".join(f"  • {describe_take(t)}" for t in orphans[:8])
    more = f"\n  … and {len(orphans) - 8} more" if len(orphans) > 8 else ""
    Btn = QMessageBox.StandardButton
    answer = window.ask(
        "Recover recordings",
        f"Resonote stopped while recording. {len(orphans)} take(s) can be recovered:\n"
        f"{lines}{more}\n\nRecover them as new tracks?  (If not, they stay in "
        f"{orphans[0].path.parent} and are offered again next time.)",
        Btn.Yes | Btn.No, Btn.Yes)
    if answer != Btn.Yes:
        return []
    takes = recover_takes(directory)
    first = next_take_number(window.model)
    for i, take in enumerate(takes):
        load_take_as_track(window, take, f"Take {first + i} (recovered)")
    failed = [t for t in orphans if t.path not in {r.path for r in takes}]
    if failed:
        window.show_error("Recover recordings",
                          "Some takes could not be recovered: "
                          + "; ".join(f"{t.path.name}: {t.error}" for t in failed))
    return takes
