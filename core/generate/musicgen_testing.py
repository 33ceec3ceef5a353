"""Tiny randomly initialised MusicGen models saved locally, so the real code path runs offline.

Used by tests and benchmarks: :func:`make_tiny_musicgen` writes a transformers
folder (safetensors) and :func:`register_tiny_musicgen` adds it to the registry
as a bundled model.
"""

from __future__ import annotations

import os
from pathlib import Path

TINY_SR = 16000


def _tokenizer(folder: Path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<pad>", "</s>", "<unk>"] + ("happy sad rock pop jazz folk piano guitar drums bass "
                                          "slow fast calm loud synth music with a and").split()
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>")
    fast.save_pretrained(str(folder))
    return fast


def make_tiny_musicgen(folder: os.PathLike, *, melody: bool = False, seed: int = 0,
                       max_positions: int = 64) -> Path:
    """Write a tiny random MusicGen (or MusicGen-Melody) to ``folder``; return it.

    Audio: 16 kHz, hop 320 → 50 tokens/s, 2 codebooks; the decoder sees at most
    ``max_positions`` tokens (≈1.2 s windows), so longer outputs exercise the
    sliding window.
    """
    import torch
    from transformers import EncodecConfig, EncodecFeatureExtractor, T5Config

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    tok = _tokenizer(folder)
    text = T5Config(vocab_size=len(tok), d_model=16, d_kv=4, d_ff=32, num_layers=1,
                    num_heads=2, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    audio = EncodecConfig(target_bandwidths=[0.5], sampling_rate=TINY_SR, audio_channels=1,
                          hidden_size=16, num_filters=4, num_residual_layers=1,
                          upsampling_ratios=[8, 5, 4, 2], codebook_size=32, codebook_dim=16,
                          num_lstm_layers=1, use_causal_conv=True, normalize=False)
    dec = dict(vocab_size=32, max_position_embeddings=max_positions, num_hidden_layers=1,
               ffn_dim=32, num_attention_heads=2, hidden_size=16, num_codebooks=2,
               pad_token_id=32, bos_token_id=32, decoder_start_token_id=32)
    if melody:
        from transformers import (
            MusicgenMelodyConfig,
            MusicgenMelodyDecoderConfig,
            MusicgenMelodyFeatureExtractor,
            MusicgenMelodyForConditionalGeneration,
            MusicgenMelodyProcessor,
        )

        cfg = MusicgenMelodyConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                                   decoder=MusicgenMelodyDecoderConfig(**dec).to_dict(),
                                   chroma_length=64)
        net = MusicgenMelodyForConditionalGeneration(cfg)
        fe = MusicgenMelodyFeatureExtractor(sampling_rate=TINY_SR, hop_length=320, n_fft=1024,
                                            chunk_length=30)
        proc = MusicgenMelodyProcessor(feature_extractor=fe, tokenizer=tok)
    else:
        from transformers import (
            MusicgenConfig,
            MusicgenDecoderConfig,
            MusicgenForConditionalGeneration,
            MusicgenProcessor,
        )

        cfg = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                             decoder=MusicgenDecoderConfig(**dec).to_dict())
        net = MusicgenForConditionalGeneration(cfg)
        fe = EncodecFeatureExtractor(feature_size=1, sampling_rate=TINY_SR)
        proc = MusicgenProcessor(feature_extractor=fe, tokenizer=tok)
    net.generation_config.pad_token_id = 32
    net.generation_config.decoder_start_token_id = 32
    net.generation_config.bos_token_id = 32
    net.save_pretrained(str(folder), safe_serialization=True)
    proc.save_pretrained(str(folder))
    return folder


def register_tiny_musicgen(folder: os.PathLike, name: str = "musicgen-tiny-test"):
    """Register ``folder`` (from :func:`make_tiny_musicgen`) as a bundled model ``name``."""
    from core import models
    from core.models import FileSpec, ModelSpec

    folder = Path(folder)
    rel = os.path.relpath(folder, _resources_root())
    spec = ModelSpec(name=name, task="generation", description="tiny random MusicGen (tests)",
                     source="bundled", licence="MIT", loader="transformers-dir",
                     files=(FileSpec("config.json"),), resource_dir=rel)
    return models.register(spec, replace=True)


def _resources_root() -> Path:
    from core.models.locate import resources_root

    return resources_root()
