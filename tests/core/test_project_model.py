"""The in-memory project model: tracks, ids, colours, order, derivation."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.audio import Audio
from core.project import PALETTE, TRACK_KINDS, Layer, Project, Track, new_id


def _track(name="t", seconds=1.0, sr=1000, **kw) -> Track:
    return Track(name=name, audio=Audio(np.zeros((1, int(seconds * sr)), np.float32), sr), **kw)


def test_palette_is_distinct_hex_colours():
    assert 8 <= len(PALETTE) <= 12
    assert len({c.lower() for c in PALETTE}) == len(PALETTE)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in PALETTE)
    # readable on a dark background: no colour darker than mid-grey in relative luminance
    for c in PALETTE:
        r, g, b = (int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.3, c


def test_new_ids_are_short_and_unique():
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(re.fullmatch(r"[0-9a-f]{12}", i) for i in ids)
    assert _track().id != _track().id


@pytest.mark.parametrize("kind", TRACK_KINDS)
def test_every_kind_is_accepted(kind):
    assert _track(kind=kind).kind == kind


@pytest.mark.parametrize("bad", [{"kind": "vocals"}, {"colour": "red"}, {"colour": "#12345"},
                                 {"id": ""}, {"gain_db": float("nan")},
                                 {"offset_s": float("inf")}])
def test_invalid_track_fields_are_refused(bad):
    with pytest.raises(ValueError):
        _track(**bad)


def test_add_track_assigns_unused_palette_colours_then_cycles():
    p = Project()
    p.add_track(_track(colour=PALETTE[0]))
    added = [p.add_track(_track()) for _ in range(len(PALETTE) - 1)]
    assert [t.colour for t in added] == list(PALETTE[1:])
    extra = p.add_track(_track())
    assert extra.colour in PALETTE
    kept = p.add_track(_track(colour="#123456"))
    assert kept.colour == "#123456"


def test_add_track_reuses_a_colour_freed_by_removal():
    p = Project()
    a, b, c = (p.add_track(_track(n)) for n in "abc")
    p.remove_track(b.id)
    assert p.add_track(_track("d")).colour == b.colour
    assert a.colour != c.colour


def test_add_track_at_index_and_duplicate_id():
    p = Project()
    a = p.add_track(_track("a"))
    b = p.add_track(_track("b"), index=0)
    c = p.add_track(_track("c"), index=99)
    assert [t.name for t in p.tracks] == ["b", "a", "c"]
    with pytest.raises(ValueError):
        p.add_track(_track("again", id=a.id))
    assert p.track(b.id) is b and p.track(c.id) is c and p.index_of(c.id) == 2


def test_remove_and_lookup_unknown_ids_raise_keyerror():
    p = Project()
    t = p.add_track(_track())
    assert p.remove_track(t.id) is t and p.tracks == []
    for call in (p.remove_track, p.track, p.index_of, lambda i: p.move_track(i, 0)):
        with pytest.raises(KeyError):
            call("nope")


@pytest.mark.parametrize("index,order", [(0, "cab"), (1, "acb"), (2, "abc"), (9, "abc"),
                                         (-5, "cab")])
def test_move_track(index, order):
    p = Project()
    for n in "abc":
        p.add_track(_track(n, id=n))
    p.move_track("c", index)
    assert "".join(t.name for t in p.tracks) == order


def test_duration_and_end():
    p = Project()
    assert p.duration_s == 0.0
    p.add_track(_track(seconds=2.0))
    late = p.add_track(_track(seconds=1.5, sr=8000, offset_s=3.0))
    assert late.end_s == pytest.approx(4.5)
    assert p.duration_s == pytest.approx(4.5)


def test_derived_from_direct_and_recursive():
    p = Project()
    mix = p.add_track(_track("mix"))
    voc = p.add_track(_track("vocals", kind="stem", source_id=mix.id))
    drums = p.add_track(_track("drums", kind="stem", source_id=mix.id))
    clean = p.add_track(_track("vocals clean", kind="restored", source_id=voc.id))
    p.add_track(_track("other"))
    assert p.derived_from(mix.id) == [voc, drums]
    assert p.derived_from(mix.id, recursive=True) == [voc, drums, clean]
    assert p.derived_from(clean.id) == []


def test_layer_defaults_are_independent():
    a, b = Layer("notes", "n"), Layer("notes", "n")
    a.data["x"] = 1
    a.arrays["f0"] = np.zeros(3)
    assert b.data == {} and b.arrays == {}
    assert Project().problems == [] and Project().path is None


def test_snapshot_is_independent_but_shares_samples():
    p = Project(name="p", view={"zoom": [0, 1]})
    t = p.add_track(_track("a", layers=[Layer("notes", "n", {"list": [1]},
                                              {"f0": np.arange(3.0)})]))
    snap = p.snapshot()
    st = snap.tracks[0]
    assert st is not t and st.id == t.id and st.colour == t.colour
    assert st.audio.samples is t.audio.samples
    t.name, t.gain_db = "renamed", 6.0
    t.layers[0].data["list"].append(2)
    t.layers[0].arrays["f0"] = np.zeros(3)
    p.view["zoom"][1] = 9
    p.add_track(_track("b"))
    assert (st.name, st.gain_db, st.layers[0].data) == ("a", 0.0, {"list": [1]})
    np.testing.assert_array_equal(st.layers[0].arrays["f0"], np.arange(3.0))
    assert snap.view == {"zoom": [0, 1]} and len(snap.tracks) == 1
