"""CTC forced alignment: where each word's characters sit in a matrix of frame log-probabilities.

This is the model-free half of lyrics alignment, so it can be tested with
hand-made emission matrices whose right answer is known.  The search itself is
``torchaudio.functional.forced_align`` (Viterbi over the CTC trellis) and
``torchaudio.functional.merge_tokens`` (frames -> token spans).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from core.errors import ResonoteError

#: Largest search (frames x (2 x tokens + 1), one byte each) forced alignment may allocate.
MAX_TRELLIS = 1_500_000_000


class AlignmentError(ResonoteError):
    """Lyrics could not be aligned to the audio (silent audio, lyrics too long...)."""


@dataclass(frozen=True)
class WordSpan:
    """Frames of one aligned word.

    Attributes
    ----------
    start_frame, end_frame : int
        First frame and one past the last frame of the word's characters.
    score : float
        Mean probability of the word's characters over their frames, in [0, 1].
    """

    start_frame: int
    end_frame: int
    score: float


def targets_for(words: list[list[int]], *, delimiter: Optional[int]) -> tuple[list[int], list[int]]:
    """The token sequence to align and, per token, the index of its word (-1: delimiter).

    Words are joined by ``delimiter`` (wav2vec2's ``|``) when it is not None.
    """
    tokens: list[int] = []
    owner: list[int] = []
    for i, word in enumerate(words):
        if tokens and delimiter is not None:
            tokens.append(delimiter)
            owner.append(-1)
        tokens.extend(word)
        owner.extend([i] * len(word))
    return tokens, owner


def min_frames(tokens: list[int]) -> int:
    """Fewest frames a CTC path needs: one per token plus a blank between equal neighbours."""
    return len(tokens) + sum(1 for a, b in zip(tokens, tokens[1:], strict=False) if a == b)


def align_words(log_probs: np.ndarray, words: list[list[int]], *, blank: int = 0,
                delimiter: Optional[int] = None,
                max_trellis: int = MAX_TRELLIS) -> list[WordSpan]:
    """Place every word of ``words`` in the frames of ``log_probs``.

    Parameters
    ----------
    log_probs : np.ndarray [shape=(frames, vocabulary)], float32
        Log-probabilities (log-softmax over the vocabulary) of each frame.
    words : list of list of int
        Token ids of each word, in order; every word needs at least one token
        and no token may be ``blank``.
    blank : int
        Id of the CTC blank token.
    delimiter : int, optional
        Id of the word-delimiter token placed between words, if the model has one.
    max_trellis : int
        Largest search allowed, in bytes (frames x (2 x tokens + 1)).

    Returns
    -------
    list of WordSpan
        One per word, in order; spans do not overlap.

    Raises
    ------
    AlignmentError
        There are fewer frames than the lyrics need (audio too short for the text), or
        the search would need more than ``max_trellis`` bytes (too long to align at once).
    ValueError
        A word is empty, a token is ``blank`` or out of range (programming errors).
    """
    import torch
    import torchaudio.functional as taf

    lp = np.asarray(log_probs, dtype=np.float32)
    if lp.ndim != 2:
        raise ValueError(f"log_probs must be 2-D (frames, vocabulary), not {lp.shape}")
    if not words:
        return []
    if any(not w for w in words):
        raise ValueError("every word needs at least one token")
    tokens, owner = targets_for(words, delimiter=delimiter)
    if blank in tokens or min(tokens) < 0 or max(tokens) >= lp.shape[1]:
        raise ValueError("tokens must be non-blank vocabulary ids")
    need = min_frames(tokens)
    if lp.shape[0] < need:
        raise AlignmentError(
            f"The lyrics are too long for this audio: they need at least {need} model frames "
            f"and the audio has {lp.shape[0]}. Check that the lyrics belong to this recording, "
            "or align a longer stretch.")
    trellis = lp.shape[0] * (2 * len(tokens) + 1)  # bytes of forced_align's back-pointers
    if trellis > max_trellis:
        minutes = lp.shape[0] * 0.02 / 60
        raise AlignmentError(
            f"This is too much to align in one go (about {minutes:.0f} minutes of audio with "
            f"{len(tokens)} letters of lyrics needs {trellis / 1e9:.1f} GB). Align it in parts: "
            "select a verse or two at a time with its lyrics.")
    emission = torch.from_numpy(np.ascontiguousarray(lp))[None]
    target = torch.tensor([tokens], dtype=torch.int32)
    path, scores = taf.forced_align(emission, target, blank=blank)
    spans = taf.merge_tokens(path[0], scores[0].exp())
    if len(spans) != len(tokens):  # forced_align guarantees one span per target token
        raise AlignmentError("The aligner lost track of the lyrics; try a shorter excerpt.")
    out: list[WordSpan] = []
    k = 0
    for i, word in enumerate(words):
        while owner[k] != i:
            k += 1
        mine = spans[k:k + len(word)]
        k += len(word)
        lengths = np.array([s.end - s.start for s in mine], dtype=np.float64)
        probs = np.array([s.score for s in mine], dtype=np.float64)
        score = float(np.sum(probs * lengths) / max(lengths.sum(), 1.0))
        out.append(WordSpan(int(mine[0].start), int(mine[-1].end), min(1.0, max(0.0, score))))
    return out
