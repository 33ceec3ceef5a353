"""The job runner and jobs panel: progress, failure text, cancel, closing with running jobs."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from app.jobs.runner import JobRunner, JobStatus
from core.errors import AudioFileError
from core.jobs import Progress, check


def slow_count(n: int, *, step_s: float = 0.01, progress=None, cancel=None) -> int:
    """A tiny long job: counts to ``n``, reporting progress and checking ``cancel``."""
    for i in range(n):
        check(cancel)
        time.sleep(step_s)
        progress(Progress("count", i + 1, n, f"Counted {i + 1}"))
    return n


def failing(*, progress=None, cancel=None):
    raise AudioFileError("'song.wav' is damaged and cannot be read.")


def buggy(*, progress=None, cancel=None):
    return {}["missing"]


def test_runner_delivers_result_and_progress_on_ui_thread(qtbot):
    import threading

    runner = JobRunner()
    seen, results, workers = [], [], []

    def count(n, *, progress=None, cancel=None):
        workers.append(threading.get_ident())
        return slow_count(n, step_s=0.002, progress=progress, cancel=cancel)

    runner.jobChanged.connect(lambda j: seen.append(j.fraction))
    job = runner.submit("Count", count, 20,
                        on_result=lambda r: results.append((r, threading.get_ident())))
    qtbot.waitUntil(lambda: job.status.done, timeout=10000)
    assert job.status is JobStatus.FINISHED
    assert results == [(20, threading.get_ident())]  # callback on the UI thread
    assert workers and workers[0] != threading.get_ident()  # work on another thread
    assert seen[-1] == 1.0
    assert job.options == {}


def test_options_are_copied_at_submission(qtbot):
    runner = JobRunner()
    opts = {"stems": ["vocals"]}
    job = runner.submit("Count", slow_count, 1, options=opts)
    opts["stems"].append("drums")
    assert job.options == {"stems": ["vocals"]}
    runner.wait_all()


@pytest.mark.parametrize("fn, expected", [
    (failing, "'song.wav' is damaged and cannot be read."),
    (buggy, "Unexpected error: KeyError: 'missing'"),
])
def test_failed_job_shows_error_text_in_panel(qtbot, window, fn, expected):
    job = window.submit_job("Broken tool", fn)
    qtbot.waitUntil(lambda: job.status.done, timeout=10000)
    assert job.status is JobStatus.FAILED
    assert job.error == expected
    row = window.jobs_panel.row(job.id)
    assert row.status_label.text() == "Failed"
    assert row.error_label.isVisibleTo(row) and row.error_label.text() == expected
    if fn is buggy:
        assert "Traceback" in job.details  # details for a bug report, not in the message
    assert window.last_error == expected


def test_cancel_button_cancels_job(qtbot, window):
    job = window.submit_job("Long count", slow_count, 100000)
    row = window.jobs_panel.row(job.id)
    qtbot.waitUntil(lambda: job.fraction is not None and job.fraction > 0, timeout=10000)
    assert row.cancel_button.isVisibleTo(row)
    QTest.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.status.done, timeout=10000)
    assert job.status is JobStatus.CANCELLED
    assert row.status_label.text() == "Cancelled"
    assert not row.cancel_button.isVisibleTo(row)
    window.jobs_panel.clear_finished()
    assert window.jobs_panel.row(job.id) is None


def test_closing_with_running_job_asks_then_cancels(qtbot, window, answers):
    job = window.submit_job("Long count", slow_count, 100000)
    qtbot.waitUntil(lambda: job.fraction is not None, timeout=10000)
    answers.queue.append(QMessageBox.StandardButton.No)
    window.close()
    assert window.isVisible() and job.status is JobStatus.RUNNING
    assert "still running" in answers.asked[-1][1]
    answers.queue.append(QMessageBox.StandardButton.Yes)
    window.close()
    assert not window.isVisible()
    assert job.status is JobStatus.CANCELLED
    assert not window.runner.running_jobs()
