"""Persistent user settings (QSettings, INI format).

Everything the app remembers between runs goes through :class:`Settings`:
theme, recent files, window layout, autosave interval, snapping.  The
storage location is the platform's usual config folder; ``RESONOTE_CONFIG_DIR``
redirects it (tests and benchmarks point it at a temporary folder so they
never touch a user's real settings).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "Resonote"
APPLICATION = "Resonote"
MAX_RECENT = 10


def configure_storage() -> None:
    """Use INI files, under ``$RESONOTE_CONFIG_DIR`` when that is set."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    folder = os.environ.get("RESONOTE_CONFIG_DIR")
    if folder:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)


class Settings:
    """Typed access to the app's QSettings."""

    def __init__(self) -> None:
        configure_storage()
        self._qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                             ORGANIZATION, APPLICATION)

    @property
    def file_name(self) -> str:
        return self._qs.fileName()

    def sync(self) -> None:
        self._qs.sync()

    # -- simple values -----------------------------------------------------------
    def _get(self, key: str, default, kind):
        value = self._qs.value(key, default)
        try:
            if kind is bool and isinstance(value, str):
                return value.lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    @property
    def theme(self) -> str:
        t = self._get("ui/theme", "dark", str)
        return t if t in ("dark", "light") else "dark"

    @theme.setter
    def theme(self, value: str) -> None:
        self._qs.setValue("ui/theme", value)

    @property
    def autosave_minutes(self) -> float:
        """Minutes between autosaves; 0 turns autosave off."""
        return max(0.0, self._get("project/autosave_minutes", 2.0, float))

    @autosave_minutes.setter
    def autosave_minutes(self, value: float) -> None:
        self._qs.setValue("project/autosave_minutes", float(value))

    @property
    def snap_to_zero(self) -> bool:
        return self._get("edit/snap_to_zero", False, bool)

    @snap_to_zero.setter
    def snap_to_zero(self, value: bool) -> None:
        self._qs.setValue("edit/snap_to_zero", bool(value))

    @property
    def last_folder(self) -> str:
        return self._get("files/last_folder", str(Path.home()), str)

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._qs.setValue("files/last_folder", str(value))

    # -- recent files --------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self._qs.value("files/recent", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])][:MAX_RECENT]

    def add_recent_file(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != path]
        files.insert(0, path)
        files = files[:MAX_RECENT]
        self._qs.setValue("files/recent", files)
        return files

    def remove_recent_file(self, path: str) -> list[str]:
        files = [f for f in self.recent_files() if f != path]
        self._qs.setValue("files/recent", files)
        return files

    def clear_recent_files(self) -> None:
        self._qs.setValue("files/recent", [])

    # -- window layout -------------------------------------------------------------
    def window_layout(self) -> tuple[QByteArray | None, QByteArray | None]:
        geo = self._qs.value("window/geometry")
        state = self._qs.value("window/state")
        return (geo if isinstance(geo, QByteArray) else None,
                state if isinstance(state, QByteArray) else None)

    def set_window_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.setValue("window/state", state)

    # -- free-form per-view settings (spectrogram etc.) ---------------------------------
    def view_settings(self, name: str) -> dict:
        import json

        raw = self._get(f"views/{name}", "", str)
        try:
            value = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def set_view_settings(self, name: str, value: dict) -> None:
        import json

        self._qs.setValue(f"views/{name}", json.dumps(value))
