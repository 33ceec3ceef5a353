"""Transport: the Qt side of :class:`core.playback.Player`.

:class:`PlaybackController` owns one player, drives the shared playhead in
:class:`~app.viewstate.ViewState` at ~60 Hz while playing, and builds the
transport toolbar (play/pause, stop, play from cursor, loop, A/B, speed,
volume, output device).  Without any audio output the controls are disabled
with an explanation; the rest of the application works as usual.

Speed (0.5-2x, pitch kept) is remembered in the settings; the playhead, loops
and transcript stay in the recording's own time.

Shortcuts (also in each action's tooltip): Space play/pause, Shift+Space play
from the mouse cursor, Ctrl+Space stop (S is the track's solo), L loop, B switch
A/B, [ slower, ] faster, \\ normal speed.
"""

from __future__ import annotations

import dataclasses
import math

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QSpinBox,
    QStyle,
    QToolBar,
    QWidget,
)

from app.transport_bar import TransportWidgets
from app.viewstate import ViewState
from core.errors import AudioDeviceError
from core.playback import Player, PlaySource, output_devices, rescan
from core.playback.stretch import MAX_RATE, MIN_RATE

_TICK_MS = 16  # ~60 Hz playhead while playing
_SPEED_STEP = 0.05  # slower/faster step (5 %)


class PlaybackController(QObject):
    """Plays the project's tracks and keeps the shared playhead in step.

    Parameters
    ----------
    view_state : ViewState
        Its playhead follows playback; its selection is what Loop repeats; its
        cursor is where "Play from cursor" starts.
    device : int, str or None
        Output device (None: the system default).

    Signals
    -------
    stateChanged(str)
        ``"playing"``, ``"paused"``, ``"stopped"``, ``"finished"``, ``"error"``
        or ``"unavailable"`` (no usable output).
    errorOccurred(str)
        A message for the status bar when the output fails.
    rateChanged(float)
        The playback speed changed (0.5-2.0; 1.0 is normal).
    """

    stateChanged = Signal(str)
    errorOccurred = Signal(str)
    availabilityChanged = Signal(bool)
    rateChanged = Signal(float)
    _fromPlayer = Signal(str)  # player thread -> GUI thread

    def __init__(
        self, view_state: ViewState, parent: QObject | None = None, *, device: int | str | None = None
    ) -> None:
        super().__init__(parent)
        self._view = view_state
        self._player: Player | None = None
        self._reason = ""
        self._sources: list[PlaySource] = []
        self._ab: tuple[str | None, str | None, str] = (None, None, "a")
        self._volume = 1.0
        self._rate = self._saved_rate()
        self._loop = False
        self._pushing = False
        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._fromPlayer.connect(self._on_player_state, Qt.ConnectionType.QueuedConnection)
        view_state.playheadChanged.connect(self._on_view_playhead)
        view_state.selectionChanged.connect(lambda *_: self._apply_loop())
        self._actions = self._make_actions()
        self._sync_speed_actions()
        self._toolbars: list[TransportWidgets] = []
        self.set_device(device)

    # -- state -------------------------------------------------------------------
    @property
    def player(self) -> Player | None:
        """The engine player, or None when no output is usable."""
        return self._player

    @property
    def available(self) -> bool:
        return self._player is not None

    @property
    def unavailable_reason(self) -> str:
        """Why there is no sound ("" when available)."""
        return self._reason

    @property
    def state(self) -> str:
        return self._player.state if self._player else "unavailable"

    # -- device --------------------------------------------------------------------
    def set_device(self, device: int | str | None) -> bool:
        """Switch output; returns whether it worked (else controls are disabled, with the reason)."""
        if self._player is not None:
            self._player.close()
            self._player = None
        try:
            self._player = Player(device=device, on_state=self._fromPlayer.emit)
        except AudioDeviceError as exc:
            self._reason = str(exc)
        else:
            self._reason = ""
            self._player.volume = self._volume
            self._player.set_rate(self._rate)
            self._push_everything()
        self._update_ui()
        self.availabilityChanged.emit(self.available)
        self.stateChanged.emit(self.state)
        return self.available

    def refresh_devices(self) -> None:
        """Look for outputs again (stops playback) and re-open the current or default one."""
        name = self._player.device_name if self._player else None
        if self._player is not None:
            self._player.close()
            self._player = None
        try:
            rescan()
        except AudioDeviceError:
            pass
        self.set_device(name if name and name in self._device_names() else None)

    # -- sources and mix ---------------------------------------------------------------
    def set_sources(self, sources: list[PlaySource]) -> None:
        """Tracks to play (call whenever tracks change).  Resampling happens here."""
        self._sources = list(sources)
        if self._player is not None:
            try:
                self._player.set_sources(self._sources)
            except AudioDeviceError as exc:
                self.errorOccurred.emit(str(exc))
            self._apply_ab()
            self._apply_loop()

    def set_mix(self, key: str, *, gain_db=None, mute=None, solo=None) -> None:
        """Change one track's gain (dB), mute or solo (None keeps it)."""
        kw = {k: v for k, v in (("gain_db", gain_db), ("mute", mute), ("solo", solo)) if v is not None}
        self._sources = [dataclasses.replace(s, **kw) if s.key == key else s for s in self._sources]
        if self._player is not None:
            self._player.set_mix(key, **kw)

    def set_ab(self, a_key: str | None, b_key: str | None = None, *, active: str = "a") -> None:
        """Compare two tracks; only the active one sounds.  ``a_key=None`` ends A/B."""
        self._ab = (a_key, b_key, active)
        self._apply_ab()
        self._update_ui()

    def toggle_ab(self) -> None:
        a, b, active = self._ab
        if a is not None and b is not None:
            self.set_ab(a, b, active="b" if active == "a" else "a")

    # -- transport ---------------------------------------------------------------------
    def play(self, start_s: float | None = None) -> None:
        if self._player is None:
            return
        self._apply_loop()
        try:
            self._player.play(start_s)
        except AudioDeviceError:
            pass  # reported through the "error" state

    def pause(self) -> None:
        if self._player is not None:
            self._player.pause()

    def toggle(self) -> None:
        """Play/pause."""
        if self._player is not None and self._player.playing:
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._push_position()

    def play_from_cursor(self) -> None:
        """Play from the mouse cursor's time, else from the selection's start."""
        t = self._view.cursor[0]
        if not math.isfinite(t):
            t = self._view.selection[0]
        self.play(max(0.0, t))

    def set_loop_enabled(self, on: bool) -> None:
        """Loop the selection (or everything when nothing is selected)."""
        self._loop = bool(on)
        self._actions["loop"].setChecked(self._loop)
        self._apply_loop()

    def set_volume(self, v: float) -> None:
        """Master volume, 0..1."""
        self._volume = min(1.0, max(0.0, float(v)))
        if self._player is not None:
            self._player.volume = self._volume
        for w in self._toolbars:
            w.sync_volume(self._volume)

    @property
    def rate(self) -> float:
        """Playback speed, 0.5-2.0 (1.0 = normal); the pitch is kept."""
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Play at ``rate`` times normal speed (clamped to 0.5-2.0), pitch unchanged.

        Heard within ~100 ms while playing, remembered in the settings, and
        works without an output too (it applies once one is chosen).
        """
        r = round(min(MAX_RATE, max(MIN_RATE, float(rate))), 3)
        if not math.isfinite(r) or r == self._rate:
            return
        self._rate = r
        if self._player is not None:
            self._player.set_rate(r)
        self._save_rate(r)
        self._sync_speed_actions()
        self.rateChanged.emit(r)

    def _sync_speed_actions(self) -> None:
        r = self._rate
        self._actions["normal_speed"].setEnabled(r != 1.0)
        self._actions["slower"].setEnabled(r > MIN_RATE)
        self._actions["faster"].setEnabled(r < MAX_RATE)

    def slower(self) -> None:
        """Speed down one 5 % step."""
        self.set_rate(math.ceil(round(self._rate / _SPEED_STEP, 6) - 1) * _SPEED_STEP)

    def faster(self) -> None:
        """Speed up one 5 % step."""
        self.set_rate(math.floor(round(self._rate / _SPEED_STEP, 6) + 1) * _SPEED_STEP)

    def make_speed_box(self, parent: QWidget | None = None) -> QSpinBox:
        """A speed spin box (50-200 %) bound to this controller and kept in step with it."""
        box = QSpinBox(parent)
        box.setObjectName("speedBox")
        box.setRange(round(MIN_RATE * 100), round(MAX_RATE * 100))
        box.setSingleStep(round(_SPEED_STEP * 100))
        box.setSuffix("%")
        box.setAccelerated(True)
        box.setKeyboardTracking(False)
        box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keep Space, [ and ] for the transport
        box.setToolTip("Playback speed; the pitch stays the same "
                       "([ slower, ] faster, \\ normal speed)")
        box.setValue(round(self._rate * 100))
        box.valueChanged.connect(lambda v: self.set_rate(v / 100))

        def sync(rate: float) -> None:
            if box.value() != round(rate * 100):
                box.blockSignals(True)
                box.setValue(round(rate * 100))
                box.blockSignals(False)

        self.rateChanged.connect(sync)
        return box

    @staticmethod
    def _saved_rate() -> float:
        from app.settings import Settings

        try:
            r = float(Settings().view_settings("playback").get("rate", 1.0))
        except (TypeError, ValueError):
            return 1.0
        return min(MAX_RATE, max(MIN_RATE, r)) if math.isfinite(r) else 1.0

    @staticmethod
    def _save_rate(rate: float) -> None:
        from app.settings import Settings

        settings = Settings()
        value = dict(settings.view_settings("playback"))
        value["rate"] = rate
        settings.set_view_settings("playback", value)

    def close(self) -> None:
        self._timer.stop()
        if self._player is not None:
            self._player.close()
            self._player = None

    # -- UI --------------------------------------------------------------------------------
    def actions(self) -> dict[str, QAction]:
        """Actions for menus: play_pause, stop, play_from_cursor, loop, ab, slower, faster,
        normal_speed, refresh_devices."""
        return dict(self._actions)

    def make_toolbar(self, parent: QWidget | None = None) -> QToolBar:
        """A transport toolbar bound to this controller."""
        bar = QToolBar("Transport", parent)
        bar.setObjectName("transportToolbar")
        self._toolbars.append(TransportWidgets(self, bar))
        self._update_ui()
        return bar

    def _make_actions(self) -> dict[str, QAction]:
        def act(key: str, text: str, shortcut: str, tip: str, slot, checkable: bool = False):
            a = QAction(text, self)
            a.setObjectName(f"transport_{key}")
            a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
            a.setProperty("baseTip", a.toolTip())
            a.setCheckable(checkable)
            (a.toggled if checkable else a.triggered).connect(slot)
            return a

        return {
            "play_pause": act("play_pause", "Play", "Space", "Play / pause", lambda: self.toggle()),
            "stop": act("stop", "Stop", "Ctrl+Space", "Stop and go back to where playback started",
                        lambda: self.stop()),
            "play_from_cursor": act("play_from_cursor", "Play from cursor", "Shift+Space",
                                    "Play from the mouse cursor", lambda: self.play_from_cursor()),
            "loop": act("loop", "Loop", "L", "Loop the selection (everything if none)",
                        self.set_loop_enabled, checkable=True),
            "ab": act("ab", "A/B", "B", "Switch between the two compared tracks",
                      lambda: self.toggle_ab()),
            "slower": act("slower", "Slower", "[", "Play 5 % slower (pitch kept)",
                          lambda: self.slower()),
            "faster": act("faster", "Faster", "]", "Play 5 % faster (pitch kept)",
                          lambda: self.faster()),
            "normal_speed": act("normal_speed", "Normal speed", "\\",
                                "Back to normal speed (100 %)", lambda: self.set_rate(1.0)),
            "refresh_devices": act("refresh_devices", "Refresh outputs", "",
                                   "Look for audio outputs again", lambda: self.refresh_devices()),
        }

    def _device_names(self) -> list[str]:
        try:
            return [d.name for d in output_devices()]
        except AudioDeviceError:
            return []

    def _update_ui(self) -> None:
        ok = self.available
        playing = ok and self._player.playing
        style = self._style()
        pp = self._actions["play_pause"]
        pp.setText("Pause" if playing else "Play")
        if style is not None:
            icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
            pp.setIcon(style.standardIcon(icon))
            self._actions["stop"].setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
            self._actions["refresh_devices"].setIcon(
                style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
            )
        for key in ("play_pause", "stop", "play_from_cursor", "loop"):
            self._actions[key].setEnabled(ok)
        a, b, active = self._ab
        ab = self._actions["ab"]
        ab.setEnabled(ok and a is not None and b is not None)
        ab.setText(f"A/B: {active.upper()}" if a is not None and b is not None else "A/B")
        for w in self._toolbars:
            w.update()

    @staticmethod
    def _style():
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        return app.style() if isinstance(app, QApplication) else None

    # -- glue ----------------------------------------------------------------------------
    def _push_everything(self) -> None:
        p = self._player
        if p is None:
            return
        try:
            p.set_sources(self._sources)
        except AudioDeviceError as exc:
            self.errorOccurred.emit(str(exc))
        self._apply_ab()
        self._apply_loop()
        p.seek(self._view.playhead)

    def _apply_ab(self) -> None:
        p = self._player
        if p is None:
            return
        a, b, active = self._ab
        keys = {s.key for s in self._sources}
        if a is not None and a in keys and (b is None or b in keys):
            p.set_ab(a, b, active=active)
        else:
            p.set_ab(None)

    def _apply_loop(self) -> None:
        p = self._player
        if p is None:
            return
        if not self._loop:
            p.set_loop(None)
        elif self._view.has_selection:
            t0, t1, _, _ = self._view.selection
            p.set_loop(t0, t1)
        else:
            p.set_loop(0.0, p.duration_s)

    @Slot(str)
    def _on_player_state(self, state: str) -> None:
        if state == "playing":
            self._timer.start()
        else:
            self._timer.stop()
            self._push_position()
        if state == "error" and self._player is not None and self._player.last_error:
            self.errorOccurred.emit(str(self._player.last_error))
        self._update_ui()
        self.stateChanged.emit(state)

    def _tick(self) -> None:
        self._push_position()

    def _push_position(self) -> None:
        if self._player is None:
            return
        self._pushing = True
        try:
            self._view.set_playhead(self._player.position_s)
        finally:
            self._pushing = False

    def _on_view_playhead(self, t: float) -> None:
        # A view moved the playhead (a click on the ruler): play from there.
        if self._pushing or self._player is None:
            return
        self._player.seek(t)
