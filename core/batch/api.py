"""``run_batch``: a folder tree through one tool, locally or on a cluster, with a report."""

from __future__ import annotations

import os
import time
from argparse import Namespace
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

from core.batch.report import BatchSummary, write_report
from core.batch.runner import InProcess, LocalPool, run_tasks
from core.batch.tasks import plan
from core.batch.tools import PATH_OPTIONS
from core.errors import InvalidParameterError
from core.jobs import CancelToken, ProgressCallback, no_progress

#: Namespace entries that belong to the batch (or argparse), not to the tool.
BATCH_KEYS = ("command", "verbose", "batch_tool", "batch_tool_func", "input", "output",
              "jobs", "cluster", "retries", "report", "out_ext", "force")

#: Report file name (``.csv`` and ``.json``) in the output folder unless ``--report``.
REPORT_NAME = "batch-report"


def tool_options(args: Namespace) -> dict:
    """The tool's own options from a batch namespace (``func`` = the tool's run function)."""
    opts = {k: v for k, v in vars(args).items() if k not in BATCH_KEYS}
    opts["func"] = args.batch_tool_func
    for key in PATH_OPTIONS:
        if opts.get(key):
            opts[key] = str(Path(opts[key]).resolve())
    return opts


def run_batch(tool: str, in_root: str | os.PathLike, out_root: str | os.PathLike,
              options: dict, *, out_ext: Optional[str] = None, force: bool = False,
              jobs: int = 1, cluster: Optional[str] = None, retries: Optional[int] = None,
              report: Optional[str | os.PathLike] = None, worker_processes: bool = False,
              progress: ProgressCallback = no_progress,
              cancel: Optional[CancelToken] = None) -> BatchSummary:
    """Run every audio file under ``in_root`` through ``tool``; write the report.

    Parameters
    ----------
    tool : str
        Command path, e.g. ``"restore loudness"`` (see :data:`core.batch.tools.TOOLS`).
    in_root, out_root : path-like
        Input folder (searched recursively) and output folder (the tree is mirrored).
    options : dict
        The tool's parsed CLI options, ``func`` (its run function) included; see
        :func:`tool_options`.
    out_ext : str, optional
        Output extension (``flac``, ``srt``...); default: the tool's own.
    force : bool
        Redo files whose output exists (default: skip them, so a batch resumes).
    jobs : int
        Local worker processes (1: in this process).
    cluster : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); ``jobs`` is then ignored.
    retries : int, optional
        Extra tries of a failed file (default 0 locally, 2 on a cluster).
    report : path-like, optional
        Report path without or with extension; default ``OUT/batch-report``.
        Both ``.csv`` and ``.json`` are written.
    worker_processes : bool
        Run files in worker processes even when ``jobs`` is 1 (the GUI does: its
        process then holds no tool output and no model memory).
    progress, cancel
        ``Progress("batch", files_done, files_total, message)``; cancel between files.

    Returns
    -------
    BatchSummary
        Per-file results; ``summary.ok`` is False when any file failed.
    """
    if jobs < 1:
        raise InvalidParameterError("--jobs must be 1 or more.")
    if retries is None:
        retries = 2 if cluster else 0
    out_root = Path(out_root).resolve()
    tasks = plan(tool, in_root, out_root, options, out_ext=out_ext, force=force)
    out_root.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    if cluster:
        from core.batch.cluster import DaskExecutor

        executor = DaskExecutor(cluster)
        workers = f"cluster {cluster} ({executor.worker_count} workers)"
    elif tasks and (worker_processes or (jobs > 1 and len(tasks) > 1)):
        executor = LocalPool(min(jobs, len(tasks)))
        workers = f"{executor.jobs} process{'es' if executor.jobs > 1 else ''}"
    else:
        executor, workers = InProcess(), "1 process"
    results = run_tasks(tasks, executor=executor, retries=retries, progress=progress,
                        cancel=cancel)
    summary = BatchSummary(tool=tool, input=str(Path(in_root).resolve()), output=str(out_root),
                           files=results, seconds=time.perf_counter() - t0, workers=workers,
                           started=started)
    stem = Path(report) if report else out_root / REPORT_NAME
    if stem.suffix.lower() in (".csv", ".json"):
        stem = stem.with_suffix("")
    write_report(summary, stem.with_name(stem.name + ".csv"),
                 stem.with_name(stem.name + ".json"))
    return summary
