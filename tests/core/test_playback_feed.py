"""The player's feed (mixer -> time stretcher -> blocks) on its own: exact sample arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio import Audio
from core.playback import Mixer, PlaySource
from core.playback.feed import Feed

SR = 8000
BS = 256


def feed_for(*sources: PlaySource, history_blocks: int = 16) -> Feed:
    m = Mixer(sr=SR, channels=2, blocksize=BS)
    m.set_tracks(m.prepare(list(sources)))
    return Feed(m, history_blocks=history_blocks)


def noise(n: int, seed: int = 0, channels: int = 2) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-0.5, 0.5, (channels, n)).astype(np.float32), SR)


def render(feed: Feed, blocks: int) -> tuple[np.ndarray, list[tuple[int, float, bool]]]:
    out = np.zeros((2, BS), np.float32)
    parts, info = [], []
    for _ in range(blocks):
        info.append(feed.render(out))
        parts.append(out.copy())
    return np.concatenate(parts, axis=1), info


@pytest.mark.parametrize("start", [0, 1000, 3333])
def test_rate_one_is_the_mixers_output_exactly(start):
    a = noise(3 * SR)
    f = feed_for(PlaySource("a", a, gain_db=-3.0))
    f.reset(start)
    y, info = render(f, 40)
    m = Mixer(sr=SR, channels=2, blocksize=BS)
    m.set_tracks(m.prepare([PlaySource("a", a, gain_db=-3.0)]))
    ref, pos = [], start
    out = np.zeros((2, BS), np.float32)
    for _ in range(40):
        _, pos, _ = m.render(pos, out)
        ref.append(out.copy())
    assert np.array_equal(y, np.concatenate(ref, axis=1))
    assert [i[0] for i in info] == [start + k * BS for k in range(40)]
    assert all(i[1] == 1.0 for i in info)


def test_loop_at_rate_one_is_exact_and_positions_wrap():
    a = noise(SR)
    f = feed_for(PlaySource("a", a))
    f.mixer.loop = (1000, 1700)
    f.reset(1000)
    y, info = render(f, 12)
    seg = a.samples[:, 1000:1700]
    want = np.tile(seg, (1, 12 * BS // 700 + 1))[:, : 12 * BS]
    assert np.array_equal(y, want)
    assert all(1000 <= i[0] < 1700 for i in info)
    assert info[3][0] == 1000 + (3 * BS) % 700


@pytest.mark.parametrize("rate", [0.5, 0.8, 1.25, 2.0])
def test_block_positions_advance_by_rate(rate):
    f = feed_for(PlaySource("a", noise(4 * SR)))
    f.rate = rate
    f.reset(500)
    _, info = render(f, 30)
    starts = np.array([i[0] for i in info])
    assert starts[0] == 500
    steps = np.diff(starts)
    assert np.all(np.abs(steps - rate * BS) <= 1)  # source time, on the nominal line
    assert all(i[1] == rate for i in info)


@pytest.mark.parametrize("rate", [1.0, 0.5, 1.5])
def test_end_of_material_is_reported_once_its_stretched_sound_is_out(rate):
    f = feed_for(PlaySource("a", noise(SR // 2)))
    f.rate = rate
    y, info = render(f, int(SR / 2 / rate / BS) + 4)
    ended = [k for k, i in enumerate(info) if i[2]]
    assert ended and ended[0] == pytest.approx(SR / 2 / rate / BS, abs=1.01)
    assert not y[:, (ended[0] + 1) * BS :].any()  # silence after it


@pytest.mark.parametrize("rate", [1.0, 0.75, 2.0])
def test_restore_remixes_from_the_same_point(rate):
    a, b = noise(3 * SR, 1), noise(3 * SR, 2)
    f = feed_for(PlaySource("a", a), PlaySource("b", b))
    f.rate = rate
    render(f, 5)
    snap = f.snapshot()
    pos = f.position()
    first, _ = render(f, 6)
    f.mixer.track("b").mute = True  # a mix change: the queued blocks are mixed again
    f.restore(snap)
    assert f.position() == pos
    second, info = render(f, 6)
    assert info[0][0] == pos
    # "b" fades out over the first re-mixed block (gain ramp from where it was)...
    if rate == 1.0:
        assert np.array_equal(first[:, :1], second[:, :1])
    assert not np.array_equal(first[:, BS:], second[:, BS:])
    # ...and from then on the blocks are those of a mix without "b".
    f2 = feed_for(PlaySource("a", a), PlaySource("b", b, mute=True))
    f2.rate = rate
    alone, _ = render(f2, 11)
    tail = slice(3 * BS, 6 * BS)
    if rate == 1.0:
        assert np.array_equal(second[:, tail], alone[:, 5 * BS :][:, tail])
    else:
        assert np.std(second[:, tail]) == pytest.approx(np.std(alone[:, 5 * BS :][:, tail]), rel=0.1)
        assert np.std(second[:, tail]) < 0.85 * np.std(first[:, tail])  # b is gone


def test_rate_change_applies_after_restore():
    f = feed_for(PlaySource("a", noise(3 * SR)))
    render(f, 4)
    snap = f.snapshot()
    render(f, 6)
    f.restore(snap)
    f.rate = 0.5
    _, info = render(f, 8)
    steps = np.diff([i[0] for i in info])
    assert abs(steps[-1] - 0.5 * BS) <= 1
