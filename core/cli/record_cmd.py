"""``resonote record -o OUT``: record from an audio input, headless.

Records until ``--duration`` has passed or Ctrl+C (a clean stop: the file is
valid either way).  On a terminal a one-line level meter shows elapsed time,
per-channel peak level, clips, dropped buffers and free disk space.
``--list-devices`` lists the inputs; ``--recover DIR`` repairs takes left
behind by a crash; ``--measure-latency`` plays test chirps and prints the
round-trip latency.  ``--monitor`` plays the input on the output while
recording; ``--count-in N``/``--metronome`` click at ``--tempo``; ``--play
FILE`` records over a backing track, lined up with it (``--latency auto``
measures first, a number adds that many ms).  OUT may be .wav or .flac.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError


def register(sub) -> None:
    p = sub.add_parser("record", help="record from an audio input to a WAV or FLAC file")
    p.add_argument("-o", "--output", metavar="OUT", help="WAV or FLAC file to create")
    p.add_argument("--format", choices=("wav", "flac"),
                   help="file format (default: from OUT's extension)")
    p.add_argument("--device", help="input device: number or (part of the) name "
                                     "(default: the system's default input)")
    p.add_argument("--sr", type=int, default=48000, help="sample rate, Hz (default 48000)")
    p.add_argument("--channels", type=int, default=2, help="channels (default 2)")
    p.add_argument("--duration", type=float, metavar="S",
                   help="stop after S seconds (default: until Ctrl+C)")
    p.add_argument("--gain", type=float, default=0.0, metavar="DB",
                   help="input gain trim, dB (default 0)")
    p.add_argument("--bits", choices=("32f", "24", "16"), default="32f",
                   help="sample format (default 32-bit float)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--list-devices", action="store_true", help="list the audio inputs and exit")
    p.add_argument("--recover", metavar="DIR", nargs="?", const="",
                   help="repair takes left by a crash in DIR (default: the takes folder) and exit")
    p.add_argument("--output-device", metavar="DEV",
                   help="output for monitoring, clicks and --play (default: the input's own "
                        "device, else the default output)")
    p.add_argument("--monitor", action="store_true", help="hear the input while recording")
    p.add_argument("--duplex", action="store_true",
                   help="run input and output as one full-duplex stream (least monitoring "
                        "delay; an output failure then stops the take)")
    p.add_argument("--monitor-gain", type=float, default=0.0, metavar="DB",
                   help="monitoring level, dB (default 0)")
    p.add_argument("--measure-latency", action="store_true",
                   help="play test chirps on the output, time their return and exit")
    p.add_argument("--count-in", type=int, default=0, metavar="BEATS",
                   help="click BEATS beats before recording starts")
    p.add_argument("--metronome", action="store_true", help="click on every beat while recording")
    p.add_argument("--tempo", type=float, default=120.0, metavar="BPM",
                   help="click tempo (default 120)")
    p.add_argument("--beats-per-bar", type=int, default=4, metavar="N",
                   help="accent every Nth beat (default 4)")
    p.add_argument("--play", metavar="FILE",
                   help="play FILE while recording; the take is lined up with it")
    p.add_argument("--latency", default=None, metavar="auto|MS",
                   help="latency compensation for --play: 'auto' measures it first; a number "
                        "adds MS milliseconds to the latency the driver reports")
    p.set_defaults(func=run)


_SUBTYPES = {"32f": "FLOAT", "24": "PCM_24", "16": "PCM_16"}


def _bar(db: float, width: int = 12) -> str:
    filled = max(0, min(width, round((db + 60.0) / 60.0 * width)))
    return "#" * filled + "-" * (width - filled)


def _meter_line(rec) -> str:
    m = rec.meters()
    t = rec.elapsed_s
    chans = " ".join(
        f"{_bar(p)} {p:6.1f}{'!' if c else ' '}" for p, c in zip(m.peak_db, m.clipped, strict=True)
    )
    free_gb = rec.free_disk_bytes / 1e9
    paused = " PAUSED" if rec.state == "paused" else " COUNT-IN" if rec.counting_in else ""
    return (f"\r{int(t // 60):02d}:{t % 60:04.1f}{paused}  {chans} dB  "
            f"dropped {rec.overflows}  free {free_gb:.1f} GB ")


def _list_devices() -> int:
    from core.record import input_devices

    devices = input_devices()
    if not devices:
        print("No audio inputs found.")
        return 1
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{mark} {d.index:3d}  {d.label}  ({d.channels} ch, {d.default_sr:g} Hz)")
    return 0


def _recover(directory: str) -> int:
    from core.record import recover_takes

    takes = recover_takes(Path(directory) if directory else None)
    for t in takes:
        print(f"recovered {t.path}  ({t.channels} ch, {t.sr} Hz, {t.duration_s:.2f} s)")
    if not takes:
        print("No interrupted takes found.")
    return 0


def _device(arg: str | None) -> int | str | None:
    return int(arg) if arg is not None and arg.strip().isdigit() else arg


def _measure(args):
    from core.record.latency import measure_latency

    return measure_latency(device=_device(args.device), output_device=_device(args.output_device),
                           sr=args.sr)


def _print_latency(m) -> None:
    print(f"round-trip latency: {m.round_trip_s * 1000:.1f} ms "
          f"(stable within {m.spread_s * 1000:.1f} ms; the driver reports "
          f"{m.reported_s * 1000:.1f} ms; not in its timestamps: {m.extra_s * 1000:+.1f} ms)")


def _backing(args):
    from core.audio import load, resample

    audio = load(Path(args.play))
    if audio.sr != args.sr:
        audio = resample(audio, args.sr)
    return audio.samples


def run(args) -> int:
    if args.list_devices:
        return _list_devices()
    if args.recover is not None:
        return _recover(args.recover)
    if args.measure_latency:
        _print_latency(_measure(args))
        return 0
    if not args.output:
        raise InvalidParameterError("Say where to record: resonote record -o OUT.wav")
    out = Path(args.output)
    fmt = args.format or ("flac" if out.suffix.lower() == ".flac" else "wav")
    wanted = (".flac",) if fmt == "flac" else (".wav", ".rf64")
    if out.suffix.lower() not in wanted:
        raise InvalidParameterError(
            f"A {fmt.upper()} recording must end in {wanted[0]}; {out.name} does not.")
    latency, offset_s = None, 0.0
    if args.latency is not None and args.latency != "auto":
        try:
            offset_s = float(args.latency) / 1000.0
        except ValueError:
            raise InvalidParameterError("--latency is 'auto' or a number of milliseconds.") \
                from None
    if args.count_in < 0:
        raise InvalidParameterError("--count-in must be 0 or more beats.")
    if args.duration is not None and args.duration <= 0:
        raise InvalidParameterError("--duration must be more than 0 seconds.")
    if out.exists():
        if not args.force:
            raise AudioFileError(f"{out} already exists (use --force to replace it).")
        out.unlink()

    from core.record import Recorder, sidecar_path

    backing = _backing(args) if args.play else None
    if args.latency == "auto":
        latency = _measure(args)
        _print_latency(latency)
    playout = bool(args.monitor or args.count_in or args.metronome or backing is not None)
    subtype = _SUBTYPES[args.bits]
    done = threading.Event()
    rec = Recorder(device=_device(args.device), sr=args.sr, channels=args.channels,
                   gain_db=args.gain, path=out, format=fmt,
                   subtype="PCM_24" if fmt == "flac" and subtype == "FLOAT" else subtype,
                   playout=playout, output_device=_device(args.output_device),
                   monitor=args.monitor, monitor_gain_db=args.monitor_gain, duplex=args.duplex,
                   on_state=lambda s: done.set() if s in ("error", "stopped") else None)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: done.set())  # Ctrl+C: a clean stop
    tty = sys.stderr.isatty()
    try:
        rec.start(duration_s=args.duration, count_in=args.count_in, tempo_bpm=args.tempo,
                  beats_per_bar=args.beats_per_bar, metronome=args.metronome, backing=backing,
                  latency=latency, offset_s=offset_s)
        if playout and rec.output_problem:
            print(f"resonote: warning: {rec.output_problem}", file=sys.stderr)
        while not done.wait(0.1):
            if tty:
                sys.stderr.write(_meter_line(rec))
                sys.stderr.flush()
        take = rec.stop()
    finally:
        signal.signal(signal.SIGINT, previous)
        rec.close()
        if tty:
            sys.stderr.write("\n")
    if take is None:
        return 1
    warn = f", {take.overflows} dropped buffer(s)" if take.overflows else ""
    print(f"{take.path}  ({take.channels} ch, {take.sr} Hz, {take.duration_s:.2f} s{warn})")
    print(f"metadata: {sidecar_path(take.path)}")
    if take.state == "error":
        print(f"resonote: error: {take.error}", file=sys.stderr)
        return 1
    return 0
