"""Render notes or a MIDI file through a General MIDI SoundFont (tinysoundfont, no system synth)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Optional, Union

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError, ResonoteError
from core.notes.types import Note, NoteTrack

#: SoundFonts looked for, in order, after ``$RESONOTE_SOUNDFONT``: MIT/PD Debian
#: packages first, then the GPL-2 TimGM6mb that ships inside pretty_midi.
SYSTEM_SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf3/FluidR3Mono_GM.sf3",
    "/usr/share/sounds/sf2/sf_GMbank.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
)


class SoundFontError(ResonoteError):
    """No General MIDI SoundFont was found, or it could not be loaded."""


def find_soundfont() -> Path:
    """Path of a General MIDI SoundFont: ``$RESONOTE_SOUNDFONT``, a Debian font, or pretty_midi's."""
    env = os.environ.get("RESONOTE_SOUNDFONT")
    if env:
        if not Path(env).is_file():
            raise SoundFontError(f"The SoundFont in RESONOTE_SOUNDFONT ({env}) does not exist.")
        return Path(env)
    for p in SYSTEM_SOUNDFONTS:
        if Path(p).is_file():
            return Path(p)
    try:
        import importlib.util

        spec = importlib.util.find_spec("pretty_midi")
        if spec and spec.origin:
            p = Path(spec.origin).parent / "TimGM6mb.sf2"
            if p.is_file():
                return p
    except ImportError:
        pass
    raise SoundFontError("No General MIDI SoundFont found: install the Debian package "
                         "fluid-soundfont-gm or set RESONOTE_SOUNDFONT to an .sf2 file.")


def render_midi(
    midi_path: Union[str, os.PathLike],
    *,
    sr: int = 44100,
    soundfont: Optional[Union[str, os.PathLike]] = None,
    tail_s: float = 1.0,
    gain: float = 1.0,
) -> Audio:
    """Render a Standard MIDI file to stereo audio.

    Parameters
    ----------
    midi_path : path-like
        The MIDI file (program changes, pitch bends and tempo are honoured).
    sr : int
        Output sample rate, Hz.
    soundfont : path-like, optional
        ``.sf2``/``.sf3`` file; default :func:`find_soundfont`.
    tail_s : float
        Seconds rendered after the last event (release tails).
    gain : float
        Linear gain on the output.

    Returns
    -------
    Audio
        Stereo, ``sr`` Hz.
    """
    import pretty_midi
    import tinysoundfont

    font = Path(soundfont) if soundfont else find_soundfont()
    end_s = pretty_midi.PrettyMIDI(str(midi_path)).get_end_time()
    synth = tinysoundfont.Synth(samplerate=int(sr), gain=0)
    try:
        synth.sfload(str(font))
    except Exception as exc:  # tinysoundfont raises plain exceptions
        raise SoundFontError(f"Could not load the SoundFont {font.name}: {exc}") from exc
    seq = tinysoundfont.Sequencer(synth)
    seq.midi_load(str(midi_path))
    n = int(round((end_s + tail_s) * sr))
    buf = synth.generate(n)
    stereo = np.frombuffer(buf, dtype=np.float32).reshape(-1, 2).T * gain
    return Audio(np.ascontiguousarray(stereo), int(sr), {"source": str(midi_path)})


def render_notes(
    notes: Union[NoteTrack, Iterable[Note]],
    *,
    sr: int = 44100,
    program: int = 0,
    soundfont: Optional[Union[str, os.PathLike]] = None,
    pitch_bends: bool = True,
    tail_s: float = 1.0,
) -> Audio:
    """Render notes with one General MIDI instrument (``program`` 0-127, 0 = piano).

    Returns
    -------
    Audio
        Stereo, ``sr`` Hz, long enough for the last note plus ``tail_s``.
    """
    from core.notes.export import note_midi

    if not 0 <= int(program) <= 127:
        raise InvalidParameterError(f"A General MIDI program is 0 to 127; got {program}.")
    pm = note_midi(notes, program=program, pitch_bends=pitch_bends)
    fd, tmp = tempfile.mkstemp(suffix=".mid")
    os.close(fd)
    try:
        pm.write(tmp)
        return render_midi(tmp, sr=sr, soundfont=soundfont, tail_s=tail_s)
    finally:
        os.unlink(tmp)
