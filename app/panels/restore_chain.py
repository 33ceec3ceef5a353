"""The Restore panel's chain editor: steps in order, reorder/remove, run, save/load presets."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.restore_work import step_label


class ChainEditor(QGroupBox):
    """An ordered list of restoration steps ``(tool, params)``.

    Signals
    -------
    addRequested()
        "Add step" was pressed: the panel adds its configured tool with :meth:`add_step`.
    runRequested()
        "Run chain" was pressed.
    message(str)
        Something to tell the user (a preset saved, or why loading failed).
    """

    addRequested = Signal()
    runRequested = Signal()
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Chain", parent)
        self.setObjectName("restoreChain")
        self.name = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        self.list = QListWidget()
        self.list.setObjectName("restoreChainSteps")
        self.list.setMinimumHeight(84)
        self.list.setMaximumHeight(130)
        self.list.setToolTip("Steps run top to bottom")
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())
        lay.addWidget(self.list)

        def button(text: str, tip: str, slot, name: str) -> QPushButton:
            b = QPushButton(text)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        row = QHBoxLayout()
        self.add_button = button("Add step", "Add the tool configured above as the last step",
                                 self.addRequested.emit, "restoreChainAdd")
        self.up_button = button("▲", "Move the selected step up", lambda: self.move(-1),
                                "restoreChainUp")
        self.down_button = button("▼", "Move the selected step down", lambda: self.move(1),
                                  "restoreChainDown")
        self.remove_button = button("Remove", "Remove the selected step", self.remove_current,
                                    "restoreChainRemove")
        for b in (self.up_button, self.down_button):
            b.setFixedWidth(32)
        for b in (self.add_button, self.up_button, self.down_button, self.remove_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        row = QHBoxLayout()
        self.run_button = button("Run chain", "Apply every step in order, as one new version",
                                 self.runRequested.emit, "restoreChainRun")
        self.save_button = button("Save…", "Save the chain as a preset (JSON)", self.save_dialog,
                                  "restoreChainSave")
        self.load_button = button("Load…", "Load a chain preset", self.load_dialog,
                                  "restoreChainLoad")
        row.addWidget(self.run_button)
        row.addStretch(1)
        row.addWidget(self.save_button)
        row.addWidget(self.load_button)
        lay.addLayout(row)
        self._steps: list[tuple[str, dict]] = []
        self._update_buttons()

    # -- steps -------------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, dict]]:
        return [(t, dict(p)) for t, p in self._steps]

    def set_steps(self, steps: list[tuple[str, dict]], name: str = "") -> None:
        self._steps = [(t, dict(p)) for t, p in steps]
        self.name = name
        self._refill(0 if self._steps else -1)

    def add_step(self, tool: str, params: dict) -> None:
        self._steps.append((tool, dict(params)))
        self._refill(len(self._steps) - 1)

    def move(self, delta: int) -> None:
        i = self.list.currentRow()
        j = i + delta
        if i < 0 or not 0 <= j < len(self._steps):
            return
        self._steps[i], self._steps[j] = self._steps[j], self._steps[i]
        self._refill(j)

    def remove_current(self) -> None:
        i = self.list.currentRow()
        if 0 <= i < len(self._steps):
            del self._steps[i]
            self._refill(min(i, len(self._steps) - 1))

    def chain(self):
        """The steps as a :class:`core.restore.Chain` (checked against the tools)."""
        from core.restore.chain import Chain, ChainStep

        chain = Chain([ChainStep(t, dict(p)) for t, p in self._steps], self.name)
        for step in chain.steps:
            step.validate()
        return chain

    def _refill(self, current: int) -> None:
        self.list.clear()
        for i, (tool, params) in enumerate(self._steps, 1):
            self.list.addItem(QListWidgetItem(f"{i}. {step_label(tool, params)}"))
        if current >= 0:
            self.list.setCurrentRow(current)
        self._update_buttons()

    def _update_buttons(self) -> None:
        i, n = self.list.currentRow(), len(self._steps)
        self.up_button.setEnabled(i > 0)
        self.down_button.setEnabled(0 <= i < n - 1)
        self.remove_button.setEnabled(0 <= i < n)
        self.run_button.setEnabled(n > 0)
        self.save_button.setEnabled(n > 0)

    # -- presets -------------------------------------------------------------------------------
    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chain preset",
                                              f"{self.name or 'restore chain'}.json",
                                              "Chain presets (*.json)")
        if path:
            self.save(path)

    def load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load chain preset", "",
                                              "Chain presets (*.json)")
        if path:
            self.load(path)

    def save(self, path: str | Path) -> bool:
        from core.errors import ResonoteError
        from core.restore.chain import save_chain

        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_suffix(".json")
        try:
            chain = self.chain()
            chain.name = chain.name or path.stem
            save_chain(chain, path)
        except ResonoteError as exc:
            self.message.emit(str(exc))
            return False
        self.name = chain.name
        self.message.emit(f"Chain saved as {path.name}.")
        return True

    def load(self, path: str | Path) -> bool:
        from core.errors import ResonoteError
        from core.restore.chain import load_chain

        try:
            chain = load_chain(path)
        except ResonoteError as exc:
            self.message.emit(str(exc))
            return False
        self.set_steps([(s.tool, s.params) for s in chain.steps], chain.name or Path(path).stem)
        self.message.emit(f"Loaded chain “{self.name}” ({len(chain.steps)} steps).")
        return True
