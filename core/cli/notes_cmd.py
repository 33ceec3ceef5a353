"""``resonote transcribe notes IN -o OUT.{mid,csv,musicxml}``: audio to notes, tempo and key."""

from __future__ import annotations

import math
from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError

OUTPUT_SUFFIXES = (".mid", ".midi", ".csv", ".musicxml", ".xml", ".mxl")


def register(sub) -> None:
    p = sub.add_parser(
        "notes", help="music to notes: MIDI, CSV or MusicXML, with tempo and key",
        description="Transcribe the notes of a recording (any instrument, polyphonic) with "
        "Basic Pitch, estimate tempo and key, and write MIDI (with pitch bends and a tempo "
        "map), CSV or MusicXML.")
    p.add_argument("input", metavar="IN", help="audio file")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="file to write: .mid, .csv or .musicxml")
    p.add_argument("--onset-threshold", type=float, default=0.5,
                   help="0-1: higher gives fewer, surer note starts (default 0.5)")
    p.add_argument("--frame-threshold", type=float, default=0.3,
                   help="0-1: how strong a note must stay to keep sounding (default 0.3)")
    p.add_argument("--min-note-ms", type=float, default=127.7,
                   help="drop notes this short or shorter, ms (default 127.7)")
    p.add_argument("--min-freq", type=float, default=None, metavar="HZ",
                   help="ignore notes below this frequency")
    p.add_argument("--max-freq", type=float, default=None, metavar="HZ",
                   help="ignore notes above this frequency")
    p.add_argument("--no-pitch-bends", action="store_true", help="do not estimate pitch bends")
    p.add_argument("--no-melodia", action="store_true",
                   help="only notes with a clear onset (skip Basic Pitch's melodia step)")
    p.add_argument("--quantize", action="store_true",
                   help="snap notes to the detected beat grid")
    p.add_argument("--grid", type=int, default=4, metavar="N",
                   help="grid steps per beat with --quantize (default 4: sixteenths)")
    p.add_argument("--program", type=int, default=0,
                   help="General MIDI program of the MIDI track, 0-127 (default 0: piano)")
    p.add_argument("--chords", action="store_true", help="also print the chords")
    p.add_argument("--device", default=None, help="auto, cpu or cuda (default auto)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def _check_args(args) -> None:
    out = Path(args.output)
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InvalidParameterError(
            f"Cannot write notes as '{out.name}': use a .mid, .csv or .musicxml file.")
    for name in ("onset_threshold", "frame_threshold"):
        v = getattr(args, name)
        if not (math.isfinite(v) and 0 <= v <= 1):
            raise InvalidParameterError(f"--{name.replace('_', '-')} must be between 0 and 1.")
    if not 0 <= args.program <= 127:
        raise InvalidParameterError("--program must be a General MIDI program, 0 to 127.")
    if args.grid < 1:
        raise InvalidParameterError("--grid must be 1 or more steps per beat.")
    if out.exists() and not args.force:
        raise AudioFileError(f"'{out}' already exists (use --force to overwrite).", path=str(out))
    if not out.parent.exists():
        raise AudioFileError(f"The folder '{out.parent}' does not exist.", path=str(out))
    if Path(args.input).exists() and out.exists() and \
            out.resolve() == Path(args.input).resolve():
        raise AudioFileError("OUT is the same file as IN; Resonote never overwrites its source.")


def run(args) -> int:
    from core.audio import load
    from core.cli.progress import TerminalProgress
    from core.notes import (
        estimate_chords,
        estimate_key,
        estimate_tempo,
        export,
        quantize,
        transcribe_notes,
    )

    _check_args(args)
    bar = TerminalProgress()
    try:
        audio = load(args.input, progress=bar, nonfinite="clean")
        track = transcribe_notes(
            audio, onset_threshold=args.onset_threshold, frame_threshold=args.frame_threshold,
            min_note_ms=args.min_note_ms, min_freq=args.min_freq, max_freq=args.max_freq,
            pitch_bends=not args.no_pitch_bends, melodia_trick=not args.no_melodia,
            device=args.device, progress=bar)
    finally:
        bar.close()
    bpm, beats = estimate_tempo(audio)
    key = estimate_key(audio)
    if args.quantize:
        if len(beats) < 2:
            raise InvalidParameterError("No steady beat was found, so the notes cannot be "
                                        "quantised; run without --quantize.")
        track = quantize(track, beats, division=args.grid)
    export(track, args.output, tempo_bpm=bpm if bpm > 0 else 120.0,
           beat_times=beats if len(beats) >= 2 else None, key=key,
           pitch_bends=not args.no_pitch_bends and not args.quantize, program=args.program)
    print(f"{args.output}  ({len(track)} notes, {track.duration_s:.2f} s)")
    print(f"Tempo: {bpm:.1f} BPM" if bpm > 0 else "Tempo: no steady beat")
    print(f"Key: {key.name} (confidence {key.confidence:.2f})" if key.confidence > 0
          else "Key: unclear")
    if args.chords:
        chords = estimate_chords(audio)
        print("Chords: " + "  ".join(f"{c.start_s:.2f} {c.label}" for c in chords))
    return 0
