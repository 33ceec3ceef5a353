"""One file through one tool: finding the files, planning outputs, running a task.

A :class:`BatchTask` is plain data (picklable, so it travels to worker processes
and Dask workers).  :func:`run_task` runs the tool's own CLI function on one file,
writing to a temporary name that is renamed onto the output only when the tool
succeeded, so an output that exists is always complete and a re-run skips it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import threading
import time
import traceback
from argparse import Namespace
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from core.batch.tools import AUDIO_EXTENSIONS, tool_spec
from core.errors import AudioFileError, InvalidParameterError, ResonoteError

#: Statuses of a file in a batch.
OK, SKIPPED, FAILED = "ok", "skipped", "failed"

# A worker process runs one tool at a time: the tools print to sys.stdout (which a
# task captures) and size their own thread pools for the whole machine.
_run_lock = threading.Lock()


@dataclass(frozen=True)
class BatchTask:
    """One input file and where its result goes.

    Attributes
    ----------
    tool : str
        Command path, e.g. ``"restore loudness"``.
    src, dst : str
        Absolute input file and output (file or folder) paths.
    rel : str
        ``src`` relative to the batch's input folder (for messages and reports).
    options : dict
        The tool's parsed options (``vars`` of its argparse namespace, ``func``
        included), without input/output.
    force : bool
        Redo the file even if its output exists.
    """

    tool: str
    src: str
    dst: str
    rel: str
    options: dict = field(hash=False, compare=False)
    force: bool = False


@dataclass
class FileResult:
    """What became of one input file (one row of the report)."""

    input: str
    output: str
    status: str
    seconds: float = 0.0
    error: str = ""
    attempts: int = 0
    detail: str = ""

    def as_dict(self) -> dict:
        return {"input": self.input, "output": self.output, "status": self.status,
                "seconds": round(self.seconds, 3), "error": self.error,
                "attempts": self.attempts, "detail": self.detail}


def find_audio(root: str | os.PathLike, *, exclude: Optional[Path] = None) -> list[Path]:
    """Every audio file under ``root`` (recursive, sorted, hidden files and folders skipped).

    Audio means an extension core.audio reads (:data:`AUDIO_EXTENSIONS`); a damaged file
    with such an extension is included, so that the batch reports it as failed.
    ``exclude`` (the output folder, when it lies inside ``root``) is not entered.
    """
    root = Path(root)
    if not root.is_dir():
        raise AudioFileError(f"The input folder '{root}' does not exist or is not a folder.")
    skip = exclude.resolve() if exclude is not None else None
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (skip is None or (here / d).resolve() != skip))
        found.extend(here / f for f in sorted(files)
                     if not f.startswith(".") and Path(f).suffix.lower() in AUDIO_EXTENSIONS)
    return found


def plan(tool: str, in_root: str | os.PathLike, out_root: str | os.PathLike, options: dict,
         *, out_ext: Optional[str] = None, force: bool = False) -> list[BatchTask]:
    """One :class:`BatchTask` per audio file under ``in_root``, outputs mirroring the tree.

    ``a/b/song.flac`` becomes ``OUT/a/b/song<ext>`` (a file; ``ext`` from the tool or
    ``out_ext``) or ``OUT/a/b/song/`` (a folder, for ``separate``).  Two inputs that
    would share an output (``song.wav`` and ``song.flac``) keep their own extension
    in the name (``song.flac.wav``).
    """
    spec = tool_spec(tool)
    in_root, out_root = Path(in_root).resolve(), Path(out_root).resolve()
    if out_root == in_root:
        raise InvalidParameterError("The output folder must differ from the input folder; "
                                    "Resonote never overwrites its sources.")
    if out_root.exists() and not out_root.is_dir():
        raise AudioFileError(f"The output '{out_root}' is a file, not a folder.")
    inside = out_root.is_relative_to(in_root)
    files = find_audio(in_root, exclude=out_root if inside else None)
    planned = []
    for src in files:
        rel = src.relative_to(in_root)
        ext = spec.output_ext(src, out_ext)
        planned.append((src, rel, ext, out_root / rel.parent / (rel.stem + ext)))
    shared = Counter(dst for *_, dst in planned)
    tasks = []
    for src, rel, ext, dst in planned:
        if shared[dst] > 1 and src.suffix.lower() != ext:
            dst = out_root / rel.parent / (rel.name + ext)
        tasks.append(BatchTask(tool, str(src), str(dst), rel.as_posix(), dict(options), force))
    return tasks


def is_done(task: BatchTask) -> bool:
    """True when the task's output exists (outputs only appear complete)."""
    dst = Path(task.dst)
    return dst.is_dir() if tool_spec(task.tool).kind == "folder" else dst.is_file()


def run_task(task: BatchTask) -> FileResult:
    """Run ``task`` in this process; never raises for a failing file.

    The tool's printed output is captured (its last line becomes ``detail``);
    its error becomes ``error``.  Models stay loaded in this process for the next
    task (the engines cache them per process).
    """
    start = time.perf_counter()
    res = FileResult(task.rel, task.dst, SKIPPED)
    if not task.force and is_done(task):
        return res
    out = io.StringIO()
    try:
        with _run_lock, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(io.StringIO()):
            tmp = _run_tool(task, out)
        res.status = OK
    except ResonoteError as exc:
        res.status, res.error = FAILED, str(exc)
    except MemoryError:
        res.status, res.error = FAILED, "Not enough memory for this file."
    except Exception as exc:  # a bug in a tool must not stop the batch
        res.status = FAILED
        res.error = f"Unexpected error: {type(exc).__name__}: {exc}"
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            res.detail = f"at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}"
    res.seconds = time.perf_counter() - start
    if res.status == OK:
        lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
        kind = tool_spec(task.tool).kind
        res.detail = "" if kind == "stdout" or not lines else \
            lines[-1].replace(tmp, task.dst)[:300]
    return res


def _namespace(task: BatchTask, output: str) -> Namespace:
    ns = Namespace(**task.options)
    ns.input, ns.output, ns.force = task.src, output, True
    if task.tool == "info":
        ns.files, ns.json = [task.src], True
    return ns


def _call(task: BatchTask, ns: Namespace) -> None:
    rc = task.options["func"](ns)
    if rc:
        raise ResonoteError(f"The tool stopped with exit code {rc}.")


def _run_tool(task: BatchTask, out: io.StringIO) -> str:
    """Run the tool onto a temporary output, rename it onto ``task.dst``; return the temp name."""
    dst = Path(task.dst)
    kind = tool_spec(task.tool).kind
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioFileError(f"Cannot create the folder '{dst.parent}': "
                             f"{exc.strerror or exc}.") from None
    if kind == "file":
        from core.fsutil import atomic_path

        with atomic_path(dst) as tmp:
            _call(task, _namespace(task, str(tmp)))
        return str(tmp)
    elif kind == "stdout":
        from core.fsutil import write_text_atomic

        _call(task, _namespace(task, ""))
        write_text_atomic(dst, out.getvalue())
        return ""
    else:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent))
        try:
            _call(task, _namespace(task, str(tmp)))
            if task.force and dst.exists():
                shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
            os.replace(tmp, dst)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return str(tmp)
