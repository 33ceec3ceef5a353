"""The Separate panel's background work and naming rules (no Qt here).

Job functions run on the job runner's worker thread: they take ``progress=``
and ``cancel=`` and import the engine only when they run, so opening the
window stays light.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Friendly names of the methods (the menu shows these; the engine takes the key).
MODEL_LABELS = {
    "hpss": "Harmonic / percussive",
    "repet": "Vocals / accompaniment (REPET)",
    "midside": "Centre / sides (stereo)",
    "htdemucs": "Demucs v4 — 4 stems",
    "htdemucs_ft": "Demucs v4 fine-tuned — 4 stems",
    "htdemucs_6s": "Demucs v4 — 6 stems",
}

#: Colour of each stem's track, so a stem looks the same in every song.
STEM_COLOURS = {
    "vocals": "#ff6b81", "drums": "#ff9f40", "bass": "#4fa3ff", "other": "#5fd38d",
    "guitar": "#ffd84f", "piano": "#b48cff", "harmonic": "#40d9d9", "percussive": "#ff9f40",
    "accompaniment": "#4fa3ff", "center": "#ffd84f", "sides": "#e07fd0",
    "residual": "#9aa3ad",
}
COMBINED_COLOUR = "#a3e04f"

#: Seconds a preview renders when nothing is selected.
PREVIEW_S = 20.0


@dataclass
class StemResult:
    """What a separation job hands back to the panel.

    Attributes
    ----------
    source_id : str
        The track that was separated.
    stems : list of (label, Audio, kind)
        In track order; ``kind`` is ``"stem"`` or ``"residual"``.
    start_s : float
        Where the rendered region starts in the source track's audio.
    preview : bool
    model : str
    info : dict
        The engine's facts (device, shifts...).
    """

    source_id: str
    stems: list
    start_s: float
    preview: bool
    model: str
    info: dict


def stem_colour(label: str) -> str:
    """Track colour for a stem label (combined stems get one shared colour)."""
    return STEM_COLOURS.get(label, COMBINED_COLOUR)


def combined_label(kept: Sequence[str], excluded: Sequence[str]) -> str:
    """Name of several stems mixed into one track: "without vocals" or "drums + bass"."""
    if excluded:
        return "without " + " & ".join(excluded)
    return " + ".join(kept)


def run_separation(audio: Any, *, source_id: str, model: str, stems: Sequence[str] | None,
                   exclude: Sequence[str] | None, residual: bool, combine: bool, shifts: int,
                   preview_s: float | tuple | None, progress=None, cancel=None) -> StemResult:
    """Separate ``audio`` (a :class:`core.audio.Audio`) on a worker thread.

    ``combine`` mixes the rendered stems into one track (e.g. a karaoke
    "without vocals").  Returns a :class:`StemResult`; every Audio in it has
    the input's sample rate and channel count.
    """
    from core.audio import Audio
    from core.jobs import check, no_progress
    from core.separate import separate

    sep = separate(audio, model=model, stems=stems or None, exclude=exclude or None,
                   residual=residual, shifts=shifts, preview_s=preview_s,
                   progress=progress or no_progress, cancel=cancel)
    check(cancel)
    items: list = [(name, a, "stem") for name, a in sep.stems.items()]
    if combine and len(items) > 1:
        total = np.zeros_like(items[0][1].samples, dtype=np.float64)
        for _, a, _ in items:
            total += a.samples
        label = combined_label([n for n, _, _ in items], list(exclude or ()))
        items = [(label, Audio(total.astype(np.float32), items[0][1].sr), "stem")]
    if sep.residual is not None:
        items.append(("residual", sep.residual, "residual"))
    return StemResult(source_id=source_id, stems=items, start_s=sep.start_s,
                      preview=preview_s is not None, model=model, info=dict(sep.info))


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_file_name(name: str) -> str:
    """A file name that every desktop system (and DAW) accepts, from a track name."""
    name = _UNSAFE.sub("_", name.replace("–", "-")).strip(" .")
    return name or "stem"


def export_paths(names: Sequence[str], folder: str | Path, ext: str) -> list[Path]:
    """One file per track name in ``folder``; duplicate names get " (2)", " (3)"..."""
    out: list[Path] = []
    used: set[str] = set()
    for name in names:
        base = safe_file_name(name)
        stem, n = base, 2
        while stem.lower() in used:
            stem, n = f"{base} ({n})", n + 1
        used.add(stem.lower())
        out.append(Path(folder) / f"{stem}{ext}")
    return out


def export_stems(items: Sequence[tuple], *, subtype: str, progress=None,
                 cancel=None) -> list[Path]:
    """Write ``items`` = [(Audio, path), ...] with :func:`core.audio.save` (atomic writes).

    Existing files are replaced (the panel asked first).  When cancelled,
    the files this job created are removed again, so a cancelled export
    leaves nothing half-done behind.
    """
    from core.audio import save
    from core.jobs import JobCancelled, Progress, check

    total = sum(a.frames for a, _ in items) or 1
    done = 0
    created: list[Path] = []
    written: list[Path] = []
    try:
        for audio, path in items:
            check(cancel)
            path = Path(path)
            existed = path.exists()

            def report(p, base=done, name=path.name, frames=audio.frames):
                if progress is not None and p.total:
                    frac_frames = base + p.done * frames / p.total
                    progress(Progress("export", int(frac_frames), total, f"Writing {name}"))

            save(audio, path, subtype=subtype, overwrite=True, progress=report, cancel=cancel)
            written.append(path)
            if not existed:
                created.append(path)
            done += audio.frames
        check(cancel)
    except JobCancelled:
        for p in created:
            p.unlink(missing_ok=True)
        raise
    return written


def format_time(t: float) -> str:
    """m:ss.s for short labels."""
    t = max(0.0, float(t))
    m, s = divmod(t, 60.0)
    return f"{int(m)}:{s:04.1f}"
