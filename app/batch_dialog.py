"""The batch dialog: every audio file of a folder through one tool, from the window.

``open_batch_dialog(window, tool)`` shows a small non-modal dialog: the tool, a few of
its options (the rest as command-line text), input and output folders, and how many
files run at once.  Run builds the same arguments as ``resonote batch ...``, parses
them with the command line's own parsers (so every option is checked the same way),
and runs :func:`core.batch.run_batch` through ``window.runner``: the jobs panel shows
the batch's per-file progress and can cancel it.  The summary appears in the dialog.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.batch.tools import TOOLS


@dataclass(frozen=True)
class Field:
    """One preset option: shown as a widget, passed as ``flag VALUE`` (or ``flag``)."""

    label: str
    flag: str
    kind: str  # "float", "int", "choice", "check", "text"
    default: Any = None
    choices: tuple = ()
    lo: float = -1e9
    hi: float = 1e9


#: The few options each tool shows; anything else goes in "More options".
PRESETS: dict[str, tuple[Field, ...]] = {
    "restore loudness": (Field("Target (LUFS)", "--target", "float", -14.0, lo=-40, hi=0),
                         Field("Peak ceiling (dBTP)", "--true-peak", "float", -1.0, lo=-12,
                               hi=0)),
    "restore denoise": (Field("Method", "--method", "choice", "deepfilter",
                              ("deepfilter", "rnnoise", "gate")),
                        Field("Mix", "--mix", "float", 1.0, lo=0, hi=1)),
    "restore declip": (),
    "restore declick": (Field("Sensitivity", "--sensitivity", "float", 0.5, lo=0, hi=1),),
    "restore dehum": (Field("Hum frequency", "--freq", "choice", "auto", ("auto", "50", "60")),),
    "restore dereverb": (Field("Mix", "--mix", "float", 1.0, lo=0, hi=1),),
    "restore chain": (Field("Chain preset (JSON)", "--preset", "text", ""),),
    "transcribe speech": (Field("Language (en, de... empty: detect)", "--language", "text", ""),
                          Field("Beam size", "--beam-size", "int", 5, lo=1, hi=20)),
    "transcribe notes": (Field("Quantise to the beat", "--quantize", "check", False),),
    "separate": (Field("Method / model", "--model", "choice", "hpss",
                       ("hpss", "repet", "midside", "htdemucs", "htdemucs_ft", "htdemucs_6s")),
                 Field("Stems (empty: all)", "--stems", "text", "")),
    "convert": (Field("Mix down to mono", "--mono", "check", False),
                Field("Sample rate (0: keep)", "--sr", "int", 0, lo=0, hi=384000)),
    "spectrogram": (Field("Frequency scale", "--scale", "choice", "log",
                          ("log", "linear", "mel")),),
    "info": (Field("Also measure levels", "--levels", "check", False),),
}

_SAME = "same as input"


def tool_label(name: str) -> str:
    """``"restore loudness"`` -> ``"Restore: loudness"``."""
    head, _, rest = name.partition(" ")
    return f"{head.capitalize()}: {rest}" if rest else head.capitalize()


class BatchDialog(QDialog):
    """Pick a tool, its options and two folders; run the batch as one job."""

    def __init__(self, window: Any, tool: Optional[str] = None) -> None:
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Batch: process a folder")
        self.setObjectName("batchDialog")
        self.job = None
        self.summary = None
        self._fields: dict[str, QWidget] = {}
        outer = QVBoxLayout(self)
        form = self.form = QFormLayout()
        self.tool_combo = QComboBox()
        for name in TOOLS:
            self.tool_combo.addItem(tool_label(name), name)
        form.addRow("Tool", self.tool_combo)
        self.extra_edit = QLineEdit()
        self.extra_edit.setPlaceholderText("more options as on the command line, e.g. --bits 24")
        form.addRow("More options", self.extra_edit)
        self.format_combo = QComboBox()
        form.addRow("Output format", self.format_combo)
        self.in_edit, in_row = self._folder_row("Choose the folder of audio files")
        form.addRow("Input folder", in_row)
        self.count_label = QLabel()
        self.count_label.setObjectName("laneInfo")
        form.addRow("", self.count_label)
        self.out_edit, out_row = self._folder_row("Choose where the results go")
        form.addRow("Output folder", out_row)
        self.jobs_spin = QSpinBox()
        self.jobs_spin.setRange(1, max(1, os.cpu_count() or 1) * 2)
        self.jobs_spin.setValue(1)
        self.jobs_spin.setToolTip("Files processed at once, each in its own worker process")
        form.addRow("Files at once", self.jobs_spin)
        self.force_check = QCheckBox("Redo files that are already done")
        form.addRow("", self.force_check)
        outer.addLayout(form)
        self.summary_view = QPlainTextEdit()
        self.summary_view.setReadOnly(True)
        self.summary_view.setMinimumHeight(110)
        self.summary_view.setPlaceholderText("The summary appears here when the batch ends; "
                                             "progress shows in the Jobs panel.")
        outer.addWidget(self.summary_view)
        buttons = QDialogButtonBox()
        self.run_button = buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button = buttons.addButton("Open output folder",
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.open_button.clicked.connect(self._open_output)
        self.close_button.clicked.connect(self.close)
        outer.addWidget(buttons)
        self.tool_combo.currentIndexChanged.connect(self._tool_changed)
        self.in_edit.textChanged.connect(self._count_files)
        if tool is not None:
            index = self.tool_combo.findData(tool)
            if index < 0:
                raise ValueError(f"unknown batch tool {tool!r}")
            self.tool_combo.setCurrentIndex(index)
        self._tool_changed()
        self._count_files()
        self.resize(560, self.sizeHint().height())

    # -- building ------------------------------------------------------------------------
    def _folder_row(self, caption: str) -> tuple[QLineEdit, QWidget]:
        edit = QLineEdit()
        button = QPushButton("Browse…")
        button.clicked.connect(lambda: self._browse(edit, caption))
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        lay.addWidget(button)
        return edit, row

    def _browse(self, edit: QLineEdit, caption: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, caption, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)

    @property
    def tool(self) -> str:
        return self.tool_combo.currentData()

    def _tool_changed(self) -> None:
        for w in self._fields.values():
            self.form.removeRow(w)  # the tool's option rows sit right below "Tool"
        self._fields.clear()
        for i, f in enumerate(PRESETS.get(self.tool, ())):
            w = self._make_widget(f)
            self._fields[f.flag] = w
            self.form.insertRow(1 + i, f.label, w)
        spec = TOOLS[self.tool]
        self.format_combo.clear()
        if spec.kind == "folder":
            self.format_combo.addItem("a folder of stems per file", None)
        else:
            if spec.default_ext is None:
                self.format_combo.addItem(_SAME, None)
            for ext in spec.extensions:
                self.format_combo.addItem(ext.lstrip("."), ext.lstrip("."))
        self.format_combo.setEnabled(self.format_combo.count() > 1)

    @staticmethod
    def _make_widget(f: Field) -> QWidget:
        if f.kind == "float":
            w = QDoubleSpinBox()
            w.setRange(f.lo, f.hi)
            w.setDecimals(2)
            w.setSingleStep(0.5 if f.hi - f.lo > 2 else 0.05)
            w.setValue(f.default)
        elif f.kind == "int":
            w = QSpinBox()
            w.setRange(int(f.lo), int(f.hi))
            w.setValue(f.default)
        elif f.kind == "choice":
            w = QComboBox()
            w.addItems(list(f.choices))
            w.setCurrentText(f.default)
        elif f.kind == "check":
            w = QCheckBox()
            w.setChecked(bool(f.default))
        else:
            w = QLineEdit(f.default or "")
        return w

    def _count_files(self) -> None:
        from core.batch import find_audio
        from core.errors import ResonoteError

        text = self.in_edit.text().strip()
        if not text:
            self.count_label.setText("")
            return
        try:
            n = len(find_audio(text))
        except (ResonoteError, OSError):
            self.count_label.setText("This folder does not exist.")
            return
        self.count_label.setText(f"{n} audio file{'s' if n != 1 else ''} (subfolders included)")

    # -- running -------------------------------------------------------------------------
    def argv(self) -> list[str]:
        """The ``resonote batch ...`` arguments this dialog describes."""
        args = ["batch", *self.tool.split(), self.in_edit.text().strip(),
                "-o", self.out_edit.text().strip()]
        for f in PRESETS.get(self.tool, ()):
            w = self._fields[f.flag]
            if f.kind == "float":
                args += [f.flag, f"{w.value():g}"]
            elif f.kind == "int":
                if w.value() or f.flag != "--sr":
                    args += [f.flag, str(w.value())]
            elif f.kind == "choice":
                args += [f.flag, w.currentText()]
            elif f.kind == "check":
                args += [f.flag] if w.isChecked() else []
            elif w.text().strip():
                args += [f.flag, w.text().strip()]
        args += shlex.split(self.extra_edit.text())
        ext = self.format_combo.currentData()
        if ext:
            args += ["--out-ext", ext]
        args += ["--jobs", str(self.jobs_spin.value())]
        if self.force_check.isChecked():
            args.append("--force")
        return args

    def parse(self):
        """Parse :meth:`argv` with the command line's parser; raise ValueError with its message."""
        from core.cli import build_parser

        if not self.in_edit.text().strip() or not self.out_edit.text().strip():
            raise ValueError("Choose an input folder and an output folder.")
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                return build_parser().parse_args(self.argv())
        except SystemExit:
            lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
            msg = lines[-1] if lines else "The options are not valid."
            raise ValueError(msg.split("error: ", 1)[-1]) from None

    def start(self) -> None:
        """Check the options and submit the batch to the window's job runner."""
        from core.batch import run_batch, tool_options

        try:
            args = self.parse()
        except ValueError as exc:
            self.summary_view.setPlainText(f"Cannot start: {exc}")
            return
        self.summary = None
        self.summary_view.setPlainText(f"Running {tool_label(self.tool)} on "
                                       f"{args.input} … (see the Jobs panel)")
        self.run_button.setEnabled(False)
        self.job = self.window_.runner.submit(
            f"Batch {tool_label(self.tool)}", run_batch, args.batch_tool, args.input,
            args.output, tool_options(args), out_ext=getattr(args, "out_ext", None),
            force=args.force, jobs=args.jobs, retries=args.retries, report=args.report,
            worker_processes=True, on_result=self._finished, on_error=self._failed,
            on_cancel=self._cancelled,
            options={"tool": self.tool, "input": args.input, "output": args.output,
                     "jobs": args.jobs})

    def _finished(self, summary) -> None:
        self.summary = summary
        lines = [summary.line() + f" ({summary.workers})"]
        lines += [f"failed: {f.input}: {f.error}" for f in summary.failed]
        lines.append(f"Report: {summary.report_csv}")
        self.summary_view.setPlainText("\n".join(lines))
        self.run_button.setEnabled(True)
        if hasattr(self.window_, "statusBar"):
            self.window_.statusBar().showMessage(f"Batch done: {summary.line()}", 8000)

    def _failed(self, message: str) -> None:
        self.summary_view.setPlainText(f"The batch stopped: {message}")
        self.run_button.setEnabled(True)

    def _cancelled(self) -> None:
        self.summary_view.setPlainText("The batch was cancelled; finished files are kept and "
                                       "a new run skips them.")
        self.run_button.setEnabled(True)

    def _open_output(self) -> None:
        folder = self.out_edit.text().strip()
        if folder and Path(folder).is_dir():
            QDesktopServices.openUrl(QUrl.fromLocalFile(folder))


def open_batch_dialog(window: Any, tool: Optional[str] = None) -> BatchDialog:
    """Show the batch dialog (non-modal) over ``window``; ``tool`` preselects a tool.

    ``window`` needs ``runner`` (app.jobs.runner.JobRunner).  ``tool`` is a command path
    of :data:`core.batch.tools.TOOLS` such as ``"restore loudness"`` or ``"separate"``.
    Returns the dialog (kept alive by its parent).
    """
    dialog = BatchDialog(window, tool)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    dialog.show()
    dialog.raise_()
    return dialog


def batch_button(host: Any, tool: str | Callable[[], str],
                 parent: Optional[QWidget] = None) -> QPushButton:
    """A "Process a folder…" button for a tool panel.

    ``tool`` is the batch tool's command path, or a callable returning it when the
    panel's current choice decides (e.g. the restore panel's selected operation).
    """
    button = QPushButton("Process a folder…", parent)
    button.setToolTip("Run this tool on every audio file of a folder (batch)")
    button.clicked.connect(
        lambda: open_batch_dialog(host, tool() if callable(tool) else tool))
    return button
