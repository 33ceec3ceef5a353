"""Offline speech with the espeak-ng program (formant synthesis, 100+ languages, 22.05 kHz).

The program runs once per chunk of text (``espeak-ng -w out.wav --stdin``),
so a long text reports progress and cancels between chunks; a running
process is killed on cancel.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled, Progress, ProgressCallback, check, no_progress
from core.tts.types import TtsEngineMissingError, TtsError, Voice, chunks

#: espeak-ng's normal speaking rate in words per minute (speed 1.0).
BASE_WPM = 175
DEFAULT_VOICE = "en"
INSTALL_HINT = ("Install it with `sudo apt install espeak-ng` (Debian/Ubuntu), "
                "`sudo dnf install espeak-ng` (Fedora) or `brew install espeak-ng` (macOS).")


def program() -> str:
    """Path of the espeak-ng (or espeak) program on ``PATH``.

    Raises
    ------
    TtsEngineMissingError
        Neither is installed.
    """
    for name in ("espeak-ng", "espeak"):
        found = shutil.which(name)
        if found:
            return found
    raise TtsEngineMissingError(f"The espeak-ng speech program is not installed. {INSTALL_HINT}")


def _run(args: list[str], *, text: Optional[str] = None, timeout_s: float = 60.0,
         cancel: Optional[CancelToken] = None) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE if text is not None else None,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise TtsEngineMissingError(f"espeak-ng could not be started ({exc.strerror or exc}). "
                                    f"{INSTALL_HINT}") from None
    data = text.encode("utf-8") if text is not None else None
    waited = 0.0
    while True:
        try:
            out, err = proc.communicate(data, timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            data = None  # already sent
            waited += 0.1
            if (cancel is not None and cancel.cancelled) or waited > timeout_s:
                proc.kill()
                proc.communicate()
                if waited > timeout_s:
                    raise TtsError("espeak-ng stopped responding.") from None
                raise JobCancelled() from None
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def voices() -> list[Voice]:
    """Every espeak-ng language voice (``id`` is its language code, e.g. ``"en-us"``)."""
    return list(_voice_table(program())[0])


@functools.lru_cache(maxsize=4)
def _voice_table(exe: str) -> tuple[tuple[Voice, ...], frozenset[str]]:
    """Voices, and the extra language codes espeak-ng also accepts (``"en"`` for en-gb)."""
    res = _run([exe, "--voices"])
    out, aliases = [], set()
    for line in res.stdout.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        lang, name = parts[1], parts[3].replace("_", " ")
        out.append(Voice(lang, name, lang, "espeak", True, f"espeak-ng voice {parts[4]}"))
        aliases.update(re.findall(r"\(([\w-]+) \d+\)", " ".join(parts[5:])))
    return tuple(out), frozenset(aliases)


def variants() -> list[str]:
    """Names of espeak-ng voice variants (``"f3"``, ``"klatt"``...), added as ``"en+f3"``."""
    return list(_variant_list(program()))


@functools.lru_cache(maxsize=4)
def _variant_list(exe: str) -> tuple[str, ...]:
    res = _run([exe, "--voices=variant"])
    names = []
    for line in res.stdout.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and parts[4].startswith("!v/"):
            names.append(parts[4][3:])
    return tuple(names)


def resolve_voice(voice: Optional[str]) -> str:
    """The espeak-ng voice argument for ``voice`` (a language code, a voice name, or either
    with ``+variant``); raises :class:`InvalidParameterError` when unknown."""
    if not voice:
        return DEFAULT_VOICE
    base, _, variant = voice.strip().partition("+")
    known, aliases = _voice_table(program())
    by_lang = {a.lower(): a for a in aliases}
    by_lang.update({v.id.lower(): v.id for v in known})
    by_name = {v.name.lower(): v.id for v in known}
    key = base.lower().replace("_", " ")
    lang = by_lang.get(base.lower()) or by_name.get(key)
    if lang is None:
        import difflib

        close = difflib.get_close_matches(base.lower(), list(by_lang) + list(by_name), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else \
            " `resonote tts --list-voices` shows them all."
        raise InvalidParameterError(f"espeak-ng has no voice '{base}'.{hint}")
    if variant:
        if variant not in variants():
            raise InvalidParameterError(f"espeak-ng has no voice variant '{variant}'.")
        return f"{lang}+{variant}"
    return lang


def synthesize(text: str, *, voice: Optional[str] = None, speed: float = 1.0, pitch: int = 50,
               progress: ProgressCallback = no_progress,
               cancel: Optional[CancelToken] = None) -> Audio:
    """Speak ``text`` with espeak-ng.

    Parameters
    ----------
    text : str
        Already checked (see :func:`core.tts.types.check_request`).
    voice : str, optional
        Language code (``"en-us"``, ``"de"``), voice name, optionally with a
        variant (``"en+f3"``); default ``"en"``.
    speed : float
        1.0 is espeak-ng's normal 175 words a minute.
    pitch : int
        0-99, 50 is normal.

    Returns
    -------
    Audio
        Mono float32 at 22050 Hz.
    """
    if not 0 <= pitch <= 99:
        raise InvalidParameterError(f"Pitch must be 0 to 99 (50 is normal), not {pitch}.")
    exe = program()
    v = resolve_voice(voice)
    wpm = int(round(min(max(BASE_WPM * speed, 80), 500)))
    pieces = chunks(text)
    parts: list[np.ndarray] = []
    sr = 22050
    with tempfile.TemporaryDirectory(prefix="resonote-tts-") as tmp:
        wav = Path(tmp) / "piece.wav"
        for i, piece in enumerate(pieces):
            check(cancel)
            progress(Progress("speak", i, len(pieces), f"speaking part {i + 1} of {len(pieces)}"))
            res = _run([exe, "-b", "1", "-v", v, "-s", str(wpm), "-p", str(int(pitch)),
                        "-w", str(wav), "--stdin"], text=piece, cancel=cancel)
            if res.returncode != 0 or not wav.is_file():
                msg = res.stderr.decode("utf-8", "replace").strip() or f"exit code {res.returncode}"
                raise TtsError(f"espeak-ng could not speak the text: {msg}")
            import soundfile as sf

            data, sr = sf.read(str(wav), dtype="float32", always_2d=True)
            parts.append(data[:, 0])
            os.unlink(wav)
    progress(Progress("speak", len(pieces), len(pieces), "done"))
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return Audio(samples[None, :].astype(np.float32), int(sr))
