"""A tiny randomly initialised CTC model with wav2vec2's layout, for tests and benchmarks.

It has the real model's character vocabulary, file layout and frame rate
(20 ms per frame at 16 kHz), so every loader and the whole alignment pipeline
run on it offline; its output is meaningless, so tests of *where* words land
use hand-made emission matrices instead (see :func:`core.align.align_words`).
"""

from __future__ import annotations

import json
from pathlib import Path

#: wav2vec2-base-960h's vocabulary, in its order (index = output).
VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", "E", "T", "A", "O", "N", "I", "H", "S", "R",
         "D", "L", "U", "M", "W", "C", "F", "G", "Y", "P", "B", "V", "K", "'", "X", "J", "Q",
         "Z"]


def write_tiny_model(folder: str | Path, *, seed: int = 0, hidden_size: int = 16) -> Path:
    """Write a ~30 kB random ``Wav2Vec2ForCTC`` model folder and return it.

    Files: ``config.json``, ``model.safetensors``, ``vocab.json``,
    ``preprocessor_config.json`` (what the registry entry lists).
    """
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    cfg = Wav2Vec2Config(
        vocab_size=len(VOCAB), hidden_size=hidden_size, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=2 * hidden_size, conv_dim=(8,) * 7,
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, pad_token_id=0,
        feat_extract_norm="group", do_stable_layer_norm=False)
    Wav2Vec2ForCTC(cfg).save_pretrained(str(folder), safe_serialization=True)
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(VOCAB)}),
                                       encoding="utf-8")
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "do_normalize": True, "feature_size": 1, "padding_side": "right",
        "padding_value": 0.0, "return_attention_mask": False, "sampling_rate": 16000}),
        encoding="utf-8")
    return folder
