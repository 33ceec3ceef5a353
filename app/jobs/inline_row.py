"""A progress bar and a Cancel button for one running job, inside a tool panel.

The jobs panel lists every job; a panel shows its own job where the user started it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget


class InlineJobRow(QWidget):
    """A progress bar and a Cancel button for one running job; hidden when idle.

    ``on_done`` is called (on the UI thread) when the job finishes in any way.
    """

    def __init__(self, runner: Any, on_done, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.job, self._on_done = runner, None, on_done
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        lay.addWidget(self.bar, 1)
        lay.addWidget(self.cancel_button)
        runner.jobChanged.connect(self._changed)
        self.hide()

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, job: Any) -> None:
        self.job = job
        self.bar.setRange(0, 0)
        self.bar.setFormat(job.name)
        self.cancel_button.setEnabled(True)
        self.show()

    def cancel(self) -> None:
        if self.job is not None:
            self.runner.cancel(self.job.id)
            self.cancel_button.setEnabled(False)

    def _changed(self, job: Any) -> None:
        if self.job is None or job.id != self.job.id:
            return
        if job.status.done:
            self.job = None
            self.hide()
            self._on_done()
            return
        if job.fraction is not None:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(job.fraction * 1000))
        self.bar.setFormat(f"{job.message or job.name} — %p%" if job.fraction is not None
                           else job.message or job.name)
