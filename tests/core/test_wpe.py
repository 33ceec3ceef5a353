"""core.restore.wpe computes what nara_wpe's wpe_v8 computes, only faster."""

import numpy as np
import pytest
from nara_wpe.utils import stft
from nara_wpe.wpe import wpe_v8

from core.restore.wpe import wpe


def _reverberant(seconds=3.0, sr=16000, channels=2, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    dry = rng.standard_normal((channels, n)) * np.repeat(rng.random((channels, n // 800 + 1)),
                                                         800, axis=1)[:, :n]
    t = np.arange(int(0.3 * sr))
    ir = rng.standard_normal((channels, t.size)) * np.exp(-t / (0.06 * sr))
    ir[:, 0] = 1.0
    wet = np.stack([np.convolve(dry[c], ir[c])[:n] for c in range(channels)])
    return wet


@pytest.mark.parametrize("channels,taps,delay,iterations",
                         [(2, 10, 3, 3), (1, 5, 2, 1), (3, 4, 1, 2), (2, 20, 5, 4)])
def test_matches_nara_wpe_v8(channels, taps, delay, iterations):
    x = _reverberant(channels=channels, seed=channels)
    x[:, 8000:16000] = 0.0                       # a silent half second
    Y = stft(x, size=512, shift=128).transpose(2, 0, 1)   # (F, D, T)
    Y[7] = 0.0                                   # a silent bin: singular R
    ref = wpe_v8(Y, taps=taps, delay=delay, iterations=iterations)
    ours = wpe(Y, taps=taps, delay=delay, iterations=iterations)
    assert ours.shape == Y.shape and ours.dtype == np.complex128
    assert np.all(np.isfinite(ours))
    # Same algorithm; the BLAS sums in another order, which near-singular bins amplify.
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    assert not np.allclose(ours, Y)              # it did remove something
    np.testing.assert_array_equal(wpe(Y, taps=taps, delay=delay, iterations=iterations,
                                      workers=1), ours)  # threads change nothing


def test_shorter_than_the_predictor_and_rejects_bad_shape():
    Y = (np.ones((5, 2, 4)) + 1j).astype(np.complex64)    # 4 frames < taps + delay
    np.testing.assert_allclose(wpe(Y), wpe_v8(Y.astype(np.complex128)), atol=1e-9)
    with pytest.raises(ValueError, match="bins, channels, frames"):
        wpe(np.zeros((2, 8), complex))
