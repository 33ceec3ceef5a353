"""Tiny random neural voices with the real file layouts, for tests and benchmarks.

* :func:`write_tiny_voice`: an MMS-TTS (VITS) voice, the same files as a real
  one (``config.json``, ``model.safetensors``, ``vocab.json``,
  ``tokenizer_config.json``), about 100 kB.
* :func:`write_tiny_piper_voice`: a Piper voice (``.onnx`` + ``.onnx.json``).

They speak noise, so tests check the plumbing (loading, ids, speed), not the sound.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Characters of the tiny voice's vocabulary (MMS English has the same letters).
CHARACTERS = " '-abcdefghijklmnopqrstuvwxyz"


def write_tiny_voice(folder: str | Path, *, seed: int = 0) -> Path:
    """Write a random VITS voice folder (16 kHz) and return it."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0}
    for c in CHARACTERS:
        vocab[c] = len(vocab)
    vocab["<unk>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tok = VitsTokenizer(str(folder / "vocab.json"), pad_token="<pad>", unk_token="<unk>",
                        add_blank=True, normalize=True, phonemize=False, is_uroman=False,
                        language="eng")
    tok.save_pretrained(str(folder))
    torch.manual_seed(seed)
    cfg = VitsConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ffn_dim=32, flow_size=16, upsample_initial_channel=16, upsample_rates=[8, 8, 4],
        upsample_kernel_sizes=[16, 16, 8], resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]], prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1,
        duration_predictor_num_flows=1, duration_predictor_filter_channels=16,
        depth_separable_num_layers=1, sampling_rate=16000, spectrogram_bins=33)
    VitsModel(cfg).save_pretrained(str(folder), safe_serialization=True)
    return folder


#: Phonemes of the tiny Piper voice's id map (the common IPA symbols espeak-ng writes).
PIPER_SYMBOLS = (list("_^$ !,.?'") + list("abdefhijklmnoprstuvwzæðŋɑɔəɛɜɪɹʃʊʌʒθˈˌː")
                 + ["\u0329", "\u0303"])


def write_tiny_piper_voice(folder: str | Path, name: str = "tiny", *, seed: int = 0,
                           sample_rate: int = 22050, samples_per_id: int = 256) -> Path:
    """Write ``<name>.onnx`` + ``<name>.onnx.json`` with Piper's interface and return the folder.

    The ONNX graph has Piper's inputs (``input`` int64 [1, N] phoneme ids,
    ``input_lengths`` int64 [1], ``scales`` float [3] = noise, length, noise_w)
    and output (``output`` float [1, 1, T]): each id becomes ``samples_per_id``
    samples of a fixed random wave, stretched by the length scale.  Building
    it needs the ``onnx`` package (tests only).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = {s: [i] for i, s in enumerate(PIPER_SYMBOLS)}
    rng = np.random.default_rng(seed)
    table = (0.5 * np.tanh(rng.standard_normal((len(ids), samples_per_id)))).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "input"], ["frames"], axis=0),     # [1, N, S]
        helper.make_node("Reshape", ["frames", "shape"], ["wave"]),             # [1, 1, N*S]
        helper.make_node("Slice", ["scales", "one", "two"], ["length"]),        # [1]
        helper.make_node("Concat", ["ones", "length"], ["resize"], axis=0),     # [1, 1, ls]
        helper.make_node("Resize", ["wave", "", "resize"], ["stretched"], mode="linear"),
        helper.make_node("Cast", ["input_lengths"], ["n"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["n", "zero"], ["nothing"]),                    # uses the input
        helper.make_node("Add", ["stretched", "nothing"], ["output"]),
    ]
    inits = [numpy_helper.from_array(table, "table"),
             numpy_helper.from_array(np.array([1, 1, -1], np.int64), "shape"),
             numpy_helper.from_array(np.array([1], np.int64), "one"),
             numpy_helper.from_array(np.array([2], np.int64), "two"),
             numpy_helper.from_array(np.array([1.0, 1.0], np.float32), "ones"),
             numpy_helper.from_array(np.array(0.0, np.float32), "zero")]
    graph = helper.make_graph(
        nodes, "tiny-piper",
        [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
         helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "time"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / f"{name}.onnx"))
    (folder / f"{name}.onnx.json").write_text(json.dumps({
        "audio": {"sample_rate": sample_rate, "quality": "tiny"},
        "espeak": {"voice": "en-us"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak", "phoneme_id_map": ids, "num_symbols": len(ids),
        "num_speakers": 1, "speaker_id_map": {}}, ensure_ascii=False), encoding="utf-8")
    return folder
