"""``resonote info FILE``: what an audio file holds."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("info", help="show an audio file's format, rate, channels and length")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--levels", action="store_true",
                   help="also decode the audio and report peak and RMS level")
    p.set_defaults(func=run)


def _levels(path: str) -> dict:
    import numpy as np

    from core.audio import load

    a = load(path, nonfinite="keep")
    bad = a.count_nonfinite()
    s = np.nan_to_num(a.samples, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(s))) if s.size else 0.0
    rms = float(np.sqrt(np.mean(np.square(s, dtype=np.float64)))) if s.size else 0.0
    def db(v: float):
        return round(20 * np.log10(v), 2) if v > 0 else None

    return {"decoded_frames": a.frames, "peak_dbfs": db(peak), "rms_dbfs": db(rms),
            "nonfinite_samples": bad}


def run(args) -> int:
    from core.audio import info

    rows = []
    for f in args.files:
        i = info(f)
        row = {"path": i.path, "format": i.format, "subtype": i.subtype, "sample_rate": i.sr,
               "channels": i.channels, "frames": i.frames, "duration_s": round(i.duration_s, 3)}
        if args.levels:
            row.update(_levels(f))
        rows.append(row)
    if args.json:
        print(json.dumps(rows if len(rows) > 1 else rows[0], indent=2))
        return 0
    for row in rows:
        d = row["duration_s"]
        hms = f"{int(d // 3600)}:{int(d % 3600 // 60):02d}:{d % 60:06.3f}"
        print(f"{row['path']}\n  format    {row['format']} / {row['subtype']}\n"
              f"  rate      {row['sample_rate']} Hz\n  channels  {row['channels']}\n"
              f"  length    {hms} ({row['frames']} frames)")
        if args.levels:
            print(f"  peak      {row['peak_dbfs']} dBFS\n  rms       {row['rms_dbfs']} dBFS")
            if row["nonfinite_samples"]:
                print(f"  warning   {row['nonfinite_samples']} NaN/Inf samples")
    return 0
