"""Note extraction from Basic Pitch posteriors (no model needed, so thresholds can change live).

The algorithm is Basic Pitch's (Bittner et al., ICASSP 2022, and its
``note_creation.output_to_notes_polyphonic``), re-implemented here so it runs
without TensorFlow and fast enough to re-run while a slider moves:

1. Zero the keys outside ``[min_freq, max_freq]``.
2. Onsets: the element-wise max of the onset posterior and the rescaled positive
   frame-posterior difference ("inferred onsets"); peaks over time above
   ``onset_threshold`` start notes, latest first.
3. Each note lasts while the note posterior stays above ``frame_threshold``
   (allowing up to 10 frames below); notes of ``min_note_ms`` or less are dropped.
   A note clears its key and both neighbours from the remaining energy.
4. "Melodia trick": the strongest remaining energy above ``frame_threshold``
   seeds a note tracked forwards and backwards the same way, until none remains.
   Processing candidates in descending order gives the same result as Basic
   Pitch's repeated global argmax, in one sort instead of one scan per note.
5. Pitch bends: per frame, the contour bin (1/3 semitone) of greatest
   Gaussian-weighted salience within ±25 bins of the note's pitch.  One deliberate
   difference: the model's contour bin ``k`` is centred on ``27.5 * 2**((k - 1) / 36)`` Hz
   (pure tones peak one bin above Basic Pitch's formula), so Basic Pitch gives every
   in-tune note a +1/3-semitone bend (its open issue #87: "pitch bend returning to 1365").
   We centre the search on the right bin, so in-tune notes bend by 0.

Notes equal Basic Pitch's on the same posteriors; bends equal its bends computed on the
contour shifted by that one bin (tests check both).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from core.notes.basic_pitch import FFT_HOP, MIDI_OFFSET, N_KEYS, SAMPLE_RATE
from core.notes.types import ExtractParams, Note, Posteriors

ENERGY_TOL = 11                 # frames below threshold that end a note
CONTOUR_BINS_PER_SEMITONE = 3
N_CONTOUR_BINS = N_KEYS * CONTOUR_BINS_PER_SEMITONE
BEND_TOLERANCE_BINS = 25
CONTOUR_OFFSET_BINS = 1        # the model's contour bin k is at 27.5 * 2**((k - 1) / 36) Hz


def min_note_frames(min_note_ms: float) -> int:
    """Basic Pitch's conversion of a minimum length in ms to model frames."""
    return int(np.round(min_note_ms / 1000 * (SAMPLE_RATE / FFT_HOP)))


def _hz_to_key(hz: float) -> int:
    return int(np.round(12 * (np.log2(hz) - np.log2(440.0)) + 69 - MIDI_OFFSET))


def _inferred_onsets(onsets: np.ndarray, frames: np.ndarray, n_diff: int = 2) -> np.ndarray:
    diffs = []
    for n in range(1, n_diff + 1):
        shifted = np.concatenate([np.zeros((n, frames.shape[1])), frames.astype(np.float64)])
        diffs.append(shifted[n:, :] - shifted[:-n, :])
    frame_diff = np.min(diffs, axis=0)
    frame_diff[frame_diff < 0] = 0
    frame_diff[:n_diff, :] = 0
    peak = np.max(frame_diff) if frame_diff.size else 0.0
    if peak > 0:
        frame_diff = np.max(onsets) * frame_diff / peak
    return np.maximum(onsets, frame_diff)


def _track(col: np.ndarray, start: int, stop: int, step: int, thresh: float) -> tuple[int, int]:
    """Walk ``col`` from ``start`` by ``step`` until ENERGY_TOL frames in a row fall below
    ``thresh`` or ``stop`` is reached.  Returns (index after the walk, trailing low count)."""
    i, k = start, 0
    while (i < stop if step > 0 else i > stop) and k < ENERGY_TOL:
        if col[i] < thresh:
            k += 1
        else:
            k = 0
        i += step
    return i, k


def note_events(
    note: np.ndarray,
    onset: np.ndarray,
    *,
    onset_threshold: float,
    frame_threshold: float,
    min_note_len: int,
    min_freq: Optional[float] = None,
    max_freq: Optional[float] = None,
    infer_onsets: bool = True,
    melodia_trick: bool = True,
) -> list[tuple[int, int, int, float]]:
    """Note events in frames: ``[(start_frame, end_frame, midi_pitch, amplitude), ...]``.

    ``note`` and ``onset`` are (n_frames, 88) posteriors; they are not modified.
    The order of events is Basic Pitch's (onset notes latest first, then melodia notes).
    """
    # float32 copies for amplitudes, float64 for everything compared with thresholds,
    # as in Basic Pitch (so near-threshold values round the same way).
    frames = np.array(note, dtype=np.float32, copy=True)
    onsets = np.array(onset, dtype=np.float64, copy=True)
    n_frames = frames.shape[0]
    if max_freq is not None:
        k = _hz_to_key(max_freq)
        onsets[:, max(k, 0):] = 0
        frames[:, max(k, 0):] = 0
    if min_freq is not None:
        k = _hz_to_key(min_freq)
        if k > 0:
            onsets[:, :k] = 0
            frames[:, :k] = 0
    if infer_onsets:
        onsets = _inferred_onsets(onsets, frames)

    # Strict local maxima over time (scipy.signal.argrelmax, order 1, edges excluded).
    peak = np.zeros(onsets.shape, dtype=bool)
    if n_frames >= 3:
        mid = onsets[1:-1]
        peak[1:-1] = (mid > onsets[:-2]) & (mid > onsets[2:])
    t_idx, f_idx = np.nonzero(peak & (onsets >= onset_threshold))

    # Work column-wise (one contiguous row per key) for fast per-key walks.
    energy = np.ascontiguousarray(frames.T, dtype=np.float64)
    frames_t = np.ascontiguousarray(frames.T)
    events: list[tuple[int, int, int, float]] = []
    last_key = N_KEYS - 1
    for start, f in zip(t_idx[::-1].tolist(), f_idx[::-1].tolist(), strict=True):
        if start >= n_frames - 1:
            continue
        i, k = _track(energy[f], start + 1, n_frames - 1, 1, frame_threshold)
        i -= k
        if i - start <= min_note_len:
            continue
        energy[f, start:i] = 0
        if f < last_key:
            energy[f + 1, start:i] = 0
        if f > 0:
            energy[f - 1, start:i] = 0
        events.append((start, i, f + MIDI_OFFSET, float(np.mean(frames_t[f, start:i]))))

    if melodia_trick:
        flat = energy.T.ravel()  # (time, key) order, as Basic Pitch's argmax sees it
        cand = np.nonzero(flat > frame_threshold)[0]
        # Descending value; ties by ascending flat index (np.argmax takes the first).
        order = cand[np.lexsort((cand, -flat[cand]))]
        for idx in order.tolist():
            i_mid, f = divmod(idx, N_KEYS)
            col = energy[f]
            if not col[i_mid] > frame_threshold:
                continue  # cleared by an earlier note: no longer the maximum
            col[i_mid] = 0
            lo = energy[f - 1] if f > 0 else None
            hi = energy[f + 1] if f < last_key else None
            # forward pass (clears as it goes, including the frames it inspects)
            i, k = i_mid + 1, 0
            while i < n_frames - 1 and k < ENERGY_TOL:
                k = k + 1 if col[i] < frame_threshold else 0
                col[i] = 0
                if hi is not None:
                    hi[i] = 0
                if lo is not None:
                    lo[i] = 0
                i += 1
            i_end = i - 1 - k
            # backward pass
            i, k = i_mid - 1, 0
            while i > 0 and k < ENERGY_TOL:
                k = k + 1 if col[i] < frame_threshold else 0
                col[i] = 0
                if hi is not None:
                    hi[i] = 0
                if lo is not None:
                    lo[i] = 0
                i -= 1
            i_start = i + 1 + k
            if i_end - i_start <= min_note_len:
                continue
            events.append((i_start, i_end, f + MIDI_OFFSET,
                           float(np.mean(frames_t[f, i_start:i_end]))))
    return events


def _gaussian(n: int, std: float) -> np.ndarray:
    x = np.arange(n) - (n - 1) / 2.0
    return np.exp(-0.5 * (x / std) ** 2)


def pitch_bends(contour: np.ndarray, start: int, end: int, pitch: int, *,
                offset_bins: int = CONTOUR_OFFSET_BINS) -> np.ndarray:
    """Bend per frame of one note in 1/3-semitone bins (integers), shape (end - start,).

    ``offset_bins=0`` reproduces Basic Pitch's ``get_pitch_bends`` exactly.
    """
    tol = BEND_TOLERANCE_BINS
    window = _gaussian(2 * tol + 1, 5.0)
    hz = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    centre = int(np.round(12.0 * CONTOUR_BINS_PER_SEMITONE * np.log2(hz / 27.5))) + offset_bins
    lo = max(centre - tol, 0)
    hi = min(N_CONTOUR_BINS, centre + tol + 1)
    w = window[max(0, tol - centre): 2 * tol + 1 - max(0, centre - (N_CONTOUR_BINS - tol - 1))]
    sub = contour[start:end, lo:hi] * w
    shift = tol - max(0, tol - centre)
    return np.argmax(sub, axis=1) - shift


def extract_notes(posteriors: Posteriors, params: ExtractParams = ExtractParams()) -> list[Note]:
    """Notes from posteriors with ``params`` (thresholds, lengths, range, bends).

    Returns
    -------
    list of Note
        Sorted by onset; ``pitch_bends`` in semitones (None when disabled).
    """
    events = note_events(
        posteriors.note, posteriors.onset,
        onset_threshold=params.onset_threshold, frame_threshold=params.frame_threshold,
        min_note_len=min_note_frames(params.min_note_ms), min_freq=params.min_freq,
        max_freq=params.max_freq, infer_onsets=params.infer_onsets,
        melodia_trick=params.melodia_trick)
    times = posteriors.times_s
    notes = []
    for start, end, pitch, amp in events:
        bends = None
        if params.pitch_bends:
            b = pitch_bends(posteriors.contour, start, end, pitch)
            bends = tuple((b / CONTOUR_BINS_PER_SEMITONE).tolist())
        notes.append(Note(float(times[start]), float(times[end]), int(pitch), float(amp), bends))
    notes.sort(key=lambda n: (n.start_s, n.pitch))
    return notes
