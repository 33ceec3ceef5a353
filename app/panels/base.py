"""Base class of every tool panel, and the host interface panels talk to.

A panel reads the current track and selection from its host, runs its work
through ``submit_job`` (the one job runner, so the UI never blocks and the
jobs panel shows progress), and delivers results with ``add_track`` /
``add_layer``, which go through the undo stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ToolHost(Protocol):
    """What the main window offers to tool panels.

    Besides these methods, panels may use the main window's public attributes:
    ``view_state`` (app.viewstate.ViewState: range, selection, cursor, playhead),
    ``playback`` (app.playback_controller.PlaybackController: preview and A/B),
    ``spectrogram`` (app.views.spectrogram_pane.SpectrogramPane: overlays such as
    the piano roll draw on its plot), ``model`` (app.project_model.ProjectModel),
    ``undo_stack``, ``runner`` (app.jobs.runner.JobRunner), the signal
    ``currentTrackChanged(str)``, and ``addDockWidget`` for panes of their own.
    """

    def current_track(self) -> Any: ...

    def selection_s(self) -> tuple[float, float] | None: ...

    def submit_job(self, name: str, fn: Callable[..., Any], *args: Any,
                   on_result: Callable[[Any], None] | None = None, **kwargs: Any) -> Any: ...

    def add_track_from_job(self, audio: Any, name: str, *, kind: str = "derived",
                           source_id: str | None = None, offset_s: float = 0.0) -> Any: ...

    def add_layer_from_job(self, track_id: str, layer: Any) -> None: ...


class ToolPanel(QWidget):
    """A tool's page in the tools area.

    Subclasses set ``TITLE``, ``SUMMARY`` (what the tool does, in a musician's
    words) and, until the tool exists, ``AVAILABLE = False`` with ``PLANNED``
    describing what it will offer.  Later issues replace the placeholder by
    overriding :meth:`build`.
    """

    TITLE = "Tool"
    SUMMARY = ""
    PLANNED = ""
    AVAILABLE = False

    def __init__(self, host: ToolHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.setObjectName(f"panel{type(self).__name__}")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(12, 12, 12, 12)
        self.layout_.setSpacing(8)
        title = QLabel(self.TITLE)
        title.setObjectName("panelTitle")
        self.layout_.addWidget(title)
        summary = QLabel(self.SUMMARY)
        summary.setWordWrap(True)
        self.layout_.addWidget(summary)
        self.build()
        self.layout_.addStretch(1)

    def build(self) -> None:
        """Add the tool's controls.  The base shows that the tool is not available yet."""
        if self.AVAILABLE:
            return
        note = QLabel(f"Not available yet. {self.PLANNED}")
        note.setObjectName("panelNote")
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.PlainText)
        self.layout_.addWidget(note)
        self.status_note = note

    # -- helpers for subclasses ------------------------------------------------------------
    def current_track(self) -> Any:
        return self.host.current_track()

    def selection_s(self) -> tuple[float, float] | None:
        return self.host.selection_s()

    def submit_job(self, name: str, fn: Callable[..., Any], *args: Any,
                   on_result: Callable[[Any], None] | None = None, **kwargs: Any) -> Any:
        return self.host.submit_job(name, fn, *args, on_result=on_result, **kwargs)

    def add_track(self, audio: Any, name: str, *, kind: str = "derived",
                  source_id: str | None = None, offset_s: float = 0.0) -> Any:
        return self.host.add_track_from_job(audio, name, kind=kind, source_id=source_id,
                                            offset_s=offset_s)
