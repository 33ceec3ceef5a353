"""``resonote codec IN -o OUT.wav``: compress and decompress with EnCodec or Opus.

Heavy imports (torch, transformers, PyAV) happen inside :func:`run`.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import AudioFileError


def register(sub) -> None:
    p = sub.add_parser(
        "codec", help="hear a codec: EnCodec (neural) or Opus at a chosen bitrate",
        description="Encode IN and decode it again with EnCodec 24 kHz (1.5, 3, 6, 12 or 24 "
        "kbit/s per channel; downloaded once: `resonote models download encodec-24khz` or "
        "--download) or Opus (libopus, any bitrate), write the result to OUT for A/B "
        "listening, and report its SI-SDR against the original.")
    p.add_argument("input", metavar="IN", help="audio file")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="decoded audio file")
    p.add_argument("--codec", choices=("encodec", "opus"), default="encodec")
    p.add_argument("--kbps", type=float, default=6.0,
                   help="bitrate in kbit/s per channel (default 6)")
    p.add_argument("-m", "--model", default=None, help="EnCodec model (encodec-24khz)")
    p.add_argument("--report", action="store_true",
                   help="print bitrate, size, SI-SDR and time as JSON")
    p.add_argument("--device", default=None, help="cpu, cuda, mps or auto")
    p.add_argument("--download", action="store_true", help="download the model if it is missing")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def run(args) -> int:
    from core import models
    from core.audio import load, save
    from core.cli.progress import TerminalProgress
    from core.codec import roundtrip

    src, out = Path(args.input), Path(args.output)
    if out.exists() and not args.force:
        raise AudioFileError(f"'{out}' already exists (use --force to overwrite).", path=str(out))
    if src.exists() and out.exists() and out.resolve() == src.resolve():
        raise AudioFileError("OUT is the same file as IN; Resonote never overwrites its source.")
    bar = TerminalProgress()
    try:
        if args.download and args.codec == "encodec":
            models.ensure(args.model or "encodec-24khz", progress=bar)
        audio = load(src, progress=bar)
        result = roundtrip(audio, codec=args.codec, kbps=args.kbps, model=args.model,
                           device=args.device, progress=bar)
        save(result.audio, out, overwrite=args.force, progress=bar)
    finally:
        bar.close()
    if args.report:
        print(json.dumps(dict(result.as_dict(), input=str(src), output=str(out)), indent=1))
    else:
        sdr = "n/a" if result.si_sdr_db is None else f"{result.si_sdr_db:.1f} dB"
        print(f"{out}: {args.codec} {result.kbps:g} kbps (actual {result.actual_kbps:.2f}), "
              f"SI-SDR {sdr}")
    return 0
