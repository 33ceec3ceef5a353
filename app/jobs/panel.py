"""The jobs panel: every job with its progress, time, cancel button and outcome."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.jobs.runner import Job, JobRunner, JobStatus


def format_duration(seconds: float) -> str:
    """``'0:07'``, ``'12:03'``, ``'1:02:03'`` for a duration in seconds."""
    s = int(round(max(0.0, seconds)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


_STATUS_TEXT = {
    JobStatus.QUEUED: "Waiting",
    JobStatus.RUNNING: "Running",
    JobStatus.CANCELLING: "Cancelling…",
    JobStatus.FINISHED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}


class JobRow(QFrame):
    """One job's line in the panel."""

    def __init__(self, job: Job, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.setObjectName("jobRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(3)
        top = QHBoxLayout()
        self.name_label = QLabel(job.name)
        self.name_label.setStyleSheet("font-weight: 600;")
        self.status_label = QLabel()
        self.time_label = QLabel()
        self.time_label.setObjectName("laneInfo")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this job")
        self.cancel_button.clicked.connect(lambda: runner.cancel(job.id))
        top.addWidget(self.name_label, 1)
        top.addWidget(self.status_label)
        top.addWidget(self.time_label)
        top.addWidget(self.cancel_button)
        outer.addLayout(top)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        outer.addWidget(self.progress)
        self.message_label = QLabel()
        self.message_label.setObjectName("laneInfo")
        self.message_label.setWordWrap(True)
        outer.addWidget(self.message_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #ff6b6b;")
        self.error_label.hide()
        outer.addWidget(self.error_label)
        self.refresh()

    def refresh(self) -> None:
        job = self.job
        self.status_label.setText(_STATUS_TEXT[job.status])
        running = job.status in (JobStatus.RUNNING, JobStatus.CANCELLING, JobStatus.QUEUED)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(job.status is JobStatus.RUNNING)
        if job.fraction is None and running:
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(round((job.fraction or 0.0) * 1000)))
        self.progress.setVisible(running or job.status is JobStatus.FINISHED)
        text = format_duration(job.elapsed_s)
        eta = job.eta_s
        if eta is not None:
            text += f"  ·  {format_duration(eta)} left"
        self.time_label.setText(text)
        self.message_label.setText(job.message if running else "")
        self.message_label.setVisible(bool(running and job.message))
        if job.status is JobStatus.FAILED:
            self.error_label.setText(job.error)
            self.error_label.setToolTip(job.details or job.error)
            self.error_label.show()


class JobsPanel(QWidget):
    """Lists the runner's jobs, newest first; refreshes elapsed/ETA twice a second."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._rows: dict[int, JobRow] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.summary = QLabel("No jobs yet.")
        self.summary.setObjectName("panelNote")
        clear = QPushButton("Clear finished")
        clear.clicked.connect(self.clear_finished)
        bar.addWidget(self.summary, 1)
        bar.addWidget(clear)
        layout.addLayout(bar)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        self._list = QVBoxLayout(inner)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.setSpacing(4)
        self._list.addStretch(1)
        scroll.setWidget(inner)
        layout.addWidget(scroll, 1)
        runner.jobAdded.connect(self._add)
        runner.jobChanged.connect(self._changed)
        for job in runner.jobs:
            self._add(job)
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def row(self, job_id: int) -> JobRow | None:
        return self._rows.get(job_id)

    def _add(self, job: Job) -> None:
        if job.quiet or job.id in self._rows:
            return
        row = JobRow(job, self.runner)
        self._rows[job.id] = row
        self._list.insertWidget(0, row)
        self._update_summary()

    def _changed(self, job: Job) -> None:
        row = self._rows.get(job.id)
        if row is not None:
            row.refresh()
        self._update_summary()

    def _tick(self) -> None:
        for row in self._rows.values():
            if not row.job.status.done:
                row.refresh()

    def clear_finished(self) -> None:
        for job_id, row in list(self._rows.items()):
            if row.job.status.done:
                self._list.removeWidget(row)
                row.deleteLater()
                del self._rows[job_id]
        self._update_summary()

    def _update_summary(self) -> None:
        rows = list(self._rows.values())
        running = sum(not r.job.status.done for r in rows)
        failed = sum(r.job.status is JobStatus.FAILED for r in rows)
        if not rows:
            self.summary.setText("No jobs yet.")
            return
        parts = [f"{running} running" if running else "Nothing running"]
        if failed:
            parts.append(f"{failed} failed")
        self.summary.setText(" · ".join(parts))
