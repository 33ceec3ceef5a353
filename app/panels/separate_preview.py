"""The preview strip of the Separate panel: hear a quick render before committing.

A preview is not part of the project: its stems play through the transport as
temporary playback sources (the project's tracks are set aside meanwhile), and
the strip says so in large letters.  "Keep as tracks" turns the previewed
stems into real stem tracks (one undo step); "Discard" forgets them and gives
the transport back to the project.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.panels.separate_jobs import StemResult, format_time, stem_colour

_KEY = "preview:"


class PreviewStrip(QFrame):
    """Shows the current preview and plays it.

    Signals
    -------
    keepRequested(object)
        The user wants the previewed stems as tracks (the :class:`StemResult`).
    discarded()
        The preview is gone (discarded, kept, or its track was removed).
    """

    keepRequested = Signal(object)
    discarded = Signal()

    def __init__(self, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.setObjectName("separatePreview")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#separatePreview { border: 1px dashed #ffd84f; border-radius: 4px; }")
        self.result: StemResult | None = None
        self._offset_s = 0.0
        self._original: Any = None
        self.toggles: dict[str, QPushButton] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(6)
        self.title = QLabel()
        self.title.setObjectName("separatePreviewTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.title)
        self.toggle_row = QHBoxLayout()
        self.toggle_row.setSpacing(4)
        lay.addLayout(self.toggle_row)
        buttons = QHBoxLayout()
        self.play_button = QPushButton("▶ Play preview")
        self.play_button.setToolTip("Play the previewed stems from the start of the preview")
        self.play_button.clicked.connect(self.play)
        self.keep_button = QPushButton("Keep as tracks")
        self.keep_button.setToolTip("Add the previewed stems to the project as stem tracks "
                                    "(only the previewed part; use Separate for the whole track)")
        self.keep_button.clicked.connect(self._keep)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Forget this preview (nothing is added to the project)")
        self.discard_button.clicked.connect(self.discard)
        for b in (self.play_button, self.keep_button, self.discard_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self._reapply = QTimer(self)
        self._reapply.setSingleShot(True)
        self._reapply.setInterval(0)
        self._reapply.timeout.connect(self.apply_playback)
        host.model.changed.connect(self._project_changed)
        self.hide()

    # -- state -----------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.result is not None

    def audible(self) -> list[str]:
        """Labels of the preview stems that sound now ("original" when comparing)."""
        return [k for k, b in self.toggles.items() if b.isChecked()]

    # -- showing a preview -------------------------------------------------------------------
    def show_result(self, result: StemResult, track: Any, *, play: bool = True) -> None:
        """Show ``result`` (a preview of ``track``) and, with ``play``, start hearing it."""
        self.result = result
        self._offset_s = track.offset_s + result.start_s
        n = result.stems[0][1].frames if result.stems else 0
        sr = result.stems[0][1].sr if result.stems else track.audio.sr
        start = round(result.start_s * sr)
        self._original = track.audio.slice_frames(start, start + n)
        stop = result.start_s + n / sr
        self.title.setText(f"PREVIEW (not in the project yet) — {format_time(result.start_s)}"
                           f"–{format_time(stop)} of “{track.name}”")
        while self.toggle_row.count():
            item = self.toggle_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.toggles = {}
        for label, _audio, _kind in result.stems:
            self._add_toggle(label, stem_colour(label), True)
        self._add_toggle("original", "#d0d0d0", False)
        self.toggle_row.addStretch(1)
        self.show()
        self.apply_playback()
        if play:
            self.play()

    def _add_toggle(self, label: str, colour: str, on: bool) -> None:
        b = QPushButton(label)
        b.setCheckable(True)
        b.setChecked(on)
        b.setObjectName(f"previewToggle_{label}")
        b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        b.setStyleSheet(f"QPushButton {{ padding: 3px 10px; border: 2px solid #555; "
                        f"border-radius: 3px; }} QPushButton:checked {{ border-color: {colour}; "
                        f"background: {colour}33; }}")
        b.setToolTip("Compare with the untouched mix (the stems go quiet)" if label == "original"
                     else f"Hear the {label} stem in the preview")
        b.toggled.connect(lambda checked, name=label: self._toggled(name, checked))
        self.toggle_row.addWidget(b)
        self.toggles[label] = b

    def _toggled(self, label: str, checked: bool) -> None:
        if label == "original" and checked:
            for k, b in self.toggles.items():
                if k != "original":
                    b.setChecked(False)
        elif label != "original" and checked and "original" in self.toggles:
            self.toggles["original"].setChecked(False)
        self._apply_mix()

    # -- playback ----------------------------------------------------------------------------
    def _sources(self) -> list:
        from core.playback import PlaySource

        assert self.result is not None
        on = set(self.audible())
        out = [PlaySource(_KEY + label, audio, mute=label not in on, offset_s=self._offset_s)
               for label, audio, _ in self.result.stems]
        out.append(PlaySource(_KEY + "original", self._original, mute="original" not in on,
                              offset_s=self._offset_s))
        return out

    def apply_playback(self) -> None:
        """Point the transport at the preview's sources (the project's tracks are set aside)."""
        pb = self.host.playback
        if pb is None or self.result is None:
            return
        pb.set_ab(None)
        pb.set_sources(self._sources())

    def _apply_mix(self) -> None:
        pb = self.host.playback
        if pb is None or self.result is None:
            return
        on = set(self.audible())
        for label in [s[0] for s in self.result.stems] + ["original"]:
            pb.set_mix(_KEY + label, mute=label not in on)

    def play(self) -> None:
        pb = self.host.playback
        if pb is None or self.result is None:
            return
        if not pb.available:
            self.host.statusBar().showMessage(
                "The preview is ready, but there is no audio output to play it.", 5000)
            return
        pb.play(self._offset_s)

    def _project_changed(self) -> None:
        # The window re-syncs the transport with the project's tracks on every
        # change; put the preview back once it has (after the window's slot ran).
        if self.result is None:
            return
        ids = {t.id for t in self.host.model.tracks}
        if self.result.source_id not in ids:
            self.discard()
        else:
            self._reapply.start()

    # -- ending a preview --------------------------------------------------------------------
    def _keep(self) -> None:
        result = self.result
        if result is None:
            return
        self.discard()
        self.keepRequested.emit(result)

    def discard(self) -> None:
        """Forget the preview and give the transport back to the project's tracks."""
        if self.result is None:
            return
        self.result = None
        self._original = None
        self._reapply.stop()
        pb = self.host.playback
        if pb is not None:
            pb.stop()
            from core.playback import PlaySource

            pb.set_sources([PlaySource(t.id, t.audio, gain_db=t.gain_db, mute=t.mute,
                                       solo=t.solo, offset_s=t.offset_s)
                            for t in self.host.model.tracks])
        self.hide()
        self.discarded.emit()
