"""Neural speech with Piper voices (VITS exported to ONNX), run by onnxruntime, downloaded on demand.

A Piper voice is two files: ``<voice>.onnx`` and ``<voice>.onnx.json`` (sample
rate, espeak-ng voice, phoneme-to-id map, default noise and length scales).
Text becomes IPA phonemes with the espeak-ng program (``espeak-ng -q --ipa``),
the phonemes become ids (``^``, then each phoneme followed by the pad ``_``,
then ``$``), and the ONNX graph turns ids into audio.  The ``piper-tts`` pip
package is not used (it is GPL-3.0 and Resonote is MIT): only onnxruntime and
the espeak-ng program, which the espeak engine needs anyway.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError, ModelError
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress
from core.tts.types import TtsError, Voice, chunks

DEFAULT_VOICE = "piper-en_US-ljspeech-medium"
GAP_S = 0.2

_cache: dict[str, PiperVoice] = {}
_lock = threading.Lock()


@dataclass
class PiperVoice:
    """A loaded Piper voice: its ONNX session and what its config says."""

    name: str
    session: Any
    sample_rate: int
    espeak_voice: str
    ids: dict[str, list[int]]
    noise_scale: float
    length_scale: float
    noise_w: float
    speakers: int

    def phoneme_ids(self, phonemes: str) -> list[int]:
        """Ids for ``phonemes`` (IPA text): ``^ _ p1 _ p2 _ ... $``; unknown symbols skipped."""
        out = list(self.ids.get("^", [])) + list(self.ids.get("_", []))
        for ch in unicodedata.normalize("NFD", phonemes):
            if ch in self.ids:
                out += self.ids[ch] + self.ids.get("_", [])
        return out + list(self.ids.get("$", []))


def _is_piper(spec) -> bool:
    return spec.task == "tts" and spec.extra.get("engine") == "piper"


def voices() -> list[Voice]:
    """Every Piper voice in the registry, with its install state."""
    from core import models

    out = []
    for spec in models.all_models("tts"):
        if not _is_piper(spec):
            continue
        st = models.status(spec.name)
        size = "" if st.installed else f", {spec.size_bytes / 1e6:,.0f} MB download"
        out.append(Voice(spec.name, spec.description, str(spec.extra.get("language", "")),
                         "piper", st.installed, f"licence {spec.licence}{size}; {st.detail}"))
    return out


def resolve_voice(voice: Optional[str]) -> str:
    """Registry name for ``voice`` (``"piper-de_DE-thorsten-medium"`` or the part after
    ``piper-``)."""
    from core import models

    if not voice:
        return DEFAULT_VOICE
    v = voice.strip()
    known = {s.name: s for s in models.all_models()}
    for cand in (v, f"piper-{v}"):
        spec = known.get(cand)
        if spec is not None:
            if not _is_piper(spec):
                raise InvalidParameterError(f"'{cand}' is not a Piper voice.")
            return cand
    models.get(v)  # raises UnknownModelError with close names
    raise AssertionError("unreachable")  # pragma: no cover


def load_voice(name: str, *, cancel: Optional[CancelToken] = None) -> PiperVoice:
    """Load Piper voice ``name`` from the registry (never downloads; kept in memory)."""
    from core import models

    folder = Path(models.ensure(name, allow_download=False, cancel=cancel))
    key = str(folder.resolve())
    with _lock:
        if key in _cache:
            return _cache[key]
    spec = models.get(name)
    graph = next((folder / f.name for f in spec.files if f.name.endswith(".onnx")), None)
    config = next((folder / f.name for f in spec.files if f.name.endswith(".onnx.json")), None)
    if graph is None or config is None:
        raise ModelError(f"Voice '{name}' needs a .onnx and a .onnx.json file.")
    try:
        cfg = json.loads(config.read_text(encoding="utf-8"))
        inference = cfg.get("inference", {})
        ids = {str(k): [int(i) for i in v] for k, v in cfg["phoneme_id_map"].items()}
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
        loaded = PiperVoice(
            name=name, session=session, sample_rate=int(cfg["audio"]["sample_rate"]),
            espeak_voice=str(cfg.get("espeak", {}).get("voice", "en-us")), ids=ids,
            noise_scale=float(inference.get("noise_scale", 0.667)),
            length_scale=float(inference.get("length_scale", 1.0)),
            noise_w=float(inference.get("noise_w", 0.8)),
            speakers=int(cfg.get("num_speakers", 1)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"Voice '{name}' could not be loaded: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for bad graphs
        raise ModelError(f"Voice '{name}' could not be loaded: {exc}") from None
    with _lock:
        _cache.clear()
        _cache[key] = loaded
    return loaded


def clear_cache() -> None:
    """Forget the loaded voice."""
    with _lock:
        _cache.clear()


def phonemize(text: str, espeak_voice: str, *, cancel: Optional[CancelToken] = None) -> str:
    """IPA phonemes of ``text`` from espeak-ng (clauses joined by commas, the text's final
    punctuation kept: Piper voices were trained on phonemes with punctuation)."""
    from core.tts import espeak

    res = espeak._run([espeak.program(), "-q", "-b", "1", "--ipa", "-v", espeak_voice, "--stdin"],
                      text=text, cancel=cancel)
    if res.returncode != 0:
        msg = res.stderr.decode("utf-8", "replace").strip() or f"exit code {res.returncode}"
        raise TtsError(f"espeak-ng could not read the text for the Piper voice: {msg}")
    # espeak-ng writes one line per clause; the breaks were commas or the like.
    lines = [" ".join(ln.split()) for ln in res.stdout.decode("utf-8", "replace").splitlines()]
    ipa = ", ".join(ln for ln in lines if ln)
    end = text.rstrip()[-1:]
    return ipa + (end if end in ".!?,;:" else "")


def synthesize(text: str, *, voice: Optional[str] = None, speed: float = 1.0, seed: int = 0,
               progress: ProgressCallback = no_progress,
               cancel: Optional[CancelToken] = None) -> Audio:
    """Speak ``text`` with a Piper voice.

    Parameters
    ----------
    text : str
        Already checked (see :func:`core.tts.types.check_request`).
    voice : str, optional
        Registry name of a Piper voice; default English (LJSpeech).
    speed : float
        1.0 normal; divides the voice's length scale.
    seed : int
        Unused by the ONNX graph (its noise is internal); kept for a uniform API.

    Returns
    -------
    Audio
        Mono float32 at the voice's rate (22050 Hz for "medium" voices).
    """
    del seed
    name = resolve_voice(voice)
    v = load_voice(name, cancel=cancel)
    pieces = chunks(text, max_chars=300)
    gap = np.zeros(int(GAP_S * v.sample_rate), np.float32)
    parts: list[np.ndarray] = []
    for i, piece in enumerate(pieces):
        check(cancel)
        progress(Progress("speak", i, len(pieces), f"speaking part {i + 1} of {len(pieces)}"))
        ids = v.phoneme_ids(phonemize(piece, v.espeak_voice, cancel=cancel))
        if len(ids) <= 4:
            continue  # nothing this voice can pronounce
        feed = {"input": np.array([ids], np.int64),
                "input_lengths": np.array([len(ids)], np.int64),
                "scales": np.array([v.noise_scale, v.length_scale / speed, v.noise_w],
                                   np.float32)}
        if v.speakers > 1:
            feed["sid"] = np.array([0], np.int64)
        wave = np.asarray(v.session.run(None, feed)[0], np.float32).reshape(-1)
        if parts:
            parts.append(gap)
        parts.append(np.clip(wave, -1.0, 1.0))
    if not parts:
        raise TtsError(f"Voice '{name}' cannot pronounce any of this text; is it in the "
                       "voice's language?")
    progress(Progress("speak", len(pieces), len(pieces), "done"))
    return Audio(np.concatenate(parts)[None, :], v.sample_rate)
