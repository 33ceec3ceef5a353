"""The batch summary and its report files (CSV and JSON, one row per input file)."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.batch.tasks import FAILED, OK, SKIPPED, FileResult
from core.fsutil import write_text_atomic

#: Columns of the CSV report (also the keys of each entry of the JSON ``files``).
COLUMNS = ("input", "output", "status", "seconds", "attempts", "error", "detail")


@dataclass
class BatchSummary:
    """A whole batch: what ran where, and each file's :class:`FileResult`."""

    tool: str
    input: str
    output: str
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    workers: str = "1 process"
    started: str = ""
    report_csv: str = ""
    report_json: str = ""

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in (OK, SKIPPED, FAILED)}

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == FAILED]

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def line(self) -> str:
        """One line for people: ``12 files: 10 ok, 1 skipped, 1 failed in 3.2 s``."""
        c = self.counts
        return (f"{len(self.files)} files: {c[OK]} ok, {c[SKIPPED]} skipped, "
                f"{c[FAILED]} failed in {self.seconds:.1f} s")

    def as_dict(self) -> dict:
        return {"tool": self.tool, "input": self.input, "output": self.output,
                "started": self.started, "seconds": round(self.seconds, 3),
                "workers": self.workers, "counts": self.counts,
                "files": [f.as_dict() for f in self.files]}


def write_report(summary: BatchSummary, csv_path: str | os.PathLike,
                 json_path: str | os.PathLike) -> None:
    """Write ``summary`` as CSV (columns :data:`COLUMNS`) and JSON, each atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for f in summary.files:
        w.writerow(f.as_dict())
    for p in (csv_path, json_path):
        Path(p).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(csv_path, buf.getvalue())
    write_text_atomic(json_path, json.dumps(summary.as_dict(), indent=2) + "\n")
    summary.report_csv, summary.report_json = str(csv_path), str(json_path)


def read_report(json_path: str | os.PathLike) -> dict:
    """The JSON report as a dict (``files`` holds one dict per input file)."""
    return json.loads(Path(json_path).read_text(encoding="utf-8"))
