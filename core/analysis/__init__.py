"""What the views need: spectrograms, waveform summaries, colour maps, note names.

Importing this package is cheap: torch loads only when an STFT runs on it
(:func:`stft`, :func:`spectrogram`, or a :class:`SpectrogramLOD` given a device).
"""

from core.analysis.colors import COLORMAPS, colormap_lut, to_uint8
from core.analysis.lod import SpectrogramLOD
from core.analysis.measure import level_db, spectrum
from core.analysis.notes import freq_to_midi, midi_to_name, note_name, note_to_freq
from core.analysis.open_fast import OpenedAudio, open_for_view
from core.analysis.pyramid import MinMaxPyramid
from core.analysis.scales import SCALES, FrequencyAxis, frequency_axis
from core.analysis.stft import spectrogram, stft
from core.analysis.types import Spectrogram

__all__ = [
    "COLORMAPS", "SCALES", "FrequencyAxis", "MinMaxPyramid", "Spectrogram", "SpectrogramLOD",
    "colormap_lut", "freq_to_midi", "frequency_axis", "level_db", "midi_to_name", "note_name",
    "note_to_freq", "OpenedAudio", "open_for_view", "spectrogram", "spectrum", "stft",
    "to_uint8",
]
