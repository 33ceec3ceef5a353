"""``resonote align AUDIO LYRICS.txt -o OUT.lrc``: time every word of known lyrics.

torch and transformers load only when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.errors import InvalidParameterError, ResonoteError

#: Output formats, chosen by OUT's extension (core.align.FORMATS, without importing it).
FORMATS = ("lrc", "srt", "vtt", "txt", "json")


def register(sub) -> None:
    """Add the ``align`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "align", help="align lyrics to a vocal recording (karaoke LRC, SRT, JSON)",
        description="Place every word and line of LYRICS in time in AUDIO (best: a separated "
        "vocal stem) with a CTC speech model. Get the model once with `resonote models "
        "download wav2vec2-base-960h`.")
    p.add_argument("audio", metavar="AUDIO", help="audio file with the singing")
    p.add_argument("lyrics", metavar="LYRICS", help="text file, one sung line per line (an .lrc file's time tags are ignored)")
    p.add_argument("--model", "-m", default=None,
                   help="alignment model (default: wav2vec2-base-960h)")
    p.add_argument("--device", default=None, help="auto, cuda, cuda:N or cpu (default: auto)")
    p.add_argument("--window", type=float, default=30.0, metavar="SECONDS",
                   help="seconds of audio per model call (default 30; less uses less memory)")
    p.add_argument("--no-word-tags", dest="word_tags", action="store_false",
                   help="LRC: line time tags only (no <mm:ss.xx> word tags)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write OUT.lrc, .srt, .vtt, .txt or .json (default: print LRC)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def _read_lyrics(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResonoteError(f"The lyrics file '{path}' does not exist.") from None
    except OSError as exc:
        raise ResonoteError(f"Cannot read '{path}': {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    if path.suffix.lower() == ".lrc":
        from core.align.lrc import strip_lrc

        text = strip_lrc(text)
    return text


def check_output(out: Path | None, *, force: bool) -> None:
    """Fail before the (slow) alignment when OUT cannot be written."""
    if out is None:
        return
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidParameterError(
            f"Cannot write '{out.name}': the extension must be one of "
            f"{', '.join('.' + f for f in FORMATS)}.")
    if out.is_dir():
        raise ResonoteError(f"'{out}' is a folder.")
    if out.exists() and not force:
        raise ResonoteError(f"'{out}' already exists (use --force to overwrite).")
    if not out.parent.is_dir():
        raise ResonoteError(f"The folder '{out.parent}' does not exist.")


def run(args) -> int:
    from core.align import DEFAULT_MODEL, align_lyrics, check_lyrics, render, write
    from core.audio import load
    from core.cli.progress import TerminalProgress

    out = Path(args.output) if args.output else None
    check_output(out, force=args.force)
    lyrics = _read_lyrics(Path(args.lyrics))
    check_lyrics(lyrics)
    src = Path(args.audio)
    if out is not None and src.exists() and out.exists() and out.resolve() == src.resolve():
        raise ResonoteError("OUT is the same file as AUDIO; Resonote never overwrites its source.")
    bar = TerminalProgress()
    try:
        audio = load(src, progress=bar)
        timing = align_lyrics(audio, lyrics, model=args.model or DEFAULT_MODEL,
                              device=args.device, window_s=args.window, progress=bar)
    finally:
        bar.close()
    if out is None:
        sys.stdout.write(render(timing, "lrc", words=args.word_tags))
        return 0
    write(timing, out, words=args.word_tags)
    words = len(timing.words)
    doubtful = sum(1 for w in timing.words if w.probability < 0.2)
    print(f"{out}  ({len(timing.segments)} lines, {words} words, "
          f"{timing.duration_s:.1f} s, {timing.model})")
    if words and doubtful > words // 2:
        print("resonote: most words were placed with low confidence; check that the lyrics "
              "match the recording (a separated vocal stem aligns best)", file=sys.stderr)
    return 0
