"""Saving and opening project folders: round trips, damage, atomic replacement."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio import Audio
from core.errors import ProjectError
from core.jobs import CancelToken, JobCancelled
from core.project import (
    FORMAT_VERSION,
    PROJECT_SUFFIX,
    Layer,
    Project,
    Track,
    filecache,
    load_project,
    save_project,
)

LSB24 = 2.0 ** -23


def tone(sr, seconds, channels, amp=0.5, freq=220.0):
    t = np.arange(int(sr * seconds)) / sr
    return np.stack([amp * np.sin(2 * np.pi * (freq + 37 * k) * t + k)
                     for k in range(channels)]).astype(np.float32)


def make_project(name="Song — démo") -> Project:
    """A small project using every field; deterministic, so another process builds the same."""
    p = Project(name=name, view={"range": [0.0, 1.5], "spectrogram": {"fft": 2048, "log": True},
                                 "selected": "mix00000001"})
    mix = p.add_track(Track(
        "Mix", Audio(tone(44100, 0.3, 2), 44100, {"source_sr": 44100, "format": "WAV"}),
        id="mix00000001", colour="#4fa3ff", solo=True, gain_db=-3.5, offset_s=0.25,
        source_path="/music/song.wav",
        layers=[
            Layer("transcript", "Whisper", {"language": "en", "segments": [
                {"start": 0.1, "end": 0.2, "text": "héllo wörld"}]}),
            Layer("notes", "Piano notes", {"bpm": 120.5, "tuning_hz": 440},
                  {"pitch": np.linspace(100, 200, 50, dtype=np.float32),
                   "onsets": np.arange(7, dtype=np.int64) * 3,
                   "roll/velocity map": np.eye(4, 6, dtype=bool)}),
        ]))
    hot = tone(22050, 0.2, 1, amp=2.5)
    p.add_track(Track("Hot restore", Audio(hot, 22050), kind="restored", id="hot000000002",
                      source_id=mix.id, mute=True))
    p.add_track(Track("Silent stems", Audio(np.zeros((4, 1600), np.float32), 8000), kind="stem",
                      id="silent000003", source_id=mix.id, offset_s=1.0))
    return p


def storage_scale(samples: np.ndarray) -> float:
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 1.0 if peak <= 1.0 else float(2.0 ** np.ceil(np.log2(peak)))


def assert_same_project(a: Project, b: Project, *, exact: bool = False) -> None:
    """Every saved field equal; samples equal within 24-bit quantisation (or exactly)."""
    assert b.name == a.name and b.view == a.view
    assert [t.id for t in b.tracks] == [t.id for t in a.tracks]
    for ta, tb in zip(a.tracks, b.tracks, strict=True):
        for f in ("name", "kind", "colour", "mute", "solo", "gain_db", "source_id",
                  "source_path", "offset_s"):
            assert getattr(tb, f) == getattr(ta, f), f
        assert tb.audio.sr == ta.audio.sr and tb.audio.samples.shape == ta.audio.samples.shape
        assert tb.audio.samples.dtype == np.float32
        if exact:
            np.testing.assert_array_equal(tb.audio.samples, ta.audio.samples)
        elif ta.audio.frames:
            tol = storage_scale(ta.audio.samples) * LSB24 * (1 + 1e-6)
            assert np.max(np.abs(tb.audio.samples - ta.audio.samples)) <= tol
        assert len(tb.layers) == len(ta.layers)
        for la, lb in zip(ta.layers, tb.layers, strict=True):
            assert (lb.kind, lb.name, lb.data) == (la.kind, la.name, la.data)
            assert lb.arrays.keys() == la.arrays.keys()
            for k in la.arrays:
                assert lb.arrays[k].dtype == la.arrays[k].dtype
                np.testing.assert_array_equal(lb.arrays[k], la.arrays[k])


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder``."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def _fresh_file_cache():
    filecache.forget_all()
    yield
    filecache.forget_all()


def test_round_trip_keeps_everything(tmp_path):
    p = make_project()
    out = save_project(p, tmp_path / "song")
    assert out == tmp_path / f"song{PROJECT_SUFFIX}" and p.path == out
    q = load_project(out)
    assert q.path == out and q.problems == []
    assert_same_project(p, q)
    assert load_project(tmp_path / "song").path == out
    assert q.tracks[0].audio.metadata["format"] == "WAV"
    m = json.loads((out / "project.json").read_text(encoding="utf-8"))
    assert m["format_version"] == FORMAT_VERSION and m["name"] == p.name
    assert {a.name for a in (out / "audio").iterdir()} == {
        "mix00000001.flac", "hot000000002.flac", "silent000003.flac"}
    assert len(list((out / "layers").iterdir())) == 3
    for f in (out / "audio").iterdir():
        assert sf.info(f).subtype == "PCM_24"


def test_loaded_project_saves_again_identically(tmp_path):
    p = make_project()
    q = load_project(save_project(p, tmp_path / "a"))
    r = load_project(save_project(q, tmp_path / "b"))
    assert_same_project(q, r, exact=True)


@pytest.mark.parametrize("channels,sr", [(1, 8000), (2, 44100), (5, 96000), (8, 48000),
                                         (2, 192000), (1, 655350)])
def test_flac_channels_and_rates(tmp_path, channels, sr):
    p = Project()
    p.add_track(Track("t", Audio(tone(sr, 0.02, channels), sr)))
    q = load_project(save_project(p, tmp_path / "p"))
    assert_same_project(p, q)
    assert (tmp_path / "p.resonote" / "audio" / f"{p.tracks[0].id}.flac").is_file()


@pytest.mark.parametrize("channels,sr", [(9, 44100), (16, 8000), (2, 700000)])
def test_what_flac_cannot_hold_is_stored_as_float_wav_exactly(tmp_path, channels, sr):
    x = tone(sr, 0.01, channels, amp=3.0)
    p = Project()
    t = p.add_track(Track("many", Audio(x, sr)))
    out = save_project(p, tmp_path / "p")
    wav = out / "audio" / f"{t.id}.wav"
    assert sf.info(wav).subtype == "FLOAT" and sf.info(wav).channels == channels
    assert_same_project(p, load_project(out), exact=True)


def test_nonfinite_samples_survive_exactly(tmp_path):
    x = tone(8000, 0.05, 2)
    x[0, 10], x[1, 20], x[1, 30] = np.nan, np.inf, -np.inf
    p = Project()
    p.add_track(Track("broken", Audio(x, 8000)))
    q = load_project(save_project(p, tmp_path / "p"))
    np.testing.assert_array_equal(q.tracks[0].audio.samples, x)  # NaN == NaN here


@pytest.mark.parametrize("amp,scale", [(2.5, 4.0), (1.0, 1.0), (0.999, 1.0), (1.0001, 2.0),
                                       (300.0, 512.0), (0.0, 1.0)])
def test_headroom_is_scaled_down_and_restored(tmp_path, amp, scale):
    x = tone(16000, 0.1, 2, amp=amp)
    if amp:
        x[0, 5] = amp  # the exact peak
    p = Project()
    t = p.add_track(Track("t", Audio(x, 16000)))
    out = save_project(p, tmp_path / "p")
    m = json.loads((out / "project.json").read_text(encoding="utf-8"))
    assert m["tracks"][0]["audio"]["scale"] == scale
    stored, _ = sf.read(out / "audio" / f"{t.id}.flac", dtype="float32")
    assert np.max(np.abs(stored)) <= 1.0
    y = load_project(out).tracks[0].audio.samples
    assert np.max(np.abs(y - x)) <= scale * LSB24 * (1 + 1e-6)
    if amp == 0.0:
        assert not y.any()


def test_zero_length_track_round_trips(tmp_path):
    p = Project()
    p.add_track(Track("empty", Audio(np.zeros((3, 0), np.float32), 48000)))
    q = load_project(save_project(p, tmp_path / "p"))
    assert q.tracks[0].audio.samples.shape == (3, 0) and q.tracks[0].audio.sr == 48000


def test_progress_per_track_and_project_json_path(tmp_path):
    seen = []
    p = make_project()
    out = save_project(p, tmp_path / "x.resonote", progress=seen.append)
    assert out == tmp_path / "x.resonote"
    assert {(r.stage, r.total) for r in seen} == {("save", 3)}
    done = [r.done for r in seen]
    assert done == sorted(done) and {0, 1, 2, 3} <= set(done) and done[-1] == 3
    seen.clear()
    q = load_project(out / "project.json", progress=seen.append)
    done = [r.done for r in seen]
    assert q.path == out and {r.stage for r in seen} == {"load"}
    assert done == sorted(done) and {0, 1, 2, 3} <= set(done) and done[-1] == 3


def test_progress_within_a_long_track(tmp_path):
    p = Project()
    p.add_track(Track("long", Audio(np.zeros((1, 3 * 2 ** 18), np.float32), 8000)))
    seen = []
    out = save_project(p, tmp_path / "p", progress=seen.append)
    assert any(0 < r.done < 1 for r in seen)
    seen.clear()
    load_project(out, progress=seen.append)
    assert any(0 < r.done < 1 for r in seen)


def test_cancel_while_loading(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        load_project(out, cancel=token)


def test_cancelled_save_leaves_previous_save_intact(tmp_path):
    p = make_project()
    out = save_project(p, tmp_path / "song")
    before = snapshot(out)
    p.name = "changed"
    p.tracks[0].audio = Audio(p.tracks[0].audio.samples * 0.5, 44100)
    p.tracks[1].name = "renamed"
    token = CancelToken()

    def cancel_after_first_track(r):
        if r.stage == "save" and r.done >= 1:
            token.cancel()

    with pytest.raises(JobCancelled):
        save_project(p, out, progress=cancel_after_first_track, cancel=token)
    assert snapshot(out) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["song.resonote"]  # no temp folder left
    assert_same_project(make_project(), load_project(out))


def test_failed_write_leaves_previous_save_intact(tmp_path):
    p = make_project()
    out = save_project(p, tmp_path / "song")
    before = snapshot(out)
    p.tracks[2].layers.append(Layer("bad", "bad", {}, {"x": np.array([object()])}))
    with pytest.raises(ProjectError, match="Silent stems"):
        save_project(p, out)
    p.tracks[2].layers[-1] = Layer("bad", "bad", {"when": object()})
    with pytest.raises(ProjectError, match="cannot be saved"):
        save_project(p, out)
    assert snapshot(out) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["song.resonote"]


def test_resave_replaces_and_removes_deleted_tracks(tmp_path):
    p = make_project()
    out = save_project(p, tmp_path / "song")
    p.remove_track("hot000000002")
    p.tracks[0].name = "Mix v2"
    save_project(p, out)
    q = load_project(out)
    assert_same_project(p, q)
    assert not (out / "audio" / "hot000000002.flac").exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["song.resonote"]


def test_unchanged_audio_is_linked_not_reencoded(tmp_path):
    p = make_project()
    out = save_project(p, tmp_path / "song")
    ino = {f.name: f.stat().st_ino for f in (out / "audio").iterdir()}
    p.tracks[1].audio = Audio(p.tracks[1].audio.samples * 0.5, 22050)
    save_project(p, out)
    after = {f.name: f.stat().st_ino for f in (out / "audio").iterdir()}
    assert after["mix00000001.flac"] == ino["mix00000001.flac"]
    assert after["hot000000002.flac"] != ino["hot000000002.flac"]
    assert_same_project(p, load_project(out))
    # a freshly loaded project saved elsewhere reuses the files it was read from
    filecache.forget_all()
    q = load_project(out)
    copy = save_project(q, tmp_path / "copy")
    assert (copy / "audio" / "silent000003.flac").stat().st_ino == after["silent000003.flac"]
    assert_same_project(q, load_project(copy), exact=True)


def test_refuses_to_replace_a_folder_that_is_not_a_project(tmp_path):
    (tmp_path / "mine.resonote").mkdir()
    (tmp_path / "mine.resonote" / "thesis.txt").write_text("precious")
    with pytest.raises(ProjectError, match="not a Resonote project"):
        save_project(make_project(), tmp_path / "mine")
    assert (tmp_path / "mine.resonote" / "thesis.txt").read_text() == "precious"
    with pytest.raises(ProjectError, match="does not exist"):
        save_project(make_project(), tmp_path / "missing" / "song")
    (tmp_path / "empty.resonote").mkdir()
    assert_same_project(make_project(),
                        load_project(save_project(make_project(), tmp_path / "empty")))


def test_interrupted_swap_opens_the_last_complete_save(tmp_path):
    out = save_project(make_project(), tmp_path / "song")
    backup = tmp_path / ".song.resonote.backup"
    out.rename(backup)  # as if Resonote died between the two renames
    q = load_project(out)
    assert q.path == out and "interrupted while saving" in q.problems[0]
    assert_same_project(make_project(), q)
    save_project(q, out)
    assert not backup.exists() and load_project(out).problems == []


# -- damaged projects --------------------------------------------------------

def _edit_manifest(folder: Path, edit) -> None:
    mpath = folder / "project.json"
    m = json.loads(mpath.read_text(encoding="utf-8"))
    edit(m)
    mpath.write_text(json.dumps(m), encoding="utf-8")


def test_newer_format_is_refused_with_plain_message(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    _edit_manifest(out, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    before = snapshot(out)
    with pytest.raises(ProjectError) as err:
        load_project(out)
    assert str(err.value) == (f"This project was saved by a newer version of Resonote "
                              f"(format {FORMAT_VERSION + 1}); update Resonote to open it.")
    assert snapshot(out) == before


def _del_track_name(m):
    del m["tracks"][1]["name"]


def _traversal(m):
    m["tracks"][0]["audio"]["file"] = "../../etc/passwd"


def _bad_type(m):
    m["tracks"][0]["audio"]["sr"] = "44100"


def _dup_id(m):
    m["tracks"][1]["id"] = m["tracks"][0]["id"]


@pytest.mark.parametrize("damage", [
    lambda f: (f / "project.json").write_text('{"format_version": 1, "name": "x", "tr'),
    lambda f: (f / "project.json").write_bytes(b"\xff\xfe\x00garbage"),
    lambda f: (f / "project.json").write_text("[1, 2, 3]"),
    lambda f: (f / "project.json").write_text(""),
    lambda f: _edit_manifest(f, lambda m: m.pop("tracks")),
    lambda f: _edit_manifest(f, lambda m: m.pop("format_version")),
    lambda f: _edit_manifest(f, _del_track_name),
    lambda f: _edit_manifest(f, _traversal),
    lambda f: _edit_manifest(f, _bad_type),
    lambda f: _edit_manifest(f, _dup_id),
    lambda f: (f / "project.json").unlink(),
], ids=["truncated", "binary", "list", "empty", "no-tracks", "no-version", "no-name",
        "traversal", "bad-type", "duplicate-id", "no-manifest"])
def test_damaged_manifest_gives_plain_error_and_touches_nothing(tmp_path, damage):
    out = save_project(make_project(), tmp_path / "p")
    damage(out)
    before = snapshot(out)
    with pytest.raises(ProjectError) as err:
        load_project(out)
    msg = str(err.value)
    assert "p.resonote" in msg and "\n" not in msg and "Traceback" not in msg
    assert snapshot(out) == before


def test_no_project_at_path(tmp_path):
    with pytest.raises(ProjectError, match="no project"):
        load_project(tmp_path / "nothing.resonote")
    (tmp_path / "file.resonote").write_text("x")
    with pytest.raises(ProjectError, match="not a Resonote project"):
        load_project(tmp_path / "file.resonote")


def test_missing_audio_skips_only_that_track(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    (out / "audio" / "hot000000002.flac").unlink()
    before = snapshot(out)
    q = load_project(out)
    assert [t.id for t in q.tracks] == ["mix00000001", "silent000003"]
    assert q.problems == [
        "Track 'Hot restore' could not be loaded: audio/hot000000002.flac is missing."]
    assert snapshot(out) == before


def test_damaged_audio_skips_only_that_track(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    (out / "audio" / "mix00000001.flac").write_bytes(b"this is not audio at all" * 10)
    q = load_project(out)
    assert [t.id for t in q.tracks] == ["hot000000002", "silent000003"]
    assert len(q.problems) == 1 and "'Mix'" in q.problems[0] and "damaged" in q.problems[0]


def test_truncated_audio_keeps_what_decodes_or_reports(tmp_path):
    p = Project()
    p.add_track(Track("long", Audio(tone(44100, 2.0, 2), 44100), id="long"))
    out = save_project(p, tmp_path / "p")
    f = out / "audio" / "long.flac"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    q = load_project(out)
    assert len(q.problems) == 1 and "'long'" in q.problems[0]
    if q.tracks:  # the decodable half is kept, the rest is silence of the recorded length
        a = q.tracks[0].audio
        assert a.frames == 88200 and not a.samples[:, -100:].any()
        assert np.max(np.abs(a.samples[:, :1000] - p.tracks[0].audio.samples[:, :1000])) < 1e-6


def test_audio_replaced_by_a_different_file_is_reported(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    sf.write(out / "audio" / "hot000000002.flac", np.zeros((100, 2)), 48000)
    q = load_project(out)
    assert [t.id for t in q.tracks] == ["mix00000001", "silent000003"]
    assert "does not match" in q.problems[0]


def test_missing_layer_array_keeps_the_rest(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    m = json.loads((out / "project.json").read_text(encoding="utf-8"))
    arrays = m["tracks"][0]["layers"][1]["arrays"]
    (out / arrays["pitch"]).unlink()
    (out / arrays["onsets"]).write_bytes(b"junk")
    q = load_project(out)
    layer = q.tracks[0].layers[1]
    assert set(layer.arrays) == {"roll/velocity map"} and layer.data["bpm"] == 120.5
    assert len(q.problems) == 2 and all("Piano notes" in s for s in q.problems)


def test_pickled_layer_array_is_not_unpickled(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    m = json.loads((out / "project.json").read_text(encoding="utf-8"))
    target = out / m["tracks"][0]["layers"][1]["arrays"]["pitch"]
    np.save(target, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    q = load_project(out)
    assert "pitch" not in q.tracks[0].layers[1].arrays and "damaged" in q.problems[0]


def test_unknown_kind_and_bad_colour_load_leniently(tmp_path):
    out = save_project(make_project(), tmp_path / "p")

    def edit(m):
        m["tracks"][0]["kind"] = "hologram"
        m["tracks"][1]["colour"] = "purple"
    _edit_manifest(out, edit)
    q = load_project(out)
    assert q.tracks[0].kind == "original" and "hologram" in q.problems[0]
    assert q.tracks[1].colour.startswith("#") and len(q.tracks[1].colour) == 7


def test_copied_project_folder_opens_anywhere(tmp_path):
    out = save_project(make_project(), tmp_path / "p")
    moved = shutil.copytree(out, tmp_path / "elsewhere" / "renamed.resonote")
    os.chmod(moved / "project.json", 0o444)
    q = load_project(moved)
    assert q.path == moved
    assert_same_project(make_project(), q)


def test_failure_while_swapping_restores_the_previous_save(tmp_path, monkeypatch):
    import core.project.storage as storage

    out = save_project(make_project(), tmp_path / "song")
    before = snapshot(out)
    real_rename = os.rename

    def failing_rename(src, dst):
        if ".saving-" in str(src):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(storage.os, "rename", failing_rename)
    p = make_project()
    p.name = "new"
    with pytest.raises(ProjectError, match="No space left"):
        save_project(p, out)
    assert snapshot(out) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["song.resonote"]
