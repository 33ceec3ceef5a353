"""Level meters for recording: peak, RMS, peak-hold and clip, per channel.

Computed in the writer thread from each block it drains (never in the audio
callback); :meth:`MeterState.snapshot` hands a copy to any thread.

Ballistics (what a musician expects from a DAW meter):

* peak: instant attack, falls at ``release_db_per_s`` (default 20 dB/s);
* RMS: mean square with an exponential ``rms_tau_s`` (300 ms) time constant;
* peak-hold: the highest peak, held ``hold_s`` (2 s), then it follows the peak;
* clip: latched when any sample reaches ``clip_level`` (−0.01 dBFS, i.e. full
  scale after the gain trim) until :meth:`MeterState.reset_clip`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np

#: dB value reported for silence (instead of −inf, so displays need no special case).
FLOOR_DB = -120.0
_FLOOR_LIN = 10 ** (FLOOR_DB / 20)


@dataclass(frozen=True)
class Meters:
    """One reading of the input meters.

    Attributes
    ----------
    peak_db, rms_db, peak_hold_db : np.ndarray [shape=(channels,)], float
        dBFS (1.0 = 0 dB), after the gain trim; :data:`FLOOR_DB` for silence.
    clipped : np.ndarray [shape=(channels,)], bool
        A sample reached full scale since the last reset.
    frame : int
        Input frames metered so far (the device's frame counter, paused time included).
    updated_at : float
        ``time.monotonic()`` when these values were computed.
    """

    peak_db: np.ndarray
    rms_db: np.ndarray
    peak_hold_db: np.ndarray
    clipped: np.ndarray
    frame: int
    updated_at: float


def to_db(x: np.ndarray) -> np.ndarray:
    """Linear amplitude → dBFS, floored at :data:`FLOOR_DB`."""
    return 20.0 * np.log10(np.maximum(x, _FLOOR_LIN))


class MeterState:
    """Meter ballistics for ``channels`` channels at ``sr`` Hz (writer thread updates)."""

    def __init__(
        self,
        channels: int,
        sr: int,
        *,
        release_db_per_s: float = 20.0,
        rms_tau_s: float = 0.3,
        hold_s: float = 2.0,
        clip_level: float = 10 ** (-0.01 / 20),
    ) -> None:
        self.channels, self.sr = int(channels), int(sr)
        self.release_db_per_s = float(release_db_per_s)
        self.rms_tau_s = float(rms_tau_s)
        self.hold_s = float(hold_s)
        self.clip_level = float(clip_level)
        self._lock = threading.Lock()
        self._peak = np.zeros(channels)
        self._ms = np.zeros(channels)  # mean square
        self._hold = np.zeros(channels)
        self._hold_age = np.zeros(channels)  # seconds since the held value was set
        self._clip = np.zeros(channels, dtype=bool)
        self._frame = 0
        self._at = time.monotonic()

    def update(self, x: np.ndarray) -> None:
        """Feed one block ``x`` (frames, channels) float32, in time order."""
        n = x.shape[0]
        if n == 0:
            return
        dt = n / self.sr
        a = np.abs(x)
        block_peak = a.max(axis=0).astype(np.float64)
        block_ms = np.einsum("ij,ij->j", x, x, dtype=np.float64) / n
        fall = 10 ** (-self.release_db_per_s * dt / 20)
        k = math.exp(-dt / self.rms_tau_s)
        with self._lock:
            np.maximum(block_peak, self._peak * fall, out=self._peak)
            self._ms *= k
            self._ms += (1.0 - k) * block_ms
            self._hold_age += dt
            renew = (block_peak >= self._hold) | (self._hold_age > self.hold_s)
            self._hold = np.where(renew, np.maximum(block_peak, self._peak), self._hold)
            self._hold_age[renew] = 0.0
            self._clip |= block_peak >= self.clip_level
            self._frame += n
            self._at = time.monotonic()

    def skip(self, n: int) -> None:
        """Count ``n`` frames that were not metered (dropped input)."""
        with self._lock:
            self._frame += n

    def reset_clip(self) -> None:
        """Clear the clip indicators (and the peak-hold)."""
        with self._lock:
            self._clip[:] = False
            self._hold[:] = self._peak

    def snapshot(self) -> Meters:
        """A consistent copy of the current readings (any thread)."""
        with self._lock:
            return Meters(
                peak_db=to_db(self._peak),
                rms_db=to_db(np.sqrt(self._ms)),
                peak_hold_db=to_db(self._hold),
                clipped=self._clip.copy(),
                frame=self._frame,
                updated_at=self._at,
            )
