"""Which CLI tools a batch can run, and what each writes for one input file.

A batch re-uses every tool command's own argparse parser and ``run(args)``
function; this table only says what kind of output one input file gives:

``file``
    the tool writes one file (``-o``); its extension picks the format.
``folder``
    the tool writes several files into a folder (``separate``'s stems).
``stdout``
    the tool prints its result; the batch saves what it printed (``info --json``).

To offer a new tool in ``resonote batch``, add its command module to
:data:`TOOL_MODULES` and one :class:`ToolSpec` per leaf command to :data:`TOOLS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from core.errors import InvalidParameterError

#: CLI modules whose commands ``resonote batch`` offers (each has ``register(subparsers)``).
TOOL_MODULES = (
    "core.cli.restore_cmd",
    "core.cli.transcribe_cmd",
    "core.cli.separate_cmd",
    "core.cli.convert_cmd",
    "core.cli.spectrogram_cmd",
    "core.cli.info_cmd",
)

#: Audio extensions a batch picks up (what core.audio reads through soundfile or FFmpeg).
AUDIO_EXTENSIONS = frozenset(
    ".wav .flac .mp3 .ogg .oga .opus .aif .aiff .aifc .m4a .aac .wma .mp4 .mkv .mka "
    ".webm .caf .w64 .rf64 .au .snd .wv".split())

#: Extensions core.audio.save writes (kept in step with core.audio.write_formats()).
AUDIO_WRITE_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif")


@dataclass(frozen=True)
class ToolSpec:
    """What one tool command writes for one input file.

    Attributes
    ----------
    name : str
        The command path as typed, e.g. ``"restore loudness"``.
    kind : {"file", "folder", "stdout"}
        See the module docstring.
    default_ext : str or None
        Extension of the output file; None keeps the input's extension when the
        tool can write it (audio tools), else ``.wav``.
    extensions : tuple of str
        Extensions ``--out-ext`` may choose (empty for folders).
    """

    name: str
    kind: str
    default_ext: Optional[str]
    extensions: tuple[str, ...]

    def output_ext(self, src: Path, chosen: Optional[str]) -> str:
        """Extension (with the dot) of the output written for input ``src``."""
        if self.kind == "folder":
            if chosen:
                raise InvalidParameterError(
                    f"'{self.name}' writes a folder per file; --out-ext does not apply.")
            return ""
        if chosen:
            ext = chosen.lower() if chosen.startswith(".") else "." + chosen.lower()
            if ext not in self.extensions:
                raise InvalidParameterError(
                    f"'{self.name}' cannot write '{ext}' files; choose one of "
                    f"{', '.join(self.extensions)}.")
            return ext
        if self.default_ext is not None:
            return self.default_ext
        own = src.suffix.lower()
        return own if own in self.extensions else ".wav"


def _audio(name: str) -> ToolSpec:
    return ToolSpec(name, "file", None, AUDIO_WRITE_EXTENSIONS)


TOOLS: dict[str, ToolSpec] = {
    **{f"restore {op}": _audio(f"restore {op}") for op in
       ("denoise", "declip", "declick", "dehum", "dereverb", "loudness", "chain")},
    "transcribe speech": ToolSpec("transcribe speech", "file", ".txt",
                                  (".txt", ".srt", ".vtt", ".json")),
    "transcribe notes": ToolSpec("transcribe notes", "file", ".mid",
                                 (".mid", ".midi", ".csv", ".musicxml", ".xml", ".mxl")),
    "separate": ToolSpec("separate", "folder", None, ()),
    "convert": _audio("convert"),
    "spectrogram": ToolSpec("spectrogram", "file", ".png", (".png",)),
    "info": ToolSpec("info", "stdout", ".json", (".json",)),
}

#: Tool options that name a file: made absolute so cluster workers find them.
PATH_OPTIONS = ("noise_file", "preset")


def tool_spec(name: str) -> ToolSpec:
    """The :class:`ToolSpec` of command path ``name`` (``"restore loudness"``)."""
    try:
        return TOOLS[name]
    except KeyError:
        raise InvalidParameterError(
            f"'{name}' cannot run as a batch; choose one of {', '.join(TOOLS)}.") from None
