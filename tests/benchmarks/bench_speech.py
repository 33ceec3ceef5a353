"""Speech to text: Resonote's pipeline vs bare faster-whisper, same model, same files, same run.

Run: ``make bench`` (all benchmarks) or ``.venv/bin/python tests/benchmarks/bench_speech.py``.

* Files: the real recordings in tests/data/speech (reference transcripts in
  references.tsv), each on its own, plus all of them joined with 2 s pauses
  (a "voice memo", ~50 s) to exercise the long-audio and VAD path.
* Resonote: ``core.speech.transcribe(core.audio.load(path), cancel=CancelToken())``
  with its defaults (Silero VAD on, beam 5, int8 on the CPU; with a cancel token
  the decoding runs in a worker thread, as in the app).
* Bare: ``WhisperModel(<same folder>, device, compute_type).transcribe(path, beam_size=5)``
  with faster-whisper's defaults (no VAD), and once more with ``vad_filter=True``.
* Both start from the file on disk (decode + resample included) with the model
  already loaded; each figure is the median (and best) of ``RUNS`` runs after a warm-up,
  runs of the pipelines interleaved so machine noise hits them alike.
* WER: jiwer after normalisation (lower case, punctuation removed, spaces
  collapsed; see core.speech.metrics), over all clips.

Targets (issue 5): WER no worse than bare, time at most 1.1x bare.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "speech"
CACHE = ROOT / ".bench"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MODEL = os.environ.get("BENCH_SPEECH_MODEL", "whisper-tiny.en")


def references() -> dict[str, str]:
    refs = {}
    for line in (DATA / "references.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, text = line.split("\t")
            refs[name] = text
    return refs


def memo_file(names: list[str]) -> Path:
    """All clips joined with 2 s of silence before each, written once into .bench/."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / "speech_memo.flac"
    parts = []
    for n in names:
        x, sr = sf.read(DATA / f"{n}.flac", dtype="float32")
        parts += [np.zeros(2 * sr, np.float32), x]
    sf.write(path, np.concatenate(parts), 16000, subtype="PCM_16")
    return path


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run_bench(runs: int = RUNS) -> dict:
    from faster_whisper import WhisperModel

    from core.audio import load
    from core.jobs import CancelToken
    from core.speech import transcribe
    from core.speech.loader import model_path, placement, resolve_name
    from core.speech.metrics import word_error_rate

    refs = references()
    names = list(refs)
    files = [DATA / f"{n}.flac" for n in names]
    memo = memo_file(names)
    memo_ref = " ".join(refs[n] for n in names)

    name = resolve_name(MODEL)
    where = placement(None)
    folder = str(model_path(name))
    bare = WhisperModel(folder, device=where.device, device_index=where.index,
                        compute_type=where.compute_type)

    def app(path: Path) -> str:  # with a cancel token, as the GUI and CLI run it
        return transcribe(load(path), model=name, beam_size=5, cancel=CancelToken()).text

    def plain(path: Path) -> str:
        segs, _ = bare.transcribe(str(path), beam_size=5)
        return " ".join(s.text.strip() for s in segs)

    def plain_vad(path: Path) -> str:
        segs, _ = bare.transcribe(str(path), beam_size=5, vad_filter=True)
        return " ".join(s.text.strip() for s in segs)

    pipelines = {"resonote": app, "bare": plain, "bare+vad": plain_vad}
    sets = {"clips": files, "memo": [memo]}
    for fn in pipelines.values():  # warm-up: model caches, VAD session, first-touch memory
        fn(files[0])
    times: dict[tuple[str, str], list[float]] = {(p, s): [] for p in pipelines for s in sets}
    texts: dict[tuple[str, str], list[str]] = {}
    for _ in range(runs):
        for s, paths in sets.items():
            for p, fn in pipelines.items():
                t0 = time.perf_counter()
                out = [fn(path) for path in paths]
                times[(p, s)].append(time.perf_counter() - t0)
                texts[(p, s)] = out
    audio_s = {s: sum(sf.info(str(p)).duration for p in paths) for s, paths in sets.items()}
    rows = []
    for s in sets:
        ref = list(refs.values()) if s == "clips" else [memo_ref]
        base = statistics.median(times[("bare", s)])
        for p in pipelines:
            med = statistics.median(times[(p, s)])
            rows.append({"set": s, "pipeline": p, "audio_s": audio_s[s], "time_s": med,
                         "best_s": min(times[(p, s)]),
                         "x_bare": med / base, "rtf": med / audio_s[s],
                         "wer": word_error_rate(ref, texts[(p, s)])})
    result_cancel = cancel_latency(memo, name)
    machine = (f"{cpu_name()}, {os.cpu_count()} cores, {platform.system()} "
               f"{platform.release()}, Python {platform.python_version()}")
    import ctranslate2
    import faster_whisper

    return {"rows": rows, "machine": machine, "model": name, "device": where.device,
            "compute_type": where.compute_type, "runs": runs, "cancel": result_cancel,
            "versions": f"faster-whisper {faster_whisper.__version__}, "
                        f"ctranslate2 {ctranslate2.__version__}"}


def cancel_latency(path: Path, name: str, delays_s=(0.3, 0.8, 1.3)) -> list[float]:
    """Seconds from ``CancelToken.cancel()`` to ``JobCancelled`` while transcribing ``path``."""
    import threading

    from core.audio import load
    from core.jobs import CancelToken, JobCancelled
    from core.speech import transcribe

    audio = load(path)
    out = []
    for delay in delays_s:
        token, stopped = CancelToken(), {}

        def work(token=token, stopped=stopped):
            try:
                transcribe(audio, model=name, cancel=token)
            except JobCancelled:
                stopped["t"] = time.perf_counter()

        th = threading.Thread(target=work)
        th.start()
        time.sleep(delay)
        t0 = time.perf_counter()
        token.cancel()
        th.join()
        for t in threading.enumerate():  # let the abandoned window finish before the next run
            if t.name == "whisper-decode":
                t.join()
        if "t" in stopped:
            out.append(stopped["t"] - t0)
    return out


def table(result: dict) -> str:
    lines = [f"Model {result['model']} on {result['device']} ({result['compute_type']}), "
             f"median of {result['runs']} runs; {result['versions']}",
             f"Machine: {result['machine']}", "",
             "| files | pipeline | audio (s) | median (s) | best (s) | x bare (median) "
             "| real-time factor | WER |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['set']} | {r['pipeline']} | {r['audio_s']:.1f} | {r['time_s']:.2f} "
                     f"| {r['best_s']:.2f} "
                     f"| {r['x_bare']:.2f} | {r['rtf']:.3f} | {r['wer']:.3f} |")
    lat = result["cancel"]
    if lat:
        lines.append("\nCancel latency on the memo (cancel at 0.3/0.8/1.3 s): "
                     + ", ".join(f"{x:.2f} s" for x in lat) + f" (max {max(lat):.2f} s)")
    return "\n".join(lines)


def test_speech_vs_bare_faster_whisper():
    """Prints the figures (benchmarks are read by people, not asserted on)."""
    result = run_bench()
    print("\n" + table(result))


if __name__ == "__main__":
    print(table(run_bench()))
