"""Lyrics alignment: time every word and line of known lyrics in a vocal recording.

Typical use::

    from core.audio import load
    from core.align import align_lyrics, write

    timing = align_lyrics(load("vocals.wav"), open("lyrics.txt").read())
    write(timing, "song.lrc")          # enhanced LRC with word tags

The result is a :class:`core.speech.Transcript` (segments = lyric lines, words
with start/end/score), so the transcript pane shows it karaoke-style.  The
acoustic model is a wav2vec2 CTC model from the registry (task ``"align"``);
torch and transformers load on first use, not on import.
"""

from core.align.align import TASK, align_lyrics, check_lyrics
from core.align.ctc import AlignmentError, WordSpan, align_words
from core.align.lrc import FORMATS, lrc_timestamp, render, strip_lrc, to_lrc, write
from core.align.model import DEFAULT_MODEL, align_model_names, clear_cache, load_model
from core.align.text import LyricLine, LyricWord, number_words, parse_lyrics, spell

__all__ = [
    "DEFAULT_MODEL", "FORMATS", "TASK", "AlignmentError", "LyricLine", "LyricWord", "WordSpan",
    "align_lyrics", "align_model_names", "align_words", "check_lyrics", "clear_cache",
    "load_model", "lrc_timestamp", "number_words", "parse_lyrics", "render", "spell", "strip_lrc", "to_lrc",
    "write",
]
