"""``resonote spectrogram IN -o OUT.png``: render a spectrogram image."""

from __future__ import annotations

import math
from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError


def register(sub) -> None:
    p = sub.add_parser("spectrogram", help="render an audio file's spectrogram as a PNG image",
                       description="Render a spectrogram (time left to right, pitch bottom "
                       "to top) as an image whose size does not depend on the file's length.")
    p.add_argument("input", metavar="IN", help="audio file")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png", help="image to write")
    p.add_argument("--n-fft", type=int, default=2048, help="FFT size (default 2048)")
    p.add_argument("--hop", type=int, default=512, help="hop between frames (default 512)")
    p.add_argument("--scale", choices=("linear", "log", "mel"), default="log",
                   help="frequency axis (default log)")
    p.add_argument("--cmap", default="magma", help="magma, inferno, viridis or grey")
    p.add_argument("--range-db", type=float, default=80.0,
                   help="dB shown below the loudest point (default 80)")
    p.add_argument("--width", type=int, default=1600, help="image width, pixels")
    p.add_argument("--height", type=int, default=600, help="image height, pixels")
    p.add_argument("--start", type=float, default=0.0, metavar="S", help="start, seconds")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="length, seconds (default: to the end)")
    p.add_argument("--fmin", type=float, default=None, help="lowest frequency shown, Hz")
    p.add_argument("--fmax", type=float, default=None, help="highest frequency shown, Hz")
    p.add_argument("--no-labels", action="store_true", help="no time/frequency labels")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def _check_args(args) -> None:
    if not 16 <= args.width <= 20000 or not 16 <= args.height <= 20000:
        raise InvalidParameterError("Width and height must be 16 to 20000 pixels.")
    if not (math.isfinite(args.range_db) and args.range_db > 0):
        raise InvalidParameterError("--range-db must be a positive number of dB.")
    if args.start < 0 or (args.duration is not None and args.duration <= 0):
        raise InvalidParameterError("--start must be 0 or more and --duration above 0 seconds.")
    out = Path(args.output)
    if out.suffix.lower() != ".png":
        raise InvalidParameterError(f"The output must be a .png file; got '{out.name}'.")
    if out.exists() and not args.force:
        raise AudioFileError(f"'{out}' already exists (use --force to overwrite).", path=str(out))
    if not out.parent.exists():
        raise AudioFileError(f"The folder '{out.parent}' does not exist.", path=str(out))


def run(args) -> int:
    from core.analysis import colormap_lut
    from core.analysis.render import draw_labels, render
    from core.audio import load
    from core.cli.progress import TerminalProgress

    _check_args(args)
    lut = colormap_lut(args.cmap)
    bar = TerminalProgress()
    try:
        audio = load(args.input, start_s=args.start, duration_s=args.duration,
                     nonfinite="clean", progress=bar)
        img, spec = render(audio.samples, audio.sr, width=args.width, height=args.height,
                           n_fft=args.n_fft, hop_length=args.hop, scale=args.scale,
                           fmin=args.fmin, fmax=args.fmax, range_db=args.range_db, lut=lut,
                           progress=bar)
    finally:
        bar.close()
    from PIL import Image

    image = Image.fromarray(img, mode="RGB")
    if not args.no_labels:
        draw_labels(image, spec, t_offset=args.start, duration_s=audio.duration_s)
    _save_png(image, Path(args.output))
    print(f"{args.output}  ({args.width}x{args.height}, {args.scale} scale, "
          f"{audio.duration_s:.2f} s)")
    return 0


def _save_png(image, path: Path) -> None:
    from core.fsutil import atomic_path

    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
