"""``separate()``: one entry point for every separation method."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.separate.embedded import DESCRIPTIONS, EMBEDDED
from core.separate.stems import Separation, residual_of, select_stems

#: Stems of the catalogue's Demucs models (listing them needs no download).
DEMUCS_STEMS = {
    "htdemucs": ("drums", "bass", "other", "vocals"),
    "htdemucs_ft": ("drums", "bass", "other", "vocals"),
    "htdemucs_6s": ("drums", "bass", "other", "vocals", "guitar", "piano"),
}


@dataclass(frozen=True)
class SeparationModel:
    """One choice for the model menu.

    Attributes
    ----------
    name : str
    stems : tuple of str
        What it makes (empty when unknown until loaded).
    description : str
    embedded : bool
        Works offline with nothing to download.
    installed : bool
        Usable now (embedded, or downloaded).
    """

    name: str
    stems: tuple
    description: str
    embedded: bool
    installed: bool


def list_models() -> list[SeparationModel]:
    """Every separation method: the embedded ones first, then the registry's models."""
    from core import models

    out = [SeparationModel(n, s, DESCRIPTIONS[n], True, True) for n, s in EMBEDDED.items()]
    for spec in models.all_models("separation"):
        stems = DEMUCS_STEMS.get(spec.name) or tuple(spec.extra.get("sources", ()))
        out.append(SeparationModel(spec.name, stems, spec.description, False,
                                   models.status(spec.name).installed))
    return out


def _region(audio: Audio, preview_s) -> tuple[Audio, float]:
    if preview_s is None:
        return audio, 0.0
    if isinstance(preview_s, (tuple, list)):
        start, stop = float(preview_s[0]), float(preview_s[1])
    else:
        start, stop = 0.0, float(preview_s)
    if not (0.0 <= start < stop):
        raise InvalidParameterError(
            f"The preview region must have a start before its end; got {start}..{stop} s.")
    if start >= audio.duration_s:
        raise InvalidParameterError(
            f"The preview starts at {start:g} s, after the end of the audio "
            f"({audio.duration_s:.1f} s).")
    return audio.slice_seconds(start, stop), start


def _fit(x: np.ndarray, frames: int) -> np.ndarray:
    if x.shape[-1] >= frames:
        return x[..., :frames]
    return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, frames - x.shape[-1])])


def separate(
    audio: Audio,
    *,
    model: str = "hpss",
    stems: Union[str, Sequence[str], None] = None,
    exclude: Union[str, Sequence[str], None] = None,
    residual: Optional[bool] = None,
    shifts: int = 0,
    overlap: float = 0.25,
    segment_s: Optional[float] = None,
    device: Optional[str] = None,
    preview_s: Union[float, tuple, None] = None,
    allow_download: bool = False,
    scratch_dir=None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Separation:
    """Split ``audio`` into stems.

    Parameters
    ----------
    audio : Audio
        Any sample rate and channel count (centre/sides needs stereo).
    model : str
        ``"hpss"`` (harmonic, percussive), ``"repet"`` (vocals, accompaniment),
        ``"midside"`` (center, sides) work offline; registry models
        (``"htdemucs"``, ``"htdemucs_ft"``, ``"htdemucs_6s"``) make drums, bass,
        other, vocals (+ guitar, piano) once downloaded.
    stems : str or sequence of str, optional
        Subset to render (``("vocals",)``); None renders every stem.
    exclude : str or sequence of str, optional
        Stems to leave out: ``exclude=("vocals",)`` is "everything but vocals".
    residual : bool, optional
        Also return ``mix - sum(stems)``.  None (default): only when a subset
        was asked for.
    shifts : int
        Demucs "shift trick": average N passes over shifted copies (N times
        slower, slightly better).  0 = one pass.
    overlap : float
        Window overlap in [0, 1).
    segment_s : float, optional
        Window length in seconds (Demucs: at most the model's 7.8 s).  Default:
        the model's own (Demucs) or 30 s (embedded).
    device : str, optional
        ``"cpu"``, ``"cuda"``... (:func:`core.devices.pick`); embedded methods
        always run on the CPU.
    preview_s : float or (start_s, stop_s), optional
        Render only the first N seconds, or only that region, quickly.
    allow_download : bool
        Download a registry model that is missing (otherwise
        :class:`~core.errors.ModelNotInstalledError` says how to get it).
    scratch_dir : path-like, optional
        Keep the stems in a disk-backed scratch array in this folder
        (:mod:`core.scratch`) instead of memory, for callers that write them to files
        block by block (the CLI, batch): memory then does not grow with the song.
    progress, cancel :
        One report per window; cancelling raises ``JobCancelled`` within one
        window.

    Returns
    -------
    Separation
        Stems at ``audio.sr`` with ``audio.channels`` channels and exactly the
        rendered region's frame count.
    """
    if shifts < 0 or shifts > 20:
        raise InvalidParameterError(f"Shifts must be between 0 and 20; got {shifts}.")
    if not 0.0 <= overlap < 0.95:
        raise InvalidParameterError(f"Overlap must be between 0 and 0.95; got {overlap}.")
    if segment_s is not None and segment_s <= 0:
        raise InvalidParameterError(f"The window length must be positive; got {segment_s} s.")
    audio.check_finite()
    region, start_s = _region(audio, preview_s)
    mix = region.samples
    if region.frames == 0:
        raise InvalidParameterError("There is no audio to separate.")
    info = {"preview": preview_s is not None, "shifts": shifts}
    check(cancel)
    if model in EMBEDDED:
        names = EMBEDDED[model]
        wanted = select_stems(names, stems, exclude)
        from core.separate.embedded import run_embedded

        info["device"] = "cpu"
        out = run_embedded(model, mix, region.sr, wanted, segment_s=segment_s, overlap=overlap,
                           progress=progress, cancel=cancel, scratch_dir=scratch_dir)
    else:
        from core import devices
        from core.audio import resample
        from core.separate.demucs_models import load_bundle, run_bundle

        dev = devices.pick(device)
        info["device"] = dev
        progress(Progress("load", 0, 0, f"loading {model}"))
        bundle = load_bundle(model, allow_download=allow_download, progress=progress,
                             cancel=cancel)
        names = bundle.sources
        wanted = select_stems(names, stems, exclude)
        work = resample(region, bundle.samplerate)
        seg = None if segment_s is None else int(segment_s * bundle.samplerate)
        y = run_bundle(bundle, work.samples, wanted, device=dev, shifts=shifts,
                       overlap=overlap, segment=seg, progress=progress, cancel=cancel,
                       scratch_dir=scratch_dir if work.sr == region.sr else None)
        if work.sr != region.sr:
            y = np.stack([resample(Audio(s, work.sr), region.sr).samples for s in y])
        out = _fit(y, region.frames)
    check(cancel)
    info["all_stems"] = tuple(names)
    meta = dict(audio.metadata)
    result = {names[i]: Audio(out[k], region.sr, {**meta, "stem": names[i]})
              for k, i in enumerate(wanted)}
    want_res = residual if residual is not None else len(wanted) < len(names)
    res = Audio(residual_of(mix, out), region.sr, {**meta, "stem": "residual"}) \
        if want_res else None
    return Separation(stems=result, model=model, residual=res, start_s=start_s, info=info)
