"""The export dialog: file name, format (from :func:`core.audio.write_formats`), bit depth."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from core.audio import write_formats

#: Bit depths offered for PCM containers: label -> core.audio.save subtype.
DEPTHS = {"16-bit": "16", "24-bit": "24", "32-bit integer": "32", "32-bit float": "32f"}
_PCM = ("WAV", "FLAC", "AIFF")
_FORMAT_NAMES = {".wav": "WAV", ".flac": "FLAC (lossless)", ".ogg": "Ogg Vorbis",
                 ".opus": "Opus", ".mp3": "MP3", ".aiff": "AIFF"}


class ExportDialog(QDialog):
    """Choose where and how to write audio."""

    def __init__(self, parent: QWidget | None, name: str, folder: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export “{name}”")
        self.setMinimumWidth(520)
        self._formats = {ext: f for ext, f in write_formats().items()
                         if ext not in (".oga", ".aif")}
        form = QFormLayout(self)
        self.format_box = QComboBox()
        for ext in self._formats:
            self.format_box.addItem(f"{_FORMAT_NAMES.get(ext, ext)} ({ext})", ext)
        self.depth_box = QComboBox()
        for label, sub in DEPTHS.items():
            self.depth_box.addItem(label, sub)
        self.depth_box.setCurrentIndex(1)
        safe = "".join(ch if ch.isalnum() or ch in " -_()" else "_" for ch in name).strip()
        self.path_edit = QLineEdit(str(Path(folder) / f"{safe or 'export'}.wav"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File:", row)
        form.addRow("Format:", self.format_box)
        form.addRow("Sample format:", self.depth_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    @property
    def extension(self) -> str:
        return self.format_box.currentData()

    def _format_changed(self) -> None:
        container = self._formats[self.extension][0]
        self.depth_box.setEnabled(container in _PCM)
        if container == "FLAC" and self.depth_box.currentData() in ("32", "32f"):
            self.depth_box.setCurrentIndex(1)  # FLAC holds at most 24 bits
        p = Path(self.path_edit.text())
        self.path_edit.setText(str(p.with_suffix(self.extension)))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(),
                                              f"*{self.extension}")
        if path:
            self.path_edit.setText(str(Path(path).with_suffix(self.extension)))

    def choice(self) -> tuple[str, str | None]:
        """(path, subtype) as chosen; subtype None for lossy formats."""
        path = str(Path(self.path_edit.text()).with_suffix(self.extension))
        container = self._formats[self.extension][0]
        return path, self.depth_box.currentData() if container in _PCM else None

    def _accept(self) -> None:
        path = Path(self.choice()[0])
        if not path.parent.is_dir():
            QMessageBox.warning(self, "Export", f"The folder '{path.parent}' does not exist.")
            return
        if path.exists() and QMessageBox.question(
                self, "Export", f"'{path.name}' exists. Replace it?") != \
                QMessageBox.StandardButton.Yes:
            return
        self.accept()

    @staticmethod
    def get_export(parent: QWidget | None, name: str, folder: str) -> tuple[str, str | None] | None:
        """Show the dialog; (path, subtype) or None when cancelled."""
        dialog = ExportDialog(parent, name, folder)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.choice()
