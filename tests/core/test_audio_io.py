"""Loading and saving every supported format, sample format, channel count and rate."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf
from media_files import dominant_freq, tone, write_with_ffmpeg

from core.audio import Audio, info, load, resample, save
from core.errors import (
    AudioFileError,
    CorruptAudioError,
    EmptyAudioError,
    InvalidParameterError,
    NonFiniteAudioError,
    ResonoteError,
    UnsupportedFormatError,
)
from core.jobs import CancelToken, JobCancelled

# Maximum error of an int format round trip (half an LSB, plus float rounding).
LSB = {"PCM_U8": 2 ** -7, "PCM_16": 2 ** -15, "PCM_24": 2 ** -23, "PCM_32": 2 ** -30,
       "FLOAT": 1e-7, "DOUBLE": 1e-7}


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_wav_subtypes_and_channels_load_exactly(tmp_path, subtype, channels):
    x = tone(sr=8000, duration_s=0.25, channels=channels)
    path = tmp_path / "t.wav"
    sf.write(path, x.T, 8000, subtype=subtype)
    a = load(path)
    assert a.samples.dtype == np.float32 and a.samples.flags.c_contiguous
    assert a.samples.shape == x.shape and a.sr == 8000
    assert np.max(np.abs(a.samples - x)) <= LSB[subtype] * 1.01
    assert a.metadata["subtype"] == subtype


@pytest.mark.parametrize("sr", [8000, 11025, 22050, 44100, 48000, 96000, 192000, 7350])
def test_any_sample_rate(tmp_path, sr):
    x = tone(sr=sr, duration_s=0.1, channels=1)
    sf.write(tmp_path / "t.flac" if sr <= 655350 else tmp_path / "t.wav", x.T, sr)
    a = load(tmp_path / "t.flac")
    assert a.sr == sr and a.frames == x.shape[1]


@pytest.mark.parametrize("ext,max_err", [(".wav", 3.1e-5), (".flac", 3.1e-5), (".ogg", 0.05),
                                         (".opus", 0.1), (".mp3", 0.1), (".aiff", 3.1e-5)])
def test_save_then_load_each_format(tmp_path, ext, max_err):
    x = tone(freq_hz=440, sr=48000, duration_s=1.0, channels=2)
    p = save(Audio(x, 48000), tmp_path / f"out{ext}")
    a = load(p)
    assert a.channels == 2 and a.sr == 48000
    # lossy codecs add delay/padding: compare the pitch, and the level, not samples
    assert abs(dominant_freq(a.samples[0], a.sr) - 440) < 2
    rms_in, rms_out = np.sqrt(np.mean(x ** 2)), np.sqrt(np.mean(a.samples ** 2))
    assert abs(20 * np.log10(rms_out / rms_in)) < 1.0
    if max_err < 1e-3:
        assert a.frames == x.shape[1] and np.max(np.abs(a.samples - x)) < max_err


@pytest.mark.parametrize("bits,subtype", [("16", "PCM_16"), ("24", "PCM_24"), ("32f", "FLOAT")])
def test_save_bit_depth(tmp_path, bits, subtype):
    save(Audio(tone(duration_s=0.1), 44100), tmp_path / "o.wav", subtype=bits)
    assert sf.info(tmp_path / "o.wav").subtype == subtype


def test_float_wav_keeps_values_beyond_full_scale(tmp_path):
    x = tone(duration_s=0.1, amp=2.5)
    save(Audio(x, 44100), tmp_path / "hot.wav", subtype="32f")
    assert np.allclose(load(tmp_path / "hot.wav").samples, x)


@pytest.mark.parametrize("codec,ext,video", [("aac", ".m4a", False), ("mp3", ".mp4", True),
                                            ("aac", ".mkv", True), ("alac", ".m4a", False)])
def test_ffmpeg_formats_and_video_audio(tmp_path, codec, ext, video):
    x = tone(freq_hz=523.25, sr=44100, duration_s=1.0, channels=2)
    p = write_with_ffmpeg(tmp_path / f"clip{ext}", x, 44100, codec=codec, video=video)
    i = info(p)
    assert i.sr == 44100 and i.channels == 2 and i.backend == "ffmpeg"
    a = load(p)
    assert a.channels == 2 and a.sr == 44100
    assert abs(a.frames - x.shape[1]) < 4096  # encoder priming/padding
    assert abs(dominant_freq(a.samples[0], 44100) - 523.25) < 2


def test_region_mono_and_resample_on_load(tmp_path):
    x = tone(sr=44100, duration_s=2.0, channels=2)
    sf.write(tmp_path / "t.wav", x.T, 44100, subtype="FLOAT")
    a = load(tmp_path / "t.wav", start_s=0.5, duration_s=1.0)
    assert a.frames == 44100 and np.allclose(a.samples, x[:, 22050:66150])
    m = load(tmp_path / "t.wav", mono=True, sr=16000)
    assert m.channels == 1 and m.sr == 16000 and abs(m.frames - 32000) <= 1
    assert abs(dominant_freq(m.samples[0], 16000) - 440.5) < 2


def test_resampler_is_band_limited():
    """A 10 kHz tone taken from 48 kHz to 16 kHz must vanish (a linear interpolator aliases it)."""
    sr = 48000
    t = np.arange(sr) / sr
    a = Audio((0.5 * np.sin(2 * np.pi * 10000 * t)).astype(np.float32), sr)
    out = resample(a, 16000)
    assert out.sr == 16000 and out.frames == 16000
    core_part = out.samples[0, 1000:-1000]
    assert 20 * np.log10(np.sqrt(np.mean(core_part ** 2)) + 1e-12) < -60
    passband = resample(Audio((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), sr), 16000)
    assert abs(np.sqrt(np.mean(passband.samples[0, 1000:-1000] ** 2)) - 0.5 / np.sqrt(2)) < 0.01


def test_atomic_save_leaves_no_temp_and_refuses_overwrite(tmp_path):
    a = Audio(tone(duration_s=0.1), 44100)
    p = tmp_path / "o.flac"
    save(a, p)
    before = p.read_bytes()
    with pytest.raises(AudioFileError, match="already exists"):
        save(Audio(tone(duration_s=0.2), 44100), p)
    assert p.read_bytes() == before
    save(Audio(tone(duration_s=0.2), 44100), p, overwrite=True)
    assert sf.info(p).frames == 8820
    assert sorted(os.listdir(tmp_path)) == ["o.flac"]


def test_cancelled_save_keeps_existing_file_and_no_temp(tmp_path):
    p = tmp_path / "keep.wav"
    save(Audio(tone(duration_s=0.1), 44100), p)
    before = p.read_bytes()
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        save(Audio(tone(duration_s=30), 44100), p, overwrite=True, cancel=token)
    assert p.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["keep.wav"]


def test_cancel_during_load():
    token = CancelToken()
    calls = []

    def progress(pr):
        calls.append(pr)
        token.cancel()

    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "long.wav")
        sf.write(path, np.zeros((44100 * 30, 1), np.int16), 44100)
        with pytest.raises(JobCancelled):
            load(path, progress=progress, cancel=token)
    assert len(calls) <= 2  # stopped at the next block boundary


@pytest.mark.parametrize("ext", [".xyz", ".txt", ""])
def test_save_unknown_format(tmp_path, ext):
    with pytest.raises(UnsupportedFormatError):
        save(Audio(tone(duration_s=0.1), 44100), tmp_path / f"o{ext}")


def test_save_errors(tmp_path):
    with pytest.raises(AudioFileError, match="does not exist"):
        save(Audio(tone(duration_s=0.1), 44100), tmp_path / "nope" / "o.wav")
    with pytest.raises(EmptyAudioError):
        save(Audio(np.zeros((1, 0), np.float32), 44100), tmp_path / "o.wav")
    with pytest.raises(InvalidParameterError):
        save(Audio(tone(duration_s=0.1), 44100), tmp_path / "o.ogg", subtype="24")


# --- bad input: every case is a ResonoteError with a plain message ------------------------

def _bad_inputs(tmp_path):
    good = tmp_path / "good.wav"
    sf.write(good, tone(duration_s=0.5).T, 44100)
    data = good.read_bytes()
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("This is a text file pretending to be audio.\n" * 20)
    (tmp_path / "header_only.wav").write_bytes(data[:30])
    (tmp_path / "garbage.mp3").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "zero.wav").write_bytes(data[:44])  # valid header, no data
    (tmp_path / "folder.wav").mkdir()
    return {
        "missing": (tmp_path / "missing.wav", AudioFileError, "No file"),
        "folder": (tmp_path / "folder.wav", AudioFileError, "folder"),
        "empty": (tmp_path / "empty.wav", EmptyAudioError, "empty"),
        "text": (tmp_path / "text.wav", UnsupportedFormatError, "not an audio file"),
        "header_only": (tmp_path / "header_only.wav", CorruptAudioError, "damaged"),
        "garbage": (tmp_path / "garbage.mp3", ResonoteError, "not an audio file|damaged|zero length"),
        "zero_length": (tmp_path / "zero.wav", ResonoteError, "zero length|damaged"),
    }


@pytest.mark.parametrize("case", ["missing", "folder", "empty", "text", "header_only",
                                  "garbage", "zero_length"])
def test_bad_input_gives_plain_error(tmp_path, case):
    path, exc_type, pattern = _bad_inputs(tmp_path)[case]
    with pytest.raises(exc_type, match=pattern) as err:
        load(path)
    msg = str(err.value)
    assert msg and "\n" not in msg and "Traceback" not in msg
    with pytest.raises(ResonoteError):
        info(path) if case != "zero_length" else load(path)


def test_truncated_data_keeps_what_decodes(tmp_path):
    good = tmp_path / "good.wav"
    sf.write(good, tone(duration_s=1.0).T, 44100, subtype="PCM_16")
    data = good.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    a = load(cut)
    assert 0.4 * 44100 < a.frames < 0.6 * 44100


def test_nonfinite_samples_reported_then_cleaned(tmp_path):
    x = tone(duration_s=0.1, channels=2)
    x[0, 10] = np.nan
    x[1, 20] = np.inf
    x[1, 30] = -np.inf
    sf.write(tmp_path / "nan.wav", x.T, 44100, subtype="FLOAT")
    with pytest.raises(NonFiniteAudioError, match="3 invalid samples") as err:
        load(tmp_path / "nan.wav")
    assert err.value.count == 3
    a = load(tmp_path / "nan.wav", nonfinite="clean")
    assert np.isfinite(a.samples).all() and a.samples[0, 10] == 0
    assert load(tmp_path / "nan.wav", nonfinite="keep").count_nonfinite() == 3


@pytest.mark.parametrize("subtype, scanned", [("PCM_16", False), ("PCM_24", False),
                                              ("FLOAT", True), ("DOUBLE", True)])
def test_only_float_files_are_scanned_for_nonfinite_samples(tmp_path, monkeypatch, subtype,
                                                            scanned):
    """Integer samples scaled to float cannot be NaN/Inf: the scan (0.2 s per hour of
    stereo) is skipped for them, kept for float files."""
    from core.audio.types import Audio

    calls = []
    real = Audio.count_nonfinite
    monkeypatch.setattr(Audio, "count_nonfinite", lambda self: calls.append(1) or real(self))
    sf.write(tmp_path / "a.wav", tone(duration_s=0.1, channels=2).T, 44100, subtype=subtype)
    a = load(tmp_path / "a.wav")
    assert np.isfinite(a.samples).all()
    assert bool(calls) is scanned


def test_source_file_never_modified(tmp_path):
    src = tmp_path / "src.wav"
    sf.write(src, tone(duration_s=0.2).T, 44100)
    before = src.read_bytes()
    a = load(src)
    with pytest.raises(AudioFileError):
        save(a, src)
    assert src.read_bytes() == before


def test_audio_type_validates_and_slices():
    a = Audio(np.zeros(100, np.float64), 8000)
    assert a.samples.shape == (1, 100) and a.samples.dtype == np.float32
    with pytest.raises(InvalidParameterError):
        Audio(np.zeros((1, 2, 3)), 8000)
    with pytest.raises(InvalidParameterError):
        Audio(np.zeros(10), 0)
    b = Audio(np.arange(20, dtype=np.float32).reshape(2, 10), 10)
    assert b.slice_seconds(0.2, 0.5).samples.tolist() == [[2, 3, 4], [12, 13, 14]]
    assert b.mono().samples[0, 0] == 5.0 and b.duration_s == 1.0


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])  # memory-mapped and libsndfile paths
def test_long_file_is_never_held_twice(tmp_path, subtype):
    import tracemalloc

    sr, seconds = 44100, 40
    path = tmp_path / "long.wav"
    with sf.SoundFile(path, "w", sr, 2, subtype=subtype) as f:
        for _ in range(seconds // 10):
            f.write(np.random.default_rng(0).uniform(-0.5, 0.5, (sr * 10, 2)).astype(np.float32))
    out_bytes = 2 * sr * seconds * 4
    tracemalloc.start()
    a = load(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert a.frames == sr * seconds
    # the result plus at most a few decode blocks, never a second full copy
    assert peak < out_bytes + 4 * 2 * (1 << 18) * 4 + 2_000_000, (peak, out_bytes)


def test_truncated_flac_keeps_what_decodes(tmp_path):
    good = tmp_path / "good.flac"
    sf.write(good, tone(duration_s=2.0).T, 44100, subtype="PCM_16")
    data = good.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    a = load(cut)
    assert 0.5 * 44100 < a.frames < 1.5 * 44100
    assert abs(dominant_freq(a.samples[0], 44100) - 440) < 2
