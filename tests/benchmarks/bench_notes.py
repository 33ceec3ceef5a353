"""Note transcription quality and speed: our pipeline vs Basic Pitch's own ``predict()``.

Audio is rendered from Bach chorales in the music21 corpus (four voices, known notes)
through a General MIDI SoundFont with several instruments.  Quality is mir_eval's
note-level F-measure (onset tolerance 50 ms, offsets ignored; and with offsets, 20 %
ratio).  Speed is the wall time of file -> notes for both, in the same run, on the same
files (Basic Pitch's model loaded once beforehand, so neither pays start-up; the two run
alternately, median of 3), plus a 5-minute file.

Run: ``make bench`` or ``.venv/bin/python tests/benchmarks/bench_notes.py``.
Writes a Markdown table to tests/artifacts/bench-notes.md.
"""

from __future__ import annotations

import logging
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench" / "notes"
ARTIFACTS = ROOT / "tests" / "artifacts"
N_CHORALES = 12
QUARTER_S = 0.6  # 100 BPM
INSTRUMENTS = {0: "Acoustic Grand Piano", 24: "Nylon Guitar", 48: "String Ensemble",
               19: "Church Organ", 73: "Flute", 4: "Electric Piano"}


def chorale_midis() -> list[tuple[str, Path, int]]:
    """Render N chorales to MIDI (all voices one GM program, cycling instruments)."""
    import music21
    import pretty_midi

    CACHE.mkdir(parents=True, exist_ok=True)
    out = []
    programs = list(INSTRUMENTS)
    for i, score in enumerate(music21.corpus.chorales.Iterator(numberingSystem="bwv",
                                                                returnType="stream")):
        if len(out) >= N_CHORALES:
            break
        program = programs[len(out) % len(programs)]
        name = f"chorale{i:02d}_p{program}"
        path = CACHE / f"{name}.mid"
        if not path.exists():
            raw = CACHE / f"{name}.raw.mid"
            score.write("midi", fp=str(raw))
            src = pretty_midi.PrettyMIDI(str(raw))
            pm = pretty_midi.PrettyMIDI(initial_tempo=60.0 / QUARTER_S)
            inst = pretty_midi.Instrument(program=program)
            for s in src.instruments:
                for n in s.notes:
                    start = src.time_to_tick(n.start) / src.resolution * QUARTER_S
                    end = src.time_to_tick(n.end) / src.resolution * QUARTER_S
                    inst.notes.append(pretty_midi.Note(90, n.pitch, start + 0.5, end + 0.5))
            pm.instruments.append(inst)
            pm.write(str(path))
            raw.unlink()
        out.append((name, path, program))
    return out


def render(path: Path) -> Path:
    from core.audio import save
    from core.notes import render_midi

    wav = path.with_suffix(".wav")
    if not wav.exists():
        a = render_midi(path, sr=44100)
        peak = float(np.abs(a.samples).max()) or 1.0
        a.samples *= 0.5 / peak
        save(a, wav)
    return wav


def reference_notes(mid: Path):
    import pretty_midi

    notes = pretty_midi.PrettyMIDI(str(mid)).instruments[0].notes
    return (np.array([[n.start, n.end] for n in notes]),
            np.array([440.0 * 2 ** ((n.pitch - 69) / 12) for n in notes]))


def scores(ref, est_intervals, est_pitches):
    import mir_eval

    ri, rp = ref
    if len(est_intervals) == 0:
        return 0.0, 0.0
    ei = np.asarray(est_intervals, float).reshape(-1, 2)
    ep = 440.0 * 2 ** ((np.asarray(est_pitches, float) - 69) / 12)
    f_on = mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=0.05, offset_ratio=None)[2]
    f_off = mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=0.05, offset_ratio=0.2)[2]
    return f_on, f_off


def ours(wav: Path):
    from core.audio import load
    from core.notes import transcribe_notes

    t = transcribe_notes(load(wav))
    return t.intervals(), t.pitches()


def basic_pitch_predict(model):
    from basic_pitch.inference import predict

    def run(wav: Path):
        _, _, ev = predict(str(wav), model)
        return ([[e[0], e[1]] for e in ev], [e[2] for e in ev])

    return run


def timed(fn, arg, runs: int = 3):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn(arg)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def timed_pair(fn_a, fn_b, arg, runs: int = 3):
    """Median times of two functions run alternately (fair under changing machine load)."""
    ta, tb, out_a, out_b = [], [], None, None
    for _ in range(runs):
        t = time.perf_counter()
        out_a = fn_a(arg)
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        out_b = fn_b(arg)
        tb.append(time.perf_counter() - t)
    return statistics.median(ta), out_a, statistics.median(tb), out_b


def long_file(wavs: list[Path], seconds: float = 300.0) -> Path:
    import soundfile as sf

    path = CACHE / "five_minutes.wav"
    if not path.exists():
        parts, total = [], 0
        while total < seconds * 44100:
            for w in wavs:
                x, sr = sf.read(w, dtype="float32")
                parts.append(x)
                total += len(x)
        x = np.concatenate(parts)[: int(seconds * 44100)]
        sf.write(path, x, 44100, subtype="PCM_16")
    return path


def reextract_times(wav: Path) -> tuple[float, float]:
    from basic_pitch import note_creation

    from core.audio import load
    from core.notes import reextract, transcribe_notes
    from core.notes.extract import min_note_frames

    track = transcribe_notes(load(wav))
    t_ours, _ = timed(lambda th: reextract(track, onset_threshold=th), 0.4)
    post = track.posteriors

    def theirs(th):
        out = {"note": post.note.copy(), "onset": post.onset.copy(),
               "contour": post.contour.copy()}
        return note_creation.model_output_to_notes(
            out, onset_thresh=th, frame_thresh=0.3, min_note_len=min_note_frames(127.7))

    t_bp, _ = timed(theirs, 0.4)
    return t_ours, t_bp


def machine() -> str:
    import onnxruntime as ort

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores; onnxruntime {ort.__version__} "
            f"({', '.join(ort.get_available_providers())}); Python {platform.python_version()}")


def test_bench_notes():
    logging.disable(logging.WARNING)  # basic_pitch warns about missing TF/TFLite/CoreML
    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import Model

    bp_model = Model(ICASSP_2022_MODEL_PATH)
    bp_run = basic_pitch_predict(bp_model)
    pieces = chorale_midis()
    rows = []
    for name, mid, program in pieces:
        wav = render(mid)
        ref = reference_notes(mid)
        dur = float(ref[0][:, 1].max()) + 1.0
        ours(wav), bp_run(wav)  # warm-up: sessions, caches
        t_ours, (oi, op), t_bp, (bi, bpp) = timed_pair(ours, bp_run, wav)
        f_ours, fo_ours = scores(ref, oi, op)
        f_bp, fo_bp = scores(ref, bi, bpp)
        rows.append((name, INSTRUMENTS[program], dur, len(ref[0]), f_ours, f_bp, fo_ours, fo_bp,
                     t_ours, t_bp))
        print(f"{name:18} {INSTRUMENTS[program]:20} F {f_ours:.3f} vs {f_bp:.3f}   "
              f"F+off {fo_ours:.3f} vs {fo_bp:.3f}   {t_ours:.2f}s vs {t_bp:.2f}s", flush=True)
    long_wav = long_file([render(m) for _, m, _ in pieces])
    t5_ours, _, t5_bp, _ = timed_pair(ours, bp_run, long_wav, runs=2)
    t_re, t_re_bp = reextract_times(long_wav)

    mean = lambda i: float(np.mean([r[i] for r in rows]))  # noqa: E731
    total_dur = sum(r[2] for r in rows)
    lines = [
        "| piece | instrument | s | notes | F ours | F Basic Pitch | F+offset ours | "
        "F+offset BP | time ours (s) | time BP (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]} | {r[4]:.3f} | {r[5]:.3f} | "
                     f"{r[6]:.3f} | {r[7]:.3f} | {r[8]:.2f} | {r[9]:.2f} |")
    lines.append(f"| **mean** | | {total_dur:.0f} total | | **{mean(4):.3f}** | **{mean(5):.3f}**"
                 f" | {mean(6):.3f} | {mean(7):.3f} | {sum(r[8] for r in rows):.2f} | "
                 f"{sum(r[9] for r in rows):.2f} |")
    rtf_ours = sum(r[8] for r in rows) / total_dur
    rtf_bp = sum(r[9] for r in rows) / total_dur
    summary = [
        "", f"Machine: {machine()}.",
        f"Real-time factor (wall time / audio duration, file -> notes): ours {rtf_ours:.4f}, "
        f"Basic Pitch predict() {rtf_bp:.4f} (ours takes {rtf_ours / rtf_bp:.2f}x its time).",
        f"5-minute file: ours {t5_ours:.2f} s, Basic Pitch predict() {t5_bp:.2f} s.",
        f"Re-extracting notes from the 5-minute file's posteriors (threshold change, no model): "
        f"ours {t_re:.2f} s, Basic Pitch's note_creation {t_re_bp:.2f} s.",
    ]
    text = "\n".join(lines + summary) + "\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench-notes.md").write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    test_bench_notes()
