"""Projects in the main window: new/open/save, view settings, autosave, crash recovery."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.jobs.runner import Job
from core.project import PROJECT_SUFFIX, Project

log = logging.getLogger(__name__)
Btn = QMessageBox.StandardButton

#: How often the autosave timer checks whether an autosave is due, ms.
AUTOSAVE_TICK_MS = 10_000


def _overviews(project: Project, progress=None, cancel=None) -> dict[str, Any]:
    from core.analysis.pyramid import MinMaxPyramid
    from core.jobs import Progress, check

    pyramids = {}
    for i, t in enumerate(project.tracks):
        check(cancel)
        if progress is not None:
            progress(Progress("overview", i, len(project.tracks), f"Drawing {t.name}"))
        pyramids[t.id] = MinMaxPyramid.from_samples(t.audio.samples)
    return pyramids


def load_project_job(path: str, *, progress=None, cancel=None) -> tuple[Project, dict]:
    """Worker: open a project and build every track's waveform overview."""
    from core.project import load_project

    project = load_project(path, progress=progress or (lambda p: None), cancel=cancel)
    return project, _overviews(project, cancel=cancel)


def recover_job(candidate, *, progress=None, cancel=None) -> tuple[Project, dict]:
    """Worker: open an autosave left by a crashed session."""
    project = candidate.load(progress=progress or (lambda p: None), cancel=cancel)
    return project, _overviews(project, cancel=cancel)


def autosave_job(autosaver, project: Project, revision: int, *, progress=None, cancel=None):
    """Worker: write the autosave now (the GUI decides when one is due)."""
    return autosaver.maybe_save(project, force=True, revision=revision, cancel=cancel)


def snapshot(project: Project, view: dict) -> Project:
    """A copy of the project's structure that a worker can save while the user edits on.

    Track audio is shared (edits never modify samples in place); lists and
    attributes are copied.
    """
    tracks = [dataclasses.replace(t, layers=list(t.layers)) for t in project.tracks]
    return Project(name=project.name, tracks=tracks, view=dict(view), path=project.path)


class ProjectMixin:
    """Project behaviour of :class:`app.mainwindow.MainWindow`."""

    def _init_project_support(self, *, autosave: bool) -> None:
        self._extra_dirty = False
        self._autosaved_revision = -1
        self._last_autosave = time.monotonic()
        self._autosave_job: Job | None = None
        self.autosaver = None
        if autosave:
            from core.project import Autosaver

            self.autosaver = Autosaver(interval_s=max(60.0, self.settings.autosave_minutes * 60))
            try:
                self.autosaver.session_started()
            except Exception as exc:  # an unwritable state folder must not stop the app
                log.warning("autosave disabled: %s", exc)
                self.autosaver = None
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_TICK_MS)
        self._autosave_timer.timeout.connect(self._autosave_tick)
        if self.autosaver is not None:
            self._autosave_timer.start()
        for act in self.autosave_menu.actions():
            act.setChecked(act.data() == round(self.settings.autosave_minutes))

    def _stop_project_support(self) -> None:
        self._autosave_timer.stop()
        if self.autosaver is not None:
            self.autosaver.session_ended_cleanly()
        self._cleanup_drag_files()

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean() or getattr(self, "_extra_dirty", False)

    def _mark_saved(self) -> None:
        self.undo_stack.setClean()
        self._extra_dirty = False
        self._update_title()

    def _confirm_discard(self) -> bool:
        """Ask to save unsaved work before replacing the project; False means stop."""
        if not (self.is_modified() and self.model.tracks):
            return True
        answer = self.ask("Unsaved changes",
                          f"Save the changes to “{self.model.project.name}” first?",
                          Btn.Save | Btn.Discard | Btn.Cancel, Btn.Save)
        if answer == Btn.Save:
            self.save_project()
            return False  # the user retries once the save is done
        return answer == Btn.Discard

    # -- view settings stored in the project -----------------------------------------------------
    def collect_view(self) -> dict:
        view = {"range": list(self.view_state.range)}
        if self.view_state.has_selection:
            view["selection"] = list(self.view_state.selection[:2])
        if hasattr(self.spectrogram, "settings"):
            view["spectrogram"] = self.spectrogram.settings()
        track = self.current_track()
        if track is not None:
            view["current_track"] = track.id
        return view

    def apply_view(self, view: dict) -> None:
        try:
            if "range" in view:
                t0, t1 = (float(x) for x in view["range"])
                self.view_state.set_range(t0, t1)
            if "selection" in view:
                s0, s1 = (float(x) for x in view["selection"])
                self.view_state.set_selection(s0, s1)
            if "current_track" in view and any(t.id == view["current_track"]
                                               for t in self.model.tracks):
                self.set_current_track(view["current_track"])
            if view.get("spectrogram") and hasattr(self.spectrogram, "apply_settings"):
                self.spectrogram.apply_settings(view["spectrogram"])
        except (TypeError, ValueError, KeyError) as exc:
            log.warning("view settings of the project ignored: %s", exc)

    def _install_project(self, project: Project, pyramids: dict) -> None:
        self.view_state.clear_selection()
        self.view_state.set_duration(0.0)
        self.model.set_project(project, pyramids)
        self.undo_stack.clear()
        self.apply_view(project.view or {})
        self._update_title()
        if project.problems:
            self.show_error("Some parts could not be opened",
                            "\n".join(f"• {p}" for p in project.problems))

    # -- new / open ----------------------------------------------------------------------------------
    def new_project(self) -> None:
        if not self._confirm_discard():
            return
        self._install_project(Project(), {})
        self._extra_dirty = False
        self._update_title()

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open project folder (*.resonote)",
                                                  self.settings.last_folder)
        if folder:
            self.open_project(folder)

    def open_project(self, path: str | Path) -> Job | None:
        """Open a project folder (or its project.json) on a worker, replacing this project."""
        if not self._confirm_discard():
            return None
        p = Path(path)
        if p.name == "project.json":
            p = p.parent
        return self.runner.submit(
            f"Open project {p.stem}", load_project_job, str(p), options={"path": str(p)},
            on_result=lambda r, p=p: self._project_loaded(p, r),
            on_error=lambda m, p=p: self.show_error(f"Cannot open {p.name}", m))

    def _project_loaded(self, path: Path, result: tuple[Project, dict]) -> None:
        project, pyramids = result
        self._install_project(project, pyramids)
        self._extra_dirty = False
        self.settings.add_recent_file(str(path))
        self.settings.last_folder = str(path.parent)
        self.statusBar().showMessage(f"Opened project {project.name}", 4000)

    # -- save -----------------------------------------------------------------------------------------
    def save_project(self, *, on_saved: Callable[[], None] | None = None) -> Job | None:
        project = self.model.project
        if project.path is None:
            return self.save_project_as(on_saved=on_saved)
        return self.save_project_to(project.path, on_saved=on_saved)

    def save_project_as(self, *, on_saved: Callable[[], None] | None = None) -> Job | None:
        name = self.model.project.name
        start = str(Path(self.settings.last_folder) / f"{name}{PROJECT_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", start,
                                              f"Resonote project (*{PROJECT_SUFFIX})")
        if not path:
            return None
        return self.save_project_to(path, on_saved=on_saved)

    def save_project_to(self, folder: str | Path, *,
                        on_saved: Callable[[], None] | None = None) -> Job:
        """Save on a worker into ``folder`` (``.resonote`` appended when missing)."""
        from core.project import project_folder, save_project

        dest = project_folder(folder)
        project = self.model.project
        if project.name in ("", "Untitled"):
            project.name = dest.stem
        snap = snapshot(project, self.collect_view())
        clean_index = self.undo_stack.index()

        def saved(path: Path) -> None:
            project.path = Path(path)
            project.view = snap.view
            if self.undo_stack.index() == clean_index:
                self._mark_saved()  # else: edits made while saving stay unsaved
            self.settings.add_recent_file(str(path))
            self.settings.last_folder = str(Path(path).parent)
            self.statusBar().showMessage(f"Saved {Path(path).name}", 4000)
            self._update_title()
            if on_saved is not None:
                on_saved()

        return self.runner.submit(
            f"Save {dest.name}", save_project, snap, str(dest), options={"path": str(dest)},
            on_result=saved, on_error=lambda m: self.show_error("Cannot save the project", m))

    # -- autosave ----------------------------------------------------------------------------------
    def set_autosave_minutes(self, minutes: float) -> None:
        self.settings.autosave_minutes = minutes
        for act in self.autosave_menu.actions():
            act.setChecked(act.data() == minutes)
        if self.autosaver is not None:
            self.autosaver.interval_s = max(60.0, minutes * 60)

    def _autosave_tick(self) -> None:
        minutes = self.settings.autosave_minutes
        if minutes <= 0 or self.autosaver is None:
            return
        if time.monotonic() - self._last_autosave < minutes * 60:
            return
        if self.model.revision != self._autosaved_revision:
            self.autosave_now()

    def autosave_now(self, on_done: Callable[[], None] | None = None) -> Job | None:
        """Autosave the project on a quiet background job (no-op without an autosaver)."""
        if self.autosaver is None:
            return None
        if self._autosave_job is not None and not self._autosave_job.status.done:
            return self._autosave_job
        revision = self.model.revision
        snap = snapshot(self.model.project, self.collect_view())

        def done(_path: Any) -> None:
            self._autosaved_revision = revision
            self._last_autosave = time.monotonic()
            if on_done is not None:
                on_done()

        self._autosave_job = self.runner.submit(
            "Autosave", autosave_job, self.autosaver, snap, revision, quiet=True,
            on_result=done, on_error=lambda m: self.statusBar().showMessage(m, 8000))
        return self._autosave_job

    # -- crash recovery ----------------------------------------------------------------------------
    def recoverable_projects(self) -> list:
        """Autosaves left by sessions that crashed (newest first)."""
        from core.project import find_recoverable

        try:
            return find_recoverable()
        except Exception as exc:
            log.warning("cannot look for autosaves: %s", exc)
            return []

    def offer_recovery(self) -> Job | None:
        """Ask whether to recover the newest crashed session's autosave (called at start-up)."""
        candidates = self.recoverable_projects()
        if not candidates:
            return None
        c = candidates[0]
        when = c.saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
        answer = self.ask(
            "Recover unsaved work?",
            f"Resonote did not close properly last time.\n\nAn autosave of “{c.project_name}” "
            f"from {when} can be recovered.\n\nRecover it now? (Discard deletes it.)",
            Btn.Yes | Btn.No | Btn.Discard, Btn.Yes)
        if answer == Btn.Yes:
            return self.recover(c)
        if answer == Btn.Discard:
            c.discard()
        return None

    def recover(self, candidate) -> Job:
        """Open ``candidate`` (a :class:`core.project.RecoveryCandidate`) on a worker."""

        def loaded(result: tuple[Project, dict]) -> None:
            project, pyramids = result
            self._install_project(project, pyramids)
            self._extra_dirty = True  # recovered work is not saved anywhere yet
            self._update_title()
            self.statusBar().showMessage(f"Recovered {project.name}", 6000)
            # Once this session holds its own autosave the old one can go.
            if self.autosave_now(on_done=candidate.discard) is None:
                candidate.discard()

        return self.runner.submit(
            f"Recover {candidate.project_name}", recover_job, candidate,
            on_result=loaded,
            on_error=lambda m: self.show_error("Cannot recover the project", m))
