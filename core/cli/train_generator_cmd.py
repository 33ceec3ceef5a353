"""``resonote train-generator [--minutes N] [--out DIR] [--seed S]``: train the embedded generator."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "train-generator", help="train the embedded music generator on the music21 corpus",
        description="Train the small transformer behind `resonote generate` on the licence-"
        "checked collections of the music21 corpus (Bach chorales, O'Neill's Irish tunes). "
        "Reproducible for a seed; about 10-25 minutes on a 2-core CPU. Writes "
        "model.safetensors, config.json, split.json and metrics.json.")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the weights (default: Resonote's resources/generator)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--steps", type=int, default=None, help="optimizer steps (default 2000)")
    p.add_argument("--minutes", type=float, default=28.0,
                   help="stop training after this many minutes even if steps remain (default 28)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="use only the first N pieces of each collection (quick trial runs)")
    p.add_argument("--tiny", action="store_true", help="a very small model (trial runs)")
    p.add_argument("--device", default=None, help="auto, cpu or cuda (default auto)")
    p.set_defaults(func=run)


def run(args) -> int:
    from dataclasses import replace

    from core.cli.progress import TerminalProgress
    from core.errors import InvalidParameterError
    from core.generate.train import TrainConfig, train_generator

    if args.minutes <= 0:
        raise InvalidParameterError("--minutes must be above 0.")
    cfg = TrainConfig(seed=args.seed, max_minutes=args.minutes, corpus_limit=args.limit)
    if args.steps is not None:
        if args.steps < 1:
            raise InvalidParameterError("--steps must be 1 or more.")
        cfg = replace(cfg, steps=args.steps, warmup=min(cfg.warmup, max(1, args.steps // 10)))
    if args.tiny:
        cfg = replace(cfg, d_model=64, n_layers=2, n_heads=2, d_ff=128, max_len=128,
                      batch_size=4, lr=3e-3, threads=1, eval_pieces=2)
    bar = TerminalProgress()
    try:
        m = train_generator(out_dir=args.out, config=cfg, device=args.device, progress=bar)
    finally:
        bar.close()
    v = m["valid"]
    line = (f"trained {m['steps_done']} steps in {m['train_seconds']:.0f} s; held-out "
            f"{v['nll_per_token']:.3f} nats/token (perplexity {v['perplexity']:.2f})")
    if "ngram_valid" in m:
        line += f", n-gram baseline {m['ngram_valid']['nll_per_token']:.3f}"
    print(line)
    return 0
