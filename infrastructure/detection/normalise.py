"""A cleaned-up view of a message whose positions map back to the original.

Every rule runs on the cleaned view, so a fullwidth digit, a zero-width space or
a non-breaking space inside a number cannot hide it, and every span is mapped
back before it leaves the detector.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

# Longest run of one punctuation character kept; longer runs are cut so that
# no rule ever walks a pathological run of dots or dashes.
MAX_PUNCTUATION_RUN = 32

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"

_DROPPED = re.compile(
    "[" + _INVISIBLE + "]+"
    "|([^\\w\\s" + _INVISIBLE + "])\\1{" + str(MAX_PUNCTUATION_RUN) + ",}"
)

# Latin look-alikes from Cyrillic and Greek; a word typed with one of them
# should still hit the lexicons.
_HOMOGLYPHS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K",
    "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "ο": "o",
}  # fmt: skip

_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
_SPACES += "\u2009\u200a\u202f\u205f\u3000"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"


def _build_translation() -> dict[int, str]:
    table: dict[int, str] = {}
    # Every Unicode decimal digit sits below U+20000.
    for code in range(0x80, 0x20000):
        value = unicodedata.decimal(chr(code), None)
        if value is not None:
            table[code] = str(value)
    # Fullwidth ASCII (＋, ＠, ．, letters) folds onto ASCII.
    for code in range(0xFF01, 0xFF5F):
        table.setdefault(code, chr(code - 0xFEE0))
    table.update({ord(char): " " for char in _SPACES})
    table.update({ord(char): "-" for char in _DASHES})
    table.update({ord(char): target for char, target in _HOMOGLYPHS.items()})
    table.update({ord("\u2019"): "'", ord("\u2018"): "'", ord("\u02bc"): "'"})
    return table


_TRANSLATION = _build_translation()
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_LINE_BREAKS = str.maketrans("\t\r\n\v\f", "     ")


@dataclass(frozen=True)
class NormalisedText:
    """`text` has digits folded, spaces unified and invisibles removed; `lower`
    is `text` in lower case with line breaks as spaces, position for position.
    """

    original: str
    text: str
    lower: str
    # For each removed stretch: where it sits in `text`, and how many original
    # characters were removed up to and including it.
    removed_at: tuple[int, ...]
    removed_total: tuple[int, ...]

    @functools.cached_property
    def words(self) -> frozenset[str]:
        """The distinct lower-case words, for cheap "is any of these here" tests."""
        return frozenset(_WORD.findall(self.lower))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of `text` onto `original`."""
        if end <= start:
            at = self._original_index(start)
            return at, at
        return self._original_index(start), self._original_index(end - 1) + 1

    def _original_index(self, index: int) -> int:
        slot = bisect.bisect_right(self.removed_at, index) - 1
        return index + (self.removed_total[slot] if slot >= 0 else 0)


def normalise(original: str) -> NormalisedText:
    translated = original if original.isascii() else original.translate(_TRANSLATION)
    pieces: list[str] = []
    removed_at: list[int] = []
    removed_total: list[int] = []
    kept_until = 0
    removed = 0
    matches = _DROPPED.finditer(translated) if _may_drop(translated) else ()
    for match in matches:
        drop_from = (
            match.start()
            if match.group(1) is None
            else (match.start() + MAX_PUNCTUATION_RUN)
        )
        pieces.append(translated[kept_until:drop_from])
        removed_at.append(drop_from - removed)
        removed += match.end() - drop_from
        removed_total.append(removed)
        kept_until = match.end()
    if pieces:
        pieces.append(translated[kept_until:])
        text = "".join(pieces)
    else:
        text = translated
    return NormalisedText(
        original=original,
        text=text,
        lower=_without_line_breaks(_lower_same_length(text)),
        removed_at=tuple(removed_at),
        removed_total=tuple(removed_total),
    )


_NOTHING_TO_DROP = re.compile(r"[\w\s.,!?'\"()\-:;/@+]*\Z")


def _may_drop(text: str) -> bool:
    """False when the text obviously has neither invisible characters nor long
    punctuation runs; the cheap common case for ordinary prose."""
    if not text.isascii():
        return True
    return "..." in text or _NOTHING_TO_DROP.match(text) is None


def _without_line_breaks(text: str) -> str:
    if "\n" not in text and "\t" not in text and "\r" not in text:
        return text
    return text.translate(_LINE_BREAKS)


def _lower_same_length(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters (such as "İ") grow when lowered; keep those as they are
    # so positions stay aligned.
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)
