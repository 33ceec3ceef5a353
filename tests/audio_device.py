"""A real audio device for tests: a PulseAudio daemon with a null sink.

PortAudio sees it through ALSA's ``pulse`` plugin (Debian: libasound2-plugins)
as the device named ``"pulse"``.  What is played there can be recorded back
from the sink's monitor source with ``parec`` (a separate PulseAudio client,
independent of PortAudio), which is how the playback tests hear the player.

Two facts about this set-up shape the code:

* A null sink starts with a 2 s latency and only adopts a client's smaller
  latency at its next 2 s wake-up, so the first seconds of any stream stall.
  A "keeper" (``parec`` on the monitor at 10 ms latency) stays connected for
  the whole session so the sink always runs at low latency.
* ``sounddevice`` initialises PortAudio at import; if it was imported before
  the daemon was up, it is re-initialised here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import numpy as np

SINK = "resonote_null"
RATE = 44100


class PulseUnavailable(RuntimeError):
    """PulseAudio is missing or would not start; the message says why."""


def _run(args: list[str], timeout: float = 5.0) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def _answers() -> bool:
    try:
        return _run(["pactl", "info"], timeout=3.0).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@dataclass
class PulseSink:
    """A running null sink.  ``device`` is what to pass to PortAudio."""

    sink: str
    runtime_dir: str
    started_daemon: bool
    module_index: str | None = None
    device: str = "pulse"
    _keeper: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def monitor(self) -> str:
        return f"{self.sink}.monitor"

    def recorder(self, *, sr: int = RATE, channels: int = 2) -> MonitorRecorder:
        """A recorder of everything played to the sink (use as a context manager)."""
        return MonitorRecorder(self.monitor, sr=sr, channels=channels)


def reinit_portaudio() -> None:
    """Make an already imported ``sounddevice`` see the devices that exist now."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()
        sd._initialize()


def start_pulse(*, sink: str | None = None, timeout_s: float = 10.0) -> PulseSink:
    """Start (or reuse) a PulseAudio daemon and add a null sink of our own.

    The sink is named ``resonote_null_<pid>`` unless ``sink`` is given, so test
    sessions running at the same time on one daemon never hear each other;
    this process's clients are routed to it with ``PULSE_SINK``/``PULSE_SOURCE``.

    Raises
    ------
    PulseUnavailable
        pulseaudio/pactl/parec is not installed, or the daemon did not answer
        within ``timeout_s``.
    """
    for tool in ("pulseaudio", "pactl", "parec"):
        if shutil.which(tool) is None:
            raise PulseUnavailable(
                f"`{tool}` is not installed (Debian packages: pulseaudio pulseaudio-utils)"
            )
    if not os.environ.get("XDG_RUNTIME_DIR"):
        d = os.path.join(tempfile.gettempdir(), f"resonote-pulse-{os.getuid()}")
        os.makedirs(d, mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = d
    runtime = os.environ["XDG_RUNTIME_DIR"]
    sink = sink or f"{SINK}_{os.getpid()}"

    started = False
    if not _answers():
        proc = _run(
            [
                "pulseaudio",
                "--daemonize=yes",
                "--exit-idle-time=-1",
                "-n",
                "--load=module-native-protocol-unix",
                "--load=module-always-sink",
            ],
            timeout=timeout_s,
        )
        deadline = time.monotonic() + timeout_s
        while not _answers():
            if time.monotonic() > deadline:
                raise PulseUnavailable(
                    f"pulseaudio did not start within {timeout_s:.0f} s "
                    f"(exit {proc.returncode}: {proc.stderr.strip()[-300:]})"
                )
            time.sleep(0.1)
        started = True

    if not started:
        _unload_orphaned_sinks()
    module_index = None
    sinks = _run(["pactl", "list", "short", "sinks"]).stdout.split()
    if sink not in sinks:
        res = _run(
            [
                "pactl", "load-module", "module-null-sink", f"sink_name={sink}",
                "format=float32le", f"rate={RATE}", "channels=2",
            ]
        )
        if res.returncode != 0:
            raise PulseUnavailable(f"could not create the null sink: {res.stderr.strip()}")
        module_index = res.stdout.strip()
    if started:
        _run(["pactl", "set-default-sink", sink])
        _run(["pactl", "set-default-source", f"{sink}.monitor"])
    # Route this process's clients (PortAudio's ALSA pulse plugin included) to the
    # sink even on a reused daemon whose defaults belong to someone else.
    os.environ["PULSE_SINK"] = sink
    os.environ["PULSE_SOURCE"] = f"{sink}.monitor"

    ps = PulseSink(sink, runtime, started, module_index)
    ps._keeper = _start_keeper(ps.monitor, timeout_s)
    reinit_portaudio()
    return ps


def _unload_orphaned_sinks() -> None:
    """Unload null sinks left on a reused daemon by test processes that were killed
    (``resonote_null_<pid>`` whose pid is gone): a daemon collecting them hung a later
    playback test on this machine."""
    for line in _run(["pactl", "list", "short", "modules"]).stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[1] != "module-null-sink":
            continue
        name = next((a.split("=", 1)[1] for a in parts[2].split()
                     if a.startswith("sink_name=")), "")
        pid = name.rsplit("_", 1)[-1]
        if name.startswith(SINK + "_") and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            _run(["pactl", "unload-module", parts[0]])


def _start_keeper(monitor: str, timeout_s: float) -> subprocess.Popen:
    keeper = subprocess.Popen(
        ["parec", "-d", monitor, "--raw", "--latency-msec=10", "--format=s16le", "--channels=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    flowing = threading.Event()

    def drain() -> None:
        assert keeper.stdout is not None
        while keeper.stdout.read1(65536):
            flowing.set()

    threading.Thread(target=drain, daemon=True).start()
    if not flowing.wait(timeout_s):
        keeper.kill()
        raise PulseUnavailable(f"the null sink's monitor gave no data within {timeout_s:.0f} s")
    return keeper


def stop_pulse(ps: PulseSink) -> None:
    """Undo :func:`start_pulse`: the daemon is killed only if we started it and nobody else uses it."""
    if ps._keeper is not None:
        ps._keeper.terminate()
        try:
            ps._keeper.wait(timeout=3)
        except subprocess.TimeoutExpired:
            ps._keeper.kill()
    if ps.module_index:
        _run(["pactl", "unload-module", ps.module_index])
    if ps.started_daemon:
        clients = [
            ln for ln in _run(["pactl", "list", "short", "clients"]).stdout.splitlines()
            if "pactl" not in ln
        ]
        if not clients:
            _run(["pulseaudio", "--kill"])


class MonitorRecorder:
    """Records a PulseAudio source with ``parec`` into memory.

    ``with sink.recorder() as rec: ...`` then ``rec.samples`` is float32
    ``(frames, channels)``.  :meth:`stop` may be called early.
    """

    def __init__(self, source: str, *, sr: int = RATE, channels: int = 2) -> None:
        self.source, self.sr, self.channels = source, sr, channels
        self._chunks: list[bytes] = []
        self._started = threading.Event()
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self.samples = np.zeros((0, channels), dtype=np.float32)

    def start(self, timeout_s: float = 5.0) -> MonitorRecorder:
        self._proc = subprocess.Popen(
            [
                "parec", "-d", self.source, "--raw", "--format=float32le",
                f"--rate={self.sr}", f"--channels={self.channels}", "--latency-msec=10",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        proc = self._proc

        def read() -> None:
            assert proc.stdout is not None
            while chunk := proc.stdout.read1(65536):
                self._chunks.append(chunk)
                self._started.set()

        self._thread = threading.Thread(target=read, daemon=True)
        self._thread.start()
        if not self._started.wait(timeout_s):
            self.stop()
            raise RuntimeError(f"parec recorded nothing from {self.source} in {timeout_s} s")
        return self

    def stop(self, tail_s: float = 0.15) -> np.ndarray:
        """Keep recording ``tail_s`` more (what is still in the pipes), then stop."""
        if self._proc is not None:
            time.sleep(tail_s)
            self._proc.terminate()
            self._proc.wait(timeout=3)
            if self._thread is not None:
                self._thread.join(timeout=3)
            self._proc = None
            data = b"".join(self._chunks)
            usable = len(data) - len(data) % (4 * self.channels)
            self.samples = np.frombuffer(data[:usable], dtype=np.float32).reshape(-1, self.channels)
        return self.samples

    def __enter__(self) -> MonitorRecorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
