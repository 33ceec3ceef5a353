"""Music generation: speed, held-out likelihood, and musical statistics of the shipped model.

* Speed: bars/s and tokens/s of folk ideas, chorale ideas and harmonisations; 32 bars
  generated *and* rendered to audio (the issue's target: under 5 s on a 2-core CPU).
* Likelihood: the held-out NLL recorded by training (``resources/generator/metrics.json``)
  against the smoothed 4-gram baseline fitted on the same split.
* Musical statistics of N generated folk tunes vs the held-out corpus tunes: pitch-class
  histogram distance (relative to the tonic), in-key note rate, notes per bar; and range
  violations / melody-on-top of harmonisations of the held-out chorale melodies.
* MusicGen: speed of the tiny random model only (no real weights offline).

Run: ``make bench`` or ``.venv/bin/python tests/benchmarks/bench_generate.py``.
Writes docs/bench-generate.md (``N_PIECES`` env: pieces for the statistics, default 100).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "bench-generate.md"


def machine() -> str:
    import torch

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
            f"torch {torch.__version__} ({'CUDA' if torch.cuda.is_available() else 'CPU'}), "
            f"load average {os.getloadavg()[0]:.1f} at start")


def _tokens(g) -> int:
    from core.generate.tokens import Event, Header, Piece, encode, tonic_pc

    step = 60 / g.tempo_bpm / 4
    ev = [Event(int(round(n.start_s / step)), i, n.pitch, max(1, int(round(n.duration_s / step))))
          for i, part in enumerate(g.parts.values()) for n in part]
    h = Header(metre=g.metre, key_pc=tonic_pc(g.key.tonic), mode=g.key.mode)
    return len(encode(Piece(h, ev, g.bars)))


def speed() -> list[str]:
    from core.generate import generate_idea, harmonize

    rows = ["| task | bars | tokens | seconds | bars/s | tokens/s |", "|---|---|---|---|---|---|"]
    generate_idea(bars=1)  # load the model once
    cases = [("folk idea", lambda: generate_idea(style="folk", bars=32, seed=1)),
             ("chorale idea (4 voices)", lambda: generate_idea(style="chorale", bars=8, seed=1))]
    melody = generate_idea(style="folk", bars=16, seed=5, metre="4/4").parts["melody"]
    cases.append(("harmonise a 16-bar tune",
                  lambda: harmonize(melody, key="C major", tempo_bpm=110, seed=1)))
    for name, fn in cases:
        times, g = [], None
        for _ in range(3):
            t = time.perf_counter()
            g = fn()
            times.append(time.perf_counter() - t)
        s = statistics.median(times)
        n_tok = _tokens(g)
        rows.append(f"| {name} | {g.bars} | {n_tok} | {s:.2f} | {g.bars / s:.1f} | "
                    f"{n_tok / s:.0f} |")
    times = []
    for seed in range(3):
        t = time.perf_counter()
        generate_idea(style="folk", bars=32, seed=seed, tempo_bpm=120).render(sr=44100)
        times.append(time.perf_counter() - t)
    rows.append(f"| 32 bars generated + rendered to 44.1 kHz audio | 32 | | "
                f"{statistics.median(times):.2f} | | |")
    return rows


def likelihood() -> list[str]:
    from core.generate.sample import weights_dir

    m = json.loads((weights_dir() / "metrics.json").read_text())
    cfg = json.loads((weights_dir() / "config.json").read_text())
    rows = ["| split | model NLL/token | perplexity | NLL/note | 4-gram NLL/token | 4-gram "
            "perplexity | 4-gram NLL/note |", "|---|---|---|---|---|---|---|"]
    for split in ("valid", "test"):
        a, b = m.get(split), m.get(f"ngram_{split}")
        if a and b:
            rows.append(f"| {split} ({a['notes']} notes) | {a['nll_per_token']:.3f} | "
                        f"{a['perplexity']:.2f} | {a['nll_per_note']:.2f} | "
                        f"{b['nll_per_token']:.3f} | {b['perplexity']:.2f} | "
                        f"{b['nll_per_note']:.2f} |")
    t = cfg.get("train", {})
    rows.append("")
    rows.append(f"Model: {m['params']:,} parameters (d_model {cfg['d_model']}, {cfg['n_layers']} "
                f"layers, context {cfg['max_len']}); {m['steps_done']} steps of "
                f"{t.get('batch_size')} windows, seed {t.get('seed')}, {m['train_seconds']:.0f} s "
                f"of training ({m['total_seconds']:.0f} s with corpus and evaluation) on "
                f"{m['device']}; pieces {m['pieces']}.")
    return rows


def musical_stats(n: int) -> list[str]:
    from core.generate import generate_idea, harmonize
    from core.generate.corpus import load_full_corpus, split_corpus
    from core.generate.metrics import histogram_distance, in_key_rate, pitch_class_histogram
    from core.generate.policy import VOICE_RANGES
    from core.generate.tokens import KEY_TONICS, Event

    corpus = load_full_corpus()
    held = [p for p in split_corpus(corpus)["test"] + split_corpus(corpus)["valid"]]
    folk = [p.piece for p in held if p.piece.header.style == "folk"]
    chorales = [p.piece for p in held if p.piece.header.style == "chorale"]
    rng = np.random.default_rng(0)
    gen_hist, gen_key, gen_density = [], [], []
    for i in range(n):
        ref = folk[i % len(folk)].header
        g = generate_idea(style="folk", key=f"{KEY_TONICS[ref.key_pc]} {ref.mode}",
                          metre=ref.metre, bars=8, seed=int(rng.integers(1 << 30)))
        notes = g.parts["melody"]
        step = 60 / g.tempo_bpm / 4
        ev = [Event(0, 0, x.pitch, max(1, round(x.duration_s / step))) for x in notes]
        gen_hist.append(pitch_class_histogram(ev, relative_to=ref.key_pc))
        gen_key.append(in_key_rate([x.pitch for x in notes], ref.key_pc, ref.mode))
        gen_density.append(len(notes) / g.bars)
    ref_hist = [pitch_class_histogram(p.events, relative_to=p.header.key_pc) for p in folk]
    ref_key = [in_key_rate([e.pitch for e in p.events], p.header.key_pc, p.header.mode)
               for p in folk]
    ref_density = [len(p.events) / max(1, p.n_bars) for p in folk]
    # Distance of each set's mean histogram to the held-out mean, and held-out pieces among themselves.
    ref_mean = np.mean(ref_hist, axis=0)
    rows = ["| folk tunes | pieces | PC-histogram distance to held-out mean | in-key rate | "
            "notes per bar |", "|---|---|---|---|---|"]
    for name, hs, ks, ds in (("generated", gen_hist, gen_key, gen_density),
                             ("held-out corpus", ref_hist, ref_key, ref_density)):
        d = statistics.mean(histogram_distance(h, ref_mean) for h in hs)
        rows.append(f"| {name} | {len(hs)} | {d:.3f} (mean over pieces) | "
                    f"{np.nanmean(ks):.3f} | {statistics.mean(ds):.2f} |")
    # Harmonise the soprano of held-out chorales.
    viol, total, top_ok, onsets, key_rates, bach_rates = 0, 0, 0, 0, [], []
    for p in chorales[:max(1, n // 10)]:
        h = p.header
        tempo = 90.0
        step = 60 / tempo / 4
        from core.notes import Note

        melody = [Note(e.start * step, e.end * step, e.pitch) for e in p.events if e.voice == 1]
        g = harmonize(melody, key=f"{KEY_TONICS[h.key_pc]} {h.mode}", metre=h.metre,
                      tempo_bpm=tempo, seed=0)
        for v, name in ((2, "alto"), (3, "tenor"), (4, "bass")):
            lo, hi = VOICE_RANGES[v]
            viol += sum(not lo <= x.pitch <= hi for x in g.parts[name])
            total += len(g.parts[name])
        times = sorted({x.start_s for part in g.parts.values() for x in part})
        for t in times:
            top = [x.pitch for x in g.parts["soprano"] if x.start_s <= t < x.end_s]
            rest = [x.pitch for k in ("alto", "tenor", "bass") for x in g.parts[k]
                    if x.start_s <= t < x.end_s]
            if not top:  # a rest in the melody: the choir holds on alone
                continue
            onsets += 1
            top_ok += all(r <= top[0] for r in rest)
        key_rates.append(in_key_rate([x.pitch for k in ("alto", "tenor", "bass")
                                      for x in g.parts[k]], h.key_pc, h.mode))
        bach_rates.append(in_key_rate([e.pitch for e in p.events if e.voice > 1],
                                      h.key_pc, h.mode))
    rows += ["", "| harmonisation of held-out chorale melodies | value |", "|---|---|",
             f"| chorales | {len(key_rates)} |",
             f"| range violations (alto/tenor/bass notes outside their range) | {viol} of {total} |",
             f"| onsets (while the melody sounds) with the melody as top voice | {top_ok} of "
             f"{onsets} |",
             f"| in-key rate of the generated lower voices | {np.mean(key_rates):.3f} |",
             f"| in-key rate of Bach's own lower voices | {np.mean(bach_rates):.3f} |"]
    return rows


def musicgen_tiny() -> list[str]:
    from core import models
    from core.generate.musicgen import musicgen_generate
    from core.generate.musicgen_testing import make_tiny_musicgen, register_tiny_musicgen

    with tempfile.TemporaryDirectory() as tmp:
        register_tiny_musicgen(make_tiny_musicgen(Path(tmp) / "m"), "musicgen-bench-tiny")
        try:
            musicgen_generate("warm up", model="musicgen-bench-tiny", duration_s=0.2)
            times = []
            for seed in range(3):
                t = time.perf_counter()
                a = musicgen_generate("folk", model="musicgen-bench-tiny", duration_s=4.0,
                                      window_s=1.0, overlap_s=0.3, seed=seed)
                times.append(time.perf_counter() - t)
            s = statistics.median(times)
        finally:
            models.unregister("musicgen-bench-tiny")
    return [f"MusicGen (tiny random model, 2 codebooks, 50 tokens/s, 1 s windows): "
            f"{a.duration_s:.1f} s of audio in {s:.2f} s, median of 3 (runs: "
            f"{', '.join(f'{x:.2f}' for x in times)} s; {a.duration_s * 50 / s:.0f} audio "
            "tokens/s). Real MusicGen weights are not available offline, so no quality or "
            "speed figure for them here."]


def run(n_pieces: int = 100) -> str:
    lines = ["# Music generation benchmark", "", f"Machine: {machine()}.", "",
             "## Speed (median of 3)", "", *speed(), "",
             "## Held-out likelihood (lower is better)", "", *likelihood(), "",
             f"## Musical statistics ({n_pieces} generated 8-bar folk tunes in the keys and "
             "metres of held-out tunes)", "", *musical_stats(n_pieces), "",
             "## MusicGen", "", *musicgen_tiny(), ""]
    text = "\n".join(lines)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    return text


def test_bench_generate():
    print(run(int(os.environ.get("N_PIECES", "100"))))


if __name__ == "__main__":
    print(run(int(os.environ.get("N_PIECES", "100"))))
