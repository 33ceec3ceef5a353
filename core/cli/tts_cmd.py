"""``resonote tts "TEXT" -o OUT.wav``: speak text with espeak-ng or a neural voice.

torch and transformers load only for ``--engine mms``.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import InvalidParameterError, ResonoteError

ENGINES = ("espeak", "piper", "mms")  # core.tts.ENGINES, without importing it


def register(sub) -> None:
    """Add the ``tts`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "tts", help="text to speech: spoken guide tracks and samples",
        description="Speak TEXT (or the text of --file) and save it as audio. espeak-ng works "
        "offline in 100+ languages; --engine piper or mms use a neural voice downloaded once "
        "with `resonote models download piper-en_US-ljspeech-medium` (or mms-tts-eng).")
    p.add_argument("text", metavar="TEXT", nargs="?", help="what to say (or use --file)")
    p.add_argument("--file", metavar="TEXT.txt", help="read the text from a file")
    p.add_argument("--engine", "-e", choices=ENGINES, default="espeak",
                   help="espeak (default, offline), piper or mms (neural, download)")
    p.add_argument("--voice", "-V", default=None,
                   help="espeak: language or voice, e.g. en-us, de, en+f3; "
                   "piper: piper-de_DE-thorsten-medium...; mms: mms-tts-eng, deu, fr... "
                   "(default: English)")
    p.add_argument("--speed", type=float, default=1.0, help="0.5 to 3 (default 1)")
    p.add_argument("--pitch", type=int, default=50, help="espeak pitch 0-99 (default 50)")
    p.add_argument("--seed", type=int, default=0, help="mms: noise seed (same seed, same audio)")
    p.add_argument("--sr", type=int, default=None, help="resample the result to this rate (Hz)")
    p.add_argument("--list-voices", action="store_true", help="list the engine's voices and exit")
    p.add_argument("-o", "--output", metavar="OUT", help="audio file to write (.wav, .flac...)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def _text(args) -> str:
    if args.file and args.text:
        raise InvalidParameterError("Give the text or --file, not both.")
    if args.file:
        path = Path(args.file)
        try:
            return path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ResonoteError(f"The text file '{path}' does not exist.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ResonoteError(f"Cannot read '{path}' as UTF-8 text: {exc}.") from None
    if args.text is None:
        raise InvalidParameterError("Give the text to speak, or --file TEXT.txt.")
    return args.text


def run(args) -> int:
    from core import tts

    if args.list_voices:
        for v in tts.voices(args.engine):
            state = "" if v.installed else "  (download first)"
            print(f"{v.id:<20} {v.name}{state}")
        return 0
    if not args.output:
        raise InvalidParameterError("Say where to save the speech: -o OUT.wav.")
    out = Path(args.output)
    if out.exists() and not args.force:
        raise ResonoteError(f"'{out}' already exists (use --force to overwrite).")
    if args.sr is not None and not 8000 <= args.sr <= 192000:
        raise InvalidParameterError("--sr must be between 8000 and 192000 Hz.")
    text = _text(args)
    from core.audio import resample, save
    from core.cli.progress import TerminalProgress

    bar = TerminalProgress()
    try:
        audio = tts.synthesize(text, engine=args.engine, voice=args.voice, speed=args.speed,
                               pitch=args.pitch, seed=args.seed, progress=bar)
    finally:
        bar.close()
    if args.sr:
        audio = resample(audio, args.sr)
    save(audio, out, overwrite=args.force)
    print(f"{out}  ({audio.duration_s:.2f} s, {audio.sr} Hz, {args.engine})")
    return 0
