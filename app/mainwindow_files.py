"""Opening audio (menu, drop, recent files, command line), exporting, dragging tracks out."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QDrag, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.jobs.runner import Job
from app.mainwindow_export import ExportDialog
from app.tracks.area import TRACK_MIME
from core.audio import Audio
from core.errors import NonFiniteAudioError
from core.project import PROJECT_SUFFIX, Track

AUDIO_PATTERNS = ("*.wav *.flac *.mp3 *.ogg *.oga *.opus *.aif *.aiff *.m4a *.aac *.wma "
                  "*.mp4 *.mkv *.webm *.caf *.w64 *.rf64")
#: Tracks shorter than this are written synchronously when dragged out.
DRAG_SYNC_MAX_S = 600.0


class _NeedsCleaning:
    """Result of an open job whose file has NaN/Inf samples (asks the user first)."""

    def __init__(self, message: str, count: int) -> None:
        self.message, self.count = message, count


def load_for_track(path: str, nonfinite: str = "error", *, progress=None, cancel=None):
    """Worker: decode ``path`` and build its waveform overview.

    Returns ``(audio, pyramid)``, or :class:`_NeedsCleaning` when the file holds
    invalid samples and ``nonfinite == "error"``.
    """
    from core.analysis.open_fast import load_with_pyramid
    from core.jobs import no_progress

    try:
        audio, pyramid, _ = load_with_pyramid(path, nonfinite=nonfinite,
                                              progress=progress or no_progress, cancel=cancel)
    except NonFiniteAudioError as exc:
        return _NeedsCleaning(str(exc), exc.count)
    return audio, pyramid


def is_project_path(path: Path) -> bool:
    return (path.is_dir() and (path.suffix.lower() == PROJECT_SUFFIX
                               or (path / "project.json").is_file())) or (
        path.name == "project.json" and path.is_file())


class FilesMixin:
    """Open/export behaviour for :class:`app.mainwindow.MainWindow`."""

    # -- opening -------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        patterns = f"Audio files ({AUDIO_PATTERNS});;Resonote projects (project.json);;All files (*)"
        paths, _ = QFileDialog.getOpenFileNames(self, "Open audio or project",
                                                self.settings.last_folder, patterns)
        for path in paths:
            self.open_path(path)

    def open_path(self, path: str | Path) -> Job | None:
        """Open an audio file as a new track, or a project (folder or project.json)."""
        p = Path(path)
        if is_project_path(p):
            return self.open_project(p)
        self.settings.last_folder = str(p.parent)
        return self.open_audio(p)

    def open_audio(self, path: str | Path, *, nonfinite: str = "error") -> Job:
        """Decode ``path`` on a worker; the track appears (undoably) when it is ready."""
        p = Path(path)
        return self.runner.submit(
            f"Open {p.name}", load_for_track, str(p), nonfinite,
            options={"path": str(p), "nonfinite": nonfinite},
            on_result=lambda result, p=p: self._audio_loaded(p, result),
            on_error=lambda message, p=p: self._open_failed(p, message))

    def _audio_loaded(self, path: Path, result: Any) -> None:
        if isinstance(result, _NeedsCleaning):
            answer = self.ask("Invalid samples",
                              f"{result.message}\n\nClean the {result.count:,} invalid samples "
                              "(replace them with silence) and open the file?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                              QMessageBox.StandardButton.Yes)
            if answer == QMessageBox.StandardButton.Yes:
                self.open_audio(path, nonfinite="clean")
            return
        audio, pyramid = result
        track = Track(name=path.stem, audio=audio, source_path=str(path))
        self.add_track(track, pyramid=pyramid, text=f"Open “{path.name}”")
        self._remember_recent(path)
        self.statusBar().showMessage(f"Opened {path.name}", 4000)

    def _open_failed(self, path: Path, message: str) -> None:
        self.show_error(f"Cannot open {path.name}", message)

    def _remember_recent(self, path: Path) -> None:
        self.settings.add_recent_file(str(path))

    # -- recent files --------------------------------------------------------------------------
    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.settings.recent_files()
        for i, f in enumerate(files, start=1):
            act = menu.addAction(f"&{i % 10} {Path(f).name}")
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _c=False, f=f: self.open_recent(f))
        if not files:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Recent Files")
        clear.triggered.connect(self.settings.clear_recent_files)
        clear.setEnabled(bool(files))

    def open_recent(self, path: str) -> Job | None:
        if not Path(path).exists():
            self.settings.remove_recent_file(path)
            self.show_error("File not found", f"'{path}' no longer exists; "
                            "it was removed from the recent files.")
            return None
        return self.open_path(path)

    # -- drag and drop onto the window ---------------------------------------------------------
    def _local_paths(self, mime: QMimeData) -> list[str]:
        if mime.hasFormat(TRACK_MIME) or not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]

    def dragEnterEvent(self, e: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if self._local_paths(e.mimeData()):
            e.acceptProposedAction()
        else:
            e.ignore()

    def dragMoveEvent(self, e) -> None:  # noqa: N802
        if self._local_paths(e.mimeData()):
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent) -> None:  # noqa: N802
        paths = self._local_paths(e.mimeData())
        if not paths:
            e.ignore()
            return
        e.acceptProposedAction()
        for p in paths:
            self.open_path(p)

    # -- export -----------------------------------------------------------------------------------
    def open_batch(self, tool: str | None = None):
        """Show the batch dialog (app/batch_dialog.py): one tool over a folder of files."""
        from app.batch_dialog import open_batch_dialog

        return open_batch_dialog(self, tool)

    def export_selection(self) -> Job | None:
        track = self.current_track()
        if track is None:
            return None
        sel = self.selection_s()
        if sel is None:
            self.show_error("Export selection", "Select a time range first (drag on a track), "
                            "or use Export Track (Ctrl+Shift+E) for the whole track.")
            return None
        audio = track.audio.slice_seconds(sel[0] - track.offset_s, sel[1] - track.offset_s)
        if audio.frames == 0:
            self.show_error("Export selection", "The selection does not overlap this track.")
            return None
        return self._export_with_dialog(audio, f"{track.name} (selection)")

    def export_track(self, track_id: str | None = None) -> Job | None:
        track = self.model.track(track_id) if track_id else self.current_track()
        if track is None:
            return None
        return self._export_with_dialog(track.audio, track.name)

    def _export_with_dialog(self, audio: Audio, name: str) -> Job | None:
        choice = ExportDialog.get_export(self, name, self.settings.last_folder)
        if choice is None:
            return None
        path, subtype = choice
        self.settings.last_folder = str(Path(path).parent)
        return self.export_audio(audio, path, subtype=subtype)

    def export_audio(self, audio: Audio, path: str | Path, *, subtype: str | None = None) -> Job:
        """Write ``audio`` to ``path`` on a worker (the dialog already confirmed overwrite)."""
        from core.audio import save

        p = Path(path)
        return self.runner.submit(
            f"Export {p.name}", save, audio, str(p), subtype=subtype, overwrite=True,
            options={"path": str(p), "subtype": subtype},
            on_result=lambda _r, p=p: self.statusBar().showMessage(f"Exported {p}", 6000),
            on_error=lambda m, p=p: self.show_error(f"Cannot export {p.name}", m))

    # -- dragging a track out as a file ------------------------------------------------------------
    def track_mime_data(self, track_id: str) -> QMimeData | None:
        """Mime data for dragging a track: its id (to reorder) and a WAV file url.

        The WAV is written to a temporary folder now for tracks up to
        :data:`DRAG_SYNC_MAX_S`; longer ones are exported by a job first and
        the drag offers the file once it is ready (the user drags again).
        """
        track = self.model.track(track_id)
        mime = QMimeData()
        mime.setData(TRACK_MIME, track_id.encode())
        path = self._drag_file(track)
        if path is not None:
            mime.setUrls([QUrl.fromLocalFile(str(path))])
        return mime

    def _drag_file(self, track: Track) -> Path | None:
        from core.audio import save

        if not hasattr(self, "_drag_dir"):
            self._drag_dir = tempfile.TemporaryDirectory(prefix="resonote-drag-")
            self._drag_files: dict[tuple[str, int], Path] = {}
        key = (track.id, id(track.audio))
        ready = self._drag_files.get(key)
        if ready is not None and ready.exists():
            return ready
        safe = "".join(ch if ch.isalnum() or ch in " -_()" else "_" for ch in track.name).strip()
        dest = Path(self._drag_dir.name) / f"{safe or 'track'}.wav"
        if track.audio.duration_s <= DRAG_SYNC_MAX_S:
            save(track.audio, dest, subtype="24", overwrite=True)
            self._drag_files[key] = dest
            return dest
        if getattr(self, "_drag_job_key", None) != key:
            self._drag_job_key = key

            def done(_result: Any, key=key, dest=dest) -> None:
                self._drag_files[key] = dest
                self.statusBar().showMessage(
                    f"“{track.name}” is ready: drag it out of Resonote again.", 8000)

            self.runner.submit(f"Prepare {dest.name} for dragging", save, track.audio, str(dest),
                               subtype="24", overwrite=True, on_result=done)
        self.statusBar().showMessage(
            f"Preparing “{track.name}” as a WAV file for dragging (see Jobs)…", 8000)
        return None

    def start_track_drag(self, track_id: str) -> None:
        from PySide6.QtCore import Qt

        mime = self.track_mime_data(track_id)
        lane = self.tracks_area.lane(track_id)
        drag = QDrag(lane or self)
        drag.setMimeData(mime)
        if lane is not None:
            drag.setPixmap(lane.header.grab().scaledToWidth(180))
        drag.exec(Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, Qt.DropAction.CopyAction)

    def _cleanup_drag_files(self) -> None:
        d = getattr(self, "_drag_dir", None)
        if d is not None:
            d.cleanup()
            self._drag_dir = None
            del self._drag_dir
