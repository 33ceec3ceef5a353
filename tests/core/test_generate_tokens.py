"""Event tokenizer: notes → tokens → notes is exact for quantised input."""

from __future__ import annotations

import random

import pytest

from core.errors import InvalidParameterError
from core.generate.tokens import (
    DURATIONS,
    METRES,
    VOCAB,
    Event,
    Header,
    Piece,
    bar_steps,
    decode,
    encode,
    kind,
)


def random_piece(metre: str, voices: tuple[int, ...], seed: int) -> Piece:
    rng = random.Random(seed)
    bl = bar_steps(metre)
    events = []
    for v in voices:
        t = rng.randrange(bl)
        while t < 6 * bl:
            d = rng.choice(DURATIONS[:12])
            events.append(Event(t, v, rng.randint(40, 84), d, rng.choice((40, 88, 112))))
            t += d + rng.choice((0, 0, 2))
    return Piece(Header("chorale" if len(voices) > 1 else "folk", seed % 12,
                        ("major", "minor")[seed % 2], metre, 96.0), events, 6)


@pytest.mark.parametrize("metre", METRES)
@pytest.mark.parametrize("voices", [(0,), (1, 2, 3, 4)])
def test_round_trip_is_exact(metre, voices):
    piece = random_piece(metre, voices, seed=len(metre) + len(voices))
    toks = encode(piece)
    back = decode(toks)
    assert sorted(back.events) == sorted(piece.events)
    assert back.header == piece.header
    assert back.n_bars == piece.n_bars
    assert all(0 <= t < len(VOCAB) for t in toks)


def test_grammar_of_encoded_sequence():
    toks = encode(random_piece("4/4", (1, 2, 3, 4), 3))
    kinds = [kind(t) for t in toks]
    assert kinds[:6] == ["BOS", "STYLE", "KEY", "METRE", "TEMPO", "BAR"]
    assert kinds[-1] == "EOS" and kinds.count("BAR") == 6
    for a, b in zip(kinds, kinds[1:], strict=False):
        if a == "PITCH":
            assert b == "DUR"
        if a == "POS":
            assert b in ("INST", "VEL", "PITCH")


def test_empty_bars_are_kept():
    p = Piece(Header(), [Event(0, 0, 60, 4), Event(48, 0, 62, 4)], 5)
    assert decode(encode(p)).n_bars == 5


@pytest.mark.parametrize("bad", [dict(style="jazz"), dict(metre="5/4"), dict(mode="dorian"),
                                 dict(tempo_bpm=5)])
def test_header_rejects_bad_values(bad):
    with pytest.raises(InvalidParameterError):
        Header(**bad)
