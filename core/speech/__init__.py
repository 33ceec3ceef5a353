"""Speech to text: Whisper (faster-whisper, CTranslate2) with Silero VAD, and transcript files.

Typical use::

    from core.audio import load
    from core.speech import transcribe, write

    transcript = transcribe(load("memo.wav"), word_timestamps=True)
    write(transcript, "memo.srt")

Importing this package is cheap: faster-whisper, CTranslate2 and onnxruntime
load on the first transcription.
"""

from core.speech.export import (
    FORMATS,
    TranscriptFileError,
    format_timestamp,
    read_json,
    render,
    subtitle_cues,
    to_json,
    to_srt,
    to_txt,
    to_vtt,
    write,
)
from core.speech.live import LiveTranscriber, LiveUpdate
from core.speech.loader import DEFAULT_MODEL, clear_cache, resolve_name, speech_model_names
from core.speech.transcribe import check_options, transcribe
from core.speech.types import Segment, Transcript, Word
from core.speech.vad import VadSettings, speech_regions

__all__ = [
    "DEFAULT_MODEL", "FORMATS", "LiveTranscriber", "LiveUpdate", "Segment", "Transcript", "TranscriptFileError", "VadSettings",
    "Word", "check_options", "clear_cache", "format_timestamp", "read_json", "render", "resolve_name",
    "speech_model_names", "speech_regions", "subtitle_cues", "to_json", "to_srt", "to_txt",
    "to_vtt", "transcribe", "write",
]
