"""Lyrics alignment without a model: text normalisation, CTC search on hand-made emissions, LRC.

The emission matrices are built so that token ``k`` of the target sequence is
the most likely output exactly in frames ``[a_k, b_k)`` and the blank
everywhere else; forced alignment must then put every word where its letters are.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.align import (
    AlignmentError,
    align_words,
    lrc_timestamp,
    number_words,
    parse_lyrics,
    render,
    spell,
    strip_lrc,
    to_lrc,
    write,
)
from core.align.align import place_lines
from core.align.ctc import min_frames, targets_for
from core.align.model import CtcModel
from core.align.testing import VOCAB
from core.errors import InvalidParameterError
from core.speech import Segment, Transcript, Word, read_json, to_srt

UPPER = {t for t in VOCAB if len(t) == 1 and t != "|"}
INDEX = {t: i for i, t in enumerate(VOCAB)}
DELIM = INDEX["|"]


# -- text -----------------------------------------------------------------------------------
@pytest.mark.parametrize("word, expected", [
    ("Hello,", "HELLO"),
    ("don't", "DON'T"),
    ("\u2018cause", "CAUSE"),
    ("Café", "CAFE"),
    ("naïve!", "NAIVE"),
    ("rock'n'roll", "ROCK'N'ROLL"),
    ("1999", "NINETEEN NINETY NINE"),
    ("42", "FORTY TWO"),
    ("2nd", "TWO"),
    ("&", "AND"),
    ("—", ""),
    ("♪", ""),
    ("well-known", "WELL KNOWN"),
    ("ÜBER", "UBER"),
])
def test_spell_for_an_upper_case_vocabulary(word, expected):
    assert spell(word, UPPER) == expected


def test_spell_keeps_known_accents_and_lower_case():
    vocab = set("abcdefghijklmnopqrstuvwxyzé'")
    assert spell("Été", vocab) == "été"
    assert spell("NAÏVE", vocab) == "naive"


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"),
    (100, "one hundred"), (305, "three hundred five"),
    (2024, "two thousand twenty four"), (1_000_001, "one million one"),
])
def test_number_words(n, words):
    assert number_words(n) == words


def test_parse_lyrics_skips_blank_lines_and_section_tags():
    text = "[Verse 1]\n  Twinkle,  twinkle little star \r\n\n(Chorus)\nHow I wonder\n"
    lines = parse_lyrics(text, UPPER)
    assert [ln.text for ln in lines] == ["Twinkle, twinkle little star", "How I wonder"]
    assert [w.spelling for w in lines[0].words] == ["TWINKLE", "TWINKLE", "LITTLE", "STAR"]
    assert [w.text for w in lines[1].words] == ["How", "I", "wonder"]


def test_parse_lyrics_of_nothing():
    assert parse_lyrics("\n \n[Intro]\n", UPPER) == []


# -- the CTC search on known emissions ------------------------------------------------------
def emission(n_frames: int, spans: list[tuple[int, int, int]], *, vocab: int = len(VOCAB),
             peak: float = 0.9) -> np.ndarray:
    """Log-probs where token id ``t`` wins in frames ``[a, b)`` for each ``(t, a, b)``,
    and the blank (id 0) wins elsewhere."""
    p = np.full((n_frames, vocab), (1 - peak) / (vocab - 1), dtype=np.float64)
    p[:, 0] = peak
    for t, a, b in spans:
        p[a:b, :] = (1 - peak) / (vocab - 1)
        p[a:b, t] = peak
    return np.log(p).astype(np.float32)


def layout(words: list[str], rng: np.random.Generator, *, delimiter: bool = True):
    """Random non-overlapping frame ranges for each token; returns emissions, the expected
    (start, end) frames per word, and the words' token ids."""
    ids = [[INDEX[c] for c in w] for w in words]
    tokens, owner = targets_for(ids, delimiter=DELIM if delimiter else None)
    t, spans = int(rng.integers(0, 20)), []
    for tok in tokens:
        t += int(rng.integers(1, 4))  # blank gap >= 1 frame (needed between equal letters)
        length = int(rng.integers(1, 6))
        spans.append((tok, t, t + length))
        t += length
    n = t + int(rng.integers(1, 20))
    expected = []
    for i in range(len(words)):
        mine = [s for s, o in zip(spans, owner, strict=True) if o == i]
        expected.append((mine[0][1], mine[-1][2]))
    return emission(n, spans), expected, ids


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("delimiter", [True, False])
def test_words_land_where_their_letters_are(seed, delimiter):
    rng = np.random.default_rng(seed)
    words = ["TWINKLE", "TWINKLE", "LITTLE", "STAR", "HOW", "I", "WONDER", "ALL", "BOOKKEEPER"]
    lp, expected, ids = layout(words, rng, delimiter=delimiter)
    spans = align_words(lp, ids, blank=0, delimiter=DELIM if delimiter else None)
    assert [(s.start_frame, s.end_frame) for s in spans] == expected
    assert all(0.85 < s.score <= 1.0 for s in spans)


def test_a_missing_letter_still_gets_a_place_and_a_low_score():
    # "CAT" where the T never sounds: the search must still place it, after the A.
    lp = emission(40, [(INDEX["C"], 5, 8), (INDEX["A"], 10, 14)])
    (span,) = align_words(lp, [[INDEX["C"], INDEX["A"], INDEX["T"]]], blank=0)
    assert span.start_frame == 5 and span.end_frame >= 15
    full = align_words(emission(40, [(INDEX["C"], 5, 8), (INDEX["A"], 10, 14),
                                     (INDEX["T"], 16, 18)]),
                       [[INDEX["C"], INDEX["A"], INDEX["T"]]], blank=0)[0]
    assert span.score < full.score


def test_too_little_audio_for_the_lyrics():
    ids = [[INDEX[c] for c in "HELLO"]]
    tokens, _ = targets_for(ids, delimiter=None)
    assert min_frames(tokens) == 6  # H E L _ L O
    with pytest.raises(AlignmentError, match="too long for this audio"):
        align_words(emission(5, []), ids, blank=0)
    assert len(align_words(emission(6, []), ids, blank=0)) == 1


@pytest.mark.parametrize("bad", [[[]], [[0]], [[99]]])
def test_programming_errors_are_value_errors(bad):
    with pytest.raises(ValueError):
        align_words(emission(20, []), bad, blank=0)


def fake_model(frame_s: float = 0.02) -> CtcModel:
    return CtcModel(name="fake", network=None, labels=list(VOCAB), blank=0, delimiter=DELIM,
                    sample_rate=16000, hop=int(frame_s * 16000), receptive=400,
                    normalize=True, device="cpu")


def test_place_lines_gives_seconds_lines_and_unspoken_words():
    m = fake_model()
    lines = parse_lyrics("Hi & you\n— Go!", m.characters)
    # H I | A N D | Y O U | G O  (the dash has no letters and is not aligned)
    plan = [("H", 10, 12), ("I", 13, 15), ("|", 16, 17), ("A", 20, 21), ("N", 22, 23),
            ("D", 24, 25), ("|", 26, 27), ("Y", 30, 32), ("O", 33, 34), ("U", 35, 37),
            ("|", 40, 41), ("G", 100, 103), ("O", 104, 106)]
    lp = emission(150, [(INDEX[c], a, b) for c, a, b in plan])
    segs = place_lines(lp, lines, m)
    assert [s.text for s in segs] == ["Hi & you", "— Go!"]
    words = [(w.text, round(w.start_s, 3), round(w.end_s, 3)) for s in segs for w in s.words]
    assert words == [(" Hi", 0.2, 0.3), (" &", 0.4, 0.5), (" you", 0.6, 0.74),
                     (" —", 2.0, 2.0), (" Go!", 2.0, 2.12)]
    assert segs[0].start_s == pytest.approx(0.2) and segs[0].end_s == pytest.approx(0.74)
    assert segs[1].words[0].probability == 0.0  # not heard, only placed
    assert segs[1].start_s == pytest.approx(2.0)


def test_place_lines_refuses_lyrics_with_no_known_letter():
    m = fake_model()
    lines = parse_lyrics("♪ — ♪", m.characters)
    with pytest.raises(AlignmentError, match="None of the letters"):
        place_lines(emission(50, []), lines, m)


# -- LRC and SRT ---------------------------------------------------------------------------
def karaoke() -> Transcript:
    a = Segment(12.4, 14.8, "Twinkle twinkle", [Word(12.4, 12.95, " Twinkle", 0.9),
                                                 Word(12.95, 14.8, " twinkle", 0.8)])
    b = Segment(65.0, 66.234, "Little star", [Word(65.0, 65.5, " Little", 0.7),
                                              Word(65.6, 66.234, " star", 0.7)])
    return Transcript([a, b], "en", 70.0, "wav2vec2-base-960h", "align")


@pytest.mark.parametrize("t, text", [(0, "00:00.00"), (12.404, "00:12.40"), (59.999, "01:00.00"),
                                     (65.5, "01:05.50"), (3725.25, "62:05.25"), (-1, "00:00.00")])
def test_lrc_timestamp(t, text):
    assert lrc_timestamp(t) == text


def test_enhanced_lrc_has_line_and_word_tags():
    text = to_lrc(karaoke(), title="Star", artist="Anon")
    lines = text.splitlines()
    assert lines[:4] == ["[ti:Star]", "[ar:Anon]", "[length:01:10]", "[re:Resonote]"]
    assert lines[4] == "[00:12.40]<00:12.40>Twinkle <00:12.95>twinkle <00:14.80>"
    assert lines[5] == "[01:05.00]<01:05.00>Little <01:05.60>star <01:06.23>"


def test_plain_lrc_has_line_tags_only():
    lines = to_lrc(karaoke(), words=False).splitlines()
    assert lines[-2:] == ["[00:12.40]Twinkle twinkle", "[01:05.00]Little star"]
    assert "<" not in to_lrc(karaoke(), words=False)


@pytest.mark.parametrize("words", [True, False])
def test_lrc_back_to_plain_lyrics(words):
    lrc = to_lrc(karaoke(), words=words, title="Star")
    assert strip_lrc(lrc) == "Twinkle twinkle\nLittle star"


def test_srt_of_lyrics_uses_the_speech_exporter():
    assert render(karaoke(), "srt") == to_srt(karaoke())
    assert "00:01:05,000 --> 00:01:06,234\nLittle star" in render(karaoke(), "srt")


def test_write_formats(tmp_path):
    write(karaoke(), tmp_path / "song.lrc")
    assert (tmp_path / "song.lrc").read_text(encoding="utf-8").startswith("[length:01:10]")
    write(karaoke(), tmp_path / "song.json")
    assert read_json(tmp_path / "song.json").words == karaoke().words
    with pytest.raises(InvalidParameterError, match="choose one of"):
        write(karaoke(), tmp_path / "song.doc")


def test_a_search_too_big_for_memory_is_refused():
    words = [[INDEX["A"], INDEX["B"]]] * 3  # 6 tokens: 13 trellis states per frame
    assert len(align_words(emission(200, []), words, blank=0, max_trellis=2600)) == 3
    with pytest.raises(AlignmentError, match="Align it in parts"):
        align_words(emission(200, []), words, blank=0, max_trellis=2599)
