"""Projects: tracks with layers (:mod:`.model`), save/open (:mod:`.storage`),
autosave and crash recovery (:mod:`.autosave`).  No Qt here."""

from core.project.autosave import Autosaver, RecoveryCandidate, autosave_dir, find_recoverable
from core.project.loading import load_project
from core.project.manifest import FORMAT_VERSION
from core.project.model import PALETTE, TRACK_KINDS, Layer, Project, Track, new_id
from core.project.storage import PROJECT_SUFFIX, project_folder, save_project

__all__ = [
    "FORMAT_VERSION",
    "PALETTE",
    "PROJECT_SUFFIX",
    "TRACK_KINDS",
    "Autosaver",
    "Layer",
    "Project",
    "RecoveryCandidate",
    "Track",
    "autosave_dir",
    "find_recoverable",
    "load_project",
    "new_id",
    "project_folder",
    "save_project",
]
