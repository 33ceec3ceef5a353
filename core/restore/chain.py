"""Chains: several restoration steps applied in order, saved and loaded as JSON presets.

A preset file looks like::

    {"format": "resonote-restore-chain", "version": 1, "name": "guitar take",
     "steps": [{"tool": "dehum", "params": {"fundamental_hz": 50, "harmonics": 8}},
               {"tool": "declip", "params": {}},
               {"tool": "loudness", "params": {"target_lufs": -14}}]}

``params`` are the tool's keyword parameters (see :data:`TOOLS`); they are checked
against the tool's signature when the chain is built or loaded.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from core.audio import Audio
from core.errors import InvalidParameterError, ProjectError
from core.jobs import CancelToken, Progress, ProgressCallback, no_progress
from core.restore.common import RestoreResult

FORMAT = "resonote-restore-chain"
VERSION = 1


def _tools() -> dict[str, Callable[..., RestoreResult]]:
    from core.restore.declick import declick
    from core.restore.declip import declip
    from core.restore.dehum import dehum
    from core.restore.denoise import denoise
    from core.restore.dereverb import dereverb
    from core.restore.loudness import normalize_loudness

    return {"denoise": denoise, "declip": declip, "declick": declick, "dehum": dehum,
            "dereverb": dereverb, "loudness": normalize_loudness}


#: Tool names usable in a chain, in a sensible default order.
TOOLS = ("dehum", "declip", "declick", "denoise", "dereverb", "loudness")


@dataclass
class ChainStep:
    """One step: a tool name from :data:`TOOLS` and its keyword parameters."""

    tool: str
    params: dict = field(default_factory=dict)

    def validate(self) -> None:
        tools = _tools()
        if self.tool not in tools:
            raise InvalidParameterError(
                f"Unknown restoration tool {self.tool!r}; choose one of {', '.join(TOOLS)}.")
        sig = inspect.signature(tools[self.tool])
        allowed = {n for n, p in sig.parameters.items()
                   if p.kind is p.KEYWORD_ONLY and n not in ("progress", "cancel")}
        unknown = sorted(set(self.params) - allowed)
        if unknown:
            raise InvalidParameterError(
                f"{self.tool} has no setting {', '.join(unknown)}; "
                f"its settings are {', '.join(sorted(allowed))}.")


@dataclass
class Chain:
    """An ordered list of :class:`ChainStep` with a name."""

    steps: list[ChainStep] = field(default_factory=list)
    name: str = ""

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "name": self.name,
                "steps": [{"tool": s.tool, "params": dict(s.params)} for s in self.steps]}

    @classmethod
    def from_dict(cls, d: dict) -> Chain:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise InvalidParameterError("This is not a Resonote restoration chain preset.")
        if int(d.get("version", 0)) > VERSION:
            raise InvalidParameterError(
                "This chain preset was saved by a newer Resonote; update to open it.")
        steps = []
        for s in d.get("steps", []):
            if not isinstance(s, dict) or not isinstance(s.get("params", {}), dict):
                raise InvalidParameterError("A step in this chain preset is malformed.")
            params = dict(s.get("params", {}))
            if isinstance(params.get("noise_profile"), list):
                params["noise_profile"] = tuple(params["noise_profile"])
            steps.append(ChainStep(str(s.get("tool")), params))
        chain = cls(steps, str(d.get("name", "")))
        for step in chain.steps:
            step.validate()
        return chain


def save_chain(chain: Chain, path: str | os.PathLike) -> Path:
    """Write ``chain`` as a JSON preset (atomically: temp file + rename)."""
    for step in chain.steps:
        step.validate()
    path = Path(path)
    try:
        text = json.dumps(chain.to_dict(), indent=2)
    except TypeError as exc:
        raise InvalidParameterError(
            "A chain step has a setting that cannot be saved in a preset (for example a noise "
            "profile given as audio: give it as a time region instead).") from exc
    from core.fsutil import write_text_atomic

    return write_text_atomic(path, text + "\n", error=ProjectError)


def load_chain(path: str | os.PathLike) -> Chain:
    """Read a JSON preset written by :func:`save_chain`."""
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidParameterError(f"No chain preset at {path}.") from None
    except (OSError, ValueError) as exc:
        raise InvalidParameterError(f"The chain preset {path} could not be read: {exc}.") \
            from None
    return Chain.from_dict(d)


def run_chain(audio: Audio, chain: Chain, *, progress: ProgressCallback = no_progress,
              cancel: Optional[CancelToken] = None) -> RestoreResult:
    """Apply every step of ``chain`` in order.

    Progress is reported with stage ``"chain"``: ``done`` counts finished steps plus the
    running step's fraction, ``total`` the number of steps.

    Returns
    -------
    RestoreResult
        The last step's audio; ``report`` = ``{"tool": "chain", "name", "steps": [each
        step's report]}``.
    """
    tools = _tools()
    for step in chain.steps:
        step.validate()
    n = len(chain.steps)
    reports = []
    for i, step in enumerate(chain.steps):
        def sub(p: Progress, i=i, step=step) -> None:
            frac = p.fraction or 0.0
            progress(Progress("chain", i + frac, n, f"{step.tool}: {p.message}"))

        result = tools[step.tool](audio, **step.params, progress=sub, cancel=cancel)
        audio = result.audio
        reports.append(result.report)
    progress(Progress("chain", n, n, "done"))
    return RestoreResult(audio, {"tool": "chain", "name": chain.name, "steps": reports})
