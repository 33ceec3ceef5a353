"""Every restoration tool on odd input: channel counts, rates, silence; cancel; chains; loudness."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import restore_data as rd

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled
from core.restore.chain import Chain, ChainStep, load_chain, run_chain, save_chain
from core.restore.declick import declick
from core.restore.declip import declip
from core.restore.dehum import dehum
from core.restore.denoise import denoise
from core.restore.dereverb import dereverb
from core.restore.loudness import measure_loudness, normalize_loudness

TOOLS = {
    "deepfilter": lambda a, **k: denoise(a, method="deepfilter", **k),
    "rnnoise": lambda a, **k: denoise(a, method="rnnoise", **k),
    "gate": lambda a, **k: denoise(a, method="gate", noise_profile=(0, 0.3), **k),
    "declip": declip, "declick": declick, "dereverb": dereverb,
    "dehum": lambda a, **k: dehum(a, fundamental_hz=50, **k),
    "loudness": normalize_loudness,
}


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("sr,channels", [(22050, 1), (44100, 2), (96000, 6), (8000, 1)])
def test_any_rate_and_channel_count(tool, sr, channels):
    n = sr  # 1 s
    x = np.stack([0.1 * rd.white(n, c) + 0.2 * np.sin(2 * np.pi * 50 * np.arange(n) / sr)
                  for c in range(channels)])
    r = TOOLS[tool](Audio(x, sr))
    assert r.audio.samples.shape == (channels, n) and r.audio.sr == sr
    assert np.isfinite(r.audio.samples).all()
    assert r.report["tool"] in ("denoise", tool)


@pytest.mark.parametrize("tool", TOOLS)
def test_silence_in_silence_out(tool):
    r = TOOLS[tool](Audio(np.zeros((2, 44100)), 44100))
    assert np.isfinite(r.audio.samples).all()
    assert np.max(np.abs(r.audio.samples)) < 1e-6


@pytest.mark.parametrize("tool", ["deepfilter", "rnnoise", "gate", "declick", "dehum",
                                  "dereverb"])
def test_cancel_raises(tool):
    token = CancelToken()
    seen = []

    def progress(p):
        seen.append(p)
        if len(seen) == 2:
            token.cancel()

    with pytest.raises(JobCancelled):
        x = 0.1 * rd.white(44100 * 30) + 0.1 * np.sin(2 * np.pi * 50 * np.arange(44100 * 30) / 44100)
        TOOLS[tool](Audio(x, 44100), progress=progress, cancel=token)


@pytest.mark.parametrize("channels", [1, 2, 5])
def test_integrated_loudness_matches_pyloudnorm(channels):
    sr = 44100
    s = rd.speech(sr)
    x = np.stack([s * (0.4 + 0.1 * c) for c in range(channels)])
    ref = pyloudnorm.Meter(sr).integrated_loudness(x.T)
    assert measure_loudness(Audio(x, sr))["integrated_lufs"] == pytest.approx(ref, abs=0.01)


@pytest.mark.parametrize("target", [-14.0, -23.0, "broadcast"])
@pytest.mark.parametrize("sr", [22050, 48000])
def test_normalize_hits_target_under_ceiling(target, sr):
    r = normalize_loudness(Audio(np.stack([rd.speech(sr), 0.5 * rd.speech(sr)]), sr),
                           target_lufs=target)
    goal = -23.0 if target == "broadcast" else target
    assert r.report["after"]["integrated_lufs"] == pytest.approx(goal, abs=0.1)
    assert r.report["after"]["true_peak_dbtp"] <= -1.0 + 0.1


def test_loudness_too_short_is_a_plain_error():
    with pytest.raises(InvalidParameterError, match="too short"):
        normalize_loudness(Audio(np.ones((1, 100)) * 0.1, 44100))


def test_chain_json_roundtrip_and_run(tmp_path):
    sr = 44100
    s = rd.speech(sr)
    t = np.arange(s.size) / sr
    x = np.clip(s + 0.05 * np.sin(2 * np.pi * 50 * t), -0.3, 0.3)
    chain = Chain([ChainStep("dehum", {"fundamental_hz": 50}), ChainStep("declip"),
                   ChainStep("loudness", {"target_lufs": -20})], name="take")
    path = save_chain(chain, tmp_path / "take.json")
    loaded = load_chain(path)
    assert loaded == chain
    reports = []
    r = run_chain(Audio(x, sr), loaded, progress=reports.append)
    assert [st["tool"] for st in r.report["steps"]] == ["dehum", "declip", "loudness"]
    assert r.report["steps"][-1]["after"]["integrated_lufs"] == pytest.approx(-20, abs=0.1)
    assert reports[-1].done == reports[-1].total == 3
    with pytest.raises(InvalidParameterError, match="no setting"):
        Chain([ChainStep("dehum", {"volume": 3})]).steps[0].validate()
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(InvalidParameterError, match="not a Resonote"):
        load_chain(tmp_path / "bad.json")
