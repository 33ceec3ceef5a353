"""``resonote record -o OUT``: record from an audio input, headless.

Records until ``--duration`` has passed or Ctrl+C (a clean stop: the file is
valid either way).  On a terminal a one-line level meter shows elapsed time,
per-channel peak level, clips, dropped buffers and free disk space.
``--list-devices`` lists the inputs; ``--recover DIR`` repairs takes left
behind by a crash.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError


def register(sub) -> None:
    p = sub.add_parser("record", help="record from an audio input to a WAV file")
    p.add_argument("-o", "--output", metavar="OUT", help="WAV file to create")
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
    paused = " PAUSED" if rec.state == "paused" else ""
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


def run(args) -> int:
    if args.list_devices:
        return _list_devices()
    if args.recover is not None:
        return _recover(args.recover)
    if not args.output:
        raise InvalidParameterError("Say where to record: resonote record -o OUT.wav")
    out = Path(args.output)
    if out.suffix.lower() not in (".wav", ".rf64"):
        raise InvalidParameterError(f"Recordings are WAV files; {out.name} does not end in .wav.")
    if args.duration is not None and args.duration <= 0:
        raise InvalidParameterError("--duration must be more than 0 seconds.")
    if out.exists():
        if not args.force:
            raise AudioFileError(f"{out} already exists (use --force to replace it).")
        out.unlink()

    from core.record import Recorder, sidecar_path

    device = args.device
    if device is not None and device.strip().isdigit():
        device = int(device)
    done = threading.Event()
    rec = Recorder(device=device, sr=args.sr, channels=args.channels, gain_db=args.gain,
                   path=out, subtype=_SUBTYPES[args.bits],
                   on_state=lambda s: done.set() if s in ("error", "stopped") else None)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: done.set())  # Ctrl+C: a clean stop
    tty = sys.stderr.isatty()
    try:
        rec.start(duration_s=args.duration)
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
