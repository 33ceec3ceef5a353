"""Text to speech: spoken guide tracks and samples from text.

Two engines:

``"espeak"``
    The espeak-ng program (a system package): offline, 100+ languages,
    robotic but clear; speed and pitch.
``"piper"``
    Piper neural voices (VITS as ONNX, run by onnxruntime; phonemes from
    espeak-ng), downloaded on demand (``resonote models download
    piper-en_US-ljspeech-medium``); natural, permissive licences.
``"mms"``
    Meta's MMS-TTS neural voices (VITS via transformers), downloaded on
    demand through the model registry (``resonote models download
    mms-tts-eng``); natural, non-commercial licence.

Typical use::

    from core.tts import synthesize
    audio = synthesize("One, two, three, four", engine="espeak", voice="en-us", speed=1.2)

Importing this package is cheap: onnxruntime loads only for ``"piper"``, torch and
transformers only for ``"mms"``.
"""

from __future__ import annotations

from typing import Optional

from core.audio import Audio
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.tts.types import (
    ENGINES,
    MAX_CHARS,
    MAX_SPEED,
    MIN_SPEED,
    TtsEngineMissingError,
    TtsError,
    Voice,
    check_request,
    chunks,
)

DEFAULT_ENGINE = "espeak"


def synthesize(text: str, *, engine: str = DEFAULT_ENGINE, voice: Optional[str] = None,
               speed: float = 1.0, pitch: int = 50, seed: int = 0,
               progress: ProgressCallback = no_progress,
               cancel: Optional[CancelToken] = None) -> Audio:
    """Speak ``text`` and return the recording.

    Parameters
    ----------
    text : str
        What to say; lines are paragraphs.  At most :data:`MAX_CHARS` characters.
    engine : {"espeak", "piper", "mms"}
    voice : str, optional
        espeak: a language code or voice name, optionally ``+variant``
        (``"en-us"``, ``"de"``, ``"en+f3"``).  piper: a voice's registry name
        (``"piper-de_DE-thorsten-medium"``).  mms: a voice's registry name or
        language (``"mms-tts-deu"``, ``"deu"``, ``"de"``).  Default: English.
    speed : float
        0.5-3.0; 1.0 is the engine's normal rate.
    pitch : int
        espeak only: 0-99, 50 normal.
    seed : int
        mms only: the same seed gives the same audio (piper's noise is inside its graph).

    Returns
    -------
    Audio
        Mono float32; 22050 Hz (espeak, Piper medium voices) or 16000 Hz (mms).

    Raises
    ------
    InvalidParameterError
        Empty text, unknown engine or voice, speed or pitch out of range.
    TtsEngineMissingError
        espeak-ng is not installed.
    ModelNotInstalledError
        The neural voice must be downloaded first.
    TtsError
        The engine failed.
    """
    tidy = check_request(text, engine=engine, speed=speed)
    if engine == "espeak":
        from core.tts import espeak

        return espeak.synthesize(tidy, voice=voice, speed=speed, pitch=pitch,
                                 progress=progress, cancel=cancel)
    if engine == "piper":
        from core.tts import piper

        return piper.synthesize(tidy, voice=voice, speed=speed, progress=progress,
                                cancel=cancel)
    from core.tts import mms

    return mms.synthesize(tidy, voice=voice, speed=speed, seed=seed, progress=progress,
                          cancel=cancel)


def voices(engine: str = DEFAULT_ENGINE) -> list[Voice]:
    """Voices of ``engine`` (neural engines: registry voices, installed or not)."""
    check_request("a", engine=engine, speed=1.0)
    if engine == "espeak":
        from core.tts import espeak

        return espeak.voices()
    if engine == "piper":
        from core.tts import piper

        return piper.voices()
    from core.tts import mms

    return mms.voices()


__all__ = [
    "DEFAULT_ENGINE", "ENGINES", "MAX_CHARS", "MAX_SPEED", "MIN_SPEED", "TtsEngineMissingError",
    "TtsError", "Voice", "check_request", "chunks", "synthesize", "voices",
]
