"""Music generation: Resonote's own small symbolic model, drum grooves, and MusicGen.

Importing this package is cheap (no torch); models load on first use.

>>> from core.generate import generate_idea, harmonize, add_bassline, generate_drums
>>> idea = generate_idea(style="folk", key="G major", metre="6/8", tempo_bpm=100, bars=8, seed=3)
>>> choir = harmonize(idea.parts["melody"], key="G major", metre="6/8", tempo_bpm=100)
>>> audio = choir.render()                      # Audio, 44.1 kHz stereo
"""

from core.generate.drums import generate_drums
from core.generate.errors import GeneratorError, GeneratorNotTrainedError
from core.generate.musicgen import musicgen_generate
from core.generate.result import Generation
from core.generate.sample import (
    add_bassline,
    continue_notes,
    generate_idea,
    harmonize,
    key_of_notes,
    load_generator,
)

__all__ = [
    "Generation", "GeneratorError", "GeneratorNotTrainedError", "add_bassline",
    "continue_notes", "generate_drums", "generate_idea", "harmonize", "key_of_notes",
    "load_generator", "musicgen_generate",
]
