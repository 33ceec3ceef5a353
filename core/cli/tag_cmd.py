"""``resonote tag IN``: instruments, genres and sound events over time (AST, downloaded).

Heavy imports (torch, transformers) happen inside :func:`run`.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError


def register(sub) -> None:
    p = sub.add_parser(
        "tag", help="label instruments, genres and sound events over time",
        description="Tag IN window by window with an AudioSet-trained Audio Spectrogram "
        "Transformer (527 classes). The model is downloaded once: `resonote models download "
        "ast-audioset` or --download. Prints the top labels per window, or writes them to "
        "OUT (.json or .csv).")
    p.add_argument("input", metavar="IN", help="audio file")
    p.add_argument("-o", "--output", metavar="OUT", help="write .json or .csv instead of printing")
    p.add_argument("-m", "--model", default="ast-audioset", help="tagging model (ast-audioset)")
    p.add_argument("--window", type=float, default=10.0, metavar="S",
                   help="window length in seconds (default 10)")
    p.add_argument("--hop", type=float, default=None, metavar="S",
                   help="step between windows in seconds (default: the window)")
    p.add_argument("--top", type=int, default=5, metavar="K", help="labels per window (5)")
    p.add_argument("--start", type=float, default=None, metavar="S", help="start time, seconds")
    p.add_argument("--end", type=float, default=None, metavar="S", help="end time, seconds")
    p.add_argument("--device", default=None, help="cpu, cuda, mps or auto")
    p.add_argument("--download", action="store_true", help="download the model if it is missing")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def run(args) -> int:
    from core import models
    from core.audio import load
    from core.cli.progress import TerminalProgress
    from core.fsutil import write_text_atomic
    from core.tagging import tag

    out = Path(args.output) if args.output else None
    if out is not None:
        if out.suffix.lower() not in (".json", ".csv"):
            raise InvalidParameterError(f"Cannot write tags as '{out.name}': use .json or .csv.")
        if out.exists() and not args.force:
            raise AudioFileError(f"'{out}' already exists (use --force to overwrite).",
                                 path=str(out))
    bar = TerminalProgress()
    try:
        if args.download:
            models.ensure(args.model, progress=bar)
        audio = load(args.input, progress=bar)
        result = tag(audio, model=args.model, window_s=args.window, hop_s=args.hop,
                     top_k=args.top, start_s=args.start, end_s=args.end, device=args.device,
                     progress=bar)
    finally:
        bar.close()
    if out is None:
        for seg in result.segments:
            labels = ", ".join(f"{lab} {s:.2f}" for lab, s in seg.labels)
            print(f"{seg.start_s:8.2f} {seg.end_s:8.2f}  {labels}")
        print("overall: " + ", ".join(f"{lab} {s:.2f}" for lab, s in result.overall(args.top)))
        return 0
    text = (json.dumps(result.as_dict(args.top), indent=1) + "\n"
            if out.suffix.lower() == ".json" else result.to_csv())
    write_text_atomic(out, text)
    print(out)
    return 0
