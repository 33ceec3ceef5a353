"""A model chooser with install state and a Download button (a job: progress, cancel, resume)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


def _download(name: str, *, progress=None, cancel=None) -> Any:
    from core import models

    return models.download(name, progress=progress, cancel=cancel)


class ModelRow(QWidget):
    """Combo of the registry's models of one task + state + Download/Cancel.

    Signals
    -------
    changed()
        The chosen model or its install state changed.
    """

    changed = Signal()

    def __init__(self, host: Any, task: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host, self.task = host, task
        self.job = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(14)
        self.combo.currentIndexChanged.connect(lambda *_: self.refresh_state())
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.button = QPushButton("Download")
        self.button.clicked.connect(self._clicked)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(110)
        self.bar.hide()
        lay.addWidget(self.combo, 1)
        lay.addWidget(self.button)
        lay.addWidget(self.bar)
        host.runner.jobChanged.connect(self._job_changed)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the registry (e.g. after a test registered a model)."""
        from core import models

        keep = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        for spec in models.all_models(self.task):
            self.combo.addItem(spec.name, spec.name)
            self.combo.setItemData(self.combo.count() - 1, spec.description, 3)  # tooltip
        i = self.combo.findData(keep)
        self.combo.setCurrentIndex(max(i, 0))
        self.combo.blockSignals(False)
        self.refresh_state()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        # A model may have been downloaded elsewhere (CLI, another panel) meanwhile.
        super().showEvent(event)
        if self.job is None:
            self.refresh_state()

    def name(self) -> str | None:
        return self.combo.currentData()

    def set_name(self, name: str) -> None:
        self.refresh()
        self.combo.setCurrentIndex(self.combo.findData(name))

    def installed(self) -> bool:
        from core import models

        n = self.name()
        return bool(n) and models.status(n).installed

    def message(self) -> str:
        """What the state label says (also used in the section's hint)."""
        from core import models

        n = self.name()
        if not n:
            return "No model of this kind is registered."
        st = models.status(n)
        if st.installed:
            return "✓ ready"
        size = models.get(n).size_bytes / 1e6
        what = f" ({size:.0f} MB)" if size else ""
        if st.state == "partial":
            return f"Download interrupted{what}. Download resumes it."
        return f"Not downloaded yet{what}. Download it once; after that it works offline."

    def refresh_state(self) -> None:
        ok = self.installed()
        busy = self.job is not None
        self.state.setText(self.message())
        self.button.setText("Cancel" if busy else "Download")
        self.button.setVisible(busy or not ok)
        self.bar.setVisible(busy)
        self.changed.emit()

    def _clicked(self) -> None:
        if self.job is not None:
            self.host.runner.cancel(self.job.id)
            return
        n = self.name()
        if not n:
            return
        self.bar.setRange(0, 0)
        self.job = self.host.runner.submit(
            f"Download {n}", _download, n, on_result=self._done, on_error=self._failed,
            on_cancel=self._cancelled, options={"model": n})
        self.refresh_state()

    def _job_changed(self, job: Any) -> None:
        if self.job is not None and job.id == self.job.id and job.fraction is not None:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(job.fraction * 1000))

    def _done(self, _path: Any) -> None:
        self.job = None
        self.refresh_state()

    def _failed(self, message: str) -> None:
        self.job = None
        self.refresh_state()
        self.state.setText(f"Download failed: {message}")

    def _cancelled(self) -> None:
        self.job = None
        self.refresh_state()
