"""Token-by-token sampling with a key/value cache, a sliding window and per-step token masks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

from core.generate.tokens import BAR, HEADER_LEN, VOCAB, Decoder

if TYPE_CHECKING:  # pragma: no cover
    import torch

#: Returns the allowed next tokens (bool tensor over VOCAB) given the decoder state.
MaskFn = Callable[[Decoder], "torch.Tensor"]


class Sampler:
    """Feeds tokens through the model and samples the next one under a mask.

    The window holds the header plus the most recent bars; when it is full it is
    rebuilt from the last bar lines that fit half the context (one re-prefill).
    """

    def __init__(self, model, header: list[int], *, temperature: float, top_p: float,
                 seed: int) -> None:
        self.model = model
        self.max_len = model.cfg.max_len
        self.temperature = temperature
        self.top_p = top_p
        import torch  # first use; keeps `import core...` free of torch

        self.gen = torch.Generator().manual_seed(int(seed))
        self.tokens: list[int] = []
        self.dec = Decoder()
        self._window_start = 0  # index into tokens where the window's body begins
        self._caches: Optional[list[dict]] = None
        self._cached = 0  # tokens of the window already in the cache
        self._logits: Optional[torch.Tensor] = None
        self.feed(header)

    def _window(self) -> list[int]:
        return self.tokens[:HEADER_LEN] + self.tokens[max(self._window_start, HEADER_LEN):]

    def _advance(self) -> None:
        import torch

        with torch.no_grad():
            self._advance_nograd(torch)

    def _advance_nograd(self, torch) -> None:
        win = self._window()
        if len(win) > self.max_len:
            # Slide: keep the header and the bars that fit in half the context.
            limit = len(self.tokens) - (self.max_len // 2 - HEADER_LEN)
            bars = [i for i in range(max(HEADER_LEN, limit), len(self.tokens))
                    if self.tokens[i] == BAR]
            self._window_start = bars[0] if bars else limit
            self._caches, self._cached = None, 0
            win = self._window()
        if self._caches is None:
            self._caches = [{} for _ in self.model.blocks]
        new = win[self._cached:]
        logits = self.model(torch.tensor([new]), self._caches, start=self._cached)
        self._cached = len(win)
        self._logits = logits[0, -1]

    def feed(self, tokens: list[int]) -> None:
        """Append tokens chosen by the caller (prompt, forced melody notes)."""
        for t in tokens:
            self.tokens.append(int(t))
            self.dec.feed(int(t))
        self._logits = None

    def sample(self, mask: torch.Tensor) -> int:
        """Sample one token among ``mask`` (bool, shape (vocab,)), append it and return it."""
        if self._logits is None:
            self._advance()
        assert self._logits is not None
        import torch

        logits = self._logits.float().clone()
        logits[~mask] = float("-inf")
        if self.temperature <= 0:
            tok = int(torch.argmax(logits))
        else:
            probs = torch.softmax(logits / self.temperature, -1)
            if self.top_p < 1.0:
                sp, idx = torch.sort(probs, descending=True)
                keep = torch.cumsum(sp, 0) - sp < self.top_p
                keep[0] = True
                probs = torch.zeros_like(probs).scatter_(0, idx[keep], sp[keep])
            tok = int(torch.multinomial(probs, 1, generator=self.gen))
        self.feed([tok])
        return tok


def token_mask(ids) -> torch.Tensor:
    """Bool mask over the vocabulary with ``ids`` set."""
    import torch

    m = torch.zeros(len(VOCAB), dtype=torch.bool)
    m[list(ids)] = True
    return m
