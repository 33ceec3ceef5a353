"""What a codec round trip returns (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from core.audio import Audio

#: Bitrates EnCodec 24 kHz was trained for (kbit/s per channel).
BANDWIDTHS_KBPS = (1.5, 3.0, 6.0, 12.0, 24.0)
CODECS = ("encodec", "opus")


@dataclass
class CodecResult:
    """Audio after encode -> decode, with the figures to compare codecs.

    Attributes
    ----------
    audio : Audio
        The decoded audio, same sample rate, channel count and length as the
        input (so it can be A/B'd against the original sample for sample).
    codec : {"encodec", "opus"}
    kbps : float
        Requested bitrate in kbit/s per channel.
    actual_kbps : float
        Bitrate of what was actually produced, kbit/s per channel (Opus:
        packet bytes over the duration; EnCodec: codebooks x bits x frame rate).
    encoded_bytes : int
        Size of the compressed stream in bytes (all channels).
    si_sdr_db : float or None
        SI-SDR of ``audio`` against the input in dB (None for silent input).
    seconds : float
        Wall time of the round trip.
    """

    audio: Audio
    codec: str
    kbps: float
    actual_kbps: float
    encoded_bytes: int
    si_sdr_db: Optional[float]
    seconds: float
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"codec": self.codec, "kbps": self.kbps, "actual_kbps": round(self.actual_kbps, 3),
                "encoded_bytes": self.encoded_bytes,
                "si_sdr_db": None if self.si_sdr_db is None else round(self.si_sdr_db, 2),
                "seconds": round(self.seconds, 3), **self.details}
