"""The result type of every spectrogram function."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)
class Spectrogram:
    """A magnitude spectrogram ready to draw.

    Attributes
    ----------
    values : np.ndarray [shape=(n_bins, n_frames), dtype=float32]
        C-contiguous.  Power in dB (``10*log10(power/ref)``) or linear power,
        normalised so that a full-scale sine at a bin centre reads 1.0 (0 dB).
        Row 0 is the lowest frequency.
    freqs : np.ndarray [shape=(n_bins,), dtype=float64]
        Centre frequency of each row in Hz, ascending.
    times : np.ndarray [shape=(n_frames,), dtype=float64]
        Centre time of each column in seconds from the start of the audio.
    sr : int
        Sample rate of the analysed audio, Hz.
    n_fft, hop_length : int
        FFT size and hop between frames, in samples.
    scale : str
        Frequency axis: ``"linear"``, ``"log"`` or ``"mel"``.
    db : bool
        True when ``values`` are in dB.
    """

    values: np.ndarray
    freqs: np.ndarray
    times: np.ndarray
    sr: int
    n_fft: int
    hop_length: int
    scale: str
    db: bool = True

    @property
    def n_bins(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[1])

    def __repr__(self) -> str:
        return (f"Spectrogram(n_bins={self.n_bins}, n_frames={self.n_frames}, sr={self.sr}, "
                f"n_fft={self.n_fft}, hop_length={self.hop_length}, scale={self.scale!r})")
