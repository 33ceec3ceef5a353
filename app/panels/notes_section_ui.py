"""The widgets of the notes section (:class:`app.panels.notes_section.NotesSection`).

:func:`build_ui` creates them as attributes of the section and wires them to its
slots; the section's behaviour (jobs, thresholds, views) stays in notes_section.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.panels.notes_arrange import NotesArrange
from app.panels.notes_io import Slider, _DragHandle
from app.panels.notes_jobs import hz as _hz
from app.theme import colours
from core.notes.types import ExtractParams, midi_name

if TYPE_CHECKING:
    from app.panels.notes_section import NotesSection

#: The piano's range in MIDI notes (A0..C8): the note-range sliders' limits.
PIANO_LO, PIANO_HI = 21, 108


def build_ui(s: NotesSection) -> None:
    """Create the section's controls (as attributes of ``s``) and connect them."""
    outer = QVBoxLayout(s)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    inner = QWidget()
    scroll.setWidget(inner)
    outer.addWidget(scroll)
    lay = QVBoxLayout(inner)
    lay.setContentsMargins(0, 8, 4, 0)
    lay.setSpacing(8)
    intro = QLabel("Polyphonic notes of any instrument (Basic Pitch), shown in the piano "
                   "roll and over the spectrogram.")
    intro.setWordWrap(True)
    lay.addWidget(intro)

    row = QHBoxLayout()
    s.source_combo = QComboBox()
    s.source_combo.addItems(["Whole track", "Selection"])
    s.source_combo.setToolTip("Transcribe the current track, or only the selected time range")
    s.transcribe_button = QPushButton("Transcribe notes")
    s.transcribe_button.setDefault(True)
    s.transcribe_button.setToolTip("Find the notes of the current track (runs as a job)")
    s.transcribe_button.clicked.connect(s.transcribe)
    s.cancel_button = QPushButton("Cancel")
    s.cancel_button.setEnabled(False)
    s.cancel_button.clicked.connect(s.cancel)
    row.addWidget(s.source_combo)
    row.addWidget(s.transcribe_button, 1)
    row.addWidget(s.cancel_button)
    lay.addLayout(row)
    s.analyse_check = QCheckBox("Also find tempo, key and chords")
    s.analyse_check.setChecked(True)
    lay.addWidget(s.analyse_check)
    s.progress = QProgressBar()
    s.progress.setRange(0, 100)
    s.progress.setTextVisible(False)
    s.progress.setMaximumHeight(6)
    s.progress.hide()
    lay.addWidget(s.progress)

    s.readout = QLabel()
    s.readout.setObjectName("notesReadout")
    s.readout.setWordWrap(True)
    s.readout.setTextFormat(Qt.TextFormat.RichText)
    lay.addWidget(s.readout)

    box = QGroupBox("Note detection (changes apply live)")
    grid = QGridLayout(box)
    grid.setVerticalSpacing(4)
    s.onset = Slider(5, 95, lambda v: f"{v / 100:.2f}",
                     "Note starts: higher finds fewer, surer note onsets")
    s.frame = Slider(5, 95, lambda v: f"{v / 100:.2f}",
                     "Note sustain: higher cuts notes off sooner")
    s.min_len = Slider(10, 500, lambda v: f"{v} ms", "Shorter notes are dropped")
    s.low = Slider(PIANO_LO, PIANO_HI, lambda v: f"{midi_name(v)} {_hz(v):.0f} Hz",
                   "Ignore notes below this")
    s.high = Slider(PIANO_LO, PIANO_HI, lambda v: f"{midi_name(v)} {_hz(v):.0f} Hz",
                    "Ignore notes above this")
    for r, (label, w) in enumerate((("Note start", s.onset), ("Sustain", s.frame),
                                    ("Shortest", s.min_len), ("Lowest", s.low),
                                    ("Highest", s.high))):
        grid.addWidget(QLabel(label), r, 0)
        grid.addWidget(w, r, 1)
        w.slider.valueChanged.connect(s._threshold_moved)
    s.reset_button = QPushButton("Defaults")
    s.reset_button.setToolTip("Back to Basic Pitch's default thresholds")
    s.reset_button.clicked.connect(s.reset_thresholds)
    grid.addWidget(s.reset_button, 5, 1, Qt.AlignmentFlag.AlignRight)
    s.thresholds_box = box
    s._show_params(ExtractParams())
    lay.addWidget(box)
    s.arrange = NotesArrange(s)
    lay.addWidget(s.arrange)

    view_row = QHBoxLayout()
    s.roll_button = QPushButton("Piano roll")
    s.roll_button.setToolTip("Show the piano-roll pane (edit notes there)")
    s.roll_button.clicked.connect(s.show_roll)
    s.overlay_check = QCheckBox("Notes on spectrogram")
    s.overlay_check.setChecked(True)
    s.overlay_check.toggled.connect(s._overlay_toggled)
    view_row.addWidget(s.roll_button)
    view_row.addWidget(s.overlay_check, 1)
    lay.addLayout(view_row)

    pitch_row = QHBoxLayout()
    s.pitch_method = QComboBox()
    s.pitch_method.addItem("CREPE (neural)", "crepe")
    s.pitch_method.addItem("pYIN", "pyin")
    s.pitch_button = QPushButton("Pitch curve")
    s.pitch_button.setToolTip("Track the pitch of a single voice or instrument and draw "
                              "it over the spectrogram")
    s.pitch_check = QCheckBox("Show")
    s.pitch_check.setChecked(True)
    s.pitch_check.toggled.connect(lambda _on: s._show_pitch())
    pitch_row.addWidget(s.pitch_button, 1)
    pitch_row.addWidget(s.pitch_method)
    pitch_row.addWidget(s.pitch_check)
    lay.addLayout(pitch_row)

    play_box = QGroupBox("Listen")
    pl = QGridLayout(play_box)
    s.instrument = QComboBox()
    for name, program in (("Piano", 0), ("Electric piano", 4), ("Nylon guitar", 24),
                          ("Steel guitar", 25), ("Bass", 33), ("Strings", 48),
                          ("Flute", 73), ("Synth lead", 80)):
        s.instrument.addItem(name, program)
    s.play_button = QPushButton("▶ Play notes")
    s.play_button.setToolTip("Render the notes with a General MIDI SoundFont (added as a "
                             "track under the original) and play them")
    s.hear_group = QButtonGroup(s)
    hear = QHBoxLayout()
    hear.setSpacing(0)
    for i, (text, tip) in enumerate((("Notes", "Hear only the rendered notes"),
                                     ("Original", "Hear only the original audio"),
                                     ("Both", "Hear the notes against the original"))):
        b = QPushButton(text)
        b.setCheckable(True)
        b.setToolTip(tip)
        b.setStyleSheet(f"QPushButton:checked {{ background: {colours().accent}; "
                        "color: white; }")
        s.hear_group.addButton(b, i)
        hear.addWidget(b)
    s.hear_group.button(0).setChecked(True)
    pl.addWidget(s.instrument, 0, 0)
    pl.addWidget(s.play_button, 0, 1)
    pl.addWidget(QLabel("Hear"), 1, 0, Qt.AlignmentFlag.AlignRight)
    pl.addLayout(hear, 1, 1)
    pl.setColumnStretch(1, 1)
    lay.addWidget(play_box)
    for b in (*s.hear_group.buttons(), s.play_button, s.transcribe_button,
              s.cancel_button, s.instrument, s.source_combo, s.pitch_method):
        b.setMinimumWidth(48)
        b.setSizePolicy(QSizePolicy.Policy.Expanding, b.sizePolicy().verticalPolicy())

    out = QHBoxLayout()
    s.export_button = QPushButton("Export…")
    s.export_button.setToolTip("Write the notes as MIDI (with pitch bends and tempo map), "
                               "MusicXML or CSV")
    s.drag_handle = _DragHandle("⠿ Drag MIDI")
    out.addWidget(s.export_button, 1)
    out.addWidget(s.drag_handle)
    from app.batch_dialog import batch_button

    out.addWidget(batch_button(s.host, "transcribe notes"))
    lay.addLayout(out)

    s.status = QLabel()
    s.status.setObjectName("panelNote")
    s.status.setWordWrap(True)
    lay.addWidget(s.status)
    lay.addStretch(1)
