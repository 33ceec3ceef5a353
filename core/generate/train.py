"""Train the embedded generator (the body of ``resonote train-generator``).

Reproducible: the corpus order, split, initial weights, batches and
transpositions all derive from ``seed``; the run stops after ``steps`` optimizer
steps (or earlier at ``max_minutes``, which is recorded in the metrics).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional

from core.errors import InvalidParameterError
from core.generate.corpus import COLLECTIONS, EXCLUDED, CorpusPiece, load_corpus, split_corpus
from core.generate.tokens import (
    BAR,
    HEADER_LEN,
    PAD,
    PITCH_MAX,
    PITCH_MIN,
    TEMPO_BINS,
    VOCAB,
    Event,
    Piece,
    encode,
)
from core.jobs import CancelToken, Progress, ProgressCallback, check, no_progress


def default_weights_dir() -> Path:
    """``resources/generator`` (where the trained weights ship)."""
    from core.models.locate import resources_root

    return resources_root() / "generator"


def default_corpus_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("resonote")) / "generator-corpus-v1.json"


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (saved in ``config.json``)."""

    steps: int = 2000
    batch_size: int = 12
    lr: float = 1.5e-3
    warmup: int = 40
    weight_decay: float = 0.05
    d_model: int = 160
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 480
    max_len: int = 256
    dropout: float = 0.1
    seed: int = 0
    max_minutes: float = 28.0
    corpus_limit: Optional[int] = None
    eval_pieces: int = 12  # folk ideas sampled after training for the in-key statistics
    threads: int = 1  # torch threads; 0 = torch's default (1 is ~3x faster on a busy 2-core CPU)


def transpose(piece: Piece, semitones: int) -> Optional[Piece]:
    """``piece`` moved by ``semitones`` with its key label, or None if a note leaves 21..108."""
    ev = [Event(e.start, e.voice, e.pitch + semitones, e.dur, e.velocity) for e in piece.events]
    if any(not PITCH_MIN <= e.pitch <= PITCH_MAX for e in ev):
        return None
    h = replace(piece.header, key_pc=(piece.header.key_pc + semitones) % 12)
    return Piece(h, ev, piece.n_bars)


def windows(tokens: list[int], max_len: int, *, start_bar: int = 0) -> list[int]:
    """Header plus the tokens from bar ``start_bar`` on, at most ``max_len`` long."""
    bars = [i for i, t in enumerate(tokens) if t == BAR]
    i = bars[min(start_bar, len(bars) - 1)] if bars else HEADER_LEN
    return tokens[:HEADER_LEN] + tokens[i:i + max_len - HEADER_LEN]


def _sample_batch(pieces: list[CorpusPiece], cfg: TrainConfig, rng: random.Random):
    import torch

    rows = []
    while len(rows) < cfg.batch_size:
        p = rng.choice(pieces).piece
        moved = transpose(p, rng.randint(-5, 6))
        if moved is None:
            continue
        if rng.random() < 0.5:  # the corpus has no tempo marks: teach the model to ignore them
            moved = Piece(replace(moved.header, tempo_bpm=float(rng.choice(TEMPO_BINS))),
                          moved.events, moved.n_bars)
        toks = encode(moved)
        n_bars = toks.count(BAR)
        rows.append(windows(toks, cfg.max_len + 1, start_bar=rng.randrange(max(1, n_bars - 2))))
    width = max(len(r) for r in rows)
    x = torch.full((len(rows), width), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        x[i, :len(r)] = torch.tensor(r)
    return x


def _loss(model, x):
    import torch.nn.functional as F

    logits = model(x[:, :-1])
    target = x[:, 1:].clone()
    target[:, :HEADER_LEN - 1] = PAD  # the header is given, never predicted
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                           ignore_index=PAD)


def evaluate(model, pieces: list[CorpusPiece], *, max_len: int,
             cancel: Optional[CancelToken] = None) -> dict:
    """Held-out NLL of whole pieces (untransposed), scored in windows that restart at bar lines.

    Returns ``{"nll_per_token", "perplexity", "nll_per_note", "tokens", "notes"}`` (nats).
    """
    import torch
    import torch.nn.functional as F

    total, n_tok, n_notes = 0.0, 0, 0
    model.eval()
    with torch.no_grad():
        for cp in pieces:
            check(cancel)
            toks = encode(cp.piece)
            n_notes += len(cp.piece.events)
            bars = [i for i, t in enumerate(toks) if t == BAR]
            i = bars[0]
            while i < len(toks):
                # Score tokens [i, j) with as much preceding context as fits (from a bar line).
                j = min(len(toks), i + (max_len - HEADER_LEN) // 2)
                ctx_start = next((b for b in bars if b <= i and j - b <= max_len - HEADER_LEN), i)
                seq = toks[:HEADER_LEN] + toks[ctx_start:j]
                x = torch.tensor([seq])
                logits = model(x[:, :-1])
                lp = F.log_softmax(logits[0], -1)
                tgt = x[0, 1:]
                first = len(seq) - (j - i) - 1  # index in logits predicting toks[i]
                total -= float(lp[torch.arange(first, len(seq) - 1), tgt[first:]].sum())
                n_tok += j - i
                i = j
    nll = total / max(1, n_tok)
    return {"nll_per_token": nll, "perplexity": math.exp(nll), "nll_per_note": total / max(1, n_notes),
            "tokens": n_tok, "notes": n_notes}


def ngram_baseline(train: list[CorpusPiece], held: list[CorpusPiece], order: int = 4) -> dict:
    """NLL of a smoothed ``order``-gram model fitted on the training pieces (moved -1, 0, +1 semitone)."""
    from core.generate.metrics import NGramModel

    seqs = []
    for cp in train:
        for s in (-1, 0, 1):
            moved = transpose(cp.piece, s)
            if moved is not None:
                seqs.append(encode(moved))
    lm = NGramModel(order, len(VOCAB)).fit(seqs)
    total, n_tok, n_notes = 0.0, 0, 0
    for cp in held:
        t, n = lm.nll(encode(cp.piece))
        total, n_tok, n_notes = total + t, n_tok + n, n_notes + len(cp.piece.events)
    nll = total / max(1, n_tok)
    return {"order": order, "nll_per_token": nll, "perplexity": math.exp(nll),
            "nll_per_note": total / max(1, n_notes)}


def train_generator(
    *,
    out_dir: Optional[os.PathLike] = None,
    config: TrainConfig = TrainConfig(),
    corpus: Optional[list[CorpusPiece]] = None,
    corpus_cache: Optional[os.PathLike] = None,
    baseline: bool = True,
    device: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> dict:
    """Train the event transformer and write weights, config, split and metrics to ``out_dir``.

    Parameters
    ----------
    out_dir : path-like, optional
        Default ``resources/generator``.  Gets ``model.safetensors``,
        ``config.json``, ``split.json`` and ``metrics.json``.
    config : TrainConfig
        Steps, model size, seed, time cap.
    corpus : list of CorpusPiece, optional
        Pieces to use instead of parsing the music21 corpus (tests).
    corpus_cache : path-like, optional
        JSON cache of the parsed corpus (default in the user cache folder).
    baseline : bool
        Also fit and score the n-gram baseline.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.
    """
    import torch

    from core.devices import pick

    if config.steps < 1 or config.batch_size < 1:
        raise InvalidParameterError("Training needs at least one step and a batch of one.")
    out = Path(out_dir) if out_dir is not None else default_weights_dir()
    dev = pick(device)
    threads = torch.get_num_threads()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    try:
        return _train(out, config, corpus, corpus_cache, baseline, dev, progress, cancel)
    finally:
        torch.set_num_threads(threads)


def _train(out: Path, config: TrainConfig, corpus, corpus_cache, baseline: bool, dev: str,
           progress: ProgressCallback, cancel: Optional[CancelToken]) -> dict:
    import torch

    from core.generate.model import EventTransformer, ModelConfig, save_model

    random.seed(config.seed)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    t0 = time.monotonic()
    if corpus is None:
        progress(Progress("corpus", 0, 0, "reading the music21 corpus"))
        if corpus_cache is None and config.corpus_limit is None:
            corpus_cache = default_corpus_cache()  # trial runs (a limit) are not cached
        corpus = load_corpus(limit=config.corpus_limit, progress=progress, cancel=cancel,
                             cache_path=corpus_cache)
    split = split_corpus(corpus)
    if not split["train"]:
        raise InvalidParameterError("The training corpus is empty.")
    held = split["valid"] or split["train"][:1]
    mcfg = ModelConfig(d_model=config.d_model, n_layers=config.n_layers, n_heads=config.n_heads,
                       d_ff=config.d_ff, max_len=config.max_len, dropout=config.dropout)
    model = EventTransformer(mcfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                            betas=(0.9, 0.98))

    def lr_at(step: int) -> float:
        if step < config.warmup:
            return config.lr * (step + 1) / config.warmup
        frac = (step - config.warmup) / max(1, config.steps - config.warmup)
        return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))

    losses: list[float] = []
    stopped_early = False
    t_train = time.monotonic()
    for step in range(config.steps):
        check(cancel)
        if (time.monotonic() - t_train) / 60 > config.max_minutes:
            stopped_early = True
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        model.train()
        x = _sample_batch(split["train"], config, rng).to(dev)
        loss = _loss(model, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        progress(Progress("train", step + 1, config.steps, f"loss {losses[-1]:.3f}"))
    train_s = time.monotonic() - t_train
    progress(Progress("evaluate", 0, 0, "scoring held-out pieces"))
    model = model.to("cpu")
    metrics = {
        "steps_done": len(losses), "stopped_at_time_cap": stopped_early,
        "train_loss_first": losses[0] if losses else None,
        "train_loss_last": float(sum(losses[-20:]) / max(1, len(losses[-20:]))),
        "train_seconds": round(train_s, 1), "device": dev,
        "params": model.n_params(),
        "valid": evaluate(model, held, max_len=config.max_len, cancel=cancel),
        "test": evaluate(model, split["test"], max_len=config.max_len, cancel=cancel)
        if split["test"] else None,
        "pieces": {k: len(v) for k, v in split.items()},
    }
    if baseline:
        metrics["ngram_valid"] = ngram_baseline(split["train"], held)
        if split["test"]:
            metrics["ngram_test"] = ngram_baseline(split["train"], split["test"])
    save_model(model, out, extra={"train": asdict(config)})
    progress(Progress("evaluate", 0, 0, "sampling pieces in held-out keys"))
    if config.eval_pieces:
        metrics["generated"] = sample_metrics(out, held, n=config.eval_pieces, seed=config.seed,
                                              cancel=cancel)
    metrics["total_seconds"] = round(time.monotonic() - t0, 1)
    (out / "split.json").write_text(json.dumps(
        {"collections": {k: COLLECTIONS[k][1] for k in COLLECTIONS},
         "excluded": EXCLUDED, "rule": "sha256(piece id) -> 5% test, 5% valid, 90% train",
         **{k: [p.id for p in v] for k, v in split.items()}}, indent=1))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out / "train_loss.json").write_text(json.dumps([round(v, 4) for v in losses]))
    progress(Progress("done", 1, 1, f"saved to {out}"))
    return metrics


def sample_metrics(weights: os.PathLike, held: list[CorpusPiece], *, n: int = 12, bars: int = 8,
                   seed: int = 0, cancel: Optional[CancelToken] = None) -> dict:
    """Sample ``n`` folk ideas in the keys and metres of held-out pieces; compare statistics.

    Returns the mean in-key note rate and notes per bar of the generated pieces and
    of the held-out folk pieces they imitate.
    """
    from core.generate.metrics import in_key_rate
    from core.generate.sample import generate_idea
    from core.generate.tokens import KEY_TONICS

    folk = [cp.piece for cp in held if cp.piece.header.style == "folk"] or \
        [cp.piece for cp in held]
    gen_key, gen_density, ref_key, ref_density = [], [], [], []
    for i in range(n):
        check(cancel)
        ref = folk[i % len(folk)]
        h = ref.header
        g = generate_idea(style="folk", key=f"{KEY_TONICS[h.key_pc]} {h.mode}", metre=h.metre,
                          bars=bars, seed=seed + i, weights=weights)
        notes = g.parts["melody"]
        gen_key.append(in_key_rate([x.pitch for x in notes], h.key_pc, h.mode))
        gen_density.append(len(notes) / bars)
        ref_key.append(in_key_rate([e.pitch for e in ref.events], h.key_pc, h.mode))
        ref_density.append(len(ref.events) / max(1, ref.n_bars))

    def mean(xs):
        xs = [x for x in xs if x == x]
        return round(sum(xs) / len(xs), 4) if xs else None

    return {"pieces": n, "bars": bars, "in_key_rate": mean(gen_key),
            "notes_per_bar": mean(gen_density), "held_out_in_key_rate": mean(ref_key),
            "held_out_notes_per_bar": mean(ref_density)}
