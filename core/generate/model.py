"""A small decoder-only transformer over event tokens (plain torch), with a key/value cache.

Importing this module is cheap: torch loads, and the network classes are defined, on first
access to :class:`EventTransformer` or :class:`Block` (PEP 562 module ``__getattr__``), so that
every ``core`` module stays importable without torch (tests/core/test_engine_basics.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.generate.tokens import VOCAB

if TYPE_CHECKING:  # pragma: no cover
    import torch


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the network; saved next to the weights as ``config.json``."""

    vocab_size: int = len(VOCAB)
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 1024
    max_len: int = 512
    dropout: float = 0.1

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@lru_cache(maxsize=1)
def _define() -> dict[str, Any]:
    """Import torch and define the network classes once; returns them by name."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cfg: ModelConfig) -> None:
            super().__init__()
            self.n_heads = cfg.n_heads
            self.ln1 = nn.LayerNorm(cfg.d_model)
            self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
            self.proj = nn.Linear(cfg.d_model, cfg.d_model)
            self.ln2 = nn.LayerNorm(cfg.d_model)
            self.ff = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(),
                                    nn.Linear(cfg.d_ff, cfg.d_model))
            self.drop = nn.Dropout(cfg.dropout)
            self.p_drop = cfg.dropout

        def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.n_heads, c // self.n_heads) \
                .permute(2, 0, 3, 1, 4)
            if cache is not None:
                if "k" in cache:
                    k = torch.cat([cache["k"], k], dim=2)
                    v = torch.cat([cache["v"], v], dim=2)
                cache["k"], cache["v"] = k, v
            causal = t > 1
            if causal and k.shape[2] != t:  # prefill after a cache: mask by explicit offsets
                offset = k.shape[2] - t
                mask = torch.ones(t, k.shape[2], dtype=torch.bool, device=x.device).tril(offset)
                a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            else:
                a = F.scaled_dot_product_attention(
                    q, k, v, is_causal=causal, dropout_p=self.p_drop if self.training else 0.0)
            x = x + self.drop(self.proj(a.transpose(1, 2).reshape(b, t, c)))
            return x + self.drop(self.ff(self.ln2(x)))


    class EventTransformer(nn.Module):
        """GPT-style language model over :data:`core.generate.tokens.VOCAB`.

        ``forward(tokens [shape=(batch, time)])`` returns logits ``(batch, time, vocab)``.
        """

        def __init__(self, cfg: ModelConfig) -> None:
            super().__init__()
            self.cfg = cfg
            self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
            self.pos = nn.Embedding(cfg.max_len, cfg.d_model)
            self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
            self.ln = nn.LayerNorm(cfg.d_model)
            self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
            self.head.weight = self.tok.weight  # tied
            self.apply(self._init)
            for name, p in self.named_parameters():
                if name.endswith("proj.weight") or name.endswith("ff.2.weight"):
                    nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.n_layers))

        @staticmethod
        def _init(m: nn.Module) -> None:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, std=0.02)

        def forward(self, tokens: torch.Tensor, caches: list[dict] | None = None,
                    start: int = 0) -> torch.Tensor:
            t = tokens.shape[1]
            pos = torch.arange(start, start + t, device=tokens.device)
            x = self.tok(tokens) + self.pos(pos)
            for i, blk in enumerate(self.blocks):
                x = blk(x, None if caches is None else caches[i])
            return self.head(self.ln(x))

        def n_params(self) -> int:
            return sum(p.numel() for p in self.parameters() if p is not self.head.weight)

    return {"Block": Block, "EventTransformer": EventTransformer}


def __getattr__(name: str) -> Any:
    if name in ("Block", "EventTransformer"):
        return _define()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def save_model(model: Any, folder: Path, *, extra: dict | None = None) -> None:
    """Write ``model.safetensors`` (float32 by default) and ``config.json`` into ``folder``."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()
             if k != "head.weight"}
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "resonote-events-v1"})
    cfg = json.loads(model.cfg.to_json())
    cfg["vocab"] = list(VOCAB)
    cfg.update(extra or {})
    (folder / "config.json").write_text(json.dumps(cfg, indent=2))


def load_model(folder: Path, *, device: str = "cpu") -> Any:
    """Load a model saved by :func:`save_model` (safetensors only, no pickle)."""
    from safetensors.torch import load_file

    from core.generate.errors import GeneratorError

    cfg_d = json.loads((folder / "config.json").read_text())
    if cfg_d.get("vocab") is not None and tuple(cfg_d["vocab"]) != VOCAB:
        raise GeneratorError(
            f"The generator weights in {folder} were trained with a different token set; "
            "retrain them with `resonote train-generator`.")
    model = _define()["EventTransformer"](ModelConfig.from_dict(cfg_d))
    state = load_file(str(folder / "model.safetensors"))
    state["head.weight"] = state["tok.weight"]
    model.load_state_dict(state)
    return model.to(device).eval()
