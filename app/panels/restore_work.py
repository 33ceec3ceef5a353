"""Work behind the Restore panel, run on the job runner's worker threads (no Qt here).

* :func:`process` runs one tool or a chain on a track or on a region of it.  For a
  region, a little context either side is processed too (so filters settle), then only
  the region is put back into a copy of the whole track with ~10 ms cross-fades at its
  edges: the new version lines up sample for sample with the original.
* :func:`render_preview` does the same on a few seconds only, for instant A/B.
* :func:`describe` turns a tool's report into the line the panel shows.

Heavy imports (the restoration engine) happen inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from core.audio import Audio

#: Cross-fade at the edges of a processed region, seconds.
EDGE_FADE_S = 0.010
#: Audio processed beyond each edge of a region so filters and models settle, seconds.
CONTEXT_S = 0.5
#: Longest preview, seconds.
PREVIEW_MAX_S = 10.0
#: Preview length when nothing is selected (from the playhead), seconds.
PREVIEW_DEFAULT_S = 5.0

TOOL_LABELS = {"denoise": "Denoise", "declip": "Declip", "declick": "Declick",
               "dehum": "Dehum", "dereverb": "Dereverb", "loudness": "Loudness"}


@dataclass
class Processed:
    """What :func:`process` returns.

    ``audio``: the new version (same rate, channels and frames as the track);
    ``report``: the tool's (or chain's) report; ``difference``: original − restored
    (None unless asked for); ``region``: the frames ``(start, stop)`` that changed.
    """

    audio: Audio
    report: dict
    difference: Optional[Audio]
    region: tuple[int, int]


def _run(audio: Audio, tool: str, params: dict, chain: Any, progress, cancel):
    from core.restore.chain import _tools, run_chain

    if chain is not None:
        return run_chain(audio, chain, progress=progress, cancel=cancel)
    return _tools()[tool](audio, **params, progress=progress, cancel=cancel)


def edge_weights(n: int, fade: int, *, fade_in: bool = True, fade_out: bool = True) -> np.ndarray:
    """Weights of the processed signal over a region of ``n`` frames: 1 inside, raised-cosine
    ramps of ``fade`` frames at the edges that border untouched audio."""
    w = np.ones(n)
    fade = min(fade, n // 2)
    if fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
        if fade_in:
            w[:fade] = ramp
        if fade_out:
            w[n - fade:] = ramp[::-1]
    return w


def process(audio: Audio, tool: str, params: dict, *, region_s: Optional[tuple] = None,
            chain: Any = None, difference: bool = False, progress=None,
            cancel=None) -> Processed:
    """Restore ``audio`` with ``tool(**params)`` (or ``chain``), whole or in ``region_s``.

    Parameters
    ----------
    audio : Audio
        The whole track, ``(channels, frames)`` at ``audio.sr``.
    tool, params
        A tool name of :data:`core.restore.chain.TOOLS` and its keyword settings.
    region_s : (t0, t1) or None
        Seconds from the start of the track; None processes everything.
    chain : core.restore.Chain or None
        Run this chain instead of ``tool``.
    difference : bool
        Also return original − restored.
    """
    from core.jobs import no_progress

    progress = progress or no_progress
    n = audio.frames
    if region_s is None:
        a, b = 0, n
    else:
        a = max(0, min(n, int(round(region_s[0] * audio.sr))))
        b = max(a, min(n, int(round(region_s[1] * audio.sr))))
    if b - a < 1:
        from core.errors import InvalidParameterError

        raise InvalidParameterError("The selection is empty: select some audio first.")
    ctx = int(CONTEXT_S * audio.sr) if (a, b) != (0, n) else 0
    s, e = max(0, a - ctx), min(n, b + ctx)
    seg = Audio(audio.samples[:, s:e], audio.sr, dict(audio.metadata))
    result = _run(seg, tool, params, chain, progress, cancel)
    proc = result.audio.samples[:, a - s: b - s].astype(np.float64)
    orig = audio.samples.astype(np.float64)
    out = orig.copy()
    w = edge_weights(b - a, int(EDGE_FADE_S * audio.sr), fade_in=a > 0, fade_out=b < n)
    out[:, a:b] = orig[:, a:b] * (1.0 - w) + proc * w
    restored = Audio(out.astype(np.float32), audio.sr, dict(audio.metadata))
    diff = None
    if difference:
        diff = Audio((orig - restored.samples.astype(np.float64)).astype(np.float32),
                     audio.sr, dict(audio.metadata))
    return Processed(restored, result.report, diff, (a, b))


def preview_region(duration_s: float, selection_s: Optional[tuple], playhead_s: float
                   ) -> tuple[float, float]:
    """Seconds of the track a preview renders: the selection (at most 10 s), else 5 s from
    the playhead (moved back so it fits in the track)."""
    if selection_s is not None and selection_s[1] > selection_s[0]:
        t0 = max(0.0, selection_s[0])
        return t0, min(duration_s, selection_s[1], t0 + PREVIEW_MAX_S)
    length = min(PREVIEW_DEFAULT_S, duration_s)
    t0 = min(max(0.0, playhead_s), max(0.0, duration_s - length))
    return t0, t0 + length


def render_preview(audio: Audio, tool: str, params: dict, *, region_s: tuple,
                   chain: Any = None, progress=None, cancel=None) -> tuple[Audio, dict]:
    """The restored audio of ``region_s`` only (with context processed, then trimmed)."""
    n = audio.frames
    a = max(0, min(n, int(round(region_s[0] * audio.sr))))
    b = max(a, min(n, int(round(region_s[1] * audio.sr))))
    ctx = int(CONTEXT_S * audio.sr)
    s, e = max(0, a - ctx), min(n, b + ctx)
    seg = Audio(audio.samples[:, s:e], audio.sr, dict(audio.metadata))
    from core.jobs import no_progress

    result = _run(seg, tool, params, chain, progress or no_progress, cancel)
    out = result.audio.samples[:, a - s: b - s]
    return Audio(np.ascontiguousarray(out), audio.sr, dict(audio.metadata)), result.report


def measure(audio: Audio, *, region_s: Optional[tuple] = None, progress=None,
            cancel=None) -> dict:
    """Loudness of ``audio`` (or of ``region_s`` of it): see core.restore.measure_loudness."""
    from core.errors import InvalidParameterError
    from core.restore.loudness import MIN_SECONDS, measure_loudness

    if region_s is not None:
        a = max(0, int(round(region_s[0] * audio.sr)))
        b = min(audio.frames, int(round(region_s[1] * audio.sr)))
        audio = Audio(audio.samples[:, a:b], audio.sr)
    if audio.duration_s < MIN_SECONDS:
        raise InvalidParameterError(
            f"Select at least {MIN_SECONDS} s to measure loudness "
            f"({audio.duration_s:.2f} s selected).")
    return measure_loudness(audio)


# -- words ----------------------------------------------------------------------------------
def _num(v, fmt: str, unit: str) -> str:
    return "—" if v is None else f"{v:{fmt}} {unit}"


def describe_loudness(m: dict) -> str:
    """``Integrated -18.2 LUFS · True peak -3.1 dBTP · LRA 4.0 LU``."""
    return (f"Integrated {_num(m.get('integrated_lufs'), '.1f', 'LUFS')} · "
            f"True peak {_num(m.get('true_peak_dbtp'), '.1f', 'dBTP')} · "
            f"LRA {_num(m.get('lra_lu'), '.1f', 'LU')}")


def describe(report: dict) -> str:
    """One or two plain lines saying what a tool found and did."""
    t = report.get("tool")
    if t == "declip":
        n = report["clipped_samples"]
        if not n:
            return "Declip: no clipping found; the audio is unchanged."
        return (f"Declip: {report['clipped_percent']:.2f} % of samples were clipped "
                f"({n} samples in {report['clipped_runs']} runs); peaks rebuilt "
                f"(new peak {report['peak_after']:.2f}).")
    if t == "declick":
        return (f"Declick: {report['clicks']} clicks repaired "
                f"({report['repaired_samples']} samples).")
    if t == "dehum":
        f0 = report["fundamental_hz"]
        if f0 is None:
            return "Dehum: no hum found; the audio is unchanged."
        how = "found" if report.get("measured") else "set"
        return (f"Dehum: hum at {f0:.2f} Hz ({how}); {len(report['notches_hz'])} "
                f"harmonics notched up to {max(report['notches_hz']):.0f} Hz.")
    if t == "loudness":
        line = (f"Loudness: before {describe_loudness(report['before'])}\n"
                f"after {describe_loudness(report['after'])} (gain {report['gain_db']:+.1f} dB"
                f"{', limited' if report.get('limited') else ''})")
        return line + (f"\n⚠ {report['warning']}" if report.get("warning") else "")
    if t in ("denoise", "dereverb"):
        r = report.get("removed_db")
        what = "Denoise" if t == "denoise" else "Dereverb"
        extra = f" with {report['method']}" if t == "denoise" else ""
        if t == "denoise":
            bits = []
            if report.get("profile_s"):
                bits.append(f"noise profile {report['profile_s']:.2f} s")
            if report.get("atten_limit_db") is not None:
                bits.append(f"at most {report['atten_limit_db']:g} dB")
            extra += f" ({', '.join(bits)})" if bits else ""
        return (f"{what}{extra}: removed {r:.1f} dB relative to the input." if r is not None
                else f"{what}{extra}: nothing removed.")
    if t == "chain":
        name = f" “{report['name']}”" if report.get("name") else ""
        return f"Chain{name}:\n" + "\n".join(
            f"{i}. {describe(r)}" for i, r in enumerate(report["steps"], 1))
    return str(t)


def step_label(tool: str, params: dict) -> str:
    """A chain step as the list shows it, e.g. ``Dehum — 50 Hz, 8 harmonics``."""
    p = params
    if tool == "denoise":
        bits = [p.get("method", "deepfilter")]
        if p.get("atten_limit_db") is not None:
            bits.append(f"≤ {p['atten_limit_db']:g} dB")
        if p.get("mix", 1.0) < 1.0:
            bits.append(f"mix {100 * p['mix']:.0f} %")
        if p.get("noise_profile") is not None:
            t0, t1 = p["noise_profile"]
            bits.append(f"profile {t0:.2f}–{t1:.2f} s")
    elif tool == "declip":
        bits = ["auto level" if p.get("threshold") is None else f"level {p['threshold']:g}"]
    elif tool == "declick":
        bits = [f"sensitivity {100 * p.get('sensitivity', 0.5):.0f} %"]
    elif tool == "dehum":
        f0 = p.get("fundamental_hz")
        bits = ["auto" if f0 is None else f"{f0:g} Hz", f"{p.get('harmonics', 8)} harmonics"]
    elif tool == "dereverb":
        bits = [f"{p.get('taps', 10)} taps", f"mix {100 * p.get('mix', 1.0):.0f} %"]
    elif tool == "loudness":
        bits = [f"{p.get('target_lufs', -14):g} LUFS", f"ceiling {p.get('true_peak_dbtp', -1):g} dBTP"]
    else:
        bits = []
    return f"{TOOL_LABELS.get(tool, tool)} — {', '.join(bits)}"
