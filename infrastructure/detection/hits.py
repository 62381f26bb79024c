"""The shape every rule reports in: a finding in normalised coordinates."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.sensitivity import Category


@dataclass(frozen=True)
class Hit:
    category: Category
    start: int  # in NormalisedText.text
    end: int
    rule: str
    confidence: float


def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern finding any keyword that starts a word; keywords may be glued
    to what follows them ("tlf91234567", "kontonr.")."""
    alternatives = "|".join(
        re.escape(word) for word in sorted(keywords, key=len, reverse=True)
    )
    return re.compile(r"(?<![^\W\d_])(?:" + alternatives + ")")


def has_keyword(pattern: re.Pattern[str], lower: str, start: int, width: int) -> bool:
    return pattern.search(lower, max(0, start - width), start) is not None
