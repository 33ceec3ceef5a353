"""Key (Krumhansl-Schmuckler) and chords (triad templates + HMM/Viterbi) from chroma."""

from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from core.audio import Audio
from core.jobs import CancelToken, check
from core.notes.types import Chord, Key

ANALYSIS_SR = 22050
CHROMA_HOP = 2048            # ~93 ms at 22050 Hz
MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
NO_CHORD = "N"


def chroma(audio: Audio, *, hop_length: int = CHROMA_HOP,
           cancel: Optional[CancelToken] = None) -> tuple[np.ndarray, np.ndarray]:
    """Constant-Q chroma.

    Returns
    -------
    (chroma, times_s) : (np.ndarray [shape=(12, n)], np.ndarray [shape=(n,)])
        Pitch-class energy per frame (C first, each frame max-normalised, silence 0)
        and frame times in seconds.
    """
    import librosa

    from core.notes.transcribe import prepare

    y = prepare(audio, ANALYSIS_SR)
    check(cancel)
    if not np.any(y):  # silence: no pitch classes (and no tuning to estimate)
        c = np.zeros((12, 1 + y.shape[0] // hop_length), np.float32)
    else:
        with warnings.catch_warnings():  # librosa warns on very short or sparse input
            warnings.simplefilter("ignore", UserWarning)
            c = librosa.feature.chroma_cqt(y=y, sr=ANALYSIS_SR, hop_length=hop_length)
    check(cancel)
    times = librosa.frames_to_time(np.arange(c.shape[1]), sr=ANALYSIS_SR, hop_length=hop_length)
    return c, times


def key_from_chroma(profile: np.ndarray) -> Key:
    """Key whose Krumhansl-Kessler profile correlates best with a 12-bin pitch-class profile."""
    p = np.asarray(profile, float)
    if not np.any(p > 0) or np.allclose(p, p[0]):
        return Key("C", "major", 0.0)
    best = (-2.0, "C", "major")
    for tonic in range(12):
        for mode, prof, names in (("major", KK_MAJOR, MAJOR_NAMES), ("minor", KK_MINOR, MINOR_NAMES)):
            r = float(np.corrcoef(p, np.roll(prof, tonic))[0, 1])
            if r > best[0]:
                best = (r, names[tonic], mode)
    return Key(best[1], best[2], best[0])


def estimate_key(audio: Audio, *, cancel: Optional[CancelToken] = None) -> Key:
    """Key of the audio (Krumhansl-Schmuckler on the mean chroma).

    Returns
    -------
    Key
        ``tonic`` spelled as musicians usually write that key (``"Bb"``, ``"F#"``),
        ``mode`` ``"major"``/``"minor"``, ``confidence`` the correlation (-1..1).
    """
    c, _ = chroma(audio, cancel=cancel)
    return key_from_chroma(c.mean(axis=1))


def chord_templates() -> tuple[list[str], np.ndarray]:
    """Labels (24 triads then ``"N"``) and unit-norm templates, shape (25, 12)."""
    labels, rows = [], []
    for quality, third, suffix in (("maj", 4, ""), ("min", 3, "m")):
        for root in range(12):
            t = np.zeros(12)
            t[[root, (root + third) % 12, (root + 7) % 12]] = 1.0
            labels.append((MAJOR_NAMES if quality == "maj" else MINOR_NAMES)[root] + suffix)
            rows.append(t / np.linalg.norm(t))
    labels.append(NO_CHORD)
    rows.append(np.zeros(12))
    return labels, np.array(rows)


def chords_from_chroma(
    c: np.ndarray,
    times_s: np.ndarray,
    *,
    end_s: float,
    self_prob: float = 0.9,
    sharpness: float = 20.0,
    no_chord_similarity: float = 0.5,
) -> list[Chord]:
    """Chord segments from chroma (12, n): template cosine similarity, softmax, Viterbi."""
    import librosa

    labels, templates = chord_templates()
    n = c.shape[1]
    if n == 0:
        return []
    norm = np.linalg.norm(c, axis=0)
    unit = c / np.maximum(norm, 1e-9)
    sim = templates @ unit                       # (25, n)
    sim[-1] = no_chord_similarity
    sim[:, norm < 1e-6] = 0.0
    sim[-1, norm < 1e-6] = 1.0
    prob = np.exp(sharpness * (sim - sim.max(axis=0, keepdims=True)))
    prob /= prob.sum(axis=0, keepdims=True)
    trans = librosa.sequence.transition_loop(len(labels), self_prob)
    path = librosa.sequence.viterbi(prob, trans)
    out: list[Chord] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or path[i] != path[start]:
            t0 = float(times_s[start])
            t1 = float(times_s[i]) if i < n else float(max(end_s, times_s[-1]))
            out.append(Chord(t0, t1, labels[path[start]]))
            start = i
    return out


def estimate_chords(audio: Audio, *, self_prob: float = 0.9,
                    cancel: Optional[CancelToken] = None) -> list[Chord]:
    """Major/minor triad chords over time.

    Parameters
    ----------
    audio : Audio
        Any rate and channels.
    self_prob : float
        HMM probability of keeping the chord from one ~93 ms frame to the next;
        higher gives steadier, longer chords.

    Returns
    -------
    list of Chord
        Contiguous segments covering the audio; ``label`` like ``"C"``, ``"Am"``,
        ``"F#m"`` or ``"N"`` (no chord: silence).
    """
    c, times = chroma(audio, cancel=cancel)
    return chords_from_chroma(c, times, end_s=audio.duration_s, self_prob=self_prob)
