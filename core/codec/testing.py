"""A tiny randomly initialised EnCodec saved locally, so the real loader runs offline."""

from __future__ import annotations

import os
from pathlib import Path

TINY_SR = 24000


def make_tiny_encodec(folder: os.PathLike, *, seed: int = 0) -> Path:
    """Write a tiny random ``EncodecModel`` to ``folder``; return it.

    24 kHz mono, hop 320 (75 code frames per second), 1024-entry codebooks
    (10 bits), bandwidths 1.5/3/6/12/24 kbit/s like the real model, but
    channel widths of 4-16 so it runs in milliseconds.  Its output is noise:
    use it for the code path and for speed, never for quality figures.
    """
    import torch
    from transformers import EncodecConfig, EncodecFeatureExtractor, EncodecModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    cfg = EncodecConfig(target_bandwidths=[1.5, 3.0, 6.0, 12.0, 24.0], sampling_rate=TINY_SR,
                        audio_channels=1, hidden_size=16, num_filters=4, num_residual_layers=1,
                        upsampling_ratios=[8, 5, 4, 2], codebook_size=1024, codebook_dim=16,
                        num_lstm_layers=1, use_causal_conv=True, normalize=False)
    net = EncodecModel(cfg).eval()
    net.save_pretrained(str(folder), safe_serialization=True)
    EncodecFeatureExtractor(feature_size=1, sampling_rate=TINY_SR).save_pretrained(str(folder))
    return folder
