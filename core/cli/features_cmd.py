"""``resonote features IN -o OUT.{csv,npy,npz}``: frame-wise audio features for analysis.

Heavy imports (librosa) happen inside :func:`run`.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError

SUFFIXES = (".csv", ".npy", ".npz")


def register(sub) -> None:
    p = sub.add_parser(
        "features", help="export MFCC, mel, chroma, spectral shape, onset strength, RMS",
        description="Compute frame-wise features of IN (mixed to mono, at the file's sample "
        "rate) and write them as CSV (time_s column + one column per value), NPY (the same "
        "matrix) or NPZ (one array per feature). Features: mfcc, mel, chroma, centroid, "
        "bandwidth, rolloff, onset, rms.")
    p.add_argument("input", metavar="IN", help="audio file")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="file to write: .csv, .npy or .npz")
    p.add_argument("--features", default="all", metavar="A,B",
                   help="comma-separated feature names (default: all)")
    p.add_argument("--start", type=float, default=None, metavar="S", help="start time, seconds")
    p.add_argument("--end", type=float, default=None, metavar="S", help="end time, seconds")
    p.add_argument("--hop", type=int, default=512, metavar="N", help="hop in samples (512)")
    p.add_argument("--n-fft", type=int, default=2048, metavar="N", help="FFT size (2048)")
    p.add_argument("--n-mfcc", type=int, default=13, metavar="N", help="MFCCs (13)")
    p.add_argument("--n-mels", type=int, default=64, metavar="N", help="mel bands (64)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=run)


def run(args) -> int:
    from core.audio import load
    from core.cli.progress import TerminalProgress
    from core.features import compute_features, parse_features, save_features

    out = Path(args.output)
    if out.suffix.lower() not in SUFFIXES:
        raise InvalidParameterError(
            f"Cannot write features as '{out.name}': use a .csv, .npy or .npz file.")
    names = parse_features(args.features)
    if out.exists() and not args.force:
        raise AudioFileError(f"'{out}' already exists (use --force to overwrite).", path=str(out))
    if not out.parent.exists():
        raise AudioFileError(f"The folder '{out.parent}' does not exist.", path=str(out))
    bar = TerminalProgress()
    try:
        audio = load(args.input, progress=bar)
        fs = compute_features(audio, features=names, start_s=args.start, end_s=args.end,
                              hop_length=args.hop, n_fft=args.n_fft, n_mfcc=args.n_mfcc,
                              n_mels=args.n_mels, progress=bar)
        save_features(fs, out, overwrite=args.force)
    finally:
        bar.close()
    print(f"{out}: {fs.n_frames} frames x {len(fs.columns()) - 1} values "
          f"({', '.join(fs.names)}), hop {fs.hop_length / fs.sr * 1000:.1f} ms at {fs.sr} Hz")
    return 0
