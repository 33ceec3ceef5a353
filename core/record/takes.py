"""Takes on disk: where they go, what they are called, and their JSON sidecar.

Every take ``NAME.wav`` has a sidecar ``NAME.take.json`` written when recording
starts and rewritten as it goes.  Its ``state`` says what happened:

``"recording"``  the take is (or was, if its process died) being recorded
``"complete"``   stopped normally
``"error"``      stopped by a failure (disk full, device lost); ``error`` says why
``"recovered"``  found after a crash and repaired by :func:`core.record.recover_takes`

The sidecar is padded to a fixed size and rewritten in place when an atomic
replace is impossible (a full disk), so it can always be updated.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

SIDECAR_SUFFIX = ".take.json"
_PAD = 4096
#: States in which a take is still being written by its process.
LIVE_STATES = ("recording",)


def default_takes_dir() -> Path:
    """Where takes go: ``$RESONOTE_TAKES_DIR``, else ``user_data_dir("resonote")/takes``."""
    env = os.environ.get("RESONOTE_TAKES_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("resonote", appauthor=False)) / "takes"


def sidecar_path(audio_path: Path) -> Path:
    """``song.wav`` → ``song.take.json``."""
    audio_path = Path(audio_path)
    return audio_path.with_name(audio_path.stem + SIDECAR_SUFFIX)


def new_take_path(directory: Path, *, ext: str = ".wav", now: datetime | None = None) -> Path:
    """A fresh ``take-YYYYmmdd-HHMMSS[-N].wav`` in ``directory`` (not created)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10000):
        name = f"take-{stamp}{'' if i == 1 else f'-{i}'}"
        p = Path(directory) / f"{name}{ext}"
        if not p.exists() and not sidecar_path(p).exists():
            return p
    raise FileExistsError(f"too many takes named take-{stamp} in {directory}")


def process_start_time(pid: int) -> float | None:
    """Start time of process ``pid`` (seconds since the epoch), None if unknown/gone."""
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:
        return None


@dataclass
class Take:
    """One recorded take.

    Attributes
    ----------
    path : Path
        The audio file (WAV/RF64, float32 or PCM).
    metadata_path : Path
        Its JSON sidecar.
    sr, channels, frames : int
        Sample rate (Hz), channel count, frames in the file.
    state : str
        ``"recording"``, ``"complete"``, ``"error"`` or ``"recovered"``.
    overflows : int
        Dropped input buffers (device overflows + blocks the writer could not
        keep up with); 0 for a clean take.
    dropped_frames : int
        Frames lost to writer drops, replaced by silence so the take stays in time.
    started_at : datetime
        Local time recording started (timezone-aware).
    device_name : str
        Input device name.
    gain_db : float
        Input gain trim applied, dB.
    error : str or None
        Why the take stopped early (``state == "error"``), or a recovery note.
    """

    path: Path
    metadata_path: Path
    sr: int
    channels: int
    frames: int = 0
    state: str = "recording"
    overflows: int = 0
    input_overflows: int = 0
    dropped_frames: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now().astimezone())
    device_name: str = ""
    gain_db: float = 0.0
    subtype: str = "FLOAT"
    error: str | None = None
    pid: int = field(default_factory=os.getpid)
    pid_started: float | None = None
    host: str = field(default_factory=socket.gethostname)
    gaps: list[tuple[int, int]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Length of the take in seconds."""
        return self.frames / self.sr if self.sr else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "resonote_take": 1,
            "file": self.path.name,
            "state": self.state,
            "sr": self.sr,
            "channels": self.channels,
            "frames": self.frames,
            "duration_s": round(self.duration_s, 6),
            "subtype": self.subtype,
            "device": self.device_name,
            "gain_db": self.gain_db,
            "started_at": self.started_at.isoformat(),
            "overflows": self.overflows,
            "input_overflows": self.input_overflows,
            "dropped_frames": self.dropped_frames,
            "gaps": [[int(a), int(b)] for a, b in self.gaps[:100]],
            "error": self.error,
            "pid": self.pid,
            "pid_started": self.pid_started,
            "host": self.host,
        }

    @classmethod
    def from_sidecar(cls, metadata_path: Path) -> Take:
        """Read a take's sidecar.  Raises OSError/ValueError/KeyError if it is unreadable."""
        metadata_path = Path(metadata_path)
        d = json.loads(metadata_path.read_text(encoding="utf-8"))
        if d.get("resonote_take") != 1:
            raise ValueError(f"{metadata_path} is not a Resonote take sidecar")
        return cls(
            path=metadata_path.with_name(str(d["file"])),
            metadata_path=metadata_path,
            sr=int(d["sr"]),
            channels=int(d["channels"]),
            frames=int(d.get("frames", 0)),
            state=str(d.get("state", "recording")),
            overflows=int(d.get("overflows", 0)),
            input_overflows=int(d.get("input_overflows", 0)),
            dropped_frames=int(d.get("dropped_frames", 0)),
            started_at=datetime.fromisoformat(d["started_at"]),
            device_name=str(d.get("device", "")),
            gain_db=float(d.get("gain_db", 0.0)),
            subtype=str(d.get("subtype", "FLOAT")),
            error=d.get("error"),
            pid=int(d.get("pid", -1)),
            pid_started=d.get("pid_started"),
            host=str(d.get("host", "")),
            gaps=[(int(a), int(b)) for a, b in d.get("gaps", [])],
        )

    def save_sidecar(self) -> None:
        """Write the sidecar: atomically (temp file + rename), or in place on a full disk.

        Raises
        ------
        OSError
            Neither way worked.
        """
        text = json.dumps(self.to_json(), indent=1)
        data = text.encode("utf-8")
        if len(data) < _PAD:
            data += b" " * (_PAD - 1 - len(data)) + b"\n"
        tmp = self.metadata_path.with_name(self.metadata_path.name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.metadata_path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT) or not self.metadata_path.exists():
                raise
            # No room for a second copy: overwrite the padded blocks we already own.
            if len(data) > self.metadata_path.stat().st_size:
                raise
            fd = os.open(self.metadata_path, os.O_WRONLY)
            try:
                os.pwrite(fd, data, 0)
                os.fsync(fd)
            finally:
                os.close(fd)
