"""What the player plays and how: sources, mix, A/B, loop and speed.

:class:`MixControls` is the part of :class:`~core.playback.player.Player` that
changes what is heard (as opposed to the transport and the device).  Every
change is made under the player's lock and, while playing, re-mixes the
queued blocks from the same timeline frame, so it is heard within about 100 ms.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from core.errors import InvalidParameterError
from core.playback.mixer import PlaySource
from core.playback.stretch import check_rate

if TYPE_CHECKING:
    from core.playback.feed import Feed
    from core.playback.mixer import Mixer


class MixControls:
    """Sources, mix, A/B, loop and speed of a player (a base class of ``Player``).

    The player provides ``_lock``, ``_mixer``, ``_feed``, ``_state``, ``_pos``,
    ``output_sr``, and the ``_refresh_locked``, ``_retract_locked``,
    ``_fill_locked``, ``_seek_locked`` and ``_heard_frame`` methods.
    """

    _lock: threading.RLock
    _mixer: Mixer
    _feed: Feed
    _state: str
    _pos: int
    output_sr: int

    @property
    def rate(self) -> float:
        """Playback speed: source seconds per second, 0.5-2.0 (pitch is kept).

        The playhead (:attr:`position_s`), loops and seeks stay in source time.
        """
        return self._feed.rate

    @rate.setter
    def rate(self, value: float) -> None:
        self.set_rate(value)

    def set_rate(self, rate: float) -> None:
        """Play at ``rate`` times the normal speed (0.5-2.0) without changing the pitch.

        While playing, the change is heard within about 100 ms, without a click.

        Raises
        ------
        InvalidParameterError
            ``rate`` is outside 0.5-2.0.
        """
        r = check_rate(rate)
        with self._lock:
            if r == self._feed.rate:
                return
            if self._state == "playing":
                self._retract_locked()
                self._feed.rate = r
                self._fill_locked()
            else:
                self._feed.rate = r

    @property
    def loop(self) -> tuple[float, float] | None:
        lb = self._mixer.loop
        return None if lb is None else (lb[0] / self.output_sr, lb[1] / self.output_sr)

    # -- sources and mix ------------------------------------------------------------
    def set_sources(self, sources: list[PlaySource]) -> None:
        """Use ``sources`` from now on (resampled to :attr:`output_sr` here, in the caller's thread).

        Audio objects already prepared under the same key are reused, so calling
        this again after a mix change is cheap.  While playing, the new material
        is heard within about 100 ms from the same timeline position.
        """
        tracks = self._mixer.prepare(list(sources))
        with self._lock:
            self._mixer.set_tracks(tracks)
            if self._state != "playing":
                self._pos = min(self._pos, self._mixer.total_frames)
            self._refresh_locked()

    def set_mix(
        self,
        key: str,
        *,
        gain_db: float | None = None,
        mute: bool | None = None,
        solo: bool | None = None,
    ) -> None:
        """Change one track's gain (dB), mute or solo; None leaves a setting as it is."""
        with self._lock:
            t = self._mixer.track(key)
            if gain_db is not None:
                t.gain_db = float(gain_db)
            if mute is not None:
                t.mute = bool(mute)
            if solo is not None:
                t.solo = bool(solo)
            self._refresh_locked()

    def set_ab(self, a_key: str | None, b_key: str | None = None, *, active: str = "a") -> None:
        """Compare two tracks: only the ``active`` one (``"a"`` or ``"b"``) of the pair sounds.

        Switching ``active`` while playing is gapless and keeps the playhead.
        ``a_key=None`` ends A/B comparison (both tracks follow their own mute/solo).
        """
        if active not in ("a", "b"):
            raise InvalidParameterError(f"A/B choice must be 'a' or 'b'; got {active!r}.")
        with self._lock:
            if a_key is None:
                self._mixer.ab = None
            else:
                for k in (a_key, b_key):
                    if k is not None:
                        self._mixer.track(k)
                self._mixer.ab = (a_key, b_key, active)
            self._refresh_locked()

    @property
    def ab(self) -> tuple[str, str | None, str] | None:
        """``(a_key, b_key, active)`` or None."""
        return self._mixer.ab

    def set_loop(self, t0: float | None, t1: float | None = None) -> None:
        """Loop ``[t0, t1)`` seconds; ``set_loop(None)`` (or ``t1 <= t0``) stops looping.

        While a loop is set, playback stays inside it: playing or seeking
        outside it starts at ``t0``.
        """
        with self._lock:
            if t0 is None or t1 is None or t1 <= t0:
                self._mixer.loop = None
            else:
                sr = self.output_sr
                self._mixer.loop = (max(0, round(t0 * sr)), max(0, round(t1 * sr)))
            if self._state == "playing":
                pos = self._heard_frame()
                if self._mixer.wrap(pos) != pos:
                    self._seek_locked(self._mixer.wrap(pos))
                    return
            self._refresh_locked()
