"""Recording building blocks without a device: WAV/RF64 writer, repair, ring, meters, takes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio import load
from core.errors import AudioFileError, CorruptAudioError
from core.record import (
    Take,
    WavWriter,
    orphaned_takes,
    recover_takes,
    repair_wav,
    sidecar_path,
)
from core.record.meters import FLOOR_DB, MeterState
from core.record.ringbuffer import MAX_GAPS, FrameRing
from core.record.writer import History

SR = 48000


def noise(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    return (0.5 * np.random.default_rng(seed).uniform(-1, 1, (frames, channels))).astype(np.float32)


TOLERANCE = {"FLOAT": 0.0, "PCM_24": 1.5 / 2**23, "PCM_16": 1.5 / 2**15}


@pytest.mark.parametrize("subtype", ["FLOAT", "PCM_24", "PCM_16"])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_wav_writer_is_readable_at_every_header_update(tmp_path, subtype, channels):
    path = tmp_path / "t.wav"
    x = noise(3000, channels)
    w = WavWriter(path, sr=SR, channels=channels, subtype=subtype)
    assert sf.info(str(path)).frames == 0
    for k in range(3):
        w.write(x[k * 1000 : (k + 1) * 1000])
        w.update_header()
        i = sf.info(str(path))
        assert (i.frames, i.samplerate, i.channels) == ((k + 1) * 1000, SR, channels)
        assert i.subtype == subtype
    w.close()
    y, sr = sf.read(str(path), dtype="float32")
    assert sr == SR
    np.testing.assert_allclose(y.reshape(-1, channels), x, atol=TOLERANCE[subtype])
    a = load(path)
    assert a.samples.shape == (channels, 3000)


def test_wav_writer_never_overwrites(tmp_path):
    p = tmp_path / "x.wav"
    p.write_bytes(b"mine")
    with pytest.raises(AudioFileError, match="already exists"):
        WavWriter(p, sr=SR, channels=2)
    assert p.read_bytes() == b"mine"


def test_repair_sets_the_real_length_and_drops_a_partial_frame(tmp_path):
    path = tmp_path / "t.wav"
    x = noise(4800, 2)
    w = WavWriter(path, sr=SR, channels=2)
    w.write(x)  # no header update: the header still says 0 frames (as after a crash)
    os.close(w._fd)  # the process "dies" here
    with open(path, "ab") as f:
        f.write(b"\x01\x02\x03")  # half a frame, as a kill mid-write leaves it
    assert sf.info(str(path)).frames == 0
    assert repair_wav(path) == 4800
    y, _ = sf.read(str(path), dtype="float32")
    np.testing.assert_array_equal(y, x)


def test_rf64_when_past_the_riff_limit(tmp_path):
    path = tmp_path / "big.wav"
    x = noise(10000, 2)
    w = WavWriter(path, sr=SR, channels=2, riff_limit=20000)  # a tiny "4 GiB"
    w.write(x)
    w.close()
    assert path.read_bytes()[:4] == b"RF64"
    y, _ = sf.read(str(path), dtype="float32")
    np.testing.assert_array_equal(y, x)
    assert repair_wav(path, riff_limit=1 << 40) == 10000  # back under: plain RIFF again
    assert path.read_bytes()[:4] == b"RIFF"
    assert sf.info(str(path)).frames == 10000


def test_repair_of_a_take_over_4_gib_writes_rf64(tmp_path):
    path = tmp_path / "huge.wav"
    w = WavWriter(path, sr=SR, channels=2)
    w.write(noise(1000, 2))
    w.close()
    frames = (5 * 2**30) // 8  # 5 GiB of float stereo, as a sparse file
    try:
        os.truncate(path, w.data_offset + frames * 8)
    except OSError as exc:
        pytest.skip(f"no sparse files here: {exc}")
    assert repair_wav(path) == frames
    with open(path, "rb") as f:
        head = f.read(64)
    assert head[:4] == b"RF64" and head[12:16] == b"ds64"
    assert sf.info(str(path)).frames == frames


def test_repair_rejects_what_is_not_a_wav(tmp_path):
    p = tmp_path / "x.wav"
    p.write_bytes(b"OggS" + bytes(100))
    with pytest.raises(CorruptAudioError):
        repair_wav(p)


def test_ring_copies_wraps_and_counts_drops():
    ring = FrameRing(1000, 2)
    out = np.zeros((1000, 2), np.float32)
    x = noise(2400, 2)
    assert ring.push(x[:700]) and ring.pop_into(out, 700) == 700
    assert ring.push(x[700:1400])  # wraps around the end
    np.testing.assert_array_equal(out[:700], x[:700])
    assert not ring.push(x[1400:1800])  # 700 + 400 > 1000: dropped, counted
    assert (ring.dropped_blocks, ring.dropped_frames, ring.gap_n) == (1, 400, 1)
    assert ring.gap_pos[0] == 1400 and ring.gap_len[0] == 400
    assert ring.pop_into(out, 1000) == 700
    np.testing.assert_array_equal(out[:700], x[700:1400])
    assert ring.available == 0 and ring.push(x[1800:2400])
    assert ring.discard() == 600 and ring.available == 0


def test_ring_keeps_counting_past_the_gap_table():
    ring = FrameRing(10, 1)
    ring.push(np.zeros((10, 1), np.float32))
    for _ in range(MAX_GAPS + 5):
        ring.push(np.zeros((1, 1), np.float32))
    assert ring.dropped_blocks == MAX_GAPS + 5 and ring.gap_n == MAX_GAPS


def test_meters_levels_ballistics_and_clip():
    m = MeterState(2, SR)
    t = np.arange(SR) / SR
    x = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], 1).astype(np.float32)
    for i in range(0, SR, 480):
        m.update(x[i : i + 480])
    s = m.snapshot()
    assert abs(s.peak_db[0] - 20 * np.log10(0.5)) < 0.1
    assert abs(s.rms_db[0] - 20 * np.log10(0.5 / np.sqrt(2))) < 0.3
    assert s.peak_db[1] == FLOOR_DB and not s.clipped.any() and s.frame == SR
    m.update(np.full((480, 2), [1.0, 0.2], np.float32))  # full scale on the left
    for _ in range(50):  # 0.5 s of silence: peak falls 10 dB, the hold stays
        m.update(np.zeros((480, 2), np.float32))
    s = m.snapshot()
    assert s.clipped.tolist() == [True, False]
    assert abs(s.peak_hold_db[0]) < 0.01 and -11 < s.peak_db[0] < -9
    m.reset_clip()
    assert not m.snapshot().clipped.any()


def test_history_returns_the_latest_frames():
    h = History(1000, 2)
    x = noise(2500, 2)
    assert h.latest(10).shape == (2, 0)
    h.push(x[:300])
    np.testing.assert_array_equal(h.latest(500), x[:300].T)
    for i in range(300, 2500, 700):
        h.push(x[i : i + 700])
    np.testing.assert_array_equal(h.latest(800), x[1700:2500].T)
    h.push(x)  # longer than the history
    np.testing.assert_array_equal(h.latest(5000), x[-1000:].T)


def _orphan(tmp_path: Path, *, pid: int, frames: int = 4800) -> Take:
    path = tmp_path / "take-1.wav"
    take = Take(path=path, metadata_path=sidecar_path(path), sr=SR, channels=2, pid=pid,
                device_name="test")
    w = WavWriter(path, sr=SR, channels=2)
    w.write(noise(frames, 2))
    os.close(w._fd)  # header never updated
    take.save_sidecar()
    return take


def test_recover_takes_repairs_an_orphan_once(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that existed and is gone
    _orphan(tmp_path, pid=proc.pid)
    assert sf.info(str(tmp_path / "take-1.wav")).frames == 0
    takes = recover_takes(tmp_path)
    assert [t.frames for t in takes] == [4800] and takes[0].state == "recovered"
    assert Take.from_sidecar(takes[0].metadata_path).state == "recovered"
    assert load(takes[0].path).samples.shape == (2, 4800)
    assert recover_takes(tmp_path) == []  # already done


def test_a_take_whose_process_lives_is_not_touched(tmp_path):
    _orphan(tmp_path, pid=os.getpid())
    assert orphaned_takes(tmp_path) == [] and recover_takes(tmp_path) == []
    assert sf.info(str(tmp_path / "take-1.wav")).frames == 0


def test_sidecar_round_trip(tmp_path):
    p = tmp_path / "a.wav"
    t = Take(path=p, metadata_path=sidecar_path(p), sr=44100, channels=1, frames=441,
             overflows=3, input_overflows=1, dropped_frames=512, gaps=[(100, 512)],
             device_name="mic", gain_db=-3.0, state="complete")
    t.save_sidecar()
    assert sidecar_path(p).name == "a.take.json"
    u = Take.from_sidecar(sidecar_path(p))
    assert u == t and u.duration_s == pytest.approx(0.01)


@pytest.mark.parametrize(("subtype", "tol"), [("PCM_24", 1.5 / 2**23), ("PCM_16", 1.5 / 2**15)])
def test_flac_writer_round_trip_and_crash_snapshot_repair(tmp_path, subtype, tol):
    """A copy of the file taken mid-take (what a SIGKILL leaves) repairs to every
    complete FLAC frame: all but at most one 4096-frame encoder block."""
    from core.record.flacfile import FlacWriter, repair_flac

    path = tmp_path / "t.flac"
    x = noise(SR, 2)
    w = FlacWriter(path, sr=SR, channels=2, subtype=subtype)
    for i in range(0, SR, 480):
        w.write(x[i : i + 480])
    w.sync()
    snap = tmp_path / "killed.flac"
    snap.write_bytes(path.read_bytes())
    w.close()
    y, sr = sf.read(str(path), dtype="float32")
    assert sr == SR and w.frames == SR
    np.testing.assert_allclose(y, x, atol=tol)
    frames = repair_flac(snap)
    z, _ = sf.read(str(snap), dtype="float32")
    assert z.shape[0] == frames and SR - 4096 <= frames <= SR
    np.testing.assert_allclose(z, x[:frames], atol=tol)
    with pytest.raises(AudioFileError, match="already exists"):
        FlacWriter(path, sr=SR, channels=2)
    (tmp_path / "bad.flac").write_bytes(b"RIFF0000")
    with pytest.raises(CorruptAudioError):
        repair_flac(tmp_path / "bad.flac")
