"""Batch processing: every audio file of a folder tree through one CLI tool.

Files run in this process, in local worker processes (``jobs``) or as tasks on a
Dask cluster (``cluster``); outputs mirror the input tree, appear only when
complete (so a re-run resumes), and a CSV/JSON report lists every file.
Nothing heavy is imported here; Dask loads only for a cluster run.
"""

from core.batch.api import run_batch, tool_options
from core.batch.report import BatchSummary, read_report, write_report
from core.batch.runner import InProcess, LocalPool, run_tasks
from core.batch.tasks import FAILED, OK, SKIPPED, BatchTask, FileResult, find_audio, plan, run_task
from core.batch.tools import TOOLS, ToolSpec, tool_spec

__all__ = [
    "FAILED", "OK", "SKIPPED", "TOOLS", "BatchSummary", "BatchTask", "FileResult", "InProcess",
    "LocalPool", "ToolSpec", "find_audio", "plan", "read_report", "run_batch", "run_task",
    "run_tasks", "tool_options", "tool_spec", "write_report",
]
