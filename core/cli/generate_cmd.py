"""``resonote generate {idea,continue,harmonize,bassline,drums,musicgen} ... -o OUT.{mid,wav}``."""

from __future__ import annotations

from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError

MIDI_OUT = (".mid", ".midi")
AUDIO_OUT = (".wav", ".flac", ".ogg")


def _common(p, *, musical: bool = True) -> None:
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="file to write: .mid (notes) or .wav/.flac/.ogg (rendered audio)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    if musical:
        p.add_argument("--temperature", type=float, default=None,
                       help="sampling temperature: lower is safer, higher is wilder")
        p.add_argument("--top-p", type=float, default=None, help="nucleus sampling mass, 0-1")
        p.add_argument("--weights", default=None, metavar="DIR",
                       help="generator weights folder (default: the trained ones shipped)")
    p.add_argument("--soundfont", default=None, metavar="SF2",
                   help="General MIDI SoundFont for audio output (default: a system one)")
    p.add_argument("--sr", type=int, default=44100, help="sample rate of audio output")


def _key_tempo(p, *, tempo_default=None) -> None:
    p.add_argument("--key", default=None, help="key, e.g. 'D major' or 'F# minor'")
    p.add_argument("--tempo", type=float, default=tempo_default, metavar="BPM",
                   help="tempo in beats per minute")
    p.add_argument("--metre", default="4/4", help="time signature (default 4/4)")


def register(sub) -> None:
    p = sub.add_parser("generate", help="generate music: ideas, continuations, harmony, "
                       "basslines, drums, MusicGen audio",
                       description="Generate music offline with Resonote's own model (MIDI or "
                       "rendered audio), or with a downloaded MusicGen model (audio).")
    modes = p.add_subparsers(dest="mode", metavar="MODE", required=True)

    m = modes.add_parser("idea", aliases=["melody"], help="a new melody or chorale from scratch")
    m.add_argument("--style", default="folk", choices=("folk", "chorale"))
    m.add_argument("--bars", type=int, default=8)
    m.add_argument("--in-key-only", action="store_true", help="never leave the key's scale")
    m.add_argument("--match", default=None, metavar="AUDIO",
                   help="take key and tempo from this recording (unless --key/--tempo given)")
    _key_tempo(m)
    _common(m)
    m.set_defaults(func=run, mode="idea")

    for name, aliases, helptext in (
            ("continue", [], "continue a melody from a MIDI file or a recording"),
            ("harmonize", ["harmonise"], "four-part harmony under a melody"),
            ("bassline", ["bass"], "a bassline under a melody or chords")):
        m = modes.add_parser(name, aliases=aliases, help=helptext)
        m.add_argument("input", metavar="IN", help="MIDI file, or audio (transcribed first)")
        if name == "continue":
            m.add_argument("--bars", type=int, default=4, help="bars to add (default 4)")
        _key_tempo(m)
        _common(m)
        m.set_defaults(func=run, mode=name)

    m = modes.add_parser("drums", help="a drum groove for a style and tempo")
    from core.generate.drums import STYLES

    m.add_argument("--style", default="rock", choices=sorted(STYLES))
    m.add_argument("--tempo", type=float, default=110.0, metavar="BPM")
    m.add_argument("--bars", type=int, default=8)
    _common(m, musical=False)
    m.set_defaults(func=run, mode="drums")

    m = modes.add_parser("musicgen", aliases=["text"], help="audio from a text prompt (MusicGen)")
    m.add_argument("prompt", help="what the music should be like")
    m.add_argument("--model", default="musicgen-small",
                   help="musicgen-small, musicgen-medium or musicgen-melody")
    m.add_argument("--duration", type=float, default=10.0, metavar="S")
    m.add_argument("--melody", default=None, metavar="AUDIO", help="melody to follow")
    m.add_argument("--continue", dest="cont", default=None, metavar="AUDIO",
                   help="audio clip to continue")
    m.add_argument("--guidance", type=float, default=3.0, help="guidance scale (default 3)")
    m.add_argument("--top-k", type=int, default=250)
    m.add_argument("--device", default=None, help="auto, cpu or cuda")
    _common(m, musical=False)
    m.set_defaults(func=run, mode="musicgen")


def _check_output(args) -> Path:
    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in MIDI_OUT + AUDIO_OUT:
        raise InvalidParameterError(f"Cannot write '{out.name}': use a .mid, .wav, .flac or "
                                    ".ogg file.")
    if args.mode == "musicgen" and suffix in MIDI_OUT:
        raise InvalidParameterError("MusicGen makes audio, not notes: write a .wav, .flac or "
                                    ".ogg file.")
    if out.exists() and not args.force:
        raise AudioFileError(f"'{out}' already exists (use --force to overwrite).", path=str(out))
    if not out.parent.exists():
        raise AudioFileError(f"The folder '{out.parent}' does not exist.", path=str(out))
    return out


def _sampling(args, **defaults) -> dict:
    kw = {"seed": args.seed, "weights": args.weights}
    for name in ("temperature", "top_p"):
        v = getattr(args, name)
        kw[name] = v if v is not None else defaults[name]
    return kw


def run(args) -> int:
    from core.cli.progress import TerminalProgress

    out = _check_output(args)
    bar = TerminalProgress()
    try:
        result = _generate(args, bar)
    finally:
        bar.close()
    from core.audio import Audio, save

    if isinstance(result, Audio):
        save(result, out, overwrite=True)
        print(f"wrote {out} ({result.duration_s:.1f} s at {result.sr} Hz)")
        return 0
    if out.suffix.lower() in MIDI_OUT:
        result.write_midi(out)
    else:
        save(result.render(sr=args.sr, soundfont=args.soundfont), out, overwrite=True)
    n = sum(len(v) for v in result.parts.values())
    key = f" in {result.key}" if result.key is not None else ""
    print(f"wrote {out}: {n} notes, {result.bars} bars of {result.metre}{key} at "
          f"{result.tempo_bpm:g} BPM (seed {result.seed})")
    return 0


def _generate(args, progress):
    from core.generate import sample

    mode = args.mode
    if mode == "idea":
        key, tempo = args.key, args.tempo
        if args.match and (key is None or tempo is None):
            key, tempo = _match(args.match, key, tempo)
        return sample.generate_idea(style=args.style, key=key or "C major", metre=args.metre,
                                    tempo_bpm=tempo or 110.0, bars=args.bars,
                                    in_key_only=args.in_key_only, progress=progress,
                                    **_sampling(args, temperature=0.9, top_p=0.95))
    if mode == "drums":
        from core.generate.drums import generate_drums

        return generate_drums(style=args.style, tempo_bpm=args.tempo, bars=args.bars,
                              seed=args.seed, progress=progress)
    if mode == "musicgen":
        from core.audio import load
        from core.generate.musicgen import musicgen_generate

        return musicgen_generate(
            args.prompt, model=args.model, duration_s=args.duration,
            melody=load(args.melody) if args.melody else None,
            continuation=load(args.cont) if args.cont else None, seed=args.seed,
            guidance_scale=args.guidance, top_k=args.top_k, device=args.device,
            progress=progress)
    from core.generate.inputs import read_notes

    if not Path(args.input).is_file():
        raise AudioFileError(f"'{args.input}' does not exist.", path=args.input)
    src = read_notes(args.input, progress=progress)
    if not src.notes:
        raise InvalidParameterError(f"No notes found in {Path(args.input).name}.")
    key = args.key or src.key
    tempo = args.tempo or src.tempo_bpm or 110.0
    common = dict(key=key, metre=args.metre, tempo_bpm=tempo, progress=progress)
    if mode == "continue":
        return sample.continue_notes(src.notes, bars=args.bars, **common,
                                     **_sampling(args, temperature=0.9, top_p=0.95))
    if mode in ("harmonize", "harmonise"):
        return sample.harmonize(src.notes, **common, **_sampling(args, temperature=0.7, top_p=0.9))
    return sample.add_bassline(src.notes, **common, **_sampling(args, temperature=0.7, top_p=0.9))


def _match(path: str, key, tempo):
    """Key and tempo of a recording, for those not given on the command line."""
    from core.audio import load
    from core.notes import estimate_key, estimate_tempo

    audio = load(path)
    if key is None:
        key = estimate_key(audio)
    if tempo is None:
        bpm, _ = estimate_tempo(audio)
        tempo = bpm if bpm > 0 else None
    return key, tempo
