"""Errors of the music generator (all :class:`~core.errors.ResonoteError`)."""

from __future__ import annotations

from core.errors import ModelNotInstalledError, ResonoteError


class GeneratorError(ResonoteError):
    """Music generation failed for a reason the user can act on."""


class GeneratorNotTrainedError(GeneratorError, ModelNotInstalledError):
    """The embedded generator has no trained weights yet."""
