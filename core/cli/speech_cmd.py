"""``resonote transcribe speech IN``: speech to text with Whisper, offline by default.

Registered under the ``transcribe`` group (see ``core.cli.transcribe_cmd``),
which calls :func:`register` with its subparsers.  Heavy modules
(faster-whisper, CTranslate2) load only when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.errors import InvalidParameterError, ResonoteError

#: Output formats, chosen by OUT's extension.
FORMATS = ("txt", "srt", "vtt", "json")


def register(sub) -> None:
    """Add the ``speech`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "speech", help="transcribe speech to text or subtitles (Whisper)",
        description="Transcribe the speech in an audio file with Whisper. Works offline with "
        "the embedded tiny.en model; larger models come from `resonote models download`.")
    p.add_argument("input", metavar="IN", help="audio file")
    p.add_argument("--model", "-m", default=None,
                   help="speech model: a registry name or a Whisper size such as tiny.en, base, "
                   "small, large-v3 (default: the embedded whisper-tiny.en)")
    p.add_argument("--language", "-l", default=None,
                   help="spoken language as a two-letter code (en, de, fr...); default: detect")
    p.add_argument("--translate", action="store_true",
                   help="translate to English (needs a multilingual model)")
    p.add_argument("--word-timestamps", action="store_true",
                   help="time every word (always on for JSON output)")
    p.add_argument("--prompt", default=None, metavar="TEXT",
                   help="vocabulary hint, e.g. band or song names")
    p.add_argument("--beam-size", type=int, default=5, metavar="N",
                   help="beam search width 1-20 (default 5; 1 is fastest)")
    p.add_argument("--no-vad", dest="vad", action="store_false",
                   help="transcribe everything, not only what the voice detector marks as speech")
    p.add_argument("--device", default=None, help="auto, cuda, cuda:N or cpu (default: auto)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write OUT.txt, .srt, .vtt or .json (default: print text)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def run(args) -> int:
    from core.audio import load
    from core.cli.progress import TerminalProgress
    from core.speech import DEFAULT_MODEL, render, transcribe, write
    from core.speech.transcribe import check_options

    out = Path(args.output) if args.output else None
    fmt = _check_output(out, force=args.force)
    task = "translate" if args.translate else "transcribe"
    check_options(model=args.model or DEFAULT_MODEL, language=args.language, task=task,
                  beam_size=args.beam_size)  # fail before decoding a long file
    src = Path(args.input)
    if out is not None and src.exists() and out.exists() and out.resolve() == src.resolve():
        raise ResonoteError("OUT is the same file as IN; Resonote never overwrites its source.")
    bar = TerminalProgress()
    try:
        audio = load(src, progress=bar)
        transcript = transcribe(
            audio, model=args.model or DEFAULT_MODEL, language=args.language,
            task=task,
            word_timestamps=args.word_timestamps or fmt == "json",
            initial_prompt=args.prompt, beam_size=args.beam_size, vad=args.vad,
            device=args.device, progress=bar)
    finally:
        bar.close()
    if not transcript.segments:
        print(f"resonote: no speech found in {src.name}", file=sys.stderr)
    if out is None:
        sys.stdout.write(render(transcript, "txt"))
        return 0
    write(transcript, out)
    lang = f"language {transcript.language}, " if transcript.language else ""
    print(f"{out}  ({len(transcript.segments)} segments, {lang}"
          f"{transcript.duration_s:.1f} s, {transcript.model})")
    return 0


def _check_output(out: Path | None, *, force: bool) -> str | None:
    """Fail before the (slow) transcription when OUT cannot be written."""
    if out is None:
        return None
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
    return fmt
