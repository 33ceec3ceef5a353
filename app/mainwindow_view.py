"""View behaviour of the main window: zoom/pan keys, status readout, theme, help."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.actions import ShortcutsDialog
from app.theme import apply_theme
from app.views.time_axis import format_time

KEY_ZOOM = 1.5
KEY_PAN = 0.1  # of the visible span


class ViewMixin:
    """Zoom, pan, selection, readout and theme actions of :class:`app.mainwindow.MainWindow`."""

    # -- status readout ------------------------------------------------------------------------
    def _update_readout(self, t: float, f: float, level_db: float) -> None:
        r = self.readout
        r["time"].setText(format_time(t))
        track = self.current_track()
        if track is not None and math.isfinite(t):
            r["samples"].setText(f"{int(round((t - track.offset_s) * track.audio.sr)):,} smp")
        else:
            r["samples"].setText("—")
        if math.isfinite(f) and f > 0:
            from core.analysis import note_name

            r["freq"].setText(f"{f:,.1f} Hz" if f < 10000 else f"{f / 1000:.2f} kHz")
            name, cents = note_name(f)
            r["note"].setText(f"{name} {cents:+.0f}¢")
        else:
            r["freq"].setText("—")
            r["note"].setText("—")
        if math.isfinite(level_db):
            r["level"].setText(f"{level_db:.1f} dB")
        else:
            r["level"].setText("−∞ dB" if level_db == -math.inf else "—")

    # -- view actions ------------------------------------------------------------------------------
    def zoom_in(self) -> None:
        self.view_state.zoom(KEY_ZOOM, self._zoom_anchor())

    def zoom_out(self) -> None:
        self.view_state.zoom(1.0 / KEY_ZOOM, self._zoom_anchor())

    def _zoom_anchor(self) -> float | None:
        t0, t1 = self.view_state.range
        ph = self.view_state.playhead
        return ph if t0 <= ph <= t1 else None

    def zoom_fit(self) -> None:
        self.view_state.zoom_to_fit()

    def zoom_selection(self) -> None:
        self.view_state.zoom_to_selection()

    def pan_left(self) -> None:
        t0, t1 = self.view_state.range
        self.view_state.pan(-KEY_PAN * (t1 - t0))

    def pan_right(self) -> None:
        t0, t1 = self.view_state.range
        self.view_state.pan(KEY_PAN * (t1 - t0))

    def go_start(self) -> None:
        t0, t1 = self.view_state.range
        self.view_state.set_range(0.0, t1 - t0)

    def go_end(self) -> None:
        t0, t1 = self.view_state.range
        d = self.view_state.duration
        self.view_state.set_range(d - (t1 - t0), d)

    def select_all(self) -> None:
        self.view_state.set_selection(0.0, self.view_state.duration)

    def clear_selection(self) -> None:
        self.view_state.clear_selection()

    def set_snap_to_zero(self, on: bool) -> None:
        self.tracks_area.snap_to_zero = bool(on)
        self.settings.snap_to_zero = bool(on)

    def use_dark_theme(self) -> None:
        self._set_theme("dark")

    def use_light_theme(self) -> None:
        self._set_theme("light")

    def _set_theme(self, name: str) -> None:
        apply_theme(QApplication.instance(), name)
        self.settings.theme = name
        self.acts[f"theme_{name}"].setChecked(True)
        for lane in self.tracks_area.lanes():
            lane.update()
            lane.waveform.update()
        self.tracks_area.ruler.update()

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.acts, self.playback.actions() if self.playback else None,
                                 self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_welcome(self):
        """Show the welcome dialog again (demo clip, model sources): app/welcome.py."""
        from app.welcome import show_welcome

        return show_welcome(self)

    def show_about(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("resonote")
        except PackageNotFoundError:
            v = "development"
        QMessageBox.about(self, "About Resonote",
                          f"<b>Resonote</b> {v}<br>A desktop audio workstation for musicians: "
                          "see, hear, transcribe, separate, restore and generate audio, offline.")
