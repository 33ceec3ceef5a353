"""Transcript types, search, export formats and text normalisation (no model needed)."""

from __future__ import annotations

import json
import re

import pytest

from core.errors import InvalidParameterError
from core.speech import (
    Segment,
    Transcript,
    TranscriptFileError,
    Word,
    format_timestamp,
    read_json,
    subtitle_cues,
    to_srt,
    to_txt,
    to_vtt,
    write,
)
from core.speech.metrics import normalize_text, word_error_rate


def _words(text: str, start: float, step: float = 0.4) -> list[Word]:
    out = []
    for i, w in enumerate(text.split()):
        out.append(Word(start + i * step, start + (i + 1) * step - 0.05, " " + w, 0.9))
    return out


@pytest.fixture
def transcript() -> Transcript:
    a = "Go forward ten meters."
    b = "Then turn left, and go forward again."
    return Transcript(
        [Segment(0.5, 2.1, a, _words(a, 0.5), -0.2, 0.01),
         Segment(3.0, 6.2, b, _words(b, 3.0), -0.3, 0.02)],
        language="en", duration_s=7.0, model="whisper-tiny.en")


@pytest.mark.parametrize("t, sep, hours, expected", [
    (0.0, ",", True, "00:00:00,000"),
    (1.234, ",", True, "00:00:01,234"),
    (1.2345, ".", True, "00:00:01.234"),   # round half to even at the millisecond
    (61.9996, ".", True, "00:01:02.000"),
    (3723.5, ",", True, "01:02:03,500"),
    (-0.4, ",", True, "00:00:00,000"),
    (65.25, ".", False, "01:05.250"),
    (3600.0, ".", False, "01:00:00.000"),
])
def test_format_timestamp(t, sep, hours, expected):
    assert format_timestamp(t, sep=sep, hours=hours) == expected


def test_text_and_words(transcript):
    assert transcript.text == "Go forward ten meters. Then turn left, and go forward again."
    assert len(transcript.words) == 11
    assert bool(transcript)
    assert not Transcript([], "en", 3.0, "m")
    assert transcript.segment_at(1.0) == 0 and transcript.segment_at(2.5) is None
    assert transcript.segment_at(6.0) == 1


@pytest.mark.parametrize("query, expected", [
    ("forward", [(0, 1), (1, 5)]),
    ("FORWARD", [(0, 1), (1, 5)]),
    ("go forward", [(0, 0), (1, 4)]),
    ("left", [(1, 2)]),             # punctuation attached to the word is ignored
    ("meters then", [(0, 3)]),      # a phrase across the segment boundary
    ("backward", []),
    ("  ", []),
])
def test_find(transcript, query, expected):
    assert transcript.find(query) == expected


def test_find_without_word_timings():
    t = Transcript([Segment(0, 1, "Hello there, world."), Segment(1, 2, "World again")],
                   "en", 2.0, "m")
    assert t.find("world") == [(0, 2), (1, 0)]


def test_dict_round_trip(transcript):
    d = json.loads(json.dumps(transcript.to_dict()))
    back = Transcript.from_dict(d)
    assert back == transcript
    assert back.words[3].text == " meters." and back.words[3].probability == 0.9


@pytest.mark.parametrize("bad", [{}, {"segments": "x", "language": "en"},
                                 {"schema": 99, "segments": [], "language": "en",
                                  "duration_s": 1, "model": "m"}])
def test_from_dict_rejects_bad_data(bad):
    with pytest.raises(ValueError):
        Transcript.from_dict(bad)


def test_edit_text_keeps_timings(transcript):
    seg = transcript.segments[0]
    same_words = seg.with_text("go forward ten meters")
    assert same_words.words == seg.words and same_words.start_s == seg.start_s
    edited = seg.with_text("Go forward twelve meters.")
    assert edited.words == [] and (edited.start_s, edited.end_s) == (seg.start_s, seg.end_s)
    assert edited.text == "Go forward twelve meters."


SRT_CUE = re.compile(r"^(\d+)\n(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)\n(.+)$", re.S)
VTT_TIME = re.compile(r"^(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)$")


def _secs(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    cues = []
    for i, block in enumerate(text.strip().split("\n\n"), 1):
        m = SRT_CUE.match(block)
        assert m, f"bad SRT block {block!r}"
        assert int(m.group(1)) == i
        cues.append((_secs(m.group(2)), _secs(m.group(3)), m.group(4)))
    return cues


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    head, *blocks = text.strip().split("\n\n")
    assert head == "WEBVTT"
    cues = []
    for block in blocks:
        timing, *lines = block.split("\n")
        m = VTT_TIME.match(timing)
        assert m and lines, f"bad VTT block {block!r}"
        cues.append((_secs(m.group(1)), _secs(m.group(2)), "\n".join(lines)))
    return cues


@pytest.mark.parametrize("fmt, parse", [("srt", parse_srt), ("vtt", parse_vtt)])
def test_subtitles_parse_back(transcript, fmt, parse):
    text = to_srt(transcript) if fmt == "srt" else to_vtt(transcript)
    cues = parse(text)
    assert [c[2] for c in cues] == [s.text for s in transcript.segments]
    assert [(c[0], c[1]) for c in cues] == [(s.start_s, s.end_s) for s in transcript.segments]


@pytest.mark.parametrize("with_words", [True, False])
def test_long_segments_split_into_short_cues(with_words):
    text = ("It was the best of times, it was the worst of times, it was the age of wisdom, "
            "it was the age of foolishness, it was the epoch of belief")
    words = _words(text, 10.0, 0.3) if with_words else []
    end = words[-1].end_s if words else 19.0
    t = Transcript([Segment(10.0, end, text, words)], "en", 30.0, "m")
    cues = parse_srt(to_srt(t, max_line_chars=42))
    assert len(cues) >= 2
    assert " ".join(c[2].replace("\n", " ") for c in cues) == text
    for start, stop, body in cues:
        lines = body.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert 10.0 <= start < stop <= end + 1e-3
    assert all(a[1] <= b[0] + 1e-3 for a, b in zip(cues, cues[1:], strict=False))  # ordered, no overlap


def test_subtitle_limits_checked():
    with pytest.raises(InvalidParameterError):
        subtitle_cues(Transcript([], "en", 1.0, "m"), max_line_chars=3)


def test_vtt_escapes_arrow():
    t = Transcript([Segment(0, 1, "a --> b")], "en", 1.0, "m")
    assert len(parse_vtt(to_vtt(t))) == 1


def test_txt(transcript):
    assert to_txt(transcript).splitlines() == [s.text for s in transcript.segments]
    assert to_txt(transcript, timestamps=True).startswith("[00:00.500] Go forward")
    assert to_txt(Transcript([], "en", 1.0, "m")) == ""


@pytest.mark.parametrize("ext", ["txt", "srt", "vtt", "json"])
def test_write_each_format(tmp_path, transcript, ext):
    p = write(transcript, tmp_path / f"out.{ext}")
    text = p.read_text(encoding="utf-8")
    assert "Go forward ten meters." in text
    if ext == "json":
        assert read_json(p) == transcript
        assert json.loads(text)["segments"][1]["words"][0]["start_s"] == 3.0
    assert [q.name for q in tmp_path.iterdir()] == [f"out.{ext}"]  # no temp file left


def test_write_errors(tmp_path, transcript):
    with pytest.raises(InvalidParameterError, match="choose one of"):
        write(transcript, tmp_path / "out.docx")
    with pytest.raises(TranscriptFileError, match="does not exist"):
        write(transcript, tmp_path / "missing" / "out.srt")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TranscriptFileError, match="not a Resonote transcript"):
        read_json(tmp_path / "bad.json")


@pytest.mark.parametrize("raw, expected", [
    ("Unless to be rather cold-hearted and rather selfish is to be ill-disposed.",
     "unless to be rather cold hearted and rather selfish is to be ill disposed"),
    ("  Go   forward 10 meters!! ", "go forward 10 meters"),
    ("I'm \"here\" — now", "i'm here now"),
    ("", ""),
])
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_word_error_rate():
    assert word_error_rate(["go forward ten meters"], ["Go forward, ten meters."]) == 0.0
    assert word_error_rate(["go forward ten meters"], ["go forward meters"]) == 0.25
    assert word_error_rate(["a b", "c d"], ["a x", ""]) == 0.75
