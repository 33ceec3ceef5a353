"""``apply_chunked``: weighted overlap-add reconstructs exactly; windows, progress, cancel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled
from core.separate.apply import apply_chunked, count_windows, plan_batch, window_starts


def identity(xb):
    return xb[:, None]


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("length,segment", [(100, 256), (256, 256), (1024, 256), (1000, 256),
                                            (1537, 300), (1, 64), (4097, 1024)])
@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5, 0.9])
@pytest.mark.parametrize("shifts", [0, 1, 3])
def test_identity_model_reconstructs_exactly(channels, length, segment, overlap, shifts):
    x = np.random.default_rng(length + channels).standard_normal((channels, length))
    x = x.astype(np.float32)
    y = apply_chunked(identity, x, segment=segment, overlap=overlap, shifts=shifts, batch=2,
                      max_shift=segment // 3)
    assert isinstance(y, np.ndarray) and y.shape == (1, channels, length)
    np.testing.assert_allclose(y[0], x, atol=1e-5)


@pytest.mark.parametrize("batch", [1, 2, 5, 64])
def test_torch_input_and_any_batch_give_the_same_result(batch):
    x = torch.randn(2, 3000)
    calls = []

    def two_stems(xb):
        calls.append(xb.shape[0])
        return torch.stack([xb * 0.25, xb * 0.75], dim=1)

    y = apply_chunked(two_stems, x, segment=512, overlap=0.25, batch=batch)
    assert isinstance(y, torch.Tensor) and y.shape == (2, 2, 3000)
    torch.testing.assert_close(y[0] + y[1], x, atol=1e-5, rtol=0)
    torch.testing.assert_close(y[1], 0.75 * x, atol=1e-5, rtol=0)
    assert sum(calls) == count_windows(3000, segment=512, overlap=0.25)
    assert max(calls) <= batch


def test_windows_overlap_and_cover_everything():
    starts = window_starts(1000, 256, 0.25)
    assert starts[0] == 0 and starts[1] == 192 and starts[-1] < 1000
    assert starts[-1] + 256 >= 1000


def test_a_position_dependent_model_is_blended_smoothly():
    """Each window adds its own offset; the output crossfades between them (no jumps)."""
    counter = iter(range(1000))

    def offset_model(xb):
        return torch.stack([xb[i] + next(counter) for i in range(xb.shape[0])])[:, None]

    x = np.zeros((1, 4000), np.float32)
    y = apply_chunked(offset_model, x, segment=400, overlap=0.5)[0, 0]
    assert np.max(np.abs(np.diff(y))) < 0.02  # 1 unit over a 200-frame crossfade
    assert y[0] == pytest.approx(0.0) and y[-1] > 10


def test_progress_per_window_and_cancel_within_one_window():
    x = np.zeros((2, 10_000), np.float32)
    reports = []
    apply_chunked(identity, x, segment=1000, overlap=0.25, progress=reports.append)
    n = count_windows(10_000, segment=1000, overlap=0.25)
    assert [p.done for p in reports] == list(range(n + 1))
    assert all(p.total == n for p in reports)

    token, seen = CancelToken(), []

    def model(xb):
        seen.append(1)
        if len(seen) == 3:
            token.cancel()
        return xb[:, None]

    with pytest.raises(JobCancelled):
        apply_chunked(model, x, segment=1000, overlap=0.25, cancel=token)
    assert len(seen) == 3


@pytest.mark.parametrize("kwargs", [{"overlap": 1.0}, {"overlap": -0.1}, {"segment": 0},
                                    {"batch": 0}, {"shifts": -1}])
def test_bad_parameters(kwargs):
    args = {"segment": 100, **kwargs}
    with pytest.raises(InvalidParameterError):
        apply_chunked(identity, np.zeros((1, 10), np.float32), **args)


def test_model_returning_the_wrong_shape_is_reported():
    with pytest.raises(ValueError, match="model_fn returned shape"):
        apply_chunked(lambda xb: xb, np.zeros((1, 500), np.float32), segment=100)


@pytest.mark.parametrize("budget,per,expected", [(10**9, 10**8, 5), (10**6, 10**8, 1),
                                                 (10**12, 10**6, 8)])
def test_plan_batch_fits_the_memory_budget(budget, per, expected):
    assert plan_batch("cpu", per, budget_bytes=budget) == expected


def test_plan_batch_reads_free_memory():
    assert 1 <= plan_batch("cpu", 10**6) <= 8


@pytest.mark.parametrize("shifts", [0, 2])
def test_scratch_output_and_input_normalisation_equal_the_in_memory_path(tmp_path, shifts):
    """Stems accumulated in a disk-backed scratch array, windows normalised as they are cut:
    the same numbers as an in-memory buffer fed a normalised copy (padding stays zero)."""
    from core.scratch import scratch_array

    rng = np.random.default_rng(4)
    x = (rng.standard_normal((2, 5000)) * 0.3 + 0.05).astype(np.float32)
    mean, std = 0.05, 0.3

    def model(xb):  # position-dependent and non-linear, so the padding matters
        ramp = torch.linspace(0.5, 1.5, xb.shape[-1])
        return torch.stack([xb * ramp, torch.tanh(xb)], dim=1)

    ref = apply_chunked(model, (x - mean) / std, segment=700, overlap=0.25, shifts=shifts,
                        max_shift=100)
    out = scratch_array((2, 2, 5000), tmp_path)
    got = apply_chunked(model, x, segment=700, overlap=0.25, shifts=shifts, max_shift=100,
                        out=out, in_shift=mean, in_scale=1 / std)
    assert got is out
    np.testing.assert_allclose(out, ref, atol=1e-5)
