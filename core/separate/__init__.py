"""Source separation: split a song into stems (vocals, drums, bass, other...).

Typical use::

    from core.separate import separate
    result = separate(audio, model="htdemucs", stems=("vocals",), progress=cb, cancel=token)
    result.stems["vocals"]      # Audio
    result.residual             # Audio: everything but the vocals

Importing this package is cheap (numpy only); torch, librosa and demucs load
when a separation runs.
"""

from core.separate.apply import apply_chunked, plan_batch
from core.separate.embedded import EMBEDDED
from core.separate.engine import DEMUCS_STEMS, SeparationModel, list_models, separate
from core.separate.stems import Separation, select_stems

__all__ = ["DEMUCS_STEMS", "EMBEDDED", "Separation", "SeparationModel", "apply_chunked",
           "list_models", "plan_batch", "select_stems", "separate"]
