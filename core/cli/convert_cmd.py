"""``resonote convert IN OUT``: change format, rate, channels or bit depth."""

from __future__ import annotations

from pathlib import Path

from core.errors import AudioFileError


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert an audio file (format from OUT's extension)")
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    p.add_argument("--sr", type=int, help="resample to this rate (Hz)")
    p.add_argument("--mono", action="store_true", help="mix down to one channel")
    p.add_argument("--bits", "--subtype", dest="subtype",
                   help="sample format: 16, 24, 32, 32f (default 16 for WAV/FLAC)")
    p.add_argument("--clean", action="store_true",
                   help="replace NaN/Inf samples with silence instead of failing")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def run(args) -> int:
    from core.audio import load, save
    from core.cli.progress import TerminalProgress

    src, dst = Path(args.input), Path(args.output)
    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise AudioFileError("OUT is the same file as IN; Resonote never overwrites its source.")
    bar = TerminalProgress()
    try:
        audio = load(src, sr=args.sr, mono=args.mono,
                     nonfinite="clean" if args.clean else "error", progress=bar)
        save(audio, dst, subtype=args.subtype, overwrite=args.force, progress=bar)
    finally:
        bar.close()
    print(f"{dst}  ({audio.channels} ch, {audio.sr} Hz, {audio.duration_s:.2f} s)")
    return 0
