"""Measuring the round-trip latency of an audio input/output pair.

A short chirp is played on the output of a full-duplex stream and found in
the input by cross-correlation (a loopback cable, a microphone near a
speaker, or a PulseAudio null sink whose monitor is the input).  Two figures
come out:

* ``round_trip_s``: from a frame handed to the output to the same sound
  handed back by the input — what a musician hears as the delay;
* ``extra_s``: the part of it that PortAudio's timestamps (the capture "ADC"
  and playback "DAC" times the driver reports) do not account for —
  converters, cables, air.  This is what is added when a take recorded over
  playback is placed on the timeline from those timestamps
  (:meth:`core.record.Recorder.start` ``latency_s``, the Record panel).

Several chirps are measured; the median is kept, and the spread says how
stable it is.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import AudioDeviceError, InvalidParameterError
from core.jobs import CancelToken, Progress, check


@dataclass(frozen=True)
class LatencyMeasurement:
    """Result of :func:`measure_latency` (seconds).

    Attributes
    ----------
    round_trip_s : float
        Output-to-input delay, median of the chirps.
    extra_s : float
        Delay beyond what the driver reports (ADC time − DAC time of the chirp).
    reported_s : float
        Input + output latency PortAudio reports for the stream.
    spread_s : float
        Largest difference between the chirps' round trips (stability).
    correlation : float
        Normalised correlation of the weakest detected chirp, 0–1 (how clearly it was heard).
    """

    round_trip_s: float
    extra_s: float
    reported_s: float
    spread_s: float
    correlation: float


def chirp(sr: int, *, duration_s: float = 0.1, f0: float = 300.0, f1: float = 6000.0) -> np.ndarray:
    """A Hann-windowed exponential sweep, float32 ``(frames,)``, peak 0.5."""
    n = round(duration_s * sr)
    t = np.arange(n) / sr
    k = np.log(f1 / f0)
    phase = 2 * np.pi * f0 * duration_s / k * (np.exp(t / duration_s * k) - 1)
    return (0.5 * np.hanning(n) * np.sin(phase)).astype(np.float32)


def measure_latency(*, device: int | str | None = None, output_device: int | str | None = None,
                    sr: int = 48000, chirps: int = 5, gap_s: float = 0.4,
                    blocksize: int = 512, latency: str | float = "low",
                    min_correlation: float = 0.3, attempts: int = 2, progress=None,
                    cancel: CancelToken | None = None) -> LatencyMeasurement:
    """Play chirps on the output and time their return on the input.

    Parameters
    ----------
    device, output_device : int, str or None
        Input and output (None: the input's own device when it can play, else
        the default output).  They must be able to run as one full-duplex stream.
    sr : int
        Sample rate, Hz.
    chirps : int
        Chirps to time (the median is kept).
    gap_s : float
        Time between chirps, seconds (longer than the largest expected latency).
    blocksize, latency
        PortAudio settings, as the recorder uses them.
    min_correlation : float
        A chirp heard less clearly than this (normalised correlation) is not counted.
    attempts : int
        Measure again this many times in all when the chirps were not heard or
        disagreed (a device that was still starting up, a busy computer).

    Returns
    -------
    LatencyMeasurement

    Raises
    ------
    AudioDeviceError
        The devices cannot run full duplex, or the chirp was not heard back
        (no loopback: turn the speaker up, hold the microphone near it).
    """
    if not 1 <= chirps <= 20 or gap_s < 0.2:
        raise InvalidParameterError("Use 1–20 chirps at least 0.2 s apart.")
    for attempt in range(max(1, attempts)):
        try:
            return _measure_once(device, output_device, sr, chirps, gap_s, blocksize, latency,
                                 min_correlation, progress, cancel)
        except _NotHeard:
            if attempt + 1 >= max(1, attempts):
                raise
    raise AssertionError("unreachable")


class _NotHeard(AudioDeviceError):
    """The chirps did not come back clearly (worth another try)."""


def _measure_once(device, output_device, sr, chirps, gap_s, blocksize, latency,
                  min_correlation, progress, cancel) -> LatencyMeasurement:
    from core.playback.devices import resolve_output
    from core.record.devices import resolve_input, sounddevice_module

    sd = sounddevice_module()
    dev = resolve_input(device)
    try:
        out = resolve_output(dev.index if output_device is None else output_device)
    except AudioDeviceError:
        out = resolve_output(output_device)
    sweep = chirp(sr)
    lead, gap = round(0.6 * sr), round(gap_s * sr)  # the lead lets the device settle
    total = lead + chirps * gap + round(0.3 * sr)
    play = np.zeros(total, np.float32)
    marks = [lead + i * gap for i in range(chirps)]
    for m in marks:
        play[m : m + sweep.size] = sweep
    heard = np.zeros(total, np.float32)
    n_blocks = total // blocksize + 2
    stamps = np.zeros((n_blocks, 3))  # frame, ADC time, DAC time
    state = {"pos": 0, "k": 0}
    done = threading.Event()

    def callback(indata: np.ndarray, outdata: np.ndarray, frames: int, ti: Any, status: Any) -> None:
        p = state["pos"]
        m = max(0, min(frames, total - p))
        outdata[:m, :] = play[p : p + m, None]
        outdata[m:] = 0.0
        heard[p : p + m] = indata[:m, 0]
        k = state["k"]
        if k < n_blocks:
            stamps[k] = (p, ti.inputBufferAdcTime, ti.outputBufferDacTime)
            state["k"] = k + 1
        state["pos"] = p + m
        if p + m >= total:
            raise sd.CallbackStop

    out_ch = min(2, out.channels)
    try:
        stream = sd.Stream(device=(dev.index, out.index), samplerate=sr, channels=(1, out_ch),
                           dtype="float32", blocksize=blocksize, latency=latency,
                           callback=callback, finished_callback=done.set)
    except Exception as exc:
        raise AudioDeviceError(
            f"Latency cannot be measured: \u201c{dev.name}\u201d and \u201c{out.name}\u201d "
            f"cannot play and record together ({exc}).") from exc
    with stream:
        reported = float(sum(stream.latency))
        stream.start()
        limit = total / sr + 5.0
        waited = 0.0
        while not done.wait(0.1):
            waited += 0.1
            check(cancel)
            if progress is not None:
                progress(Progress("latency", min(state["pos"], total), total,
                                  "Playing test chirps"))
            if waited > limit:
                raise AudioDeviceError(f"\u201c{dev.name}\u201d stopped delivering sound while "
                                       "the latency was being measured.")
    return _analyse(play, heard, marks, sweep, stamps[: state["k"]], sr, gap, reported,
                    min_correlation)


def _analyse(play: np.ndarray, heard: np.ndarray, marks: list[int], sweep: np.ndarray,
             stamps: np.ndarray, sr: int, gap: int, reported: float,
             min_correlation: float) -> LatencyMeasurement:
    lags, extras, corrs = [], [], []
    energy = float(np.sqrt(np.sum(sweep.astype(np.float64) ** 2)))
    for m in marks:
        seg = heard[m : m + gap].astype(np.float64)  # the chirp comes back within one gap
        if seg.size < sweep.size:
            continue
        n = seg.size + sweep.size
        xc = np.fft.irfft(np.fft.rfft(seg, n) * np.conj(np.fft.rfft(sweep, n)), n)[: seg.size]
        lag = int(np.argmax(np.abs(xc)))
        local = seg[lag : lag + sweep.size]
        norm = energy * float(np.sqrt(np.sum(local**2))) + 1e-12
        c = float(abs(xc[lag]) / norm)
        if c < min_correlation:
            continue
        lags.append(lag)
        corrs.append(c)
        if stamps.size and np.all(stamps[:, 1:] > 0):
            extras.append(_time_at(stamps, m + lag, 1, sr) - _time_at(stamps, m, 2, sr))
    if not lags:
        raise _NotHeard(
            "The test sound was not heard back on the input. Connect the output to the input "
            "(or hold the microphone near the speaker, volume up) and measure again.")
    mid = statistics.median(lags)
    keep = [i for i, lag in enumerate(lags) if abs(lag - mid) <= 0.005 * sr]  # a glitch is not latency
    if len(keep) * 2 <= len(marks):
        raise _NotHeard(
            "The latency was not stable from one test sound to the next (the computer may be "
            "busy, or the sound was not heard clearly); measure again.")
    good = [lags[i] for i in keep]
    extra = statistics.median([extras[i] for i in keep]) if len(extras) == len(lags) else 0.0
    return LatencyMeasurement(round_trip_s=statistics.median(good) / sr, extra_s=float(extra),
                              reported_s=reported, spread_s=(max(good) - min(good)) / sr,
                              correlation=min(corrs[i] for i in keep))


def _time_at(stamps: np.ndarray, frame: int, col: int, sr: int) -> float:
    """PortAudio time of ``frame`` from the block timestamps (ADC: col 1, DAC: col 2)."""
    k = int(np.searchsorted(stamps[:, 0], frame, side="right")) - 1
    k = max(0, k)
    return float(stamps[k, col] + (frame - stamps[k, 0]) / sr)
