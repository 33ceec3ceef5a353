"""open_for_view: the threaded WAV path gives exactly what core.audio.load + the pyramid give."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from core.analysis import MinMaxPyramid
from core.analysis.open_fast import open_for_view
from core.audio import io as audio_io
from core.audio import load
from core.errors import AudioFileError, NonFiniteAudioError
from core.jobs import CancelToken, JobCancelled


def write(path, channels, frames, subtype, sr=8000, seed=0):
    x = np.random.default_rng(seed).uniform(-1, 1, (frames, channels))
    sf.write(path, x, sr, subtype=subtype)
    return path


# PCM_16/32/FLOAT take the memory-mapped threaded reader, PCM_24 libsndfile's blocks:
# both must build the pyramid while decoding and give exactly load()'s samples.
@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_32", "FLOAT", "PCM_24"])
@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("frames", [1, 1000, 200_001])
def test_same_as_load(tmp_path, monkeypatch, subtype, channels, frames):
    monkeypatch.setattr(audio_io, "BLOCK_FRAMES", 4096)  # many blocks on both threads
    p = write(tmp_path / "a.wav", channels, frames, subtype)
    o = open_for_view(p, n_columns=64, threads=2)
    ref = load(p)
    assert o.fast_path
    assert o.audio.sr == ref.sr and np.array_equal(o.audio.samples, ref.samples)
    pyr = MinMaxPyramid.from_samples(ref.samples)
    assert len(pyr.levels) == len(o.pyramid.levels)
    for (s1, lo1, hi1), (s2, lo2, hi2) in zip(pyr.levels, o.pyramid.levels, strict=True):
        assert s1 == s2 and np.array_equal(lo1, lo2) and np.array_equal(hi1, hi2)
    assert o.overview.values.shape[1] == min(64, 1 + frames // 512)


def test_wav_with_extra_chunks_and_odd_sizes(tmp_path):
    # A LIST chunk before the data chunk, written by libsndfile from metadata.
    p = tmp_path / "tagged.wav"
    x = np.random.default_rng(1).uniform(-1, 1, (3001, 2))
    with sf.SoundFile(p, "w", 11025, 2, subtype="PCM_16") as f:
        f.title = "odd"
        f.write(x)
    o = open_for_view(p)
    assert np.array_equal(o.audio.samples, load(p).samples)


def test_other_formats_build_the_pyramid_while_decoding(tmp_path):
    p = write(tmp_path / "a.flac", 2, 5000, "PCM_16")
    o = open_for_view(p)
    assert o.fast_path and np.array_equal(o.audio.samples, load(p).samples)


def test_errors(tmp_path):
    with pytest.raises(AudioFileError):
        open_for_view(tmp_path / "missing.wav")
    bad = tmp_path / "nan.wav"
    x = np.zeros((100, 1), np.float32)
    for value in (np.nan, np.inf, -np.inf):
        x[10] = value
        sf.write(bad, x, 8000, subtype="FLOAT")
        with pytest.raises(NonFiniteAudioError):
            open_for_view(bad)
        clean = open_for_view(bad, nonfinite="clean")
        assert clean.audio.samples[0, 10] == 0 and np.isfinite(clean.pyramid.levels[-1][1]).all()
        kept = open_for_view(bad, nonfinite="keep")
        assert not np.isfinite(kept.audio.samples[0, 10])
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        open_for_view(write(tmp_path / "c.wav", 2, 50_000, "PCM_16"), cancel=token)
