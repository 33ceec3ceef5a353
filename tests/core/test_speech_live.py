"""Live transcription: audio fed in blocks as a recorder would, at 48 kHz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.audio import Audio, load, resample
from core.errors import InvalidParameterError
from core.speech.live import LiveTranscriber
from core.speech.metrics import normalize_text, word_error_rate

DATA = Path(__file__).resolve().parents[1] / "data" / "speech"
NAMES = ["pocketsphinx_goforward", "cmu_arctic_a0007", "librivox_sense_and_sensibility_0870"]
REFS = {
    "pocketsphinx_goforward": "go forward ten meters",
    "cmu_arctic_a0007": "and you always want to see it in the superlative degree",
    "librivox_sense_and_sensibility_0870": "and mister john dashwood had then leisure to consider "
    "how much there might be prudently in his power to do for them",
}


@pytest.fixture(scope="module")
def recording():
    """Three utterances with 2 s pauses, at 48 kHz stereo; their (start, end) in seconds."""
    parts, spans, t = [], [], 0.0
    for n in NAMES:
        x = load(DATA / f"{n}.flac").samples[0]
        parts += [np.zeros(32000, np.float32), x]
        t += 2.0
        spans.append((t, t + x.size / 16000))
        t += x.size / 16000
    parts.append(np.zeros(16000, np.float32))
    mono = resample(Audio(np.concatenate(parts), 16000), 48000).samples[0]
    return np.vstack([mono, mono]), spans


def test_live_matches_the_speech(recording):
    samples, spans = recording
    live = LiveTranscriber(sr=48000, word_timestamps=True)
    block = 24000  # 0.5 s, as a recorder's worker thread would hand over
    provisional_before_commit = False
    committed_at = []
    for i in range(0, samples.shape[1], block):
        update = live.feed(samples[:, i:i + block])
        if update.provisional and not committed_at:
            provisional_before_commit = True
        for seg in update.committed:
            committed_at.append(((i + block) / 48000, seg))
    transcript = live.finish()
    assert transcript.duration_s == pytest.approx(samples.shape[1] / 48000, abs=0.01)
    wer = word_error_rate([" ".join(REFS[n] for n in NAMES)], [transcript.text])
    assert wer < 0.15, transcript.text
    assert provisional_before_commit
    # The first utterance is committed while the recording is still going on,
    # within a few seconds of its end, with times on the recording's clock.
    first_t, first = committed_at[0]
    assert "go forward" in normalize_text(first.text)
    assert spans[0][0] - 0.5 <= first.start_s and first.end_s <= spans[0][1] + 0.5
    assert first_t <= spans[0][1] + 4.0
    ends = [w.end_s for w in transcript.words]
    assert ends == sorted(ends) and transcript.words[-1].start_s >= spans[2][0] - 0.5


def test_live_silence_gives_nothing():
    live = LiveTranscriber(sr=16000)
    for _ in range(10):
        update = live.feed(np.zeros(16000, np.float32))
        assert update.committed == [] and update.provisional == ""
    assert live.finish().segments == []


@pytest.mark.parametrize("kwargs", [{"sr": 0}, {"sr": 16000, "max_utterance_s": 60},
                                    {"sr": 16000, "language": "fr"}])
def test_live_bad_parameters(kwargs):
    with pytest.raises(InvalidParameterError):
        LiveTranscriber(**kwargs)
