"""``resonote restore TOOL IN -o OUT``: denoise, declip, declick, dehum, dereverb, loudness, chain.

Heavy imports (the tools, their libraries) happen inside :func:`run`, so listing the
subcommands stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.errors import AudioFileError, InvalidParameterError

TOOLS = ("denoise", "declip", "declick", "dehum", "dereverb", "loudness", "chain")


def _region(text: str) -> tuple[float, float]:
    try:
        a, b = text.split(":")
        return float(a), float(b)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START:END in seconds (e.g. 0:1.5), got {text!r}") from None


def _target(text: str):
    if text in ("streaming", "broadcast"):
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LUFS (e.g. -14) or streaming/broadcast, got {text!r}") from None


def _freq(text: str):
    if text == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected Hz (50, 60) or auto, got {text!r}") \
            from None


def register(sub) -> None:
    p = sub.add_parser("restore", help="restore audio: denoise, declip, declick, dehum, "
                       "dereverb, loudness, or a saved chain")
    tools = p.add_subparsers(dest="restore_tool", metavar="TOOL", required=True)

    def tool(name: str, help_: str, needs_out: bool = True) -> argparse.ArgumentParser:
        t = tools.add_parser(name, help=help_)
        t.add_argument("input", metavar="IN")
        t.add_argument("-o", "--output", metavar="OUT", required=needs_out,
                       help="output file (format from its extension)")
        t.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
        t.add_argument("--bits", "--subtype", dest="subtype",
                       help="sample format of OUT: 16, 24, 32, 32f")
        t.add_argument("--json", action="store_true", help="print the report as JSON")
        t.set_defaults(func=run, restore_tool=name)
        return t

    t = tool("denoise", "remove background noise")
    t.add_argument("--method", choices=("deepfilter", "rnnoise", "gate"), default="deepfilter",
                   help="deepfilter (DeepFilterNet3, default), rnnoise, or gate (spectral "
                   "gating with a noise profile)")
    t.add_argument("--atten-limit", type=float, metavar="DB",
                   help="most the noise is turned down, in dB (default: no limit; "
                   "12 for gate)")
    t.add_argument("--mix", type=float, default=1.0, help="wet/dry, 0..1 (default 1)")
    t.add_argument("--noise-region", type=_region, metavar="START:END",
                   help="noise-only region of IN in seconds, to learn the noise from (gate)")
    t.add_argument("--noise-file", metavar="FILE", help="a noise-only recording (gate)")

    t = tool("declip", "rebuild clipped peaks")
    t.add_argument("--threshold", type=float, help="clip level 0..1 (default: found)")
    t.add_argument("--tolerance", type=float, default=1e-3,
                   help="relative plateau width (default 0.001)")

    t = tool("declick", "remove clicks and vinyl crackle")
    t.add_argument("--sensitivity", type=float, default=0.5,
                   help="0..1 (default 0.5; crackle 0.7-0.9)")
    t.add_argument("--max-click-ms", type=float, default=3.0, help="longest click in ms")

    t = tool("dehum", "remove mains hum and its harmonics")
    t.add_argument("--freq", type=_freq, default=None, metavar="HZ",
                   help="hum frequency in Hz (50, 60) or auto (default)")
    t.add_argument("--harmonics", type=int, default=8, help="harmonics notched (default 8)")
    t.add_argument("--bandwidth", type=float, default=2.0, help="notch width in Hz")

    t = tool("dereverb", "reduce room reverb (WPE)")
    t.add_argument("--taps", type=int, default=10)
    t.add_argument("--delay", type=int, default=3)
    t.add_argument("--iterations", type=int, default=3)
    t.add_argument("--mix", type=float, default=1.0)

    t = tool("loudness", "measure loudness, or normalise to a target (with -o)",
             needs_out=False)
    t.add_argument("--target", type=_target, default=-14.0,
                   help="LUFS, or streaming (-14) / broadcast (-23); default -14")
    t.add_argument("--true-peak", type=float, default=-1.0, help="ceiling in dBTP (default -1)")
    t.add_argument("--no-limit", action="store_true",
                   help="do not limit peaks above the ceiling; only warn")

    t = tool("chain", "apply a saved chain preset (JSON)")
    t.add_argument("--preset", required=True, metavar="FILE", help="chain preset JSON")


def _params(args) -> dict:
    name = args.restore_tool
    if name == "denoise":
        profile = args.noise_region
        if args.noise_file:
            from core.audio import load

            profile = load(args.noise_file)
        return {"method": args.method, "atten_limit_db": args.atten_limit, "mix": args.mix,
                "noise_profile": profile}
    if name == "declip":
        return {"threshold": args.threshold, "tolerance": args.tolerance}
    if name == "declick":
        return {"sensitivity": args.sensitivity, "max_click_ms": args.max_click_ms}
    if name == "dehum":
        return {"fundamental_hz": args.freq, "harmonics": args.harmonics,
                "bandwidth_hz": args.bandwidth}
    if name == "dereverb":
        return {"taps": args.taps, "delay": args.delay, "iterations": args.iterations,
                "mix": args.mix}
    if name == "loudness":
        return {"target_lufs": args.target, "true_peak_dbtp": args.true_peak,
                "limit": not args.no_limit}
    return {}


def summary(report: dict) -> str:
    """One line describing a tool's report."""
    t = report.get("tool")
    if t == "declip":
        return (f"clipped: {report['clipped_samples']} samples in {report['clipped_runs']} "
                f"runs ({report['clipped_percent']:.3f}%)")
    if t == "declick":
        return f"clicks repaired: {report['clicks']} ({report['repaired_samples']} samples)"
    if t == "dehum":
        f0 = report["fundamental_hz"]
        return "no hum found" if f0 is None else \
            f"hum {f0:g} Hz, {len(report['notches_hz'])} notches"
    if t == "loudness":
        a = report["after"]
        line = (f"{a['integrated_lufs']} LUFS, true peak {a['true_peak_dbtp']} dBTP, "
                f"gain {report['gain_db']:+.2f} dB")
        return line + (f"; warning: {report['warning']}" if report.get("warning") else "")
    if t == "chain":
        return "; ".join(summary(r) for r in report["steps"])
    if t in ("denoise", "dereverb"):
        r = report.get("removed_db")
        return f"{t}: removed {r} dB" if r is not None else f"{t}: nothing removed"
    return str(t)


def run(args) -> int:
    from core.audio import load, save
    from core.cli.progress import TerminalProgress

    src = Path(args.input)
    dst = Path(args.output) if args.output else None
    if dst is not None and dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise AudioFileError("OUT is the same file as IN; Resonote never overwrites its source.")
    if dst is not None and dst.exists() and not args.force:
        raise AudioFileError(f"{dst} already exists; use --force to overwrite it.")
    bar = TerminalProgress()
    try:
        audio = load(src, progress=bar)
        name = args.restore_tool
        if name == "loudness" and dst is None:
            from core.restore.loudness import measure_loudness

            m = measure_loudness(audio)
            if args.json:
                print(json.dumps(m))
                return 0

            def fmt(value, unit: str, why: str) -> str:
                return f"{value:.1f} {unit}" if value is not None else f"n/a ({why})"

            print(f"integrated {fmt(m['integrated_lufs'], 'LUFS', 'silent or too short')}, "
                  f"LRA {fmt(m['lra_lu'], 'LU', 'needs at least 3 s')}, "
                  f"true peak {fmt(m['true_peak_dbtp'], 'dBTP', 'silent')}")
            return 0
        if name == "chain":
            from core.restore.chain import load_chain, run_chain

            result = run_chain(audio, load_chain(args.preset), progress=bar)
        else:
            from core.restore.chain import _tools

            result = _tools()[name](audio, **_params(args), progress=bar)
        save(result.audio, dst, subtype=args.subtype, overwrite=args.force, progress=bar)
    except ValueError as exc:  # argparse-level numbers the tools reject
        if isinstance(exc, InvalidParameterError):
            raise
        raise InvalidParameterError(str(exc)) from exc
    finally:
        bar.close()
    if args.json:
        print(json.dumps(result.report))
    else:
        print(f"{dst}  ({summary(result.report)})")
    return 0
