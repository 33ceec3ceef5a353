"""Lyrics alignment and text-to-speech speed.

Run: ``make bench`` (all benchmarks) or ``.venv/bin/python tests/benchmarks/bench_align.py``.

* Alignment, 60 s of audio (espeak-ng reading ~150 words of lyrics, padded
  with silence to 60 s), through ``core.align.align_lyrics``:
  - the tiny random model (core.align.testing) installed through the registry
    from a local server: the pipeline's own overhead (decode, resample,
    windows, forced alignment, result);
  - a randomly initialised model with wav2vec2-base's exact architecture
    (95 M parameters, what ``wav2vec2-base-960h`` runs), in memory: the
    listening time the real model costs on this machine (weights do not
    change the compute), split into network and forced-alignment search.
* Text to speech: espeak-ng on ~150 words, and a randomly initialised VITS
  with MMS-TTS English's exact architecture (``VitsConfig()`` defaults).
Each figure is the median of ``RUNS`` runs after a warm-up.
"""

from __future__ import annotations

import functools
import http.server
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".bench"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))

VERSE = ("Twinkle twinkle little star, how I wonder what you are. Up above the world so high, "
         "like a diamond in the sky. When the blazing sun is gone, when he nothing shines upon, "
         "then you show your little light, twinkle twinkle all the night.")
LYRICS = "\n".join([VERSE] * 3).replace(". ", ".\n").replace(", ", ",\n")


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores"


def median_time(fn, runs: int = RUNS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def vocals_60s():
    from core.audio import Audio
    from core.tts import synthesize

    speech = synthesize(LYRICS.replace("\n", " "), voice="en-us")
    out = np.zeros((1, 60 * speech.sr), np.float32)
    n = min(out.shape[1], speech.frames)
    out[:, :n] = speech.samples[:, :n]
    return Audio(out, speech.sr)


def bench_alignment() -> list[str]:
    from core import models
    from core.align import align_lyrics, clear_cache, parse_lyrics
    from core.align.align import place_lines
    from core.align.model import CtcModel, emissions
    from core.align.testing import VOCAB, write_tiny_model

    audio = vocals_60s()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RESONOTE_CACHE_DIR"] = str(Path(tmp) / "cache")
        folder = write_tiny_model(Path(tmp) / "tiny")
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        models.register(models.ModelSpec(
            name="bench-tiny-align", task="align", description="tiny", source="download",
            licence="MIT", loader="transformers-dir",
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            files=tuple(models.FileSpec(n) for n in ("config.json", "preprocessor_config.json",
                                                     "vocab.json", "model.safetensors"))),
            replace=True)
        models.download("bench-tiny-align")
        t_tiny = median_time(lambda: align_lyrics(audio, LYRICS, model="bench-tiny-align"))
        words = len(align_lyrics(audio, LYRICS, model="bench-tiny-align").words)
        server.shutdown()
        clear_cache()
    lines.append(f"| align_lyrics, tiny random model (pipeline overhead) | 60 s, {words} words | "
                 f"{t_tiny:.2f} s | {60 / t_tiny:.0f}x |")

    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    torch.manual_seed(0)
    net = Wav2Vec2ForCTC(Wav2Vec2Config(vocab_size=len(VOCAB), pad_token_id=0)).eval()
    m = CtcModel(name="base-size", network=net, labels=list(VOCAB), blank=0,
                 delimiter=VOCAB.index("|"), sample_rate=16000, hop=320, receptive=400,
                 normalize=True, device="cpu")
    from core.audio import resample

    x = resample(audio, 16000).samples[0]
    t_net = median_time(lambda: emissions(m, x), runs=max(1, RUNS - 1))
    lp = emissions(m, x)
    parsed = parse_lyrics(LYRICS, m.characters)
    t_search = median_time(lambda: place_lines(lp, parsed, m))
    lines.append(f"| wav2vec2-base architecture (95 M params): network, 30 s windows | 60 s | "
                 f"{t_net:.2f} s | {60 / t_net:.1f}x |")
    lines.append(f"| forced alignment search (torchaudio forced_align), {lp.shape[0]} frames | "
                 f"{words} words | {t_search * 1000:.0f} ms | |")
    return lines


def bench_tts() -> list[str]:
    from core.tts import synthesize

    text = LYRICS.replace("\n", " ")
    out = synthesize(text)
    t = median_time(lambda: synthesize(text))
    lines = [f"| espeak-ng, {len(text.split())} words | {out.duration_s:.1f} s of speech | "
             f"{t:.2f} s | {out.duration_s / t:.0f}x |"]

    import torch
    from transformers import VitsConfig, VitsModel

    from core.tts.testing import CHARACTERS

    torch.manual_seed(0)
    net = VitsModel(VitsConfig()).eval()
    ids = torch.tensor([[1 + (CHARACTERS.find(c) % 30) for c in text.lower()[:300]]])

    def run():
        with torch.inference_mode():
            return net(input_ids=ids).waveform

    seconds = run().shape[-1] / 16000
    t_vits = median_time(run, runs=max(1, RUNS - 1))
    lines.append(f"| MMS-TTS (VITS) architecture, random weights, 300 characters | "
                 f"{seconds:.1f} s of audio | {t_vits:.2f} s | {seconds / t_vits:.2f}x |")
    return lines


def test_bench_align_and_tts():
    rows = ["| what | input | wall time (median) | faster than real time |", "|---|---|---|---|"]
    rows += bench_alignment() + bench_tts()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    text = "\n".join(rows + ["", f"Machine: {machine()}; torch threads {_threads()}; load "
                              f"average {load:.1f} when it finished."]) + "\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench-align.md").write_text(text)
    print("\n" + text)


def _threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    test_bench_align_and_tts()
