"""MusicGen (small, medium, melody) through ``transformers``: text, melody and audio prompts.

Weights come only from the model registry's local folders (``core.models``
entries ``musicgen-small``, ``musicgen-medium``, ``musicgen-melody``); the hub is
never contacted (``HF_HUB_OFFLINE=1``, ``local_files_only``, safetensors only).
Durations beyond the model's window (30 s) are made by sliding-window
continuation: each new window is prompted with the last ``overlap_s`` seconds.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, JobCancelled, Progress, ProgressCallback, check, no_progress

MODELS = ("musicgen-small", "musicgen-medium", "musicgen-melody")
_loaded: dict[tuple, tuple] = {}


def load_musicgen(model: str = "musicgen-small", *, device: Optional[str] = None):
    """(model, processor, device) of an installed MusicGen (cached).

    Raises
    ------
    UnknownModelError, ModelNotInstalledError
        Not in the registry, or not downloaded yet (the message says how to get it).
    """
    from core import models
    from core.devices import pick

    folder = models.ensure(model, allow_download=False)
    dev = pick(device)
    key = (str(folder), dev)
    if key not in _loaded:
        os.environ["HF_HUB_OFFLINE"] = "1"
        import json

        from transformers import AutoProcessor

        cfg = json.loads((folder / "config.json").read_text())
        if cfg.get("model_type") == "musicgen_melody":
            from transformers import MusicgenMelodyForConditionalGeneration as cls
        else:
            from transformers import MusicgenForConditionalGeneration as cls
        net = cls.from_pretrained(str(folder), local_files_only=True, use_safetensors=True)
        proc = AutoProcessor.from_pretrained(str(folder), local_files_only=True)
        _loaded.clear()
        _loaded[key] = (net.to(dev).eval(), proc, dev)
    return _loaded[key]


def _mono(audio: Audio, sr: int) -> np.ndarray:
    from core.audio import resample

    a = resample(audio, sr) if audio.sr != sr else audio
    return a.samples.mean(axis=0).astype(np.float32)


class _Watch:
    """A transformers StoppingCriteria that reports progress and raises on cancel."""

    def __init__(self, cancel, progress, done0, total, stage):
        self.cancel, self.progress, self.done0, self.total, self.stage = \
            cancel, progress, done0, total, stage
        self.n = 0

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        self.n += 1
        if self.n % 8 == 0:
            check(self.cancel)
            self.progress(Progress(self.stage, self.done0 + self.n, self.total, "generating audio"))
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def musicgen_generate(
    prompt: str = "",
    *,
    model: str = "musicgen-small",
    duration_s: float = 10.0,
    melody: Optional[Audio] = None,
    continuation: Optional[Audio] = None,
    seed: int = 0,
    guidance_scale: float = 3.0,
    top_k: int = 250,
    temperature: float = 1.0,
    window_s: Optional[float] = None,
    overlap_s: float = 10.0,
    device: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> Audio:
    """Generate music audio with MusicGen.

    Parameters
    ----------
    prompt : str
        Text description (``"80s synth pop with a driving bass"``); may be empty.
    model : str
        Registry name: ``musicgen-small``, ``musicgen-medium`` or ``musicgen-melody``.
    duration_s : float
        Seconds of new audio; beyond ``window_s`` it is made window by window.
    melody : Audio, optional
        Melody to follow (``musicgen-melody`` only): its chroma conditions the model.
    continuation : Audio, optional
        Audio clip to continue (not with ``musicgen-melody``); the result starts
        with the clip, then ``duration_s`` seconds of continuation.
    seed : int
        Seeds torch's generator per window: same inputs and seed → same audio.
    guidance_scale : float
        Classifier-free guidance (1 = off; 3 is MusicGen's default).
    top_k : int
        Sample among the ``top_k`` likeliest audio tokens.
    window_s : float, optional
        Window length; default the model's maximum (30 s for the released models).
    overlap_s : float
        Seconds of the previous window that prompt the next one.

    Returns
    -------
    Audio
        Mono (or the model's channels), at the model's rate (32000 Hz for the released
        models): ``(channels, frames)`` float32.
    """
    import torch

    if not duration_s > 0:
        raise InvalidParameterError(f"The duration must be above 0 s; got {duration_s}.")
    if top_k < 1 or guidance_scale < 0 or temperature <= 0:
        raise InvalidParameterError("top-k must be 1 or more, guidance 0 or more, "
                                    "temperature above 0.")
    net, proc, dev = load_musicgen(model, device=device)
    is_melody = net.config.model_type == "musicgen_melody"
    if melody is not None and not is_melody:
        raise InvalidParameterError(
            f"Melody conditioning needs the musicgen-melody model, not {model}.")
    if continuation is not None and is_melody:
        raise InvalidParameterError("musicgen-melody cannot continue audio: use musicgen-small "
                                    "or musicgen-medium.")
    acfg = net.config.audio_encoder
    sr = int(acfg.sampling_rate)
    frame_rate = float(getattr(acfg, "frame_rate", None) or sr / int(np.prod(acfg.upsampling_ratios)))
    n_cb = int(net.config.decoder.num_codebooks)
    # The codebook delay pattern costs n_cb - 1 steps per window: keep room for them.
    max_tokens = int(net.config.decoder.max_position_embeddings) - 2 * n_cb - 1
    win = min(window_s or 30.0, max_tokens / frame_rate)
    overlap = min(overlap_s, win / 2)
    if win <= overlap:
        raise InvalidParameterError("The window must be longer than the overlap.")
    total_tokens = int(np.ceil(duration_s * frame_rate))
    target = int(round(duration_s * sr))
    text = [prompt or ""]
    out = _mono(continuation, sr) if continuation is not None else np.zeros(0, np.float32)
    start_len = out.size
    mel = _mono(melody, sr) if melody is not None else None
    made, index = 0, 0
    while out.size - start_len < target:
        check(cancel)
        remaining = target - (out.size - start_len)
        ctx = out[-int(overlap * sr):] if out.size and not is_melody else None
        ctx_s = 0.0 if ctx is None else ctx.size / sr
        new_s = min(win - ctx_s, remaining / sr)
        kwargs = {"text": text, "padding": True, "return_tensors": "pt"}
        if ctx is not None:
            kwargs.update(audio=[ctx], sampling_rate=sr)
        if mel is not None:
            seg = mel[out.size - start_len: out.size - start_len + int(np.ceil(new_s * sr))]
            kwargs.update(audio=[seg if seg.size else mel[-sr:]], sampling_rate=sr)
        inputs = {k: v.to(dev) for k, v in proc(**kwargs).items()}
        n_new = int(np.ceil(new_s * frame_rate))
        torch.manual_seed(int(seed) + index)
        from transformers import StoppingCriteriaList

        watch = _Watch(cancel, progress, made, total_tokens, "musicgen")
        try:
            with torch.no_grad():
                audio = net.generate(**inputs, do_sample=True, guidance_scale=guidance_scale,
                                     top_k=int(top_k), temperature=float(temperature),
                                     max_new_tokens=n_new + n_cb,
                                     stopping_criteria=StoppingCriteriaList([watch]))
        except JobCancelled:
            raise
        wav = audio[0].float().mean(0).cpu().numpy()
        skip = 0 if ctx is None else ctx.size
        piece = wav[skip:skip + int(round(new_s * sr))]
        if piece.size == 0:
            break
        out = np.concatenate([out, piece])
        made += n_new
        index += 1
        progress(Progress("musicgen", min(made, total_tokens), total_tokens,
                          f"window {index}: {(out.size - start_len) / sr:.1f} s"))
    out = out[:start_len + target]
    return Audio(out[None, :].astype(np.float32), sr, {"model": model, "prompt": prompt,
                                                       "seed": int(seed)})
