"""Text to speech: real espeak-ng synthesis, and the MMS neural path with a tiny random voice.

The tiny VITS voice (core.tts.testing) is served by a local HTTP server and
installed through the real registry and downloader; it speaks noise, so its
tests check loading, seeding, speed and errors, not the sound.
"""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest

from core import models
from core.errors import InvalidParameterError, ModelNotInstalledError
from core.jobs import CancelToken, JobCancelled
from core.tts import TtsEngineMissingError, TtsError, chunks, mms, piper, synthesize, voices
from core.tts import espeak as espeak_engine
from core.tts.testing import write_tiny_piper_voice, write_tiny_voice

SHORT = "Hello there."
LONG = ("Hello there. This is a guide track for the second verse. Count four bars, then "
        "come in softly on the word morning, and hold the last note for two beats.")


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def median_f0(x: np.ndarray, sr: int) -> float:
    """Median pitch (Hz) of the voiced 40 ms frames, by autocorrelation (70-400 Hz)."""
    n = int(0.04 * sr)
    lo, hi = sr // 400, sr // 70
    f0s = []
    for start in range(0, x.size - n, n):
        f = x[start:start + n] - x[start:start + n].mean()
        if rms(f) < 0.02:
            continue
        ac = np.correlate(f, f, "full")[n - 1:]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.3 * ac[0]:
            f0s.append(sr / lag)
    return float(np.median(f0s))


# -- espeak-ng ------------------------------------------------------------------------------
def test_espeak_speaks():
    a = synthesize(LONG, voice="en-us")
    assert a.sr == 22050 and a.channels == 1 and a.samples.dtype == np.float32
    assert 4.0 < a.duration_s < 20.0
    assert rms(a.samples[0]) > 0.02 and np.abs(a.samples).max() <= 1.0


def test_duration_grows_with_text_and_shrinks_with_speed():
    short, long_ = synthesize(SHORT), synthesize(LONG)
    assert long_.duration_s > 4 * short.duration_s
    fast = synthesize(LONG, speed=2.0)
    slow = synthesize(LONG, speed=0.6)
    assert 0.35 < fast.duration_s / long_.duration_s < 0.7
    assert slow.duration_s > 1.3 * long_.duration_s


def test_pitch_moves_the_voice():
    low = synthesize(LONG, pitch=10)
    high = synthesize(LONG, pitch=90)
    assert median_f0(high.samples[0], high.sr) > 1.3 * median_f0(low.samples[0], low.sr)


@pytest.mark.parametrize("voice", ["de", "fr", "en+f3", "English (America)", "EN-US"])
def test_other_voices(voice):
    assert rms(synthesize("Eins zwei drei. Un deux trois.", voice=voice).samples[0]) > 0.02


def test_voice_list():
    ids = {v.id for v in voices("espeak")}
    assert {"en-us", "de", "fr-fr"} <= ids and len(ids) > 50
    assert all(v.engine == "espeak" and v.installed for v in voices("espeak"))


@pytest.mark.parametrize("voice, match", [("elvish", "no voice 'elvish'"),
                                          ("en-uss", "Did you mean"),
                                          ("en+nobody", "no voice variant")])
def test_unknown_voice(voice, match):
    with pytest.raises(InvalidParameterError, match=match):
        synthesize(SHORT, voice=voice)


def test_missing_espeak_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng here
    with pytest.raises(TtsEngineMissingError, match="apt install espeak-ng"):
        synthesize(SHORT)
    with pytest.raises(TtsEngineMissingError):
        voices("espeak")


def test_cancel_between_parts():
    text = "\n".join(f"This is paragraph number {i} of the text." for i in range(20))
    token = CancelToken()
    parts = []

    def progress(p):
        parts.append(p.done)
        if p.done >= 2:
            token.cancel()

    with pytest.raises(JobCancelled):
        synthesize(text, progress=progress, cancel=token)
    assert max(parts) == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"text": ""}, "no text to speak"),
    ({"text": " ... !"}, "no text to speak"),
    ({"text": "a" * 20_001}, "too long"),
    ({"text": "hi", "speed": 0.1}, "Speed must be between"),
    ({"text": "hi", "speed": 5}, "Speed must be between"),
    ({"text": "hi", "engine": "sam"}, "Unknown speech engine"),
    ({"text": "hi", "pitch": 120}, "Pitch must be 0 to 99"),
])
def test_bad_requests(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        synthesize(**kwargs)


def test_chunks_split_at_sentences_and_paragraphs():
    text = "One. Two! Three?\nFour " + "word " * 200
    parts = chunks(text, max_chars=50)
    assert parts[0] == "One. Two! Three?"
    assert all(len(p) <= 50 for p in parts)
    assert " ".join(parts).split() == text.split()


# -- MMS neural voices ----------------------------------------------------------------------
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def voice_files(tmp_path_factory):
    return write_tiny_voice(tmp_path_factory.mktemp("tiny-vits"))


@pytest.fixture
def tiny_voice(tmp_path, monkeypatch, voice_files):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(voice_files)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    name = "tiny-voice-test"
    models.register(models.ModelSpec(
        name=name, task="tts", description="tiny random VITS voice", source="download",
        licence="MIT", loader="transformers-dir",
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        files=tuple(models.FileSpec(n) for n in ("config.json", "vocab.json",
                                                 "tokenizer_config.json", "model.safetensors")),
        extra={"language": "eng"}), replace=True)
    models.download(name)
    yield name
    mms.clear_cache()
    models.unregister(name)
    server.shutdown()
    server.server_close()


def test_neural_voice_through_the_registry(tiny_voice):
    a = synthesize("Hello there. How are you?", engine="mms", voice=tiny_voice)
    assert a.sr == 16000 and a.channels == 1 and a.samples.dtype == np.float32
    assert a.duration_s > 0.2 and rms(a.samples[0]) > 0
    again = synthesize("Hello there. How are you?", engine="mms", voice=tiny_voice)
    np.testing.assert_array_equal(a.samples, again.samples)  # seeded
    other = synthesize("Hello there. How are you?", engine="mms", voice=tiny_voice, seed=1)
    assert not np.array_equal(a.samples, other.samples)
    fast = synthesize("Hello there. How are you?", engine="mms", voice=tiny_voice, speed=2.5)
    assert fast.duration_s < a.duration_s
    # Two sentences are spoken one by one with a gap of silence between them.
    one = synthesize("Hello there.", engine="mms", voice=tiny_voice)
    assert a.duration_s > one.duration_s + mms.GAP_S


def test_neural_voice_reads_numbers(tiny_voice):
    assert synthesize("42", engine="mms", voice=tiny_voice).duration_s > 0.1


def test_neural_voice_cannot_read_foreign_script(tiny_voice):
    with pytest.raises(TtsError, match="cannot pronounce"):
        synthesize("Звёздочка", engine="mms", voice=tiny_voice)


def test_neural_voices_listed_with_install_state(tiny_voice):
    listed = {v.id: v for v in voices("mms")}
    assert listed[tiny_voice].installed
    assert not listed["mms-tts-eng"].installed
    assert "CC-BY-NC-4.0" in listed["mms-tts-eng"].detail


@pytest.mark.parametrize("given, name", [(None, "mms-tts-eng"), ("de", "mms-tts-deu"),
                                         ("fra", "mms-tts-fra"), ("mms-tts-spa", "mms-tts-spa")])
def test_voice_names(given, name):
    assert mms.resolve_voice(given) == name


def test_neural_voice_not_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(ModelNotInstalledError, match="resonote models download mms-tts-eng"):
        synthesize(SHORT, engine="mms")


def test_a_model_that_is_not_a_voice():
    with pytest.raises(InvalidParameterError, match="not a voice"):
        synthesize(SHORT, engine="mms", voice="whisper-tiny.en")


# -- Piper voices (ONNX) ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def piper_files(tmp_path_factory):
    return write_tiny_piper_voice(tmp_path_factory.mktemp("tiny-piper"), "tiny")


@pytest.fixture
def tiny_piper(tmp_path, monkeypatch, piper_files):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(piper_files)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    name = "piper-tiny-test"
    models.register(models.ModelSpec(
        name=name, task="tts", description="tiny Piper-style voice", source="download",
        licence="MIT", loader="onnx", base_url=f"http://127.0.0.1:{server.server_address[1]}",
        files=(models.FileSpec("tiny.onnx"), models.FileSpec("tiny.onnx.json")),
        extra={"engine": "piper", "language": "en-us"}), replace=True)
    models.download(name)
    yield name
    piper.clear_cache()
    models.unregister(name)
    server.shutdown()
    server.server_close()


def test_piper_phonemes_and_ids(tiny_piper):
    v = piper.load_voice(tiny_piper)
    ipa = piper.phonemize("Hello world, again!", "en-us")
    assert ipa.startswith("həlˈoʊ wˈɜːld, ") and ipa.endswith("!")
    ids = v.phoneme_ids("hə!")
    m = v.ids
    assert ids == m["^"] + m["_"] + m["h"] + m["_"] + m["ə"] + m["_"] + m["!"] + m["_"] + m["$"]
    assert v.phoneme_ids("h\u2603") == v.phoneme_ids("h")  # unknown symbols are skipped


def test_piper_voice_through_the_registry(tiny_piper):
    text = "Hello there. How are you today?"
    a = synthesize(text, engine="piper", voice=tiny_piper)
    assert a.sr == 22050 and a.channels == 1 and rms(a.samples[0]) > 0.05
    pieces = chunks(text, max_chars=300)
    ids = sum(len(piper.load_voice(tiny_piper).phoneme_ids(piper.phonemize(p, "en-us")))
              for p in pieces)
    # 256 samples per id in the tiny graph, plus a gap between pieces of text.
    assert a.frames == ids * 256 + (len(pieces) - 1) * int(piper.GAP_S * 22050)
    long_text = "\n".join([text] * 3)  # three paragraphs: three pieces, two gaps
    assert synthesize(long_text, engine="piper", voice=tiny_piper).frames == \
        3 * ids * 256 + 2 * int(piper.GAP_S * 22050)
    fast = synthesize(text, engine="piper", voice=tiny_piper, speed=2.0)
    assert fast.frames < 0.6 * a.frames
    assert voices("piper")[-1].id == tiny_piper and voices("piper")[-1].installed


def test_piper_voice_not_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(ModelNotInstalledError,
                       match="resonote models download piper-en_US-ljspeech-medium"):
        synthesize(SHORT, engine="piper")
    with pytest.raises(InvalidParameterError, match="piper voice: use engine piper"):
        synthesize(SHORT, engine="mms", voice="piper-de_DE-thorsten-medium")
    with pytest.raises(InvalidParameterError, match="not a Piper voice"):
        synthesize(SHORT, engine="piper", voice="mms-tts-eng")


def test_espeak_program_is_found():
    assert espeak_engine.program().endswith(("espeak-ng", "espeak"))
