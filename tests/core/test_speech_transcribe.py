"""Speech transcription with the embedded Whisper tiny.en on real recordings.

The recordings and their reference texts are in tests/data/speech (see its
README for sources and licences).  The model is loaded once per session
(``core.speech.loader`` caches it); the whole module takes ~20 s on 2 cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.audio import Audio, load, resample
from core.errors import (
    InvalidParameterError,
    ModelNotInstalledError,
    NonFiniteAudioError,
    UnknownModelError,
)
from core.jobs import CancelToken, JobCancelled, Progress
from core.speech import VadSettings, loader, speech_regions, transcribe
from core.speech.metrics import normalize_text, word_error_rate

DATA = Path(__file__).resolve().parents[1] / "data" / "speech"
SR = 16000


def references() -> dict[str, str]:
    refs = {}
    for line in (DATA / "references.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, text = line.split("\t")
            refs[name] = text
    return refs


REFS = references()


def clip(name: str) -> Audio:
    return load(DATA / f"{name}.flac")


@pytest.fixture(scope="session")
def transcripts():
    """Every reference clip transcribed once with word timings (shared by several tests)."""
    return {name: transcribe(clip(name), word_timestamps=True) for name in REFS}


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), np.float32)


def joined(names: list[str], gap_s: float = 3.0) -> tuple[Audio, list[tuple[float, float]]]:
    """Clips one after another with ``gap_s`` of silence before each; their (start, end) times."""
    parts, spans, t = [], [], 0.0
    for n in names:
        x = clip(n).samples[0]
        parts += [silence(gap_s), x]
        t += gap_s
        spans.append((t, t + x.size / SR))
        t += x.size / SR
    return Audio(np.concatenate(parts), SR), spans


def test_word_error_rate_on_real_recordings(transcripts):
    # Measured 0.063 (8 clips, 95 words) with tiny.en int8; mostly "10" for "ten",
    # "Mr." for "mister" and one misheard phrase.
    wer = word_error_rate(list(REFS.values()), [transcripts[n].text for n in REFS])
    assert wer < 0.15


def test_transcript_fields(transcripts):
    t = transcripts["cmu_arctic_a0007"]
    assert t.language == "en" and t.model == "whisper-tiny.en" and t.task == "transcribe"
    assert t.duration_s == pytest.approx(4.0)
    assert normalize_text(t.text) == REFS["cmu_arctic_a0007"]


@pytest.mark.parametrize("name", sorted(REFS))
def test_word_timestamps_monotonic_and_inside(transcripts, name):
    t = transcripts[name]
    assert t.segments
    prev_end = 0.0
    for seg in t.segments:
        assert seg.words, "word timestamps were requested"
        assert 0.0 <= seg.start_s <= seg.end_s <= t.duration_s
        assert seg.start_s >= prev_end - 1e-6
        for w in seg.words:
            assert prev_end - 1e-6 <= w.start_s <= w.end_s <= t.duration_s
            assert seg.start_s - 1e-6 <= w.start_s and w.end_s <= seg.end_s + 1e-6
            assert 0.0 <= w.probability <= 1.0
            prev_end = w.end_s
        assert normalize_text(" ".join(w.text for w in seg.words)) == normalize_text(seg.text)


def test_times_follow_the_speech_through_vad():
    names = ["pocketsphinx_goforward", "cmu_arctic_a0007", "librivox_sense_and_sensibility_0930"]
    audio, spans = joined(names, gap_s=4.0)
    t = transcribe(audio, word_timestamps=True)
    for name, (a, b) in zip(names, spans, strict=True):
        ref = REFS[name].split()
        hits = t.find(ref[-1])  # the clip's last word lands inside that clip
        assert hits, (name, t.text)
        times = [t.segments[s].words[w] for s, w in hits]
        assert any(a - 0.5 <= w.start_s <= b + 0.5 for w in times), (name, spans, times)
    assert t.duration_s == pytest.approx(audio.duration_s)


def test_any_rate_and_channel_count():
    a = clip("pocketsphinx_goforward")
    stereo = resample(Audio(np.vstack([a.samples[0], 0.5 * a.samples[0]]), SR), 44100)
    t = transcribe(stereo)
    assert "go forward" in normalize_text(t.text)


def _music(kind: str, seconds: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * SR)) / SR
    if kind == "gated-chord":  # a C major chord pulsing at 2 Hz over noise: passes the VAD
        chord = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0, 523.2))
        return chord * (np.sin(2 * np.pi * 2 * t) > 0) + 0.05 * rng.standard_normal(t.size)
    if kind == "progression":  # C F G C, plucked chords with harmonics
        x = np.zeros_like(t)
        for k, root in enumerate((261.6, 349.2, 392.0, 261.6)):
            sel = (t >= k * seconds / 4) & (t < (k + 1) * seconds / 4)
            tt = t[sel] - k * seconds / 4
            for ratio in (1.0, 1.26, 1.5):
                for h in range(1, 6):
                    x[sel] += 0.05 / h * np.sin(2 * np.pi * root * ratio * h * tt) * np.exp(-1.5 * tt)
        return x
    if kind == "drums":
        x = np.zeros_like(t)
        for beat in np.arange(0, seconds, 0.5):
            i, n = int(beat * SR), int(0.15 * SR)
            env = np.exp(-np.arange(n) / (0.03 * SR))
            x[i:i + n] += (0.5 * rng.standard_normal(n) + 0.5 * np.sin(2 * np.pi * 60 * np.arange(n) / SR)) * env
        return x
    if kind == "noise":
        return 0.1 * rng.standard_normal(t.size)
    return np.zeros_like(t)


@pytest.mark.parametrize("kind", ["silence", "noise", "gated-chord", "progression", "drums"])
def test_no_words_invented_on_silence_or_music(kind):
    t = transcribe(Audio(_music(kind).astype(np.float32), SR))
    assert t.segments == [] and t.text == ""
    assert t.duration_s == pytest.approx(10.0)


def test_without_vad_silence_still_returns_a_transcript():
    t = transcribe(Audio(silence(10.0), SR), vad=False)
    assert t.duration_s == pytest.approx(10.0)  # Whisper may hallucinate here; no error


@pytest.mark.parametrize("frames", [0, 100])
def test_empty_or_tiny_audio(frames):
    t = transcribe(Audio(np.zeros((1, frames), np.float32), SR))
    assert t.segments == []


def test_options_beam_prompt():
    t = transcribe(clip("pocketsphinx_goforward"), beam_size=1,
                   initial_prompt="Robot commands: go forward ten meters, turn left.")
    assert normalize_text(t.text).startswith("go forward")


def test_progress_reports_every_stage():
    seen: list[Progress] = []
    audio, _ = joined(["pocketsphinx_goforward", "cmu_arctic_a0007"])
    transcribe(audio, progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages[0] == "load" and "vad" in stages and stages[-1] == "transcribe"
    tr = [p for p in seen if p.stage == "transcribe"]
    assert [p.done for p in tr] == sorted(p.done for p in tr)
    assert tr[-1].done == tr[-1].total == pytest.approx(audio.duration_s)


@pytest.mark.parametrize("when", ["before", "vad", "first-segment"])
def test_cancel(when):
    audio, _ = joined(["librivox_sense_and_sensibility_0870", "librivox_sense_and_sensibility_0920",
                       "librivox_sense_and_sensibility_0890"], gap_s=2.0)
    token = CancelToken()
    segments_seen = []

    def progress(p: Progress) -> None:
        if when == "vad" and p.stage == "vad":
            token.cancel()
        if when == "first-segment" and p.stage == "transcribe" and p.done > 0:
            segments_seen.append(p.done)
            token.cancel()

    if when == "before":
        token.cancel()
    with pytest.raises(JobCancelled):
        transcribe(audio, progress=progress, cancel=token)
    if when == "first-segment":
        assert len(segments_seen) == 1  # stopped at the next segment, not at the end
        assert segments_seen[0] < audio.duration_s


def test_vad_regions_and_blocks():
    audio, spans = joined(["pocketsphinx_goforward", "cmu_arctic_a0007"], gap_s=4.0)
    x = audio.samples[0]
    regions = speech_regions(x)
    assert len(regions) == 2
    for (a, b), (s, e) in zip(regions, spans, strict=True):
        assert a / SR <= s + 0.6 and b / SR >= e - 0.6 and b / SR <= e + 1.0
    # Small blocks (edges inside the speech, detector state restarting at each) still
    # give one region per utterance, covering it within the detector's jitter.
    small = speech_regions(x, settings=VadSettings(block_s=1.5))
    assert len(small) == 2
    for (a, b), (c, d) in zip(regions, small, strict=True):
        assert c <= a + 0.5 * SR and d >= b - 0.5 * SR
    assert speech_regions(silence(5.0)) == []
    with pytest.raises(InvalidParameterError):
        speech_regions(x, settings=VadSettings(threshold=1.5))


@pytest.mark.parametrize("kwargs, match", [
    ({"language": "de"}, "English only"),
    ({"task": "translate"}, "cannot translate"),
    ({"language": "klingon"}, "Unknown language"),
    ({"task": "summarise"}, "Task must be"),
    ({"beam_size": 0}, "Beam size"),
    ({"beam_size": 2.5}, "Beam size"),
    ({"model": "htdemucs"}, "not a speech model"),
    ({"device": "tpu"}, "Unknown device"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        transcribe(clip("pocketsphinx_goforward"), **kwargs)


@pytest.mark.parametrize("language", [None, "auto", "en", "EN"])
def test_english_accepted(language):
    assert transcribe(clip("pocketsphinx_goforward"), language=language).language == "en"


def test_unknown_model():
    with pytest.raises(UnknownModelError, match="no model called"):
        transcribe(clip("pocketsphinx_goforward"), model="whisper-gigantic")


def test_model_not_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path))
    with pytest.raises(ModelNotInstalledError, match="resonote models download faster-whisper-base"):
        transcribe(clip("pocketsphinx_goforward"), model="base")


def test_nonfinite_audio_refused():
    x = clip("pocketsphinx_goforward").samples.copy()
    x[0, 100] = np.nan
    with pytest.raises(NonFiniteAudioError):
        transcribe(Audio(x, SR))


@pytest.mark.parametrize("given, name", [
    ("whisper-tiny.en", "whisper-tiny.en"), ("tiny.en", "whisper-tiny.en"),
    ("base", "faster-whisper-base"), ("whisper-large-v3", "faster-whisper-large-v3"),
    ("faster-whisper-small.en", "faster-whisper-small.en"),
])
def test_model_names(given, name):
    assert loader.resolve_name(given) == name
    assert name in loader.speech_model_names()


def test_loaded_model_is_reused():
    transcribe(clip("pocketsphinx_goforward"))
    before = loader.cached_models()
    where = loader.placement("cpu")
    path = loader.model_path("whisper-tiny.en")
    first = loader.load_model(path, where)
    transcribe(clip("cmu_arctic_a0007"))
    assert loader.load_model(path, where) is first
    assert loader.cached_models() == before and len(before) == 1


def test_placement_on_cpu():
    p = loader.placement("cpu")
    assert (p.device, p.compute_type) == ("cpu", "int8")
    assert loader.placement("cpu", "float32").compute_type == "float32"


def test_cancel_while_whisper_decodes_a_window():
    """Cancel from another thread during a window's decode: JobCancelled, worker ends."""
    import threading

    audio, _ = joined(["librivox_sense_and_sensibility_0870", "librivox_sense_and_sensibility_0920"])
    token = CancelToken()
    decoding = threading.Event()
    result = {}

    def progress(p: Progress) -> None:
        if p.stage == "transcribe" and p.done == 0:
            decoding.set()

    def work() -> None:
        try:
            result["t"] = transcribe(audio, progress=progress, cancel=token)
        except JobCancelled:
            result["cancelled"] = True

    th = threading.Thread(target=work)
    th.start()
    assert decoding.wait(60)
    token.cancel()
    th.join(60)
    assert result == {"cancelled": True}
    for t in threading.enumerate():  # the abandoned decode stops after its window
        if t.name == "whisper-decode":
            t.join(60)
            assert not t.is_alive()
