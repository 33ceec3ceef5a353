"""Frame-wise audio features (MFCC, mel, chroma, spectral shape, onset strength, RMS).

All features share one frame grid: frame ``i`` is centred at
``start_s + i * hop_length / sr`` seconds (librosa's ``center=True`` framing),
so they can be stacked into one table and drawn on the project's time axis.
librosa is imported inside :func:`compute_features`, never at module import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress

#: Every feature name, in display order, with what one value means.
FEATURES: dict[str, str] = {
    "mfcc": "Mel-frequency cepstral coefficients (n_mfcc rows, dimensionless)",
    "mel": "Mel spectrogram power in dB re 1.0 (n_mels rows, dB)",
    "chroma": "Chroma: energy per pitch class C, C#, ... B (12 rows, 0..1 per frame)",
    "centroid": "Spectral centroid (Hz)",
    "bandwidth": "Spectral bandwidth around the centroid (Hz)",
    "rolloff": "Spectral roll-off: frequency below which 85% of the energy lies (Hz)",
    "onset": "Onset strength (spectral flux of the mel spectrogram in dB, >= 0)",
    "rms": "Root-mean-square level (linear, full scale = 1)",
}

#: Unit of each feature's values (for plots and CSV headers).
UNITS: dict[str, str] = {"mfcc": "", "mel": "dB", "chroma": "", "centroid": "Hz",
                         "bandwidth": "Hz", "rolloff": "Hz", "onset": "", "rms": ""}

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass
class FeatureSet:
    """Features computed on one shared frame grid.

    Attributes
    ----------
    times_s : np.ndarray [shape=(n_frames,), dtype=float64]
        Centre of each frame in seconds on the source's time axis (the
        requested ``start_s`` is added, so a selection's frames line up with
        the whole track).
    values : dict[str, np.ndarray [shape=(n_rows, n_frames), dtype=float32]]
        One matrix per feature, in the order they were asked for.
    rows : dict[str, list of str]
        Row labels of each feature (``"mfcc_0"``, ``"chroma_C#"``, ``"rms"``).
    sr : int
        Sample rate (Hz) the features were computed at (the source's).
    hop_length, n_fft : int
        Frame hop and FFT size in samples at ``sr``.
    """

    times_s: np.ndarray
    values: dict[str, np.ndarray]
    rows: dict[str, list[str]]
    sr: int
    hop_length: int
    n_fft: int
    params: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.values)

    @property
    def n_frames(self) -> int:
        return int(self.times_s.shape[0])

    def columns(self) -> list[str]:
        """Column names of :meth:`table`: ``time_s`` then every row label."""
        return ["time_s"] + [r for n in self.values for r in self.rows[n]]

    def table(self) -> np.ndarray:
        """All features as one matrix.

        Returns
        -------
        np.ndarray [shape=(n_frames, 1 + total rows), dtype=float64]
            Column 0 is the frame time in seconds, then every feature's rows in
            :meth:`columns` order.
        """
        parts = [self.times_s[:, None]] + [v.T.astype(np.float64) for v in self.values.values()]
        return np.concatenate(parts, axis=1)


def parse_features(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """Feature names from ``"mfcc,chroma"`` or a sequence; None or ``"all"`` means every one.

    Raises
    ------
    InvalidParameterError
        An unknown name (the message lists the known ones).
    """
    if spec is None:
        return tuple(FEATURES)
    names = [s.strip().lower() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    names = [n for n in names if n]
    if not names or names == ["all"]:
        return tuple(FEATURES)
    aliases = {"melspectrogram": "mel", "spectral_centroid": "centroid",
               "spectral_bandwidth": "bandwidth", "spectral_rolloff": "rolloff",
               "onset_strength": "onset"}
    out = []
    for n in names:
        n = aliases.get(n, n)
        if n not in FEATURES:
            raise InvalidParameterError(
                f"Unknown feature '{n}'. Choose from: {', '.join(FEATURES)}.")
        if n not in out:
            out.append(n)
    return tuple(out)


def compute_features(
    audio: Audio,
    *,
    features: str | Sequence[str] | None = None,
    start_s: Optional[float] = None,
    end_s: Optional[float] = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mfcc: int = 13,
    n_mels: int = 64,
    rolloff_percent: float = 0.85,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> FeatureSet:
    """Compute frame-wise features of ``audio`` (or of ``[start_s, end_s)`` of it).

    Channels are averaged to mono first.  One magnitude STFT (Hann window,
    ``n_fft`` samples, hop ``hop_length``, centred frames) feeds every feature.

    Parameters
    ----------
    audio : Audio
        Any sample rate; features are computed at ``audio.sr``.
    features : str or sequence of str, optional
        Names from :data:`FEATURES` (``"mfcc,chroma"``); default all.
    start_s, end_s : float, optional
        Time range in seconds; default the whole audio.  Frame times keep the
        source's time axis (the first frame is at ``start_s``).
    n_fft, hop_length : int
        FFT size and hop in samples.
    n_mfcc, n_mels : int
        Number of MFCCs and of mel bands (the mel spectrogram and the MFCCs
        share the mel filterbank).
    rolloff_percent : float
        Energy fraction for the roll-off frequency (0 < x < 1).
    progress, cancel
        Progress per feature (stage ``"features"``); cancelling raises
        :class:`~core.jobs.JobCancelled` between features.

    Returns
    -------
    FeatureSet
        ``values[name]`` has shape ``(n_rows, n_frames)``: mfcc ``n_mfcc``,
        mel ``n_mels`` (dB), chroma 12, the others 1.

    Raises
    ------
    InvalidParameterError
        Unknown feature, bad range or parameters, or a range shorter than one frame.
    """
    names = parse_features(features)
    if n_fft < 16 or hop_length < 1 or n_mfcc < 1 or n_mels < 1:
        raise InvalidParameterError("n_fft must be >= 16 and hop_length, n_mfcc, n_mels >= 1.")
    if not 0.0 < rolloff_percent < 1.0:
        raise InvalidParameterError("rolloff_percent must be between 0 and 1.")
    t0 = 0.0 if start_s is None else float(start_s)
    t1 = audio.duration_s if end_s is None else float(end_s)
    if t0 < 0 or t1 <= t0 or t0 >= audio.duration_s:
        raise InvalidParameterError(
            f"The range {t0:.3f}-{t1:.3f} s is empty or outside the audio "
            f"(0-{audio.duration_s:.3f} s).")
    y = audio.slice_seconds(t0, min(t1, audio.duration_s)).mono().samples[0]
    if y.size < 2:
        raise InvalidParameterError("The range is too short to analyse.")
    y = np.nan_to_num(y.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    total = len(names) + 1
    progress(Progress("features", 0, total, "spectrum"))
    check(cancel)

    import librosa

    sr = audio.sr
    fft = n_fft
    if y.size < fft:  # short selections: shrink the FFT rather than zero-pad heavily
        fft = max(16, 1 << int(np.floor(np.log2(y.size))))
    mag = np.abs(librosa.stft(y, n_fft=fft, hop_length=hop_length, center=True))
    progress(Progress("features", 1, total, "spectrum"))
    power = mag ** 2
    mel_power = None
    mel_db = None

    def mel() -> np.ndarray:
        nonlocal mel_power, mel_db
        if mel_db is None:
            mel_power = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=n_mels)
            mel_db = librosa.power_to_db(mel_power, ref=1.0, amin=1e-10, top_db=None)
        return mel_db

    values: dict[str, np.ndarray] = {}
    rows: dict[str, list[str]] = {}
    for i, name in enumerate(names, start=2):
        check(cancel)
        if name == "mfcc":
            v = librosa.feature.mfcc(S=mel(), n_mfcc=n_mfcc)
            r = [f"mfcc_{k}" for k in range(v.shape[0])]
        elif name == "mel":
            v = mel()
            freqs = librosa.mel_frequencies(n_mels=n_mels + 2, fmax=sr / 2)[1:-1]
            r = [f"mel_{f:.0f}Hz" for f in freqs]
        elif name == "chroma":
            v = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=fft, tuning=0.0)
            r = [f"chroma_{p}" for p in PITCH_CLASSES]
        elif name == "centroid":
            v = librosa.feature.spectral_centroid(S=mag, sr=sr, n_fft=fft)
            r = ["centroid_hz"]
        elif name == "bandwidth":
            v = librosa.feature.spectral_bandwidth(S=mag, sr=sr, n_fft=fft)
            r = ["bandwidth_hz"]
        elif name == "rolloff":
            v = librosa.feature.spectral_rolloff(S=mag, sr=sr, n_fft=fft,
                                                 roll_percent=rolloff_percent)
            r = ["rolloff_hz"]
        elif name == "onset":
            v = librosa.onset.onset_strength(S=mel(), sr=sr)[None, :]
            r = ["onset_strength"]
        else:  # rms from the samples: the STFT's Hann window would scale it down
            v = librosa.feature.rms(y=y, frame_length=fft, hop_length=hop_length, center=True)
            v = v[:, :mag.shape[1]]
            r = ["rms"]
        values[name] = np.ascontiguousarray(v, dtype=np.float32)
        rows[name] = r
        progress(Progress("features", i, total, name))
    n_frames = mag.shape[1]
    times = t0 + np.arange(n_frames, dtype=np.float64) * hop_length / sr
    return FeatureSet(times_s=times, values=values, rows=rows, sr=sr, hop_length=hop_length,
                      n_fft=fft, params={"n_mfcc": n_mfcc, "n_mels": n_mels,
                                         "rolloff_percent": rolloff_percent,
                                         "start_s": t0, "end_s": min(t1, audio.duration_s)})
