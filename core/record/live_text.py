"""Speech to text while a take is being recorded.

:class:`LiveText` hands the recorder a tap (a :class:`~core.record.ringbuffer.FrameRing`
that the writer thread copies every written frame into, never waiting) and
runs a worker thread of its own that drains it every ``interval_s`` and feeds
:class:`core.speech.live.LiveTranscriber`.  Whisper runs in that worker, never
in the audio callback or the writer thread, so a slow model can only make the
text late (or, if it falls more than ``buffer_s`` behind, skip audio for the
text) — the take itself is never touched.  Times are seconds from the take's
start (pauses excluded, like the take file).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from core.record.ringbuffer import FrameRing


class LiveText:
    """Live transcription of a :class:`core.record.Recorder`'s takes.

    Parameters
    ----------
    recorder : Recorder
        Its ``tap`` is set by :meth:`start` and cleared by :meth:`finish`.
    on_update : callable(str, str) or None
        Called from the worker thread with ``(committed_text, provisional_text)``
        whenever either changes.
    transcriber : object or None
        Anything with ``feed(block) -> update`` and ``finish() -> Transcript``
        like :class:`core.speech.live.LiveTranscriber`; None makes one with
        ``options`` (the embedded Whisper tiny.en by default) in the worker.
    interval_s : float
        How often the worker hands new audio over, seconds.
    buffer_s : float
        Audio the tap holds for a worker that is busy, seconds.
    options : dict
        Keyword arguments for ``LiveTranscriber`` (``model``, ``language``, ...).
    """

    def __init__(self, recorder: Any, *, on_update: Callable[[str, str], None] | None = None,
                 transcriber: Any = None, interval_s: float = 0.5, buffer_s: float = 30.0,
                 **options: Any) -> None:
        self.recorder = recorder
        self.on_update = on_update
        self.interval_s = float(interval_s)
        self._transcriber = transcriber
        self._options = options
        self._ring = FrameRing(max(1, round(buffer_s * recorder.sr)), recorder.channels)
        self._block = np.zeros((self._ring.capacity, recorder.channels), dtype=np.float32)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.committed = ""
        self.provisional = ""
        self.error: Exception | None = None
        self._result: Any = None
        self._skipped = 0

    def start(self) -> None:
        """Tap the recorder and start the worker (before or right after ``recorder.start``)."""
        self.recorder.tap = self._ring
        self._thread = threading.Thread(target=self._work, name="resonote-live-text", daemon=True)
        self._thread.start()

    @property
    def skipped_frames(self) -> int:
        """Frames the worker fell too far behind to transcribe."""
        return self._ring.dropped_frames

    def finish(self, timeout_s: float = 60.0) -> Any:
        """Stop tapping, transcribe what is left; return the ``Transcript`` (None on failure)."""
        if self.recorder.tap is self._ring:
            self.recorder.tap = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self._result

    def cancel(self) -> None:
        """Stop without waiting for the last words."""
        if self.recorder.tap is self._ring:
            self.recorder.tap = None
        self._stop.set()

    # -- worker -----------------------------------------------------------------------------
    def _make(self) -> Any:
        if self._transcriber is None:
            from core.speech.live import LiveTranscriber

            self._transcriber = LiveTranscriber(sr=self.recorder.sr, **self._options)
        return self._transcriber

    def _work(self) -> None:
        try:
            live = self._make()
            self._ready.set()
            while True:
                stopping = self._stop.wait(self.interval_s)
                self._feed(live)
                if stopping:
                    break
            self._result = live.finish()
            self.committed = self._result.text
            self.provisional = ""
            self._tell()
        except Exception as exc:  # the model could not load, ran out of memory, ...
            self.error = exc
            self._ready.set()
            self._tell()

    def _feed(self, live: Any) -> None:
        n = self._ring.pop_into(self._block, self._ring.available)
        if n == 0:
            return
        update = live.feed(self._block[:n].T)
        changed = False
        if update.committed:
            text = " ".join(s.text.strip() for s in update.committed)
            self.committed = f"{self.committed} {text}".strip()
            changed = True
        if update.provisional != self.provisional:
            self.provisional = update.provisional
            changed = True
        if changed:
            self._tell()

    def _tell(self) -> None:
        cb = self.on_update
        if cb is not None:
            try:
                cb(self.committed, self.provisional)
            except Exception:  # a faulty listener must not stop the transcription
                import traceback

                traceback.print_exc()
