"""Audio codecs for A/B listening: EnCodec (neural, downloaded) and Opus (libopus via PyAV).

Importing this package is cheap: torch, transformers and PyAV load on first use.
"""

from core.codec.api import roundtrip
from core.codec.metrics import si_sdr
from core.codec.types import BANDWIDTHS_KBPS, CODECS, CodecResult

__all__ = ["BANDWIDTHS_KBPS", "CODECS", "CodecResult", "roundtrip", "si_sdr"]
