"""Word error rate of transcripts against reference texts (tests and benchmarks).

Normalisation is the usual minimal one, applied to both sides alike:
lower case, hyphens and slashes become spaces, other punctuation is removed,
runs of white space collapse.  Numbers and abbreviations are *not* spelled
out ("10" vs "ten" counts as an error), so figures are comparable between
pipelines but a little pessimistic in absolute terms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPACE_LIKE = re.compile(r"[-‐‑‒–—/]")
_PUNCT = re.compile(r"[^\w\s']|_")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Lower-case ``text``, drop punctuation, collapse spaces (``"Ill-disposed." -> "ill disposed"``)."""
    t = _SPACE_LIKE.sub(" ", text.lower())
    t = _PUNCT.sub("", t)
    t = " ".join(w.strip("'") for w in t.split())
    return _SPACES.sub(" ", t).strip()


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus word error rate (jiwer) after :func:`normalize_text` on both sides.

    Parameters
    ----------
    references, hypotheses : sequence of str
        Same length; pair ``i`` is one recording's reference and transcript.

    Returns
    -------
    float
        (substitutions + deletions + insertions) / reference words, over all
        pairs (pairs whose reference is empty are skipped).
    """
    import jiwer  # test/benchmark dependency, imported only here

    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in length")
    refs = [normalize_text(r) for r in references]
    hyps = [normalize_text(h) for h in hypotheses]
    if not any(refs):
        raise ValueError("the references hold no words")
    # jiwer refuses empty reference strings; an empty hypothesis is fine.
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))
