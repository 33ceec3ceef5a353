"""Live transcription of a recording in progress: text a few seconds after it is spoken.

The recorder hands blocks of audio to :meth:`LiveTranscriber.feed` from a worker
thread (never from the audio callback: a feed may take a second or two while
Whisper runs).  Every ``step_s`` seconds of new audio the VAD looks at what is
pending; each utterance that has ended (followed by a pause) is transcribed and
*committed* - its text and timings no longer change - and the utterance still
being spoken is transcribed as *provisional* text that the next feed replaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from core.errors import InvalidParameterError
from core.jobs import no_progress
from core.speech.loader import DEFAULT_MODEL, load_model, model_path, placement
from core.speech.transcribe import check_options, decode_regions
from core.speech.types import Segment, Transcript, Word
from core.speech.vad import VAD_SR, VadSettings, speech_regions

#: Speech shorter than this is not guessed at yet (Whisper invents stock phrases for it).
MIN_PROVISIONAL_S = 1.0


@dataclass
class LiveUpdate:
    """What one :meth:`LiveTranscriber.feed` produced.

    Attributes
    ----------
    committed : list of Segment
        Segments finished by this feed (times in seconds from the start of the recording).
    provisional : str
        Best guess at the utterance still in progress ("" when nobody is speaking).
    """

    committed: list[Segment] = field(default_factory=list)
    provisional: str = ""


class LiveTranscriber:
    """Incremental speech to text for audio that arrives in blocks.

    Parameters
    ----------
    sr : int
        Sample rate of the blocks given to :meth:`feed`, in Hz.
    model, language, task, word_timestamps, initial_prompt, beam_size, device, compute_type
        As for :func:`core.speech.transcribe`.
    step_s : float
        Look for finished utterances after this much new audio (seconds).
    max_utterance_s : float
        Commit speech that has gone on this long without a pause anyway.
    vad_settings : VadSettings
        The pause that ends an utterance is ``min_silence_ms`` (default 700 ms).
    """

    def __init__(self, *, sr: int, model: str = DEFAULT_MODEL, language: Optional[str] = None,
                 task: str = "transcribe", word_timestamps: bool = False,
                 initial_prompt: Optional[str] = None, beam_size: int = 5,
                 device: Optional[str] = None, compute_type: Optional[str] = None,
                 step_s: float = 2.0, max_utterance_s: float = 25.0,
                 vad_settings: VadSettings = VadSettings(min_silence_ms=700, speech_pad_ms=200)
                 ) -> None:
        if sr <= 0 or step_s <= 0 or not 2.0 <= max_utterance_s <= 30.0:
            raise InvalidParameterError(
                "Live transcription needs a positive rate and step, and an utterance limit "
                "of 2-30 s.")
        self.model, lang = check_options(model=model, language=language, task=task,
                                         beam_size=beam_size)
        self.sr = int(sr)
        self.step = int(step_s * VAD_SR)
        self.max_utterance = int(max_utterance_s * VAD_SR)
        self.vad_settings = vad_settings
        self._options = dict(language=lang, task=task, beam_size=int(beam_size),
                             word_timestamps=bool(word_timestamps),
                             initial_prompt=initial_prompt or None)
        self._whisper = load_model(model_path(self.model), placement(device, compute_type))
        self._resampler = None
        if self.sr != VAD_SR:
            import soxr

            self._resampler = soxr.ResampleStream(self.sr, VAD_SR, 1, dtype="float32")
        self._pending = np.zeros(0, np.float32)  # 16 kHz audio not yet committed
        self._offset = 0  # absolute 16 kHz sample index of _pending[0]
        self._since_look = 0
        self._segments: list[Segment] = []
        self._language = lang or "en"
        self._task = task

    @property
    def duration_s(self) -> float:
        """Seconds of audio received so far (at 16 kHz after resampling)."""
        return (self._offset + self._pending.size) / VAD_SR

    @property
    def transcript(self) -> Transcript:
        """Everything committed so far."""
        return Transcript(list(self._segments), self._language, self.duration_s, self.model,
                          self._task)

    def feed(self, block: np.ndarray) -> LiveUpdate:
        """Add audio: ``block`` is float32 ``(channels, frames)`` or ``(frames,)`` at ``sr``."""
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 2:
            x = x.mean(axis=0)
        if self._resampler is not None:
            x = self._resampler.resample_chunk(np.ascontiguousarray(x))
        self._pending = np.concatenate([self._pending, x.astype(np.float32, copy=False)])
        self._since_look += x.size
        if self._since_look < self.step:
            return LiveUpdate()
        self._since_look = 0
        return self._advance(final=False)

    def finish(self) -> Transcript:
        """Commit whatever is pending (the recording stopped) and return the whole transcript."""
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            self._pending = np.concatenate([self._pending, tail.astype(np.float32)])
        self._advance(final=True)
        return self.transcript

    def _advance(self, *, final: bool) -> LiveUpdate:
        x = self._pending
        regions = speech_regions(x, settings=self.vad_settings) if x.size >= 512 else []
        if not regions:
            keep = min(x.size, VAD_SR)  # keep 1 s: it may hold the start of a word
            self._drop(x.size - keep)
            return LiveUpdate()
        pause = int(self.vad_settings.min_silence_ms * VAD_SR / 1000)
        if final:
            closed = regions
        else:
            closed = [r for r in regions if r[1] + pause <= x.size]
            if not closed and x.size - regions[0][0] >= self.max_utterance:
                closed = regions  # a long stretch without a pause: commit it anyway
        update = LiveUpdate()
        if closed:
            cut = closed[-1][1]
            segs, lang = decode_regions(self._whisper, x[:cut], closed, self._options,
                                        cut / VAD_SR, no_progress, None)
            shift = self._offset / VAD_SR
            update.committed = [_shifted(s, shift) for s in segs]
            self._segments += update.committed
            self._language = lang
            self._drop(cut)
        cut = closed[-1][1] if closed else 0
        open_regions = [(s - cut, e - cut) for s, e in regions[len(closed):]]
        heard = sum(e - s for s, e in open_regions)
        if heard >= MIN_PROVISIONAL_S * VAD_SR and not final:
            rest = self._pending
            segs, _ = decode_regions(self._whisper, rest, open_regions, self._options,
                                     rest.size / VAD_SR, no_progress, None)
            update.provisional = " ".join(s.text for s in segs)
        return update

    def _drop(self, n: int) -> None:
        if n > 0:
            self._pending = self._pending[n:]
            self._offset += n


def _shifted(seg: Segment, dt: float) -> Segment:
    words = [Word(round(w.start_s + dt, 3), round(w.end_s + dt, 3), w.text, w.probability)
             for w in seg.words]
    return replace(seg, start_s=round(seg.start_s + dt, 3), end_s=round(seg.end_s + dt, 3),
                   words=words)
