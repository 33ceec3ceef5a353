"""``resonote separate IN -o DIR``: split a song into stem files.

Writes ``DIR/<input stem>.<stem>.<format>`` for every stem (and ``.residual``
with ``--residual``).  Files appear only when the whole separation succeeded;
a cancelled or failed run leaves nothing behind.  Heavy imports happen inside
:func:`run`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError

BITS = {"16": "16", "24": "24", "32": "32", "32f": "32f"}


def _preview(text: str):
    try:
        if ":" in text:
            a, b = text.split(":")
            return float(a), float(b)
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected SECONDS (20) or START:END (30:50), got {text!r}") from None


def register(sub) -> None:
    p = sub.add_parser("separate", help="split a song into stems (vocals, drums, bass, ...)",
                       description="Split IN into stems, one file per stem in DIR. Offline "
                       "methods: hpss (harmonic/percussive, default), repet (vocals/"
                       "accompaniment), midside (center/sides). Downloaded models: htdemucs, "
                       "htdemucs_ft, htdemucs_6s (drums, bass, other, vocals ...).")
    p.add_argument("input", metavar="IN")
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="folder for the stems")
    p.add_argument("-m", "--model", default="hpss", help="method or model (default hpss)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--stems", metavar="A,B", help="only these stems, e.g. vocals,drums")
    which.add_argument("--exclude", metavar="A,B", help="every stem but these, e.g. vocals")
    p.add_argument("--residual", action="store_true",
                   help="also write the residual (mix minus the written stems)")
    p.add_argument("--shifts", type=int, default=0, metavar="N",
                   help="average N shifted passes (slower, slightly better; Demucs)")
    p.add_argument("--overlap", type=float, default=0.25, help="window overlap 0..0.95")
    p.add_argument("--preview", type=_preview, metavar="SECONDS|START:END",
                   help="render only the first SECONDS, or a region")
    p.add_argument("--device", help="cpu, cuda, mps or auto (default: setting / auto)")
    p.add_argument("--download", action="store_true",
                   help="download the model first if it is missing")
    p.add_argument("--bits", choices=tuple(BITS), default="24", help="sample format (default 24)")
    p.add_argument("--format", choices=("wav", "flac"), default="wav", help="file format")
    p.add_argument("-f", "--force", action="store_true", help="overwrite existing stem files")
    p.set_defaults(func=run)


def out_paths(src: Path, out_dir: Path, names, fmt: str) -> dict:
    """``{stem: DIR/<input stem>.<stem>.<fmt>}``."""
    return {n: out_dir / f"{src.stem}.{n}.{fmt}" for n in names}


def run(args) -> int:
    from core.audio import load, save
    from core.cli.progress import TerminalProgress
    from core.separate import separate

    src, out_dir = Path(args.input), Path(args.output)
    if args.format == "flac" and args.bits in ("32", "32f"):
        raise InvalidParameterError("FLAC stores 16 or 24 bits; use --bits 16/24 or --format wav.")
    if out_dir.exists() and not out_dir.is_dir():
        raise AudioFileError(f"{out_dir} is a file, not a folder.")
    bar = TerminalProgress()
    try:
        audio = load(src, progress=bar)
        # Stems accumulate in an (unlinked) scratch file on the output's disk, not in memory.
        scratch = next(d for d in (out_dir, *out_dir.resolve().parents) if d.is_dir())
        result = separate(audio, model=args.model, stems=args.stems, exclude=args.exclude,
                          residual=True if args.residual else False, shifts=args.shifts,
                          overlap=args.overlap, device=args.device, preview_s=args.preview,
                          allow_download=args.download, scratch_dir=scratch, progress=bar)
        stems = dict(result.stems)
        if result.residual is not None:
            stems["residual"] = result.residual
        paths = out_paths(src, out_dir, stems, args.format)
        clash = [p for p in paths.values() if p.exists()]
        if clash and not args.force:
            raise AudioFileError(f"{clash[0]} already exists; use --force to overwrite it.")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        try:
            for name, audio_out in stems.items():
                written.append(save(audio_out, paths[name], subtype=BITS[args.bits],
                                    overwrite=args.force, progress=bar))
        except BaseException:
            for w in written:  # all stems or none
                w.unlink(missing_ok=True)
            raise
    finally:
        bar.close()
    for w in written:
        print(w)
    return 0
