"""Lyrics text: lines and words, and their spelling in a CTC model's character vocabulary.

Lyrics arrive as free text: blank lines between verses, section tags such as
``[Chorus]`` or ``(x2)``, punctuation, digits, accents, curly quotes.  Every
word the user wrote is kept for display; what the acoustic model aligns is
the word *normalised* to its vocabulary: case folded to the vocabulary's
case, accents removed, digits spelled out in English words, characters the
vocabulary lacks dropped.  A word with nothing left (``"&"`` when the
vocabulary has no ``&``, ``"—"``) is not aligned; it borrows its neighbour's
time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SECTION_TAG = re.compile(r"^\s*[\[{(<][^\]})>]*[\]})>]\s*$")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
                         "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
_SPECIAL = {"&": "and", "+": "plus", "%": "percent", "@": "at"}

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


@dataclass(frozen=True)
class LyricWord:
    """One word of the lyrics.

    Attributes
    ----------
    text : str
        As written (``"Don't"``, ``"1999,"``).
    spelling : str
        What the model aligns, in its vocabulary's characters, words joined by
        single spaces (``"DON'T"``, ``"NINETEEN NINETY NINE"``); ``""`` when
        nothing of the word is in the vocabulary.
    """

    text: str
    spelling: str


@dataclass(frozen=True)
class LyricLine:
    """One line of lyrics: its text as written and its words."""

    text: str
    words: tuple[LyricWord, ...]


def number_words(n: int) -> str:
    """English words for ``0 <= n < 10**12`` (``1999`` -> ``"one thousand nine hundred
    ninety nine"``); larger numbers are read digit by digit."""
    if n < 0:
        return "minus " + number_words(-n)
    if n >= 10**12:
        return " ".join(_ONES[int(d)] for d in str(n))
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            head, rest = divmod(n, size)
            return f"{number_words(head)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError("unreachable")  # pragma: no cover


def _spell_digits(token: str) -> str:
    """Digits inside a word spelled out: years read in pairs (``1999`` -> ``nineteen ninety
    nine``), other numbers as cardinals; ``2nd``-style suffixes are dropped."""
    def one(m: re.Match) -> str:
        digits = m.group(0)
        n = int(digits)
        if len(digits) == 4 and 1100 <= n <= 2099 and n % 100 != 0 and not 2000 <= n <= 2009:
            return f" {number_words(n // 100)} {number_words(n % 100)} "
        return f" {number_words(n)} "

    token = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", token, flags=re.IGNORECASE)
    return re.sub(r"\d+", one, token)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def spell(word: str, vocabulary: set[str]) -> str:
    """``word`` in the characters of ``vocabulary`` (single characters the model knows).

    Case follows the vocabulary (upper when it has ``"A"`` but not ``"a"``),
    accents are removed when the accented letter is unknown, digits become
    English words, ``&`` becomes ``and``; unknown characters are dropped.
    Several resulting words are joined by one space.
    """
    upper = "A" in vocabulary and "a" not in vocabulary
    text = word.translate(_QUOTES)
    for sym, name in _SPECIAL.items():
        if sym in text and sym not in vocabulary:
            text = text.replace(sym, f" {name} ")
    if any(c.isdigit() for c in text) and not any(c.isdigit() and c in vocabulary for c in text):
        text = _spell_digits(text)
    out_words = []
    for piece in re.split(r"[\s\-_/]+", text):
        chars = []
        for c in piece:
            c = c.upper() if upper else c.lower() if ("a" in vocabulary) else c
            if c in vocabulary:
                chars.append(c)
                continue
            plain = _strip_accents(c)
            plain = plain.upper() if upper else plain
            chars.extend(p for p in plain if p in vocabulary)
        spelled = "".join(chars).strip("'")
        if spelled:
            out_words.append(spelled)
    return " ".join(out_words)


def parse_lyrics(text: str, vocabulary: set[str]) -> list[LyricLine]:
    """Lines of ``text`` with their words spelled for ``vocabulary``.

    Blank lines and whole-line section tags (``[Chorus]``, ``(Verse 2)``) are
    left out; leading and trailing spaces are trimmed.

    Parameters
    ----------
    text : str
        The lyrics, one sung line per text line.
    vocabulary : set of str
        Single characters the acoustic model outputs (word delimiter excluded).

    Returns
    -------
    list of LyricLine
        Possibly empty (no lyrics at all).
    """
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line or _SECTION_TAG.match(line):
            continue
        words = tuple(LyricWord(w, spell(w, vocabulary)) for w in line.split(" "))
        lines.append(LyricLine(line, words))
    return lines
